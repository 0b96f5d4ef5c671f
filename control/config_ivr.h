/* SPDX-License-Identifier: MIT */
/*
 * config_ivr.h — config.c's entry into the IVR part of the configuration
 * (config_ivr.c): `hours:` and `ivrs:` (or `ivr:`), parsed after prompts,
 * agents, queues and hotlines' names are known... except hotlines, which
 * are parsed after this (`transfer NUMBER` names a hotline, so those are
 * resolved by sb_config_ivr_link() once hotlines are in).
 */
#ifndef SB_CP_CONFIG_IVR_H
#define SB_CP_CONFIG_IVR_H

#include <stddef.h>
#include <yaml.h>

#include "config.h"

#define SB_CFG_IVR_PENDING 256
/* room for menus and hours the API adds at run time, without `limits:` */
#define SB_CFG_IVR_EXTRA 64
#define SB_CFG_HOURS_EXTRA 32

/* Where config.c reports errors ("FILE:LINE: message"), and the
 * `transfer NUMBER` actions waiting for the hotlines (menu, slot: key
 * index or SB_CFG_IVR_KEYS + 0/1/2 for timeout / max retries / closed). */
struct sb_cfg_where {
	yaml_document_t *doc;
	const char *path;
	char *err;
	size_t err_len;
	unsigned n_pend;
	struct { uint16_t menu; uint8_t slot; yaml_node_t *n; } pend[SB_CFG_IVR_PENDING];
	/* one object for the API (sb_config_ivr_object_parse): errors name the
	 * key's path below body_root in field instead of FILE:LINE */
	char *field;
	size_t field_len;
	int body_root;
};

/* hours (may be NULL) then ivrs (may be NULL): 0 or -EINVAL with err set.
 * Transfer targets (`transfer NUMBER`) are kept by name until
 * sb_config_ivr_link(). */
int sb_config_ivr_parse(struct sb_config *c, struct sb_cfg_where *w, yaml_node_t *hours,
			yaml_node_t *ivrs);

/* The path of keys from node id of doc down to target, appended to buf
 * ("skills.billing", "options.1", "open.0.times.1"): the "field" of an API
 * error.  false: target is not below id.  (config.c) */
bool sb_cfg_node_path(yaml_document_t *doc, int id, const yaml_node_t *target, char *buf,
		      size_t cap, unsigned depth);
/* After hotlines: resolve `transfer NUMBER` to hotline indexes. */
int sb_config_ivr_link(struct sb_config *c, struct sb_cfg_where *w);
/* Free what sb_config_ivr_parse allocated (config_free). */
void sb_config_ivr_free(struct sb_config *c);

#endif
