/* SPDX-License-Identifier: MIT */
/* api/cc.c — contact-centre routes (see cc.h).  On the loop thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/acd.h"
#include "acd/qstats.h"
#include "api/api.h"
#include "api/cc.h"
#include "api/cc_parse.h"
#include "b2bua/cp.h"
#include "b2bua/queue.h"

#define EVENTS_MAX 1000u

static const char *const state_names[] = {
	[SB_ACD_LOGGED_OUT] = "logged-out", [SB_ACD_AVAILABLE] = "available",
	[SB_ACD_RESERVED] = "reserved", [SB_ACD_RINGING] = "ringing",
	[SB_ACD_ON_CALL] = "on-call", [SB_ACD_WRAP_UP] = "wrap-up",
	[SB_ACD_PAUSED] = "paused",
};

static const char *const strategy_names[] = { "ring-all", "longest-idle", "round-robin",
					      "fewest-calls", "least-talk-time", "random",
					      "linear" };

/* Text that came in over SIP (Call-ID, caller user): as a JSON string,
 * or "?" when it is not UTF-8 (jansson refuses it; the row still shows). */
static json_t *sip_text(const char *p, size_t len)
{
	json_t *j = json_stringn(p, len);

	return j ? j : json_string("?");
}

/* the name in rest up to the next '/' (or the end): index or -1 */
static int name_of(const char *rest, const char **tail, char *buf, size_t cap)
{
	const char *e = strchr(rest, '/');
	size_t n = e ? (size_t)(e - rest) : strlen(rest);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(buf, rest, n);
	buf[n] = '\0';
	*tail = e ? e : rest + n;
	return 0;
}

/* {"name": level, ...} of the skill ids with a level */
static json_t *skills_json(const struct sb_config *cfg, const uint8_t *lvl, unsigned n,
			   const uint8_t *ids)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && i < n; i++) {
		unsigned id = ids ? ids[i] : i;

		if (id < cfg->n_skills && lvl[i])
			json_object_set_new(o, cfg->skills[id], json_integer(lvl[i]));
	}
	return o;
}

/* a queue's requirements and steps as the config writes them */
static void queue_skills_json(const struct sb_config *cfg, const struct sb_cfg_skills *sk,
			      json_t *j)
{
	uint8_t ids[SB_CFG_SKILL_REQ], lvl[SB_CFG_SKILL_REQ];
	json_t *steps = json_array();

	for (unsigned i = 0; i < sk->n_req; i++) {
		ids[i] = sk->req[i].skill;
		lvl[i] = sk->req[i].level;
	}
	json_object_set_new(j, "skills", skills_json(cfg, lvl, sk->n_req, ids));
	for (unsigned i = 0; steps && i < sk->n_steps; i++)
		json_array_append_new(steps, json_pack("{s:I, s:i}", "after",
			(json_int_t)(sk->steps[i].after_ms / 1000u), "drop", sk->steps[i].drop));
	if (steps && sk->any_after_ms)
		json_array_append_new(steps, json_pack("{s:I, s:b}", "after",
			(json_int_t)(sk->any_after_ms / 1000u), "any", 1));
	json_object_set_new(j, "steps", steps);
}

/* PATCH skills / steps onto sk, with config.c's rules (a queue may only
 * require a configured skill; steps widen: after increasing, each one
 * lower than the last, "any" last).  0, or -EINVAL with a 400 in resp. */
static int queue_skills_patch(const struct sb_config *cfg, const struct sb_api_queue_patch *p,
			      unsigned set, struct sb_cfg_skills *sk, struct sb_api_resp *resp)
{
	struct sb_cfg_skills n = *sk;
	unsigned maxl = 0;
	uint32_t prev = 0;

	if (set & SB_API_Q_SKILLS) {
		n.n_req = 0;
		for (unsigned i = 0; i < p->n_skills; i++) {
			int id = sb_config_skill_find(cfg, p->skills[i].name,
						      strlen(p->skills[i].name));

			if (id < 0) {
				sb_api_error(resp, 400, "skills", "no skill '%s' (the config's "
					     "'skills' and agents' skills name them)",
					     p->skills[i].name);
				return -EINVAL;
			}
			n.req[n.n_req].skill = (uint8_t)id;
			n.req[n.n_req++].level = p->skills[i].level;
		}
		if (n.n_req == 0) /* no requirement: nothing to widen */
			n.n_steps = n.any_after_ms = 0;
	}
	for (unsigned i = 0; i < n.n_req; i++)
		if (n.req[i].level > maxl)
			maxl = n.req[i].level;
	if (set & SB_API_Q_STEPS) {
		n.n_steps = n.any_after_ms = 0;
		if (p->n_steps && n.n_req == 0) {
			sb_api_error(resp, 400, "steps", "'steps' need 'skills' to widen");
			return -EINVAL;
		}
		for (unsigned i = 0; i < p->n_steps; i++) {
			const struct sb_api_step *st = &p->steps[i];
			unsigned drop;

			if (st->after_s * 1000u <= prev || n.any_after_ms) {
				sb_api_error(resp, 400, "steps", "step %u: 'after' values must "
					     "increase, and the 'any' step come last", i);
				return -EINVAL;
			}
			prev = st->after_s * 1000u;
			if (st->kind == SB_API_STEP_ANY) {
				n.any_after_ms = prev;
				continue;
			}
			if (st->kind == SB_API_STEP_LEVEL && st->value >= maxl) {
				sb_api_error(resp, 400, "steps", "step %u: 'level' must be below the "
					     "highest required level, %u", i, maxl);
				return -EINVAL;
			}
			drop = st->kind == SB_API_STEP_LEVEL ? maxl - st->value : st->value;
			if (n.n_steps == SB_CFG_SKILL_STEPS ||
			    (n.n_steps && drop <= n.steps[n.n_steps - 1].drop)) {
				sb_api_error(resp, 400, "steps", "step %u: at most %u level/drop "
					     "steps, each accepting lower levels than the last", i,
					     SB_CFG_SKILL_STEPS);
				return -EINVAL;
			}
			n.steps[n.n_steps].after_ms = prev;
			n.steps[n.n_steps++].drop = (uint8_t)drop;
		}
	}
	*sk = n;
	return 0;
}

static json_t *queue_json(struct sb_cp *cp, unsigned qi)
{
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	const struct sb_qstats *qs = sb_cpq_qstats(cp);
	const struct sb_qfig_queue *f = qs ? sb_qstats_queue(qs, qi) : NULL;
	struct sb_qfig_queue zero;
	uint64_t now = sb_loop_now_ms(cp->loop), handle = 0, avail = 0, longest;
	uint32_t waiting;
	json_t *members = json_array(), *j;
	unsigned staffed = 0;
	struct sb_cpq_qset set;
	struct sb_acd *acd = sb_cpq_acd(cp);

	if (f == NULL) {
		memset(&zero, 0, sizeof(zero));
		f = &zero;
	}
	for (unsigned m = 0; m < cq->n_members; m++) {
		unsigned ag = cq->members[m];
		const struct sb_qfig_agent *fa = qs ? sb_qstats_agent(qs, ag) : NULL;
		enum sb_acd_agent_state st = acd ? sb_acd_agent_state(acd, ag, now, NULL)
						 : SB_ACD_LOGGED_OUT;

		json_array_append_new(members, json_string(cp->cfg->agents[ag].user));
		if (st != SB_ACD_LOGGED_OUT && st != SB_ACD_PAUSED)
			staffed++;
		if (fa) {
			handle += fa->handle_ms;
			avail += sb_qfig_agent_avail_ms(fa, now);
		}
	}
	sb_cpq_queue_now(cp, qi, &waiting, &longest);
	if (sb_cpq_queue_get(cp, qi, &set) < 0)
		set = (struct sb_cpq_qset){ .strategy = cq->strategy, .ring_ms = cq->ring_ms,
					   .wrapup_ms = cq->wrapup_ms, .max_len = cq->max_len,
					   .max_wait_ms = cq->max_wait_ms, .sl_ms = cq->sl_ms,
					   .short_ms = cq->short_abandon_ms };
	j = json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:f}",
			 "name", cq->name, "tenant", cq->tenant,
			 "strategy", strategy_names[set.strategy], "members", members,
			 "staffed", (int)staffed, "waiting", (int)waiting,
			 "longest_wait_ms", (json_int_t)longest,
			 "offered", (json_int_t)f->offered, "answered", (json_int_t)f->answered,
			 "abandoned", (json_int_t)f->abandoned,
			 "short_abandoned", (json_int_t)f->short_abandoned,
			 "answered_within", (json_int_t)f->answered_within,
			 "timed_out", (json_int_t)f->timed_out,
			 "overflowed", (json_int_t)f->overflowed,
			 "service_level_ms", (json_int_t)set.sl_ms,
			 "sl_answered", sb_qfig_sl_answered(f),
			 "sl_with_abandons", sb_qfig_sl_with_abandons(f),
			 "asa_ms", (json_int_t)sb_qfig_asa_ms(f),
			 "aht_ms", (json_int_t)sb_qfig_aht_ms(f),
			 "talk_ms", (json_int_t)f->talk_ms,
			 "completed", (json_int_t)f->completed,
			 "occupancy", avail ? (double)handle / (double)avail : 0.0);
	if (j)  /* the settings (PATCH /v1/queues/NAME) */
		json_object_set_new(j, "settings", json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I}", "ring_timeout_ms", (json_int_t)set.ring_ms,
			"wrap_up_ms", (json_int_t)set.wrapup_ms, "max_len", (json_int_t)set.max_len,
			"max_wait_ms", (json_int_t)set.max_wait_ms,
			"service_level_ms", (json_int_t)set.sl_ms,
			"short_abandon_ms", (json_int_t)set.short_ms));
	if (j) /* skills-based routing (PATCH "skills", "steps") */
		queue_skills_json(cp->cfg, sb_cpq_queue_get(cp, qi, &set) == 0 ? &set.skills
										: &cq->skills, j);
	return j;
}

static json_t *agent_json(struct sb_cp *cp, unsigned ag)
{
	const struct sb_qstats *qs = sb_cpq_qstats(cp);
	const struct sb_qfig_agent *f = qs ? sb_qstats_agent(qs, ag) : NULL;
	struct sb_acd *acd = sb_cpq_acd(cp);
	uint64_t now = sb_loop_now_ms(cp->loop);
	uint16_t reason = 0;
	enum sb_acd_agent_state st = acd ? sb_acd_agent_state(acd, ag, now, &reason)
					 : SB_ACD_LOGGED_OUT;
	struct sb_qfig_agent zero;
	struct sb_cpq_aset as;
	json_t *j;

	if (f == NULL) {
		memset(&zero, 0, sizeof(zero));
		f = &zero;
	}
	j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
		      "name", cp->cfg->agents[ag].user, "tenant", cp->cfg->agents[ag].tenant,
		      "state", state_names[st], "offered", (json_int_t)f->offered,
		      "answered", (json_int_t)f->answered, "noanswers", (json_int_t)f->noanswers,
		      "completed", (json_int_t)f->completed, "talk_ms", (json_int_t)f->talk_ms,
		      "handle_ms", (json_int_t)f->handle_ms,
		      "available_ms", (json_int_t)sb_qfig_agent_avail_ms(f, now),
		      "occupancy", sb_qfig_agent_occupancy(f, now));
	if (j && sb_cpq_agent_get(cp, ag, &as) == 0) {
		json_t *set = json_pack("{s:I, s:I, s:I, s:I}",
					"max_noanswer", (json_int_t)as.max_noanswer,
					"noanswer_delay_ms", (json_int_t)as.noanswer_delay_ms,
					"reject_delay_ms", (json_int_t)as.reject_delay_ms,
					"busy_delay_ms", (json_int_t)as.busy_delay_ms);

		if (set)
			json_object_set_new(set, "wrap_up_ms", as.wrapup_ms == SB_CFG_WRAPUP_QUEUE
					    ? json_string("queue") : json_integer(as.wrapup_ms));
		json_object_set_new(j, "settings", set);
	}
	if (j) /* PATCH "skills" */
		json_object_set_new(j, "skills", skills_json(cp->cfg, sb_cpq_agent_get(cp, ag, &as)
					== 0 ? as.skills : cp->cfg->agents[ag].skills,
					cp->cfg->n_skills, NULL));
	if (j && st == SB_ACD_PAUSED) {
		if (reason == SB_ACD_REASON_NOANSWER)
			json_object_set_new(j, "reason", json_string("noanswer"));
		else
			json_object_set_new(j, "reason", json_integer(reason));
	}
	return j;
}

static int find_queue(struct sb_cp *cp, const char *tenant, const char *name)
{
	int qi = sb_config_queue_find(cp->cfg, name, strlen(name));

	return qi >= 0 && strcmp(cp->cfg->queues[qi].tenant, tenant) == 0 ? qi : -1;
}

static int find_agent(struct sb_cp *cp, const char *tenant, const char *name)
{
	int ag = sb_config_agent_find(cp->cfg, name, strlen(name));

	return ag >= 0 && strcmp(cp->cfg->agents[ag].tenant, tenant) == 0 ? ag : -1;
}

static int get_queues(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const char *tail;
	char name[SB_CFG_NAME_MAX];
	json_t *a;
	int qi;

	if (req->rest[0] == '\0') {
		a = json_array();
		for (unsigned i = 0; i < cp->cfg->n_queues; i++)
			if (!cp->cfg->queues[i].deleted &&
			    strcmp(cp->cfg->queues[i].tenant, req->tenant) == 0)
				json_array_append_new(a, queue_json(cp, i));
		resp->body = json_pack("{s:o}", "queues", a);
		return 0;
	}
	if (name_of(req->rest, &tail, name, sizeof(name)) < 0 || *tail ||
	    (qi = find_queue(cp, req->tenant, name)) < 0)
		return sb_api_error(resp, 404, "name", "no queue '%s'", req->rest);
	resp->body = queue_json(cp, (unsigned)qi);
	return 0;
}

static int get_agents(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const char *tail;
	char name[SB_CFG_NAME_MAX];
	json_t *a;
	int ag;

	if (req->rest[0] == '\0') {
		a = json_array();
		for (unsigned i = 0; i < cp->cfg->n_agents; i++)
			if (!cp->cfg->agents[i].deleted &&
			    strcmp(cp->cfg->agents[i].tenant, req->tenant) == 0)
				json_array_append_new(a, agent_json(cp, i));
		resp->body = json_pack("{s:o}", "agents", a);
		return 0;
	}
	if (name_of(req->rest, &tail, name, sizeof(name)) < 0 || *tail ||
	    (ag = find_agent(cp, req->tenant, name)) < 0)
		return sb_api_error(resp, 404, "name", "no agent '%s'", req->rest);
	resp->body = agent_json(cp, (unsigned)ag);
	return 0;
}

/* POST /v1/agents/NAME/state {"state": ..., "reason": N} (cc_parse.h) */
static int post_agent(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	static const char *const cmds[] = { [SB_API_LOGIN] = "login", [SB_API_LOGOUT] = "logout",
					    [SB_API_PAUSE] = "pause",
					    [SB_API_UNPAUSE] = "unpause" };
	static const enum sb_cpq_cmd to_cpq[] = {
		[SB_API_LOGIN] = SB_CPQ_LOGIN, [SB_API_LOGOUT] = SB_CPQ_LOGOUT,
		[SB_API_PAUSE] = SB_CPQ_PAUSE, [SB_API_UNPAUSE] = SB_CPQ_UNPAUSE };
	struct sb_cp *cp = arg;
	const char *tail, *why;
	char name[SB_CFG_NAME_MAX];
	enum sb_api_agent_cmd cmd;
	uint16_t reason;
	int ag;

	if (name_of(req->rest, &tail, name, sizeof(name)) < 0 || strcmp(tail, "/state") != 0)
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	if ((ag = find_agent(cp, req->tenant, name)) < 0)
		return sb_api_error(resp, 404, "name", "no agent '%s'", name);
	if (sb_api_parse_agent_state(req->body, req->body_len, &cmd, &reason, resp) < 0)
		return 0;
	if (sb_cpq_agent_cmd(cp, (unsigned)ag, to_cpq[cmd], reason, &why) < 0)
		return sb_api_error(resp, 409, "state", "cannot %s agent '%s': %s", cmds[cmd],
				    name, why);
	resp->body = agent_json(cp, (unsigned)ag);
	return 0;
}

/* PATCH /v1/queues/NAME: run-time settings (cc_parse.h), live calls kept */
static int patch_queue(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct sb_api_queue_patch p;
	struct sb_cpq_qset qs;
	const char *tail;
	char name[SB_CFG_NAME_MAX];
	unsigned set;
	int qi;

	if (name_of(req->rest, &tail, name, sizeof(name)) < 0 || *tail ||
	    (qi = find_queue(cp, req->tenant, name)) < 0)
		return sb_api_error(resp, 404, "name", "no queue '%s'", req->rest);
	if (sb_api_parse_queue_patch(req->body, req->body_len, &p, &set, resp) < 0)
		return 0;
	if (sb_cpq_queue_get(cp, (unsigned)qi, &qs) < 0)
		return -ENODEV;
	if (set & SB_API_Q_STRATEGY)
		qs.strategy = p.strategy;
	if (set & SB_API_Q_RING)
		qs.ring_ms = p.ring_s * 1000u;
	if (set & SB_API_Q_WRAPUP)
		qs.wrapup_ms = p.wrapup_s * 1000u;
	if (set & SB_API_Q_MAXLEN)
		qs.max_len = p.max_len;
	if (set & SB_API_Q_MAXWAIT)
		qs.max_wait_ms = p.max_wait_s * 1000u;
	if (set & SB_API_Q_SL)
		qs.sl_ms = p.sl_s * 1000u;
	if (set & SB_API_Q_SHORT)
		qs.short_ms = p.short_s * 1000u;
	if ((set & (SB_API_Q_SKILLS | SB_API_Q_STEPS)) &&
	    queue_skills_patch(cp->cfg, &p, set, &qs.skills, resp) < 0)
		return 0;
	if (sb_cpq_queue_set(cp, (unsigned)qi, &qs) < 0)
		return sb_api_error(resp, 400, "strategy", "refused by the distribution engine");
	resp->body = queue_json(cp, (unsigned)qi);
	/* kept across restarts: the store's queue-settings row (api/objects.c) */
	return sb_api_obj_save(req, resp, "queue-settings", name, req->tenant, req->body, true);
}

/* PATCH /v1/agents/NAME: run-time settings (cc_parse.h) */
static int patch_agent(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct sb_api_agent_patch p;
	struct sb_cpq_aset as;
	const char *tail;
	char name[SB_CFG_NAME_MAX];
	unsigned set;
	int ag;

	if (name_of(req->rest, &tail, name, sizeof(name)) < 0 || *tail ||
	    (ag = find_agent(cp, req->tenant, name)) < 0)
		return sb_api_error(resp, 404, "name", "no agent '%s'", req->rest);
	if (sb_api_parse_agent_patch(req->body, req->body_len, &p, &set, resp) < 0)
		return 0;
	if (sb_cpq_agent_get(cp, (unsigned)ag, &as) < 0)
		return sb_api_error(resp, 409, "name", "no queues: nothing to change");
	if (set & SB_API_A_WRAPUP)
		as.wrapup_ms = p.wrapup_queue ? SB_CFG_WRAPUP_QUEUE : p.wrapup_s * 1000u;
	if (set & SB_API_A_MAXNA)
		as.max_noanswer = p.max_noanswer;
	if (set & SB_API_A_NADELAY)
		as.noanswer_delay_ms = p.noanswer_delay_s * 1000u;
	if (set & SB_API_A_REJDELAY)
		as.reject_delay_ms = p.reject_delay_s * 1000u;
	if (set & SB_API_A_BUSYDELAY)
		as.busy_delay_ms = p.busy_delay_s * 1000u;
	if (set & SB_API_A_SKILLS) {
		memset(as.skills, 0, sizeof(as.skills));
		for (unsigned i = 0; i < p.n_skills; i++) {
			int id = sb_config_skill_find(cp->cfg, p.skills[i].name,
						      strlen(p.skills[i].name));

			if (id < 0)
				return sb_api_error(resp, 400, "skills", "no skill '%s' (the config's "
						    "'skills' and agents' skills name them)",
						    p.skills[i].name);
			as.skills[id] = p.skills[i].level;
		}
	}
	if (sb_cpq_agent_set(cp, (unsigned)ag, &as) < 0)
		return sb_api_error(resp, 409, "name", "refused by the distribution engine");
	resp->body = agent_json(cp, (unsigned)ag);
	return sb_api_obj_save(req, resp, "agent-settings", name, req->tenant, req->body, true);
}

int sb_api_cc_patch(struct sb_cp *cp, bool queue, const char *name, const char *tenant,
		    const char *body, struct sb_api_resp *resp)
{
	struct sb_api_req req = { .method = "PATCH", .path = queue ? "/v1/queues" : "/v1/agents",
				  .rest = name, .tenant = tenant, .body = body,
				  .body_len = strlen(body) };

	return queue ? patch_queue(cp, &req, resp) : patch_agent(cp, &req, resp);
}

static int get_calls(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	static struct sb_cpq_live live[4096]; /* loop thread only */
	unsigned n = sb_cpq_live(cp, live, 4096);
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		const struct sb_cpq_live *l = &live[i];
		const struct sb_cfg_queue *cq = &cp->cfg->queues[l->queue];
		json_t *j;

		if (strcmp(cq->tenant, req->tenant) != 0)
			continue;
		j = json_pack("{s:o, s:o, s:s, s:s, s:i, s:I, s:I}",
			      "call_id", sip_text(l->call_id, l->call_id_len),
			      "caller", sip_text(l->caller, strlen(l->caller)), "queue", cq->name,
			      "state", l->answered ? "talking" : l->agent >= 0 ? "ringing"
					 : l->callback ? "callback" : "waiting",
			      "priority", (int)l->prio, "wait_ms", (json_int_t)l->wait_ms,
			      "talk_ms", (json_int_t)l->talk_ms);
		if (j && l->agent >= 0)
			json_object_set_new(j, "agent", json_string(cp->cfg->agents[l->agent].user));
		if (j && l->position)
			json_object_set_new(j, "position", json_integer(l->position));
		if (j && l->cb_state) /* a callback being dialled back (b2bua/callback.c) */
			json_object_set_new(j, "callback_state", json_string(l->cb_state));
		json_array_append_new(a, j);
	}
	resp->body = json_pack("{s:o}", "calls", a);
	return 0;
}

static int get_events(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_qstats *qs = sb_cpq_qstats(cp);
	static const struct sb_qevent *ev[EVENTS_MAX];
	uint64_t since = 0, limit = 100, first = 1, last = 0;
	const char *s;
	unsigned n;
	json_t *a = json_array();

	if (req->rest[0])
		return json_decref(a), sb_api_error(resp, 404, NULL, "no such resource: %s",
						    req->path);
	s = sb_api_query(req, "since");
	if (s && sb_api_parse_u64(s, UINT64_MAX, &since) < 0)
		return json_decref(a), sb_api_error(resp, 400, "since",
						    "'since' must be an event id");
	s = sb_api_query(req, "limit");
	if (s && (sb_api_parse_u64(s, EVENTS_MAX, &limit) < 0 || limit == 0 || limit > EVENTS_MAX))
		return json_decref(a), sb_api_error(resp, 400, "limit",
						    "'limit' must be 1..%u", EVENTS_MAX);
	n = qs ? sb_qstats_since(qs, since, EVENTS_MAX, ev, &first) : 0;
	last = since;
	for (unsigned i = 0; i < n && json_array_size(a) < limit; i++) {
		const struct sb_qevent *e = ev[i];
		json_t *j;

		last = e->id;
		if (strcmp(e->tenant, req->tenant) != 0)
			continue;
		j = json_pack("{s:I, s:I, s:s}", "id", (json_int_t)e->id, "ts_ms",
			      (json_int_t)e->ts_ms, "event", sb_qev_name((enum sb_qev_type)e->type));
		if (e->call_id[0])
			json_object_set_new(j, "call_id", sip_text(e->call_id, strlen(e->call_id)));
		if (e->queue[0])
			json_object_set_new(j, "queue", json_string(e->queue));
		if (e->agent[0])
			json_object_set_new(j, "agent", json_string(e->agent));
		if (e->other[0])
			json_object_set_new(j, "other", json_string(e->other));
		if (e->type == SB_QEV_ENTER || e->type == SB_QEV_ABANDON)
			json_object_set_new(j, "position", json_integer(e->position));
		if (e->type == SB_QEV_ENTER)
			json_object_set_new(j, "priority", json_integer(e->prio));
		if (e->wait_ms || e->type == SB_QEV_CONNECT || e->type == SB_QEV_ABANDON)
			json_object_set_new(j, "wait_ms", json_integer(e->wait_ms));
		if (e->type == SB_QEV_COMPLETE || e->type == SB_QEV_TRANSFER)
			json_object_set_new(j, "talk_ms", json_integer(e->talk_ms));
		if (e->type == SB_QEV_PAUSE || e->type == SB_QEV_AUTOPAUSE)
			json_object_set_new(j, "reason", json_integer(e->reason));
		json_array_append_new(a, j);
	}
	/* next: the id to pass as since (events of other tenants skipped too) */
	resp->body = json_pack("{s:o, s:I, s:I}", "events", a, "next", (json_int_t)last,
			       "oldest_kept", (json_int_t)first);
	return 0;
}

int sb_api_cc_register(struct sb_api *api, struct sb_cp *cp)
{
	int rc;

	if ((rc = sb_api_route(api, "GET", "/v1/queues", get_queues, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/agents", get_agents, cp)) < 0 ||
	    (rc = sb_api_route(api, "POST", "/v1/agents", post_agent, cp)) < 0 ||
	    (rc = sb_api_route(api, "PATCH", "/v1/queues", patch_queue, cp)) < 0 ||
	    (rc = sb_api_route(api, "PATCH", "/v1/agents", patch_agent, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/calls", get_calls, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/events", get_events, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/ivrs", sb_api_get_ivrs, cp)) < 0 ||
	    (rc = sb_api_objects_register(api, cp)) < 0) /* PUT, DELETE (api/objects.c) */
		return rc;
	return 0;
}
