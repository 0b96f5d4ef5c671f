/* SPDX-License-Identifier: MIT */
/* store/ccobj.c — run-time objects in the config and the store (ccobj.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>

#include "log.h"
#include "store/ccobj.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS cc_object("
	"kind TEXT NOT NULL, name TEXT NOT NULL, tenant TEXT NOT NULL, body TEXT, "
	"updated_ms INTEGER NOT NULL, PRIMARY KEY(kind, name))";

const char *sb_ccobj_kind_name(enum sb_cfg_kind kind)
{
	return kind == SB_CFG_AGENT ? "agent" : kind == SB_CFG_QUEUE ? "queue" :
	       kind == SB_CFG_HOURS ? "hours" : kind == SB_CFG_IVR ? "ivr" : "hotline";
}

/* the tenant of what action a leads to; NULL: none (repeat, hangup, outside) */
static const char *act_tenant(const struct sb_config *c, const struct sb_cfg_ivr_act *a,
			      const char **what, const char **who)
{
	switch (a->type) {
	case SB_IVR_ACT_QUEUE:
		*what = "queue", *who = c->queues[a->arg].name;
		return c->queues[a->arg].tenant;
	case SB_IVR_ACT_MENU:
		*what = "menu", *who = c->ivr_menus[a->arg].name;
		return c->ivr_menus[a->arg].tenant;
	case SB_IVR_ACT_NUMBER:
		*what = "hotline", *who = c->hotlines[a->arg].number;
		return c->hotlines[a->arg].tenant;
	case SB_IVR_ACT_AGENT:
		*what = "agent", *who = c->agents[a->arg].user;
		return c->agents[a->arg].tenant;
	default:
		return NULL;
	}
}

int sb_ccobj_ivr_check_tenant(const struct sb_config *c, unsigned slot,
			      const struct sb_cfg_ivr_menu *m, char *err, size_t err_len,
			      char *field, size_t field_len)
{
	static const char digits[SB_CFG_IVR_KEYS] = "0123456789*#";
	const struct sb_cfg_ivr_act *acts[SB_CFG_IVR_KEYS + 3];
	const char *what = NULL, *who = NULL, *t;

	for (unsigned k = 0; k < SB_CFG_IVR_KEYS; k++)
		acts[k] = &m->key[k];
	acts[SB_CFG_IVR_KEYS] = &m->on_timeout;
	acts[SB_CFG_IVR_KEYS + 1] = &m->on_max_retries;
	acts[SB_CFG_IVR_KEYS + 2] = &m->closed;
	for (unsigned k = 0; k < SB_CFG_IVR_KEYS + 3; k++) {
		/* a menu naming itself: its own tenant, whatever the slot held */
		if (acts[k]->type == SB_IVR_ACT_MENU && acts[k]->arg == slot)
			continue;
		t = act_tenant(c, acts[k], &what, &who);
		if (t == NULL || strcmp(t, m->tenant) == 0)
			continue;
		if (k < SB_CFG_IVR_KEYS)
			snprintf(field, field_len, "options.%c", digits[k]);
		else
			snprintf(field, field_len, "%s", k == SB_CFG_IVR_KEYS ? "timeout_action" :
				 k == SB_CFG_IVR_KEYS + 1 ? "max_retries_action" : "closed");
		/* as if it did not exist: another tenant's objects are not shown */
		snprintf(err, err_len, "'%s' names no %s '%s' of tenant '%s'", field, what, who,
			 m->tenant);
		return -EINVAL;
	}
	if (m->hours >= 0 && strcmp(c->hours[m->hours].tenant, m->tenant) != 0) {
		snprintf(field, field_len, "hours");
		snprintf(err, err_len, "'hours' names no hours set '%s' of tenant '%s'",
			 c->hours[m->hours].name, m->tenant);
		return -EINVAL;
	}
	return 0;
}

int sb_ccobj_ivr_commit(struct sb_config *c, enum sb_cfg_kind kind, struct sb_cfg_ivr_object *o,
			unsigned *slot, bool *fresh, char *err, size_t err_len)
{
	const char *name = kind == SB_CFG_IVR ? o->u.menu.name : o->u.hours.name;
	unsigned *n = kind == SB_CFG_IVR ? &c->n_ivr_menus : &c->n_hours;
	unsigned cap = kind == SB_CFG_IVR ? c->cap_ivr_menus : c->cap_hours;
	int i = sb_config_slot_find(c, kind, name);

	*fresh = i < 0;
	if (i < 0) {
		if (*n >= cap) {
			snprintf(err, err_len, "no room for another %s (limits: %s: %u; deleted "
				 "ones keep their slot until a restart)",
				 kind == SB_CFG_IVR ? "menu" : "hours set",
				 kind == SB_CFG_IVR ? "ivrs" : "hours", cap);
			return -ENOSPC;
		}
		i = (int)*n;
	}
	*slot = (unsigned)i;
	if (kind == SB_CFG_IVR) {
		/* built aside, copied in one go on the loop thread: a call in the
		 * menu reads the old one or the new one, never half of each */
		c->ivr_menus[i] = o->u.menu;
		/* outside numbers only ever appended: indexes held stay valid */
		for (unsigned k = c->n_outside; k < o->n_outside && k < SB_CFG_OUTSIDE_MAX; k++)
			memcpy(c->outside[k], o->outside[k], sizeof(c->outside[k]));
		if (o->n_outside > c->n_outside)
			c->n_outside = o->n_outside;
	} else {
		struct sb_tz *old = *fresh ? NULL : c->hours[i].tz;

		c->hours[i] = o->u.hours;
		o->u.hours.tz = NULL; /* c's now */
		free(old);
	}
	if (*fresh)
		(*n)++;
	return 0;
}

int sb_ccobj_check_tenant(const struct sb_config *c, enum sb_cfg_kind kind,
			  const struct sb_cfg_object *o, char *err, size_t err_len, char *field,
			  size_t field_len)
{
	const char *t, *bad = NULL, *what = NULL;

	if (kind == SB_CFG_QUEUE) {
		const struct sb_cfg_queue *q = &o->u.queue;

		t = q->tenant;
		for (unsigned i = 0; i < q->n_members && !bad; i++)
			if (strcmp(c->agents[q->members[i]].tenant, t) != 0)
				bad = c->agents[q->members[i]].user, what = "members";
		if (!bad && q->overflow >= 0 && strcmp(c->queues[q->overflow].tenant, t) != 0)
			bad = c->queues[q->overflow].name, what = "overflow";
	} else if (kind == SB_CFG_HOTLINE) {
		const struct sb_cfg_hotline *h = &o->u.hotline;

		t = h->tenant;
		for (unsigned i = 0; i < h->n_agents && !bad; i++)
			if (strcmp(c->agents[h->agents[i]].tenant, t) != 0)
				bad = c->agents[h->agents[i]].user, what = "agents";
		if (!bad && h->queue >= 0 && strcmp(c->queues[h->queue].tenant, t) != 0)
			bad = c->queues[h->queue].name, what = "queue";
		if (!bad && h->ivr >= 0 && strcmp(c->ivr_menus[h->ivr].tenant, t) != 0)
			bad = c->ivr_menus[h->ivr].name, what = "ivr";
	}
	if (bad == NULL)
		return 0;
	/* as if it did not exist: another tenant's objects are not shown */
	snprintf(field, field_len, "%s", what);
	snprintf(err, err_len, "'%s' names no %s '%s' of tenant '%s'", what,
		 strcmp(what, "members") == 0 || strcmp(what, "agents") == 0 ? "agent" :
		 strcmp(what, "ivr") == 0 ? "menu" : "queue", bad, t);
	return -EINVAL;
}

int sb_ccobj_commit(struct sb_config *c, enum sb_cfg_kind kind, const struct sb_cfg_object *o,
		    unsigned *slot, bool *fresh, uint16_t *old_members, unsigned *n_old,
		    char *err, size_t err_len)
{
	const char *name = kind == SB_CFG_AGENT ? o->u.agent.user :
			   kind == SB_CFG_QUEUE ? o->u.queue.name : o->u.hotline.number;
	unsigned *n = kind == SB_CFG_AGENT ? &c->n_agents : kind == SB_CFG_QUEUE ? &c->n_queues
										  : &c->n_hotlines;
	unsigned cap = kind == SB_CFG_AGENT ? c->cap_agents : kind == SB_CFG_QUEUE ? c->cap_queues
										  : c->cap_hotlines;
	int i = sb_config_slot_find(c, kind, name);

	*n_old = 0;
	*fresh = i < 0;
	if (i < 0) {
		if (*n >= cap) {
			snprintf(err, err_len, "no room for another %s (limits: %ss: %u; deleted "
				 "ones keep their slot until a restart)", sb_ccobj_kind_name(kind),
				 sb_ccobj_kind_name(kind), cap);
			return -ENOSPC;
		}
		i = (int)*n;
	}
	*slot = (unsigned)i;
	if (kind == SB_CFG_AGENT) {
		c->agents[i] = o->u.agent;
	} else if (kind == SB_CFG_QUEUE) {
		if (!*fresh && !c->queues[i].deleted) {
			*n_old = c->queues[i].n_members;
			memcpy(old_members, c->queues[i].members,
			       *n_old * sizeof(c->queues[i].members[0]));
		}
		c->queues[i] = o->u.queue;
	} else {
		c->hotlines[i] = o->u.hotline;
	}
	if (*fresh)
		(*n)++;
	/* skills a new agent brought: ids in the order they came */
	if (o->n_skills > c->n_skills) {
		memcpy(c->skills, o->skills, sizeof(c->skills));
		c->n_skills = o->n_skills;
	}
	return 0;
}

static bool act_is(const struct sb_cfg_ivr_act *a, unsigned type, unsigned idx)
{
	return a->type == type && a->arg == idx;
}

/* an IVR menu whose action leads to (type, idx) */
static const char *menu_naming(const struct sb_config *c, unsigned type, unsigned idx)
{
	for (unsigned m = 0; m < c->n_ivr_menus; m++) {
		const struct sb_cfg_ivr_menu *mn = &c->ivr_menus[m];
		bool hit;

		if (mn->deleted || (type == SB_IVR_ACT_MENU && m == idx)) /* itself: no */
			continue;
		hit = act_is(&mn->on_timeout, type, idx) || act_is(&mn->on_max_retries, type, idx) ||
			   act_is(&mn->closed, type, idx);

		for (unsigned k = 0; k < SB_CFG_IVR_KEYS && !hit; k++)
			hit = act_is(&mn->key[k], type, idx);
		if (hit)
			return mn->name;
	}
	return NULL;
}

const char *sb_ccobj_refs(const struct sb_config *c, enum sb_cfg_kind kind, unsigned idx,
			  char *buf, size_t cap)
{
	const char *m;

	if (kind == SB_CFG_AGENT) {
		for (unsigned q = 0; q < c->n_queues; q++)
			for (unsigned i = 0; !c->queues[q].deleted && i < c->queues[q].n_members; i++)
				if (c->queues[q].members[i] == idx) {
					snprintf(buf, cap, "queue '%s' lists it in 'members'",
						 c->queues[q].name);
					return buf;
				}
		for (unsigned h = 0; h < c->n_hotlines; h++)
			for (unsigned i = 0; !c->hotlines[h].deleted && i < c->hotlines[h].n_agents;
			     i++)
				if (c->hotlines[h].agents[i] == idx) {
					snprintf(buf, cap, "hotline '%s' lists it in 'agents'",
						 c->hotlines[h].number);
					return buf;
				}
		if ((m = menu_naming(c, SB_IVR_ACT_AGENT, idx))) {
			snprintf(buf, cap, "IVR menu '%s' transfers to it", m);
			return buf;
		}
	} else if (kind == SB_CFG_QUEUE) {
		for (unsigned h = 0; h < c->n_hotlines; h++)
			if (!c->hotlines[h].deleted && c->hotlines[h].queue == (int)idx) {
				snprintf(buf, cap, "hotline '%s' routes to it", c->hotlines[h].number);
				return buf;
			}
		for (unsigned q = 0; q < c->n_queues; q++)
			if (!c->queues[q].deleted && q != idx && c->queues[q].overflow == (int)idx) {
				snprintf(buf, cap, "queue '%s' overflows to it", c->queues[q].name);
				return buf;
			}
		if ((m = menu_naming(c, SB_IVR_ACT_QUEUE, idx))) {
			snprintf(buf, cap, "IVR menu '%s' sends callers to it", m);
			return buf;
		}
	} else if (kind == SB_CFG_IVR) {
		for (unsigned h = 0; h < c->n_hotlines; h++)
			if (!c->hotlines[h].deleted && c->hotlines[h].ivr == (int)idx) {
				snprintf(buf, cap, "hotline '%s' starts in it", c->hotlines[h].number);
				return buf;
			}
		if ((m = menu_naming(c, SB_IVR_ACT_MENU, idx))) {
			snprintf(buf, cap, "IVR menu '%s' leads to it", m);
			return buf;
		}
	} else if (kind == SB_CFG_HOURS) {
		for (unsigned i = 0; i < c->n_ivr_menus; i++)
			if (!c->ivr_menus[i].deleted && c->ivr_menus[i].hours == (int)idx) {
				snprintf(buf, cap, "IVR menu '%s' checks them ('hours')",
					 c->ivr_menus[i].name);
				return buf;
			}
	} else if ((m = menu_naming(c, SB_IVR_ACT_NUMBER, idx))) {
		snprintf(buf, cap, "IVR menu '%s' transfers to it", m);
		return buf;
	}
	return NULL;
}

/* ---- the table ---- */

static int64_t wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct sqlite3 *sb_ccobj_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sb_err("store: cc_object: open %s: %s", path,
		       db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000); /* the store's writer shares the file (WAL) */
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		sb_err("store: cc_object: %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void sb_ccobj_close(struct sqlite3 *db)
{
	sqlite3_close(db);
}

static int exec_row(sqlite3 *db, const char *sql, const char *kind, const char *name,
		    const char *tenant, const char *body)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (tenant) {
		sqlite3_bind_text(st, 3, tenant, -1, SQLITE_STATIC);
		if (body)
			sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, wall_ms());
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	sb_err("store: cc_object %s '%s': %s", kind, name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -EIO;
}

static const char put_sql[] =
	"INSERT OR REPLACE INTO cc_object(kind, name, tenant, body, updated_ms) "
	"VALUES(?1, ?2, ?3, ?4, ?5)";

int sb_ccobj_put(struct sqlite3 *db, const char *kind, const char *name, const char *tenant,
		 const char *body)
{
	char settings[32];
	int rc;

	snprintf(settings, sizeof(settings), "%s-settings", kind);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sb_err("store: cc_object: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	rc = exec_row(db, put_sql, kind, name, tenant, body);
	if (rc == 0) /* a PUT or DELETE replaces every setting a PATCH made */
		rc = exec_row(db, "DELETE FROM cc_object WHERE kind = ?1 AND name = ?2", settings,
			      name, NULL, NULL);
	if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !rc) {
		sb_err("store: cc_object: commit: %s", sqlite3_errmsg(db));
		rc = -EIO;
	}
	return rc;
}

int sb_ccobj_merge(struct sqlite3 *db, const char *kind, const char *name, const char *tenant,
		   const char *body, char *(*merge_json)(const char *old, const char *add))
{
	sqlite3_stmt *st = NULL;
	char *merged = NULL;
	int rc = -EIO;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sb_err("store: cc_object: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	if (sqlite3_prepare_v2(db, "SELECT body FROM cc_object WHERE kind = ?1 AND name = ?2", -1,
			       &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		merged = merge_json((const char *)sqlite3_column_text(st, 0), body);
	else
		merged = merge_json(NULL, body);
	sqlite3_finalize(st);
	if (merged)
		rc = exec_row(db, put_sql, kind, name, tenant, merged);
out:
	free(merged);
	if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !rc)
		rc = -EIO;
	if (rc)
		sb_err("store: cc_object %s '%s' not saved: %s", kind, name, sqlite3_errmsg(db));
	return rc;
}

/* ---- start-up ---- */

struct row {
	bool tenant;             /* a tenant row (kind unused) */
	enum sb_cfg_kind kind;
	char *name, *tenant_name, *body; /* body NULL: deleted */
	bool done;
	bool placeholder;        /* a menu's name put in before the rounds */
};

static bool tenant_named(const struct sb_config *c, const char *t)
{
	for (unsigned i = 0; i < c->n_agents; i++)
		if (!c->agents[i].deleted && strcmp(c->agents[i].tenant, t) == 0)
			return true;
	for (unsigned i = 0; i < c->n_queues; i++)
		if (!c->queues[i].deleted && strcmp(c->queues[i].tenant, t) == 0)
			return true;
	for (unsigned i = 0; i < c->n_hotlines; i++)
		if (!c->hotlines[i].deleted && strcmp(c->hotlines[i].tenant, t) == 0)
			return true;
	for (unsigned i = 0; i < c->n_ivr_menus; i++)
		if (!c->ivr_menus[i].deleted && strcmp(c->ivr_menus[i].tenant, t) == 0)
			return true;
	for (unsigned i = 0; i < c->n_hours; i++)
		if (!c->hours[i].deleted && strcmp(c->hours[i].tenant, t) == 0)
			return true;
	return false;
}

/* a tenant created (body) or deleted (NULL) through the API */
static int restore_tenant(struct sb_config *c, struct row *r, char *err, size_t err_len)
{
	unsigned i;

	for (i = 0; i < c->n_tenants && strcmp(c->tenants[i].name, r->name) != 0; i++)
		;
	if (r->body == NULL) {
		if (i == c->n_tenants || c->tenants[i].deleted)
			return 0;
		if (tenant_named(c, r->name)) {
			snprintf(err, err_len, "objects still belong to it");
			return -EAGAIN;
		}
		c->tenants[i].deleted = true;
		return 0;
	}
	if (!sb_config_tenant_name_ok(r->name) || c->n_tenants == 0) {
		snprintf(err, err_len, "%s", c->n_tenants ? "not a tenant name"
			 : "the config has no 'tenants:' list");
		return -EINVAL;
	}
	if (i < c->n_tenants) {
		c->tenants[i].deleted = false;
		return 0;
	}
	if (c->n_tenants == SB_CFG_TENANTS) {
		snprintf(err, err_len, "more than %u tenants", SB_CFG_TENANTS);
		return -ENOSPC;
	}
	snprintf(c->tenants[c->n_tenants++].name, SB_CFG_NAME_MAX, "%s", r->name);
	return 0;
}

/* a menu or hours set (or its deletion) onto c, as api/objects.c does */
static int restore_ivr(struct sb_config *c, struct row *r, char *err, size_t err_len,
		       char *field, size_t field_len)
{
	struct sb_cfg_ivr_object *o;
	unsigned slot;
	bool fresh;
	int rc;

	if (r->body == NULL) {
		int i = r->kind == SB_CFG_IVR ? sb_config_ivr_find(c, r->name, strlen(r->name))
					      : sb_config_hours_find(c, r->name, strlen(r->name));
		char why[160];

		if (i < 0)
			return 0;
		if (sb_ccobj_refs(c, r->kind, (unsigned)i, why, sizeof(why))) {
			snprintf(err, err_len, "still in use: %s", why);
			return -EAGAIN;
		}
		if (r->kind == SB_CFG_IVR)
			c->ivr_menus[i].deleted = true;
		else
			c->hours[i].deleted = true;
		return 0;
	}
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	rc = sb_config_ivr_object_parse(c, r->kind, r->name, r->tenant_name, r->body,
					strlen(r->body), o, err, err_len, field, field_len);
	if (rc == 0 && r->kind == SB_CFG_IVR) {
		int s = sb_config_slot_find(c, SB_CFG_IVR, r->name);

		rc = sb_ccobj_ivr_check_tenant(c, s >= 0 ? (unsigned)s : c->n_ivr_menus, &o->u.menu,
					       err, err_len, field, field_len);
	}
	if (rc == 0)
		rc = sb_ccobj_ivr_commit(c, r->kind, o, &slot, &fresh, err, err_len);
	if (r->kind == SB_CFG_HOURS)
		free(o->u.hours.tz); /* NULL once committed */
	free(o);
	return rc == -EINVAL ? -EAGAIN : rc;
}

/* One stored row onto c.  0 applied; -EAGAIN: not now (maybe after others);
 * err/field say why. */
static int restore_one(struct sb_config *c, struct row *r, char *err, size_t err_len,
		       char *field, size_t field_len)
{
	struct sb_cfg_object *o;
	uint16_t old[SB_CFG_QUEUE_MEMBERS];
	unsigned slot, n_old;
	bool fresh;
	int rc;

	field[0] = '\0';
	if (r->tenant)
		return restore_tenant(c, r, err, err_len);
	if (!sb_config_tenant_ok(c, r->tenant_name)) {
		snprintf(field, field_len, "tenant");
		snprintf(err, err_len, "tenant '%s' does not exist", r->tenant_name);
		return -EAGAIN;
	}
	if (r->kind == SB_CFG_IVR || r->kind == SB_CFG_HOURS)
		return restore_ivr(c, r, err, err_len, field, field_len);
	if (r->body == NULL) { /* a deletion: of an object of the file */
		int i = r->kind == SB_CFG_AGENT ? sb_config_agent_find(c, r->name, strlen(r->name)) :
			r->kind == SB_CFG_QUEUE ? sb_config_queue_find(c, r->name, strlen(r->name)) :
			sb_config_hotline_find(c, r->name, strlen(r->name));
		char why[160];

		if (i < 0)
			return 0;
		if (sb_ccobj_refs(c, r->kind, (unsigned)i, why, sizeof(why))) {
			snprintf(err, err_len, "still in use: %s", why);
			return -EAGAIN;
		}
		if (r->kind == SB_CFG_AGENT)
			c->agents[i].deleted = true;
		else if (r->kind == SB_CFG_QUEUE)
			c->queues[i].deleted = true;
		else
			c->hotlines[i].deleted = true;
		return 0;
	}
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	rc = sb_config_object_parse(c, r->kind, r->name, r->tenant_name, r->body, strlen(r->body), o,
				    err, err_len, field, field_len);
	if (rc == 0)
		rc = sb_ccobj_check_tenant(c, r->kind, o, err, err_len, field, field_len);
	if (rc == 0)
		rc = sb_ccobj_commit(c, r->kind, o, &slot, &fresh, old, &n_old, err, err_len);
	free(o);
	return rc == -EINVAL ? -EAGAIN : rc;
}

int sb_ccobj_restore(struct sb_config *c, const char *path)
{
	static const char sel[] =
		"SELECT kind, name, tenant, body FROM cc_object WHERE kind IN "
		"('tenant', 'agent', 'queue', 'hotline', 'hours', 'ivr') ORDER BY CASE kind "
		"WHEN 'tenant' THEN 0 WHEN 'agent' THEN 1 WHEN 'queue' THEN 2 WHEN 'hours' THEN 3 "
		"WHEN 'ivr' THEN 4 ELSE 5 END, updated_ms";
	sqlite3 *db = sb_ccobj_open(path);
	sqlite3_stmt *st = NULL;
	struct row *rows = NULL;
	unsigned n = 0, cap = 0, applied = 0, left;
	char err[256], field[128];

	if (db == NULL)
		return 0;
	if (sqlite3_prepare_v2(db, sel, -1, &st, NULL) != SQLITE_OK) {
		sb_err("store: cc_object: %s", sqlite3_errmsg(db));
		sb_ccobj_close(db);
		return 0;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 3);
		struct row *r;

		if (n == cap) {
			struct row *g = realloc(rows, (cap ? 2 * cap : 64) * sizeof(*rows));

			if (g == NULL)
				break;
			rows = g;
			cap = cap ? 2 * cap : 64;
		}
		r = &rows[n];
		r->tenant = strcmp(k, "tenant") == 0;
		r->kind = strcmp(k, "agent") == 0 ? SB_CFG_AGENT :
			  strcmp(k, "queue") == 0 ? SB_CFG_QUEUE :
			  strcmp(k, "hours") == 0 ? SB_CFG_HOURS :
			  strcmp(k, "ivr") == 0 ? SB_CFG_IVR : SB_CFG_HOTLINE;
		r->name = strdup((const char *)sqlite3_column_text(st, 1));
		r->tenant_name = strdup((const char *)sqlite3_column_text(st, 2));
		r->body = b ? strdup(b) : NULL;
		r->done = false;
		r->placeholder = false;
		if (!r->name || !r->tenant_name || (b && !r->body)) {
			free(r->name);
			free(r->tenant_name);
			free(r->body);
			break;
		}
		n++;
	}
	sqlite3_finalize(st);
	sb_ccobj_close(db);
	/* menus may lead to each other (sales -> main -> sales): every stored
	 * menu's name is there before any is parsed, as the file's are (a
	 * valid menu meanwhile: prompt 0, hang up), replaced by its row */
	for (unsigned i = 0; i < n; i++) {
		struct row *r = &rows[i];
		struct sb_cfg_ivr_menu *m;

		if (r->tenant || r->kind != SB_CFG_IVR || r->body == NULL || c->n_prompts == 0 ||
		    strlen(r->name) >= SB_CFG_NAME_MAX || strlen(r->tenant_name) >= SB_CFG_NAME_MAX ||
		    c->n_ivr_menus >= c->cap_ivr_menus || sb_config_slot_find(c, SB_CFG_IVR, r->name) >= 0)
			continue;
		m = &c->ivr_menus[c->n_ivr_menus++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", r->name);
		snprintf(m->tenant, sizeof(m->tenant), "%s", r->tenant_name);
		m->prompt = 0;
		m->invalid = m->hours = -1;
		m->on_timeout.type = m->on_max_retries.type = SB_IVR_ACT_HANGUP;
		r->placeholder = true;
	}
	/* rounds: a queue may overflow to one restored after it */
	left = n;
	for (unsigned round = 0; left && round < 4; round++) {
		unsigned before = left;

		for (unsigned i = 0; i < n; i++)
			if (!rows[i].done &&
			    restore_one(c, &rows[i], err, sizeof(err), field, sizeof(field)) == 0) {
				rows[i].done = true;
				applied++;
				left--;
			}
		if (left == before)
			break;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!rows[i].done &&
		    restore_one(c, &rows[i], err, sizeof(err), field, sizeof(field)) != 0) {
			sb_warn("store: %s '%s' (tenant %s) skipped: it no longer fits the "
				"config file: %s%s%s", rows[i].tenant ? "tenant" :
				sb_ccobj_kind_name(rows[i].kind), rows[i].name, rows[i].tenant_name,
				field[0] ? field : "", field[0] ? ": " : "", err);
			rows[i].done = !rows[i].placeholder;
		} else {
			rows[i].done = true;
		}
		if (!rows[i].done) { /* a placeholder whose row did not fit: gone */
			int s = sb_config_slot_find(c, SB_CFG_IVR, rows[i].name);

			if (s >= 0)
				c->ivr_menus[s].deleted = true;
		}
		free(rows[i].name);
		free(rows[i].tenant_name);
		free(rows[i].body);
	}
	free(rows);
	if (n)
		sb_info("store: %u of %u run-time objects restored", applied, n);
	return (int)applied;
}

void sb_ccobj_settings_each(const char *path,
			    void (*cb)(void *arg, const char *kind, const char *name,
				       const char *tenant, const char *body), void *arg)
{
	sqlite3 *db = sb_ccobj_open(path);
	sqlite3_stmt *st = NULL;

	if (db == NULL)
		return;
	if (sqlite3_prepare_v2(db, "SELECT kind, name, tenant, body FROM cc_object WHERE kind IN "
			       "('agent-settings', 'queue-settings') AND body IS NOT NULL "
			       "ORDER BY updated_ms", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			cb(arg, (const char *)sqlite3_column_text(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2),
			   (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sb_ccobj_close(db);
}
