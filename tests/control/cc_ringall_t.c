/* SPDX-License-Identifier: MIT */
/* cc_ringall_t — the ring-all queue strategy in the B2BUA (issue 6) over
 * real UDP, sb-control as a child with a real SQLite store and the fake
 * dataplane (real shm); this process plays the callers and three agents
 * of one ring-all queue.
 *
 *  a. one caller: all three agents get an INVITE (same Call-ID: forks);
 *     agents 1 and 3 ring, agent 2 answers 200: the caller is connected
 *     to agent 2, agents 1 and 3 get CANCEL (and answer 200 + 487);
 *  b. agents 1 and 3 answer 200 back to back: one wins (ACK, the caller
 *     talks to it), the other gets ACK and then BYE; agent 2 (ringing)
 *     gets CANCEL;
 *  c. all three answer 486: the caller keeps waiting (no final answer);
 *     agent 1, whose busy delay is 1 s (the others' 30 s), is offered the
 *     call again alone and answers.
 * Then the store: one connect per call naming the agent that answered,
 * busy events per agent in c, no ring-no-answer for cancelled losers, and
 * each CDR names the connected agent.
 *
 *   cc_ringall_t /path/to/sb-control */
#include <sqlite3.h>
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

/* Agent a rings for its offer (180 with tag) */
static void ring(int a, char *tag, size_t cap)
{
	snprintf(tag, cap, "ring-%d", ++branch_no);
	sipc_respond(&ag[a].s, ag[a].inv, 180, "Ringing", tag, NULL, NULL);
}

/* The ringing agent a is CANCELled: 200 for it, 487 for the INVITE */
static void cancelled(int a, const char *tag)
{
	char buf[8192];

	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "CANCEL", 2000) == 0);
	sipc_respond(&ag[a].s, buf, 200, "OK", NULL, NULL, NULL);
	sipc_respond(&ag[a].s, ag[a].inv, 487, "Request Terminated", tag, NULL, NULL);
	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "ACK", 2000) == 0);
}

/* Agent a sends 200 for its offer without waiting for anything */
static void send_200(int a, int n)
{
	char tag[32];

	snprintf(tag, sizeof(tag), "ag%d-%d", a, n);
	ua_send_200(&ag[a], tag, 42000 + 2 * (unsigned)a);
}

/* What agent a received within ms: ACK and BYE counted (the BYE answered) */
static void collect(int a, int ms, int *acks, int *byes)
{
	char buf[8192];
	uint64_t end = mono_ms() + (uint64_t)ms;

	*acks = *byes = 0;
	for (;;) {
		int64_t left = (int64_t)(end - mono_ms());

		if (left <= 0 || sipc_recv(&ag[a].s, buf, sizeof(buf), (int)left) <= 0)
			break;
		if (sip_is_method(buf, "ACK"))
			(*acks)++;
		if (sip_is_method(buf, "BYE")) {
			(*byes)++;
			sipc_respond(&ag[a].s, buf, 200, "OK", NULL, NULL, NULL);
		}
	}
}

/* the caller n gets its 200 (from the winner) and ACKs it */
static void caller_connected(int n)
{
	struct ua *u = &callers[n];
	char buf[8192];

	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), 200, 2000) == 0);
	sip_hdr(buf, "To", u->to, sizeof(u->to));
	contact_uri(buf, u->ruri, sizeof(u->ruri));
	ua_ack(u, 10);
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], tag[NAGENTS][32], cid[NAGENTS][256], buf[8192];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	uint16_t p_car, p_agt;
	int acks[NAGENTS], byes[NAGENTS], win, lose;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbcra%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_cc_ringall_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"agents:\n  - user: agent1\n    password: secret\n    busy_delay: 1\n"
		"  - user: agent2\n    password: secret\n    busy_delay: 30\n"
		"  - user: agent3\n    password: secret\n    busy_delay: 30\n"
		"queues:\n"
		"  - name: all\n    strategy: ring-all\n    members: [agent1, agent2, agent3]\n"
		"    ring_timeout: 10\n"
		"hotlines:\n  - number: \"800100\"\n    queue: all\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 3, p_car, p_agt);

	/* ---------- a. all ring, agent 2 answers, 1 and 3 CANCELled ---------- */
	call_in(0, "800100");
	for (int a = 0; a < NAGENTS; a++) {
		CHECK(offered(a, 2000) == 0);
		CHECK(sip_hdr(ag[a].inv, "Call-ID", cid[a], sizeof(cid[a])) == 0);
	}
	CHECK(strcmp(cid[0], cid[1]) == 0 && strcmp(cid[1], cid[2]) == 0);
	ring(0, tag[0], sizeof(tag[0]));
	ring(2, tag[2], sizeof(tag[2]));
	usleep(100000);
	answer(1, 0);                               /* ACK to agent2, 200 to the caller */
	cancelled(0, tag[0]);
	cancelled(2, tag[2]);
	caller_bye(0, 1);

	/* ---------- b. two 200s at once: one wins, the other ACK + BYE ---------- */
	call_in(1, "800100");
	for (int a = 0; a < NAGENTS; a++)
		CHECK(offered(a, 2000) == 1);
	ring(1, tag[1], sizeof(tag[1]));
	usleep(100000);
	send_200(0, 1);
	send_200(2, 1);
	caller_connected(1);
	cancelled(1, tag[1]);
	collect(0, 700, &acks[0], &byes[0]);
	collect(2, 700, &acks[2], &byes[2]);
	fprintf(stderr, "b: agent1 %d ACK %d BYE, agent3 %d ACK %d BYE\n", acks[0], byes[0],
		acks[2], byes[2]);
	CHECK(acks[0] >= 1 && acks[2] >= 1);
	CHECK((byes[0] > 0) != (byes[2] > 0));     /* (a BYE may be retransmitted) */
	win = byes[0] ? 2 : 0;
	lose = byes[0] ? 0 : 2;
	(void)lose;
	caller_bye(1, win);

	/* ---------- c. all busy: the caller waits, agent 1 frees up ---------- */
	call_in(2, "800100");
	for (int a = 0; a < NAGENTS; a++)
		CHECK(offered(a, 2000) == 2);
	for (int a = 0; a < NAGENTS; a++)
		sipc_respond(&ag[a].s, ag[a].inv, 486, "Busy Here", "busy", NULL, NULL);
	for (int a = 0; a < NAGENTS; a++)
		CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "ACK", 2000) == 0);
	/* the caller hears nothing final while it waits again */
	CHECK(sipc_recv(&callers[2].s, buf, sizeof(buf), 300) <= 0 || sip_status(buf) < 200);
	CHECK(offered(0, 3000) == 2);               /* after agent1's 1 s busy delay */
	no_offer(300);                              /* agents 2, 3: still in their delay */
	answer(0, 2);
	agent_bye(0, 2);
	usleep(200000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);

	/* ---------- the store ---------- */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer' AND "
		     "call_id='queue-call-0'") == 3);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
		     "call_id='queue-call-0'") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
		     "call_id='queue-call-0' AND agent='agent2'") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
		     "call_id='queue-call-1'") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
		     "call_id='queue-call-1' AND agent='%s'", names[win]) == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='busy' AND "
		     "call_id='queue-call-2'") == 3);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='offer' AND "
		     "call_id='queue-call-2'") == 4);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
		     "call_id='queue-call-2' AND agent='agent1'") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='connect'") == 3);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='complete'") == 3);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event IN ('ring-no-answer', "
		     "'abandon')") == 0);
	/* CDRs: the connected agent, answered */
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-0' AND agent='agent2' "
		     "AND status=200") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-1' AND agent='%s' "
		     "AND status=200", names[win]) == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr WHERE call_id='queue-call-2' AND agent='agent1' "
		     "AND status=200") == 1);
	CHECK(cp_db_intf(db, "SELECT count(*) FROM cdr") == 3);

	cc_remove_work(cfg, db);
	return 0;
}
