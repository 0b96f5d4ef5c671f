/* SPDX-License-Identifier: MIT */
/* cc_api_t — the HTTP/JSON API (control/api/) of sb-control over a real
 * TCP socket, with real SIP calls (UDP), the fake dataplane and a real
 * SQLite store.  Two tenants: "acme" (queue sales: agent1, agent2) and
 * "other" (queue secret: agent3).
 *
 *  a. authentication: no token and a wrong token are 401 (JSON error
 *     naming Authorization); each tenant sees only its own queues, agents,
 *     calls and events (another tenant's queue is 404);
 *  b. errors are JSON naming the field: invalid JSON (body), unknown state
 *     (state), a string reason (reason), a reason with login (reason),
 *     unknown fields; unknown paths 404, wrong methods 405;
 *  c. an agent paused through the API is skipped by routing (linear would
 *     offer agent1; agent2 gets the call); GET /v1/calls shows it live;
 *  d. figures: four calls with waits and talk times the test makes and
 *     measures (answered within the 1 s service level, a short abandon,
 *     a long abandon, answered late); offered, answered, abandoned, both
 *     service levels, ASA and AHT compared with the values computed here;
 *  e. PATCH /v1/queues/sales at run time: bad values refused naming the
 *     field; strategy round-robin and a 1 s wrap-up take effect on the
 *     next calls (agent1 then agent2 with both free; wrap-up state);
 *  g. interval reports (GET /v1/reports/queues|agents|tenant) read back
 *     from the store equal the live figures of (d), per tenant only;
 *     bad arguments refused naming them;
 *  f. /v1/events pages with since/next; its rows match the store's.
 *
 *   cc_api_t /path/to/sb-control */
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
#define NAGENTS 3
#define ACME "Bearer acme-token-0001"
#define OTHER "Bearer other-token-0002"
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static struct fake_dp_rec dp;

static void set_state(const char *agent, const char *body, const char *want_state)
{
	char path[128];
	json_t *j;

	snprintf(path, sizeof(path), "/v1/agents/%s/state", agent);
	CHECK(http("POST", path, ACME, body, &j) == 200);
	CHECK(strcmp(jstr(j, "state"), want_state) == 0);
	json_decref(j);
}

#define NEAR(v, want, tol) ((v) >= (want) - (tol) && (v) <= (want) + (tol))

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint64_t t_in[4] = { 0 }, t_ans[4] = { 0 }, t_end[4] = { 0 };
	uint16_t p_car, p_agt;
	json_t *j, *a;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbccapi%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_cc_api_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - token: acme-token-0001\n      tenant: acme\n"
		"    - token: other-token-0002\n      tenant: other\n"
		"agents:\n  - user: agent1\n    password: secret\n    tenant: acme\n"
		"  - user: agent2\n    password: secret\n    tenant: acme\n"
		"  - user: agent3\n    password: secret\n    tenant: other\n"
		"queues:\n"
		"  - name: sales\n    tenant: acme\n    members: [agent1, agent2]\n"
		"    service_level: 1\n    short_abandon: 1\n"
		"  - name: secret\n    tenant: other\n    members: [agent3]\n"
		"hotlines:\n  - number: \"800100\"\n    queue: sales\n"
		"  - number: \"800300\"\n    queue: secret\n",
		inst, p_car, p_agt, db, p_api);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 16, p_car, p_agt);

	/* ---------- a. authentication and tenants ---------- */
	expect_err("GET", "/v1/queues", NULL, NULL, 401, "Authorization");
	expect_err("GET", "/v1/queues", "Bearer acme-token-0002", NULL, 401, "Authorization");
	expect_err("GET", "/v1/queues", "acme-token-0001", NULL, 401, "Authorization");
	j = get_ok("/v1/queues", ACME);
	a = json_object_get(j, "queues");
	CHECK(json_array_size(a) == 1);
	CHECK(strcmp(jstr(json_array_get(a, 0), "name"), "sales") == 0);
	json_decref(j);
	expect_err("GET", "/v1/queues/secret", ACME, NULL, 404, "name");
	j = get_ok("/v1/queues/secret", OTHER);
	CHECK(strcmp(jstr(j, "name"), "secret") == 0);
	json_decref(j);
	j = get_ok("/v1/agents", ACME);
	a = json_object_get(j, "agents");
	CHECK(json_array_size(a) == 2);
	for (size_t i = 0; i < 2; i++) {
		CHECK(strcmp(jstr(json_array_get(a, i), "name"), names[i]) == 0);
		CHECK(strcmp(jstr(json_array_get(a, i), "state"), "available") == 0);
	}
	json_decref(j);
	expect_err("POST", "/v1/agents/agent3/state", ACME, "{\"state\":\"pause\"}", 404, "name");

	/* ---------- b. errors name the field ---------- */
	expect_err("POST", "/v1/agents/agent1/state", ACME, "{\"state\":", 400, "body");
	expect_err("POST", "/v1/agents/agent1/state", ACME, "[1]", 400, "body");
	expect_err("POST", "/v1/agents/agent1/state", ACME, "{}", 400, "state");
	expect_err("POST", "/v1/agents/agent1/state", ACME, "{\"state\":\"dance\"}", 400, "state");
	expect_err("POST", "/v1/agents/agent1/state", ACME, "{\"state\":7}", 400, "state");
	expect_err("POST", "/v1/agents/agent1/state", ACME,
		   "{\"state\":\"pause\",\"reason\":\"x\"}", 400, "reason");
	expect_err("POST", "/v1/agents/agent1/state", ACME,
		   "{\"state\":\"pause\",\"reason\":70000}", 400, "reason");
	expect_err("POST", "/v1/agents/agent1/state", ACME,
		   "{\"state\":\"login\",\"reason\":1}", 400, "reason");
	expect_err("POST", "/v1/agents/agent1/state", ACME,
		   "{\"state\":\"unpause\",\"colour\":1}", 400, "colour");
	expect_err("POST", "/v1/agents/agent1/state", ACME, "{\"state\":\"unpause\"}", 409, "state");
	expect_err("GET", "/v1/events?since=abc", ACME, NULL, 400, "since");
	expect_err("GET", "/v1/events?limit=0", ACME, NULL, 400, "limit");
	expect_err("GET", "/v1/nothing", ACME, NULL, 404, NULL);
	expect_err("DELETE", "/v1/queues", ACME, NULL, 405, NULL);

	/* ---------- c. a pause from the API steers routing ---------- */
	set_state("agent1", "{\"state\":\"pause\",\"reason\":3}", "paused");
	j = get_ok("/v1/agents/agent1", ACME);
	CHECK(jint(j, "reason") == 3);
	json_decref(j);
	call_in(0, "800100");
	t_in[0] = mono_ms();
	CHECK(offered(1, 2000) == 0);               /* agent2: agent1 is paused */
	usleep(300000);
	t_ans[0] = mono_ms();
	answer(1, 0);                               /* A: wait ~300 ms, within 1 s */
	j = get_ok("/v1/calls", ACME);
	a = json_object_get(j, "calls");
	CHECK(json_array_size(a) == 1);
	CHECK(strcmp(jstr(json_array_get(a, 0), "state"), "talking") == 0);
	CHECK(strcmp(jstr(json_array_get(a, 0), "agent"), "agent2") == 0);
	CHECK(strcmp(jstr(json_array_get(a, 0), "call_id"), "queue-call-0") == 0);
	json_decref(j);
	j = get_ok("/v1/calls", OTHER);
	CHECK(json_array_size(json_object_get(j, "calls")) == 0);
	json_decref(j);
	/* agent1 stays paused (reason 4 now): B, C, D wait */
	set_state("agent1", "{\"state\":\"unpause\"}", "available");
	set_state("agent1", "{\"state\":\"pause\",\"reason\":4}", "paused");

	/* ---------- d. abandons and a late answer ---------- */
	call_in(1, "800100");
	t_in[1] = mono_ms();
	j = get_ok("/v1/queues/sales", ACME);
	CHECK(jint(j, "waiting") == 1);
	json_decref(j);
	usleep(200000);
	caller_cancel(1);                           /* B: short abandon */
	t_end[1] = mono_ms();
	call_in(2, "800100");
	t_in[2] = mono_ms();
	usleep(1300000);
	caller_cancel(2);                           /* C: abandon after 1.3 s */
	t_end[2] = mono_ms();
	call_in(3, "800100");
	t_in[3] = mono_ms();
	usleep(1500000);
	set_state("agent1", "{\"state\":\"unpause\"}", "reserved");
	CHECK(offered(0, 2000) == 3);
	t_ans[3] = mono_ms();
	answer(0, 3);                               /* D: wait ~1.5 s, late */
	usleep(200000);
	agent_bye(1, 0);
	t_end[0] = mono_ms();
	usleep(400000);
	caller_bye(3, 0);
	t_end[3] = mono_ms();
	/* the other tenant's call: its events must not show for acme */
	call_in(4, "800300");
	CHECK(offered(2, 2000) == 4);
	answer(2, 4);
	agent_bye(2, 4);
	usleep(100000);

	j = get_ok("/v1/queues/sales", ACME);
	{
		double asa = ((double)(t_ans[0] - t_in[0]) + (double)(t_ans[3] - t_in[3])) / 2;
		double aht = ((double)(t_end[0] - t_ans[0]) + (double)(t_end[3] - t_ans[3])) / 2;

		CHECK(jint(j, "offered") == 4);
		CHECK(jint(j, "answered") == 2);
		CHECK(jint(j, "abandoned") == 2);
		CHECK(jint(j, "short_abandoned") == 1);
		CHECK(jint(j, "answered_within") == 1);
		CHECK(NEAR(jreal(j, "sl_answered"), 1.0 / 2, 1e-9));
		CHECK(NEAR(jreal(j, "sl_with_abandons"), 1.0 / 3, 1e-9));
		if (!NEAR((double)jint(j, "asa_ms"), asa, 150))
			fprintf(stderr, "asa %lld, measured %.0f\n", jint(j, "asa_ms"), asa);
		CHECK(NEAR((double)jint(j, "asa_ms"), asa, 150));
		if (!NEAR((double)jint(j, "aht_ms"), aht, 150))
			fprintf(stderr, "aht %lld, measured %.0f\n", jint(j, "aht_ms"), aht);
		CHECK(NEAR((double)jint(j, "aht_ms"), aht, 150));
		CHECK(jint(j, "waiting") == 0 && jint(j, "completed") == 2);
		CHECK(jreal(j, "occupancy") > 0 && jreal(j, "occupancy") < 1);
	}
	json_decref(j);
	j = get_ok("/v1/agents/agent2", ACME);
	CHECK(jint(j, "answered") == 1 && jint(j, "offered") == 1);
	json_decref(j);

	/* ---------- e. run-time settings: PATCH, validated, applied ---------- */
	expect_err("PATCH", "/v1/queues/sales", ACME, "{\"ring_timeout\":0}", 400, "ring_timeout");
	expect_err("PATCH", "/v1/queues/sales", ACME, "{\"strategy\":\"ring_all\"}", 400,
		   "strategy");
	expect_err("PATCH", "/v1/queues/sales", ACME, "{\"wrap_up\":\"1\"}", 400, "wrap_up");
	expect_err("PATCH", "/v1/queues/sales", ACME, "{\"colour\":1}", 400, "colour");
	expect_err("PATCH", "/v1/queues/sales", ACME, "{}", 400, "body");
	expect_err("PATCH", "/v1/queues/secret", ACME, "{\"wrap_up\":1}", 404, "name");
	CHECK(http("PATCH", "/v1/queues/sales", ACME,
		   "{\"wrap_up\":1,\"strategy\":\"round-robin\"}", &j) == 200);
	CHECK(strcmp(jstr(j, "strategy"), "round-robin") == 0);
	CHECK(jint(json_object_get(j, "settings"), "wrap_up_ms") == 1000);
	CHECK(jint(json_object_get(j, "settings"), "ring_timeout_ms") == 30000); /* kept */
	json_decref(j);
	/* round-robin: agent1, then agent2 with both free (linear: agent1
	 * both times); the 1 s wrap-up shows after each call (0 before) */
	call_in(5, "800100");
	CHECK(offered(0, 2000) == 5);
	answer(0, 5);
	caller_bye(5, 0);
	j = get_ok("/v1/agents/agent1", ACME);
	CHECK(strcmp(jstr(j, "state"), "wrap-up") == 0);
	json_decref(j);
	usleep(1200000);
	j = get_ok("/v1/agents/agent1", ACME);
	CHECK(strcmp(jstr(j, "state"), "available") == 0);
	json_decref(j);
	call_in(6, "800100");
	CHECK(offered(1, 2000) == 6);
	answer(1, 6);
	caller_bye(6, 1);

	/* agents' settings likewise */
	expect_err("PATCH", "/v1/agents/agent2", ACME, "{\"max_noanswer\":-1}", 400,
		   "max_noanswer");
	expect_err("PATCH", "/v1/agents/agent2", ACME, "{\"wrap_up\":\"never\"}", 400, "wrap_up");
	expect_err("PATCH", "/v1/agents/agent3", ACME, "{\"busy_delay\":2}", 404, "name");
	CHECK(http("PATCH", "/v1/agents/agent2", ACME, "{\"busy_delay\":2,\"wrap_up\":7}",
		   &j) == 200);
	CHECK(jint(json_object_get(j, "settings"), "busy_delay_ms") == 2000);
	CHECK(jint(json_object_get(j, "settings"), "wrap_up_ms") == 7000);
	CHECK(jint(json_object_get(j, "settings"), "reject_delay_ms") == 5000); /* kept */
	json_decref(j);
	CHECK(http("PATCH", "/v1/agents/agent2", ACME, "{\"wrap_up\":\"queue\"}", &j) == 200);
	CHECK(strcmp(jstr(json_object_get(j, "settings"), "wrap_up_ms"), "queue") == 0);
	json_decref(j);

	/* ---------- g. interval reports (from the stored events) ---------- */
	{
		json_t *live = get_ok("/v1/queues/sales", ACME), *ag1 = get_ok("/v1/agents/agent1", ACME);
		long long sum[5] = { 0 }, ans1 = 0, t_off = 0;
		static const char *const k[5] = { "offered", "answered", "abandoned",
						   "short_abandoned", "answered_within" };
		size_t n = 0;

		/* the store writes behind the loop: the report catches up */
		for (int tries = 0; tries < 60; tries++) {
			memset(sum, 0, sizeof(sum));
			j = get_ok("/v1/reports/queues?interval=86400", ACME);
			CHECK(strcmp(jstr(j, "by"), "queue") == 0 && jint(j, "interval_s") == 86400);
			CHECK(jint(j, "from_ms") % 86400000 == 0);
			a = json_object_get(j, "rows");
			n = json_array_size(a);
			for (size_t i = 0; i < n; i++) {
				json_t *r = json_array_get(a, i);

				CHECK(strcmp(jstr(r, "queue"), "sales") == 0); /* not "secret" */
				for (int x = 0; x < 5; x++)
					sum[x] += jint(r, k[x]);
			}
			json_decref(j);
			if (sum[0] == jint(live, "offered") && sum[2] == jint(live, "abandoned"))
				break;
			usleep(50000);
		}
		CHECK(sum[0] == jint(live, "offered") && sum[0] >= 4);
		CHECK(sum[1] == jint(live, "answered"));
		CHECK(sum[2] == jint(live, "abandoned"));
		CHECK(sum[3] == jint(live, "short_abandoned"));
		if (n == 1) { /* (two rows only when the test crosses midnight UTC) */
			j = get_ok("/v1/reports/queues?interval=86400", ACME);
			json_t *r = json_array_get(json_object_get(j, "rows"), 0);

			CHECK(jint(r, "asa_ms") == jint(live, "asa_ms"));
			CHECK(jreal(r, "sl_answered") == jreal(live, "sl_answered"));
			CHECK(jreal(r, "sl_with_abandons") == jreal(live, "sl_with_abandons"));
			CHECK(jint(r, "aht_ms") == jint(live, "aht_ms"));
			json_decref(j);
		}
		j = get_ok("/v1/reports/agents?interval=86400", ACME);
		a = json_object_get(j, "rows");
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *r = json_array_get(a, i);

			CHECK(strcmp(jstr(r, "agent"), "agent3") != 0); /* other's */
			if (strcmp(jstr(r, "agent"), "agent1") == 0) {
				ans1 += jint(r, "answered");
				CHECK(jint(r, "staffed_ms") > 0); /* registered since the start */
			}
		}
		CHECK(ans1 == jint(ag1, "answered") && ans1 > 0);
		json_decref(j);
		j = get_ok("/v1/reports/tenant?interval=86400", ACME);
		a = json_object_get(j, "rows");
		for (size_t i = 0; i < json_array_size(a); i++) {
			CHECK(strcmp(jstr(json_array_get(a, i), "tenant"), "acme") == 0);
			t_off += jint(json_array_get(a, i), "offered");
		}
		CHECK(t_off == sum[0]);
		json_decref(j);
		j = get_ok("/v1/reports/queues?interval=86400", OTHER);
		a = json_object_get(j, "rows");
		CHECK(json_array_size(a) >= 1);
		for (size_t i = 0; i < json_array_size(a); i++)
			CHECK(strcmp(jstr(json_array_get(a, i), "queue"), "secret") == 0);
		json_decref(j);
		json_decref(live);
		json_decref(ag1);
		expect_err("GET", "/v1/reports/queues?interval=61", ACME, NULL, 400, "interval");
		expect_err("GET", "/v1/reports/queues?interval=30", ACME, NULL, 400, "interval");
		expect_err("GET", "/v1/reports/queues?from=abc", ACME, NULL, 400, "from");
		expect_err("GET", "/v1/reports/queues?from=-5", ACME, NULL, 400, "from");
		expect_err("GET", "/v1/reports/queues?from=2000000&to=1000000", ACME, NULL, 400,
			   "from");
		expect_err("GET", "/v1/reports/queues?from=0&to=999999999999&interval=60", ACME,
			   NULL, 400, "interval");
		expect_err("GET", "/v1/reports/queues?colour=1", ACME, NULL, 400, "colour");
		expect_err("GET", "/v1/reports/calls", ACME, NULL, 404, NULL);
	}

	/* ---------- f. the event log ---------- */
	{
		long long next, n_acme = 0, n_db;
		const char *want_a[] = { "enter", "offer", "connect", "complete" };
		int ka = 0;

		j = get_ok("/v1/events?since=0", ACME);
		a = json_object_get(j, "events");
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			json_t *q = json_object_get(e, "queue"), *ag_ = json_object_get(e, "agent");

			CHECK(!q || strcmp(json_string_value(q), "secret") != 0);
			CHECK(!ag_ || strcmp(json_string_value(ag_), "agent3") != 0);
			if (json_object_get(e, "call_id") &&
			    strcmp(jstr(e, "call_id"), "queue-call-0") == 0) {
				CHECK(ka < 4 && strcmp(jstr(e, "event"), want_a[ka]) == 0);
				ka++;
			}
			if (json_object_get(e, "call_id") &&
			    strcmp(jstr(e, "call_id"), "queue-call-2") == 0 &&
			    strcmp(jstr(e, "event"), "abandon") == 0) {
				CHECK(jint(e, "position") == 1);
				CHECK(NEAR(jint(e, "wait_ms"), (long long)(t_end[2] - t_in[2]), 200));
			}
			n_acme++;
		}
		CHECK(ka == 4);
		next = jint(j, "next");
		json_decref(j);
		j = get_ok("/v1/events?since=0&limit=2", ACME);
		CHECK(json_array_size(json_object_get(j, "events")) == 2);
		json_decref(j);
		{
			char path[64];

			snprintf(path, sizeof(path), "/v1/events?since=%lld", next);
			j = get_ok(path, ACME);
			CHECK(json_array_size(json_object_get(j, "events")) == 0);
			json_decref(j);
		}
		CHECK(control_stop(pid) == 0);
		pid = 0;
		n_db = (long long)cp_db_int(db, "SELECT count(*) FROM queue_event WHERE "
						"tenant='acme'");
		if (n_db != n_acme)
			fprintf(stderr, "store %lld acme events, API %lld\n", n_db, n_acme);
		CHECK(n_db == n_acme);
		CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE tenant='other'") >= 4);
	}
	fake_dp_rec_stop(&dp);
	cc_remove_work(cfg, db);
	return 0;
}
