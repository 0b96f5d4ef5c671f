/* SPDX-License-Identifier: MIT */
/*
 * recidx_t — the recordings index, retention and QA on a real SQLite file
 * (store/recidx.c).  Asserts:
 *   - rows written through the writer thread: start, then DONE /
 *     RECOVERED / ERROR updates (an ERROR keeps a DONE's figures, a DONE
 *     keeps the first error; a RECOVERED path without a row gets one);
 *   - retention deletes exactly the rows (and files) of the tenant that
 *     started before the cutoff and are closed: not the newer ones, not
 *     other tenants', not a recording still open, never a path outside the
 *     directory; a missing file does not keep a row;
 *   - QA: evaluation scores and per-agent summaries equal values computed
 *     here independently from the raw points; bad input refused.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static char dir[64], recdir[128];

static void mkfile(const char *rel)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", recdir, rel);
	f = fopen(p, "w");
	T_ASSERT(f != NULL);
	fputs("RIFF", f);
	fclose(f);
}

static int exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", recdir, rel);
	return stat(p, &st) == 0;
}

static void add(struct sb_store *s, const char *tenant, const char *agent, const char *path,
		int64_t start_ms, int close_it)
{
	struct sb_rec_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.call_id, sizeof(r.call_id), "call-%s", path);
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.queue, sizeof(r.queue), "sales");
	snprintf(r.agent, sizeof(r.agent), "%s", agent);
	snprintf(r.path, sizeof(r.path), "%s", path);
	snprintf(r.format, sizeof(r.format), "g711");
	r.start_ms = start_ms;
	T_ASSERT_EQ_U64(sb_store_rec_started(s, &r), 0);
	if (close_it) {
		struct sb_rec_result res;

		memset(&res, 0, sizeof(res));
		snprintf(res.path, sizeof(res.path), "%s", path);
		res.state = SB_REC_ST_DONE;
		res.duration_ms = 60000;
		res.bytes = 4096 + 60 * 16000;
		res.share_pm = 1000;
		res.complete = 1;
		T_ASSERT_EQ_U64(sb_store_rec_update(s, &res), 0);
	}
	if (strstr(path, "..") == NULL)
		mkfile(path);
}

int main(void)
{
	char path[128];
	struct sb_rec_info rows[32], ri;
	struct sb_rec_result res;
	struct sb_store *s;
	const int64_t day = 86400000, now = 1700000000000LL, cutoff = now - 30 * day;
	int n;

	snprintf(dir, sizeof(dir), "/tmp/sb_recidx_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sb.db", dir);
	snprintf(recdir, sizeof(recdir), "%s/rec", dir);
	T_ASSERT(mkdir(recdir, 0755) == 0);
	s = sb_store_open_sqlite(path, 64);
	T_ASSERT(s != NULL);

	/* tenant acme: 3 expired (one of them without its file), 2 recent, one
	 * old but still recording, one old with a path escaping the dir */
	add(s, "acme", "bob", "a-old1.wav", cutoff - 1, 1);
	add(s, "acme", "bob", "a-old2.wav", cutoff - 10 * day, 1);
	add(s, "acme", "eve", "a-old3.wav", cutoff - 100 * day, 1);
	add(s, "acme", "eve", "a-new1.wav", cutoff, 1); /* exactly at the cutoff: kept */
	add(s, "acme", "bob", "a-new2.wav", now, 1);
	add(s, "acme", "bob", "a-open.wav", cutoff - day, 0);
	add(s, "acme", "bob", "../escape.wav", cutoff - day, 1);
	/* tenant beta: old, other retention */
	add(s, "beta", "zed", "b-old1.wav", cutoff - 5 * day, 1);
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/a-old3.wav", recdir);
		T_ASSERT(unlink(p) == 0); /* a missing file does not keep its row */
	}

	/* updates: ERROR after DONE keeps the figures, DONE keeps the error */
	memset(&res, 0, sizeof(res));
	snprintf(res.path, sizeof(res.path), "a-new2.wav");
	res.state = SB_REC_ST_ERROR;
	res.err = -ENOSPC;
	T_ASSERT_EQ_U64(sb_store_rec_update(s, &res), 0);
	/* a recovered file control never saw start */
	memset(&res, 0, sizeof(res));
	snprintf(res.path, sizeof(res.path), "orphan.wav");
	res.state = SB_REC_ST_RECOVERED;
	res.duration_ms = 12340;
	res.bytes = 4096 + 12340 * 16;
	T_ASSERT_EQ_U64(sb_store_rec_update(s, &res), 0);
	/* error then done on a fresh one */
	add(s, "beta", "zed", "b-err.wav", now, 0);
	memset(&res, 0, sizeof(res));
	snprintf(res.path, sizeof(res.path), "b-err.wav");
	res.state = SB_REC_ST_ERROR;
	res.err = -EIO;
	T_ASSERT_EQ_U64(sb_store_rec_update(s, &res), 0);
	res.state = SB_REC_ST_DONE;
	res.err = 0;
	res.duration_ms = 5000;
	res.share_pm = 400;
	res.complete = 0;
	T_ASSERT_EQ_U64(sb_store_rec_update(s, &res), 0);
	T_ASSERT_EQ_U64(-sb_store_rec_update(s, &(struct sb_rec_result){.state = 0}), EINVAL);
	sb_store_flush(s);

	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-new2.wav", &ri), 0);
	T_ASSERT_EQ_U64(ri.state, SB_REC_ST_DONE);
	T_ASSERT_EQ_U64(ri.duration_ms, 60000);
	T_ASSERT_EQ_U64(ri.complete, 0);
	T_ASSERT_EQ_U64(-ri.err, ENOSPC);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "orphan.wav", &ri), 0);
	T_ASSERT_EQ_U64(ri.state, SB_REC_ST_RECOVERED);
	T_ASSERT_EQ_U64(ri.duration_ms, 12340);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "b-err.wav", &ri), 0);
	T_ASSERT_EQ_U64(ri.state, SB_REC_ST_DONE);
	T_ASSERT_EQ_U64(-ri.err, EIO);
	T_ASSERT_EQ_U64(ri.share_pm, 400);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "nope.wav", &ri), -ENOENT);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-old1.wav", &ri), 0);
	T_ASSERT(strcmp(ri.row.agent, "bob") == 0 && strcmp(ri.row.tenant, "acme") == 0 &&
		 strcmp(ri.row.queue, "sales") == 0 && ri.row.start_ms == cutoff - 1);
	n = sb_store_rec_list(s, "acme", rows, 32);
	T_ASSERT_EQ_U64(n, 7);

	/* ---- retention: acme keeps 30 days ---- */
	T_ASSERT_EQ_U64(sb_store_rec_sweep(s, "acme", cutoff, recdir), 0);
	sb_store_flush(s);
	T_ASSERT_EQ_U64(sb_store_rec_swept(s), 3);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-old1.wav", &ri), -ENOENT);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-old2.wav", &ri), -ENOENT);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-old3.wav", &ri), -ENOENT);
	T_ASSERT(!exists("a-old1.wav") && !exists("a-old2.wav"));
	T_ASSERT(exists("a-new1.wav") && exists("a-new2.wav") && exists("a-open.wav"));
	T_ASSERT(exists("b-old1.wav"));
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-new1.wav", &ri), 0);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-open.wav", &ri), 0);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "../escape.wav", &ri), 0);
	T_ASSERT_EQ_U64(sb_store_rec_get(s, "b-old1.wav", &ri), 0);
	T_ASSERT_EQ_U64(sb_store_rec_list(s, "acme", rows, 32), 4);
	T_ASSERT_EQ_U64(sb_store_rec_list(s, "beta", rows, 32), 2);
	/* a second sweep finds nothing more */
	T_ASSERT_EQ_U64(sb_store_rec_sweep(s, "acme", cutoff, recdir), 0);
	sb_store_flush(s);
	T_ASSERT_EQ_U64(sb_store_rec_swept(s), 3);

	/* ---- QA ---- */
	{
		const struct sb_qa_question q[3] = {
			{"greeting", 1, 5}, {"resolution", 2, 10}, {"compliance", 3, 1}};
		const double pts[4][3] = {{5, 10, 1}, {3, 4, 0}, {0, 0, 0}, {4, 7.5, 1}};
		const char *rec_of[4] = {"a-new1.wav", "a-new2.wav", "a-new2.wav", "b-old1.wav"};
		const char *eval_by[4] = {"sup1", "sup1", "sup2", "sup1"};
		double expect[4], got;
		struct sb_qa_agent_summary sum[8];
		int64_t form, bad;

		T_ASSERT_EQ_U64(-sb_store_qa_form_create(s, "acme", "empty", q, 0), EINVAL);
		T_ASSERT_EQ_U64(-sb_store_qa_form_create(s, "acme", "bad",
					(struct sb_qa_question[]){{"x", 0, 5}}, 1), EINVAL);
		form = sb_store_qa_form_create(s, "acme", "standard", q, 3);
		T_ASSERT(form > 0);
		for (int i = 0; i < 4; i++) {
			double acc = 0, wsum = 0;

			for (int k = 0; k < 3; k++) {
				acc += q[k].weight * pts[i][k] / q[k].max;
				wsum += q[k].weight;
			}
			expect[i] = 100 * acc / wsum;
			T_ASSERT_EQ_U64(sb_store_rec_get(s, rec_of[i], &ri), 0);
			T_ASSERT(sb_store_qa_score(s, ri.id, form, eval_by[i], pts[i], 3, "ok",
						   &got) > 0);
			T_ASSERT(fabs(got - expect[i]) < 1e-9);
		}
		/* refused: twice by the same evaluator, too many points, wrong
		 * count, unknown recording or form */
		T_ASSERT_EQ_U64(sb_store_rec_get(s, "a-new1.wav", &ri), 0);
		T_ASSERT_EQ_U64(-sb_store_qa_score(s, ri.id, form, "sup1", pts[0], 3, "", NULL),
				EEXIST);
		bad = sb_store_qa_score(s, ri.id, form, "sup3", (double[]){6, 0, 0}, 3, "", NULL);
		T_ASSERT_EQ_U64(-bad, EINVAL);
		T_ASSERT_EQ_U64(-sb_store_qa_score(s, ri.id, form, "sup3", pts[0], 2, "", NULL),
				EINVAL);
		T_ASSERT_EQ_U64(-sb_store_qa_score(s, 99999, form, "sup3", pts[0], 3, "", NULL),
				ENOENT);
		T_ASSERT_EQ_U64(-sb_store_qa_score(s, ri.id, form + 99, "sup3", pts[0], 3, "", NULL),
				ENOENT);

		/* summaries: acme = eve (a-new1: expect[0]) and bob (a-new2: 1, 2) */
		n = sb_store_qa_agent_summaries(s, "acme", sum, 8);
		T_ASSERT_EQ_U64(n, 2);
		T_ASSERT(strcmp(sum[0].agent, "bob") == 0 && sum[0].evaluations == 2);
		T_ASSERT(fabs(sum[0].avg - (expect[1] + expect[2]) / 2) < 1e-9);
		T_ASSERT(fabs(sum[0].min - fmin(expect[1], expect[2])) < 1e-9);
		T_ASSERT(fabs(sum[0].max - fmax(expect[1], expect[2])) < 1e-9);
		T_ASSERT(strcmp(sum[1].agent, "eve") == 0 && sum[1].evaluations == 1);
		T_ASSERT(fabs(sum[1].avg - expect[0]) < 1e-9);
		n = sb_store_qa_agent_summaries(s, "", sum, 8);
		T_ASSERT_EQ_U64(n, 3); /* + zed of beta */
		T_ASSERT(strcmp(sum[2].agent, "zed") == 0 && fabs(sum[2].avg - expect[3]) < 1e-9);
		printf("QA: bob %.3f (%u), eve %.3f, zed %.3f\n", sum[0].avg, sum[0].evaluations,
		       sum[1].avg, sum[2].avg);
	}
	sb_store_close(s);
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("PASS\n");
	return 0;
}
