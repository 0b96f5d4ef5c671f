/* SPDX-License-Identifier: MIT */
/* cc_queue_t — contact-centre queue features in the B2BUA (issue 6) over
 * real UDP, sb-control as a child with a real SQLite store and the fake
 * dataplane (real shm); this process plays callers and three agents.
 *
 *  a. feature codes: a caller (not an agent) dialling *20 gets 403; *23
 *     while not paused 403; "*22ab" 484; *21 logs agent1 out (480 with
 *     Reason cause=200): a call to its queue waits, no offer; *20 logs it
 *     back in and the waiting call is offered to it;
 *  b. priority and FIFO: with agent1 busy, callers 1 (prio 0), 2 (prio 0),
 *     3 (number with priority 5) and 4 (X-Priority: 9 header) wait; as
 *     agent1 frees up they are offered 4, 3, 1, 2;
 *  c. pause with a reason (*2217): no offer while paused; *23: offered;
 *  d. no answer → next agent, auto-pause: agent2 (max_noanswer 2) rings
 *     and is CANCELled after ring_timeout, agent3 gets the call; the next
 *     call: agent2 again after its no-answer delay, no answer: paused
 *     (no further offers), the call waits for agent3; *23 unpauses agent2
 *     (proof it was paused);
 *  e. abandon: a caller waiting in "ovf" CANCELs after ~300 ms;
 *  f. overflow: a caller in "ovf" (max_wait 1 s) moves to "spill" and is
 *     offered to agent1 after >= 1 s;
 *  g. blind transfer (REFER) of a queue call from agent1 to agent2: the
 *     log splits the talk time between them as the test measured it;
 *  h. agent3 on a direct call (a hotline with `agents:`): a caller of its
 *     queue is not offered to it (no failed offer, no reject row) and is
 *     offered within the 1 s sweep after that call ends (not after the
 *     5 s reject delay).
 * Then the queue_event rows are checked against what the test did: event
 * order, priorities, positions, waits and talk times it measured itself.
 *
 *   cc_queue_t /path/to/sb-control */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.10"
#define NAGENTS 3

#include "cc_common.h"

static struct fake_dp_rec dp;

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], reason[256];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint16_t p_car, p_agt;
	uint64_t t0, t_ans0 = 0, t_bye0 = 0, t_enter8, t_cancel8, t_enter9, t_offer9;
	uint64_t t_ans10, t_x10, t_end10, t_end11, t_off12;
	int n;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbccq%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_cc_queue_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"agents:\n  - user: agent1\n    password: secret\n"
		"  - user: agent2\n    password: secret\n    max_noanswer: 2\n"
		"    noanswer_delay: 1\n"
		"  - user: agent3\n    password: secret\n"
		"queues:\n"
		"  - name: prio\n    members: [agent1]\n    priority_header: X-Priority\n"
		"    max_wait: 60\n"
		"  - name: na\n    members: [agent2, agent3]\n    ring_timeout: 1\n"
		"  - name: ovf\n    members: [agent3]\n    max_wait: 1\n    overflow: spill\n"
		"  - name: spill\n    members: [agent1]\n"
		"  - name: direct\n    members: [agent3]\n"
		"hotlines:\n  - number: \"800100\"\n    queue: prio\n"
		"  - number: \"800101\"\n    queue: prio\n    priority: 5\n"
		"  - number: \"800200\"\n    queue: na\n"
		"  - number: \"800300\"\n    queue: ovf\n"
		"  - number: \"800901\"\n    agents: [agent3]\n"
		"  - number: \"800902\"\n    queue: direct\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 16, p_car, p_agt);

	/* ---------- a. feature codes ---------- */
	CHECK(dial_code(&callers[15], "*20", NULL) == 403);   /* not an agent */
	CHECK(dial_code(&ag[0], "*23", reason) == 403);        /* not paused */
	CHECK(strstr(reason, "not paused"));
	CHECK(dial_code(&ag[0], "*22ab", NULL) == 484);
	CHECK(dial_code(&ag[0], "*21", reason) == 480);
	CHECK(strstr(reason, "cause=200") && strstr(reason, "logged out"));
	call_in(0, "800100");
	no_offer(500);                                          /* agent1 is out */
	CHECK(dial_code(&ag[0], "*20", reason) == 480);
	CHECK(strstr(reason, "cause=200") && strstr(reason, "logged in"));
	CHECK(offered(0, 2000) == 0);
	answer(0, 0);
	t_ans0 = mono_ms();

	/* ---------- b. priority, then FIFO within a priority ---------- */
	call_in(1, "800100");
	usleep(30000);
	call_in(2, "800100");
	usleep(30000);
	call_in(3, "800101");                       /* the number's priority 5 */
	usleep(30000);
	call_in_hdr(4, "800100", "X-Priority: 9\n"); /* the header's 9 */
	no_offer(200);
	usleep(300000);
	agent_bye(0, 0);
	t_bye0 = mono_ms();
	{
		static const int want[4] = { 4, 3, 1, 2 };

		for (int i = 0; i < 4; i++) {
			n = offered(0, 2000);
			if (n != want[i])
				fprintf(stderr, "offer %d: caller%d, want caller%d\n", i, n, want[i]);
			CHECK(n == want[i]);
			answer(0, n);
			agent_bye(0, n);
		}
	}

	/* ---------- c. pause with a reason code ---------- */
	CHECK(dial_code(&ag[0], "*2217", reason) == 480);
	CHECK(strstr(reason, "paused"));
	call_in(5, "800100");
	no_offer(400);
	CHECK(dial_code(&ag[0], "*23", reason) == 480);
	CHECK(offered(0, 2000) == 5);
	answer(0, 5);                               /* agent1 busy with caller5 */

	/* ---------- d. no answer -> next agent; N no-answers -> auto-pause ---------- */
	call_in(6, "800200");
	CHECK(offered(1, 2000) == 6);               /* linear: agent2 first */
	t0 = mono_ms();
	no_answer(1, 3000);
	CHECK(mono_ms() - t0 >= 800);               /* ring_timeout 1 s */
	CHECK(offered(2, 2000) == 6);
	answer(2, 6);                               /* agent3 busy with caller6 */
	call_in(7, "800200");
	CHECK(offered(1, 3000) == 7);               /* after agent2's 1 s delay */
	no_answer(1, 3000);                         /* second in a row: paused */
	no_offer(1800);                             /* delay over, still nothing */
	agent_bye(2, 6);
	CHECK(offered(2, 2000) == 7);
	answer(2, 7);                               /* agent3 busy with caller7 */
	CHECK(dial_code(&ag[1], "*23", reason) == 480); /* it was paused */

	/* ---------- e. abandon while waiting ---------- */
	call_in(8, "800300");
	t_enter8 = mono_ms();
	usleep(300000);
	caller_cancel(8);
	t_cancel8 = mono_ms();

	/* ---------- f. overflow after max_wait ---------- */
	caller_bye(5, 0);                           /* agent1 free for "spill" */
	call_in(9, "800300");
	t_enter9 = mono_ms();
	CHECK(offered(0, 3000) == 9);
	t_offer9 = mono_ms();
	CHECK(t_offer9 - t_enter9 >= 900);
	answer(0, 9);
	agent_bye(0, 9);

	/* ---------- g. blind transfer agent1 -> agent2: talk time split ---------- */
	call_in(10, "800100");
	CHECK(offered(0, 2000) == 10);
	answer(0, 10);
	t_ans10 = mono_ms();
	usleep(300000);
	refer(0, "agent2");
	expect_notify(0, "SIP/2.0 100");
	answer_plain(1);
	t_x10 = mono_ms();
	expect_notify(0, "SIP/2.0 200");
	ua_req(&ag[0], "BYE");                      /* the transferor leaves */
	{
		char buf[8192];

		CHECK(sipc_expect_status(&ag[0].s, buf, sizeof(buf), 200, 2000) == 0);
	}
	usleep(400000);
	agent_bye(1, 10);
	t_end10 = mono_ms();

	caller_bye(7, 2);
	usleep(200000);

	/* ---------- h. an agent busy on a call the queues did not route ---------- */
	call_send(11, "800901", "");                /* agents: [agent3], a direct call */
	CHECK(offered(2, 2000) == 11);
	answer(2, 11);
	call_in(12, "800902");                      /* queue "direct": agent3 alone */
	no_offer(700);
	agent_bye(2, 11);
	t_end11 = mono_ms();
	CHECK(offered(2, 2500) == 12);              /* at once: no reject delay (5 s) */
	t_off12 = mono_ms();
	answer(2, 12);
	agent_bye(2, 12);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);

	/* ---------- the queue log ---------- */
	/* every caller of "prio" (0..5, 10) entered once, with its priority */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='enter' AND "
			     "queue='prio'") == 7);
	CHECK(cp_db_intf(db, "SELECT prio FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-3'") == 5);
	CHECK(cp_db_intf(db, "SELECT prio FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-4'") == 9);
	CHECK(cp_db_intf(db, "SELECT prio FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-1'") == 0);
	/* positions at entry: FIFO among priority 0, higher priorities ahead */
	CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-2'") == 2);
	CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-3'") == 1);
	CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE event='enter' AND "
		     "call_id='queue-call-4'") == 1);
	/* connects in "prio" in the order offered: 0, 4, 3, 1, 2, 5 */
	{
		static const int order[6] = { 0, 4, 3, 1, 2, 5 };

		for (int i = 0; i < 6; i++)
			CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
				     "queue='prio' AND call_id='queue-call-%d' AND id = (SELECT id "
				     "FROM queue_event WHERE event='connect' AND queue='prio' "
				     "ORDER BY id LIMIT 1 OFFSET %d)", order[i], i) == 1);
	}
	/* caller0's talk time as the test saw it (answer .. BYE), +-300 ms */
	{
		long long talk = cp_db_intf(db, "SELECT talk_ms FROM queue_event WHERE event='complete' "
					"AND call_id='queue-call-0'");
		long long want = (long long)(t_bye0 - t_ans0);

		CHECK(talk >= want - 300 && talk <= want + 300);
	}
	/* feature codes: logout, login, pause 17, unpause; agent2 auto-paused */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='logout' AND "
			     "agent='agent1'") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='login' AND "
			     "agent='agent1'") == 2);
	CHECK(cp_db_intf(db, "SELECT reason FROM queue_event WHERE event='pause' AND "
			     "agent='agent1'") == 17);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='unpause'") == 2);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='ring-no-answer' AND "
		     "agent='agent2'") == 2);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='autopause' AND "
		     "agent='agent2' AND reason=65535") == 1);
	/* the auto-pause came after the second no-answer, before the unpause */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event a, queue_event b, queue_event c WHERE "
		     "a.event='ring-no-answer' AND a.call_id='queue-call-7' AND "
		     "b.event='autopause' AND c.event='unpause' AND c.agent='agent2' AND "
		     "a.id < b.id AND b.id < c.id") == 1);
	/* abandon: position 1, the wait the test measured */
	{
		long long w = cp_db_intf(db, "SELECT wait_ms FROM queue_event WHERE event='abandon' AND "
				     "call_id='queue-call-8'");
		long long want = (long long)(t_cancel8 - t_enter8);

		CHECK(cp_db_intf(db, "SELECT position FROM queue_event WHERE event='abandon' AND "
			     "call_id='queue-call-8'") == 1);
		CHECK(w >= 250 && w <= want + 200);
	}
	/* overflow ovf -> spill, entered spill, connected there by agent1 */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='overflow' AND queue='ovf' "
		     "AND other='spill' AND call_id='queue-call-9' AND wait_ms >= 900") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='enter' AND queue='spill' "
		     "AND call_id='queue-call-9'") == 1);
	CHECK(cp_db_intf(db, "SELECT wait_ms FROM queue_event WHERE event='connect' AND queue='spill' "
		     "AND agent='agent1' AND call_id='queue-call-9'") >= 900);
	/* the transfer: agent1's share in 'transfer', agent2's in 'complete',
	 * each as the test measured it; together the whole talk */
	{
		long long t1 = cp_db_intf(db, "SELECT talk_ms FROM queue_event WHERE event='transfer' AND "
				      "call_id='queue-call-10' AND agent='agent1' AND other='agent2'");
		long long t2 = cp_db_intf(db, "SELECT talk_ms FROM queue_event WHERE event='complete' AND "
				      "call_id='queue-call-10' AND agent='agent2' AND queue='prio'");

		if (!(t1 >= (long long)(t_x10 - t_ans10) - 300 &&
		      t1 <= (long long)(t_x10 - t_ans10) + 300) ||
		    !(t2 >= (long long)(t_end10 - t_x10) - 300 &&
		      t2 <= (long long)(t_end10 - t_x10) + 300))
			fprintf(stderr, "transfer talk %lld + %lld, measured %llu + %llu\n", t1, t2,
				(unsigned long long)(t_x10 - t_ans10),
				(unsigned long long)(t_end10 - t_x10));
		CHECK(t1 >= (long long)(t_x10 - t_ans10) - 300 &&
		      t1 <= (long long)(t_x10 - t_ans10) + 300);
		CHECK(t2 >= (long long)(t_end10 - t_x10) - 300 &&
		      t2 <= (long long)(t_end10 - t_x10) + 300);
		CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-10' AND "
			     "event IN ('complete', 'transfer')") == 2);
	}
	/* every answered call completed once (a transfer completes twice: one
	 * share per agent) */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect'") ==
	      cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='complete'"));
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='transfer'") == 1);
	/* h: the engine knew agent3 was busy: no offer failed, no reject row */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE call_id='queue-call-12' AND "
			     "event IN ('reject', 'busy', 'offer')") == 1);
	CHECK(t_off12 - t_end11 < 1600);
	/* ids are dense: nothing was dropped on the way to the store */
	CHECK(cp_db_intf(db, "SELECT max(id) - min(id) + 1 - count(*) FROM queue_event") == 0);

	cc_remove_work(cfg, db);
	return 0;
}
