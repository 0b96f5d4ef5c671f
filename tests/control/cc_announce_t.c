/* SPDX-License-Identifier: MIT */
/* cc_announce_t — what a caller hears while waiting in a queue (issue 6
 * §5): position and estimated-wait announcements and comfort messages,
 * in a real sb-control over real UDP SIP with a recording fake dataplane
 * on a real segment (every command seen in order; PROMPT_DONE events
 * injected as a worker would send them).
 *
 * Queue q: agent1 only, music on hold, announce_every 2 s, comfort_every
 * 3 s, aht 330 s.  agent1 takes caller0; caller1 and caller2 wait at
 * positions 1 and 2.  No history yet and the offered load above one
 * agent: the estimate is position x AHT / agents (acd.h), computed here
 * independently: 330 s -> 6 minutes, 660 s -> 11 minutes (no "num-11"
 * file: said digit by digit).
 *
 *   announce  on each caller's leg: PROMPT_STOP (the music), then once
 *             each, every one after the previous one's PROMPT_DONE:
 *             you-are, num-<pos>, wait, <minutes>, minutes; then the music
 *             LOOP again
 *   comfort   PROMPT_STOP, comfort once, DONE, the music LOOP again
 *   answer    agent1 frees up: caller1 is offered and connected, its
 *             music stopped; caller2 hangs up: abandon, nothing plays.
 *
 *   cc_announce_t /path/to/sb-control */
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
#define NAGENTS 1

#include "cc_common.h"

/* ---- the recording dataplane (rec_dp.h) ---- */
static struct rec_dp dp;

/* prompt ids: their order under prompts: */
enum { P_MOH, P_YOU, P_WAIT, P_MINUTES, P_COMFORT, P_NUM0 };

/* the music on hold LOOP on a leg from index from on: its index, the leg */
static int moh_play(int from, uint32_t *leg, int ms)
{
	for (int t = 0; t < ms / 5; t++) {
		int n = atomic_load(&dp.n);

		for (int i = from; i < n; i++)
			if (dp.cmd[i].h.type == SB_CMD_PROMPT_PLAY && dp.cmd[i].prompt.prompt == P_MOH &&
			    (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP) &&
			    (*leg == SB_LEG_NONE || dp.cmd[i].h.leg == *leg)) {
				*leg = dp.cmd[i].h.leg;
				return i;
			}
		usleep(5000);
	}
	return -1;
}

/* on leg, after index from: PROMPT_STOP of the music, then each of
 * want[0..n) played once, each after the previous one's DONE (injected
 * here), then the music LOOP again.  The index of that LOOP. */
static int expect_seq(uint32_t leg, int from, const uint32_t *want, unsigned n)
{
	int st = rec_dp_find_ms(&dp, from, SB_CMD_PROMPT_STOP, leg, 4000), i = st;
	uint32_t l = leg;

	CHECK(st >= 0);
	for (unsigned k = 0; k < n; k++) {
		int j = rec_dp_find_ms(&dp, i + 1, SB_CMD_PROMPT_PLAY, leg, 2000);

		if (j < 0 || dp.cmd[j].prompt.prompt != want[k] ||
		    (dp.cmd[j].prompt.flags & SB_PROMPT_LOOP)) {
			fprintf(stderr, "leg %u item %u: want prompt %u once, got %d (%u flags %u)\n",
				leg, k, want[k], j, j >= 0 ? dp.cmd[j].prompt.prompt : 0,
				j >= 0 ? dp.cmd[j].prompt.flags : 0);
			CHECK(0);
		}
		/* the next one only after this one's end */
		usleep(50000);
		CHECK(rec_dp_find_ms(&dp, j + 1, SB_CMD_PROMPT_PLAY, leg, 5) < 0);
		CHECK(rec_dp_prompt_done(&dp, leg, want[k]) == 0);
		i = j;
	}
	i = moh_play(i + 1, &l, 2000);
	CHECK(i >= 0);
	/* nothing else in between on that leg */
	return i;
}

int main(int argc, char **argv)
{
	char cfg[128], db[128], inst[32];
	static const char *const names[NAGENTS] = { "agent1" };
	uint16_t p_car, p_agt;
	uint32_t leg1 = SB_LEG_NONE, leg2 = SB_LEG_NONE;
	int m1, m2, e1, e2;
	uint64_t t_in;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbskla%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}

	cp_workdir("/tmp/sb_cc_announce_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n  ring_timeout: 10\n"
		"store:\n  sqlite: %s\n"
		"prompts:\n  moh: /tmp/skl-moh.wav\n  you-are: /tmp/skl-you.wav\n"
		"  wait: /tmp/skl-wait.wav\n  minutes: /tmp/skl-min.wav\n"
		"  comfort: /tmp/skl-comfort.wav\n"
		"  num-0: /tmp/skl-0.wav\n  num-1: /tmp/skl-1.wav\n  num-2: /tmp/skl-2.wav\n"
		"  num-3: /tmp/skl-3.wav\n  num-4: /tmp/skl-4.wav\n  num-5: /tmp/skl-5.wav\n"
		"  num-6: /tmp/skl-6.wav\n  num-7: /tmp/skl-7.wav\n  num-8: /tmp/skl-8.wav\n"
		"  num-9: /tmp/skl-9.wav\n"
		"agents:\n  - user: agent1\n    password: secret\n"
		"queues:\n  - name: q\n    members: [agent1]\n    moh: moh\n"
		"    announce_every: 2\n    announce_position: you-are\n    announce_wait: wait\n"
		"    announce_minutes: minutes\n    comfort: comfort\n    comfort_every: 3\n"
		"    aht: 330\n"
		"hotlines:\n  - number: \"800100\"\n    queue: q\n",
		inst, p_car, p_agt, db);
	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 3, p_car, p_agt);

	call_in(0, "800100");
	CHECK(offered(0, 2000) == 0);
	answer(0, 0);

	m1 = atomic_load(&dp.n);
	call_in(1, "800100");
	t_in = mono_ms();
	CHECK((m1 = moh_play(m1, &leg1, 2000)) >= 0);
	call_in(2, "800100");
	CHECK((m2 = moh_play(m1 + 1, &leg2, 2000)) >= 0 && leg2 != leg1);

	/* ---------- the announcements at 2 s ---------- */
	{
		/* 1 x 330 s = 5.5 min -> 6; 2 x 330 s = 11 min: "1", "1" */
		const uint32_t s1[] = { P_YOU, P_NUM0 + 1, P_WAIT, P_NUM0 + 6, P_MINUTES };
		const uint32_t s2[] = { P_YOU, P_NUM0 + 2, P_WAIT, P_NUM0 + 1, P_NUM0 + 1,
					P_MINUTES };

		e1 = expect_seq(leg1, m1 + 1, s1, 5);
		CHECK(mono_ms() - t_in >= 1800);
		e2 = expect_seq(leg2, m2 + 1, s2, 6);
	}
	/* ---------- the comfort message at 3 s ---------- */
	{
		const uint32_t c[] = { P_COMFORT };

		e1 = expect_seq(leg1, e1 + 1, c, 1);
		CHECK(mono_ms() - t_in >= 2800);
		e2 = expect_seq(leg2, e2 + 1, c, 1);
	}

	/* ---------- caller1 answered: the music stops; caller2 leaves ---------- */
	agent_bye(0, 0);
	CHECK(offered(0, 2000) == 1);
	answer(0, 1);
	CHECK(rec_dp_find_ms(&dp, e1 + 1, SB_CMD_PROMPT_STOP, leg1, 2000) > e1);
	caller_cancel(2);
	usleep(200000);
	{
		int n = atomic_load(&dp.n), after = n;

		usleep(2500000); /* past the next announcement time: nothing for caller2 */
		n = atomic_load(&dp.n);
		for (int i = after; i < n; i++)
			CHECK(!(dp.cmd[i].h.type == SB_CMD_PROMPT_PLAY && dp.cmd[i].h.leg == leg2));
	}
	agent_bye(0, 1);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	CHECK(cp_db_intf(db, "SELECT count(*) FROM queue_event WHERE event='abandon' AND "
			     "call_id='queue-call-2' AND position=1") == 1);
	rec_dp_stop(&dp, 1);
	cc_remove_work(cfg, db);
	return 0;
}
