/* SPDX-License-Identifier: MIT */
/*
 * acd_bench — routing decisions per second of the distribution engine
 * (control/acd) with many queues and agents, against a naive ACD that
 * scans every agent for a caller and every queue for a freed agent (what
 * an unindexed queue manager does, and why Asterisk slows down with tens
 * of thousands of queues), in the same run on the same workload.
 *
 * Workload: Q queues, each requiring one of 8 skills at level 1-3; A
 * agents with random levels 0-5, each a member of 2 random queues,
 * longest-idle, no wrap-up.  Each step a caller enters a random queue and
 * the oldest connected call ends (its agent takes the longest-waiting
 * caller it qualifies for, across its queues).  A decision is an offer.
 * Virtual clock: 1 ms per step.  Enqueue-to-offer latency is measured
 * around the enqueue of callers offered at once.
 *
 * Usage: acd_bench [--queues N] [--agents N] [--steps N] [--naive-steps N] [--reps N]
 * Ends with one JSON line.  ACD_BENCH_AUDIT=1 runs the engine's self-check
 * after every step (slow; for small sizes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/acd.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return v[(size_t)(p * (n - 1))];
}

/* the shared workload description */
struct work {
	uint32_t nq, na;
	uint8_t (*level)[8];      /* per agent */
	uint32_t (*memb)[2];      /* per agent: its 2 queues */
	uint8_t *qskill, *qlevel; /* per queue */
};

static void work_build(struct work *w, uint32_t nq, uint32_t na)
{
	w->nq = nq;
	w->na = na;
	w->level = calloc(na, sizeof(*w->level));
	w->memb = calloc(na, sizeof(*w->memb));
	w->qskill = calloc(nq, 1);
	w->qlevel = calloc(nq, 1);
	if (!w->level || !w->memb || !w->qskill || !w->qlevel) {
		perror("calloc");
		exit(1);
	}
	for (uint32_t q = 0; q < nq; q++) {
		w->qskill[q] = (uint8_t)rnd(8);
		w->qlevel[q] = (uint8_t)(1 + rnd(3));
	}
	for (uint32_t g = 0; g < na; g++) {
		for (int s = 0; s < 8; s++)
			w->level[g][s] = (uint8_t)rnd(6);
		w->memb[g][0] = rnd(nq);
		do
			w->memb[g][1] = rnd(nq);
		while (w->memb[g][1] == w->memb[g][0]);
	}
}

struct result {
	double decisions_per_s, offer_us_p99, offer_us_p50;
	uint64_t decisions;
};

/* ---- the engine ---- */

struct eng_ctx {
	uint64_t offers;
	uint32_t last_call, last_agent;
	bool offered;
	uint32_t *agent_of;       /* per call: answered by */
	uint32_t *gen;            /* per call id: bumped when the id is reused */
	struct sb_acd *a;
	uint64_t now;
	uint64_t *conn;           /* FIFO of connected calls: gen << 32 | call */
	uint32_t nconn_head, nconn_tail, ring;
};

static void eng_emit(void *arg, const struct sb_acd_action *x)
{
	struct eng_ctx *e = arg;

	if (x->type != SB_ACD_ACT_OFFER)
		return;
	e->offers++;
	/* answered at once, outside the callback (no re-entry): queue it */
	e->conn[e->nconn_tail++ % e->ring] = (uint64_t)e->gen[x->call] << 32 | x->call;
	e->agent_of[x->call] = x->agent;
	e->offered = true;
}

static struct result run_engine(const struct work *w, uint32_t steps)
{
	struct eng_ctx e = { 0 };
	uint32_t ncalls = w->na * 4;  /* ids come round only after the call ended */
	struct sb_acd_cfg cfg = { .max_queues = w->nq, .max_agents = w->na, .max_calls = ncalls,
				  .seed = 1, .emit = eng_emit, .emit_arg = &e };
	double *lat = calloc(steps, sizeof(*lat)), t0;
	size_t nlat = 0;
	uint32_t answered_upto = 0;
	struct result r = { 0 };

	e.ring = ncalls * 2;
	e.conn = calloc(e.ring, sizeof(*e.conn));
	e.agent_of = calloc(ncalls, sizeof(*e.agent_of));
	e.gen = calloc(ncalls, sizeof(*e.gen));
	e.a = sb_acd_create(&cfg);
	if (!lat || !e.conn || !e.agent_of || !e.gen || !e.a) {
		perror("setup");
		exit(1);
	}
	for (uint32_t q = 0; q < w->nq; q++) {
		struct sb_acd_queue_cfg c = { .strategy = SB_ACD_LONGEST_IDLE,
					      .overflow = SB_ACD_NONE, .join_empty = true,
					      .nreq = 1, .aht_ms = 1000 };

		c.req[0].skill = w->qskill[q];
		c.req[0].level = w->qlevel[q];
		if (sb_acd_queue_add(e.a, q, &c) < 0)
			exit(1);
	}
	for (uint32_t g = 0; g < w->na; g++) {
		struct sb_acd_agent_cfg c = { .max_calls = 1, .wrapup_ms = 0 };

		memcpy(c.level, w->level[g], 8);
		if (sb_acd_agent_add(e.a, g, &c) < 0 || sb_acd_agent_join(e.a, g, w->memb[g][0], 0) < 0 ||
		    sb_acd_agent_join(e.a, g, w->memb[g][1], 0) < 0 || sb_acd_agent_login(e.a, g, 0) < 0)
			exit(1);
	}
	t0 = now_s();
	for (uint32_t i = 0; i < steps; i++) {
		uint32_t call = i % ncalls;
		double ts;
		int rc;

		e.now++;
		/* the id comes round again: a caller still waiting (no qualified
		 * agent) gives up, a call still connected ends */
		if (sb_acd_abandon(e.a, call, e.now) < 0)
			(void)sb_acd_hangup(e.a, call, e.now);
		e.gen[call]++;
		e.offered = false;
		ts = now_s();
		rc = sb_acd_enqueue(e.a, call, rnd(w->nq), 0, e.now);
		if (rc < 0) {
			fprintf(stderr, "acd_bench: enqueue of call %u: %s\n", call, strerror(-rc));
			exit(1);
		}
		if (e.offered)
			lat[nlat++] = (now_s() - ts) * 1e6;
		/* answer what was offered (in this step's callbacks) */
		while (answered_upto != e.nconn_tail) {
			uint32_t c = (uint32_t)e.conn[answered_upto++ % e.ring];

			if (sb_acd_answer(e.a, c, e.agent_of[c], e.now) < 0) {
				fprintf(stderr, "acd_bench: answer of call %u refused\n", c);
				exit(1);
			}
		}
		if (getenv("ACD_BENCH_AUDIT")) {
			char why[256];

			if (sb_acd_audit(e.a, e.now, why, sizeof(why)) < 0) {
				fprintf(stderr, "acd_bench: step %u: audit: %s\n", i, why);
				exit(1);
			}
		}
		/* the oldest connected call ends once half the agents are busy */
		if (e.nconn_tail - e.nconn_head > w->na / 2) {
			uint64_t x = e.conn[e.nconn_head++ % e.ring];
			uint32_t c = (uint32_t)x;

			if ((x >> 32) == e.gen[c] && sb_acd_hangup(e.a, c, e.now) < 0) {
				fprintf(stderr, "acd_bench: hangup of call %u refused\n", c);
				exit(1);
			}
			while (answered_upto != e.nconn_tail) {
				uint32_t c2 = (uint32_t)e.conn[answered_upto++ % e.ring];

				if (sb_acd_answer(e.a, c2, e.agent_of[c2], e.now) < 0)
					exit(1);
			}
		}
	}
	r.decisions = e.offers;
	r.decisions_per_s = e.offers / (now_s() - t0);
	r.offer_us_p50 = pct(lat, nlat, 0.5);
	r.offer_us_p99 = pct(lat, nlat, 0.99);
	sb_acd_free(e.a);
	free(lat);
	free(e.conn);
	free(e.agent_of);
	free(e.gen);
	return r;
}

/* ---- the naive reference: scan everything ---- */

struct nq_fifo {
	uint32_t *v, head, tail, cap;
};

static struct result run_naive(const struct work *w, uint32_t steps)
{
	uint32_t ncalls = steps;       /* one id per caller: no reuse */
	bool *busy = calloc(w->na, sizeof(*busy));
	uint64_t *idle = calloc(w->na, sizeof(*idle)), now = 0, offers = 0;
	uint64_t *enq_ms = calloc(ncalls, sizeof(*enq_ms));
	struct nq_fifo *fq = calloc(w->nq, sizeof(*fq));
	uint32_t *conn = calloc((size_t)ncalls * 2, sizeof(*conn)), ch = 0, ct = 0;
	uint32_t *agent_of = calloc(ncalls, sizeof(*agent_of));
	int8_t *where = calloc(ncalls, 1); /* 0 free, 1 waiting, 2 connected */
	uint32_t *qof = calloc(ncalls, sizeof(*qof));
	double *lat = calloc(steps, sizeof(*lat)), t0;
	size_t nlat = 0;
	struct result r = { 0 };

	if (!busy || !idle || !enq_ms || !fq || !conn || !agent_of || !where || !qof || !lat) {
		perror("calloc");
		exit(1);
	}
	for (uint32_t q = 0; q < w->nq; q++) {
		fq[q].cap = 64;
		fq[q].v = malloc(64 * sizeof(uint32_t));
	}
	t0 = now_s();
	for (uint32_t i = 0; i < steps; i++) {
		uint32_t call = i, q = rnd(w->nq), best = UINT32_MAX;
		double ts;

		now++;
		ts = now_s();
		/* every agent: member of q, free, qualified, idle the longest */
		for (uint32_t g = 0; g < w->na; g++)
			if (!busy[g] && (w->memb[g][0] == q || w->memb[g][1] == q) &&
			    w->level[g][w->qskill[q]] >= w->qlevel[q] &&
			    (best == UINT32_MAX || idle[g] < idle[best]))
				best = g;
		if (best != UINT32_MAX) {
			busy[best] = true;
			agent_of[call] = best;
			where[call] = 2;
			conn[ct++ % (ncalls * 2)] = call;
			offers++;
			lat[nlat++] = (now_s() - ts) * 1e6;
		} else {
			struct nq_fifo *f = &fq[q];

			if (f->tail - f->head == f->cap) {
				uint32_t *nv = malloc(2 * f->cap * sizeof(uint32_t));

				for (uint32_t k = 0; k < f->cap; k++)
					nv[k] = f->v[(f->head + k) % f->cap];
				free(f->v);
				f->v = nv;
				f->tail -= f->head;
				f->head = 0;
				f->cap *= 2;
			}
			f->v[f->tail++ % f->cap] = call;
			where[call] = 1;
			qof[call] = q;
			enq_ms[call] = now;
		}
		if (ct - ch > w->na / 2) {
			uint32_t c = conn[ch++ % (ncalls * 2)], g = agent_of[c], bq = UINT32_MAX;
			uint64_t bt = UINT64_MAX;

			where[c] = 0;
			busy[g] = false;
			idle[g] = now;
			/* every queue: is the agent in it, qualified, and is its head
			 * the longest waiting? */
			for (uint32_t k = 0; k < w->nq; k++) {
				struct nq_fifo *f = &fq[k];

				if (f->head == f->tail || (w->memb[g][0] != k && w->memb[g][1] != k) ||
				    w->level[g][w->qskill[k]] < w->qlevel[k])
					continue;
				if (enq_ms[f->v[f->head % f->cap]] < bt) {
					bt = enq_ms[f->v[f->head % f->cap]];
					bq = k;
				}
			}
			if (bq != UINT32_MAX) {
				uint32_t c2 = fq[bq].v[fq[bq].head++ % fq[bq].cap];

				busy[g] = true;
				agent_of[c2] = g;
				where[c2] = 2;
				conn[ct++ % (ncalls * 2)] = c2;
				offers++;
			}
		}
	}
	r.decisions = offers;
	r.decisions_per_s = offers / (now_s() - t0);
	r.offer_us_p50 = pct(lat, nlat, 0.5);
	r.offer_us_p99 = pct(lat, nlat, 0.99);
	for (uint32_t q = 0; q < w->nq; q++)
		free(fq[q].v);
	free(fq);
	free(busy);
	free(idle);
	free(enq_ms);
	free(conn);
	free(agent_of);
	free(where);
	free(qof);
	free(lat);
	return r;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	uint32_t nq = 10000, na = 20000, steps = 200000, nsteps = 4000;
	int reps = 3;
	struct work w;
	double ed[16], ep[16], nd[16], np[16];

	for (int i = 1; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--queues"))
			nq = v;
		else if (!strcmp(argv[i], "--agents"))
			na = v;
		else if (!strcmp(argv[i], "--steps"))
			steps = v;
		else if (!strcmp(argv[i], "--naive-steps"))
			nsteps = v;
		else if (!strcmp(argv[i], "--reps"))
			reps = (int)v;
		else {
			fprintf(stderr, "acd_bench: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (reps < 1 || reps > 16 || nq < 2 || na < 1 || steps < 1 || nsteps < 1) {
		fprintf(stderr, "acd_bench: bad arguments\n");
		return 2;
	}
	work_build(&w, nq, na);
	printf("acd: %u queues, %u agents (2 queues each, 1 skill per queue), longest-idle\n",
	       nq, na);
	printf("%-6s %-8s %12s %14s %12s %12s\n", "rep", "impl", "decisions", "decisions/s",
	       "offer p50us", "offer p99us");
	for (int r = 0; r < reps; r++) {
		struct result e = run_engine(&w, steps), n = run_naive(&w, nsteps);

		printf("%-6d %-8s %12llu %14.0f %12.2f %12.2f\n", r, "engine",
		       (unsigned long long)e.decisions, e.decisions_per_s, e.offer_us_p50,
		       e.offer_us_p99);
		printf("%-6d %-8s %12llu %14.0f %12.2f %12.2f\n", r, "naive",
		       (unsigned long long)n.decisions, n.decisions_per_s, n.offer_us_p50,
		       n.offer_us_p99);
		ed[r] = e.decisions_per_s;
		ep[r] = e.offer_us_p99;
		nd[r] = n.decisions_per_s;
		np[r] = n.offer_us_p99;
	}
	{
		double e = median(ed, reps), n = median(nd, reps);
		double epp = median(ep, reps), npp = median(np, reps);

		printf("median: engine %.0f decisions/s, naive %.0f (x%.1f); offer p99 %.2f us vs %.2f us\n",
		       e, n, e / n, epp, npp);
		printf("{\"bench\":\"acd\",\"queues\":%u,\"agents\":%u,\"reps\":%d,"
		       "\"decisions_per_s\":%.0f,\"naive_decisions_per_s\":%.0f,\"speedup\":%.1f,"
		       "\"offer_us_p99\":%.2f,\"naive_offer_us_p99\":%.2f}\n",
		       nq, na, reps, e, n, e / n, epp, npp);
	}
	free(w.level);
	free(w.memb);
	free(w.qskill);
	free(w.qlevel);
	return 0;
}
