/* SPDX-License-Identifier: MIT */
/* cc_objects_t — agents, queues and hotlines created, replaced and deleted
 * through the API at run time (control/api/objects.c, store/ccobj.c), with
 * real SIP (UDP), the fake dataplane and a real SQLite store.  Tenants
 * "acme" (queue sales: agent1; hotline 800100) and "other" (agent3).
 *
 *  a. bad bodies are 400 naming the field as "kind.name.key" (unknown
 *     strategy, unknown member, a value out of range, an unknown key, a
 *     queue that does not exist, a name other than the URL's, not an
 *     object, bad JSON, another tenant, another tenant's agent, steps
 *     without skills);
 *  b. agent newbie, queue q2 (member newbie) and hotline 800200 -> q2 are
 *     created: newbie registers (its password works), a call to 800200 is
 *     offered to newbie and answered;
 *  c. sales is replaced while two callers wait in it (agent1 paused):
 *     both stay, in order; with newbie added as a member the head caller is
 *     offered to newbie at once, the second one keeps waiting; deleting
 *     sales now is 409 (callers), deleting newbie 409 (a call);
 *  d. tenant isolation: the other tenant's token gets 404 for acme's
 *     objects, 409 for their names, its lists do not show them;
 *  e. deletes: newbie and q2 refused while named (409 naming by what),
 *     hotline 800200 then q2 deleted (404 after); a PATCH of sales;
 *  f. restart on the same SQLite file: newbie, sales with both members and
 *     the PATCHed wrap-up (and newbie's busy delay), q3 and 800300 are
 *     back, q2 and 800200 stay gone, a call to 800300 reaches newbie; a
 *     stored row that no longer validates is logged (kind, name, field) and
 *     skipped.  An alias in a body is refused (no YAML bombs);
 *  g. tenants (`tenants:` listed): only an admin token creates or deletes
 *     one; a token of an unlisted tenant creates nothing until then; a
 *     tenant with objects is not deleted (409); kept across the restart.
 *
 *   cc_objects_t /path/to/sb-control */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.11"
#define NAGENTS 3
#define ACME "Bearer acme-token-0001"
#define OTHER "Bearer other-token-0002"
#define ADMIN "Bearer admin-token-0003"
#define NEWCO "Bearer newco-token-0004"
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static struct fake_dp_rec dp;

/* agent a: 0 agent1, 1 newbie, 2 agent3 */
static void put_ok(const char *path, const char *body, int want)
{
	json_t *j = req_ok("PUT", path, ACME, body, want);

	CHECK(json_is_true(json_object_get(j, "created")) == (want == 201));
	json_decref(j);
}

static bool log_has(const char *a, const char *b)
{
	char line[2048];
	bool hit = false;
	FILE *f = fopen(logp, "r");

	while (f && !hit && fgets(line, sizeof(line), f))
		hit = strstr(line, a) && strstr(line, b);
	if (f)
		fclose(f);
	return hit;
}

/* position of the waiting caller with Call-ID queue-call-N in /v1/calls */
static long long position_of(int n)
{
	json_t *j = get_ok("/v1/calls", ACME), *a = json_object_get(j, "calls");
	char cid[32];
	long long pos = -1;

	snprintf(cid, sizeof(cid), "queue-call-%d", n);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *c = json_array_get(a, i);

		if (strcmp(jstr(c, "call_id"), cid) == 0 && strcmp(jstr(c, "state"), "waiting") == 0)
			pos = jint(c, "position");
	}
	json_decref(j);
	return pos;
}

static void set_state(const char *agent, const char *body)
{
	char path[128];
	json_t *j;

	snprintf(path, sizeof(path), "/v1/agents/%s/state", agent);
	CHECK(http("POST", path, ACME, body, &j) == 200);
	json_decref(j);
}

static void start(const char *exe, const char *cfg, uint16_t p_car, uint16_t p_agt, bool first)
{
	pid = control_start(exe, cfg, logp);
	if (first) {
		static const char *const names[NAGENTS] = { "agent1", "newbie", "agent3" };

		for (int i = 0; i < 6; i++) {
			snprintf(caller_names[i], sizeof(caller_names[i]), "caller%d", i);
			callers[i].name = caller_names[i];
			sipc_open(&callers[i].s, p_car);
		}
		for (int a = 0; a < NAGENTS; a++) {
			ag[a].name = names[a];
			sipc_open(&ag[a].s, p_agt);
		}
	}
	control_wait_up(&callers[0].s);
	usleep(100000);
	reg(&ag[0]);
	reg(&ag[2]);
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128];
	uint16_t p_car, p_agt;
	json_t *j, *a;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbccobj%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_cc_objects_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"limits:\n  agents: 8\n  queues: 6\n  hotlines: 6\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - token: acme-token-0001\n      tenant: acme\n"
		"    - token: other-token-0002\n      tenant: other\n"
		"    - token: admin-token-0003\n      tenant: default\n      admin: true\n"
		"    - token: newco-token-0004\n      tenant: newco\n"
		"tenants: [acme, other]\n"
		"skills: [french]\n"
		"agents:\n  - user: agent1\n    password: secret\n    tenant: acme\n"
		"  - user: agent3\n    password: secret\n    tenant: other\n"
		"queues:\n"
		"  - name: sales\n    tenant: acme\n    members: [agent1]\n"
		"hotlines:\n  - number: \"800100\"\n    queue: sales\n    tenant: acme\n",
		inst, p_car, p_agt, db, p_api);
	start(argv[1], cfg, p_car, p_agt, true);

	/* ---------- a. bad bodies name the field ---------- */
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"strategy\":\"fastest\",\"members\":[]}", 400,
		   "queues.q2.strategy");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"members\":[\"agent1\",\"ghost\"]}", 400,
		   "queues.q2.members.1");
	expect_err("PUT", "/v1/agents/newbie", ACME, "{\"password\":\"secret\",\"wrap_up\":99999}",
		   400, "agents.newbie.wrap_up");
	expect_err("PUT", "/v1/agents/newbie", ACME, "{\"password\":\"secret\",\"colour\":1}", 400,
		   "agents.newbie.colour");
	expect_err("PUT", "/v1/agents/newbie", ACME,
		   "{\"password\":\"secret\",\"skills\":{\"french\":0}}", 400,
		   "agents.newbie.skills.french");
	expect_err("PUT", "/v1/hotlines/800200", ACME, "{\"queue\":\"nosuch\"}", 400,
		   "hotlines.800200.queue");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"name\":\"q9\",\"members\":[]}", 400,
		   "queues.q2.name");
	expect_err("PUT", "/v1/queues/q2", ACME, "[1]", 400, "queues.q2");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"members\":", 400, "queues.q2");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"members\":[],\"tenant\":\"other\"}", 400,
		   "queues.q2.tenant");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"members\":[\"agent3\"]}", 400,
		   "queues.q2.members");
	expect_err("PUT", "/v1/queues/q2", ACME,
		   "{\"members\":[],\"steps\":[{\"after\":5,\"any\":true}]}", 400, "queues.q2.steps");
	expect_err("PUT", "/v1/queues/q2", ACME, "{\"members\": &m [], \"x\": *m}", 400,
		   "queues.q2");
	expect_err("PUT", "/v1/queues", ACME, "{}", 405, NULL);
	j = get_ok("/v1/queues", ACME); /* nothing was created by the refusals */
	CHECK(json_array_size(json_object_get(j, "queues")) == 1);
	json_decref(j);

	/* ---------- b. created at run time, used by a real call ---------- */
	put_ok("/v1/agents/newbie", "{\"password\":\"secret\",\"wrap_up\":0,"
				     "\"skills\":{\"french\":3}}", 201);
	reg(&ag[1]);                                /* the password works at once */
	put_ok("/v1/queues/q2", "{\"strategy\":\"longest-idle\",\"members\":[\"newbie\"],"
				 "\"skills\":{\"french\":2}}", 201);
	put_ok("/v1/hotlines/800200", "{\"queue\":\"q2\",\"priority\":3}", 201);
	j = get_ok("/v1/hotlines/800200", ACME);
	CHECK(strcmp(jstr(j, "queue"), "q2") == 0 && jint(j, "priority") == 3);
	json_decref(j);
	call_in(0, "800200");
	CHECK(offered(1, 2000) == 0);
	answer(1, 0);
	caller_bye(0, 1);
	j = get_ok("/v1/queues/q2", ACME);
	CHECK(jint(j, "answered") == 1);
	CHECK(strcmp(jstr(j, "strategy"), "longest-idle") == 0);
	json_decref(j);

	/* ---------- c. a queue replaced while callers wait ---------- */
	set_state("agent1", "{\"state\":\"pause\",\"reason\":1}");
	call_in(1, "800100");
	call_in(2, "800100");
	CHECK(position_of(1) == 1 && position_of(2) == 2);
	put_ok("/v1/queues/sales", "{\"members\":[\"agent1\"],\"max_len\":5}", 200);
	CHECK(position_of(1) == 1 && position_of(2) == 2); /* kept, in order */
	expect_err("DELETE", "/v1/queues/sales", ACME, NULL, 409, "name");
	put_ok("/v1/queues/sales", "{\"members\":[\"agent1\",\"newbie\"],\"max_len\":5}", 200);
	CHECK(offered(1, 2000) == 1);               /* the head, to the new member */
	answer(1, 1);
	CHECK(position_of(2) == 1);
	expect_err("DELETE", "/v1/agents/newbie", ACME, NULL, 409, "name");
	set_state("agent1", "{\"state\":\"unpause\"}");
	CHECK(offered(0, 2000) == 2);
	answer(0, 2);
	caller_bye(1, 1);
	caller_bye(2, 0);

	/* ---------- d. tenants ---------- */
	expect_err("GET", "/v1/queues/q2", OTHER, NULL, 404, "name");
	expect_err("GET", "/v1/agents/newbie", OTHER, NULL, 404, "name");
	expect_err("GET", "/v1/hotlines/800200", OTHER, NULL, 404, "name");
	expect_err("DELETE", "/v1/queues/q2", OTHER, NULL, 404, "name");
	expect_err("DELETE", "/v1/agents/newbie", OTHER, NULL, 404, "name");
	expect_err("PUT", "/v1/queues/q2", OTHER, "{\"members\":[]}", 409, "name");
	expect_err("PUT", "/v1/agents/agent1", OTHER, "{\"password\":\"x\"}", 409, "name");
	j = get_ok("/v1/hotlines", OTHER);
	CHECK(json_array_size(json_object_get(j, "hotlines")) == 0);
	json_decref(j);
	j = get_ok("/v1/queues", OTHER);
	CHECK(json_array_size(json_object_get(j, "queues")) == 0);
	json_decref(j);

	/* ---------- e. deletes, a PATCH, more objects ---------- */
	expect_err("DELETE", "/v1/agents/newbie", ACME, NULL, 409, "name"); /* a member */
	expect_err("DELETE", "/v1/queues/q2", ACME, NULL, 409, "name");     /* 800200 */
	json_decref(req_ok("DELETE", "/v1/hotlines/800200", ACME, NULL, 200));
	expect_err("GET", "/v1/hotlines/800200", ACME, NULL, 404, "name");
	json_decref(req_ok("DELETE", "/v1/queues/q2", ACME, NULL, 200));
	expect_err("GET", "/v1/queues/q2", ACME, NULL, 404, "name");
	expect_err("DELETE", "/v1/queues/q2", ACME, NULL, 404, "name");
	CHECK(http("PATCH", "/v1/queues/sales", ACME, "{\"wrap_up\":3}", &j) == 200);
	json_decref(j);
	CHECK(http("PATCH", "/v1/queues/sales", ACME, "{\"ring_timeout\":9}", &j) == 200);
	json_decref(j);
	CHECK(http("PATCH", "/v1/agents/newbie", ACME, "{\"busy_delay\":2}", &j) == 200);
	json_decref(j);
	put_ok("/v1/queues/q3", "{\"members\":[\"newbie\"],\"overflow\":\"sales\"}", 201);
	put_ok("/v1/hotlines/800300", "{\"queue\":\"q3\"}", 201);
	put_ok("/v1/agents/temp", "{\"password\":\"secret\"}", 201);
	json_decref(req_ok("DELETE", "/v1/agents/temp", ACME, NULL, 200));
	CHECK(cp_db_int(db, "SELECT count(*) FROM cc_object WHERE kind='queue' AND name='q2' "
			    "AND body IS NULL") == 1);

	/* ---------- g. tenants: admin tokens create and delete them ---------- */
	expect_err("PUT", "/v1/tenants/newco", ACME, "{}", 403, "Authorization");
	expect_err("PUT", "/v1/agents/nc1", NEWCO, "{\"password\":\"secret\"}", 403, "tenant");
	expect_err("PUT", "/v1/tenants/bad!name", ADMIN, "{}", 400, "tenants.name");
	expect_err("PUT", "/v1/tenants/newco", ADMIN, "{\"colour\":1}", 400,
		   "tenants.newco.colour");
	json_decref(req_ok("PUT", "/v1/tenants/newco", ADMIN, "{}", 201));
	json_decref(req_ok("PUT", "/v1/tenants/newco", ADMIN, "", 200));
	j = get_ok("/v1/tenants", ADMIN);
	CHECK(json_array_size(json_object_get(j, "tenants")) == 3);
	json_decref(j);
	j = get_ok("/v1/tenants", ACME);
	CHECK(json_array_size(json_object_get(j, "tenants")) == 1);
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(j, "tenants"), 0)),
		     "acme") == 0);
	json_decref(j);
	json_decref(req_ok("PUT", "/v1/agents/nc1", NEWCO, "{\"password\":\"secret\"}", 201));
	expect_err("DELETE", "/v1/tenants/newco", ADMIN, NULL, 409, "name");
	expect_err("DELETE", "/v1/tenants/newco", NEWCO, NULL, 403, "Authorization");
	json_decref(req_ok("PUT", "/v1/tenants/gone", ADMIN, "{}", 201));
	json_decref(req_ok("DELETE", "/v1/tenants/gone", ADMIN, NULL, 200));
	expect_err("DELETE", "/v1/tenants/gone", ADMIN, NULL, 404, "name");

	/* ---------- f. restart on the same store ---------- */
	CHECK(control_stop(pid) == 0);
	pid = 0;
	{ /* a row the config file no longer allows: logged, skipped */
		sqlite3 *d;

		CHECK(sqlite3_open(db, &d) == SQLITE_OK);
		CHECK(sqlite3_exec(d, "INSERT INTO cc_object VALUES('queue', 'broken', 'acme', "
				      "'{\"members\":[],\"strategy\":\"nope\"}', 1)", NULL, NULL,
				   NULL) == SQLITE_OK);
		sqlite3_close(d);
	}
	start(argv[1], cfg, p_car, p_agt, false);
	reg(&ag[1]);                                /* newbie is back, password too */
	CHECK(log_has("queue 'broken'", "strategy"));
	expect_err("GET", "/v1/queues/broken", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/queues/q2", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/hotlines/800200", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/agents/temp", ACME, NULL, 404, "name");
	j = get_ok("/v1/agents/newbie", ACME);
	CHECK(jint(json_object_get(j, "skills"), "french") == 3);
	CHECK(jint(json_object_get(j, "settings"), "busy_delay_ms") == 2000); /* PATCHed */
	json_decref(j);
	j = get_ok("/v1/queues/sales", ACME);
	a = json_object_get(j, "members");
	CHECK(json_array_size(a) == 2);
	CHECK(strcmp(json_string_value(json_array_get(a, 1)), "newbie") == 0);
	CHECK(jint(json_object_get(j, "settings"), "wrap_up_ms") == 3000);     /* PATCHed */
	CHECK(jint(json_object_get(j, "settings"), "ring_timeout_ms") == 9000); /* merged */
	CHECK(jint(json_object_get(j, "settings"), "max_len") == 5);            /* PUT */
	json_decref(j);
	call_in(3, "800300");
	CHECK(offered(1, 2000) == 3);
	answer(1, 3);
	agent_bye(1, 3);
	/* the tenants too: newco back (with its agent), gone still gone */
	j = get_ok("/v1/tenants", ADMIN);
	a = json_object_get(j, "tenants");
	CHECK(json_array_size(a) == 3);
	CHECK(strcmp(json_string_value(json_array_get(a, 2)), "newco") == 0);
	json_decref(j);
	json_decref(get_ok("/v1/agents/nc1", NEWCO));
	json_decref(req_ok("DELETE", "/v1/agents/nc1", NEWCO, NULL, 200));
	json_decref(req_ok("DELETE", "/v1/tenants/newco", ADMIN, NULL, 200));
	expect_err("PUT", "/v1/agents/nc1", NEWCO, "{\"password\":\"secret\"}", 403, "tenant");
	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);
	cc_remove_work(cfg, db);
	printf("cc_objects: ok\n");
	return 0;
}
