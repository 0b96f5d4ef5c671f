/* SPDX-License-Identifier: MIT */
/*
 * api/ivr.c — GET /v1/ivrs[/NAME] (api/cc.h): the IVR menus of the
 * token's tenant (the file's, and those PUT at run time: api/objects.c),
 * each action written back as the config spells it, and whether
 * the menu's business hours are open now.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/cc.h"
#include "b2bua/cp.h"
#include "loop.h"
#include "tz.h"

static json_t *act_json(const struct sb_config *cfg, const struct sb_cfg_ivr_act *a)
{
	switch (a->type) {
	case SB_IVR_ACT_QUEUE:
		return json_sprintf("queue %s", cfg->queues[a->arg].name);
	case SB_IVR_ACT_MENU:
		return json_sprintf("menu %s", cfg->ivr_menus[a->arg].name);
	case SB_IVR_ACT_REPEAT:
		return json_string("repeat");
	case SB_IVR_ACT_NUMBER:
		return json_sprintf("transfer %s", cfg->hotlines[a->arg].number);
	case SB_IVR_ACT_AGENT:
		return json_sprintf("agent %s", cfg->agents[a->arg].user);
	case SB_IVR_ACT_HANGUP:
		return json_string("hangup");
	case SB_IVR_ACT_OUTSIDE:
		return json_sprintf("transfer %s", cfg->outside[a->arg]);
	default:
		return json_null();
	}
}

static json_t *menu_json(const struct sb_config *cfg, unsigned mi)
{
	static const char keys[SB_CFG_IVR_KEYS] = "0123456789*#";
	const struct sb_cfg_ivr_menu *m = &cfg->ivr_menus[mi];
	json_t *j = json_object(), *opt = json_object();

	if (j == NULL || opt == NULL) {
		json_decref(j);
		json_decref(opt);
		return NULL;
	}
	json_object_set_new(j, "name", json_string(m->name));
	json_object_set_new(j, "prompt", json_string(cfg->prompts[m->prompt].name));
	if (m->invalid >= 0)
		json_object_set_new(j, "invalid", json_string(cfg->prompts[m->invalid].name));
	json_object_set_new(j, "timeout", json_integer(m->timeout_ms / 1000u));
	json_object_set_new(j, "retries", json_integer(m->retries));
	for (unsigned k = 0; k < SB_CFG_IVR_KEYS; k++)
		if (m->key[k].type != SB_IVR_ACT_NONE) {
			char d[2] = { keys[k], '\0' };

			json_object_set_new(opt, d, act_json(cfg, &m->key[k]));
		}
	json_object_set_new(j, "options", opt);
	json_object_set_new(j, "timeout_action", act_json(cfg, &m->on_timeout));
	json_object_set_new(j, "max_retries_action", act_json(cfg, &m->on_max_retries));
	if (m->hours >= 0) {
		const struct sb_cfg_hours *h = &cfg->hours[m->hours];

		json_object_set_new(j, "hours", json_string(h->name));
		if (h->tz != NULL)
			json_object_set_new(j, "time_zone", json_string(h->tz->name));
		json_object_set_new(j, "open_now",
				    json_boolean(sb_cfg_hours_open(h, sb_cfg_hours_now())));
		json_object_set_new(j, "closed", act_json(cfg, &m->closed));
	}
	/* the hotlines that start here */
	{
		json_t *hl = json_array();

		for (unsigned i = 0; hl && i < cfg->n_hotlines; i++)
			if (cfg->hotlines[i].ivr == (int)mi && !cfg->hotlines[i].deleted)
				json_array_append_new(hl, json_string(cfg->hotlines[i].number));
		json_object_set_new(j, "hotlines", hl ? hl : json_null());
	}
	return j;
}

int sb_api_get_ivrs(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_config *cfg = cp->cfg;
	json_t *a;
	int mi;

	if (req->rest[0] == '\0') {
		a = json_array();
		for (unsigned i = 0; a && i < cfg->n_ivr_menus; i++)
			if (!cfg->ivr_menus[i].deleted &&
			    strcmp(cfg->ivr_menus[i].tenant, req->tenant) == 0)
				json_array_append_new(a, menu_json(cfg, i));
		resp->body = json_pack("{s:o}", "ivrs", a ? a : json_array());
		return 0;
	}
	mi = strchr(req->rest, '/') ? -1 : sb_config_ivr_find(cfg, req->rest, strlen(req->rest));
	if (mi < 0 || strcmp(cfg->ivr_menus[mi].tenant, req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no IVR menu '%s'", req->rest);
	resp->body = menu_json(cfg, (unsigned)mi);
	return 0;
}
