/* SPDX-License-Identifier: MIT */
/*
 * store/recq.c — tenant-scoped queries of recordings and QA for the API
 * (store/recq.h), on the recordings index's query connection.  Worker
 * threads only: these wait on the disk and on SQLite's locks.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store/recidx.h"
#include "store/recq.h"

static sqlite3 *qdb_lock(struct sb_store *s, pthread_mutex_t **lk)
{
	sqlite3 *db = recidx_qdb(store_recidx(s), lk);

	pthread_mutex_lock(*lk);
	return db;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static void col_str(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* Only the conditions asked for go into the statement, so that SQLite
 * can walk the (tenant, id) index from the cursor instead of filtering
 * every row of the tenant through OR-ed "parameter is empty" tests. */
int sb_store_rec_query(struct sb_store *s, const struct sb_rec_filter *f, struct sb_rec_info *out,
		       unsigned max)
{
	char sql[768];
	size_t len;
	pthread_mutex_t *lk;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	len = (size_t)snprintf(sql, sizeof(sql), "SELECT " RECIDX_INFO_COLS
			       " FROM recording WHERE tenant = ?1");
#define COND(c) (len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s", (c)))
	if (f->queue[0])
		COND(" AND queue = ?2");
	if (f->agent[0])
		COND(" AND agent = ?3");
	if (f->call_id[0])
		COND(" AND call_id = ?4");
	if (f->from_ms != INT64_MIN)
		COND(" AND start_ms >= ?5");
	if (f->to_ms != INT64_MAX)
		COND(" AND start_ms < ?6");
	if (f->complete == 1)
		COND(" AND state IN (1, 2, 3) AND complete = 1");
	else if (f->complete == 0)
		COND(" AND (state = 0 OR coalesce(complete, 0) = 0)");
	if (f->after > 0)
		COND(f->by_id ? " AND id > ?7" : " AND id < ?7");
	COND(f->by_id ? " ORDER BY id ASC LIMIT ?8" : " ORDER BY id DESC LIMIT ?8");
#undef COND
	if (len >= sizeof(sql))
		return -EIO;
	db = qdb_lock(s, &lk);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sb_err("store: recordings query: %s", sqlite3_errmsg(db));
		n = -EIO;
		goto out;
	}
	/* unused parameter numbers stay NULL: harmless */
	bind_text(st, 1, f->tenant);
	bind_text(st, 2, f->queue);
	bind_text(st, 3, f->agent);
	bind_text(st, 4, f->call_id);
	sqlite3_bind_int64(st, 5, f->from_ms);
	sqlite3_bind_int64(st, 6, f->to_ms);
	sqlite3_bind_int64(st, 7, f->after);
	sqlite3_bind_int64(st, 8, max);
	while ((unsigned)n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		recidx_info_read(st, &out[n++]);
	if ((unsigned)n < max && rc != SQLITE_DONE) {
		sb_err("store: recordings query: %s", sqlite3_errmsg(db));
		n = -EIO;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}

/* lock held */
static int by_id_locked(sqlite3 *db, const char *tenant, int64_t id, struct sb_rec_info *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " RECIDX_INFO_COLS " FROM recording WHERE id = ? AND "
			       "tenant = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, tenant);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		recidx_info_read(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int sb_store_rec_by_id(struct sb_store *s, const char *tenant, int64_t id, struct sb_rec_info *out)
{
	pthread_mutex_t *lk;
	sqlite3 *db = qdb_lock(s, &lk);
	int rc = by_id_locked(db, tenant, id, out);

	pthread_mutex_unlock(lk);
	return rc;
}

bool sb_rec_path_safe(const char *rel)
{
	const char *c = rel;

	if (rel == NULL || rel[0] == '\0' || rel[0] == '/')
		return false;
	/* component by component: none empty, ".", ".." */
	while (*c) {
		const char *e = c;

		while (*e && *e != '/') {
			if ((unsigned char)*e < 0x20 || *e == 0x7f)
				return false;
			e++;
		}
		if (e == c || (e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = *e ? e + 1 : e;
		if (*e && *c == '\0')
			return false; /* trailing '/' */
	}
	return true;
}

int sb_store_rec_delete(struct sb_store *s, const char *tenant, int64_t id, const char *dir,
			struct sb_rec_info *out)
{
	struct sb_rec_info ri;
	pthread_mutex_t *lk;
	sqlite3 *db = qdb_lock(s, &lk);
	sqlite3_stmt *st = NULL;
	char full[512];
	int rc;

	/* IMMEDIATE: the writer thread cannot update the row between our
	 * read and the delete (a DONE arriving for it now waits for us) */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out_unlock;
	}
	rc = by_id_locked(db, tenant, id, &ri);
	if (rc < 0)
		goto out_rollback;
	if (out != NULL)
		*out = ri;
	if (ri.state == SB_REC_ST_RECORDING) {
		rc = -EBUSY;
		goto out_rollback;
	}
	if (!sb_rec_path_safe(ri.row.path) || dir == NULL || dir[0] == '\0' ||
	    (size_t)snprintf(full, sizeof(full), "%s/%s", dir, ri.row.path) >= sizeof(full)) {
		sb_err("store: recording %lld: unsafe path '%s' not deleted", (long long)id,
		       ri.row.path);
		rc = -EPERM;
		goto out_rollback;
	}
	if (unlink(full) < 0 && errno != ENOENT) {
		rc = -errno;
		sb_err("store: recording %lld: %s: %s", (long long)id, full, strerror(errno));
		goto out_rollback;
	}
	if (sqlite3_prepare_v2(db, "DELETE FROM recording WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		goto out_unlock;
	rc = -EIO; /* the file is gone: the row says so on the next fetch (404) */
out_rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out_unlock:
	pthread_mutex_unlock(lk);
	return rc;
}

/* ---- QA ---- */

/* lock held: the questions of form id into f (name and id already set) */
static int form_questions(sqlite3 *db, struct sb_qa_form_info *f)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT text, weight, max FROM qa_question WHERE form_id = ? "
			       "ORDER BY idx", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, f->id);
	f->n = 0;
	while (f->n < SB_QA_MAX_QUESTIONS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sb_qa_question *q = &f->q[f->n++];

		col_str(st, 0, q->text, sizeof(q->text));
		q->weight = sqlite3_column_double(st, 1);
		q->max = sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	return 0;
}

static int forms_locked(sqlite3 *db, const char *tenant, int64_t id, struct sb_qa_form_info *out,
			unsigned max)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT id, name FROM qa_form WHERE tenant = ?1 AND "
			       "(?2 = 0 OR id = ?2) ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_text(st, 1, tenant);
	sqlite3_bind_int64(st, 2, id);
	while ((unsigned)n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct sb_qa_form_info *f = &out[n++];

		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(st, 0);
		col_str(st, 1, f->name, sizeof(f->name));
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		if (form_questions(db, &out[i]) < 0)
			return -EIO;
	return n;
}

int sb_store_qa_forms(struct sb_store *s, const char *tenant, struct sb_qa_form_info *out,
		      unsigned max)
{
	pthread_mutex_t *lk;
	sqlite3 *db = qdb_lock(s, &lk);
	int n = forms_locked(db, tenant, 0, out, max);

	pthread_mutex_unlock(lk);
	return n;
}

int sb_store_qa_form_get(struct sb_store *s, const char *tenant, int64_t id,
			 struct sb_qa_form_info *out)
{
	pthread_mutex_t *lk;
	sqlite3 *db;
	int n;

	if (id <= 0)
		return -ENOENT;
	db = qdb_lock(s, &lk);
	n = forms_locked(db, tenant, id, out, 1);
	pthread_mutex_unlock(lk);
	return n < 0 ? n : n == 0 ? -ENOENT : 0;
}

int64_t sb_store_qa_evaluate(struct sb_store *s, const char *tenant, int64_t recording_id,
			     int64_t form_id, const char *evaluator, const double *points,
			     unsigned n, const char *comment, double *score_out,
			     const char **which)
{
	struct sb_rec_info ri;
	struct sb_qa_form_info *f;
	int rc;

	*which = "recording";
	rc = sb_store_rec_by_id(s, tenant, recording_id, &ri);
	if (rc < 0)
		return rc;
	*which = "form";
	f = malloc(sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	rc = sb_store_qa_form_get(s, tenant, form_id, f);
	free(f);
	if (rc < 0)
		return rc;
	/* forms never change tenant and recordings never change either: the
	 * checks above hold for the insert below */
	*which = "answers";
	return sb_store_qa_score(s, recording_id, form_id, evaluator, points, n, comment,
				 score_out);
}

int sb_store_qa_evals(struct sb_store *s, const char *tenant, int64_t recording_id,
		      struct sb_qa_eval_info *out, unsigned max)
{
	struct sb_rec_info ri;
	pthread_mutex_t *lk;
	sqlite3 *db = qdb_lock(s, &lk);
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	rc = by_id_locked(db, tenant, recording_id, &ri);
	if (rc < 0) {
		n = rc;
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT id, form_id, evaluator, coalesce(agent, ''), score, "
			       "coalesce(comment, ''), ts_ms FROM qa_eval WHERE recording_id = ? "
			       "AND tenant = ? ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, recording_id);
	bind_text(st, 2, tenant);
	while ((unsigned)n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct sb_qa_eval_info *e = &out[n++];

		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(st, 0);
		e->form_id = sqlite3_column_int64(st, 1);
		col_str(st, 2, e->evaluator, sizeof(e->evaluator));
		col_str(st, 3, e->agent, sizeof(e->agent));
		e->score = sqlite3_column_double(st, 4);
		col_str(st, 5, e->comment, sizeof(e->comment));
		e->ts_ms = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT idx, points FROM qa_answer WHERE eval_id = ? ORDER BY idx",
			       -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, out[i].id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int idx = sqlite3_column_int(st, 0);

			if (idx >= 0 && idx < SB_QA_MAX_QUESTIONS) {
				out[i].points[idx] = sqlite3_column_double(st, 1);
				if ((unsigned)idx + 1 > out[i].n)
					out[i].n = (unsigned)idx + 1;
			}
		}
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}

int sb_store_qa_agent(struct sb_store *s, const char *tenant, const char *agent,
		      struct sb_qa_agent_summary *all, struct sb_qa_form_summary *forms,
		      unsigned max)
{
	pthread_mutex_t *lk;
	sqlite3 *db = qdb_lock(s, &lk);
	sqlite3_stmt *st = NULL;
	int n = 0;

	memset(all, 0, sizeof(*all));
	snprintf(all->agent, sizeof(all->agent), "%s", agent);
	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(avg(score), 0), coalesce(min(score), 0), "
			       "coalesce(max(score), 0) FROM qa_eval WHERE tenant = ? AND agent = ?",
			       -1, &st, NULL) != SQLITE_OK || (bind_text(st, 1, tenant),
			       bind_text(st, 2, agent), sqlite3_step(st)) != SQLITE_ROW) {
		n = -EIO;
		goto out;
	}
	all->evaluations = (unsigned)sqlite3_column_int(st, 0);
	all->avg = sqlite3_column_double(st, 1);
	all->min = sqlite3_column_double(st, 2);
	all->max = sqlite3_column_double(st, 3);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT e.form_id, coalesce(f.name, ''), count(*), avg(e.score), "
			       "min(e.score), max(e.score) FROM qa_eval e LEFT JOIN qa_form f ON "
			       "f.id = e.form_id WHERE e.tenant = ? AND e.agent = ? "
			       "GROUP BY e.form_id ORDER BY e.form_id", -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	bind_text(st, 1, tenant);
	bind_text(st, 2, agent);
	while ((unsigned)n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct sb_qa_form_summary *f = &forms[n++];

		memset(f, 0, sizeof(*f));
		f->form_id = sqlite3_column_int64(st, 0);
		col_str(st, 1, f->name, sizeof(f->name));
		f->evaluations = (unsigned)sqlite3_column_int(st, 2);
		f->avg = sqlite3_column_double(st, 3);
		f->min = sqlite3_column_double(st, 4);
		f->max = sqlite3_column_double(st, 5);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}
