/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/qlog.h"
#include "store/recidx.h"
#include "store/store.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS cdr("
	"id INTEGER PRIMARY KEY, call_id TEXT, caller TEXT, hotline TEXT, agent TEXT, "
	"start_ms INTEGER, answer_ms INTEGER, end_ms INTEGER, hangup_by TEXT, status INTEGER, "
	"caller_rx_pkts INTEGER, caller_tx_pkts INTEGER, agent_rx_pkts INTEGER, "
	"agent_tx_pkts INTEGER, caller_rx_bytes INTEGER, agent_rx_bytes INTEGER, "
	"transferred_by TEXT, transfer_ms INTEGER)";

/* Columns added after the first schema: a database from an older build
 * gets them (the "duplicate column" error of a current one is ignored). */
static const char *const migrate_sql[] = {
	"ALTER TABLE cdr ADD COLUMN transferred_by TEXT",
	"ALTER TABLE cdr ADD COLUMN transfer_ms INTEGER",
};

static const char insert_sql[] =
	"INSERT INTO cdr(call_id, caller, hotline, agent, start_ms, answer_ms, end_ms, "
	"hangup_by, status, caller_rx_pkts, caller_tx_pkts, agent_rx_pkts, agent_tx_pkts, "
	"caller_rx_bytes, agent_rx_bytes, transferred_by, transfer_ms) "
	"VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

struct sb_store {
	sqlite3 *db;
	sqlite3_stmt *ins;
	pthread_t thread;
	pthread_mutex_t lock;   /* protects everything below */
	pthread_cond_t wake;    /* writer: work or stop */
	pthread_cond_t idle;    /* flushers: queue drained */
	bool stop;
	unsigned busy;          /* records taken by the writer, not yet written */
	unsigned head, count, cap;
	struct sb_cdr *q;       /* ring of cap records */
	struct sb_qlog *qlog;   /* queue events: own ring, same lock (store/qlog.c) */
	struct sb_recidx *recidx; /* recordings index: own ring, same lock (store/recidx.c) */
	struct sb_store_stats st;
	/* drops are logged at most once a second (a full queue under
	 * overload would otherwise write one ERROR line per record) */
	uint64_t drop_log_ns;   /* when the last drop line was written */
	uint64_t drops_unlogged;
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Under s->lock, after a drop: true when a line may be written now, with
 * *n the drops it covers (this one and the ones not logged since). */
static bool drop_log_due(struct sb_store *s, uint64_t *n)
{
	uint64_t now = mono_ns();

	s->drops_unlogged++;
	if (s->drop_log_ns && now - s->drop_log_ns < 1000000000u)
		return false;
	s->drop_log_ns = now;
	*n = s->drops_unlogged;
	s->drops_unlogged = 0;
	return true;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int write_cdr(struct sb_store *s, const struct sb_cdr *c)
{
	sqlite3_stmt *st = s->ins;
	int rc;

	sqlite3_reset(st);
	bind_text(st, 1, c->call_id);
	bind_text(st, 2, c->caller);
	bind_text(st, 3, c->hotline);
	bind_text(st, 4, c->agent);
	sqlite3_bind_int64(st, 5, c->start_ms);
	if (c->answer_ms)
		sqlite3_bind_int64(st, 6, c->answer_ms);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, c->end_ms);
	bind_text(st, 8, c->hangup_by);
	sqlite3_bind_int(st, 9, c->status);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)c->caller_rx_pkts);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)c->caller_tx_pkts);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)c->agent_rx_pkts);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)c->agent_tx_pkts);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)c->caller_rx_bytes);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)c->agent_rx_bytes);
	if (c->transferred_by[0]) { /* NULL: never transferred */
		bind_text(st, 16, c->transferred_by);
		sqlite3_bind_int64(st, 17, c->transfer_ms);
	} else {
		sqlite3_bind_null(st, 16);
		sqlite3_bind_null(st, 17);
	}
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Writer: takes a batch, writes it in one transaction without the lock. */
static void *writer_main(void *arg)
{
	struct sb_store *s = arg;
	struct sb_cdr batch[64];
	static struct sb_qevent qbatch[64]; /* one writer thread */
	static struct recidx_op rbatch[16];

	pthread_mutex_lock(&s->lock);
	for (;;) {
		unsigned n = 0, failed = 0, nq, nr;

		while (s->count == 0 && qlog_count(s->qlog) == 0 && recidx_count(s->recidx) == 0 &&
		       !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->count == 0 && qlog_count(s->qlog) == 0 && recidx_count(s->recidx) == 0 &&
		    s->stop)
			break;
		while (s->count && n < 64) {
			batch[n++] = s->q[s->head];
			s->head = (s->head + 1) % s->cap;
			s->count--;
		}
		nq = qlog_take(s->qlog, qbatch, 64);
		nr = recidx_take(s->recidx, rbatch, 16);
		s->busy = n + nq + nr;
		pthread_mutex_unlock(&s->lock);

		sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
		for (unsigned i = 0; i < n; i++) {
			if (write_cdr(s, &batch[i]) < 0) {
				failed++;
				sb_err("store: CDR %s not written: %s", batch[i].call_id,
				       sqlite3_errmsg(s->db));
			}
		}
		failed += qlog_write(s->qlog, s->db, qbatch, nq);
		n += nq;
		failed += recidx_write(s->recidx, s->db, rbatch, nr);
		n += nr;
		if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sb_err("store: commit failed: %s", sqlite3_errmsg(s->db));
			failed = n;
		}

		pthread_mutex_lock(&s->lock);
		s->busy = 0;
		s->st.written += n - failed;
		s->st.failed += failed;
		if (s->count == 0 && qlog_count(s->qlog) == 0 && recidx_count(s->recidx) == 0)
			pthread_cond_broadcast(&s->idle);
	}
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct sb_store *sb_store_open_sqlite(const char *path, unsigned queue_len)
{
	struct sb_store *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cap = queue_len ? queue_len : 1024;
	s->q = calloc(s->cap, sizeof(*s->q));
	if (s->q == NULL)
		goto out_free;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sb_err("store: open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto out_close_db;
	}
	sqlite3_busy_timeout(s->db, 2000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		sb_err("store: %s: %s", path, sqlite3_errmsg(s->db));
		goto out_close_db;
	}
	for (size_t i = 0; i < sizeof(migrate_sql) / sizeof(migrate_sql[0]); i++)
		sqlite3_exec(s->db, migrate_sql[i], NULL, NULL, NULL);
	if (sqlite3_prepare_v2(s->db, insert_sql, -1, &s->ins, NULL) != SQLITE_OK) {
		sb_err("store: %s: %s", path, sqlite3_errmsg(s->db));
		goto out_close_db;
	}
	s->qlog = qlog_open(s->db, s->cap);
	if (s->qlog == NULL)
		goto out_close_db;
	s->recidx = recidx_open(s->db, path, s->cap);
	if (s->recidx == NULL)
		goto out_close_db;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		sb_err("store: cannot start the writer thread");
		goto out_destroy;
	}
	sb_info("store: sqlite %s (WAL), queue %u", path, s->cap);
	return s;

out_destroy:
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
out_close_db:
	recidx_close(s->recidx);
	qlog_close(s->qlog);
	sqlite3_finalize(s->ins);
	sqlite3_close(s->db);
	free(s->q);
out_free:
	free(s);
	errno = EIO;
	return NULL;
}

int sb_store_cdr_put(struct sb_store *s, const struct sb_cdr *cdr)
{
	uint64_t n = 0;
	bool log = false;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->count == s->cap) {
		s->st.dropped_full++;
		log = drop_log_due(s, &n);
		rc = -ENOSPC;
	} else {
		s->q[(s->head + s->count) % s->cap] = *cdr;
		s->count++;
		s->st.queued++;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->lock);
	if (log)
		sb_err("store: queue full, CDR %s dropped (%llu records dropped since the last "
		       "such line)", cdr->call_id, (unsigned long long)n);
	return rc;
}

void sb_store_flush(struct sb_store *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->count || s->busy || qlog_count(s->qlog) || recidx_count(s->recidx))
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void sb_store_get_stats(struct sb_store *s, struct sb_store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	pthread_mutex_unlock(&s->lock);
}

void sb_store_close(struct sb_store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL); /* the writer drains the queue before it exits */
	sb_info("store: closed (%llu written, %llu dropped, %llu failed)",
		(unsigned long long)s->st.written, (unsigned long long)s->st.dropped_full,
		(unsigned long long)s->st.failed);
	recidx_close(s->recidx);
	qlog_close(s->qlog);
	sqlite3_finalize(s->ins);
	sqlite3_close(s->db);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->q);
	free(s);
}

/* After a push to one of the writer's queues (under s->lock): count it
 * and wake the writer, or count the drop. */
static bool push_counted(struct sb_store *s, int rc, uint64_t *n)
{
	if (rc == 0) {
		s->st.queued++;
		pthread_cond_signal(&s->wake);
		return false;
	}
	s->st.dropped_full++;
	return drop_log_due(s, n);
}

int sb_store_qlog_put(struct sb_store *s, const struct sb_qevent *ev)
{
	uint64_t n = 0;
	bool log;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = qlog_push(s->qlog, ev);
	log = push_counted(s, rc, &n);
	pthread_mutex_unlock(&s->lock);
	if (log)
		sb_err("store: queue full, queue event %llu dropped (%llu records dropped since "
		       "the last such line)", (unsigned long long)ev->id, (unsigned long long)n);
	return rc;
}

uint64_t sb_store_qlog_max_id(struct sb_store *s)
{
	return qlog_max_id(s->qlog); /* set before the writer started */
}

int store_recidx_push(struct sb_store *s, const struct recidx_op *op)
{
	uint64_t n = 0;
	bool log;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = recidx_push(s->recidx, op);
	log = push_counted(s, rc, &n);
	pthread_mutex_unlock(&s->lock);
	if (log)
		sb_err("store: queue full, recording index operation %d dropped (%llu records "
		       "dropped since the last such line)", op->op, (unsigned long long)n);
	return rc;
}

struct sb_recidx *store_recidx(struct sb_store *s)
{
	return s->recidx;
}
