/* SPDX-License-Identifier: MIT */
/* cc_tier2_t — blind transfer of a queue call to ANOTHER queue (tier-2
 * escalation, b2bua/xfer.c to_queue, b2bua/queue.c cpq_transfer_to_queue)
 * over real UDP SIP, real sb-control, a recording fake dataplane (every
 * command kept, rec_dp.h) and a real SQLite store.  Queues: t1 (agent1,
 * wrap-up 1 s), t2 (agent2, moh, transfer_priority 5), t3 (agent3,
 * join_empty false); hotlines 800100 -> t1, 800200 -> t2, 800300 -> t3.
 *
 *  A. caller1 -> t2, agent2 answers (busy); caller2 -> t2 waits (prio 0);
 *     caller0 -> t1, agent1 answers after ~300 ms, talks ~300 ms, REFERs
 *     it to 800200: 202, NOTIFY 100, NOTIFY 200, agent1's BYE answered;
 *     the caller gets no SIP at all; dataplane: LEG_MOD of the agent leg
 *     to no peer, PROMPT_PLAY LOOP of t2's moh on the caller's leg.
 *     caller3 -> t1 is not offered to agent1 during its 1 s wrap-up.
 *     agent2 hangs up caller1: caller0 (priority 5) is offered before
 *     caller2, agent2 answers: LEG_MOD of the same agent leg to agent2's
 *     port, LEG_CONNECT caller leg <-> agent leg, no new 200 to the caller;
 *     the caller's BYE reaches agent2 in agent2's dialog.
 *  B. caller4 -> t1, agent1 answers, REFER to 800300 (t3: nobody logged
 *     in, join_empty false): NOTIFY 480, the call goes on with agent1;
 *     REFER to "t2" (the queue's own name): transferred, agent2 answers.
 *  C. attended: caller5 -> t1, agent1 answers and keys *2 800200 #: the
 *     consultation call waits in t2 (t1's music to the caller, t2's to
 *     agent1, agent1 not in the conference yet); agent2 is offered it
 *     (From agent1), rings, answers: agent1's music stops, agent1 and
 *     agent2 in the conference; *4: agent1 gets its BYE, caller <-> the
 *     consultation's leg; the caller's BYE reaches agent2.  Rows of the
 *     consultation under the caller's Call-ID (enter t2 "consult:agent1",
 *     offer/connect agent2); *2 800300 (t3 refuses) starts nothing; a
 *     first *2 800200 cancelled with *5 while agent2 rings: CANCEL to
 *     agent2, agent1's music stops, caller <-> agent1 again, row abandon.
 * Then queue_event rows (kinds, queues, agents, other, priority,
 * position, waits and talk against what the test measured) and CDRs
 * (agent = the tier-2 agent, transferred_by = agent1).
 *
 *   cc_tier2_t /path/to/sb-control */
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

#include "cc_common.h"

static struct rec_dp dp;

static unsigned body_port(const char *msg)
{
	unsigned p = 0;

	CHECK(strstr(sip_body(msg), "m=audio "));
	CHECK(sscanf(strstr(sip_body(msg), "m=audio "), "m=audio %u", &p) == 1);
	return p;
}

/* As cc_common.h answer(), and the caller's and the agent's legs (by the
 * ports in the SDP). */
static void answer_legs(int a, int n, uint32_t *la, uint32_t *lb)
{
	char buf[8192];

	agent_accept(a, n, "ag");
	caller_answered(n, buf, sizeof(buf));
	*la = rec_dp_leg_at(&dp, body_port(buf));
	*lb = rec_dp_leg_at(&dp, body_port(ag[a].inv));
	CHECK(*la != SB_LEG_NONE && *lb != SB_LEG_NONE);
}

/* The tier-2 agent a answers caller n, who was answered before: 200,
 * the ACK; nothing to the caller. */
static void answer_again(int a, int n)
{
	char buf[8192];

	agent_accept(a, n, "t2ag");
	CHECK(sipc_recv(&callers[n].s, buf, sizeof(buf), 100) < 0); /* answered already */
}

/* agent a, transferor: NOTIFY 100, NOTIFY 200, then its own BYE */
static void transferor_done(int a)
{
	char buf[8192];

	expect_notify(a, "SIP/2.0 100");
	expect_notify(a, "SIP/2.0 200");
	ua_req(&ag[a], "BYE");
	CHECK(sipc_expect_status(&ag[a].s, buf, sizeof(buf), 200, 2000) == 0);
}

/* The LEG_MOD of leg from `from` on toward peer port `port`. */
static int mod_to(int from, uint32_t leg, unsigned port)
{
	for (int t = 0; t < 400; t++) {
		int n = atomic_load(&dp.n);

		for (int i = from; i < n; i++)
			if (dp.cmd[i].h.type == SB_CMD_LEG_MOD && dp.cmd[i].h.leg == leg &&
			    dp.cmd[i].leg.peer_port == port)
				return i;
		usleep(5000);
	}
	return -1;
}

/* agent leg LEG keys DIGITS: one RFC 4733 event each */
static void key(uint32_t leg, const char *digits)
{
	for (const char *p = digits; *p; p++)
		CHECK(rec_dp_dtmf(&dp, leg, *p, 120) == 0);
}

static long long dbi(const char *db, const char *sql)
{
	return (long long)cp_db_int(db, sql);
}

static bool near(long long got, uint64_t want, long long slack)
{
	if (got >= (long long)want - slack && got <= (long long)want + slack)
		return true;
	fprintf(stderr, "got %lld, measured %llu (+-%lld)\n", got, (unsigned long long)want, slack);
	return false;
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], buf[8192];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint16_t p_car, p_agt;
	uint32_t la0, lb0, la1, lb1, la4, lb4, la5, lb5, lk;
	uint64_t t_in0, t_ans0, t_x0, t_off0, t_ans0b, t_end0, t_in3;
	int mark, i, ip, ic;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "tier%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_cc_tier2_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"feature_codes:\n  consult: \"*2\"\n  conference: \"*3\"\n"
		"  complete: \"*4\"\n  cancel: \"*5\"\n"
		"prompts:\n  moh1: /tmp/sb-moh1.wav\n  moh2: /tmp/sb-moh2.wav\n"
		"agents:\n  - user: agent1\n    password: secret\n"
		"  - user: agent2\n    password: secret\n"
		"  - user: agent3\n    password: secret\n"
		"queues:\n"
		"  - name: t1\n    members: [agent1]\n    wrap_up: 1\n    moh: moh1\n"
		"  - name: t2\n    members: [agent2]\n    moh: moh2\n    transfer_priority: 5\n"
		"  - name: t3\n    members: [agent3]\n    join_empty: false\n"
		"hotlines:\n  - number: \"800100\"\n    queue: t1\n"
		"  - number: \"800200\"\n    queue: t2\n"
		"  - number: \"800300\"\n    queue: t3\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 8, p_car, p_agt);
	CHECK(dial_code(&ag[2], "*21", NULL) == 480); /* agent3 out: t3 has nobody */

	/* ---------- A. tier 1 -> tier 2 by REFER to t2's hotline ---------- */
	call_in(1, "800200");
	CHECK(offered(1, 2000) == 1);
	answer_legs(1, 1, &la1, &lb1);              /* agent2 busy */
	call_in(2, "800200");                       /* waits in t2, priority 0 */
	call_in(0, "800100");
	t_in0 = mono_ms();
	CHECK(offered(0, 2000) == 0);
	usleep(300000);
	answer_legs(0, 0, &la0, &lb0);
	t_ans0 = mono_ms();
	usleep(300000);
	mark = atomic_load(&dp.n);
	refer(0, "800200");
	t_x0 = mono_ms();
	transferor_done(0);
	CHECK(sipc_recv(&callers[0].s, buf, sizeof(buf), 100) < 0); /* no SIP to the caller */
	/* the agent leg has no peer any more; t2's music on the caller's leg */
	i = mod_to(mark, lb0, 0);
	CHECK(i >= 0 && dp.cmd[i].leg.peer_ip == 0);
	ip = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, la0);
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 1 && (dp.cmd[ip].prompt.flags & SB_PROMPT_LOOP));
	CHECK(rec_dp_count(&dp, mark, SB_CMD_LEG_DEL, la0) == 0 &&
	      rec_dp_count(&dp, mark, SB_CMD_LEG_DEL, lb0) == 0);
	/* agent1 wraps up (1 s) before it is offered the next t1 caller */
	call_in(3, "800100");
	t_in3 = mono_ms();
	CHECK(offered(0, 3000) == 3);
	CHECK(mono_ms() - t_in3 >= 500 && mono_ms() - t_x0 >= 900);
	answer(0, 3);
	agent_bye(0, 3);
	/* agent2 is free: caller0 (priority 5 in t2) before caller2 */
	usleep(200000);
	agent_bye(1, 1);
	mark = atomic_load(&dp.n);
	CHECK(offered(1, 2000) == 0);
	t_off0 = mono_ms();
	CHECK(strstr(sip_body(ag[1].inv), " RTP/AVP 8 101\r\n")); /* the codec in use */
	usleep(200000);
	answer_again(1, 0);
	t_ans0b = mono_ms();
	/* the same agent leg to agent2, connected to the caller's leg */
	i = mod_to(mark, lb0, 42002);
	ic = rec_dp_find(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(i >= 0 && ic > i);
	CHECK((dp.cmd[ic].h.leg == la0 && dp.cmd[ic].connect.leg_b == lb0) ||
	      (dp.cmd[ic].h.leg == lb0 && dp.cmd[ic].connect.leg_b == la0));
	CHECK(rec_dp_find(&dp, mark, SB_CMD_PROMPT_STOP, la0) >= 0);
	usleep(300000);
	caller_bye(0, 1);                           /* BYE reaches agent2 */
	t_end0 = mono_ms();
	CHECK(offered(1, 2000) == 2);
	answer(1, 2);
	agent_bye(1, 2);

	/* ---------- B. a refusing queue, then the queue's own name ---------- */
	usleep(1100000);                            /* agent1's wrap-up */
	call_in(4, "800100");
	CHECK(offered(0, 3000) == 4);
	answer_legs(0, 4, &la4, &lb4);
	mark = atomic_load(&dp.n);
	refer(0, "800300");
	expect_notify(0, "SIP/2.0 100");
	expect_notify(0, "SIP/2.0 480");
	CHECK(rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, la4) == 0);
	CHECK(mod_to(mark, lb4, 0) < 0);
	refer(0, "t2");
	transferor_done(0);
	CHECK(offered(1, 2000) == 4);
	answer_again(1, 4);
	agent_bye(1, 4);

	/* ---------- C. attended: *2 to t2's hotline ---------- */
	usleep(1100000);                            /* agent1's wrap-up */
	call_in(5, "800100");
	CHECK(offered(0, 3000) == 5);
	answer_legs(0, 5, &la5, &lb5);
	mark = atomic_load(&dp.n);
	key(lb5, "*2800300#");                      /* t3 would refuse: nothing */
	usleep(200000);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_LEG_ADD, ANY_LEG) == 0 &&
	      rec_dp_count(&dp, mark, SB_CMD_PROMPT_PLAY, ANY_LEG) == 0);
	/* first try: cancelled (*5) while agent2 rings */
	key(lb5, "*2800200#");
	CHECK(sipc_expect_method(&ag[1].s, ag[1].inv, sizeof(ag[1].inv), "INVITE", 3000) == 0);
	{
		char tag[32];

		snprintf(tag, sizeof(tag), "ring-%d", ++branch_no);
		sipc_respond(&ag[1].s, ag[1].inv, 180, "Ringing", tag, NULL, NULL);
		usleep(100000);
		mark = atomic_load(&dp.n);
		key(lb5, "*5");
		CHECK(sipc_expect_method(&ag[1].s, buf, sizeof(buf), "CANCEL", 3000) == 0);
		sipc_respond(&ag[1].s, buf, 200, "OK", NULL, NULL, NULL);
		sipc_respond(&ag[1].s, ag[1].inv, 487, "Request Terminated", tag, NULL, NULL);
		CHECK(sipc_expect_method(&ag[1].s, buf, sizeof(buf), "ACK", 2000) == 0);
	}
	i = rec_dp_find(&dp, mark, SB_CMD_PROMPT_STOP, lb5);
	ic = rec_dp_find(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(i >= 0 && ic > i);
	CHECK((dp.cmd[ic].h.leg == la5 && dp.cmd[ic].connect.leg_b == lb5) ||
	      (dp.cmd[ic].h.leg == lb5 && dp.cmd[ic].connect.leg_b == la5));
	CHECK(sipc_recv(&ag[0].s, buf, sizeof(buf), 100) < 0); /* agent1 keeps its call */
	usleep(200000);
	mark = atomic_load(&dp.n);
	key(lb5, "*2800200#");
	CHECK(sipc_expect_method(&ag[1].s, ag[1].inv, sizeof(ag[1].inv), "INVITE", 3000) == 0);
	CHECK(strstr(ag[1].inv, "From: <sip:agent1@"));
	lk = rec_dp_leg_at(&dp, body_port(ag[1].inv));
	CHECK(lk != SB_LEG_NONE && lk != la5 && lk != lb5);
	ip = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, la5);     /* t1's music: caller */
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 0);
	ip = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, lb5);     /* t2's music: agent1 */
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 1 && (dp.cmd[ip].prompt.flags & SB_PROMPT_LOOP));
	CHECK(rec_dp_count(&dp, mark, SB_CMD_CONF_JOIN, lb5) == 0);
	{
		char tag[32];

		snprintf(tag, sizeof(tag), "ring-%d", ++branch_no);
		sipc_respond(&ag[1].s, ag[1].inv, 180, "Ringing", tag, NULL, NULL);
	}
	usleep(300000);
	mark = atomic_load(&dp.n);
	answer_again(1, 5);
	i = rec_dp_find(&dp, mark, SB_CMD_PROMPT_STOP, lb5);
	ic = rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, lb5);
	CHECK(i >= 0 && ic > i && rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, lk) >= 0);
	CHECK(dp.cmd[ic].conf.conf == dp.cmd[rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, lk)].conf.conf);
	usleep(200000);
	mark = atomic_load(&dp.n);
	key(lb5, "*4");                             /* complete: caller <-> agent2 */
	CHECK(sipc_expect_method(&ag[0].s, buf, sizeof(buf), "BYE", 3000) == 0);
	sipc_respond(&ag[0].s, buf, 200, "OK", NULL, NULL, NULL);
	ic = rec_dp_find(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(ic >= 0 && ((dp.cmd[ic].h.leg == la5 && dp.cmd[ic].connect.leg_b == lk) ||
			  (dp.cmd[ic].h.leg == lk && dp.cmd[ic].connect.leg_b == la5)));
	usleep(200000);
	caller_bye(5, 1);

	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	rec_dp_stop(&dp, 0);

	/* ---------- the queue log ---------- */
	/* caller0: enter t1, offer, connect, transfer, enter t2, offer,
	 * connect, complete, in that order */
	{
		static const char *const want[8][3] = {
			{ "enter", "t1", "" }, { "offer", "t1", "agent1" },
			{ "connect", "t1", "agent1" }, { "transfer", "t1", "agent1" },
			{ "enter", "t2", "" }, { "offer", "t2", "agent2" },
			{ "connect", "t2", "agent2" }, { "complete", "t2", "agent2" } };

		CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE "
			     "call_id='queue-call-0'") == 8);
		for (int k = 0; k < 8; k++)
			CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE id = (SELECT id "
				     "FROM queue_event WHERE call_id='queue-call-0' ORDER BY id LIMIT 1 "
				     "OFFSET %d) AND event='%s' AND queue='%s' AND coalesce(agent,'')='%s'", k,
				     want[k][0], want[k][1], want[k][2]) == 1);
	}
	/* the first wait: entry to agent1's answer */
	CHECK(near(dbi(db, "SELECT wait_ms FROM queue_event WHERE call_id='queue-call-0' AND "
		       "event='connect' AND queue='t1'"), t_ans0 - t_in0, 200));
	/* agent1's talk ends at the REFER; the target named */
	CHECK(near(dbi(db, "SELECT talk_ms FROM queue_event WHERE call_id='queue-call-0' AND "
		       "event='transfer' AND other='queue:t2' AND wait_ms=0"), t_x0 - t_ans0, 200));
	/* enter t2: from agent1, priority 5 ahead of caller2, carrying the first wait */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-0' AND "
		     "event='enter' AND queue='t2' AND other='transfer:agent1' AND prio=5 AND "
		     "position=1") == 1);
	CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE call_id='queue-call-2' AND "
		     "event='enter'") == 1);
	CHECK(near(dbi(db, "SELECT wait_ms FROM queue_event WHERE call_id='queue-call-0' AND "
		       "event='enter' AND queue='t2'"), t_ans0 - t_in0, 200));
	/* connect in t2: the whole wait (first + in t2), agent1's talk not in it */
	CHECK(near(dbi(db, "SELECT wait_ms FROM queue_event WHERE call_id='queue-call-0' AND "
		       "event='connect' AND queue='t2'"), (t_ans0 - t_in0) + (t_ans0b - t_x0), 250));
	CHECK(near(dbi(db, "SELECT talk_ms FROM queue_event WHERE call_id='queue-call-0' AND "
		       "event='complete' AND queue='t2'"), t_end0 - t_ans0b, 200));
	(void)t_off0;
	/* caller2 was offered after caller0 */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event a, queue_event b WHERE "
		     "a.call_id='queue-call-0' AND a.event='offer' AND a.queue='t2' AND "
		     "b.call_id='queue-call-2' AND b.event='offer' AND a.id < b.id") == 1);
	/* B: the refused REFER left no row; the second one did */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-4' AND "
		     "event='transfer' AND other='queue:t2' AND agent='agent1'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-4' AND "
		     "queue='t3'") == 0);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-4' AND "
		     "event='connect' AND queue='t2' AND agent='agent2'") == 1);
	/* every connect completed once (transfer = agent1's completion) */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
			"call_id <> 'queue-call-5'") ==
	      cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event IN "
			"('complete','transfer') AND call_id <> 'queue-call-5'"));
	/* C: the consultation's rows under the caller's Call-ID; agent1's
	 * talk ends at *4, agent2's consultation talk, then its share of the
	 * call; t3 never entered */
	{
		static const char *const want[12][3] = {
			{ "enter", "t1", "" }, { "offer", "t1", "agent1" },
			{ "connect", "t1", "agent1" }, { "enter", "t2", "" },
			{ "offer", "t2", "agent2" }, { "abandon", "t2", "agent2" },
			{ "enter", "t2", "" },
			{ "offer", "t2", "agent2" }, { "connect", "t2", "agent2" },
			{ "transfer", "t1", "agent1" }, { "complete", "t2", "agent2" },
			{ "complete", "t1", "agent2" } };

		CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE "
			     "call_id='queue-call-5'") == 12);
		for (int k = 0; k < 12; k++)
			CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE id = (SELECT id "
				     "FROM queue_event WHERE call_id='queue-call-5' ORDER BY id LIMIT 1 "
				     "OFFSET %d) AND event='%s' AND queue='%s' AND coalesce(agent,'')='%s'",
				     k, want[k][0], want[k][1], want[k][2]) == 1);
		CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-5' AND "
			     "event='enter' AND queue='t2' AND other='consult:agent1' AND "
			     "prio=5") == 2);
		CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-5' AND "
			     "event='transfer' AND other='agent2'") == 1);
		CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-5' AND "
			     "agent='agent2' AND transferred_by='agent1'") == 1);
	}
	/* CDR: the tier-2 agent, transferred by agent1 */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-0' AND "
		     "agent='agent2' AND transferred_by='agent1' AND hangup_by='caller'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-4' AND "
		     "agent='agent2' AND transferred_by='agent1' AND hangup_by='agent'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-2' AND "
		     "agent='agent2' AND coalesce(transferred_by,'')=''") == 1);

	shm_unlink(shm_name);
	cc_remove_work(cfg, db);
	return 0;
}
