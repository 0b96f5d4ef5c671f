/* SPDX-License-Identifier: MIT */
/*
 * store/ccobj.h — contact-centre objects changed at run time (agents,
 * queues, hotlines; api/objects.c) applied to the config in place, and
 * kept in the store so that a restart has them again.
 *
 * In place: an object takes the slot of its name (a replaced one, or a
 * deleted one taken again) or the next free one (cfg->n_*, up to cap_*:
 * `limits:`); no index held by a call, the registrar or the queue engine
 * ever moves.  A deleted object keeps its slot, marked deleted: lookups by
 * name skip it, a live call that still holds its index reads what it was.
 *
 * Tenants (`tenants:`) likewise: rows of kind "tenant" (body "{}", NULL =
 * deleted), restored before everything else.
 *
 * IVR menus and hours sets (`ivrs:`, `hours:`) likewise: kinds "ivr" and
 * "hours", restored after queues (hours, then menus: every stored menu's
 * name is put in first so that menus naming each other resolve) and
 * before hotlines.
 *
 * Table cc_object(kind, name, tenant, body, updated_ms), primary key
 * (kind, name): kind "agent" | "queue" | "hotline" with the body as the API
 * got it (JSON, the YAML entry's fields) or NULL for a deletion (of an
 * object of the config file: it stays deleted); "agent-settings" |
 * "queue-settings" with the merged bodies of the PATCHes since (api/cc.c),
 * dropped by a PUT or DELETE of the object.  At start-up, after the config
 * file: objects first (agents, queues, hotlines; in rounds, so that a
 * reference to an object restored later still resolves), then the
 * settings (sb_api_objects_replay).  A row that no longer validates
 * against the file is logged (kind, name, field, why) and skipped.
 */
#ifndef SB_STORE_CCOBJ_H
#define SB_STORE_CCOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sqlite3;

const char *sb_ccobj_kind_name(enum sb_cfg_kind kind); /* "agent", "queue", "hotline",
							 * "hours", "ivr" */

/* Objects of another tenant an object names (queue members and overflow,
 * hotline queue/agents/menu): -EINVAL with err and field ("members") set,
 * else 0. */
int sb_ccobj_check_tenant(const struct sb_config *c, enum sb_cfg_kind kind,
			  const struct sb_cfg_object *o, char *err, size_t err_len, char *field,
			  size_t field_len);

/* Write o into its slot.  *slot: its index; *fresh: a slot never used
 * before (new to the engine); old_members/n_old: a replaced queue's
 * members before (for the engine), 0 when fresh or deleted before.
 * 0 | -ENOSPC (no room: err says which limit). */
int sb_ccobj_commit(struct sb_config *c, enum sb_cfg_kind kind, const struct sb_cfg_object *o,
		    unsigned *slot, bool *fresh, uint16_t *old_members, unsigned *n_old,
		    char *err, size_t err_len);

/* What still names object idx (a queue's members, a hotline, a menu, an
 * overflow): a message, or NULL when nothing does. */
const char *sb_ccobj_refs(const struct sb_config *c, enum sb_cfg_kind kind, unsigned idx,
			  char *buf, size_t cap);

/* IVR menus and hours sets (kinds SB_CFG_IVR, SB_CFG_HOURS; rows "ivr",
 * "hours", restored after queues and before hotlines, hours first).
 * Tenant check of a menu m parsed for slot (its index, or n_ivr_menus if
 * new): every queue, menu, agent, hotline and hours set it names is of
 * m->tenant (field "options.1", "closed", "hours"...).  -EINVAL | 0. */
int sb_ccobj_ivr_check_tenant(const struct sb_config *c, unsigned slot,
			      const struct sb_cfg_ivr_menu *m, char *err, size_t err_len,
			      char *field, size_t field_len);
/* Write o into its slot (its name's, or the next free one: -ENOSPC past
 * limits: ivrs/hours).  One struct assignment on the loop thread: a call in
 * a replaced menu reads the old menu or the new one, never a mix; a
 * replaced hours set's old time zone is freed, o's is c's after. */
int sb_ccobj_ivr_commit(struct sb_config *c, enum sb_cfg_kind kind, struct sb_cfg_ivr_object *o,
			unsigned *slot, bool *fresh, char *err, size_t err_len);

/* Open the object table on path (created if needed).  NULL: logged. */
struct sqlite3 *sb_ccobj_open(const char *path);
void sb_ccobj_close(struct sqlite3 *db);
/* Rows: put (body NULL = deleted; drops kind-settings of the name), or
 * merge a PATCH body into kind ("queue-settings") (JSON objects, the newer
 * fields win; merge_json does it: returns a malloc'd string or NULL).
 * 0 | -EIO. */
int sb_ccobj_put(struct sqlite3 *db, const char *kind, const char *name, const char *tenant,
		 const char *body);
int sb_ccobj_merge(struct sqlite3 *db, const char *kind, const char *name, const char *tenant,
		   const char *body, char *(*merge_json)(const char *old, const char *add));

/* Start-up: apply the stored agents, queues and hotlines (and deletions)
 * to c.  Returns how many were applied; problems are logged. */
int sb_ccobj_restore(struct sb_config *c, const char *path);
/* Each stored settings row: cb(arg, kind, name, tenant, body). */
void sb_ccobj_settings_each(const char *path,
			    void (*cb)(void *arg, const char *kind, const char *name,
				       const char *tenant, const char *body), void *arg);

#endif
