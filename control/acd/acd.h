/* SPDX-License-Identifier: MIT */
/*
 * acd.h — the queue and agent-distribution engine (issue 6, core).
 *
 * A pure state machine: no I/O, no clock, no logging.  Every entry point
 * takes the current time (`now`, milliseconds, never going back) and the
 * engine reports what the B2BUA must do through one callback (offer a call
 * to an agent, cancel an offer, move or drop a caller).  Tests drive it on
 * a virtual clock; sb-control will drive it from its event loop.
 *
 * Objects are referred to by index, chosen by the user: queues and agents
 * in [0, max_queues) / [0, max_agents) (the config's order), calls in
 * [0, max_calls) (the B2BUA's own call index, struct sb_call.idx).
 *
 * How the B2BUA will call it (call.c is unchanged for now; today it picks
 * "the first registered idle agent in the hotline's list"):
 *   - INVITE to a hotline    → sb_acd_enqueue(call, queue, prio, now)
 *   - action OFFER(call, ag)  → uac_invite_agent() to that agent
 *   - agent 180              → sb_acd_ringing(); agent 200 → sb_acd_answer()
 *   - agent 486/600/603/480  → sb_acd_decline(BUSY / REJECT / NOANSWER)
 *   - action CANCEL(call, ag) → CANCEL that agent's INVITE (ring-all loser,
 *                               ring timeout, caller gone)
 *   - caller BYE/CANCEL before answer → sb_acd_abandon()
 *   - BYE after answer (either side)  → sb_acd_hangup()
 *   - action EXIT(call, why)  → play the message / route elsewhere / 480
 *   - one loop timer armed for sb_acd_next_due(), firing sb_acd_tick().
 *   - API / feature codes → sb_acd_agent_login/logout/pause/unpause.
 *
 * The callback runs inside the engine: it must not call back into it
 * (a re-entered entry point returns -EDEADLK).  Collect and act after.
 *
 * Agent states (sb_acd_agent_state()):
 *   LOGGED_OUT ─login─▶ AVAILABLE ─offer─▶ RESERVED ─180─▶ RINGING ─200─▶ ON_CALL
 *   ON_CALL ─hangup─▶ WRAP_UP (queue's or agent's time) ─▶ AVAILABLE
 *   RESERVED/RINGING ─no answer, reject, busy─▶ AVAILABLE after its delay
 *   (shown as WRAP_UP while the delay runs); N no-answers in a row ─▶ PAUSED
 *   (reason SB_ACD_REASON_NOANSWER); pause/unpause with a reason code any
 *   time while logged in (a paused agent keeps its calls, gets no new one);
 *   logout only without calls.  An illegal transition or an event about a
 *   call/agent pair the engine does not know returns -EINVAL and counts in
 *   sb_acd_stats.illegal.  With max_calls > 1 the state is that of the
 *   agent's most advanced call.
 *
 * Distribution: callers wait per queue ordered by priority (higher first),
 * then by the time they first entered any queue (overflow and transfer keep
 * it), then arrival order.  The engine is work-conserving: after every
 * event, no free agent qualifies for the head caller of any of its queues.
 * When an agent becomes free it takes, across all its queues, the best
 * head caller it qualifies for (priority first, then longest wait): fair
 * order across queues that share agents.  When a caller becomes a queue's
 * head, the queue's strategy picks among the free qualifying members.
 * Skills: a queue requires up to SB_ACD_MAX_REQ (skill, min level); its
 * steps lower the minimum levels by `drop` once the caller has waited
 * `after_ms` in the queue; `any_after_ms` admits every member.  Within a
 * queue callers are offered strictly in order: a head caller no free agent
 * qualifies for yet holds back those behind it (FIFO within a priority).
 * Rounds (app_queue's): an agent that did not answer a caller (no answer,
 * reject, busy; its delay may be 0) is not offered that caller again while
 * another eligible member of the queue has not been tried; it still gets
 * other callers.  When only tried members are free a new round starts, so
 * a lone free agent is offered again (work conservation).  Up to 16 such
 * agents are remembered per caller; a new queue (overflow) is a new round.
 *
 * Cost: a decision scans the members of one queue (strategy pick) or the
 * queues of one agent (agent freed); waiting callers sit in a per-queue
 * heap and timers in one heap, so nothing grows with the total number of
 * queues or agents (bench/acd_bench.c: 10k queues, 20k agents).
 */
#ifndef SB_CP_ACD_H
#define SB_CP_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_ACD_NONE          UINT32_MAX
#define SB_ACD_NSKILLS       32   /* skill ids 0..31 */
#define SB_ACD_MAX_REQ       4    /* skills one queue requires */
#define SB_ACD_MAX_STEPS     4
#define SB_ACD_AGENT_MAX_CALLS 4
#define SB_ACD_REASON_NOANSWER 0xffffu /* auto-pause; user reasons below */
#define SB_ACD_WRAPUP_QUEUE  UINT32_MAX /* agent wrap-up: use the queue's */

enum sb_acd_strategy {
	SB_ACD_RING_ALL,
	SB_ACD_LONGEST_IDLE,   /* free for the longest time (since login or wrap-up end) */
	SB_ACD_ROUND_ROBIN,    /* next member after the last one offered (memory) */
	SB_ACD_FEWEST_CALLS,   /* fewest calls answered from this queue */
	SB_ACD_LEAST_TALK,     /* least talk time from this queue */
	SB_ACD_RANDOM,         /* uniform, seeded (sb_acd_cfg.seed): reproducible */
	SB_ACD_LINEAR,         /* first free member in join order */
	SB_ACD_STRATEGY_N
};
/* Ties always go to the member that joined the queue first. */

enum sb_acd_agent_state {
	SB_ACD_LOGGED_OUT, SB_ACD_AVAILABLE, SB_ACD_RESERVED, SB_ACD_RINGING,
	SB_ACD_ON_CALL, SB_ACD_WRAP_UP, SB_ACD_PAUSED
};

/* ELSEWHERE: the offer could not ring because the phone is on a call the
 * engine does not route (tell it with sb_acd_agent_elsewhere first): no
 * delay, no round, no figure. */
enum sb_acd_decline { SB_ACD_NOANSWER, SB_ACD_REJECT, SB_ACD_BUSY, SB_ACD_ELSEWHERE };

enum sb_acd_exit {        /* why a caller left the engine without an agent */
	SB_ACD_EXIT_TIMEOUT,  /* max wait, no overflow queue */
	SB_ACD_EXIT_FULL,     /* max length, no overflow queue (or a loop) */
	SB_ACD_EXIT_EMPTY,    /* join-empty refused or leave-when-empty */
};

enum sb_acd_act_type {
	SB_ACD_ACT_OFFER,     /* ring `agent` for `call` (from `queue`) */
	SB_ACD_ACT_CANCEL,    /* stop ringing `agent` for `call` */
	SB_ACD_ACT_MOVE,      /* `call` overflowed from `queue` to `to_queue` */
	SB_ACD_ACT_EXIT,      /* `call` left `queue` without agent: `reason` */
	SB_ACD_ACT_AUTOPAUSE, /* `agent` paused after N no-answers */
};

struct sb_acd_action {
	enum sb_acd_act_type type;
	uint32_t call, agent, queue, to_queue;
	uint32_t reason;      /* enum sb_acd_exit for EXIT */
};

typedef void sb_acd_emit_fn(void *arg, const struct sb_acd_action *act);

struct sb_acd_cfg {
	uint32_t max_queues, max_agents, max_calls;
	uint64_t seed;            /* SB_ACD_RANDOM; 0 is replaced by a constant */
	sb_acd_emit_fn *emit;
	void *emit_arg;
};

struct sb_acd_step {
	uint32_t after_ms;        /* waited in this queue */
	uint8_t drop;             /* minimum levels lowered by this much (total) */
};

struct sb_acd_queue_cfg {
	enum sb_acd_strategy strategy;
	uint32_t max_len;         /* callers waiting or ringing; 0 = unlimited */
	uint32_t max_wait_ms;     /* 0 = unlimited */
	uint32_t overflow;        /* queue for FULL/TIMEOUT, or SB_ACD_NONE */
	uint32_t wrapup_ms;
	uint32_t ring_ms;         /* offer timeout (= no answer); 0 = none */
	bool join_empty;          /* join even when no member is logged in, unpaused */
	bool leave_when_empty;    /* waiting callers leave when the last one goes */
	uint8_t nreq;
	struct { uint8_t skill, level; } req[SB_ACD_MAX_REQ];
	uint8_t nsteps;           /* increasing after_ms */
	struct sb_acd_step step[SB_ACD_MAX_STEPS];
	uint32_t any_after_ms;    /* 0 = never */
	uint32_t aht_ms;          /* handle time for the Erlang C estimate */
};

struct sb_acd_agent_cfg {
	uint8_t max_calls;        /* 1..SB_ACD_AGENT_MAX_CALLS; 0 means 1 */
	uint32_t wrapup_ms;       /* SB_ACD_WRAPUP_QUEUE: the call's queue's */
	uint32_t noanswer_delay_ms, reject_delay_ms, busy_delay_ms;
	uint32_t max_noanswer;    /* in a row → auto-pause; 0 = never */
	uint8_t level[SB_ACD_NSKILLS]; /* 0 = does not have the skill */
};

struct sb_acd_queue_stats {
	uint64_t entered, answered, abandoned, overflowed, timed_out, empty;
	uint64_t waiting, ringing;    /* now: in the heap / offered */
	uint64_t talk_ms, wait_answered_ms;
};

struct sb_acd_stats {
	uint64_t illegal;             /* refused events (-EINVAL) */
	uint64_t offers, cancels, noanswers, rejects, busies, autopauses;
};

struct sb_acd;

void sb_acd_free(struct sb_acd *a);   /* NULL is a no-op */
/* NULL + errno (EINVAL: a zero size or no emit; ENOMEM) */
struct sb_acd *sb_acd_create(const struct sb_acd_cfg *cfg)
	__attribute__((malloc, malloc(sb_acd_free, 1)));

/* 0 | -EINVAL (index, strategy, overflow = itself, nreq/nsteps, skill id)
 * | -EEXIST.  Queues and agents are added once; membership by join. */
int sb_acd_queue_add(struct sb_acd *a, uint32_t q, const struct sb_acd_queue_cfg *cfg);
int sb_acd_agent_add(struct sb_acd *a, uint32_t ag, const struct sb_acd_agent_cfg *cfg);
/* Replace a queue's configuration at run time (the API): decisions from
 * now on use it; offers ringing, callers' max-wait timers and skill steps
 * already armed keep theirs (live calls are not touched).  0 | -EINVAL
 * (as sb_acd_queue_add, or no such queue). */
int sb_acd_queue_update(struct sb_acd *a, uint32_t q, const struct sb_acd_queue_cfg *cfg);
/* An agent's wrap-up, delays, max_noanswer and skill levels at run time
 * (a wrap-up or delay already running keeps its end).  max_calls cannot
 * change.  0 | -EINVAL (no such agent, max_calls differs) */
int sb_acd_agent_update(struct sb_acd *a, uint32_t ag, const struct sb_acd_agent_cfg *cfg);
/* After an update: work conservation again.  Queue: its waiting callers
 * get timers for the new steps (counted from their entry) and the head
 * callers are offered to whoever qualifies now; agent: it takes what it
 * now qualifies for.  0 | -EINVAL (no such queue / agent) */
int sb_acd_queue_rescan(struct sb_acd *a, uint32_t q, uint64_t now);
int sb_acd_agent_rescan(struct sb_acd *a, uint32_t ag, uint64_t now);
/* 0 | -EINVAL | -EEXIST (already a member) | -ENOMEM */
int sb_acd_agent_join(struct sb_acd *a, uint32_t ag, uint32_t q, uint64_t now);
/* 0 | -EINVAL | -ENOENT (not a member); ringing offers and calls go on */
int sb_acd_agent_leave(struct sb_acd *a, uint32_t ag, uint32_t q, uint64_t now);

/* Agent state changes: 0 | -EINVAL (illegal transition, counted) */
int sb_acd_agent_login(struct sb_acd *a, uint32_t ag, uint64_t now);
int sb_acd_agent_logout(struct sb_acd *a, uint32_t ag, uint64_t now); /* no calls */
int sb_acd_agent_pause(struct sb_acd *a, uint32_t ag, uint16_t reason, uint64_t now);
int sb_acd_agent_unpause(struct sb_acd *a, uint32_t ag, uint64_t now);
/* The agent took (busy) or ended (!busy) a call the engine does not route:
 * a direct call to it (a hotline with `agents:`, a call by name), a
 * consultation or transfer target, a supervision.  Each counts against its
 * lines (max_calls) until it ends, so no offer goes to a phone that is
 * busy and its figures get no false rejects; the end frees the line at
 * once (no wrap-up: the engine did not route that call).  The state shows
 * ON_CALL meanwhile.  0 | -EINVAL (no such agent, ending one not taken) */
int sb_acd_agent_elsewhere(struct sb_acd *a, uint32_t ag, bool busy, uint64_t now);

/* A caller enters queue q.  0 (queued, offered, moved or exited: see the
 * actions) | -EINVAL (bad index, call already in the engine) | -ENOMEM. */
int sb_acd_enqueue(struct sb_acd *a, uint32_t call, uint32_t q, uint8_t prio, uint64_t now);
/* Would a caller entering q now be turned away at once?  -1: no (it
 * waits, is offered, or overflows to a queue that takes it), else the
 * enum sb_acd_exit it would get (FULL, EMPTY).  No state changes. */
int sb_acd_would_exit(const struct sb_acd *a, uint32_t q);
/* A waiting caller goes on under another index, keeping its place (queue,
 * priority, first-entry time, arrival order, steps and max wait counted
 * from its entry): a callback keeps the place of the caller who hung up
 * (the B2BUA's call slot is freed, a virtual index waits instead).
 * 0 | -EINVAL (from not waiting, to in use, bad index) */
int sb_acd_call_move(struct sb_acd *a, uint32_t from, uint32_t to, uint64_t now);
/* Events about an offer (call, agent): 0 | -EINVAL */
int sb_acd_ringing(struct sb_acd *a, uint32_t call, uint32_t ag, uint64_t now);
int sb_acd_answer(struct sb_acd *a, uint32_t call, uint32_t ag, uint64_t now);
int sb_acd_decline(struct sb_acd *a, uint32_t call, uint32_t ag, enum sb_acd_decline why,
		   uint64_t now);
/* The caller left before an answer / the answered call ended. 0 | -EINVAL */
int sb_acd_abandon(struct sb_acd *a, uint32_t call, uint64_t now);
int sb_acd_hangup(struct sb_acd *a, uint32_t call, uint64_t now);
/* Callbacks (b2bua/callback.c): an attempt to reach the customer failed.
 * The call leaves the engine whatever its state (waiting, offered,
 * connected) with no abandon, no talk, no decline: its agents are free at
 * once, without wrap-up or a no-answer delay.  0 | -EINVAL (not in it) */
int sb_acd_release(struct sb_acd *a, uint32_t call, uint64_t now);
/* Customer-first callbacks: the offer (reserved or ringing) gets a new
 * ring timeout counted from now, ring_ms 0 = none (the agent is held while
 * the customer is dialled, then rung).  0 | -EINVAL (no such offer) | -ENOMEM */
int sb_acd_offer_rearm(struct sb_acd *a, uint32_t call, uint32_t ag, uint32_t ring_ms,
		       uint64_t now);
/* ... and its place comes back later: sb_acd_enqueue with the first-entry
 * time it had (first_ms <= now), so that it is ahead of those who came
 * after it; the max wait and steps count from now.  As sb_acd_enqueue. */
int sb_acd_enqueue_keep(struct sb_acd *a, uint32_t call, uint32_t q, uint8_t prio,
			uint64_t first_ms, uint64_t now);

/* Run every timer due at `now` (ring timeouts, wrap-up and delay ends, skill
 * steps, max wait).  Every other entry point does this first too. */
int sb_acd_tick(struct sb_acd *a, uint64_t now);
uint64_t sb_acd_next_due(const struct sb_acd *a); /* UINT64_MAX: nothing armed */

enum sb_acd_agent_state sb_acd_agent_state(const struct sb_acd *a, uint32_t ag, uint64_t now,
					   uint16_t *pause_reason);
int sb_acd_queue_stats(const struct sb_acd *a, uint32_t q, struct sb_acd_queue_stats *out);
void sb_acd_stats(const struct sb_acd *a, struct sb_acd_stats *out);
/* 1-based position of a waiting caller (0: not waiting) */
uint32_t sb_acd_position(const struct sb_acd *a, uint32_t call);

/* Estimated wait for a waiting caller, ms (UINT64_MAX: no one staffs the
 * queue).  With at least SB_ACD_EWT_MIN_HISTORY answers: position / the
 * observed answer rate (answers over the last ones' time span).  Before:
 * Erlang C with N = members logged in and unpaused, A = λ·AHT (λ from the
 * arrivals seen so far), ASA = C(N, A)·AHT/(N − A), plus (position − 1)·
 * AHT/N for those ahead; A ≥ N gives position·AHT/N. */
#define SB_ACD_EWT_MIN_HISTORY 8
uint64_t sb_acd_ewt(const struct sb_acd *a, uint32_t call, uint64_t now);

/* Erlang C: probability that a caller waits with n agents and a erlangs
 * offered (1 when a >= n), and the average speed of answer in aht's unit. */
double sb_acd_erlang_c(unsigned n, double a);
double sb_acd_erlang_asa(unsigned n, double a, double aht);

/* Self-check for tests: 0, or -EFAULT with `why` naming the broken
 * invariant (slots vs calls, agent capacity, heap order, queue counts,
 * work conservation).  O(everything). */
int sb_acd_audit(const struct sb_acd *a, uint64_t now, char *why, size_t len);

#endif
