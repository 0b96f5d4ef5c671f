/* SPDX-License-Identifier: MIT */
/*
 * store/recidx.h — the recordings index's part of the SQLite store
 * (private to store/; the public API is in store/store.h): table
 * recording, QA tables, its own bounded ring of write operations drained
 * by the store's writer thread in the same transaction as the CDRs, and a
 * second connection for the synchronous queries (API thread, tests).
 * Locking: the ring is protected by the store's lock (the caller holds it
 * for recidx_push/recidx_take/recidx_count); recidx_write runs on the
 * writer thread only; the query connection has its own mutex.
 */
#ifndef SB_STORE_RECIDX_H
#define SB_STORE_RECIDX_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/store.h"

struct sb_recidx;

enum { RECIDX_OP_START = 1, RECIDX_OP_UPDATE, RECIDX_OP_SWEEP };

/* One queued write. */
struct recidx_op {
	int op;
	union {
		struct sb_rec_row row;       /* START */
		struct sb_rec_result res;    /* UPDATE */
		struct {
			char tenant[64];
			int64_t cutoff_ms;
			char dir[200];
		} sweep;                      /* SWEEP */
	} u;
};

/* Schema + statements on db (the writer's), a query connection on path.
 * NULL (logged). */
struct sb_recidx *recidx_open(sqlite3 *db, const char *path, unsigned cap);
void recidx_close(struct sb_recidx *x); /* NULL ok */
int recidx_push(struct sb_recidx *x, const struct recidx_op *op); /* lock held: 0 | -ENOSPC */
unsigned recidx_count(const struct sb_recidx *x);
unsigned recidx_take(struct sb_recidx *x, struct recidx_op *out, unsigned max);
/* writer thread, inside its transaction: operations that failed */
unsigned recidx_write(struct sb_recidx *x, sqlite3 *db, const struct recidx_op *op, unsigned n);
sqlite3 *recidx_qdb(struct sb_recidx *x, pthread_mutex_t **lock);
uint64_t recidx_swept(const struct sb_recidx *x);

/* The columns of struct sb_rec_info, in the order recidx_info_read()
 * reads them (SELECT RECIDX_INFO_COLS FROM recording ...). */
#define RECIDX_INFO_COLS "id, call_id, tenant, queue, agent, path, format, start_ms, state, " \
			 "duration_ms, bytes, share_pm, complete, err"
void recidx_info_read(sqlite3_stmt *st, struct sb_rec_info *o);

/* store/sqlite.c: queue op under the store's lock and wake the writer
 * (0 | -ENOSPC, counted and logged); the store's index part. */
int store_recidx_push(struct sb_store *s, const struct recidx_op *op);
struct sb_recidx *store_recidx(struct sb_store *s);

#endif
