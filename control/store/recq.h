/* SPDX-License-Identifier: MIT */
/*
 * store/recq.h — tenant-scoped queries of the recordings index and of the
 * QA tables for the management API (api/rec.c), on the index's query
 * connection (store/recidx.c).
 *
 * Threading: every function here may wait on the disk and on SQLite locks
 * (busy timeout 5 s): call them from a worker thread (api.h
 * sb_api_defer()), NEVER from the control loop.  They serialise on the
 * query connection's mutex.
 *
 * Tenant scoping: every call takes the caller's tenant and treats a row of
 * another tenant exactly as a missing one (-ENOENT), so the API cannot
 * tell "not yours" from "absent".
 */
#ifndef SB_STORE_RECQ_H
#define SB_STORE_RECQ_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define SB_RECQ_LIMIT_MAX 1000u

struct sb_rec_filter {
	char tenant[64];        /* required: only this tenant's rows */
	char queue[64];         /* "" = any */
	char agent[64];         /* "" = any */
	char call_id[128];      /* "" = any */
	int64_t from_ms;        /* start_ms >= from_ms (INT64_MIN: open) */
	int64_t to_ms;          /* start_ms < to_ms (INT64_MAX: open) */
	int complete;           /* -1 any, 0 incomplete (or still recording), 1 complete */
	int64_t after;          /* page cursor: rows after this id in the order; 0 = first page */
	bool by_id;             /* true: oldest first (id ascending); false: newest first */
	unsigned limit;         /* rows per page, 1..SB_RECQ_LIMIT_MAX */
};

/* Up to max rows matching f in its order.  Count or -EIO. */
int sb_store_rec_query(struct sb_store *s, const struct sb_rec_filter *f, struct sb_rec_info *out,
		       unsigned max);
/* The row id of tenant: 0 | -ENOENT | -EIO. */
int sb_store_rec_by_id(struct sb_store *s, const char *tenant, int64_t id, struct sb_rec_info *out);

/* Is rel a path the API and the sweeper may touch under the recordings
 * directory: relative, no "..", no empty or "." component, no control
 * characters.  Pure. */
bool sb_rec_path_safe(const char *rel);

/* Delete the recording id of tenant: its file dir/path (a missing file is
 * not an error) and its row; its QA evaluations stay (summaries outlive
 * the recording, as with retention).  *out (may be NULL): the row as it
 * was.  0 | -ENOENT | -EBUSY (still being recorded) | -EPERM (the path is
 * not safe: row kept) | -errno of unlink (row kept) | -EIO. */
int sb_store_rec_delete(struct sb_store *s, const char *tenant, int64_t id, const char *dir,
			struct sb_rec_info *out);

/* ---- QA ---- */

struct sb_qa_form_info {
	int64_t id;
	char name[64];
	unsigned n;
	struct sb_qa_question q[SB_QA_MAX_QUESTIONS];
};

/* Forms of tenant, by id.  Count or -EIO. */
int sb_store_qa_forms(struct sb_store *s, const char *tenant, struct sb_qa_form_info *out,
		      unsigned max);
/* 0 | -ENOENT | -EIO */
int sb_store_qa_form_get(struct sb_store *s, const char *tenant, int64_t id,
			 struct sb_qa_form_info *out);

/* sb_store_qa_score() after checking that the recording and the form are
 * tenant's (-ENOENT otherwise, *which = "recording" or "form"). */
int64_t sb_store_qa_evaluate(struct sb_store *s, const char *tenant, int64_t recording_id,
			     int64_t form_id, const char *evaluator, const double *points,
			     unsigned n, const char *comment, double *score_out,
			     const char **which);

struct sb_qa_eval_info {
	int64_t id, form_id, ts_ms;
	char evaluator[64];
	char agent[64];
	double score;
	char comment[1024];
	unsigned n;
	double points[SB_QA_MAX_QUESTIONS];
};

/* Evaluations of recording id of tenant, by id.  Count | -ENOENT (no such
 * recording for tenant) | -EIO. */
int sb_store_qa_evals(struct sb_store *s, const char *tenant, int64_t recording_id,
		      struct sb_qa_eval_info *out, unsigned max);

struct sb_qa_form_summary {
	int64_t form_id;
	char name[64];
	unsigned evaluations;
	double avg, min, max;
};

/* Agent's summary within tenant: *all over every evaluation (evaluations 0
 * when none) and one entry per form, by form id.  Form count or -EIO. */
int sb_store_qa_agent(struct sb_store *s, const char *tenant, const char *agent,
		      struct sb_qa_agent_summary *all, struct sb_qa_form_summary *forms,
		      unsigned max);

#endif
