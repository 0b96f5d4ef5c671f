/* SPDX-License-Identifier: MIT */
/*
 * api/objects.c — agents, queues and hotlines created, replaced and
 * deleted at run time (api/cc.h lists the routes).  On the loop thread:
 * the body is checked by the config file's own parsers
 * (sb_config_object_parse), the config changed in place (store/ccobj.h:
 * indexes never move) and the engine and registrar told; then the row is
 * written to the store on the API's worker thread and the answer waits
 * for it (200 = applied and saved).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>

#include "api/api.h"
#include "api/cc.h"
#include "b2bua/cp.h"
#include "b2bua/queue.h"
#include "b2bua/registrar.h"
#include "log.h"
#include "store/ccobj.h"
#include "tz.h"

/* the store's file and the worker thread's own connection to it */
static struct {
	char path[256];          /* "" = no store: changes are live only */
	sqlite3 *db;             /* worker thread only */
	bool replaying;          /* start-up: settings re-applied, not saved again */
} os;

struct obj_job {
	struct sb_api_job j;
	char kind[24], name[SB_CFG_NAME_MAX], tenant[SB_CFG_NAME_MAX];
	char *body;              /* NULL: a deletion */
	bool merge;              /* a PATCH's settings row */
	int rc;
	unsigned status;
	json_t *resp;            /* the answer once saved */
};

/* {"a": 1} + {"b": 2} -> {"a": 1, "b": 2} (the newer wins); malloc'd */
static char *merge_json(const char *old, const char *add)
{
	json_t *o = old ? json_loads(old, 0, NULL) : NULL, *a = json_loads(add, 0, NULL);
	char *s = NULL;

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	if (o && json_is_object(a) && json_object_update(o, a) == 0)
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	json_decref(a);
	return s;
}

static void job_run(struct sb_api_job *j)
{
	struct obj_job *o = (struct obj_job *)j;

	if (os.db == NULL && (os.db = sb_ccobj_open(os.path)) == NULL) {
		o->rc = -EIO;
		return;
	}
	o->rc = o->merge ? sb_ccobj_merge(os.db, o->kind, o->name, o->tenant, o->body, merge_json)
			 : sb_ccobj_put(os.db, o->kind, o->name, o->tenant, o->body);
}

static void job_done(struct sb_api_job *j, struct sb_api_resp *resp)
{
	struct obj_job *o = (struct obj_job *)j;

	if (o->rc < 0) {
		json_decref(o->resp);
		sb_api_error(resp, 500, NULL, "%s '%s': applied, but not saved in the store "
			     "(a restart loses it)", o->kind, o->name);
	} else {
		resp->status = o->status;
		resp->body = o->resp;
	}
	free(o->body);
	free(o);
}

int sb_api_obj_save(const struct sb_api_req *req, struct sb_api_resp *resp, const char *kind,
		    const char *name, const char *tenant, const char *body, bool merge)
{
	struct obj_job *o;

	if (os.path[0] == '\0' || os.replaying)
		return 0;
	o = calloc(1, sizeof(*o));
	if (o == NULL || (body && (o->body = strdup(body)) == NULL)) {
		free(o);
		json_decref(resp->body);
		resp->body = NULL;
		return sb_api_error(resp, 500, NULL, "out of memory: applied, not saved");
	}
	snprintf(o->kind, sizeof(o->kind), "%s", kind);
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->tenant, sizeof(o->tenant), "%s", tenant);
	o->merge = merge;
	o->status = resp->status ? resp->status : 200;
	o->resp = resp->body;
	resp->body = NULL;
	o->j.run = job_run;
	o->j.done = job_done;
	if (sb_api_defer(req, &o->j, resp) < 0) { /* 503 set: applied, not saved */
		json_decref(o->resp);
		free(o->body);
		free(o);
		return 0;
	}
	return SB_API_PENDING;
}

static const char *const plural[] = { [SB_CFG_AGENT] = "agents", [SB_CFG_QUEUE] = "queues",
				      [SB_CFG_HOTLINE] = "hotlines" };

/* rest = NAME: copied, else -1 */
static int obj_name(const struct sb_api_req *req, char *buf, size_t cap)
{
	size_t n = strlen(req->rest);

	if (n == 0 || n >= cap || strchr(req->rest, '/'))
		return -1;
	memcpy(buf, req->rest, n + 1);
	return 0;
}

static const char *tenant_of(const struct sb_config *c, enum sb_cfg_kind kind, unsigned i)
{
	return kind == SB_CFG_AGENT ? c->agents[i].tenant :
	       kind == SB_CFG_QUEUE ? c->queues[i].tenant : c->hotlines[i].tenant;
}

static bool deleted(const struct sb_config *c, enum sb_cfg_kind kind, unsigned i)
{
	return kind == SB_CFG_AGENT ? c->agents[i].deleted :
	       kind == SB_CFG_QUEUE ? c->queues[i].deleted : c->hotlines[i].deleted;
}

static int put_obj(struct sb_cp *cp, enum sb_cfg_kind kind, const struct sb_api_req *req,
		   struct sb_api_resp *resp)
{
	struct sb_config *c = (struct sb_config *)cp->cfg; /* the loop thread's to change */
	const char *kn = sb_ccobj_kind_name(kind);
	char name[SB_CFG_NAME_MAX], err[320], field[128], full[200];
	uint16_t old[SB_CFG_QUEUE_MEMBERS];
	struct sb_cfg_object *o;
	unsigned slot, n_old;
	bool fresh;
	int i, rc;

	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "PUT needs /v1/%s/NAME", plural[kind]);
	if (!sb_config_tenant_ok(c, req->tenant)) /* deleted since (DELETE /v1/tenants) */
		return sb_api_error(resp, 403, "tenant", "tenant '%s' does not exist (any more)",
				    req->tenant);
	i = sb_config_slot_find(c, kind, name);
	if (i >= 0 && strcmp(tenant_of(c, kind, (unsigned)i), req->tenant) != 0)
		return sb_api_error(resp, 409, "name", "the %s name '%s' is taken", kn, name);
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	rc = sb_config_object_parse(c, kind, name, req->tenant, req->body, req->body_len, o, err,
				    sizeof(err), field, sizeof(field));
	if (rc == 0) {
		const char *t = kind == SB_CFG_AGENT ? o->u.agent.tenant :
				kind == SB_CFG_QUEUE ? o->u.queue.tenant : o->u.hotline.tenant;

		if (strcmp(t, req->tenant) != 0) {
			snprintf(field, sizeof(field), "tenant");
			snprintf(err, sizeof(err), "'tenant' must be the token's, '%s'", req->tenant);
			rc = -EINVAL;
		}
	}
	if (rc == 0)
		rc = sb_ccobj_check_tenant(c, kind, o, err, sizeof(err), field, sizeof(field));
	if (rc == 0)
		rc = sb_ccobj_commit(c, kind, o, &slot, &fresh, old, &n_old, err, sizeof(err));
	free(o);
	if (rc == -ENOSPC)
		return sb_api_error(resp, 409, "name", "%s", err);
	if (rc < 0) {
		snprintf(full, sizeof(full), "%s.%s%s%s", plural[kind], name, field[0] ? "." : "",
			 field);
		return sb_api_error(resp, rc == -ENOMEM ? 500 : 400, full, "%s", err);
	}
	/* the engine and the registrar; live calls keep what they have */
	if (kind == SB_CFG_AGENT) {
		sb_registrar_agent_set(&cp->reg, slot);
		rc = sb_cpq_agent_put(cp, slot, fresh);
	} else if (kind == SB_CFG_QUEUE) {
		rc = sb_cpq_queue_put(cp, slot, fresh, old, n_old);
	}
	if (rc < 0)
		sb_err("api: %s %s: the queue engine refused it: %s", kn, name, strerror(-rc));
	sb_info("api: %s %s %s (tenant %s, slot %u)", kn, name, fresh ? "created" : "replaced",
		req->tenant, slot);
	resp->status = fresh ? 201 : 200;
	resp->body = json_pack("{s:s, s:s, s:s, s:b}", "kind", kn, "name", name, "tenant",
			       req->tenant, "created", fresh);
	return sb_api_obj_save(req, resp, kn, name, req->tenant, req->body, false);
}

static int delete_obj(struct sb_cp *cp, enum sb_cfg_kind kind, const struct sb_api_req *req,
		      struct sb_api_resp *resp)
{
	struct sb_config *c = (struct sb_config *)cp->cfg;
	const char *kn = sb_ccobj_kind_name(kind), *why = NULL;
	char name[SB_CFG_NAME_MAX], buf[200];
	int i;

	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "DELETE needs /v1/%s/NAME", plural[kind]);
	i = sb_config_slot_find(c, kind, name);
	if (i < 0 || deleted(c, kind, (unsigned)i) ||
	    strcmp(tenant_of(c, kind, (unsigned)i), req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no %s '%s'", kn, name);
	if (kind == SB_CFG_AGENT)
		why = sb_cpq_agent_busy(cp, (unsigned)i);
	else if (kind == SB_CFG_QUEUE)
		why = sb_cpq_queue_busy(cp, (unsigned)i);
	if (why == NULL)
		why = sb_ccobj_refs(c, kind, (unsigned)i, buf, sizeof(buf));
	if (why)
		return sb_api_error(resp, 409, "name", "%s '%s' is in use: %s", kn, name, why);
	if (kind == SB_CFG_AGENT) {
		sb_cpq_agent_gone(cp, (unsigned)i);
		c->agents[i].deleted = true;
		sb_registrar_agent_drop(&cp->reg, (unsigned)i);
		sb_registrar_agent_set(&cp->reg, (unsigned)i); /* no credentials */
	} else if (kind == SB_CFG_QUEUE) {
		sb_cpq_queue_gone(cp, (unsigned)i);
		c->queues[i].deleted = true;
	} else {
		c->hotlines[i].deleted = true;
	}
	sb_info("api: %s %s deleted (tenant %s)", kn, name, req->tenant);
	resp->body = json_pack("{s:s, s:s, s:b}", "kind", kn, "name", name, "deleted", 1);
	return sb_api_obj_save(req, resp, kn, name, req->tenant, NULL, false);
}

static int put_agent(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return put_obj(arg, SB_CFG_AGENT, req, resp);
}
static int put_queue(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return put_obj(arg, SB_CFG_QUEUE, req, resp);
}
static int put_hotline(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return put_obj(arg, SB_CFG_HOTLINE, req, resp);
}
static int del_agent(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return delete_obj(arg, SB_CFG_AGENT, req, resp);
}
static int del_queue(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return delete_obj(arg, SB_CFG_QUEUE, req, resp);
}
static int del_hotline(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return delete_obj(arg, SB_CFG_HOTLINE, req, resp);
}

static json_t *hotline_json(const struct sb_config *c, unsigned i)
{
	const struct sb_cfg_hotline *h = &c->hotlines[i];
	json_t *j = json_pack("{s:s, s:s, s:i, s:b}", "number", h->number, "tenant", h->tenant,
			      "priority", (int)h->priority, "record", h->record);

	if (j == NULL)
		return NULL;
	if (h->ivr >= 0) {
		json_object_set_new(j, "ivr", json_string(c->ivr_menus[h->ivr].name));
	} else if (h->queue >= 0) {
		json_object_set_new(j, "queue", json_string(c->queues[h->queue].name));
	} else {
		json_t *a = json_array();

		for (unsigned k = 0; a && k < h->n_agents; k++)
			json_array_append_new(a, json_string(c->agents[h->agents[k]].user));
		json_object_set_new(j, "agents", a);
	}
	return j;
}

/* GET /v1/hotlines[/NUMBER] */
static int get_hotlines(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_config *c = cp->cfg;
	char name[SB_CFG_NAME_MAX];
	json_t *a;
	int i;

	if (req->rest[0] == '\0') {
		a = json_array();
		for (unsigned k = 0; a && k < c->n_hotlines; k++)
			if (!c->hotlines[k].deleted && strcmp(c->hotlines[k].tenant, req->tenant) == 0)
				json_array_append_new(a, hotline_json(c, k));
		resp->body = json_pack("{s:o}", "hotlines", a);
		return 0;
	}
	if (obj_name(req, name, sizeof(name)) < 0 ||
	    (i = sb_config_hotline_find(c, name, strlen(name))) < 0 ||
	    strcmp(c->hotlines[i].tenant, req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no hotline '%s'", req->rest);
	resp->body = hotline_json(c, (unsigned)i);
	return 0;
}

/* ---- IVR menus and business hours (`ivrs:`, `hours:`; config_ivr.c) ---- */

/* PUT /v1/ivrs/NAME, /v1/hours/NAME: the body is the YAML entry's fields.
 * A menu in use by calls is replaced in one struct copy on this (the
 * loop) thread: a call in it keeps its prompt and retry count, its next
 * digit or timeout goes by the new options, and every later entry plays
 * the new prompt. */
static int put_ivrobj(struct sb_cp *cp, enum sb_cfg_kind kind, const struct sb_api_req *req,
		      struct sb_api_resp *resp)
{
	struct sb_config *c = (struct sb_config *)cp->cfg; /* the loop thread's to change */
	const char *pl = kind == SB_CFG_IVR ? "ivrs" : "hours";
	const char *kn = sb_ccobj_kind_name(kind);
	char name[SB_CFG_NAME_MAX], err[320], field[128], full[200];
	struct sb_cfg_ivr_object *o;
	unsigned slot;
	bool fresh;
	int i, rc;

	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "PUT needs /v1/%s/NAME", pl);
	if (!sb_config_tenant_ok(c, req->tenant))
		return sb_api_error(resp, 403, "tenant", "tenant '%s' does not exist (any more)",
				    req->tenant);
	i = sb_config_slot_find(c, kind, name);
	if (i >= 0 && strcmp(kind == SB_CFG_IVR ? c->ivr_menus[i].tenant : c->hours[i].tenant,
			     req->tenant) != 0)
		return sb_api_error(resp, 409, "name", "the %s name '%s' is taken",
				    kind == SB_CFG_IVR ? "menu" : "hours", name);
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	rc = sb_config_ivr_object_parse(c, kind, name, req->tenant, req->body, req->body_len, o,
					err, sizeof(err), field, sizeof(field));
	if (rc == 0 && strcmp(kind == SB_CFG_IVR ? o->u.menu.tenant : o->u.hours.tenant,
			      req->tenant) != 0) {
		snprintf(field, sizeof(field), "tenant");
		snprintf(err, sizeof(err), "'tenant' must be the token's, '%s'", req->tenant);
		rc = -EINVAL;
	}
	if (rc == 0 && kind == SB_CFG_IVR)
		rc = sb_ccobj_ivr_check_tenant(c, i >= 0 ? (unsigned)i : c->n_ivr_menus, &o->u.menu,
					       err, sizeof(err), field, sizeof(field));
	if (rc == 0)
		rc = sb_ccobj_ivr_commit(c, kind, o, &slot, &fresh, err, sizeof(err));
	if (kind == SB_CFG_HOURS)
		free(o->u.hours.tz); /* NULL once committed */
	free(o);
	if (rc == -ENOSPC)
		return sb_api_error(resp, 409, "name", "%s", err);
	if (rc < 0) {
		snprintf(full, sizeof(full), "%s.%s%s%s", pl, name, field[0] ? "." : "", field);
		return sb_api_error(resp, rc == -ENOMEM ? 500 : 400, full, "%s", err);
	}
	sb_info("api: %s %s %s (tenant %s, slot %u)", kn, name, fresh ? "created" : "replaced",
		req->tenant, slot);
	resp->status = fresh ? 201 : 200;
	resp->body = json_pack("{s:s, s:s, s:s, s:b}", "kind", kn, "name", name, "tenant",
			       req->tenant, "created", fresh);
	return sb_api_obj_save(req, resp, kn, name, req->tenant, req->body, false);
}

/* DELETE: 409 while a hotline, another menu or (hours) a menu names it.
 * Marked deleted, its slot kept: a call in a deleted menu goes on with it
 * as it was (nothing leads there any more). */
static int delete_ivrobj(struct sb_cp *cp, enum sb_cfg_kind kind, const struct sb_api_req *req,
			 struct sb_api_resp *resp)
{
	struct sb_config *c = (struct sb_config *)cp->cfg;
	const char *kn = sb_ccobj_kind_name(kind), *why;
	char name[SB_CFG_NAME_MAX], buf[200];
	int i;

	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "DELETE needs /v1/%s/NAME",
				    kind == SB_CFG_IVR ? "ivrs" : "hours");
	i = kind == SB_CFG_IVR ? sb_config_ivr_find(c, name, strlen(name))
			       : sb_config_hours_find(c, name, strlen(name));
	if (i < 0 || strcmp(kind == SB_CFG_IVR ? c->ivr_menus[i].tenant : c->hours[i].tenant,
			    req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no %s '%s'",
				    kind == SB_CFG_IVR ? "IVR menu" : "hours", name);
	if ((why = sb_ccobj_refs(c, kind, (unsigned)i, buf, sizeof(buf))))
		return sb_api_error(resp, 409, "name", "%s '%s' is in use: %s",
				    kind == SB_CFG_IVR ? "IVR menu" : "hours", name, why);
	if (kind == SB_CFG_IVR)
		c->ivr_menus[i].deleted = true;
	else
		c->hours[i].deleted = true;
	sb_info("api: %s %s deleted (tenant %s)", kn, name, req->tenant);
	resp->body = json_pack("{s:s, s:s, s:b}", "kind", kn, "name", name, "deleted", 1);
	return sb_api_obj_save(req, resp, kn, name, req->tenant, NULL, false);
}

static int put_ivr(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return put_ivrobj(arg, SB_CFG_IVR, req, resp);
}
static int put_hours(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return put_ivrobj(arg, SB_CFG_HOURS, req, resp);
}
static int del_ivr(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return delete_ivrobj(arg, SB_CFG_IVR, req, resp);
}
static int del_hours(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	return delete_ivrobj(arg, SB_CFG_HOURS, req, resp);
}

/* "HH:MM" of minutes of the day */
static void hm(char *out, size_t cap, unsigned min)
{
	snprintf(out, cap, "%02u:%02u", min / 60 % 100, min % 60);
}

/* an hours set as its YAML entry's fields (a PUT of it gives it back), plus
 * its name and open_now */
static json_t *hours_json(const struct sb_config *c, unsigned i)
{
	static const char *const dn[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	const struct sb_cfg_hours *h = &c->hours[i];
	json_t *j = json_pack("{s:s, s:s}", "name", h->name, "tenant", h->tenant);
	json_t *open = json_array(), *hol = json_array();
	char a[8], b[8], t[16];

	if (j == NULL || open == NULL || hol == NULL) {
		json_decref(j);
		json_decref(open);
		json_decref(hol);
		return NULL;
	}
	if (h->tz) {
		json_object_set_new(j, "time_zone", json_string(h->tz->name));
	} else {
		unsigned off = (unsigned)(h->utc_offset_s < 0 ? -h->utc_offset_s : h->utc_offset_s);

		hm(a, sizeof(a), off / 60);
		snprintf(t, sizeof(t), "%c%s", h->utc_offset_s < 0 ? '-' : '+', a);
		json_object_set_new(j, "utc_offset", json_string(t));
	}
	for (unsigned r = 0; r < h->n_rules; r++) {
		json_t *days = json_array();
		char range[16];

		for (unsigned d = 0; days && d < 7; d++)
			if (h->rule[r].days & (1u << d))
				json_array_append_new(days, json_string(dn[d]));
		hm(a, sizeof(a), h->rule[r].from_min);
		hm(b, sizeof(b), h->rule[r].to_min);
		snprintf(range, sizeof(range), "%s-%s", a, b);
		json_array_append_new(open, json_pack("{s:o, s:[s]}", "days", days, "times", range));
	}
	for (unsigned k = 0; k < h->n_holidays; k++) {
		time_t s = (time_t)h->holiday[k] * 86400;
		struct tm tm;

		gmtime_r(&s, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d", &tm);
		json_array_append_new(hol, json_string(t));
	}
	json_object_set_new(j, "open", open);
	json_object_set_new(j, "holidays", hol);
	json_object_set_new(j, "open_now", json_boolean(sb_cfg_hours_open(h, sb_cfg_hours_now())));
	return j;
}

/* GET /v1/hours[/NAME]: the token's tenant's sets */
static int get_hours(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_config *c = cp->cfg;
	char name[SB_CFG_NAME_MAX];
	json_t *a;
	int i;

	if (req->rest[0] == '\0') {
		a = json_array();
		for (unsigned k = 0; a && k < c->n_hours; k++)
			if (!c->hours[k].deleted && strcmp(c->hours[k].tenant, req->tenant) == 0)
				json_array_append_new(a, hours_json(c, k));
		resp->body = json_pack("{s:o}", "hours", a ? a : json_array());
		return 0;
	}
	if (obj_name(req, name, sizeof(name)) < 0 ||
	    (i = sb_config_hours_find(c, name, strlen(name))) < 0 ||
	    strcmp(c->hours[i].tenant, req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no hours '%s'", req->rest);
	resp->body = hours_json(c, (unsigned)i);
	return 0;
}

/* ---- tenants (`tenants:`; admin tokens create and delete them) ---- */

/* Is the request's bearer token one with `admin: true`? */
static bool is_admin(const struct sb_cp *cp, const struct sb_api_req *req)
{
	const char *h = sb_api_header(req, "Authorization");
	const struct sb_cfg_api *a = &cp->cfg->api;
	bool admin = false;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	for (unsigned i = 0; i < a->n_tokens; i++) {
		const char *t = a->tokens[i].token;
		size_t n = strlen(t), m = strlen(h);
		unsigned char d = n != m;

		for (size_t k = 0; k < n; k++) /* every byte: no early exit on a mismatch */
			d |= (unsigned char)(t[k] ^ (k < m ? h[k] : 0));
		admin |= d == 0 && a->tokens[i].admin;
	}
	return admin;
}

/* what of the config names tenant t: a message, NULL when nothing */
static const char *tenant_used(const struct sb_config *c, const char *t, char *buf, size_t cap)
{
	for (unsigned i = 0; i < c->n_agents; i++)
		if (!c->agents[i].deleted && strcmp(c->agents[i].tenant, t) == 0)
			return snprintf(buf, cap, "agent '%s' belongs to it", c->agents[i].user), buf;
	for (unsigned i = 0; i < c->n_queues; i++)
		if (!c->queues[i].deleted && strcmp(c->queues[i].tenant, t) == 0)
			return snprintf(buf, cap, "queue '%s' belongs to it", c->queues[i].name), buf;
	for (unsigned i = 0; i < c->n_hotlines; i++)
		if (!c->hotlines[i].deleted && strcmp(c->hotlines[i].tenant, t) == 0)
			return snprintf(buf, cap, "hotline '%s' belongs to it",
					c->hotlines[i].number), buf;
	for (unsigned i = 0; i < c->n_ivr_menus; i++)
		if (!c->ivr_menus[i].deleted && strcmp(c->ivr_menus[i].tenant, t) == 0)
			return snprintf(buf, cap, "IVR menu '%s' belongs to it",
					c->ivr_menus[i].name), buf;
	for (unsigned i = 0; i < c->n_hours; i++)
		if (!c->hours[i].deleted && strcmp(c->hours[i].tenant, t) == 0)
			return snprintf(buf, cap, "hours '%s' belong to it", c->hours[i].name), buf;
	return NULL;
}

/* GET /v1/tenants[/NAME]: an admin token sees every tenant, others their own */
static int get_tenants(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_config *c = cp->cfg;
	bool admin = is_admin(cp, req);
	char name[SB_CFG_NAME_MAX];
	json_t *a;

	if (req->rest[0] == '\0') {
		a = json_array();
		if (admin)
			for (unsigned i = 0; a && i < c->n_tenants; i++) {
				if (!c->tenants[i].deleted)
					json_array_append_new(a, json_string(c->tenants[i].name));
			}
		else if (a)
			json_array_append_new(a, json_string(req->tenant));
		resp->body = json_pack("{s:o, s:b}", "tenants", a, "admin", admin);
		return 0;
	}
	if (obj_name(req, name, sizeof(name)) < 0 || (!admin && strcmp(name, req->tenant) != 0) ||
	    !sb_config_tenant_ok(c, name) || (c->n_tenants == 0 && strcmp(name, req->tenant) != 0))
		return sb_api_error(resp, 404, "name", "no tenant '%s'", req->rest);
	resp->body = json_pack("{s:s}", "name", name);
	return 0;
}

/* PUT /v1/tenants/NAME ({} or {"name": NAME}): admin tokens only */
static int put_tenant(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct sb_config *c = (struct sb_config *)cp->cfg;
	char name[SB_CFG_NAME_MAX];
	json_t *body = NULL, *v;
	const char *k;
	bool fresh = true;
	unsigned i;

	if (!is_admin(cp, req))
		return sb_api_error(resp, 403, "Authorization", "tenants need an admin token");
	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "PUT needs /v1/tenants/NAME");
	if (c->n_tenants == 0) /* the first one would lock out every other name */
		return sb_api_error(resp, 409, "name", "the config has no 'tenants:' list: "
				    "every tenant name is accepted already");
	if (!sb_config_tenant_name_ok(name))
		return sb_api_error(resp, 400, "tenants.name", "a tenant name is 1..%u letters, "
				    "digits, '-', '_', '.'", SB_CFG_NAME_MAX - 1);
	if (req->body_len && sb_api_body_object(req, resp, &body) < 0)
		return 0;
	json_object_foreach(body, k, v) {
		if (strcmp(k, "name") != 0 || !json_is_string(v) ||
		    strcmp(json_string_value(v), name) != 0) {
			char f[SB_CFG_NAME_MAX + 80], m[160];

			snprintf(f, sizeof(f), "tenants.%s.%.60s", name, k);
			snprintf(m, sizeof(m), strcmp(k, "name") ? "unknown key '%.60s'" :
				 "'%.60s' must be the name in the URL", k);
			json_decref(body); /* k is body's */
			return sb_api_error(resp, 400, f, "%s", m);
		}
	}
	json_decref(body);
	for (i = 0; i < c->n_tenants && strcmp(c->tenants[i].name, name) != 0; i++)
		;
	if (i < c->n_tenants) {
		fresh = c->tenants[i].deleted;
		c->tenants[i].deleted = false;
	} else if (c->n_tenants == SB_CFG_TENANTS) {
		return sb_api_error(resp, 409, "name", "no room for more tenants (%u)",
				    SB_CFG_TENANTS);
	} else {
		snprintf(c->tenants[c->n_tenants++].name, SB_CFG_NAME_MAX, "%s", name);
	}
	sb_info("api: tenant %s %s", name, fresh ? "created" : "kept");
	resp->status = fresh ? 201 : 200;
	resp->body = json_pack("{s:s, s:s, s:b}", "kind", "tenant", "name", name, "created", fresh);
	return sb_api_obj_save(req, resp, "tenant", name, name, "{}", false);
}

static int del_tenant(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct sb_config *c = (struct sb_config *)cp->cfg;
	char name[SB_CFG_NAME_MAX], buf[200];
	const char *why;
	int i;

	if (!is_admin(cp, req))
		return sb_api_error(resp, 403, "Authorization", "tenants need an admin token");
	if (obj_name(req, name, sizeof(name)) < 0)
		return sb_api_error(resp, 405, NULL, "DELETE needs /v1/tenants/NAME");
	if ((i = sb_config_tenant_find(c, name)) < 0)
		return sb_api_error(resp, 404, "name", "no tenant '%s'", name);
	if ((why = tenant_used(c, name, buf, sizeof(buf))))
		return sb_api_error(resp, 409, "name", "tenant '%s' is in use: %s", name, why);
	c->tenants[i].deleted = true; /* its tokens can no longer create objects */
	sb_info("api: tenant %s deleted", name);
	resp->body = json_pack("{s:s, s:s, s:b}", "kind", "tenant", "name", name, "deleted", 1);
	return sb_api_obj_save(req, resp, "tenant", name, name, NULL, false);
}

int sb_api_objects_register(struct sb_api *api, struct sb_cp *cp)
{
	int rc;

	snprintf(os.path, sizeof(os.path), "%s", cp->cfg->sqlite);
	if ((rc = sb_api_route(api, "PUT", "/v1/agents", put_agent, cp)) < 0 ||
	    (rc = sb_api_route(api, "PUT", "/v1/queues", put_queue, cp)) < 0 ||
	    (rc = sb_api_route(api, "PUT", "/v1/hotlines", put_hotline, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/agents", del_agent, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/queues", del_queue, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/hotlines", del_hotline, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/hotlines", get_hotlines, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/tenants", get_tenants, cp)) < 0 ||
	    (rc = sb_api_route(api, "PUT", "/v1/tenants", put_tenant, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/tenants", del_tenant, cp)) < 0 ||
	    (rc = sb_api_route(api, "PUT", "/v1/ivrs", put_ivr, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/ivrs", del_ivr, cp)) < 0 ||
	    (rc = sb_api_route(api, "PUT", "/v1/hours", put_hours, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/hours", del_hours, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/hours", get_hours, cp)) < 0)
		return rc;
	return 0;
}

static void replay_one(void *arg, const char *kind, const char *name, const char *tenant,
		       const char *body)
{
	struct sb_cp *cp = arg;
	struct sb_api_resp resp = { .fd = -1 };
	bool queue = strcmp(kind, "queue-settings") == 0;

	if (sb_api_cc_patch(cp, queue, name, tenant, body, &resp) < 0 ||
	    (resp.status && resp.status != 200)) {
		json_t *e = resp.body ? json_object_get(resp.body, "error") : NULL;
		json_t *f = resp.body ? json_object_get(resp.body, "field") : NULL;

		sb_warn("store: %s of %s '%s' skipped: %s%s%s", kind, queue ? "queue" : "agent",
			name, f ? json_string_value(f) : "", f ? ": " : "",
			e ? json_string_value(e) : "refused");
	}
	json_decref(resp.body);
}

void sb_api_objects_replay(struct sb_cp *cp)
{
	if (cp->cfg->sqlite[0] == '\0')
		return;
	os.replaying = true;
	sb_ccobj_settings_each(cp->cfg->sqlite, replay_one, cp);
	os.replaying = false;
}

void sb_api_objects_close(void)
{
	sb_ccobj_close(os.db); /* after sb_api_free: the worker is gone */
	os.db = NULL;
}
