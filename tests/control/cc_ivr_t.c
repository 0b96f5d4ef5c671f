/* SPDX-License-Identifier: MIT */
/* cc_ivr_t — the IVR (b2bua/ivr.c) in a real sb-control over real UDP SIP,
 * with a recording fake dataplane on a real segment: the test sees every
 * command in order and injects the DTMF and PROMPT_DONE events a worker
 * would send.  Business hours are written relative to the real clock: a
 * set open all week, and one whose holidays are yesterday, today and
 * tomorrow (UTC), so it is closed whenever the test runs.
 *
 *   menu    200 from us, LEG_MEDIA (DTMF detect + strip) then PROMPT_PLAY
 *           welcome (once); '1' -> PROMPT_STOP (barge-in), PLAY sales;
 *           PROMPT_DONE, '2' -> queue support: music on hold LOOP, the
 *           agent is offered the answered codec only, its 200 connects the
 *           legs (PROMPT_STOP of the music before the CONNECT) with no
 *           second 200 to the caller; the enter event says ivr:main>sales
 *   invalid '7' (no option) -> PLAY invalid, its DONE -> PLAY welcome again;
 *           '9' repeat -> STOP + PLAY welcome; '#' hangup -> BYE
 *   timeout welcome DONE, no digit: after `timeout` (1 s) welcome again
 *           (a retry), DONE, 1 s -> timeout_action hangup: BYE
 *   closed  hotline of the closed menu: PLAY closed only (never welcome),
 *           its DONE -> hangup (timeout 0): BYE
 *   agent   '8' -> INVITE agent1, its 200 connects, its BYE -> BYE to the caller
 *   abandon '3' -> transfer to a queue hotline; the caller hangs up while the
 *           agent rings: CANCEL, an abandon event
 *   api     GET /v1/ivrs[/NAME]: the tenant's menus only (404 for another's),
 *           actions as configured, open_now of each hours branch
 *   tz      hours with time_zone: Europe/London 09:00-17:00; sb-control
 *           restarted with SB_TEST_HOURS_AT (config.h) at 08:30 UTC on a
 *           winter Tuesday (08:30 GMT: closed) then a summer one (09:30
 *           BST: open): open_now and the call's first prompt
 *   CDRs: hangup_by ivr for the three the IVR ended.
 *
 *   cc_ivr_t /path/to/sb-control */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "rec_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128], inst[32], cfg[128], db[128];
static pid_t pid;
static uint16_t p_api;

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

/* ---- the recording dataplane (rec_dp.h): every command, in order ---- */
static struct rec_dp dp;

static void dtmf(uint32_t leg, char digit)
{
	CHECK(rec_dp_dtmf(&dp, leg, digit, 100) == 0);
}

static void prompt_done(uint32_t leg, uint32_t prompt)
{
	CHECK(rec_dp_prompt_done(&dp, leg, prompt) == 0);
}

/* ---- SIP ---- */

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

/* INVITE USER, our 200 (ACKed): the caller's leg; to = the To with our tag */
static uint32_t ivr_call(const char *user, const char *callid, char *to, size_t to_cap)
{
	char ok[8192], ruri_to[128];
	unsigned port = 0;

	snprintf(ruri_to, sizeof(ruri_to), "<sip:%s@127.0.0.1>", user);
	req("INVITE", user, callid, ruri_to, 10, OFFER);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	/* our best codec (PCMU first by default) and DTMF: the caller can press keys */
	CHECK(strstr(sip_body(ok), "m=audio ") != NULL);
	CHECK(sscanf(strstr(sip_body(ok), "m=audio "), "m=audio %u ", &port) == 1);
	CHECK(strncmp(strstr(strstr(sip_body(ok), "m=audio "), "RTP/AVP "), "RTP/AVP 0 101\r\n",
		      15) == 0);
	CHECK(strstr(sip_body(ok), "telephone-event") != NULL);
	sip_hdr(ok, "To", to, to_cap);
	req("ACK", user, callid, to, 10, NULL);
	return rec_dp_leg_at(&dp, port);
}

/* the server's BYE to the caller, answered */
static void expect_bye(void)
{
	char buf[8192];

	CHECK(sipc_expect_method(&caller, buf, sizeof(buf), "BYE", 3000) == 0);
	sipc_respond(&caller, buf, 200, "OK", NULL, NULL, NULL);
}

/* PROMPT_PLAY of PROMPT (once, not a loop) on LEG from FROM on: its index */
static int expect_play(int from, uint32_t leg, uint32_t prompt)
{
	int i = rec_dp_find(&dp, from, SB_CMD_PROMPT_PLAY, leg);

	if (i < 0 || dp.cmd[i].prompt.prompt != prompt || (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP)) {
		fprintf(stderr, "expected PROMPT_PLAY %u once at >= %d, got %d (prompt %u flags %u)\n",
			prompt, from, i, i >= 0 ? dp.cmd[i].prompt.prompt : 0,
			i >= 0 ? dp.cmd[i].prompt.flags : 0);
		CHECK(0);
	}
	return i;
}

enum { P_WELCOME, P_SALES, P_INVALID, P_CLOSED, P_MOH };

static void day_str(int delta, char *out, size_t cap)
{
	time_t t = time(NULL) + delta * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
}

static void start(void)
{
	uint16_t p_sip = sipc_free_port();
	unsigned cseq = 1;
	char buf[8192], ct[300], d0[16], d1[16], d2[16];

	p_api = sipc_free_port();

	day_str(-1, d0, sizeof(d0));
	day_str(0, d1, sizeof(d1));
	day_str(1, d2, sizeof(d2));
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"prompts:\n  welcome: /tmp/sb-ivr-welcome.wav\n  sales: /tmp/sb-ivr-sales.wav\n"
		"  invalid: /tmp/sb-ivr-invalid.wav\n  closed: /tmp/sb-ivr-closed.wav\n"
		"  moh: /tmp/sb-ivr-moh.wav\n"
		"agents:\n  - user: agent1\n    password: secret\n"
		"queues:\n  - name: support\n    members: [agent1]\n    moh: moh\n"
		"hours:\n"
		"  always:\n    open:\n      - days: mon-sun\n        times: [\"00:00-24:00\"]\n"
		"  holiday:\n    utc_offset: UTC\n    open:\n      - days: [mon-fri, sat-sun]\n"
		"        times: [\"00:00-24:00\"]\n    holidays: [\"%s\", \"%s\", \"%s\"]\n"
		"  london:\n    time_zone: Europe/London\n"
		"    open: [{days: mon-fri, times: [\"09:00-17:00\"]}]\n"
		"ivrs:\n"
		"  main:\n    prompt: welcome\n    hours: always\n    closed: hangup\n"
		"    timeout: 1\n    retries: 1\n    invalid: invalid\n"
		"    options:\n      \"1\": menu sales\n      \"9\": repeat\n      \"#\": hangup\n"
		"      \"3\": transfer 800500\n      \"8\": agent agent1\n"
		"    timeout_action: hangup\n"
		"  sales:\n    prompt: sales\n    tenant: acme\n"
		"    options:\n      \"2\": queue support\n"
		"      \"0\": menu main\n"
		"  closedmsg:\n    prompt: closed\n    timeout: 0\n    retries: 0\n"
		"  night:\n    prompt: welcome\n    hours: holiday\n    closed: menu closedmsg\n"
		"  uk:\n    prompt: welcome\n    hours: london\n    closed: menu closedmsg\n"
		"    options:\n      \"#\": hangup\n"
		"hotlines:\n  - number: \"800300\"\n    ivr: main\n"
		"  - number: \"800400\"\n    ivr: night\n"
		"  - number: \"800500\"\n    queue: support\n"
		"  - number: \"800600\"\n    ivr: uk\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - {token: default-token-1, tenant: default}\n"
		"    - {token: acme-token-0001, tenant: acme}\n",
		inst, p_sip, db, d0, d1, d2, p_api);
	pid = control_start(getenv("SB_CONTROL"), cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "reg-a1", &cseq, ct, buf,
			    sizeof(buf)) == 200);
}

/* menu -> sub-menu -> queue -> agent */
static void t_menu(void)
{
	char to[1024], inv[8192], buf[8192], ct[200];
	int mark, im, ip, is, i;
	uint32_t la;

	mark = atomic_load(&dp.n);
	la = ivr_call("800300", "ivr-1", to, sizeof(to));
	CHECK(la != SB_LEG_NONE);
	/* the caller's codec and DTMF detection (stripped: the IVR owns the
	 * digits) before the first prompt */
	im = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la);
	ip = expect_play(mark, la, P_WELCOME);
	CHECK(im >= 0 && im < ip);
	CHECK(dp.cmd[im].media.codec == SB_DP_CODEC_PCMU);
	CHECK((dp.cmd[im].media.flags & (SB_MEDIA_DTMF_4733 | SB_MEDIA_DTMF_STRIP)) ==
	      (SB_MEDIA_DTMF_4733 | SB_MEDIA_DTMF_STRIP));
	/* barge-in: '1' stops the welcome and plays the sub-menu */
	dtmf(la, '1');
	is = rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la);
	CHECK(is > ip);
	ip = expect_play(is, la, P_SALES);
	prompt_done(la, P_SALES);
	usleep(100000);
	mark = atomic_load(&dp.n);
	dtmf(la, '2');
	/* the sub-menu's prompt had ended: nothing to stop; into the queue */
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_STOP, la) == 0);
	i = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, la);
	CHECK(i >= 0 && dp.cmd[i].prompt.prompt == P_MOH &&
	      (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP));
	/* DTMF relayed again once the IVR let go */
	{
		int j = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la);

		CHECK(j >= 0 && j < i && !(dp.cmd[j].media.flags & SB_MEDIA_DTMF_STRIP));
	}
	/* the agent is offered the codec the caller was answered with */
	CHECK(strstr(sip_body(inv), "m=audio ") != NULL);
	{
		char mline[128];
		const char *m = strstr(sip_body(inv), "m=audio ");
		size_t n = strcspn(m, "\r\n");

		snprintf(mline, sizeof(mline), "%.*s", (int)n, m);
		/* exactly PCMU and DTMF: not the PCMA the caller also offered */
		CHECK(strstr(mline, "RTP/AVP ") != NULL &&
		      strcmp(strstr(mline, "RTP/AVP "), "RTP/AVP 0 101") == 0);
	}
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag1", ct,
		     SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n");
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	is = rec_dp_find(&dp, i, SB_CMD_PROMPT_STOP, la);
	{
		int ic = rec_dp_find(&dp, i, SB_CMD_LEG_CONNECT, ANY_LEG);

		CHECK(is > i && ic > is);
	}
	/* no second answer to the caller */
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 300) < 0);
	req("BYE", "800300", "ivr-1", to, 11, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
}

/* invalid digit -> invalid prompt, then the menu again; repeat; hangup */
static void t_invalid(void)
{
	char to[1024];
	int ip, is;
	uint32_t la;
	int mark = atomic_load(&dp.n);

	la = ivr_call("800300", "ivr-2", to, sizeof(to));
	ip = expect_play(mark, la, P_WELCOME);
	dtmf(la, '7');
	is = rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la);
	CHECK(is > ip);
	ip = expect_play(is, la, P_INVALID);
	prompt_done(la, P_INVALID);
	ip = expect_play(ip + 1, la, P_WELCOME);
	/* repeat: the welcome again from the start */
	dtmf(la, '9');
	is = rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la);
	CHECK(is > ip);
	ip = expect_play(is, la, P_WELCOME);
	dtmf(la, '#');
	expect_bye();
	CHECK(rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la) > ip);
	CHECK(rec_dp_find(&dp, ip, SB_CMD_LEG_DEL, la) > ip);
}

/* no digit: the menu again after the timeout, then timeout_action */
static void t_timeout(void)
{
	char to[1024], buf[8192];
	struct timespec a, b;
	int ip, ip2;
	uint32_t la;
	int mark = atomic_load(&dp.n);
	long ms;

	la = ivr_call("800300", "ivr-3", to, sizeof(to));
	ip = expect_play(mark, la, P_WELCOME);
	clock_gettime(CLOCK_MONOTONIC, &a);
	prompt_done(la, P_WELCOME);
	ip2 = expect_play(ip + 1, la, P_WELCOME);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 900); /* `timeout: 1` after the prompt's end, not before */
	/* it had ended: nothing stopped */
	CHECK(rec_dp_count(&dp, ip, SB_CMD_PROMPT_STOP, la) == 0);
	/* retries: 1 -> the second timeout is the timeout_action (hangup) */
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 500) < 0);
	prompt_done(la, P_WELCOME);
	expect_bye();
	CHECK(rec_dp_count(&dp, ip2 + 1, SB_CMD_PROMPT_PLAY, la) == 0);
}

/* closed hours: the closed branch's prompt, then hang up */
static void t_closed(void)
{
	char to[1024];
	int ip;
	uint32_t la;
	int mark = atomic_load(&dp.n);

	la = ivr_call("800400", "ivr-4", to, sizeof(to));
	ip = expect_play(mark, la, P_CLOSED);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, la) == 1); /* never the welcome */
	prompt_done(la, P_CLOSED);
	expect_bye();
	CHECK(rec_dp_count(&dp, ip + 1, SB_CMD_PROMPT_PLAY, la) == 0);
}

/* transfer to an agent: INVITE, its 200 connects (no second 200 to the
 * caller), its BYE ends the call */
static void t_agent(void)
{
	char to[1024], inv[8192], buf[8192], ct[200];
	int ip, ic, mark = atomic_load(&dp.n);
	uint32_t la;

	la = ivr_call("800300", "ivr-5", to, sizeof(to));
	ip = expect_play(mark, la, P_WELCOME);
	dtmf(la, '8');
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la) > ip); /* barge-in */
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag5", ct,
		     SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n");
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	ic = rec_dp_find(&dp, ip, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(ic > ip);
	CHECK(rec_dp_count(&dp, ip + 1, SB_CMD_PROMPT_PLAY, la) == 0); /* no music: not queued */
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 300) < 0);
	{
		char from[1024], ato[1024], cid[128];

		sip_hdr(inv, "From", from, sizeof(from));
		sip_hdr(inv, "To", ato, sizeof(ato));
		sip_hdr(inv, "Call-ID", cid, sizeof(cid));
		sipc_send(&agent, "BYE sip:x@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKivrbye5;rport\n"
			  "Max-Forwards: 70\nFrom: %s;tag=ag5\nTo: %s\nCall-ID: %s\n"
			  "CSeq: 1 BYE\nContent-Length: 0\n\n", agent.server, agent.port, ato, from,
			  cid);
		CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 200, 2000) == 0);
	}
	expect_bye();
}

/* transfer to a queue hotline, then the caller gives up while the agent
 * rings: 200 to its BYE, CANCEL to the agent, an abandon event */
static void t_abandon(void)
{
	char to[1024], inv[8192], buf[8192];
	int mark = atomic_load(&dp.n);
	uint32_t la;

	la = ivr_call("800300", "ivr-6", to, sizeof(to));
	expect_play(mark, la, P_WELCOME);
	dtmf(la, '3');
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	sipc_respond(&agent, inv, 180, "Ringing", "ag6", NULL, NULL);
	usleep(100000);
	req("BYE", "800300", "ivr-6", to, 11, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "CANCEL", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	sipc_respond(&agent, inv, 487, "Request Terminated", "ag6", NULL, NULL);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 200) < 0); /* no BYE back: it left */
}

/* GET PATH with the bearer TOKEN: the status, *out the JSON body (there
 * must be one) */
static int http_get(const char *path, const char *token, json_t **out)
{
	char auth[128];
	int status;

	snprintf(auth, sizeof(auth), "Bearer %s", token);
	status = http("GET", path, auth, NULL, out);
	CHECK(*out != NULL);
	return status;
}

/* GET /v1/ivrs: the tenant's menus, actions spelt as configured, hours now */
static void t_api(void)
{
	json_t *j, *a, *m, *opt;
	size_t i;

	CHECK(http_get("/v1/ivrs", "default-token-1", &j) == 200);
	a = json_object_get(j, "ivrs");
	CHECK(json_is_array(a) && json_array_size(a) == 4); /* sales is acme's */
	m = NULL;
	json_array_foreach(a, i, m)
		if (strcmp(jstr(m, "name"), "main") == 0)
			break;
	CHECK(m && strcmp(jstr(m, "name"), "main") == 0);
	CHECK(strcmp(jstr(m, "prompt"), "welcome") == 0 && strcmp(jstr(m, "invalid"), "invalid") == 0);
	CHECK(json_integer_value(json_object_get(m, "timeout")) == 1 &&
	      json_integer_value(json_object_get(m, "retries")) == 1);
	opt = json_object_get(m, "options");
	CHECK(json_object_size(opt) == 5);
	CHECK(strcmp(jstr(opt, "1"), "menu sales") == 0 && strcmp(jstr(opt, "9"), "repeat") == 0 &&
	      strcmp(jstr(opt, "#"), "hangup") == 0 && strcmp(jstr(opt, "3"), "transfer 800500") == 0 &&
	      strcmp(jstr(opt, "8"), "agent agent1") == 0);
	CHECK(strcmp(jstr(m, "timeout_action"), "hangup") == 0);
	CHECK(strcmp(jstr(m, "hours"), "always") == 0 && json_is_true(json_object_get(m, "open_now")));
	CHECK(json_array_size(json_object_get(m, "hotlines")) == 1 &&
	      strcmp(json_string_value(json_array_get(json_object_get(m, "hotlines"), 0)),
		     "800300") == 0);
	json_decref(j);
	CHECK(http_get("/v1/ivrs/night", "default-token-1", &j) == 200);
	CHECK(strcmp(jstr(j, "closed"), "menu closedmsg") == 0 &&
	      json_is_false(json_object_get(j, "open_now")));
	json_decref(j);
	/* another tenant's menu is as absent as a missing one */
	CHECK(http_get("/v1/ivrs/sales", "default-token-1", &j) == 404);
	CHECK(strcmp(jstr(j, "field"), "name") == 0);
	json_decref(j);
	CHECK(http_get("/v1/ivrs/nope", "default-token-1", &j) == 404);
	json_decref(j);
	CHECK(http_get("/v1/ivrs", "acme-token-0001", &j) == 200);
	a = json_object_get(j, "ivrs");
	CHECK(json_array_size(a) == 1 && strcmp(jstr(json_array_get(a, 0), "name"), "sales") == 0);
	CHECK(strcmp(jstr(json_object_get(json_array_get(a, 0), "options"), "2"), "queue support") == 0);
	json_decref(j);
}

/* time_zone: Europe/London 09:00-17:00, sb-control restarted with its
 * business-hours clock at 08:30 UTC on a Tuesday in winter (08:30 GMT:
 * closed) and in summer (09:30 BST: open): the API's open_now, and a call
 * to the menu's hotline (closed: its closed branch's prompt only) */
static void t_time_zone(const char *at, bool open, const char *callid)
{
	char to[1024];
	int mark, ip;
	uint32_t la;
	json_t *j;

	setenv("SB_TEST_HOURS_AT", at, 1);
	start();
	unsetenv("SB_TEST_HOURS_AT");
	CHECK(http_get("/v1/ivrs/uk", "default-token-1", &j) == 200);
	CHECK(strcmp(jstr(j, "hours"), "london") == 0 &&
	      strcmp(jstr(j, "time_zone"), "Europe/London") == 0);
	CHECK(json_is_boolean(json_object_get(j, "open_now")) &&
	      json_is_true(json_object_get(j, "open_now")) == open);
	json_decref(j);
	mark = atomic_load(&dp.n);
	la = ivr_call("800600", callid, to, sizeof(to));
	ip = expect_play(mark, la, open ? P_WELCOME : P_CLOSED);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, la) == 1);
	if (open) {
		dtmf(la, '#');
	} else {
		prompt_done(la, P_CLOSED);
	}
	expect_bye();
	CHECK(rec_dp_count(&dp, ip + 1, SB_CMD_PROMPT_PLAY, la) == 0);
	CHECK(control_stop(pid) == 0);
	pid = 0;
}

int main(int argc, char **argv)
{
	char buf[256];

	if (argc < 2)
		return T_SKIP;
	setenv("SB_CONTROL", argv[1], 1);
	snprintf(inst, sizeof(inst), "ivr%d", (int)getpid());
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_cc_ivr_t", dir, cfg, db, logp);
	start();
	t_menu();
	t_invalid();
	t_timeout();
	t_closed();
	t_agent();
	t_abandon();
	t_api();
	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* the store is complete once sb-control has exited */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='ivr-1' AND "
			    "event='enter' AND queue='support' AND other='ivr:main>sales'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='ivr-1' AND "
			    "event='connect' AND agent='agent1'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id IN ('ivr-2','ivr-3','ivr-4') "
			    "AND hangup_by='ivr' AND status=200") == 3);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='ivr-1' AND agent='agent1' "
			    "AND hangup_by='caller'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='ivr-5' AND agent='agent1' "
			    "AND hangup_by='agent' AND status=200") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='ivr-6' AND "
			    "event='enter' AND other='ivr:main'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='ivr-6' AND "
			    "event='abandon'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='ivr-6' AND "
			    "hangup_by='caller' AND status=200") == 1);
	{
		char w[24], su[24];

		/* Tuesdays 2027-01-12 and 2027-07-13, 08:30 UTC */
		snprintf(w, sizeof(w), "%lld", 1799742600LL);
		snprintf(su, sizeof(su), "%lld", 1815467400LL);
		t_time_zone(w, false, "ivr-7");
		t_time_zone(su, true, "ivr-8");
	}
	rec_dp_stop(&dp, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
