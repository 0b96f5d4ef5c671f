/* SPDX-License-Identifier: MIT */
/*
 * mix_bench — conferences per core through media/mix.c, the SIMD variant
 * (the one sb_mix_s16() selects) against the plain C reference
 * sb_mix_s16_c() in the same run, on one core.
 *
 * One "conference frame" is what a worker does every 20 ms for a 3-party
 * conference of G.711 µ-law legs at 8 kHz: decode 3 x 160 bytes, mix-minus
 * (each hears the other two), encode 3 x 160.  A "supervised call" is the
 * same for caller + agent + supervisor in whisper mode (the agent hears
 * caller and supervisor, the caller only the agent, the supervisor both).
 * --confs conferences each have their own buffers (so the working set is
 * a worker's, not one hot frame); reps alternate reference and SIMD, and
 * each figure is the median of --reps.  Per core = 20 ms / time per frame.
 * Also the mix step alone (3 and 10 parties), where the SIMD gain is.
 *
 * Prints a table, then one JSON object on the last line: conf3_per_core,
 * supervised_per_core (SIMD), the same with _c (reference), simd_speedup
 * (mix step alone, 3 parties), conf3_speedup (whole frame), ns figures and
 * the variant name.  The SSE2 variant is timed too (a column) when the
 * selected one is AVX2.  The reference sums, per output sample, each party
 * heard; the SIMD ones add everyone once and subtract the listener, so
 * their gain is partly the algorithm (it grows with the party count).
 *
 *   mix_bench [--confs N] [--frames F] [--reps R]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb/g711.h"
#include "sb/mix.h"

enum { NS = 160, MAXP = 10 };

struct conf {
	struct sb_mix m;
	unsigned np;
	uint8_t rx[MAXP][NS];     /* µ-law in, per party */
	uint8_t tx[MAXP][NS];     /* µ-law out */
	int16_t lin[MAXP][NS];
	int16_t mixed[MAXP][NS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng = 0x0123456789abcdefull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 40);
}

static struct conf *confs_make(unsigned n, unsigned np, int supervised)
{
	struct conf *c = aligned_alloc(64, ((sizeof(*c) + 63) & ~(size_t)63) * n);

	if (c == NULL) {
		perror("mix_bench: aligned_alloc");
		exit(1);
	}
	for (unsigned k = 0; k < n; k++) {
		sb_mix_init(&c[k].m);
		c[k].np = np;
		if (supervised) {
			sb_mix_supervise(&c[k].m, 0, 1, 2, SB_MIX_SUP_WHISPER);
		} else {
			for (unsigned i = 0; i < np; i++)
				sb_mix_set(&c[k].m, i, SB_MIX_TALK, 0);
		}
		for (unsigned i = 0; i < np; i++)
			for (unsigned s = 0; s < NS; s++)
				c[k].rx[i][s] = rnd8();
	}
	return c;
}

/* ns per conference frame; codec: decode + mix + encode, else mix only */
static double run(struct conf *c, unsigned n, unsigned frames, sb_mix_fn *fn, int codec)
{
	uint64_t t0 = now_ns();
	unsigned sink = 0;

	for (unsigned f = 0; f < frames; f++) {
		for (unsigned k = 0; k < n; k++) {
			struct conf *x = &c[k];
			const int16_t *in[MAXP];
			int16_t *out[MAXP];

			for (unsigned i = 0; i < x->np; i++) {
				if (codec)
					sb_g711_ulaw_decode(x->lin[i], x->rx[i], NS);
				in[i] = x->lin[i];
				out[i] = x->mixed[i];
			}
			fn(&x->m, in, out, NS);
			if (codec)
				for (unsigned i = 0; i < x->np; i++)
					sb_g711_ulaw_encode(x->tx[i], x->mixed[i], NS);
			sink += (unsigned)x->mixed[f % x->np][k % NS];
		}
	}
	__asm__ volatile("" : : "r"(sink));
	return (double)(now_ns() - t0) / ((double)frames * n);
}

struct row {
	const char *name;
	unsigned np;
	int supervised, codec;
	double c_ns, simd_ns, sse2_ns;
};

int main(int argc, char **argv)
{
	unsigned nconf = 1000, frames = 100, reps = 5;
	struct row rows[] = {
		{ "3-party conference (decode+mix+encode)", 3, 0, 1, 0, 0 },
		{ "supervised call, whisper (decode+mix+encode)", 3, 1, 1, 0, 0 },
		{ "mix step only, 3 parties", 3, 0, 0, 0, 0 },
		{ "mix step only, 10 parties", 10, 0, 0, 0, 0 },
	};
	const unsigned nrows = sizeof(rows) / sizeof(rows[0]);
	double *tc, *ts, *t2;
	sb_mix_fn *sse2 = NULL;
	const struct sb_mix_impl *im;
	unsigned nim;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--confs") && i + 1 < argc)
			nconf = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (unsigned)strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: mix_bench [--confs N] [--frames F] [--reps R]\n");
			return 2;
		}
	}
	if (nconf == 0 || frames == 0 || reps == 0) {
		fprintf(stderr, "mix_bench: --confs, --frames and --reps must be > 0\n");
		return 2;
	}
	tc = calloc(reps, sizeof(double));
	ts = calloc(reps, sizeof(double));
	t2 = calloc(reps, sizeof(double));
	im = sb_mix_impls(&nim);
	for (unsigned i = 0; i < nim; i++)
		if (!strcmp(im[i].name, "sse2") && im[i].supported)
			sse2 = im[i].fn;
	if (tc == NULL || ts == NULL || t2 == NULL) {
		perror("mix_bench: calloc");
		return 1;
	}
	printf("mix_bench: %u conferences x %u frames of 20 ms (160 samples, 8 kHz), "
	       "median of %u reps; SIMD variant: %s\n", nconf, frames, reps, sb_mix_impl_name());
	printf("%-46s %12s %12s %8s %14s %14s %10s\n", "", "C ns/frame", "SIMD ns", "x",
	       "C per core", "SIMD per core", "SSE2 ns");
	for (unsigned r = 0; r < nrows; r++) {
		struct conf *c = confs_make(nconf, rows[r].np, rows[r].supervised);

		run(c, nconf, frames / 4 + 1, sb_mix_s16, rows[r].codec);   /* warm */
		for (unsigned k = 0; k < reps; k++) {
			tc[k] = run(c, nconf, frames, sb_mix_s16_c, rows[r].codec);
			ts[k] = run(c, nconf, frames, sb_mix_s16, rows[r].codec);
			t2[k] = sse2 ? run(c, nconf, frames, sse2, rows[r].codec) : 0;
		}
		rows[r].sse2_ns = median(t2, reps);
		rows[r].c_ns = median(tc, reps);
		rows[r].simd_ns = median(ts, reps);
		printf("%-46s %12.1f %12.1f %8.2f %14.0f %14.0f %10.1f\n", rows[r].name,
		       rows[r].c_ns, rows[r].simd_ns, rows[r].c_ns / rows[r].simd_ns,
		       20e6 / rows[r].c_ns, 20e6 / rows[r].simd_ns, rows[r].sse2_ns);
		free(c);
	}
	printf("{\"conf3_per_core\": %.0f, \"conf3_per_core_c\": %.0f, "
	       "\"supervised_per_core\": %.0f, \"supervised_per_core_c\": %.0f, "
	       "\"simd_speedup\": %.2f, \"conf3_speedup\": %.2f, \"mix10_speedup\": %.2f, "
	       "\"conf3_ns\": %.1f, \"conf3_ns_c\": %.1f, \"mix3_ns\": %.1f, \"mix3_ns_c\": %.1f, "
	       "\"mix3_ns_sse2\": %.1f, \"simd\": \"%s\"}\n",
	       20e6 / rows[0].simd_ns, 20e6 / rows[0].c_ns, 20e6 / rows[1].simd_ns,
	       20e6 / rows[1].c_ns, rows[2].c_ns / rows[2].simd_ns, rows[0].c_ns / rows[0].simd_ns,
	       rows[3].c_ns / rows[3].simd_ns, rows[0].simd_ns, rows[0].c_ns, rows[2].simd_ns,
	       rows[2].c_ns, rows[2].sse2_ns, sb_mix_impl_name());
	free(tc);
	free(ts);
	free(t2);
	return 0;
}
