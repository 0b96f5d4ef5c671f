/* SPDX-License-Identifier: MIT */
/* acd/qstats.c — queue event ring and figures (see qstats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/qstats.h"

static const char *const qev_names[SB_QEV_N] = {
#define SB_QEV_X_(id, s) [SB_QEV_##id] = s,
	QEV_TYPES(SB_QEV_X_)
#undef SB_QEV_X_
};

struct qcfg {
	uint32_t sl_ms, short_ms;
};

struct sb_qstats {
	unsigned nq, na;
	struct sb_qfig_queue *q;
	struct qcfg *qc;
	struct sb_qfig_agent *a;
	uint64_t last_id;
	struct sb_qevent *ring;   /* SB_QSTATS_RING, slot = id % size */
};

const char *sb_qev_name(enum sb_qev_type t)
{
	return (unsigned)t < SB_QEV_N ? qev_names[t] : "?";
}

void sb_qstats_free(struct sb_qstats *s)
{
	if (s == NULL)
		return;
	free(s->q);
	free(s->qc);
	free(s->a);
	free(s->ring);
	free(s);
}

struct sb_qstats *sb_qstats_create(unsigned n_queues, unsigned n_agents)
{
	struct sb_qstats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->nq = n_queues;
	s->na = n_agents;
	s->q = calloc(n_queues ? n_queues : 1, sizeof(*s->q));
	s->qc = calloc(n_queues ? n_queues : 1, sizeof(*s->qc));
	s->a = calloc(n_agents ? n_agents : 1, sizeof(*s->a));
	s->ring = calloc(SB_QSTATS_RING, sizeof(*s->ring));
	if (!s->q || !s->qc || !s->a || !s->ring) {
		free(s->q);
		free(s->qc);
		free(s->a);
		free(s->ring);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < n_queues; i++)
		s->qc[i] = (struct qcfg){ 20000, 5000 };
	return s;
}

void sb_qstats_queue_cfg(struct sb_qstats *s, unsigned q, uint32_t sl_ms, uint32_t short_ms)
{
	if (q < s->nq)
		s->qc[q] = (struct qcfg){ sl_ms, short_ms };
}

/* close the open staffed / paused intervals of an agent at now */
static void agent_close(struct sb_qfig_agent *f, uint64_t now, bool staffed, bool paused)
{
	if (paused && f->pause_since) {
		f->paused_ms += now > f->pause_since ? now - f->pause_since : 0;
		f->pause_since = 0;
	}
	if (staffed && f->login_since) {
		f->staffed_ms += now > f->login_since ? now - f->login_since : 0;
		f->login_since = 0;
	}
}

void sb_qstats_add(struct sb_qstats *s, struct sb_qevent *ev, int qi, int ag, uint64_t now,
		   uint32_t wrapup_ms)
{
	struct sb_qfig_queue *q = qi >= 0 && (unsigned)qi < s->nq ? &s->q[qi] : NULL;
	struct sb_qfig_agent *a = ag >= 0 && (unsigned)ag < s->na ? &s->a[ag] : NULL;
	const struct qcfg *qc = q ? &s->qc[qi] : NULL;

	ev->id = ++s->last_id;
	if (ev->type == SB_QEV_COMPLETE || ev->type == SB_QEV_TRANSFER)
		ev->wrapup_ms = wrapup_ms;
	s->ring[ev->id % SB_QSTATS_RING] = *ev;
	sb_qfig_add(q, a, ev, qc ? qc->sl_ms : 0, qc ? qc->short_ms : 0, now);
}

void sb_qfig_add(struct sb_qfig_queue *q, struct sb_qfig_agent *a, const struct sb_qevent *ev,
		 uint32_t sl_ms, uint32_t short_ms, uint64_t now)
{
	switch ((enum sb_qev_type)ev->type) {
	case SB_QEV_ENTER:
		if (q)
			q->offered++;
		break;
	case SB_QEV_OFFER:
		if (a)
			a->offered++;
		break;
	case SB_QEV_NOANSWER:
		if (a)
			a->noanswers++;
		break;
	case SB_QEV_REJECT:
	case SB_QEV_BUSY:
		if (a)
			a->rejects++;
		break;
	case SB_QEV_CONNECT:
		if (q) {
			q->answered++;
			q->wait_answered_ms += ev->wait_ms;
			if (ev->wait_ms <= sl_ms)
				q->answered_within++;
		}
		if (a)
			a->answered++;
		break;
	case SB_QEV_COMPLETE:
	case SB_QEV_TRANSFER:
		if (q) {
			q->completed++;
			q->talk_ms += ev->talk_ms;
			q->handle_ms += (uint64_t)ev->talk_ms + ev->wrapup_ms;
		}
		if (a) {
			a->completed++;
			a->talk_ms += ev->talk_ms;
			a->handle_ms += (uint64_t)ev->talk_ms + ev->wrapup_ms;
		}
		break;
	case SB_QEV_ABANDON:
		if (q) {
			q->abandoned++;
			if (ev->wait_ms < short_ms)
				q->short_abandoned++;
		}
		break;
	case SB_QEV_TIMEOUT:
	case SB_QEV_FULL:
	case SB_QEV_EMPTY:
		if (q)
			q->timed_out++;
		break;
	case SB_QEV_OVERFLOW:
		if (q)
			q->overflowed++;
		break;
	case SB_QEV_LOGIN:
		if (a && a->login_since == 0)
			a->login_since = now ? now : 1;
		break;
	case SB_QEV_LOGOUT:
		if (a)
			agent_close(a, now, true, true);
		break;
	case SB_QEV_PAUSE:
	case SB_QEV_AUTOPAUSE:
		if (a && a->pause_since == 0 && a->login_since)
			a->pause_since = now ? now : 1;
		break;
	case SB_QEV_UNPAUSE:
		if (a)
			agent_close(a, now, false, true);
		break;
	case SB_QEV_CALLBACK: /* requested / due / failed (other): no figure yet */
	case SB_QEV_N:
		break;
	}
}

const struct sb_qfig_queue *sb_qstats_queue(const struct sb_qstats *s, unsigned q)
{
	return q < s->nq ? &s->q[q] : NULL;
}

const struct sb_qfig_agent *sb_qstats_agent(const struct sb_qstats *s, unsigned ag)
{
	return ag < s->na ? &s->a[ag] : NULL;
}

double sb_qfig_sl_answered(const struct sb_qfig_queue *f)
{
	return f->answered ? (double)f->answered_within / (double)f->answered : 0.0;
}

double sb_qfig_sl_with_abandons(const struct sb_qfig_queue *f)
{
	uint64_t d = f->answered + f->abandoned - f->short_abandoned;

	return d ? (double)f->answered_within / (double)d : 0.0;
}

uint64_t sb_qfig_asa_ms(const struct sb_qfig_queue *f)
{
	return f->answered ? f->wait_answered_ms / f->answered : 0;
}

uint64_t sb_qfig_aht_ms(const struct sb_qfig_queue *f)
{
	return f->completed ? f->handle_ms / f->completed : 0;
}

uint64_t sb_qfig_agent_avail_ms(const struct sb_qfig_agent *f, uint64_t now)
{
	uint64_t staffed = f->staffed_ms, paused = f->paused_ms;

	if (f->login_since && now > f->login_since)
		staffed += now - f->login_since;
	if (f->pause_since && now > f->pause_since)
		paused += now - f->pause_since;
	return staffed > paused ? staffed - paused : 0;
}

double sb_qfig_agent_occupancy(const struct sb_qfig_agent *f, uint64_t now)
{
	uint64_t avail = sb_qfig_agent_avail_ms(f, now);
	double o;

	if (avail == 0)
		return 0.0;
	o = (double)f->handle_ms / (double)avail;
	return o > 1.0 ? 1.0 : o; /* a call's wrap-up may run past a logout */
}

unsigned sb_qstats_since(const struct sb_qstats *s, uint64_t since, unsigned max,
			 const struct sb_qevent **out, uint64_t *first_kept)
{
	uint64_t first = s->last_id >= SB_QSTATS_RING ? s->last_id - SB_QSTATS_RING + 1 : 1;
	unsigned n = 0;

	/* ids below the ring's oldest were overwritten (or predate a restart) */
	if (first_kept)
		*first_kept = first;
	if (since + 1 > first)
		first = since + 1;
	for (uint64_t id = first; id <= s->last_id && n < max; id++) {
		const struct sb_qevent *e = &s->ring[id % SB_QSTATS_RING];

		if (e->id == id)
			out[n++] = e;
	}
	return n;
}

uint64_t sb_qstats_last_id(const struct sb_qstats *s)
{
	return s->last_id;
}

void sb_qstats_set_last_id(struct sb_qstats *s, uint64_t id)
{
	if (id > s->last_id)
		s->last_id = id;
}
