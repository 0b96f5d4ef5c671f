/* SPDX-License-Identifier: MIT */
/* queue_t — hotline queues (b2bua/queue.h, the engine acd/acd.h) in the
 * B2BUA end to end over real UDP.  sb-control runs as a child on
 * 127.0.0.1; this process plays the callers, three registered agents and
 * the "dataplane" (a thread answering commands on a real shm segment).
 *
 * Queue "sales" (round-robin, agent1..3, ring_timeout 1 s, wrap_up 1 s)
 * behind 800200; queue "tiny" (agent3 only, max_wait 2 s) behind 800300.
 *
 *  a. four calls one after the other, each answered and hung up, with the
 *     wrap-up over between them: offered to agent1, agent2, agent3, agent1
 *     (round-robin; "first free agent" would give agent1 every time); the
 *     caller hears 180 before any agent is offered;
 *  b. the next call goes to agent2, which rings (180) and never answers:
 *     after ~1 s it gets CANCEL and the call is offered to agent3, which
 *     answers (call X up);
 *  c. call Y goes to agent1 (agent2 is held back after its no-answer);
 *     call Z finds nobody free: 180, no offer; agent3 hangs up X; after
 *     its 1 s wrap-up (not before) Z is offered to agent3;
 *  d. a call to 800300 (agent3 busy with Z) waits 2 s and gets 480 with
 *     a Reason header naming the queue's maximum wait.
 *
 *   queue_t /path/to/sb-control */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.10"
#define NAGENTS 3

#include "cc_common.h"

/* ---- the fake dataplane: fake_dp.h's recording one ---- */

static struct fake_dp_rec dp;

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], buf[8192], reason[256];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint16_t p_car, p_agt;
	uint64_t t0;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbqueue%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_queue_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		   "  options_interval: 0\n"
		   "store:\n  sqlite: %s\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "  - user: agent2\n    password: secret\n"
		   "  - user: agent3\n    password: secret\n"
		   "queues:\n"
		   "  - name: sales\n    strategy: round-robin\n"
		   "    members: [agent1, agent2, agent3]\n"
		   "    ring_timeout: 1\n    wrap_up: 1\n    max_wait: 30\n"
		   "  - name: tiny\n    members: [agent3]\n    max_wait: 2\n"
		   "hotlines:\n  - number: \"800200\"\n    queue: sales\n"
		   "  - number: \"800300\"\n    queue: tiny\n",
		inst, p_car, p_agt, db);
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 8, p_car, p_agt);

	/* ---------- a. round-robin over four calls ---------- */
	{
		static const int want[4] = { 0, 1, 2, 0 };

		for (int i = 0; i < 4; i++) {
			call_in(i, "800200");
			offered(want[i], 3000);
			CHECK(strstr(ag[want[i]].inv, "INVITE sip:") == ag[want[i]].inv);
			answer(want[i], i);
			caller_bye(i, want[i]);
			usleep(1300000); /* wrap-up (1 s) over */
		}
		no_offer(100);
	}

	/* ---------- b. agent2 does not answer: agent3 gets the call ---------- */
	call_in(4, "800200");
	offered(1, 3000);
	sipc_respond(&ag[1].s, ag[1].inv, 180, "Ringing", "ag2-ring", NULL, NULL);
	t0 = mono_ms();
	CHECK(sipc_expect_method(&ag[1].s, buf, sizeof(buf), "CANCEL", 3000) == 0);
	CHECK(mono_ms() - t0 >= 800); /* ring_timeout 1 s */
	sipc_respond(&ag[1].s, buf, 200, "OK", NULL, NULL, NULL);
	sipc_respond(&ag[1].s, ag[1].inv, 487, "Request Terminated", "ag2-ring", NULL, NULL);
	offered(2, 3000);
	answer(2, 4); /* call X: caller4 - agent3 */

	/* ---------- c. a waiting caller gets the next agent that frees up ---------- */
	call_in(5, "800200");
	offered(0, 3000); /* agent2 is held back after its no-answer */
	answer(0, 5);     /* call Y: caller5 - agent1 */
	call_in(6, "800200");
	no_offer(300);    /* call Z waits: nobody is free */
	agent_bye(2, 4);  /* agent3 ends X: wrap-up 1 s */
	t0 = mono_ms();
	no_offer(700);
	offered(2, 2000);
	CHECK(mono_ms() - t0 >= 900);
	answer(2, 6);     /* call Z: caller6 - agent3 */

	/* ---------- d. maximum wait: 480 with a Reason ---------- */
	call_in(7, "800300");
	t0 = mono_ms();
	CHECK(sipc_expect_status(&callers[7].s, buf, sizeof(buf), 480, 4000) == 0);
	CHECK(mono_ms() - t0 >= 1500);
	CHECK(sip_hdr(buf, "Reason", reason, sizeof(reason)) == 0);
	CHECK(strstr(reason, "queue maximum wait") != NULL);
	no_offer(100);

	caller_bye(5, 0);
	caller_bye(6, 2);
	usleep(200000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);
	/* every call wrote its CDR: 7 answered (200), the timed-out one 480 */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 8);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE status = 480") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE agent = 'agent3'") >= 3);
	cc_remove_work(cfg, db);
	return 0;
}
