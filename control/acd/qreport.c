/* SPDX-License-Identifier: MIT */
/* acd/qreport.c — interval figures from stored queue events (qreport.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/qreport.h"

#define NONE UINT32_MAX

/* an agent's open staffed / paused span (wall ms; -1 none) */
struct span {
	char agent[SB_QEV_NAME];
	char key[SB_QEV_NAME];   /* the agent, or its tenant (by tenant) */
	int64_t login, pause;
};

struct sb_qreport {
	enum sb_qrep_by by;
	int64_t from, to, end;   /* end: where open spans close */
	uint32_t ival;
	struct sb_qrep_qcfg *qc; /* sorted by name */
	unsigned nq;
	struct sb_qrep_row *row;
	unsigned n, cap;
	uint32_t *hash;          /* row indexes, NONE empty; 2 x cap slots */
	unsigned hcap;
	struct span *sp;
	unsigned nsp, spcap;
};

static int qc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sb_qrep_qcfg *)a)->name, ((const struct sb_qrep_qcfg *)b)->name);
}

void sb_qreport_free(struct sb_qreport *r)
{
	if (r == NULL)
		return;
	free(r->qc);
	free(r->row);
	free(r->hash);
	free(r->sp);
	free(r);
}

struct sb_qreport *sb_qreport_new(enum sb_qrep_by by, int64_t from_ms, int64_t to_ms,
				  uint32_t interval_ms, const struct sb_qrep_qcfg *qc, unsigned nq,
				  int64_t now_ms)
{
	struct sb_qreport *r;

	if (from_ms >= to_ms || interval_ms < 1000 ||
	    (uint64_t)(to_ms - from_ms) / interval_ms >= SB_QREP_MAX_BUCKETS) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->by = by;
	r->from = from_ms;
	r->to = to_ms;
	r->end = now_ms < to_ms ? (now_ms > from_ms ? now_ms : from_ms) : to_ms;
	r->ival = interval_ms;
	r->nq = nq;
	r->qc = malloc((nq ? nq : 1) * sizeof(*r->qc));
	if (r->qc == NULL) {
		free(r);
		return NULL;
	}
	if (nq) {
		memcpy(r->qc, qc, nq * sizeof(*qc));
		qsort(r->qc, nq, sizeof(*qc), qc_cmp);
	}
	return r;
}

static uint64_t hkey(const char *key, uint32_t bucket)
{
	uint64_t h = 1469598103934665603ull ^ bucket; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static int grow(struct sb_qreport *r)
{
	unsigned cap = r->cap ? 2 * r->cap : 256, hcap = 2 * cap;
	struct sb_qrep_row *row;
	uint32_t *h;

	if (r->cap >= SB_QREP_MAX_ROWS)
		return -E2BIG;
	row = realloc(r->row, cap * sizeof(*row));
	if (row == NULL)
		return -ENOMEM;
	r->row = row;
	h = malloc(hcap * sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	memset(h, 0xff, hcap * sizeof(*h));
	for (unsigned i = 0; i < r->n; i++) {
		uint64_t k = hkey(row[i].key, (uint32_t)((row[i].start_ms - r->from) / r->ival));

		for (unsigned s = (unsigned)(k & (hcap - 1));; s = (s + 1) & (hcap - 1))
			if (h[s] == NONE) {
				h[s] = i;
				break;
			}
	}
	free(r->hash);
	r->hash = h;
	r->hcap = hcap;
	r->cap = cap;
	return 0;
}

/* the row of key in bucket b, made if new; NULL when full (*err) */
static struct sb_qrep_row *row_of(struct sb_qreport *r, const char *key, uint32_t b, int *err)
{
	uint64_t k = hkey(key, b);
	unsigned s;
	struct sb_qrep_row *w;

	if (r->hcap) {
		for (s = (unsigned)(k & (r->hcap - 1)); r->hash[s] != NONE; s = (s + 1) & (r->hcap - 1)) {
			w = &r->row[r->hash[s]];
			if (w->start_ms == r->from + (int64_t)b * r->ival && strcmp(w->key, key) == 0)
				return w;
		}
	}
	if (r->n == r->cap && (*err = grow(r)) < 0)
		return NULL;
	for (s = (unsigned)(k & (r->hcap - 1)); r->hash[s] != NONE; s = (s + 1) & (r->hcap - 1))
		;
	r->hash[s] = r->n;
	w = &r->row[r->n++];
	memset(w, 0, sizeof(*w));
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->start_ms = r->from + (int64_t)b * r->ival;
	return w;
}

static const struct sb_qrep_qcfg *qcfg(const struct sb_qreport *r, const char *queue)
{
	struct sb_qrep_qcfg k;

	if (r->nq == 0)
		return NULL;
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", queue);
	return bsearch(&k, r->qc, r->nq, sizeof(k), qc_cmp);
}

static struct span *span_of(struct sb_qreport *r, const struct sb_qevent *ev, int *err)
{
	for (unsigned i = 0; i < r->nsp; i++)
		if (strcmp(r->sp[i].agent, ev->agent) == 0)
			return &r->sp[i];
	if (r->nsp == r->spcap) {
		unsigned cap = r->spcap ? 2 * r->spcap : 32;
		struct span *sp = realloc(r->sp, cap * sizeof(*sp));

		if (sp == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
		r->sp = sp;
		r->spcap = cap;
	}
	memset(&r->sp[r->nsp], 0, sizeof(r->sp[0]));
	snprintf(r->sp[r->nsp].agent, sizeof(r->sp[0].agent), "%s", ev->agent);
	snprintf(r->sp[r->nsp].key, sizeof(r->sp[0].key), "%s",
		 r->by == SB_QREP_TENANT ? ev->tenant : ev->agent);
	r->sp[r->nsp].login = r->sp[r->nsp].pause = -1;
	return &r->sp[r->nsp++];
}

/* [a, b) of staffed (paused: false) or paused time into the rows of key */
static int span_add(struct sb_qreport *r, const char *key, int64_t a, int64_t b, bool paused)
{
	int err = 0;

	if (a < r->from)
		a = r->from;
	if (b > r->end)
		b = r->end;
	while (a < b) {
		uint32_t k = (uint32_t)((a - r->from) / r->ival);
		int64_t edge = r->from + (int64_t)(k + 1) * r->ival, e = b < edge ? b : edge;
		struct sb_qrep_row *w = row_of(r, key, k, &err);

		if (w == NULL)
			return err;
		if (paused)
			w->a.paused_ms += (uint64_t)(e - a);
		else
			w->a.staffed_ms += (uint64_t)(e - a);
		a = e;
	}
	return 0;
}

static int agent_state(struct sb_qreport *r, const struct sb_qevent *ev)
{
	int err = 0;
	struct span *s;

	if (r->by == SB_QREP_QUEUE || ev->agent[0] == '\0')
		return 0;
	s = span_of(r, ev, &err);
	if (s == NULL)
		return err;
	switch ((enum sb_qev_type)ev->type) {
	case SB_QEV_LOGIN:
		if (s->login < 0)
			s->login = ev->ts_ms;
		break;
	case SB_QEV_LOGOUT:
		if (s->pause >= 0 && (err = span_add(r, s->key, s->pause, ev->ts_ms, true)))
			return err;
		if (s->login >= 0 && (err = span_add(r, s->key, s->login, ev->ts_ms, false)))
			return err;
		s->login = s->pause = -1;
		break;
	case SB_QEV_PAUSE:
	case SB_QEV_AUTOPAUSE:
		if (s->pause < 0 && s->login >= 0)
			s->pause = ev->ts_ms;
		break;
	case SB_QEV_UNPAUSE:
		if (s->pause >= 0 && (err = span_add(r, s->key, s->pause, ev->ts_ms, true)))
			return err;
		s->pause = -1;
		break;
	default:
		break;
	}
	return 0;
}

static bool ends_wait(uint32_t t)
{
	return t == SB_QEV_CONNECT || t == SB_QEV_ABANDON || t == SB_QEV_TIMEOUT ||
	       t == SB_QEV_FULL || t == SB_QEV_EMPTY || t == SB_QEV_OVERFLOW;
}

int sb_qreport_add(struct sb_qreport *r, const struct sb_qevent *ev)
{
	const struct sb_qrep_qcfg *c;
	struct sb_qrep_row *w;
	const char *key;
	int err = 0;
	uint32_t b;

	if (ev->ts_ms < r->from || ev->ts_ms >= r->to || ev->type >= SB_QEV_N)
		return 0;
	switch ((enum sb_qev_type)ev->type) {
	case SB_QEV_LOGIN:
	case SB_QEV_LOGOUT:
	case SB_QEV_PAUSE:
	case SB_QEV_AUTOPAUSE:
	case SB_QEV_UNPAUSE:
		return agent_state(r, ev);
	default:
		break;
	}
	key = r->by == SB_QREP_QUEUE ? ev->queue : r->by == SB_QREP_AGENT ? ev->agent : ev->tenant;
	if (key[0] == '\0')
		return 0;
	b = (uint32_t)((ev->ts_ms - r->from) / r->ival);
	w = row_of(r, key, b, &err);
	if (w == NULL)
		return err;
	c = ev->queue[0] ? qcfg(r, ev->queue) : NULL;
	sb_qfig_add(r->by != SB_QREP_AGENT && ev->queue[0] ? &w->q : NULL,
		    r->by != SB_QREP_QUEUE && ev->agent[0] ? &w->a : NULL, ev,
		    c ? c->sl_ms : 20000, c ? c->short_ms : 5000, (uint64_t)ev->ts_ms);
	if (ends_wait(ev->type) && ev->wait_ms > w->longest_wait_ms && ev->queue[0])
		w->longest_wait_ms = ev->wait_ms;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct sb_qrep_row *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

unsigned sb_qreport_rows(struct sb_qreport *r, const struct sb_qrep_row **out)
{
	/* the spans still open at the end of the range */
	for (unsigned i = 0; i < r->nsp; i++) {
		struct span *s = &r->sp[i];

		/* a full table drops the rest of the time, as add does rows */
		if (s->pause >= 0)
			(void)span_add(r, s->key, s->pause, r->end, true);
		if (s->login >= 0)
			(void)span_add(r, s->key, s->login, r->end, false);
		s->login = s->pause = -1;
	}
	if (r->hash) { /* the order changes: the hash no longer maps */
		free(r->hash);
		r->hash = NULL;
		r->hcap = 0;
	}
	if (r->n) /* (qsort's base may not be NULL, even for 0 rows) */
		qsort(r->row, r->n, sizeof(*r->row), row_cmp);
	*out = r->row;
	return r->n;
}
