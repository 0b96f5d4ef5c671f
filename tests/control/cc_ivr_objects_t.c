/* SPDX-License-Identifier: MIT */
/* cc_ivr_objects_t — IVR menus and business hours created, replaced and
 * deleted through the API at run time (control/api/objects.c,
 * config_ivr.c sb_config_ivr_object_parse, store/ccobj.c), in a real
 * sb-control over real UDP SIP with the recording fake dataplane (rec_dp.h:
 * every command seen, DTMF and PROMPT_DONE injected as a worker would) and
 * a real SQLite store.  The config file has no `ivrs:` and no `hours:`.
 *
 *  a. bad bodies: 400 naming the field as "ivrs.NAME.key.path" /
 *     "hours.NAME.key.path" (unknown queue in an option, unknown prompt, a
 *     key that is no digit, unknown hours, a number that is not one, an
 *     unknown key, another tenant's queue, another tenant named, a reversed
 *     time range, a bad day, a bad offset, a date that does not exist, bad
 *     JSON, a YAML alias);
 *  b. hours "always" (open all week) and "shut" (holidays yesterday, today
 *     and tomorrow: closed whenever the test runs), menus sales and main
 *     (sales replaced to lead back to main), hotlines 800300 -> main and
 *     800400 -> night (hours shut) are created; GET /v1/hours and /v1/ivrs
 *     show them;
 *  c. a call to 800300: PLAY welcome, '1' -> PLAY sales, '2' -> queue
 *     support: agent1 is INVITEd; a call to 800400: closed -> BYE with no
 *     prompt;
 *  d. main replaced while a call is in it (welcome playing): the next digit
 *     goes by the new options ('3' -> sales, no option before), the next
 *     entry of main plays the new prompt, its '1' (now hangup) -> BYE;
 *  e. tenant isolation: the other tenant's token gets 404 for acme's menus
 *     and hours, 409 for their names, its lists do not show them, and its
 *     menu cannot name acme's hours, menus or hotlines (400, as if they did
 *     not exist), nor its hotline acme's menu;
 *  f. deletes: main (a hotline starts in it), sales (main leads to it),
 *     always (main checks them) refused 409 naming why; spare created,
 *     deleted (404 after), created again in its slot; past `limits: ivrs`
 *     409 (deleted slots count);
 *  g. restart on the same SQLite file: main as replaced, sales, the hours,
 *     spare are back (main and sales name each other), gone stays gone; a
 *     stored menu and hours set that no longer validate are logged with
 *     the field and skipped; a call to 800300 routes as the replaced main
 *     says.
 *
 *   cc_ivr_objects_t /path/to/sb-control */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "rec_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.12"
#define ACME "Bearer acme-token-0001"
#define OTHER "Bearer other-token-0002"

static char dir[64], logp[128], inst[32], cfg[128], db[128];
static pid_t pid;
static uint16_t p_api, p_sip;

static void fail_dump(const char *what, int line)
{
	char name[64];

	control_fail_report(what, line, logp, pid);
	snprintf(name, sizeof(name), "/switchboard.%s", inst);
	shm_unlink(name); /* the fake dataplane's segment: ours, by name */
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

#include "http_test.h"

static struct rec_dp dp;

enum { P_WELCOME, P_SALES, P_INVALID, P_CLOSED, P_MOH };

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define OFFER SDP_HEAD "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

static struct sipc caller, agent;

static void req(const char *method, const char *user, const char *callid, const char *to,
		int cseq, const char *sdp)
{
	sipc_send(&caller, "%s sip:%s@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %d %s\nContact: <sip:alice@127.0.0.1:%u>\n"
		     "%sContent-Length: %zu\n\n%s",
		  method, user, caller.server, caller.port, method, callid, cseq, callid, to,
		  callid, cseq, method, caller.port, sdp ? "Content-Type: application/sdp\n" : "",
		  sdp ? strlen(sdp) : 0, sdp ? sdp : "");
}

/* INVITE USER answered by us (the IVR), ACKed: the caller's leg */
static uint32_t ivr_call(const char *user, const char *callid, char *to, size_t to_cap)
{
	char ok[8192], ruri_to[128];
	unsigned port = 0;

	snprintf(ruri_to, sizeof(ruri_to), "<sip:%s@127.0.0.1>", user);
	req("INVITE", user, callid, ruri_to, 10, OFFER);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	CHECK(strstr(sip_body(ok), "m=audio ") != NULL);
	CHECK(sscanf(strstr(sip_body(ok), "m=audio "), "m=audio %u ", &port) == 1);
	sip_hdr(ok, "To", to, to_cap);
	req("ACK", user, callid, to, 10, NULL);
	return rec_dp_leg_at(&dp, port);
}

static void expect_bye(void)
{
	char buf[8192];

	CHECK(sipc_expect_method(&caller, buf, sizeof(buf), "BYE", 3000) == 0);
	sipc_respond(&caller, buf, 200, "OK", NULL, NULL, NULL);
}

/* PROMPT_PLAY of PROMPT on LEG from FROM on: its index */
static int expect_play(int from, uint32_t leg, uint32_t prompt)
{
	int i = rec_dp_find(&dp, from, SB_CMD_PROMPT_PLAY, leg);

	if (i < 0 || dp.cmd[i].prompt.prompt != prompt) {
		fprintf(stderr, "expected PROMPT_PLAY %u at >= %d, got %d (prompt %u)\n", prompt,
			from, i, i >= 0 ? dp.cmd[i].prompt.prompt : 0);
		CHECK(0);
	}
	return i;
}

static void dtmf(uint32_t leg, char digit)
{
	CHECK(rec_dp_dtmf(&dp, leg, digit, 100) == 0);
}

static void day_str(int delta, char *out, size_t cap)
{
	time_t t = time(NULL) + delta * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
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

static void put(const char *path, const char *auth, const char *body, int want)
{
	json_decref(req_ok("PUT", path, auth, body, want));
}

static void start(void)
{
	unsigned cseq = 1;
	char buf[8192], ct[300];

	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"prompts:\n  welcome: /tmp/sb-ivro-welcome.wav\n  sales: /tmp/sb-ivro-sales.wav\n"
		"  invalid: /tmp/sb-ivro-invalid.wav\n  closed: /tmp/sb-ivro-closed.wav\n"
		"  moh: /tmp/sb-ivro-moh.wav\n"
		"limits: {ivrs: 8, hours: 4}\n"
		"agents:\n  - {user: agent1, password: secret, tenant: acme}\n"
		"  - {user: agent2, password: secret, tenant: other}\n"
		"queues:\n  - {name: support, members: [agent1], moh: moh, tenant: acme}\n"
		"  - {name: otherq, members: [agent2], tenant: other}\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - {token: acme-token-0001, tenant: acme}\n"
		"    - {token: other-token-0002, tenant: other}\n",
		inst, p_sip, db, p_api);
	pid = control_start(getenv("SB_CONTROL"), cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "reg-a1", &cseq, ct, buf,
			    sizeof(buf)) == 200);
}

static void stop(void)
{
	CHECK(control_stop(pid) == 0);
	pid = 0;
	close(caller.fd);
	close(agent.fd);
}

/* a. refused, naming the field */
static void t_bad(void)
{
	char b[512], d1[16];

	expect_err("PUT", "/v1/ivrs/main", ACME,
		   "{\"prompt\": \"welcome\", \"options\": {\"1\": \"queue nosuch\"}}", 400,
		   "ivrs.main.options.1");
	expect_err("PUT", "/v1/ivrs/main", ACME, "{\"prompt\": \"nope\"}", 400, "ivrs.main.prompt");
	expect_err("PUT", "/v1/ivrs/main", ACME,
		   "{\"prompt\": \"welcome\", \"options\": {\"12\": \"hangup\"}}", 400,
		   "ivrs.main.options.12");
	expect_err("PUT", "/v1/ivrs/main", ACME,
		   "{\"prompt\": \"welcome\", \"hours\": \"nosuch\", \"closed\": \"hangup\"}", 400,
		   "ivrs.main.hours");
	expect_err("PUT", "/v1/ivrs/main", ACME, "{\"prompt\": \"welcome\", \"retries\": \"x\"}",
		   400, "ivrs.main.retries");
	expect_err("PUT", "/v1/ivrs/main", ACME, "{\"prompt\": \"welcome\", \"bogus\": 1}", 400,
		   "ivrs.main.bogus");
	expect_err("PUT", "/v1/ivrs/main", ACME,
		   "{\"prompt\": \"welcome\", \"options\": {\"1\": \"dance\"}}", 400,
		   "ivrs.main.options.1");
	/* another tenant's queue: as if it did not exist */
	expect_err("PUT", "/v1/ivrs/main", ACME,
		   "{\"prompt\": \"welcome\", \"options\": {\"1\": \"queue otherq\"}}", 400,
		   "ivrs.main.options.1");
	expect_err("PUT", "/v1/ivrs/main", ACME, "{\"prompt\": \"welcome\", \"tenant\": \"other\"}",
		   400, "ivrs.main.tenant");
	expect_err("PUT", "/v1/ivrs/main", ACME, "{\"prompt\": \"welcome\"", 400, NULL);
	expect_err("PUT", "/v1/ivrs/main", ACME, "{prompt: &a welcome, invalid: *a}", 400, NULL);
	expect_err("PUT", "/v1/hours/office", ACME,
		   "{\"open\": [{\"days\": \"mon-fri\", \"times\": [\"17:00-09:00\"]}]}", 400,
		   "hours.office.open.0.times.0");
	expect_err("PUT", "/v1/hours/office", ACME,
		   "{\"open\": [{\"days\": \"funday\", \"times\": [\"09:00-17:00\"]}]}", 400,
		   "hours.office.open.0.days");
	expect_err("PUT", "/v1/hours/office", ACME, "{\"utc_offset\": \"+25:00\", \"open\": []}",
		   400, "hours.office.utc_offset");
	expect_err("PUT", "/v1/hours/office", ACME,
		   "{\"open\": [], \"holidays\": [\"2026-01-01\", \"2026-02-30\"]}", 400,
		   "hours.office.holidays.1");
	expect_err("PUT", "/v1/hours/office", ACME, "{\"holidays\": []}", 400, NULL);
	/* nothing of it was kept */
	expect_err("GET", "/v1/ivrs/main", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/hours/office", ACME, NULL, 404, "name");
	day_str(0, d1, sizeof(d1));
	snprintf(b, sizeof(b), "{\"open\": [{\"days\": \"mon\", \"times\": [\"09:00-10:00\"]}], "
		 "\"holidays\": [\"%s\"], \"tenant\": \"other\"}", d1);
	expect_err("PUT", "/v1/hours/office", ACME, b, 400, "hours.office.tenant");
}

/* b. hours, menus, hotlines */
static void t_create(void)
{
	char b[512], d0[16], d1[16], d2[16];
	json_t *j, *a, *m;

	put("/v1/hours/always", ACME,
	    "{\"utc_offset\": \"+01:00\", \"open\": [{\"days\": \"mon-sun\", "
	    "\"times\": [\"00:00-24:00\"]}], \"holidays\": [\"2020-12-25\"]}", 201);
	day_str(-1, d0, sizeof(d0));
	day_str(0, d1, sizeof(d1));
	day_str(1, d2, sizeof(d2));
	snprintf(b, sizeof(b), "{\"utc_offset\": \"UTC\", \"open\": [{\"days\": [\"mon-fri\", "
		 "\"sat-sun\"], \"times\": [\"00:00-24:00\"]}], \"holidays\": [\"%s\", \"%s\", "
		 "\"%s\"]}", d0, d1, d2);
	put("/v1/hours/shut", ACME, b, 201);
	j = get_ok("/v1/hours", ACME);
	a = json_object_get(j, "hours");
	CHECK(json_is_array(a) && json_array_size(a) == 2);
	json_decref(j);
	j = get_ok("/v1/hours/always", ACME);
	CHECK(json_is_true(json_object_get(j, "open_now")));
	CHECK(strcmp(jstr(j, "utc_offset"), "+01:00") == 0 && strcmp(jstr(j, "tenant"), "acme") == 0);
	m = json_array_get(json_object_get(j, "open"), 0);
	CHECK(json_array_size(json_object_get(m, "days")) == 7);
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(m, "times"), 0)),
		     "00:00-24:00") == 0);
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(j, "holidays"), 0)),
		     "2020-12-25") == 0);
	json_decref(j);
	j = get_ok("/v1/hours/shut", ACME);
	CHECK(json_is_false(json_object_get(j, "open_now")));
	json_decref(j);

	/* sales first (main does not exist yet), main, then sales back to main */
	put("/v1/ivrs/sales", ACME, "{\"prompt\": \"sales\", \"options\": {\"2\": \"queue support\"}}",
	    201);
	expect_err("PUT", "/v1/ivrs/sales", ACME,
		   "{\"prompt\": \"sales\", \"options\": {\"0\": \"menu main\"}}", 400,
		   "ivrs.sales.options.0");
	put("/v1/ivrs/main", ACME,
	    "{\"prompt\": \"welcome\", \"hours\": \"always\", \"closed\": \"hangup\", "
	    "\"timeout\": 30, \"invalid\": \"invalid\", "
	    "\"options\": {\"1\": \"menu sales\", \"#\": \"hangup\", \"9\": \"repeat\"}}", 201);
	put("/v1/ivrs/sales", ACME,
	    "prompt: sales\noptions:\n  \"2\": queue support\n  \"0\": menu main\n", 200);
	put("/v1/ivrs/night", ACME,
	    "{\"prompt\": \"welcome\", \"hours\": \"shut\", \"closed\": \"hangup\"}", 201);
	put("/v1/hotlines/800300", ACME, "{\"ivr\": \"main\"}", 201);
	put("/v1/hotlines/800400", ACME, "{\"ivr\": \"night\"}", 201);
	j = get_ok("/v1/ivrs/sales", ACME);
	CHECK(strcmp(jstr(json_object_get(j, "options"), "0"), "menu main") == 0);
	CHECK(strcmp(jstr(json_object_get(j, "options"), "2"), "queue support") == 0);
	json_decref(j);
	j = get_ok("/v1/ivrs/main", ACME);
	CHECK(strcmp(jstr(j, "hours"), "always") == 0 && json_is_true(json_object_get(j, "open_now")));
	CHECK(json_array_size(json_object_get(j, "hotlines")) == 1);
	json_decref(j);
}

/* c. the new menus route real calls */
static void t_call(void)
{
	char to[1024], inv[8192], buf[8192], ct[200];
	int mark, ip;
	uint32_t la;

	mark = atomic_load(&dp.n);
	la = ivr_call("800300", "ivro-1", to, sizeof(to));
	CHECK(la != SB_LEG_NONE);
	ip = expect_play(mark, la, P_WELCOME);
	dtmf(la, '1');
	ip = expect_play(ip + 1, la, P_SALES);
	dtmf(la, '2');
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag1", ct,
		     SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n");
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	req("BYE", "800300", "ivro-1", to, 11, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	(void)ip;

	/* closed: hangup, no prompt */
	mark = atomic_load(&dp.n);
	la = ivr_call("800400", "ivro-2", to, sizeof(to));
	expect_bye();
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, la) == 0);
}

/* d. replaced with a caller in it */
static void t_replace(void)
{
	char to[1024];
	int mark, ip;
	uint32_t la;

	mark = atomic_load(&dp.n);
	la = ivr_call("800300", "ivro-3", to, sizeof(to));
	ip = expect_play(mark, la, P_WELCOME);
	/* welcome still playing: main now answers '3' (it had no '3') */
	put("/v1/ivrs/main", ACME,
	    "{\"prompt\": \"closed\", \"hours\": \"always\", \"closed\": \"hangup\", "
	    "\"timeout\": 30, \"options\": {\"3\": \"menu sales\", \"1\": \"hangup\"}}", 200);
	dtmf(la, '3');
	ip = expect_play(ip + 1, la, P_SALES); /* not the invalid prompt */
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, la) == 2);
	dtmf(la, '0');                         /* back to main: its new prompt */
	ip = expect_play(ip + 1, la, P_CLOSED);
	dtmf(la, '1');                         /* now hangup */
	expect_bye();
	CHECK(rec_dp_count(&dp, ip + 1, SB_CMD_PROMPT_PLAY, la) == 0);
}

/* f. deletes */
static void t_delete(void)
{
	json_t *j;

	expect_err("DELETE", "/v1/ivrs/main", ACME, NULL, 409, "name");
	expect_err("DELETE", "/v1/ivrs/sales", ACME, NULL, 409, "name");
	expect_err("DELETE", "/v1/hours/always", ACME, NULL, 409, "name");
	expect_err("DELETE", "/v1/ivrs/nosuch", ACME, NULL, 404, "name");
	put("/v1/ivrs/spare", ACME, "{\"prompt\": \"welcome\"}", 201);
	json_decref(req_ok("DELETE", "/v1/ivrs/spare", ACME, NULL, 200));
	expect_err("GET", "/v1/ivrs/spare", ACME, NULL, 404, "name");
	put("/v1/ivrs/spare", ACME, "{\"prompt\": \"sales\"}", 200); /* its slot again */
	put("/v1/ivrs/gone", ACME, "{\"prompt\": \"welcome\"}", 201);
	json_decref(req_ok("DELETE", "/v1/ivrs/gone", ACME, NULL, 200));
	put("/v1/hours/spare", ACME, "{\"open\": []}", 201);
	json_decref(req_ok("DELETE", "/v1/hours/spare", ACME, NULL, 200));
	expect_err("GET", "/v1/hours/spare", ACME, NULL, 404, "name");
	/* no room past limits: ivrs: 8 (deleted slots kept; omenu is other's) */
	put("/v1/ivrs/x1", ACME, "{\"prompt\": \"welcome\"}", 201);
	put("/v1/ivrs/x2", ACME, "{\"prompt\": \"welcome\"}", 201);
	expect_err("PUT", "/v1/ivrs/x3", ACME, "{\"prompt\": \"welcome\"}", 409, "name");
	j = get_ok("/v1/ivrs", ACME);
	CHECK(json_array_size(json_object_get(j, "ivrs")) == 6); /* gone not listed */
	json_decref(j);
}

/* e. the other tenant */
static void t_tenant(void)
{
	json_t *j;

	expect_err("GET", "/v1/ivrs/main", OTHER, NULL, 404, "name");
	expect_err("GET", "/v1/hours/always", OTHER, NULL, 404, "name");
	expect_err("DELETE", "/v1/ivrs/main", OTHER, NULL, 404, "name");
	expect_err("DELETE", "/v1/hours/shut", OTHER, NULL, 404, "name");
	expect_err("PUT", "/v1/ivrs/main", OTHER, "{\"prompt\": \"welcome\"}", 409, "name");
	expect_err("PUT", "/v1/hours/always", OTHER, "{\"open\": []}", 409, "name");
	j = get_ok("/v1/hours", OTHER);
	CHECK(json_array_size(json_object_get(j, "hours")) == 0);
	json_decref(j);
	j = get_ok("/v1/ivrs", OTHER);
	CHECK(json_array_size(json_object_get(j, "ivrs")) == 0);
	json_decref(j);
	expect_err("PUT", "/v1/ivrs/omenu", OTHER,
		   "{\"prompt\": \"welcome\", \"hours\": \"always\", \"closed\": \"hangup\"}", 400,
		   "ivrs.omenu.hours");
	expect_err("PUT", "/v1/ivrs/omenu", OTHER,
		   "{\"prompt\": \"welcome\", \"options\": {\"1\": \"menu main\"}}", 400,
		   "ivrs.omenu.options.1");
	expect_err("PUT", "/v1/ivrs/omenu", OTHER,
		   "{\"prompt\": \"welcome\", \"options\": {\"1\": \"transfer 800300\"}}", 400,
		   "ivrs.omenu.options.1");
	expect_err("PUT", "/v1/hotlines/800900", OTHER, "{\"ivr\": \"main\"}", 400,
		   "hotlines.800900.ivr");
	put("/v1/ivrs/omenu", OTHER, "{\"prompt\": \"welcome\", \"options\": {\"1\": "
	    "\"queue otherq\", \"2\": \"menu omenu\"}}", 201);
}

/* g. after a restart on the same store */
static void t_restart(void)
{
	char to[1024];
	json_t *j;
	int mark, ip;
	uint32_t la;

	stop();
	{ /* rows the config no longer allows: logged (kind, name, field), skipped */
		sqlite3 *d;

		CHECK(sqlite3_open(db, &d) == SQLITE_OK);
		CHECK(sqlite3_exec(d, "INSERT INTO cc_object VALUES('ivr', 'broken', 'acme', "
				      "'{\"prompt\": \"welcome\", \"options\": {\"1\": \"menu nosuch\"}}', 1);"
				      "INSERT INTO cc_object VALUES('hours', 'hbroken', 'acme', "
				      "'{\"open\": [{\"days\": \"xyz\", \"times\": []}]}', 1)",
				   NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(d);
	}
	start();
	CHECK(log_has("ivr 'broken'", "options.1"));
	CHECK(log_has("hours 'hbroken'", "open.0.days"));
	expect_err("GET", "/v1/ivrs/broken", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/hours/hbroken", ACME, NULL, 404, "name");
	j = get_ok("/v1/ivrs/main", ACME);
	CHECK(strcmp(jstr(j, "prompt"), "closed") == 0);
	CHECK(strcmp(jstr(json_object_get(j, "options"), "3"), "menu sales") == 0);
	CHECK(json_object_get(json_object_get(j, "options"), "9") == NULL);
	json_decref(j);
	j = get_ok("/v1/ivrs/spare", ACME);
	CHECK(strcmp(jstr(j, "prompt"), "sales") == 0);
	json_decref(j);
	j = get_ok("/v1/hours/always", ACME);
	CHECK(strcmp(jstr(j, "utc_offset"), "+01:00") == 0);
	json_decref(j);
	j = get_ok("/v1/hours/shut", ACME);
	CHECK(json_is_false(json_object_get(j, "open_now")));
	json_decref(j);
	expect_err("GET", "/v1/ivrs/gone", ACME, NULL, 404, "name");
	expect_err("GET", "/v1/hours/spare", ACME, NULL, 404, "name");
	j = get_ok("/v1/ivrs/omenu", OTHER);
	json_decref(j);
	expect_err("DELETE", "/v1/ivrs/main", ACME, NULL, 409, "name");

	mark = atomic_load(&dp.n);
	la = ivr_call("800300", "ivro-4", to, sizeof(to));
	ip = expect_play(mark, la, P_CLOSED);
	dtmf(la, '3');
	ip = expect_play(ip + 1, la, P_SALES);
	req("BYE", "800300", "ivro-4", to, 11, NULL);
	{
		char buf[8192];

		CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	}
	(void)ip;
}

int main(int argc, char **argv)
{
	char buf[256];

	if (argc < 2)
		return T_SKIP;
	setenv("SB_CONTROL", argv[1], 1);
	snprintf(inst, sizeof(inst), "ivrobj%d", (int)getpid());
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_cc_ivrobj_t", dir, cfg, db, logp);
	p_sip = sipc_free_port();
	p_api = sipc_free_port();
	start();
	t_bad();
	t_create();
	t_call();
	t_replace();
	t_tenant();
	t_delete();
	t_restart();
	usleep(100000);
	stop();
	CHECK(cp_db_int(db, "SELECT count(*) FROM cc_object WHERE kind='ivr' AND body IS NOT NULL")
	      >= 7);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cc_object WHERE kind='ivr' AND name='gone' AND "
			    "body IS NULL") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cc_object WHERE kind='hours'") == 4);
	rec_dp_stop(&dp, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
