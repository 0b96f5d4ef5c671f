/* SPDX-License-Identifier: MIT */
/*
 * store/qrows.h — the stored queue events (table queue_event) of one
 * tenant in a time range, oldest first, for the interval reports
 * (api/report.c).
 *
 * Threading: waits on the disk and on SQLite locks (the recordings
 * index's query connection, busy timeout 5 s): call it from a worker
 * thread (api.h sb_api_defer()), NEVER from the control loop.
 */
#ifndef SB_STORE_QROWS_H
#define SB_STORE_QROWS_H

#include <stdint.h>

#include "acd/qstats.h"
#include "store/store.h"

/* fn(arg, row) first for each agent of tenant logged in when the range
 * starts (a LOGIN at from_ms, then a PAUSE at from_ms if it was paused:
 * their last such events before from_ms), then for each row of tenant
 * with from_ms <= ts_ms < to_ms, in event id order (ev->type from the
 * stored name; rows of a type this build does not know are skipped).
 * fn returns 0, or -errno to stop (returned).  Events given, or -EIO. */
typedef int sb_qrow_fn(void *arg, const struct sb_qevent *ev);
int sb_store_qrows(struct sb_store *s, const char *tenant, int64_t from_ms, int64_t to_ms,
		   sb_qrow_fn *fn, void *arg);

#endif
