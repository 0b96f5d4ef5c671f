/* SPDX-License-Identifier: MIT */
/*
 * store/recidx.c — recordings index, retention sweeps and QA evaluations
 * (issue 7; API in store/store.h, private parts in store/recidx.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store/recidx.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS recording("
	"id INTEGER PRIMARY KEY, call_id TEXT, tenant TEXT, queue TEXT, agent TEXT, "
	"path TEXT NOT NULL UNIQUE, format TEXT, start_ms INTEGER, state INTEGER NOT NULL, "
	"duration_ms INTEGER, bytes INTEGER, share_pm INTEGER, complete INTEGER, err INTEGER);"
	"CREATE INDEX IF NOT EXISTS recording_tenant ON recording(tenant, start_ms);"
	/* the API's pages (store/recq.c): one tenant in id order */
	"CREATE INDEX IF NOT EXISTS recording_tenant_id ON recording(tenant, id);"
	"CREATE TABLE IF NOT EXISTS qa_form("
	"id INTEGER PRIMARY KEY, tenant TEXT, name TEXT NOT NULL, n_questions INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS qa_question("
	"form_id INTEGER NOT NULL, idx INTEGER NOT NULL, text TEXT, weight REAL NOT NULL, "
	"max REAL NOT NULL, PRIMARY KEY(form_id, idx));"
	"CREATE TABLE IF NOT EXISTS qa_eval("
	"id INTEGER PRIMARY KEY, recording_id INTEGER NOT NULL, form_id INTEGER NOT NULL, "
	"evaluator TEXT NOT NULL, agent TEXT, tenant TEXT, score REAL NOT NULL, comment TEXT, "
	"ts_ms INTEGER, UNIQUE(recording_id, form_id, evaluator));"
	"CREATE TABLE IF NOT EXISTS qa_answer("
	"eval_id INTEGER NOT NULL, idx INTEGER NOT NULL, points REAL NOT NULL, "
	"PRIMARY KEY(eval_id, idx))";

static const char insert_sql[] =
	"INSERT INTO recording(call_id, tenant, queue, agent, path, format, start_ms, state) "
	"VALUES(?,?,?,?,?,?,?,0) ON CONFLICT(path) DO UPDATE SET call_id=excluded.call_id, "
	"tenant=excluded.tenant, queue=excluded.queue, agent=excluded.agent, "
	"format=excluded.format, start_ms=excluded.start_ms";

/* An ERROR never overwrites DONE/RECOVERED figures; DONE keeps the first
 * error code.  A RECOVERED path with no row (a crash before the start
 * was written) gets one. */
static const char update_sql[] =
	"INSERT INTO recording(path, state, duration_ms, bytes, share_pm, complete, err) "
	"VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(path) DO UPDATE SET "
	"state = CASE WHEN ?2 = 3 AND state IN (1, 2) THEN state ELSE ?2 END, "
	"duration_ms = CASE WHEN ?2 = 3 THEN duration_ms ELSE ?3 END, "
	"bytes = CASE WHEN ?2 = 3 THEN bytes ELSE ?4 END, "
	"share_pm = CASE WHEN ?2 = 3 THEN share_pm ELSE ?5 END, "
	"complete = CASE WHEN ?2 = 3 THEN 0 ELSE ?6 END, "
	"err = CASE WHEN coalesce(err, 0) != 0 THEN err ELSE ?7 END";

struct sb_recidx {
	sqlite3_stmt *ins, *upd, *sel_exp, *del;
	unsigned head, count, cap;
	struct recidx_op *q;
	uint64_t dropped;
	_Atomic uint64_t swept;
	sqlite3 *qdb;              /* queries: its own connection */
	pthread_mutex_t qlock;
};

struct sb_recidx *recidx_open(sqlite3 *db, const char *path, unsigned cap)
{
	struct sb_recidx *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->cap = cap ? cap : 1024;
	x->q = calloc(x->cap, sizeof(*x->q));
	if (x->q == NULL)
		goto out_free;
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, insert_sql, -1, &x->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, update_sql, -1, &x->upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id, path FROM recording WHERE tenant = ? AND "
			       "start_ms < ? AND state != 0", -1, &x->sel_exp, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM recording WHERE id = ?", -1, &x->del,
			       NULL) != SQLITE_OK) {
		sb_err("store: recording: %s", sqlite3_errmsg(db));
		goto out_stmts;
	}
	if (sqlite3_open_v2(path, &x->qdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		sb_err("store: %s: query connection: %s", path,
		       x->qdb ? sqlite3_errmsg(x->qdb) : "no memory");
		goto out_stmts;
	}
	sqlite3_busy_timeout(x->qdb, 5000);
	pthread_mutex_init(&x->qlock, NULL);
	return x;

out_stmts:
	sqlite3_close(x->qdb);
	sqlite3_finalize(x->ins);
	sqlite3_finalize(x->upd);
	sqlite3_finalize(x->sel_exp);
	sqlite3_finalize(x->del);
	free(x->q);
out_free:
	free(x);
	return NULL;
}

void recidx_close(struct sb_recidx *x)
{
	if (x == NULL)
		return;
	sqlite3_finalize(x->ins);
	sqlite3_finalize(x->upd);
	sqlite3_finalize(x->sel_exp);
	sqlite3_finalize(x->del);
	sqlite3_close(x->qdb);
	pthread_mutex_destroy(&x->qlock);
	free(x->q);
	free(x);
}

int recidx_push(struct sb_recidx *x, const struct recidx_op *op)
{
	if (x->count == x->cap) {
		x->dropped++;
		return -ENOSPC;
	}
	x->q[(x->head + x->count) % x->cap] = *op;
	x->count++;
	return 0;
}

unsigned recidx_count(const struct sb_recidx *x)
{
	return x->count;
}

unsigned recidx_take(struct sb_recidx *x, struct recidx_op *out, unsigned max)
{
	unsigned n = 0;

	while (x->count && n < max) {
		out[n++] = x->q[x->head];
		x->head = (x->head + 1) % x->cap;
		x->count--;
	}
	return n;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Exactly the rows that expired: their files first (a row whose file
 * cannot be removed stays, for the next sweep), then the rows. */
static int sweep(struct sb_recidx *x, const char *tenant, int64_t cutoff,
		 const char *dir)
{
	int64_t ids[256];
	unsigned n = 0, del = 0;
	int rc;

	do {
		n = 0;
		sqlite3_reset(x->sel_exp);
		bind_text(x->sel_exp, 1, tenant);
		sqlite3_bind_int64(x->sel_exp, 2, cutoff);
		while (n < 256 && (rc = sqlite3_step(x->sel_exp)) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(x->sel_exp, 1);
			char full[512];

			if (p == NULL || strstr(p, "..") != NULL || p[0] == '/' ||
			    (unsigned)snprintf(full, sizeof(full), "%s/%s", dir, p) >= sizeof(full))
				continue; /* never unlink outside dir: the row stays, logged below */
			if (unlink(full) < 0 && errno != ENOENT) {
				sb_err("store: retention: %s: %s", full, strerror(errno));
				continue;
			}
			ids[n++] = sqlite3_column_int64(x->sel_exp, 0);
		}
		sqlite3_reset(x->sel_exp);
		for (unsigned i = 0; i < n; i++) {
			sqlite3_reset(x->del);
			sqlite3_bind_int64(x->del, 1, ids[i]);
			if (sqlite3_step(x->del) != SQLITE_DONE)
				return -EIO;
			del++;
		}
	} while (n == 256);
	atomic_fetch_add(&x->swept, del);
	if (del != 0)
		sb_info("store: retention: %u recordings of tenant '%s' deleted", del, tenant);
	return 0;
}

unsigned recidx_write(struct sb_recidx *x, sqlite3 *db, const struct recidx_op *op, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct recidx_op *o = &op[i];
		sqlite3_stmt *st;
		int ok;

		switch (o->op) {
		case RECIDX_OP_START:
			st = x->ins;
			sqlite3_reset(st);
			bind_text(st, 1, o->u.row.call_id);
			bind_text(st, 2, o->u.row.tenant);
			bind_text(st, 3, o->u.row.queue);
			bind_text(st, 4, o->u.row.agent);
			bind_text(st, 5, o->u.row.path);
			bind_text(st, 6, o->u.row.format);
			sqlite3_bind_int64(st, 7, o->u.row.start_ms);
			ok = sqlite3_step(st) == SQLITE_DONE;
			break;
		case RECIDX_OP_UPDATE:
			st = x->upd;
			sqlite3_reset(st);
			bind_text(st, 1, o->u.res.path);
			sqlite3_bind_int(st, 2, o->u.res.state);
			sqlite3_bind_int64(st, 3, o->u.res.duration_ms);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)o->u.res.bytes);
			sqlite3_bind_int(st, 5, (int)o->u.res.share_pm);
			sqlite3_bind_int(st, 6, o->u.res.complete);
			sqlite3_bind_int(st, 7, o->u.res.err);
			ok = sqlite3_step(st) == SQLITE_DONE;
			break;
		case RECIDX_OP_SWEEP:
			ok = sweep(x, o->u.sweep.tenant, o->u.sweep.cutoff_ms,
				   o->u.sweep.dir) == 0;
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok) {
			failed++;
			sb_err("store: recording index: operation %d failed: %s", o->op,
			       sqlite3_errmsg(db));
		}
	}
	return failed;
}

sqlite3 *recidx_qdb(struct sb_recidx *x, pthread_mutex_t **lock)
{
	*lock = &x->qlock;
	return x->qdb;
}

uint64_t recidx_swept(const struct sb_recidx *x)
{
	return atomic_load(&((struct sb_recidx *)x)->swept);
}

/* ---- public: writes (queued) ---- */

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

int sb_store_rec_started(struct sb_store *s, const struct sb_rec_row *row)
{
	struct recidx_op op = {.op = RECIDX_OP_START};

	op.u.row = *row;
	return store_recidx_push(s, &op);
}

int sb_store_rec_update(struct sb_store *s, const struct sb_rec_result *res)
{
	struct recidx_op op = {.op = RECIDX_OP_UPDATE};

	if (res->state < SB_REC_ST_DONE || res->state > SB_REC_ST_ERROR)
		return -EINVAL;
	op.u.res = *res;
	return store_recidx_push(s, &op);
}

int sb_store_rec_sweep(struct sb_store *s, const char *tenant, int64_t cutoff_ms,
		       const char *dir)
{
	struct recidx_op op = {.op = RECIDX_OP_SWEEP};

	if (strlen(dir) >= sizeof(op.u.sweep.dir) || strlen(tenant) >= sizeof(op.u.sweep.tenant))
		return -ENAMETOOLONG;
	copy_str(op.u.sweep.tenant, sizeof(op.u.sweep.tenant), tenant);
	copy_str(op.u.sweep.dir, sizeof(op.u.sweep.dir), dir);
	op.u.sweep.cutoff_ms = cutoff_ms;
	return store_recidx_push(s, &op);
}

uint64_t sb_store_rec_swept(struct sb_store *s)
{
	return recidx_swept(store_recidx(s));
}

/* ---- public: queries (own connection) ---- */

static void col_str(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	copy_str(dst, n, (const char *)t);
}

#define INFO_COLS RECIDX_INFO_COLS

/* a row of SELECT RECIDX_INFO_COLS (store/recq.c reads the same way) */
void recidx_info_read(sqlite3_stmt *st, struct sb_rec_info *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	col_str(st, 1, o->row.call_id, sizeof(o->row.call_id));
	col_str(st, 2, o->row.tenant, sizeof(o->row.tenant));
	col_str(st, 3, o->row.queue, sizeof(o->row.queue));
	col_str(st, 4, o->row.agent, sizeof(o->row.agent));
	col_str(st, 5, o->row.path, sizeof(o->row.path));
	col_str(st, 6, o->row.format, sizeof(o->row.format));
	o->row.start_ms = sqlite3_column_int64(st, 7);
	o->state = sqlite3_column_int(st, 8);
	o->duration_ms = sqlite3_column_int64(st, 9);
	o->bytes = (uint64_t)sqlite3_column_int64(st, 10);
	o->share_pm = (uint32_t)sqlite3_column_int(st, 11);
	o->complete = sqlite3_column_int(st, 12);
	o->err = sqlite3_column_int(st, 13);
}

int sb_store_rec_list(struct sb_store *s, const char *tenant, struct sb_rec_info *out,
		      unsigned max)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	pthread_mutex_lock(lk);
	if (sqlite3_prepare_v2(db, "SELECT " INFO_COLS " FROM recording WHERE ?1 = '' OR "
			       "tenant = ?1 ORDER BY start_ms, id", -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	bind_text(st, 1, tenant);
	while ((unsigned)n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		recidx_info_read(st, &out[n++]);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}

int sb_store_rec_get(struct sb_store *s, const char *path, struct sb_rec_info *out)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(lk);
	if (sqlite3_prepare_v2(db, "SELECT " INFO_COLS " FROM recording WHERE path = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out;
	}
	bind_text(st, 1, path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		recidx_info_read(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return rc;
}

static int64_t now_wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t sb_store_qa_form_create(struct sb_store *s, const char *tenant, const char *name,
				const struct sb_qa_question *q, unsigned n)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	int64_t id = -EIO;

	if (n == 0 || n > SB_QA_MAX_QUESTIONS || name == NULL || name[0] == '\0')
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!(q[i].weight > 0) || !(q[i].max > 0))
			return -EINVAL;
	pthread_mutex_lock(lk);
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO qa_form(tenant, name, n_questions) VALUES(?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	bind_text(st, 1, tenant);
	bind_text(st, 2, name);
	sqlite3_bind_int(st, 3, (int)n);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO qa_question(form_id, idx, text, weight, max) "
			       "VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
		id = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, (int)i);
		bind_text(st, 3, q[i].text);
		sqlite3_bind_double(st, 4, q[i].weight);
		sqlite3_bind_double(st, 5, q[i].max);
		if (sqlite3_step(st) != SQLITE_DONE) {
			id = -EIO;
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_exec(db, id > 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(lk);
	return id;
}

int64_t sb_store_qa_score(struct sb_store *s, int64_t recording_id, int64_t form_id,
			  const char *evaluator, const double *points, unsigned n,
			  const char *comment, double *score_out)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	char agent[64] = "", tenant[64] = "";
	double wsum = 0, acc = 0, score;
	unsigned nq = 0;
	int64_t id = -EIO;
	int rc;

	if (evaluator == NULL || evaluator[0] == '\0' || n == 0 || n > SB_QA_MAX_QUESTIONS)
		return -EINVAL;
	pthread_mutex_lock(lk);
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT agent, tenant FROM recording WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, recording_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		id = rc == SQLITE_DONE ? -ENOENT : -EIO;
		goto out;
	}
	col_str(st, 0, agent, sizeof(agent));
	col_str(st, 1, tenant, sizeof(tenant));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT weight, max FROM qa_question WHERE form_id = ? "
			       "ORDER BY idx", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, form_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		double wt = sqlite3_column_double(st, 0), mx = sqlite3_column_double(st, 1);

		if (nq >= n || points[nq] < 0 || points[nq] > mx) {
			id = -EINVAL;
			goto out;
		}
		wsum += wt;
		acc += wt * points[nq] / mx;
		nq++;
	}
	if (nq == 0) {
		id = -ENOENT;
		goto out;
	}
	if (nq != n) {
		id = -EINVAL;
		goto out;
	}
	score = 100.0 * acc / wsum;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO qa_eval(recording_id, form_id, evaluator, agent, "
			       "tenant, score, comment, ts_ms) VALUES(?,?,?,?,?,?,?,?)", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, recording_id);
	sqlite3_bind_int64(st, 2, form_id);
	bind_text(st, 3, evaluator);
	bind_text(st, 4, agent);
	bind_text(st, 5, tenant);
	sqlite3_bind_double(st, 6, score);
	bind_text(st, 7, comment != NULL ? comment : "");
	sqlite3_bind_int64(st, 8, now_wall_ms());
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		id = sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE ? -EEXIST : -EIO;
		goto out;
	}
	id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO qa_answer(eval_id, idx, points) VALUES(?,?,?)", -1,
			       &st, NULL) != SQLITE_OK) {
		id = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_double(st, 3, points[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			id = -EIO;
			goto out;
		}
	}
	if (score_out != NULL)
		*score_out = score;
out:
	sqlite3_finalize(st);
	sqlite3_exec(db, id > 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(lk);
	return id;
}

int sb_store_qa_agent_summaries(struct sb_store *s, const char *tenant,
				struct sb_qa_agent_summary *out, unsigned max)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	int n = 0;

	pthread_mutex_lock(lk);
	if (sqlite3_prepare_v2(db, "SELECT coalesce(agent, ''), count(*), avg(score), min(score), "
			       "max(score) FROM qa_eval WHERE ?1 = '' OR tenant = ?1 "
			       "GROUP BY agent ORDER BY agent", -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	bind_text(st, 1, tenant);
	while ((unsigned)n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct sb_qa_agent_summary *o = &out[n++];

		col_str(st, 0, o->agent, sizeof(o->agent));
		o->evaluations = (unsigned)sqlite3_column_int(st, 1);
		o->avg = sqlite3_column_double(st, 2);
		o->min = sqlite3_column_double(st, 3);
		o->max = sqlite3_column_double(st, 4);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}
