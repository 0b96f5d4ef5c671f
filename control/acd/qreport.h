/* SPDX-License-Identifier: MIT */
/*
 * acd/qreport.h — interval figures per queue, agent or tenant from the
 * stored queue events (issue 6, §7: "real-time and interval figures per
 * queue, agent and tenant").  Pure: the rows come from the store
 * (store/qrows.h) on the API's worker thread, the JSON is made by
 * api/report.c.
 *
 * Each row of the report is one key (a queue, an agent or a tenant) and
 * one interval [start_ms, start_ms + interval_ms) of the range; an event
 * counts in the interval of its time stamp, by sb_qfig_add() (qstats.h):
 * the same definitions as the live figures, so a range that covers a
 * whole run gives the live figures back.  Only intervals with events (or
 * staffed time) have rows.
 *   queue   figures of events that name a queue (enter, connect, ...)
 *   agent   figures of events that name an agent; staffed and paused
 *           time from login/logout/pause/unpause, split at the interval
 *           boundaries (an agent logged in before the range: the store
 *           gives its last state as an event at the range's start)
 *   tenant  both, summed over the tenant's queues and agents
 * Per row also: longest_wait_ms (the longest wait that ended in it:
 * connect, abandon, timeout, full, empty, overflow rows).
 * Handle time counts in the interval where the call completed.
 */
#ifndef SB_ACD_QREPORT_H
#define SB_ACD_QREPORT_H

#include <stdint.h>

#include "acd/qstats.h"

enum sb_qrep_by { SB_QREP_QUEUE, SB_QREP_AGENT, SB_QREP_TENANT };

#define SB_QREP_MAX_BUCKETS 2000u
#define SB_QREP_MAX_ROWS 100000u

/* a queue's thresholds (sb_qstats_queue_cfg's), by name */
struct sb_qrep_qcfg {
	char name[SB_QEV_NAME];
	uint32_t sl_ms, short_ms;
};

struct sb_qrep_row {
	char key[SB_QEV_NAME];
	int64_t start_ms;
	struct sb_qfig_queue q;
	struct sb_qfig_agent a;   /* staffed_ms, paused_ms: in this interval */
	uint64_t longest_wait_ms;
};

struct sb_qreport;

void sb_qreport_free(struct sb_qreport *r); /* NULL ok */
/* from < to, interval_ms >= 1000 and (to - from) / interval_ms <=
 * SB_QREP_MAX_BUCKETS (else NULL, errno EINVAL); qc copied (queues of
 * no entry: service level 20 s, short abandon 5 s); now_ms: open staffed
 * and paused spans end at min(to, now). */
struct sb_qreport *sb_qreport_new(enum sb_qrep_by by, int64_t from_ms, int64_t to_ms,
				  uint32_t interval_ms, const struct sb_qrep_qcfg *qc, unsigned nq,
				  int64_t now_ms)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_qreport_free, 1)))
#endif
	;
/* One stored event (rows in id order).  0 | -ENOMEM | -E2BIG (more than
 * SB_QREP_MAX_ROWS rows: ask for wider intervals). */
int sb_qreport_add(struct sb_qreport *r, const struct sb_qevent *ev);
/* After the last event: close the open spans; the rows ordered by key,
 * then start.  Count; *out valid until sb_qreport_free. */
unsigned sb_qreport_rows(struct sb_qreport *r, const struct sb_qrep_row **out);

#endif
