/* SPDX-License-Identifier: MIT */
/* cc_callback_t — a waiting caller leaves for a callback and keeps its
 * place (issue 6 §5), in a real sb-control over real UDP SIP with a
 * recording fake dataplane (rec_dp.h) injecting the caller's RFC 4733
 * digits, real SQLite.
 *
 * Queue q (agent1, music on hold, callback_digit "5"): agent1 talks to
 * caller0.  caller1 waits (position 1) and presses 3 (not the digit:
 * nothing happens), then 5: it gets 480 "callback requested", a callback
 * row "requested" with position 1 and its wait, no abandon.  caller2
 * arrives later and enters at position 2: the callback's place is still
 * ahead of it.  agent1 hangs up: its turn goes to caller1's callback
 * first (row "due" naming agent1, before any offer of caller2); there is
 * no `outbound:` trunk to call back through (cc_callback_dial has one), so
 * a row "failed" (reason 501) follows, agent1 was never rung for it and is
 * offered caller2 at once.  Meanwhile GET
 * /v1/calls lists the kept place as state "callback", position 1, and
 * caller2 "waiting" at 2.  Queue q2 has no
 * callback digit: a 5 there does nothing.
 *
 *   cc_callback_t /path/to/sb-control */
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
#define NAGENTS 2
#define TOKEN "Bearer default-token-1"
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static struct rec_dp dp;

/* the music on hold LOOP (prompt 0) on a new leg from index from on */
static uint32_t moh_leg(int from, uint32_t not_this)
{
	for (int t = 0; t < 400; t++) {
		int n = atomic_load(&dp.n);

		for (int i = from; i < n; i++)
			if (dp.cmd[i].h.type == SB_CMD_PROMPT_PLAY && dp.cmd[i].prompt.prompt == 0 &&
			    (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP) && dp.cmd[i].h.leg != not_this)
				return dp.cmd[i].h.leg;
		usleep(5000);
	}
	return SB_LEG_NONE;
}

/* caller n's INVITE ends with a final status within ms (ACKed): it */
static int final_status(int n, int ms, char *reason, size_t cap)
{
	struct ua *u = &callers[n];
	char buf[8192], to[512];
	int st;

	do {
		if (sipc_recv(&u->s, buf, sizeof(buf), ms) <= 0)
			return -1;
		st = sip_status(buf);
	} while (st < 200);
	sip_hdr(buf, "To", to, sizeof(to));
	if (reason && sip_hdr(buf, "Reason", reason, cap) != 0)
		reason[0] = '\0';
	sipc_send(&u->s, "ACK sip:%s@127.0.0.1:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: 10 ACK\n"
			 "Content-Length: 0\n\n",
		  u->number, u->s.server, u->s.port, u->inv_branch, u->from, to, u->callid);
	return st;
}

int main(int argc, char **argv)
{
	char cfg[128], db[128], inst[32], reason[256];
	static const char *const names[NAGENTS] = { "agent1", "agent2" };
	uint16_t p_car, p_agt;
	uint32_t leg1, leg3;
	int m;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbcbk%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}

	cp_workdir("/tmp/sb_cc_callback_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"prompts:\n  moh: /tmp/cbk-moh.wav\n"
		"agents:\n  - user: agent1\n    password: secret\n"
		"  - user: agent2\n    password: secret\n"
		"queues:\n  - name: q\n    members: [agent1]\n    moh: moh\n"
		"    callback_digit: \"5\"\n"
		"  - name: q2\n    members: [agent2]\n    moh: moh\n"
		"hotlines:\n  - number: \"800100\"\n    queue: q\n"
		"  - number: \"800200\"\n    queue: q2\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - {token: default-token-1, tenant: default}\n",
		inst, p_car, p_agt, db, p_api);
	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 5, p_car, p_agt);

	/* agent1 busy with caller0, agent2 with caller3 */
	call_in(0, "800100");
	CHECK(offered(0, 2000) == 0);
	answer(0, 0);
	call_in(3, "800200");
	CHECK(offered(1, 2000) == 3);
	answer(1, 3);

	/* ---------- caller1 waits, asks for a callback ---------- */
	m = atomic_load(&dp.n);
	call_in(1, "800100");
	CHECK((leg1 = moh_leg(m, SB_LEG_NONE)) != SB_LEG_NONE);
	usleep(300000); /* a wait worth reporting */
	CHECK(rec_dp_dtmf(&dp, leg1, '3', 100) == 0);
	CHECK(final_status(1, 400, NULL, 0) < 0); /* not the digit: still waiting */
	CHECK(rec_dp_dtmf(&dp, leg1, '5', 100) == 0);
	CHECK(final_status(1, 2000, reason, sizeof(reason)) == 480);
	CHECK(strstr(reason, "callback requested") != NULL);

	/* ---------- q2 has no callback digit ---------- */
	m = atomic_load(&dp.n);
	call_in(4, "800200");
	CHECK((leg3 = moh_leg(m, leg1)) != SB_LEG_NONE);
	CHECK(rec_dp_dtmf(&dp, leg3, '5', 100) == 0);
	CHECK(final_status(4, 400, NULL, 0) < 0);
	caller_cancel(4);

	/* ---------- caller2 arrives behind the callback's place ---------- */
	call_in(2, "800100");
	usleep(200000);
	no_offer(200);
	{ /* the live calls: the kept place ahead of caller2 */
		json_t *j = get_ok("/v1/calls", TOKEN), *calls = json_object_get(j, "calls");
		int seen = 0;

		for (size_t i = 0; i < json_array_size(calls); i++) {
			json_t *e = json_array_get(calls, i);
			const char *id = jstr(e, "call_id"), *st = jstr(e, "state");

			if (strcmp(id, "queue-call-1") == 0) {
				CHECK(strcmp(st, "callback") == 0 && jint(e, "position") == 1 &&
				      strcmp(jstr(e, "caller"), "caller1") == 0 &&
				      jint(e, "wait_ms") >= 250);
				seen |= 1;
			} else if (strcmp(id, "queue-call-2") == 0) {
				CHECK(strcmp(st, "waiting") == 0 && jint(e, "position") == 2);
				seen |= 2;
			}
		}
		CHECK(seen == 3);
		json_decref(j);
	}
	agent_bye(0, 0); /* agent1 free: the callback's turn, then caller2 */
	CHECK(offered(0, 2000) == 2);
	answer(0, 2);
	agent_bye(0, 2);
	agent_bye(1, 3);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* requested at position 1 after a wait of about 0.3 s */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='callback' AND "
			     "call_id='queue-call-1' AND queue='q' AND other='requested' AND "
			     "position=1 AND wait_ms BETWEEN 250 AND 5000") == 1);
	/* no abandon for it, and none of q2's caller took a callback */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='abandon' AND "
			     "call_id='queue-call-1'") == 0);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='callback' AND "
			     "call_id='queue-call-4'") == 0);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='abandon' AND "
			     "call_id='queue-call-4'") == 1);
	/* caller2 entered behind it */
	CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE event='enter' AND "
			     "call_id='queue-call-2'") == 2);
	/* the callback's turn came first, on agent1, its wait kept */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event d, queue_event o WHERE "
			     "d.event='callback' AND d.other='due' AND d.call_id='queue-call-1' AND "
			     "d.agent='agent1' AND d.wait_ms >= 250 AND o.event='offer' AND "
			     "o.call_id='queue-call-2' AND d.id < o.id") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='callback' AND "
			     "other='failed' AND reason=501 AND call_id='queue-call-1'") == 1);
	/* agent1 was never rung for it: its offers are caller0's and caller2's */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer' AND "
			     "agent='agent1'") == 2);
	rec_dp_stop(&dp, 1);
	cc_remove_work(cfg, db);
	return 0;
}
