/* SPDX-License-Identifier: MIT */
/*
 * api/rec.c — recordings and QA routes (see rec.h).
 *
 * Each handler runs on the loop thread: it parses and checks the request
 * (api/rec_parse.h), copies what the job needs (tenant, directory, ids;
 * the request is gone once the handler returns) into a rec_job, and
 * defers it.  job_run() does the SQLite queries and the open() on the
 * API's worker thread; job_done() builds the JSON (or hands the opened
 * file to the response) back on the loop thread and frees the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/rec.h"
#include "api/rec_parse.h"
#include "b2bua/cp.h"
#include "store/recq.h"

#define FORMS_MAX 256u
#define EVALS_MAX 256u
#define AGENT_FORMS_MAX 64u

enum rj_kind { RJ_LIST, RJ_GET, RJ_AUDIO, RJ_DELETE, RJ_FORM_NEW, RJ_FORMS, RJ_FORM,
	       RJ_EVAL_NEW, RJ_EVALS, RJ_AGENT };

struct rec_job {
	struct sb_api_job job;  /* must be first: the framework hands it back */
	enum rj_kind kind;
	struct sb_store *store;
	char tenant[64];
	char dir[160];
	int64_t id;
	int64_t rc;
	union {
		struct {
			struct sb_rec_filter f;
			int n;
			struct sb_rec_info *rows; /* f.limit + 1 */
		} list;
		struct sb_rec_info ri;             /* GET, DELETE */
		struct {
			struct sb_rec_info ri;
			char range[128];
			bool has_range;
			int fd;
			int partial;                   /* sb_api_parse_range() */
			uint64_t size, off, len;
		} audio;
		struct {
			char name[64];
			unsigned n;
			struct sb_qa_question q[SB_QA_MAX_QUESTIONS];
		} form;
		struct {
			int n;
			struct sb_qa_form_info *forms; /* FORMS_MAX (RJ_FORM: 1) */
		} forms;
		struct {
			struct sb_api_qa_eval e;
			double score;
			const char *which;
			unsigned n_questions;          /* of the form, for a 400 */
		} eval;
		struct {
			int n;
			struct sb_qa_eval_info *evals; /* EVALS_MAX */
		} evals;
		struct {
			char agent[64];
			bool configured;               /* in the configuration */
			struct sb_qa_agent_summary all;
			int n;
			struct sb_qa_form_summary forms[AGENT_FORMS_MAX];
		} agent;
	} u;
};

/* Text that came in from outside (Call-ID, names): a JSON string, or
 * "?" when it is not UTF-8 (jansson refuses it; the row still shows). */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);

	return j ? j : json_string("?");
}

static const char *state_name(int st)
{
	static const char *const n[] = { [SB_REC_ST_RECORDING] = "recording",
					 [SB_REC_ST_DONE] = "done",
					 [SB_REC_ST_RECOVERED] = "recovered",
					 [SB_REC_ST_ERROR] = "error" };

	return st >= 0 && st <= SB_REC_ST_ERROR ? n[st] : "unknown";
}

static void iso_time(int64_t ms, char out[48])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, 48, "?");
		return;
	}
	snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static json_t *rec_json(const struct sb_rec_info *r)
{
	char start[48], audio[64];
	json_t *j;

	iso_time(r->row.start_ms, start);
	snprintf(audio, sizeof(audio), "/v1/recordings/%lld/audio", (long long)r->id);
	j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:s, s:I, s:o, s:I, s:o, s:s, s:b, s:I,"
		      " s:f, s:s}",
		      "id", (json_int_t)r->id, "call_id", text(r->row.call_id),
		      "tenant", text(r->row.tenant), "queue", text(r->row.queue),
		      "agent", text(r->row.agent), "start_ms", (json_int_t)r->row.start_ms,
		      "start", start, "duration_ms", (json_int_t)r->duration_ms,
		      "path", text(r->row.path), "bytes", (json_int_t)r->bytes,
		      "format", text(r->row.format), "state", state_name(r->state),
		      "complete", r->state != SB_REC_ST_RECORDING && r->complete == 1,
		      "share_pm", (json_int_t)r->share_pm, "share", r->share_pm / 1000.0,
		      "audio", audio);
	if (j && r->err != 0)
		json_object_set_new(j, "error", json_string(strerror(-r->err)));
	return j;
}

/* Content-Type of a recording file: by its name, else by its format */
static const char *rec_ctype(const struct sb_rec_info *r)
{
	const char *dot = strrchr(r->row.path, '.');

	if (dot && strcmp(dot, ".wav") == 0)
		return "audio/wav";
	if (dot && (strcmp(dot, ".ogg") == 0 || strcmp(dot, ".opus") == 0))
		return "audio/ogg";
	if (dot && strcmp(dot, ".pcap") == 0)
		return "application/vnd.tcpdump.pcap";
	if (strcmp(r->row.format, "opus") == 0)
		return "audio/ogg";
	if (strcmp(r->row.format, "pcap") == 0)
		return "application/vnd.tcpdump.pcap";
	return "application/octet-stream";
}

/* ---- worker thread ---- */

static void audio_open(struct rec_job *rj)
{
	struct stat st;
	char full[512];
	int fd;

	rj->u.audio.fd = -1;
	rj->rc = sb_store_rec_by_id(rj->store, rj->tenant, rj->id, &rj->u.audio.ri);
	if (rj->rc < 0)
		return;
	if (rj->u.audio.ri.state == SB_REC_ST_RECORDING) {
		rj->rc = -EBUSY; /* still "*.part" on the disk */
		return;
	}
	if (!sb_rec_path_safe(rj->u.audio.ri.row.path) || rj->dir[0] == '\0' ||
	    (size_t)snprintf(full, sizeof(full), "%s/%s", rj->dir, rj->u.audio.ri.row.path) >=
		    sizeof(full)) {
		rj->rc = -EPERM;
		return;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rj->rc = -errno;
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		rj->rc = -ENOENT;
		return;
	}
	rj->u.audio.fd = fd;
	rj->u.audio.size = (uint64_t)st.st_size;
	rj->u.audio.off = 0;
	rj->u.audio.len = rj->u.audio.size;
	rj->u.audio.partial = rj->u.audio.has_range
		? sb_api_parse_range(rj->u.audio.range, rj->u.audio.size, &rj->u.audio.off,
				     &rj->u.audio.len)
		: 0;
	if (rj->u.audio.partial == 0) {
		rj->u.audio.off = 0;
		rj->u.audio.len = rj->u.audio.size;
	}
	rj->rc = 0;
}

static void eval_new(struct rec_job *rj)
{
	struct sb_api_qa_eval *e = &rj->u.eval.e;

	rj->rc = sb_store_qa_evaluate(rj->store, rj->tenant, rj->id, e->form, e->evaluator,
				      e->points, e->n, e->comment, &rj->u.eval.score,
				      &rj->u.eval.which);
	if (rj->rc == -EINVAL) { /* the form's size, for the message */
		struct sb_qa_form_info *f = malloc(sizeof(*f));

		if (f && sb_store_qa_form_get(rj->store, rj->tenant, e->form, f) == 0)
			rj->u.eval.n_questions = f->n;
		free(f);
	}
}

static void job_run(struct sb_api_job *j)
{
	struct rec_job *rj = (struct rec_job *)j;

	switch (rj->kind) {
	case RJ_LIST:
		rj->u.list.rows = calloc(rj->u.list.f.limit + 1u, sizeof(*rj->u.list.rows));
		if (rj->u.list.rows == NULL) {
			rj->rc = -ENOMEM;
			break;
		}
		rj->u.list.n = sb_store_rec_query(rj->store, &rj->u.list.f, rj->u.list.rows,
						  rj->u.list.f.limit + 1u);
		rj->rc = rj->u.list.n < 0 ? rj->u.list.n : 0;
		break;
	case RJ_GET:
		rj->rc = sb_store_rec_by_id(rj->store, rj->tenant, rj->id, &rj->u.ri);
		break;
	case RJ_AUDIO:
		audio_open(rj);
		break;
	case RJ_DELETE:
		rj->rc = sb_store_rec_delete(rj->store, rj->tenant, rj->id, rj->dir, &rj->u.ri);
		break;
	case RJ_FORM_NEW:
		rj->rc = sb_store_qa_form_create(rj->store, rj->tenant, rj->u.form.name,
						 rj->u.form.q, rj->u.form.n);
		break;
	case RJ_FORMS:
	case RJ_FORM:
		rj->u.forms.forms = calloc(rj->kind == RJ_FORM ? 1 : FORMS_MAX,
					   sizeof(*rj->u.forms.forms));
		if (rj->u.forms.forms == NULL) {
			rj->rc = -ENOMEM;
			break;
		}
		if (rj->kind == RJ_FORM) {
			rj->rc = sb_store_qa_form_get(rj->store, rj->tenant, rj->id,
						      rj->u.forms.forms);
			rj->u.forms.n = rj->rc == 0;
		} else {
			rj->u.forms.n = sb_store_qa_forms(rj->store, rj->tenant, rj->u.forms.forms,
							  FORMS_MAX);
			rj->rc = rj->u.forms.n < 0 ? rj->u.forms.n : 0;
		}
		break;
	case RJ_EVAL_NEW:
		eval_new(rj);
		break;
	case RJ_EVALS:
		rj->u.evals.evals = calloc(EVALS_MAX, sizeof(*rj->u.evals.evals));
		if (rj->u.evals.evals == NULL) {
			rj->rc = -ENOMEM;
			break;
		}
		rj->u.evals.n = sb_store_qa_evals(rj->store, rj->tenant, rj->id, rj->u.evals.evals,
						  EVALS_MAX);
		rj->rc = rj->u.evals.n < 0 ? rj->u.evals.n : 0;
		break;
	case RJ_AGENT:
		rj->u.agent.n = sb_store_qa_agent(rj->store, rj->tenant, rj->u.agent.agent,
						  &rj->u.agent.all, rj->u.agent.forms,
						  AGENT_FORMS_MAX);
		rj->rc = rj->u.agent.n < 0 ? rj->u.agent.n : 0;
		break;
	}
}

/* ---- loop thread: answers ---- */

static json_t *form_json(const struct sb_qa_form_info *f)
{
	json_t *qs = json_array();

	for (unsigned i = 0; i < f->n; i++)
		json_array_append_new(qs, json_pack("{s:o, s:f, s:f}", "text", text(f->q[i].text),
						    "weight", f->q[i].weight, "max", f->q[i].max));
	return json_pack("{s:I, s:o, s:o}", "id", (json_int_t)f->id, "name", text(f->name),
			 "questions", qs);
}

static json_t *eval_json(const struct sb_qa_eval_info *e)
{
	json_t *pts = json_array();
	char ts[48];

	for (unsigned i = 0; i < e->n; i++)
		json_array_append_new(pts, json_real(e->points[i]));
	iso_time(e->ts_ms, ts);
	return json_pack("{s:I, s:I, s:o, s:o, s:f, s:o, s:o, s:I, s:s}", "id", (json_int_t)e->id,
			 "form", (json_int_t)e->form_id, "evaluator", text(e->evaluator),
			 "agent", text(e->agent), "score", e->score, "answers", pts,
			 "comment", text(e->comment), "ts_ms", (json_int_t)e->ts_ms, "ts", ts);
}

static json_t *nullable_real(unsigned n, double v)
{
	return n ? json_real(v) : json_null();
}

static void done_list(struct rec_job *rj, struct sb_api_resp *resp)
{
	json_t *a = json_array();
	unsigned n = (unsigned)rj->u.list.n, show = n > rj->u.list.f.limit ? rj->u.list.f.limit : n;

	for (unsigned i = 0; i < show; i++)
		json_array_append_new(a, rec_json(&rj->u.list.rows[i]));
	/* one more row than asked for: there is a next page, after the last shown */
	resp->body = json_pack("{s:o, s:o}", "recordings", a, "next",
			       n > show ? json_integer(rj->u.list.rows[show - 1].id) : json_null());
}

static void done_audio(struct rec_job *rj, struct sb_api_resp *resp)
{
	struct sb_rec_info *r = &rj->u.audio.ri;
	const char *base;

	if (rj->u.audio.partial == -ERANGE) {
		close(rj->u.audio.fd);
		sb_api_error(resp, 416, "Range", "the file has %llu bytes",
			     (unsigned long long)rj->u.audio.size);
		return;
	}
	sb_api_resp_file(resp, rj->u.audio.partial == 1 ? 206 : 200, rj->u.audio.fd,
			 rj->u.audio.off, rj->u.audio.len, rj->u.audio.size, rec_ctype(r));
	base = strrchr(r->row.path, '/');
	snprintf(resp->disposition, sizeof(resp->disposition),
		 "attachment; filename=\"recording-%lld%s\"", (long long)r->id,
		 base && strrchr(base, '.') ? strrchr(base, '.') : "");
}

static void job_done(struct sb_api_job *j, struct sb_api_resp *resp)
{
	struct rec_job *rj = (struct rec_job *)j;
	long long id = (long long)rj->id;

	switch (rj->kind) {
	case RJ_LIST:
		if (rj->rc == 0)
			done_list(rj, resp);
		break;
	case RJ_GET:
		if (rj->rc == 0)
			resp->body = rec_json(&rj->u.ri);
		break;
	case RJ_AUDIO:
		if (rj->rc == -EBUSY)
			sb_api_error(resp, 409, "id", "recording %lld is still being recorded", id);
		else if (rj->rc == -ENOENT && rj->u.audio.ri.id == rj->id)
			sb_api_error(resp, 404, "id", "the file of recording %lld is missing", id);
		else if (rj->rc == -EPERM)
			sb_api_error(resp, 404, "id", "recording %lld has no file here%s", id,
				     rj->dir[0] ? "" : " (recording: dir is not configured)");
		else if (rj->rc == 0)
			done_audio(rj, resp);
		else if (rj->rc != -ENOENT && rj->rc != -EIO)
			sb_api_error(resp, 500, "id", "recording %lld: %s", id,
				     strerror((int)-rj->rc));
		break;
	case RJ_DELETE:
		if (rj->rc == 0)
			resp->body = json_pack("{s:I, s:o}", "deleted", (json_int_t)rj->id,
					       "path", text(rj->u.ri.row.path));
		else if (rj->rc == -EBUSY)
			sb_api_error(resp, 409, "id", "recording %lld is still being recorded", id);
		else if (rj->rc == -EPERM)
			sb_api_error(resp, 409, "id", "recording %lld: its path is not one that "
				     "may be deleted (kept)", id);
		else if (rj->rc != -ENOENT && rj->rc != -EIO)
			sb_api_error(resp, 500, "id", "recording %lld: file not deleted: %s", id,
				     strerror((int)-rj->rc));
		break;
	case RJ_FORM_NEW:
		if (rj->rc > 0) {
			struct sb_qa_form_info f = { .id = rj->rc, .n = rj->u.form.n };

			memcpy(f.name, rj->u.form.name, sizeof(f.name));
			memcpy(f.q, rj->u.form.q, sizeof(f.q));
			resp->status = 201;
			resp->body = form_json(&f);
			rj->rc = 0;
		} else if (rj->rc == -EINVAL) {
			sb_api_error(resp, 400, "questions", "refused by the store");
			rj->rc = 0;
		}
		break;
	case RJ_FORMS:
	case RJ_FORM:
		if (rj->rc == 0 && rj->kind == RJ_FORM) {
			resp->body = form_json(rj->u.forms.forms);
		} else if (rj->rc == 0) {
			json_t *a = json_array();

			for (int i = 0; i < rj->u.forms.n; i++)
				json_array_append_new(a, form_json(&rj->u.forms.forms[i]));
			resp->body = json_pack("{s:o}", "forms", a);
		} else if (rj->rc == -ENOENT) {
			sb_api_error(resp, 404, "id", "no form %lld", id);
			rj->rc = 0;
		}
		free(rj->u.forms.forms);
		break;
	case RJ_EVAL_NEW:
		if (rj->rc > 0) {
			resp->status = 201;
			resp->body = json_pack("{s:I, s:I, s:I, s:f}", "id", (json_int_t)rj->rc,
					       "recording", (json_int_t)rj->id,
					       "form", (json_int_t)rj->u.eval.e.form,
					       "score", rj->u.eval.score);
			rj->rc = 0;
		} else if (rj->rc == -ENOENT) {
			if (strcmp(rj->u.eval.which, "form") == 0)
				sb_api_error(resp, 404, "form", "no form %lld",
					     (long long)rj->u.eval.e.form);
			else
				sb_api_error(resp, 404, "id", "no recording %lld", id);
			rj->rc = 0;
		} else if (rj->rc == -EINVAL) {
			sb_api_error(resp, 400, "answers", "'answers' must hold %u numbers (one per "
				     "question of form %lld), each from 0 to the question's max",
				     rj->u.eval.n_questions, (long long)rj->u.eval.e.form);
			rj->rc = 0;
		} else if (rj->rc == -EEXIST) {
			sb_api_error(resp, 409, "evaluator", "'%s' already evaluated recording %lld "
				     "with form %lld", rj->u.eval.e.evaluator, id,
				     (long long)rj->u.eval.e.form);
			rj->rc = 0;
		}
		break;
	case RJ_EVALS:
		if (rj->rc == 0) {
			json_t *a = json_array();

			for (int i = 0; i < rj->u.evals.n; i++)
				json_array_append_new(a, eval_json(&rj->u.evals.evals[i]));
			resp->body = json_pack("{s:I, s:o}", "recording", (json_int_t)rj->id,
					       "evaluations", a);
		}
		free(rj->u.evals.evals);
		break;
	case RJ_AGENT:
		if (rj->rc == 0 && !rj->u.agent.configured && rj->u.agent.all.evaluations == 0) {
			sb_api_error(resp, 404, "name", "no agent of that name");
		} else if (rj->rc == 0) {
			const struct sb_qa_agent_summary *s = &rj->u.agent.all;
			json_t *a = json_array();

			for (int i = 0; i < rj->u.agent.n; i++) {
				const struct sb_qa_form_summary *f = &rj->u.agent.forms[i];

				json_array_append_new(a, json_pack(
					"{s:I, s:o, s:I, s:f, s:f, s:f}", "form",
					(json_int_t)f->form_id, "name", text(f->name),
					"evaluations", (json_int_t)f->evaluations, "mean", f->avg,
					"min", f->min, "max", f->max));
			}
			resp->body = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o}",
					       "agent", text(rj->u.agent.agent),
					       "evaluations", (json_int_t)s->evaluations,
					       "mean", nullable_real(s->evaluations, s->avg),
					       "min", nullable_real(s->evaluations, s->min),
					       "max", nullable_real(s->evaluations, s->max),
					       "forms", a);
		}
		break;
	}
	if (rj->kind == RJ_LIST)
		free(rj->u.list.rows);
	/* the common refusals (errors already set above keep theirs) */
	if (resp->body == NULL) {
		if (rj->rc == -ENOENT)
			sb_api_error(resp, 404, "id", "no recording %lld", id);
		else if (rj->rc < 0)
			sb_api_error(resp, 500, NULL, "store: %s", strerror((int)-rj->rc));
	}
	free(rj);
}

/* ---- handlers (loop thread) ---- */

static struct rec_job *job_new(struct sb_cp *cp, const struct sb_api_req *req, enum rj_kind kind,
			       int64_t id, struct sb_api_resp *resp)
{
	struct rec_job *rj;

	if (cp->store == NULL) {
		sb_api_error(resp, 503, NULL, "no store is configured (store: sqlite:)");
		return NULL;
	}
	rj = calloc(1, sizeof(*rj));
	if (rj == NULL) {
		sb_api_error(resp, 503, NULL, "out of memory");
		return NULL;
	}
	rj->job.run = job_run;
	rj->job.done = job_done;
	rj->kind = kind;
	rj->store = cp->store;
	rj->id = id;
	snprintf(rj->tenant, sizeof(rj->tenant), "%s", req->tenant);
	snprintf(rj->dir, sizeof(rj->dir), "%s", cp->cfg->recording.dir);
	return rj;
}

static int defer(struct rec_job *rj, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	int rc = sb_api_defer(req, &rj->job, resp);

	if (rc < 0) { /* resp is the 503 */
		free(rj);
		return 0;
	}
	return rc;
}

/* "ID" or "ID/tail" at the start of rest: the id and what follows ("" or
 * "/tail"); -1 when the first component is not an id (resp: 404). */
static int rest_id(const struct sb_api_req *req, int64_t *id, const char **tail,
		   struct sb_api_resp *resp)
{
	const char *e = strchr(req->rest, '/');
	size_t n = e ? (size_t)(e - req->rest) : strlen(req->rest);

	if (sb_api_parse_id(req->rest, n, id) < 0) {
		sb_api_error(resp, 404, "id", "no recording with that id (ids are numbers)");
		return -1;
	}
	*tail = req->rest + n;
	return 0;
}

struct args_ctx {
	struct sb_rec_filter *f;
	unsigned seen;
	struct sb_api_resp *resp;
};

static int filter_arg(void *ctx, const char *name, const char *value)
{
	struct args_ctx *a = ctx;

	return sb_api_rec_filter_arg(a->f, &a->seen, name, value, a->resp) < 0 ? -EINVAL : 0;
}

static int get_recordings(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct rec_job *rj;
	const char *tail;
	int64_t id = 0;
	enum rj_kind kind;

	if (req->rest[0] == '\0') {
		struct sb_rec_filter f;
		struct args_ctx a = { .f = &f, .seen = 0, .resp = resp };

		sb_api_rec_filter_init(&f, req->tenant);
		if (sb_api_query_each(req, filter_arg, &a) != 0 ||
		    sb_api_rec_filter_check(&f, resp) < 0)
			return 0;
		rj = job_new(cp, req, RJ_LIST, 0, resp);
		if (rj == NULL)
			return 0;
		rj->u.list.f = f;
		return defer(rj, req, resp);
	}
	if (rest_id(req, &id, &tail, resp) < 0)
		return 0;
	if (tail[0] == '\0')
		kind = RJ_GET;
	else if (strcmp(tail, "/audio") == 0)
		kind = RJ_AUDIO;
	else if (strcmp(tail, "/evaluations") == 0)
		kind = RJ_EVALS;
	else
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	rj = job_new(cp, req, kind, id, resp);
	if (rj == NULL)
		return 0;
	if (kind == RJ_AUDIO) {
		const char *r = sb_api_header(req, "Range");

		/* a Range longer than any we honour is ignored (whole file) */
		if (r != NULL && strlen(r) < sizeof(rj->u.audio.range)) {
			snprintf(rj->u.audio.range, sizeof(rj->u.audio.range), "%s", r);
			rj->u.audio.has_range = true;
		}
	}
	return defer(rj, req, resp);
}

static int delete_recording(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct rec_job *rj;
	const char *tail;
	int64_t id;

	if (rest_id(req, &id, &tail, resp) < 0)
		return 0;
	if (tail[0] != '\0')
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	rj = job_new(cp, req, RJ_DELETE, id, resp);
	return rj ? defer(rj, req, resp) : 0;
}

static int post_recording(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct sb_api_qa_eval e;
	struct rec_job *rj;
	const char *tail;
	int64_t id;

	if (rest_id(req, &id, &tail, resp) < 0)
		return 0;
	if (strcmp(tail, "/evaluations") != 0)
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	if (sb_api_parse_qa_eval(req->body, req->body_len, &e, resp) < 0)
		return 0;
	rj = job_new(cp, req, RJ_EVAL_NEW, id, resp);
	if (rj == NULL)
		return 0;
	rj->u.eval.e = e;
	return defer(rj, req, resp);
}

static int post_form(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct rec_job *rj;
	char name[64];
	struct sb_qa_question q[SB_QA_MAX_QUESTIONS];
	unsigned n;

	if (req->rest[0] != '\0')
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	if (sb_api_parse_qa_form(req->body, req->body_len, name, q, &n, resp) < 0)
		return 0;
	rj = job_new(cp, req, RJ_FORM_NEW, 0, resp);
	if (rj == NULL)
		return 0;
	memcpy(rj->u.form.name, name, sizeof(name));
	memcpy(rj->u.form.q, q, sizeof(q));
	rj->u.form.n = n;
	return defer(rj, req, resp);
}

static int get_forms(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	struct rec_job *rj;
	int64_t id = 0;

	if (req->rest[0] != '\0' && sb_api_parse_id(req->rest, strlen(req->rest), &id) < 0)
		return sb_api_error(resp, 404, "id", "no form with that id (ids are numbers)");
	rj = job_new(cp, req, id ? RJ_FORM : RJ_FORMS, id, resp);
	return rj ? defer(rj, req, resp) : 0;
}

/* GET /v1/agents/NAME/qa: an agent of the configuration must be the
 * tenant's; one no longer configured shows what was kept of it. */
static int get_agent_qa(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	static const char pre[] = "/v1/agents/";
	struct sb_cp *cp = arg;
	struct rec_job *rj;
	const char *name = req->path + sizeof(pre) - 1, *e;
	size_t n;
	int ag;

	if (strncmp(req->path, pre, sizeof(pre) - 1) != 0 || req->rest[0] != '\0' ||
	    (e = strchr(name, '/')) == NULL)
		return sb_api_error(resp, 404, NULL, "no such resource: %s", req->path);
	n = (size_t)(e - name);
	if (n == 0 || n >= sizeof(rj->u.agent.agent))
		return sb_api_error(resp, 404, "name", "no such agent");
	ag = sb_config_agent_find(cp->cfg, name, n);
	if (ag >= 0 && strcmp(cp->cfg->agents[ag].tenant, req->tenant) != 0)
		return sb_api_error(resp, 404, "name", "no agent '%s'", cp->cfg->agents[ag].user);
	rj = job_new(cp, req, RJ_AGENT, 0, resp);
	if (rj == NULL)
		return 0;
	memcpy(rj->u.agent.agent, name, n);
	rj->u.agent.agent[n] = '\0';
	rj->u.agent.configured = ag >= 0;
	return defer(rj, req, resp);
}

int sb_api_rec_register(struct sb_api *api, struct sb_cp *cp)
{
	int rc;

	if ((rc = sb_api_route(api, "GET", "/v1/recordings", get_recordings, cp)) < 0 ||
	    (rc = sb_api_route(api, "DELETE", "/v1/recordings", delete_recording, cp)) < 0 ||
	    (rc = sb_api_route(api, "POST", "/v1/recordings", post_recording, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/qa/forms", get_forms, cp)) < 0 ||
	    (rc = sb_api_route(api, "POST", "/v1/qa/forms", post_form, cp)) < 0 ||
	    (rc = sb_api_route(api, "GET", "/v1/agents/*/qa", get_agent_qa, cp)) < 0)
		return rc;
	return 0;
}
