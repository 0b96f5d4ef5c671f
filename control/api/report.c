/* SPDX-License-Identifier: MIT */
/* api/report.c — interval reports from the stored queue events (report.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/report.h"
#include "b2bua/cp.h"
#include "b2bua/queue.h"
#include "config.h"
#include "loop.h"
#include "store/qrows.h"

struct rep_job {
	struct sb_api_job job;  /* first: the framework hands it back */
	struct sb_store *store;
	enum sb_qrep_by by;
	char tenant[SB_QEV_NAME];
	struct sb_api_report_args a;
	int64_t now_ms;
	struct sb_qrep_qcfg *qc;
	unsigned nq;
	struct sb_qreport *rep;
	int rc;
};

static int row_in(void *arg, const struct sb_qevent *ev)
{
	return sb_qreport_add(arg, ev);
}

static void job_run(struct sb_api_job *j)
{
	struct rep_job *r = (struct rep_job *)j;
	int rc;

	r->rep = sb_qreport_new(r->by, r->a.from_ms, r->a.to_ms, r->a.interval_s * 1000u, r->qc,
				r->nq, r->now_ms);
	if (r->rep == NULL) {
		r->rc = -errno;
		return;
	}
	rc = sb_store_qrows(r->store, r->tenant, r->a.from_ms, r->a.to_ms, row_in, r->rep);
	r->rc = rc < 0 ? rc : 0;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static json_t *queue_figs(json_t *o, const struct sb_qrep_row *w)
{
	const struct sb_qfig_queue *q = &w->q;

	json_object_set_new(o, "offered", json_integer((json_int_t)q->offered));
	json_object_set_new(o, "answered", json_integer((json_int_t)q->answered));
	json_object_set_new(o, "abandoned", json_integer((json_int_t)q->abandoned));
	json_object_set_new(o, "short_abandoned", json_integer((json_int_t)q->short_abandoned));
	json_object_set_new(o, "answered_within", json_integer((json_int_t)q->answered_within));
	json_object_set_new(o, "timed_out", json_integer((json_int_t)q->timed_out));
	json_object_set_new(o, "overflowed", json_integer((json_int_t)q->overflowed));
	json_object_set_new(o, "completed", json_integer((json_int_t)q->completed));
	json_object_set_new(o, "sl_answered", json_real(sb_qfig_sl_answered(q)));
	json_object_set_new(o, "sl_with_abandons", json_real(sb_qfig_sl_with_abandons(q)));
	json_object_set_new(o, "asa_ms", json_integer((json_int_t)sb_qfig_asa_ms(q)));
	json_object_set_new(o, "aht_ms", json_integer((json_int_t)sb_qfig_aht_ms(q)));
	json_object_set_new(o, "talk_ms", json_integer((json_int_t)q->talk_ms));
	json_object_set_new(o, "longest_wait_ms", json_integer((json_int_t)w->longest_wait_ms));
	return o;
}

static json_t *agent_figs(json_t *o, const struct sb_qrep_row *w)
{
	const struct sb_qfig_agent *a = &w->a;
	uint64_t avail = a->staffed_ms > a->paused_ms ? a->staffed_ms - a->paused_ms : 0;

	json_object_set_new(o, "offered", json_integer((json_int_t)a->offered));
	json_object_set_new(o, "answered", json_integer((json_int_t)a->answered));
	json_object_set_new(o, "noanswers", json_integer((json_int_t)a->noanswers));
	json_object_set_new(o, "rejects", json_integer((json_int_t)a->rejects));
	json_object_set_new(o, "completed", json_integer((json_int_t)a->completed));
	json_object_set_new(o, "talk_ms", json_integer((json_int_t)a->talk_ms));
	json_object_set_new(o, "handle_ms", json_integer((json_int_t)a->handle_ms));
	json_object_set_new(o, "staffed_ms", json_integer((json_int_t)a->staffed_ms));
	json_object_set_new(o, "paused_ms", json_integer((json_int_t)a->paused_ms));
	/* handle time counts where the call ended: above 1 in an interval
	 * that closes a long call is possible, so it is not capped */
	json_object_set_new(o, "occupancy", json_real(ratio(a->handle_ms, avail)));
	return o;
}

static void job_done(struct sb_api_job *j, struct sb_api_resp *resp)
{
	static const char *const by_name[] = { "queue", "agent", "tenant" };
	struct rep_job *r = (struct rep_job *)j;
	const struct sb_qrep_row *w;
	json_t *rows, *top;
	unsigned n;

	if (r->rc == -E2BIG) {
		sb_api_error(resp, 400, "interval",
			     "more than %u rows: a wider interval or a shorter range",
			     SB_QREP_MAX_ROWS);
		goto out;
	}
	if (r->rc < 0) {
		sb_api_error(resp, 500, NULL, "report failed: %s", strerror(-r->rc));
		goto out;
	}
	n = sb_qreport_rows(r->rep, &w);
	rows = json_array();
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, by_name[r->by], json_string(w[i].key));
		json_object_set_new(o, "start_ms", json_integer((json_int_t)w[i].start_ms));
		if (r->by == SB_QREP_QUEUE) {
			queue_figs(o, &w[i]);
		} else if (r->by == SB_QREP_AGENT) {
			agent_figs(o, &w[i]);
		} else {
			queue_figs(o, &w[i]);
			json_object_set_new(o, "agents", agent_figs(json_object(), &w[i]));
		}
		json_array_append_new(rows, o);
	}
	top = json_object();
	json_object_set_new(top, "by", json_string(by_name[r->by]));
	json_object_set_new(top, "tenant", json_string(r->tenant));
	json_object_set_new(top, "from_ms", json_integer((json_int_t)r->a.from_ms));
	json_object_set_new(top, "to_ms", json_integer((json_int_t)r->a.to_ms));
	json_object_set_new(top, "interval_s", json_integer(r->a.interval_s));
	json_object_set_new(top, "rows", rows);
	resp->body = top;
out:
	sb_qreport_free(r->rep);
	free(r->qc);
	free(r);
}

static int arg_cb(void *ctx, const char *name, const char *value)
{
	void **c = ctx;

	return sb_api_report_arg(c[0], name, value, c[1]) < 0 ? 1 : 0;
}

static int get_report(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp)
{
	struct sb_cp *cp = arg;
	const struct sb_config *cfg = cp->cfg;
	struct sb_api_report_args a;
	void *ctx[2] = { &a, resp };
	struct rep_job *r;
	enum sb_qrep_by by;
	int rc;

	if (strcmp(req->rest, "queues") == 0)
		by = SB_QREP_QUEUE;
	else if (strcmp(req->rest, "agents") == 0)
		by = SB_QREP_AGENT;
	else if (strcmp(req->rest, "tenant") == 0)
		by = SB_QREP_TENANT;
	else
		return sb_api_error(resp, 404, NULL,
				    "no such report: %s (queues, agents, tenant)", req->path);
	if (cp->store == NULL)
		return sb_api_error(resp, 503, NULL, "no store is configured (store: sqlite:)");
	sb_api_report_args_init(&a);
	if (sb_api_query_each(req, arg_cb, ctx) != 0 ||
	    sb_api_report_args_check(&a, (int64_t)sb_wall_ms(), resp) < 0)
		return 0;
	r = calloc(1, sizeof(*r));
	if (r)
		r->qc = calloc(cfg->n_queues ? cfg->n_queues : 1, sizeof(*r->qc));
	if (r == NULL || r->qc == NULL) {
		free(r);
		return sb_api_error(resp, 503, NULL, "out of memory");
	}
	/* the thresholds now, as PATCH left them (the worker must not read
	 * the config or the queues) */
	for (unsigned i = 0; i < cfg->n_queues; i++) {
		const struct sb_cfg_queue *q = &cfg->queues[i];
		struct sb_cpq_qset qs;

		if (strcmp(q->tenant, req->tenant) != 0)
			continue;
		snprintf(r->qc[r->nq].name, sizeof(r->qc[0].name), "%s", q->name);
		r->qc[r->nq].sl_ms = q->sl_ms;
		r->qc[r->nq].short_ms = q->short_abandon_ms;
		if (sb_cpq_queue_get(cp, i, &qs) == 0) {
			r->qc[r->nq].sl_ms = qs.sl_ms;
			r->qc[r->nq].short_ms = qs.short_ms;
		}
		r->nq++;
	}
	r->job.run = job_run;
	r->job.done = job_done;
	r->store = cp->store;
	r->by = by;
	r->a = a;
	r->now_ms = (int64_t)sb_wall_ms();
	snprintf(r->tenant, sizeof(r->tenant), "%s", req->tenant);
	rc = sb_api_defer(req, &r->job, resp);
	if (rc < 0) { /* resp is the 503 */
		free(r->qc);
		free(r);
		return 0;
	}
	return rc;
}

int sb_api_report_register(struct sb_api *api, struct sb_cp *cp)
{
	return sb_api_route(api, "GET", "/v1/reports", get_report, cp);
}
