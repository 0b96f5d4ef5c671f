/* SPDX-License-Identifier: MIT */
/* store/qlog.c — queue event log rows (see qlog.h, acd/qstats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/qlog.h"

/* id is the loop's event id (/v1/events?since=ID): kept across restarts
 * by starting after the highest stored one. */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS queue_event("
	"id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, event TEXT NOT NULL, "
	"call_id TEXT, queue TEXT, agent TEXT, tenant TEXT, other TEXT, "
	"position INTEGER, wait_ms INTEGER, talk_ms INTEGER, reason INTEGER, prio INTEGER, "
	"wrapup_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS queue_event_call ON queue_event(call_id);"
	"CREATE INDEX IF NOT EXISTS queue_event_queue ON queue_event(queue, ts_ms)";

static const char insert_sql[] =
	"INSERT OR REPLACE INTO queue_event(id, ts_ms, event, call_id, queue, agent, tenant, "
	"other, position, wait_ms, talk_ms, reason, prio, wrapup_ms) "
	"VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

/* A file from before wrapup_ms (handle time in the interval reports):
 * the column is added, its old rows read as 0. */
static int qlog_migrate(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (sqlite3_prepare_v2(db, "PRAGMA table_info(queue_event)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1), "wrapup_ms") == 0)
			has = true;
	sqlite3_finalize(st);
	if (has)
		return 0;
	return sqlite3_exec(db, "ALTER TABLE queue_event ADD COLUMN wrapup_ms INTEGER", NULL, NULL,
			    NULL) == SQLITE_OK ? 0 : -1;
}

struct sb_qlog {
	sqlite3_stmt *ins;
	uint64_t max_id, dropped;
	unsigned head, count, cap;
	struct sb_qevent *q;
};

struct sb_qlog *qlog_open(sqlite3 *db, unsigned cap)
{
	struct sb_qlog *q = calloc(1, sizeof(*q));
	sqlite3_stmt *st = NULL;

	if (q == NULL)
		return NULL;
	q->cap = cap ? cap : 4096;
	q->q = calloc(q->cap, sizeof(*q->q));
	if (q->q == NULL)
		goto out_free;
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK || qlog_migrate(db) < 0 ||
	    sqlite3_prepare_v2(db, insert_sql, -1, &q->ins, NULL) != SQLITE_OK)
		goto out_err;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM queue_event", -1, &st,
			       NULL) != SQLITE_OK)
		goto out_err;
	if (sqlite3_step(st) == SQLITE_ROW)
		q->max_id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return q;

out_err:
	sb_err("store: queue_event: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q->ins);
	free(q->q);
out_free:
	free(q);
	return NULL;
}

void qlog_close(struct sb_qlog *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(q->ins);
	free(q->q);
	free(q);
}

uint64_t qlog_max_id(const struct sb_qlog *q)
{
	return q->max_id;
}

int qlog_push(struct sb_qlog *q, const struct sb_qevent *ev)
{
	if (q->count == q->cap) {
		q->dropped++;
		return -ENOSPC;
	}
	q->q[(q->head + q->count) % q->cap] = *ev;
	q->count++;
	return 0;
}

unsigned qlog_count(const struct sb_qlog *q)
{
	return q->count;
}

unsigned qlog_take(struct sb_qlog *q, struct sb_qevent *out, unsigned max)
{
	unsigned n = 0;

	while (q->count && n < max) {
		out[n++] = q->q[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
	return n;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

unsigned qlog_write(struct sb_qlog *q, sqlite3 *db, const struct sb_qevent *ev, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct sb_qevent *e = &ev[i];
		sqlite3_stmt *st = q->ins;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->id);
		sqlite3_bind_int64(st, 2, e->ts_ms);
		sqlite3_bind_text(st, 3, sb_qev_name((enum sb_qev_type)e->type), -1, SQLITE_STATIC);
		bind_opt_text(st, 4, e->call_id);
		bind_opt_text(st, 5, e->queue);
		bind_opt_text(st, 6, e->agent);
		bind_opt_text(st, 7, e->tenant);
		bind_opt_text(st, 8, e->other);
		sqlite3_bind_int64(st, 9, e->position);
		sqlite3_bind_int64(st, 10, e->wait_ms);
		sqlite3_bind_int64(st, 11, e->talk_ms);
		sqlite3_bind_int64(st, 12, e->reason);
		sqlite3_bind_int64(st, 13, e->prio);
		sqlite3_bind_int64(st, 14, e->wrapup_ms);
		if (sqlite3_step(st) != SQLITE_DONE) {
			failed++;
			sb_err("store: queue event %llu not written: %s",
			       (unsigned long long)e->id, sqlite3_errmsg(db));
		}
	}
	return failed;
}

uint64_t qlog_dropped(const struct sb_qlog *q)
{
	return q->dropped;
}
