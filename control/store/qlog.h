/* SPDX-License-Identifier: MIT */
/*
 * store/qlog.h — the queue event log's part of the SQLite store (private
 * to store/): table queue_event, its own bounded ring of records, written
 * by the store's writer thread in the same transaction as the CDRs.
 * Locking: the ring is protected by the store's lock (the caller holds
 * it for qlog_push/qlog_take); qlog_write runs on the writer thread only.
 */
#ifndef SB_STORE_QLOG_H
#define SB_STORE_QLOG_H

#include <sqlite3.h>

#include "acd/qstats.h"

struct sb_qlog;

/* schema + statement + the highest id already stored.  NULL (logged). */
struct sb_qlog *qlog_open(sqlite3 *db, unsigned cap);
void qlog_close(struct sb_qlog *q);          /* NULL ok */
uint64_t qlog_max_id(const struct sb_qlog *q);
/* lock held: 0 | -ENOSPC (counted) */
int qlog_push(struct sb_qlog *q, const struct sb_qevent *ev);
unsigned qlog_count(const struct sb_qlog *q);
/* lock held: move up to max records into out */
unsigned qlog_take(struct sb_qlog *q, struct sb_qevent *out, unsigned max);
/* writer thread, inside its transaction: records that failed */
unsigned qlog_write(struct sb_qlog *q, sqlite3 *db, const struct sb_qevent *ev, unsigned n);
uint64_t qlog_dropped(const struct sb_qlog *q);

#endif
