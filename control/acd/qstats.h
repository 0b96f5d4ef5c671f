/* SPDX-License-Identifier: MIT */
/*
 * acd/qstats.h — the queue event log as the loop keeps it, and the
 * real-time figures computed from it (issue 6, §7).  Pure: no I/O, no
 * clock; the B2BUA (b2bua/queue.c) feeds events, the store writes them
 * (store/qlog.c), the API reads figures and recent events (api/cc.c).
 *
 * Every event gets an id (1, 2, ...; /v1/events?since=ID pages on it) and
 * lands in a ring of the last SB_QSTATS_RING events.
 *
 * Figures per queue (since start-up):
 *   offered    callers that entered the queue (overflow into it counts)
 *   answered   connected to an agent
 *   abandoned  hung up while waiting or ringing; short_abandoned: of these,
 *              those that waited less than the queue's short_abandon
 *   answered_within  answered with a wait <= the queue's service_level
 *   sl_answered       = answered_within / answered
 *   sl_with_abandons  = answered_within / (answered + abandoned
 *                                          - short_abandoned)
 *              (abandons count against the service level, short ones not)
 *   asa_ms     average wait of the answered
 *   aht_ms     average handle time of completed calls: talk + wrap-up
 *   occupancy  members' handle time / members' available time (logged
 *              in and not paused), 0..1
 * Per agent: offered, answered, noanswers, talk/handle time, occupancy.
 * Waiting-now and longest-wait-now come from the live calls (queue.c).
 */
#ifndef SB_ACD_QSTATS_H
#define SB_ACD_QSTATS_H

#include <stdbool.h>
#include <stdint.h>

#define QEV_TYPES(_)                                                     \
	_(ENTER, "enter") _(OFFER, "offer") _(NOANSWER, "ring-no-answer")   \
	_(REJECT, "reject") _(BUSY, "busy") _(CONNECT, "connect")           \
	_(COMPLETE, "complete") _(TRANSFER, "transfer")                     \
	_(ABANDON, "abandon") _(TIMEOUT, "timeout") _(FULL, "full")         \
	_(EMPTY, "empty") _(OVERFLOW, "overflow") _(LOGIN, "login")         \
	_(LOGOUT, "logout") _(PAUSE, "pause") _(UNPAUSE, "unpause")         \
	_(AUTOPAUSE, "autopause") _(CALLBACK, "callback")

enum sb_qev_type {
#define SB_QEV_X_(id, s) SB_QEV_##id,
	QEV_TYPES(SB_QEV_X_)
#undef SB_QEV_X_
	SB_QEV_N
};

const char *sb_qev_name(enum sb_qev_type t);

#define SB_QEV_NAME 64
#define SB_QSTATS_RING 4096u

/* One row of the queue log (also the store's record: copied by value). */
struct sb_qevent {
	uint64_t id;
	int64_t ts_ms;             /* wall clock */
	uint32_t type;             /* enum sb_qev_type */
	char call_id[128];         /* the caller's Call-ID (as the CDR's); "" for agents */
	char queue[SB_QEV_NAME];
	char agent[SB_QEV_NAME];
	char tenant[SB_QEV_NAME];
	char other[SB_QEV_NAME];   /* overflow target queue, transfer target agent,
				    * callback: requested / due / failed */
	uint32_t position;         /* enter, abandon: 1-based */
	uint32_t wait_ms;          /* connect, abandon, timeout, overflow */
	uint32_t talk_ms;          /* complete, transfer: this agent's share */
	uint32_t reason;           /* pause reason code, exit reason */
	uint32_t prio;             /* enter */
	uint32_t wrapup_ms;        /* complete, transfer: the wrap-up that follows
				    * (handle time = talk + wrap-up; set by sb_qstats_add) */
};

struct sb_qfig_queue {
	uint64_t offered, answered, abandoned, short_abandoned, answered_within;
	uint64_t timed_out, overflowed, completed;
	uint64_t wait_answered_ms, handle_ms, talk_ms;
};

struct sb_qfig_agent {
	uint64_t offered, answered, noanswers, rejects, completed;
	uint64_t talk_ms, handle_ms;
	uint64_t staffed_ms, paused_ms;  /* closed intervals */
	uint64_t login_since, pause_since; /* mono ms; 0 = not now */
};

struct sb_qstats;

void sb_qstats_free(struct sb_qstats *s);  /* NULL ok */
struct sb_qstats *sb_qstats_create(unsigned n_queues, unsigned n_agents)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_qstats_free, 1))) /* gcc checks the pairing */
#endif
	; /* NULL + errno */

/* Per queue: thresholds for the figures. */
void sb_qstats_queue_cfg(struct sb_qstats *s, unsigned q, uint32_t sl_ms,
			 uint32_t short_abandon_ms);

/* Record ev (id and the counters are filled here; ev->id set on return).
 * q / agent: indexes or -1; now: mono ms (occupancy); wrapup_ms: for
 * COMPLETE and TRANSFER (handle time = talk + wrap-up). */
void sb_qstats_add(struct sb_qstats *s, struct sb_qevent *ev, int q, int agent,
		   uint64_t now, uint32_t wrapup_ms);

/* The figures one event changes, by the rules above: q, a may be NULL;
 * sl_ms / short_ms: q's service level and short-abandon thresholds; now:
 * ms on any clock that only goes forward (the staffed and paused
 * intervals).  sb_qstats_add uses it for the live figures, the interval
 * reports (api/report.c) for the stored rows: one definition of each
 * figure. */
void sb_qfig_add(struct sb_qfig_queue *q, struct sb_qfig_agent *a, const struct sb_qevent *ev,
		 uint32_t sl_ms, uint32_t short_ms, uint64_t now);

const struct sb_qfig_queue *sb_qstats_queue(const struct sb_qstats *s, unsigned q);
const struct sb_qfig_agent *sb_qstats_agent(const struct sb_qstats *s, unsigned ag);
/* Derived (0 when the denominator is 0) */
double sb_qfig_sl_answered(const struct sb_qfig_queue *f);
double sb_qfig_sl_with_abandons(const struct sb_qfig_queue *f);
uint64_t sb_qfig_asa_ms(const struct sb_qfig_queue *f);
uint64_t sb_qfig_aht_ms(const struct sb_qfig_queue *f);
/* available time (staffed minus paused) up to now, ms */
uint64_t sb_qfig_agent_avail_ms(const struct sb_qfig_agent *f, uint64_t now);
double sb_qfig_agent_occupancy(const struct sb_qfig_agent *f, uint64_t now);

/* Events with id > since, oldest first, at most max: count copied into
 * out (pointers valid until the next add).  *first_kept = the oldest id
 * still in the ring (a client that fell further behind lost some). */
unsigned sb_qstats_since(const struct sb_qstats *s, uint64_t since, unsigned max,
			 const struct sb_qevent **out, uint64_t *first_kept);
uint64_t sb_qstats_last_id(const struct sb_qstats *s);
/* Start ids after this one (the store's highest, at start-up). */
void sb_qstats_set_last_id(struct sb_qstats *s, uint64_t id);

#endif
