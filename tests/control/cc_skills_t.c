/* SPDX-License-Identifier: MIT */
/* cc_skills_t — skills-based routing in the live B2BUA (issue 6 §3) over
 * real UDP and TCP: sb-control as a child with a real SQLite store, the
 * fake dataplane, this process playing callers, two agents and an API
 * client.  Config: agent1 billing 5, agent2 billing 2; queue "bill" joins
 * agent2 first (linear would prefer it), requires billing >= 4, and after
 * 2 s accepts level >= 2.
 *
 *  a. a caller is offered to agent1 only (the skilled one), never to
 *     agent2 although agent2 is free and first in join order;
 *  b. with agent1 busy, the next caller waits: no offer for 1.5 s, then
 *     agent2 gets it once the 2 s step has passed (timed here);
 *  c. the API shows the skills (GET /v1/agents, /v1/queues) and refuses
 *     bad ones naming the field (unknown skill, step level not below the
 *     requirement, steps without skills);
 *  d. PATCH /v1/agents/agent2 {"skills": {"billing": 6}}: the next caller
 *     goes to agent2 at once (first in join order, now qualified);
 *  e. PATCH /v1/queues/bill {"skills": {"billing": 7}, "steps": []}: no
 *     one qualifies, a caller waits; PATCH back to billing 6 hands it to
 *     agent2 at once (the engine re-scans the queue on a change).
 * Then the queue_event rows: who was offered each call.
 *
 *   cc_skills_t /path/to/sb-control */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.10"
#define NAGENTS 2
#define AUTH "Bearer skl-token-0001"
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static struct fake_dp_rec dp;

/* a 400 whose JSON error names field */
static void bad_patch(const char *path, const char *body, const char *field)
{
	json_t *j;
	int st = http("PATCH", path, AUTH, body, &j);
	const char *f = j ? json_string_value(json_object_get(j, "field")) : NULL;

	if (st != 400 || f == NULL || strcmp(f, field) != 0)
		fprintf(stderr, "PATCH %s %s: %d field %s, want 400 %s\n", path, body, st,
			f ? f : "(none)", field);
	CHECK(st == 400 && f && strcmp(f, field) == 0);
	json_decref(j);
}

/* the level of skill in obj's "skills" (0: absent) */
static long long skill_of(json_t *obj, const char *skill)
{
	json_t *s = json_object_get(obj, "skills"), *v;

	CHECK(json_is_object(s));
	v = json_object_get(s, skill);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128];
	static const char *const names[NAGENTS] = { "agent1", "agent2" };
	uint16_t p_car, p_agt;
	uint64_t t1, t_off1;
	json_t *j, *st;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbskl%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_cc_skills_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - token: skl-token-0001\n      tenant: default\n"
		"skills: [billing, french]\n"
		"agents:\n  - user: agent1\n    password: secret\n    skills: {billing: 5}\n"
		"  - user: agent2\n    password: secret\n    skills: {billing: 2, french: 3}\n"
		"queues:\n"
		"  - name: bill\n    members: [agent2, agent1]\n    ring_timeout: 10\n"
		"    skills: {billing: 4}\n"
		"    steps:\n      - {after: 2, level: 2}\n"
		"hotlines:\n  - number: \"800100\"\n    queue: bill\n",
		inst, p_car, p_agt, db, p_api);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 6, p_car, p_agt);

	/* ---------- a. only the skilled agent ---------- */
	call_in(0, "800100");
	CHECK(offered(0, 2000) == 0);
	no_offer(300);                              /* agent2 is not rung */
	answer(0, 0);

	/* ---------- b. the step widens the pool after 2 s ---------- */
	call_in(1, "800100");
	t1 = mono_ms();
	no_offer(1500);
	CHECK(offered(1, 2000) == 1);
	t_off1 = mono_ms();
	CHECK(t_off1 - t1 >= 1900);
	answer(1, 1);
	agent_bye(0, 0);
	agent_bye(1, 1);

	/* ---------- c. the API shows and checks skills ---------- */
	CHECK(http("GET", "/v1/agents/agent2", AUTH, NULL, &j) == 200);
	CHECK(skill_of(j, "billing") == 2 && skill_of(j, "french") == 3);
	json_decref(j);
	CHECK(http("GET", "/v1/queues/bill", AUTH, NULL, &j) == 200);
	CHECK(skill_of(j, "billing") == 4 && skill_of(j, "french") == 0);
	st = json_object_get(j, "steps");
	CHECK(json_is_array(st) && json_array_size(st) == 1);
	CHECK(json_integer_value(json_object_get(json_array_get(st, 0), "after")) == 2);
	CHECK(json_integer_value(json_object_get(json_array_get(st, 0), "drop")) == 2);
	json_decref(j);
	bad_patch("/v1/agents/agent2", "{\"skills\": {\"klingon\": 3}}", "skills");
	bad_patch("/v1/agents/agent2", "{\"skills\": {\"billing\": 0}}", "skills");
	bad_patch("/v1/queues/bill", "{\"steps\": [{\"after\": 3, \"level\": 4}]}", "steps");
	bad_patch("/v1/queues/bill", "{\"skills\": {}, \"steps\": [{\"after\": 3, \"any\": true}]}",
		  "steps");
	bad_patch("/v1/queues/bill", "{\"steps\": [{\"after\": 3}]}", "steps");

	/* ---------- d. an agent's new skills route at once ---------- */
	CHECK(http("PATCH", "/v1/agents/agent2", AUTH, "{\"skills\": {\"billing\": 6}}", &j)
	      == 200);
	CHECK(skill_of(j, "billing") == 6 && skill_of(j, "french") == 0);
	json_decref(j);
	call_in(2, "800100");
	CHECK(offered(1, 1000) == 2);               /* first in join order, qualified now */
	answer(1, 2);
	agent_bye(1, 2);

	/* ---------- e. a queue's new requirement, and back ---------- */
	CHECK(http("PATCH", "/v1/queues/bill", AUTH,
		   "{\"skills\": {\"billing\": 7}, \"steps\": []}", &j) == 200);
	CHECK(skill_of(j, "billing") == 7);
	CHECK(json_array_size(json_object_get(j, "steps")) == 0);
	json_decref(j);
	call_in(3, "800100");
	no_offer(2500);                             /* no one has 7, no step */
	CHECK(http("PATCH", "/v1/queues/bill", AUTH, "{\"skills\": {\"billing\": 6}}", &j) == 200);
	json_decref(j);
	CHECK(offered(1, 1000) == 3);
	answer(1, 3);
	agent_bye(1, 3);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);

	/* every offer in the log: caller0 agent1; 1, 2, 3 agent2; nothing else */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer'") == 4);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer' AND "
			     "call_id='queue-call-0' AND agent='agent1'") == 1);
	for (int i = 1; i <= 3; i++)
		CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer' AND "
				     "call_id='queue-call-%d' AND agent='agent2'", i) == 1);
	CHECK(cp_db_intf(db, "SELECT wait_ms FROM queue_event WHERE event='connect' AND "
			     "call_id='queue-call-1'") >= 1900);
	cc_remove_work(cfg, db);
	return 0;
}
