/* SPDX-License-Identifier: MIT */
/*
 * store/store.h — durable records, written off the call path.
 *
 * The loop thread hands records over by value with sb_store_cdr_put(), which
 * never blocks: a full queue drops the record, counts it and logs it.  One
 * writer thread owns the database connection.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stdint.h>

struct sb_store;

struct sb_cdr {
	char call_id[128];
	char caller[128];
	char hotline[64];
	char agent[64];
	char hangup_by[16]; /* "caller", "agent", "timeout", "system" or "" */
	int64_t start_ms;   /* wall clock ms; 0 = never */
	int64_t answer_ms;
	int64_t end_ms;
	int32_t status;     /* final SIP status towards the caller */
	uint64_t caller_rx_pkts, caller_tx_pkts; /* dataplane rx from / tx to the caller */
	uint64_t agent_rx_pkts, agent_tx_pkts;
	uint64_t caller_rx_bytes, agent_rx_bytes;
	char transferred_by[64]; /* agent who transferred the call away; "" = none */
	int64_t transfer_ms;     /* wall clock ms of that transfer */
};

struct sb_store_stats {
	uint64_t queued, written, dropped_full, failed;
};

/* Open (create) the SQLite file in WAL mode, create the schema, start the
 * writer.  queue_len records fit in the queue.  NULL + errno; the reason is
 * logged. */
struct sb_store *sb_store_open_sqlite(const char *path, unsigned queue_len);

/* Drain the queue, stop the writer, close.  NULL is a no-op. */
void sb_store_close(struct sb_store *s);

/* Loop thread: 0, or -ENOSPC when the queue is full (counted, logged). */
int sb_store_cdr_put(struct sb_store *s, const struct sb_cdr *cdr);

/* Wait until everything queued so far is written (tests, shutdown). */
void sb_store_flush(struct sb_store *s);

void sb_store_get_stats(struct sb_store *s, struct sb_store_stats *out);

/* Queue event log (table queue_event, store/qlog.c; the record is
 * acd/qstats.h's).  Loop thread: 0 | -ENOSPC (full: counted, logged). */
struct sb_qevent;
int sb_store_qlog_put(struct sb_store *s, const struct sb_qevent *ev);
/* The highest event id stored when the store was opened (0: none). */
uint64_t sb_store_qlog_max_id(struct sb_store *s);


/* ---- Recordings index, retention, QA (issue 7; store/recidx.c) ----
 *
 * Table recording: one row per recording file, keyed by its path (relative
 * to the dataplane's --rec-dir, unique).  Writes from the loop thread go
 * through the writer thread (never block: 0 | -ENOSPC when the queue is
 * full, counted and logged).  Queries run on a second connection of their
 * own (any thread but the loop's: they may wait on the disk); they see
 * what the writer committed (sb_store_flush() first in tests). */
struct sb_rec_row {
	char call_id[128];
	char tenant[64];
	char queue[64];
	char agent[64];
	char path[80];      /* relative to --rec-dir */
	char format[16];    /* "g711", "pcm16", ... */
	int64_t start_ms;   /* wall clock */
};

/* Row states (column state). */
#define SB_REC_ST_RECORDING 0 /* started, not closed yet */
#define SB_REC_ST_DONE      1 /* closed by the dataplane */
#define SB_REC_ST_RECOVERED 2 /* a crash left it; repaired at dataplane start */
#define SB_REC_ST_ERROR     3 /* an error event came (disk full, EIO): degraded */

struct sb_rec_result {
	char path[80];
	int state;           /* SB_REC_ST_DONE / RECOVERED / ERROR */
	int64_t duration_ms; /* audio in the file (DONE, RECOVERED) */
	uint64_t bytes;
	uint32_t share_pm;   /* per mille of the call the file holds */
	int complete;        /* 1 = nothing missing */
	int32_t err;         /* -errno of the first error, 0 */
};

struct sb_rec_info {
	int64_t id;
	struct sb_rec_row row;
	int state;
	int64_t duration_ms;
	uint64_t bytes;
	uint32_t share_pm;
	int complete;
	int32_t err;
};

int sb_store_rec_started(struct sb_store *s, const struct sb_rec_row *row);
/* DONE / RECOVERED / ERROR for the row of res->path (RECOVERED of a path
 * without a row inserts one: tenant etc. unknown).  ERROR never undoes a
 * DONE; a later DONE keeps the error code and sets the figures. */
int sb_store_rec_update(struct sb_store *s, const struct sb_rec_result *res);
/* Retention: delete every recording of tenant that started before
 * cutoff_ms: its file (dir/path; a missing file is not an error) and its
 * row.  Queued to the writer; the count shows in sb_store_rec_swept(). */
int sb_store_rec_sweep(struct sb_store *s, const char *tenant, int64_t cutoff_ms,
		       const char *dir);
uint64_t sb_store_rec_swept(struct sb_store *s); /* rows deleted by sweeps so far */

/* Rows of tenant ("" = all), oldest first.  Count or -EIO. */
int sb_store_rec_list(struct sb_store *s, const char *tenant, struct sb_rec_info *out,
		      unsigned max);
/* The row of path: 0, -ENOENT, -EIO. */
int sb_store_rec_get(struct sb_store *s, const char *path, struct sb_rec_info *out);

/* QA: evaluation forms (questions with weights and a maximum), one
 * evaluation per (recording, form, evaluator) with a score per question
 * and a comment; the evaluation's score is
 *   100 * sum(weight_i * points_i / max_i) / sum(weight_i)
 * and it keeps the recording's agent and tenant (a summary outlives the
 * recording's retention). */
#define SB_QA_MAX_QUESTIONS 32
struct sb_qa_question {
	char text[128];
	double weight; /* > 0 */
	double max;    /* points of a full answer, > 0 */
};
/* Form id (> 0) or -EINVAL (no question, weight/max <= 0), -EIO. */
int64_t sb_store_qa_form_create(struct sb_store *s, const char *tenant, const char *name,
				const struct sb_qa_question *q, unsigned n);
/* Evaluation id (> 0), or -ENOENT (recording or form), -EINVAL (n is not
 * the form's question count, a score outside 0..max), -EEXIST (this
 * evaluator already scored it with this form), -EIO.  *score_out (may be
 * NULL): the evaluation's score. */
int64_t sb_store_qa_score(struct sb_store *s, int64_t recording_id, int64_t form_id,
			  const char *evaluator, const double *points, unsigned n,
			  const char *comment, double *score_out);
struct sb_qa_agent_summary {
	char agent[64];
	unsigned evaluations;
	double avg, min, max; /* of the evaluations' scores */
};
/* Per agent of tenant ("" = all), by agent name.  Count or -EIO. */
int sb_store_qa_agent_summaries(struct sb_store *s, const char *tenant,
				struct sb_qa_agent_summary *out, unsigned max);

#endif
