/* SPDX-License-Identifier: MIT */
/* cc_callback_dial_t — callbacks dialled back through the outbound trunk
 * (b2bua/callback.c), in a real sb-control over real UDP SIP with a
 * recording fake dataplane (rec_dp.h), real SQLite.  The trunk is a UDP
 * socket of the test (the `outbound: proxy:`) playing the customers.
 *
 * Agent-first (queue qa: agent1, agent2; one retry after 1 s): caller1
 * waits behind agent1's and agent2's calls and presses 5.  caller2 comes
 * later.  agent1 hangs up: it is rung for the callback (From caller1,
 * the customer's number) and does not answer (CANCEL at the ring
 * timeout); the place keeps its turn: agent2, freed next, is offered the
 * callback, not caller2.  agent2 answers: music on its leg, the trunk
 * gets INVITE sip:caller1@trunk; busy (486): row retry 1, agent2 BYEd and
 * free at once (it is offered caller2 without any delay).  caller3
 * arrives; the place comes back after 1 s ahead of it (GET /v1/calls:
 * position 1, caller3 2).  agent2 hangs up caller2: the callback again,
 * agent2 answers, the trunk answers 200: LEG_CONNECT agent leg <-> customer
 * leg, rows dialling/answered/connected and connect; the customer hangs
 * up: agent2 gets BYE, a complete row with the talk time.
 *
 * Customer-first (queue qc: agent3, no retry): caller6's callback: agent3
 * is reserved but not rung while the trunk rings; the customer answers
 * and hears the music, then agent3 is rung and answers: connected; agent3
 * hangs up: BYE to the customer.  caller7's: the trunk answers 480, row
 * failed 480 (retries exhausted), agent3 offered the next caller at once.
 * caller10's: the customer answers and hangs up while agent3 rings:
 * agent3's INVITE is CANCELled, abandon row.
 *
 * REFER to an outside number: agent2 transfers a caller to 0155501 (no
 * agent, no hotline): the trunk gets INVITE sip:90155501@trunk (prefix
 * "9"), answers, the caller's agent side is the customer now; NOTIFY 200.
 * IVR `transfer "0155777"` (no such hotline, a trunk configured): the
 * caller presses 1, the trunk gets INVITE sip:90155777@trunk, its answer
 * connects the caller's leg to it; the caller's BYE reaches it.  A caller
 * whose From user the trunk cannot dial (an escape) fails at once: 484.
 *
 *   cc_callback_dial_t /path/to/sb-control */
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"
#include "rec_dp.h"

#define MEDIA_IP "203.0.113.10"
#define NAGENTS 3
#define TOKEN "Bearer default-token-1"
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static struct rec_dp dp;
static struct ua trunk;

/* caller n presses d on its leg (music on hold, prompt 0, since from) */
static void press(int n, int from, char d)
{
	char buf[8192];
	uint32_t leg = SB_LEG_NONE;

	for (int t = 0; t < 400 && leg == SB_LEG_NONE; t++) {
		int k = atomic_load(&dp.n);

		for (int i = from; i < k; i++)
			if (dp.cmd[i].h.type == SB_CMD_PROMPT_PLAY && dp.cmd[i].prompt.prompt == 0 &&
			    (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP))
				leg = dp.cmd[i].h.leg;
		if (leg == SB_LEG_NONE)
			usleep(5000);
	}
	CHECK(leg != SB_LEG_NONE);
	CHECK(rec_dp_dtmf(&dp, leg, d, 100) == 0);
	do
		CHECK(sipc_recv(&callers[n].s, buf, sizeof(buf), 2000) > 0);
	while (sip_status(buf) < 200);
	CHECK(sip_status(buf) == 480);
	{
		char to[512];
		struct ua *u = &callers[n];

		sip_hdr(buf, "To", to, sizeof(to));
		sipc_send(&u->s, "ACK sip:%s@127.0.0.1:%u SIP/2.0\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
				 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: 10 ACK\n"
				 "Content-Length: 0\n\n",
			  u->number, u->s.server, u->s.port, u->inv_branch, u->from, to, u->callid);
	}
}

/* u receives an INVITE within ms whose From holds who (and whose
 * Request-URI starts with ruri when given) */
static void expect_invite(struct ua *u, const char *who, const char *ruri, int ms)
{
	char from[512];

	CHECK(sipc_expect_method(&u->s, u->inv, sizeof(u->inv), "INVITE", ms) == 0);
	CHECK(sip_hdr(u->inv, "From", from, sizeof(from)) == 0);
	if (!strstr(from, who))
		fprintf(stderr, "From: %s, wanted %s\n", from, who);
	CHECK(strstr(from, who) != NULL);
	if (ruri)
		CHECK(strncmp(u->inv + 7, ruri, strlen(ruri)) == 0);
}

/* u answers its INVITE 200 with media on port, gets the ACK; the local
 * port of our leg toward it (its SDP offer's m= port) */
static unsigned accept_inv(struct ua *u, unsigned port)
{
	char buf[8192], tag[32];
	unsigned p = 0;

	snprintf(tag, sizeof(tag), "acc%d", ++branch_no);
	sipc_respond(&u->s, u->inv, 180, "Ringing", tag, NULL, NULL);
	ua_send_200(u, tag, port);
	CHECK(sipc_expect_method(&u->s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(strstr(sip_body(u->inv), "m=audio "));
	CHECK(sscanf(strstr(sip_body(u->inv), "m=audio "), "m=audio %u", &p) == 1);
	return p;
}

/* u answers its INVITE with a failure, gets the ACK */
static void reject_inv(struct ua *u, int code)
{
	char buf[8192];

	sipc_respond(&u->s, u->inv, code, "Nope", "rej", NULL, NULL);
	CHECK(sipc_expect_method(&u->s, buf, sizeof(buf), "ACK", 2000) == 0);
}

static void expect_bye(struct ua *u)
{
	char buf[8192];

	CHECK(sipc_expect_method(&u->s, buf, sizeof(buf), "BYE", 3000) == 0);
	sipc_respond(&u->s, buf, 200, "OK", NULL, NULL, NULL);
}

static void ua_bye(struct ua *u)
{
	char buf[8192];

	ua_req(u, "BYE");
	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), 200, 2000) == 0);
}

/* LEG_CONNECT of x and y from `from` on */
static void connected(int from, uint32_t x, uint32_t y)
{
	int i = rec_dp_find(&dp, from, SB_CMD_LEG_CONNECT, ANY_LEG);

	CHECK(i >= 0);
	CHECK(x != SB_LEG_NONE && y != SB_LEG_NONE);
	CHECK((dp.cmd[i].h.leg == x && dp.cmd[i].connect.leg_b == y) ||
	      (dp.cmd[i].h.leg == y && dp.cmd[i].connect.leg_b == x));
}

/* music (prompt 0 LOOP) on leg from `from` on */
static bool moh_on(int from, uint32_t leg)
{
	for (int t = 0; t < 400; t++) {
		int k = atomic_load(&dp.n);

		for (int i = from; i < k; i++)
			if (dp.cmd[i].h.type == SB_CMD_PROMPT_PLAY && dp.cmd[i].h.leg == leg &&
			    dp.cmd[i].prompt.prompt == 0 && (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP))
				return true;
		usleep(5000);
	}
	return false;
}

/* GET /v1/calls: the entry of call id, its position and callback state */
static void live(const char *id, const char *cb_state, int pos)
{
	json_t *j = get_ok("/v1/calls", TOKEN), *calls = json_object_get(j, "calls");
	bool seen = false;

	for (size_t i = 0; i < json_array_size(calls); i++) {
		json_t *e = json_array_get(calls, i);
		json_t *cs = json_object_get(e, "callback_state");

		if (strcmp(jstr(e, "call_id"), id) != 0)
			continue;
		seen = true;
		if (cb_state)
			CHECK(cs && strcmp(json_string_value(cs), cb_state) == 0);
		if (pos >= 0)
			CHECK(jint(e, "position") == pos);
	}
	CHECK(seen);
	json_decref(j);
}

static int rows(const char *db, const char *where)
{
	return cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE %s", where);
}

int main(int argc, char **argv)
{
	char cfg[128], db[128], inst[32], ruri[64];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint16_t p_car, p_agt;
	unsigned pa, pc;
	int m;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbcbd%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_cc_callback_dial_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	trunk.name = "trunk";
	sipc_open(&trunk.s, p_car);
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"prompts:\n  moh: /tmp/cbk-moh.wav\n  welcome: /tmp/cbk-welcome.wav\n"
		"outbound:\n  proxy: 127.0.0.1:%u\n  from_user: \"800100\"\n  prefix: \"9\"\n"
		"agents:\n  - user: agent1\n    password: secret\n    noanswer_delay: 60\n"
		"  - user: agent2\n    password: secret\n"
		"  - user: agent3\n    password: secret\n"
		"queues:\n  - name: qa\n    members: [agent1, agent2]\n    moh: moh\n"
		"    ring_timeout: 1\n    callback_digit: \"5\"\n    callback_retries: 1\n"
		"    callback_retry_after: 1\n    callback_ring_timeout: 3\n"
		"  - name: qc\n    members: [agent3]\n    moh: moh\n    ring_timeout: 3\n"
		"    callback_digit: \"5\"\n    callback_mode: customer-first\n"
		"    callback_retries: 0\n"
		"ivrs:\n  main:\n    prompt: welcome\n    timeout: 10\n"
		"    options: {\"1\": transfer \"0155777\"}\n"
		"hotlines:\n  - number: \"800100\"\n    queue: qa\n"
		"  - number: \"800900\"\n    ivr: main\n"
		"  - number: \"800300\"\n    queue: qc\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - {token: default-token-1, tenant: default}\n",
		inst, p_car, p_agt, db, trunk.s.port, p_api);
	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 15, p_car, p_agt);

	/* ================= agent-first ================= */
	call_in(0, "800100");
	CHECK(offered(0, 2000) == 0);
	answer(0, 0);
	call_in(4, "800100");
	CHECK(offered(1, 2000) == 4);
	answer(1, 4);
	m = atomic_load(&dp.n);
	call_in(1, "800100");
	usleep(200000);
	press(1, m, '5');
	call_in(2, "800100"); /* later: behind the kept place */
	usleep(100000);
	live("queue-call-1", "waiting", 1);

	/* agent1 free: rung for the callback, does not answer */
	agent_bye(0, 0);
	expect_invite(&ag[0], "caller1", NULL, 2000);
	no_answer(0, 3000);
	/* agent2 free: the callback keeps its turn (not caller2) */
	agent_bye(1, 4);
	expect_invite(&ag[1], "caller1", NULL, 2000);
	m = atomic_load(&dp.n);
	pa = accept_inv(&ag[1], 42200);
	CHECK(moh_on(m, rec_dp_leg_at(&dp, pa))); /* the agent waits on music */
	snprintf(ruri, sizeof(ruri), "sip:9caller1@127.0.0.1:%u", trunk.s.port);
	expect_invite(&trunk, "800100", ruri, 2000);
	live("queue-call-1", "dialling", -1);
	reject_inv(&trunk, 486);
	expect_bye(&ag[1]); /* attempt 1 over: agent2 free at once */
	CHECK(offered(1, 1000) == 2);
	answer(1, 2);
	call_in(3, "800100");
	usleep(1300000); /* the retry is due: the place is back, ahead of caller3 */
	live("queue-call-1", "waiting", 1);
	live("queue-call-3", NULL, 2);
	agent_bye(1, 2);
	expect_invite(&ag[1], "caller1", NULL, 2000);
	m = atomic_load(&dp.n);
	pa = accept_inv(&ag[1], 42202);
	expect_invite(&trunk, "800100", ruri, 2000);
	pc = accept_inv(&trunk, 44000);
	connected(m, rec_dp_leg_at(&dp, pa), rec_dp_leg_at(&dp, pc));
	live("queue-call-1", "connected", -1);
	usleep(200000); /* some talk */
	ua_bye(&trunk); /* the customer hangs up */
	expect_bye(&ag[1]);
	/* caller3 next, on agent2 */
	CHECK(offered(1, 2000) == 3);
	answer(1, 3);
	agent_bye(1, 3);

	/* ================= customer-first ================= */
	call_in(5, "800300");
	CHECK(offered(2, 2000) == 5);
	answer(2, 5);
	m = atomic_load(&dp.n);
	call_in(6, "800300");
	usleep(100000);
	press(6, m, '5');
	agent_bye(2, 5); /* agent3 reserved, the customer dialled first */
	snprintf(ruri, sizeof(ruri), "sip:9caller6@127.0.0.1:%u", trunk.s.port);
	expect_invite(&trunk, "800100", ruri, 2000);
	no_offer(300);
	live("queue-call-6", "dialling", -1);
	m = atomic_load(&dp.n);
	pc = accept_inv(&trunk, 44002);
	CHECK(moh_on(m, rec_dp_leg_at(&dp, pc))); /* the customer waits on music */
	expect_invite(&ag[2], "caller6", NULL, 2000);
	pa = accept_inv(&ag[2], 42204);
	connected(m, rec_dp_leg_at(&dp, pa), rec_dp_leg_at(&dp, pc));
	ua_bye(&ag[2]);
	expect_bye(&trunk);

	/* retries exhausted (none here): failed 480, agent3 free at once */
	call_in(8, "800300");
	CHECK(offered(2, 2000) == 8);
	answer(2, 8);
	m = atomic_load(&dp.n);
	call_in(7, "800300");
	usleep(100000);
	press(7, m, '5');
	agent_bye(2, 8);
	snprintf(ruri, sizeof(ruri), "sip:9caller7@127.0.0.1:%u", trunk.s.port);
	expect_invite(&trunk, "800100", ruri, 2000);
	reject_inv(&trunk, 480);
	call_in(9, "800300");
	CHECK(offered(2, 1000) == 9); /* no delay: no no-answer penalty */
	answer(2, 9);

	/* the customer hangs up while agent3 rings */
	m = atomic_load(&dp.n);
	call_in(10, "800300");
	usleep(100000);
	press(10, m, '5');
	agent_bye(2, 9);
	snprintf(ruri, sizeof(ruri), "sip:9caller10@127.0.0.1:%u", trunk.s.port);
	expect_invite(&trunk, "800100", ruri, 2000);
	accept_inv(&trunk, 44004);
	expect_invite(&ag[2], "caller10", NULL, 2000);
	{
		char buf[8192];

		sipc_respond(&ag[2].s, ag[2].inv, 180, "Ringing", "r10", NULL, NULL);
		usleep(100000);
		ua_bye(&trunk);
		CHECK(sipc_expect_method(&ag[2].s, buf, sizeof(buf), "CANCEL", 2000) == 0);
		sipc_respond(&ag[2].s, buf, 200, "OK", NULL, NULL, NULL);
		sipc_respond(&ag[2].s, ag[2].inv, 487, "Request Terminated", "r10", NULL, NULL);
	}

	/* ================= REFER to an outside number ================= */
	call_in(11, "800100");
	CHECK(offered(1, 2000) == 11);
	answer(1, 11);
	refer(1, "0155501");
	snprintf(ruri, sizeof(ruri), "sip:90155501@127.0.0.1:%u", trunk.s.port);
	expect_invite(&trunk, "caller11", ruri, 3000);
	accept_inv(&trunk, 44006);
	expect_notify(1, "SIP/2.0 100");
	expect_notify(1, "SIP/2.0 200");
	{ /* the transferor leaves; caller11 <-> the outside party */
		char buf[8192];

		ua_req(&ag[1], "BYE");
		CHECK(sipc_expect_status(&ag[1].s, buf, sizeof(buf), 200, 2000) == 0);
	}
	usleep(100000);
	ua_bye(&trunk);
	CHECK(sipc_expect_method(&callers[11].s, ag[0].inv, sizeof(ag[0].inv), "BYE", 2000) == 0);
	sipc_respond(&callers[11].s, ag[0].inv, 200, "OK", NULL, NULL, NULL);

	/* ================= IVR transfer to an outside number ================= */
	{
		struct ua *u = &callers[12];
		char ok[8192], buf[8192];
		unsigned port = 0;
		uint32_t la;
		int ip;

		snprintf(u->callid, sizeof(u->callid), "ivr-out-1");
		snprintf(u->from, sizeof(u->from), "<sip:%s@127.0.0.1>;tag=c-12", u->name);
		snprintf(u->to, sizeof(u->to), "<sip:800900@127.0.0.1>");
		snprintf(u->ruri, sizeof(u->ruri), "sip:800900@127.0.0.1:%u", u->s.server);
		m = atomic_load(&dp.n);
		sipc_send(&u->s, "INVITE %s SIP/2.0\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKivo1;rport\n"
				 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: 10 INVITE\n"
				 "Contact: <sip:%s@127.0.0.1:%u>\nContent-Type: application/sdp\n"
				 "Content-Length: %zu\n\n%s",
			  u->ruri, u->s.port, u->from, u->to, u->callid, u->name, u->s.port,
			  strlen(sdp(41100)), sdp(41100));
		CHECK(sipc_expect_status(&u->s, ok, sizeof(ok), 200, 3000) == 0); /* the IVR */
		CHECK(sscanf(strstr(sip_body(ok), "m=audio "), "m=audio %u", &port) == 1);
		sip_hdr(ok, "To", u->to, sizeof(u->to));
		contact_uri(ok, u->ruri, sizeof(u->ruri));
		u->cseq = 10;
		ua_ack(u, 10);
		la = rec_dp_leg_at(&dp, port);
		ip = rec_dp_find(&dp, m, SB_CMD_PROMPT_PLAY, la);
		CHECK(ip >= 0);
		CHECK(rec_dp_dtmf(&dp, la, '1', 100) == 0);
		snprintf(ruri, sizeof(ruri), "sip:90155777@127.0.0.1:%u", trunk.s.port);
		expect_invite(&trunk, "caller12", ruri, 3000);
		pc = accept_inv(&trunk, 44008);
		connected(ip, la, rec_dp_leg_at(&dp, pc));
		ua_bye(u); /* the caller hangs up: the outside party gets BYE */
		expect_bye(&trunk);
		(void)buf;
	}

	/* ================= a number the trunk cannot dial ================= */
	call_in(13, "800300");
	CHECK(offered(2, 2000) == 13);
	answer(2, 13);
	callers[14].name = "bad%41x"; /* an escaped From user */
	m = atomic_load(&dp.n);
	call_in(14, "800300");
	usleep(100000);
	press(14, m, '5');
	agent_bye(2, 13); /* due: failed 484 at once, nothing sent to the trunk */
	{
		char buf[8192];

		CHECK(sipc_recv(&trunk.s, buf, sizeof(buf), 400) < 0);
	}

	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;

	/* agent-first: due once per attempt, agent1's no-answer, retry 1,
	 * then dialling/answered/connected and the connect + complete */
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='due'") == 2);
	CHECK(rows(db, "event='ring-no-answer' AND call_id='queue-call-1' AND agent='agent1'") == 1);
	CHECK(rows(db, "event='offer' AND call_id='queue-call-1' AND agent='agent2'") == 2);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='retry' AND "
		       "reason=1 AND agent='agent2'") == 1);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='dialling'") == 2);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='answered'") == 1);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='connected' AND "
		       "reason=2") == 1);
	CHECK(rows(db, "event='connect' AND call_id='queue-call-1' AND agent='agent2'") == 1);
	CHECK(rows(db, "event='complete' AND call_id='queue-call-1' AND agent='agent2' AND "
		       "talk_ms >= 150") == 1);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-1' AND other='failed'") == 0);
	/* the place came back before caller3: its offers (agent1, agent2 twice)
	 * precede caller3's */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event a, queue_event b WHERE "
			     "a.event='offer' AND a.call_id='queue-call-1' AND b.event='offer' AND "
			     "b.call_id='queue-call-3' AND a.id < b.id") == 3);
	/* customer-first */
	CHECK(rows(db, "event='callback' AND call_id='queue-call-6' AND other='answered'") == 1);
	CHECK(rows(db, "event='complete' AND call_id='queue-call-6' AND agent='agent3'") == 1);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-7' AND other='failed' AND "
		       "reason=480") == 1);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-7' AND other='retry'") == 0);
	CHECK(rows(db, "event='abandon' AND call_id='queue-call-10'") == 1);
	CHECK(rows(db, "event='connect' AND call_id='queue-call-10'") == 0);
	/* CDRs: both parties of the connected callbacks (agent and customer) */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr WHERE caller='caller1' AND "
			     "answer_ms > 0") >= 2);
	CHECK(rows(db, "event='callback' AND call_id='queue-call-14' AND other='failed' AND "
		       "reason=484") == 1);
	/* the IVR's outside transfer: one call, answered, no agent */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr WHERE call_id='ivr-out-1' AND "
			     "hotline='800900' AND agent='' AND hangup_by='caller'") == 1);
	rec_dp_stop(&dp, 1);
	cc_remove_work(cfg, db);
	return 0;
}
