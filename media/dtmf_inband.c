/* SPDX-License-Identifier: MIT */
/*
 * dtmf_inband.c — DTMF tones in 8 kHz linear PCM (decoded G.711), with
 * Goertzel filters run sample by sample, so a block may straddle frames
 * and the per-leg state is just the filters' two taps.
 *
 * Per block of SB_DTMF_IB_BLOCK samples: the power at the 8 DTMF
 * frequencies and at their 2nd harmonics, and the block's total energy.
 * The block holds digit (r, c) when, with r and c the strongest row and
 * column:
 *   level     each at least MIN_LEVEL (-30 dBm0),
 *   twist     column at most 8 dB above the row ("normal" twist) and row
 *             at most 4 dB above the column (reverse), as Q.24 / EIA-464,
 *   peaks     every other row (column) at least 8 dB below the best one,
 *   harmonic  the 2nd harmonic of each at least 10 dB below it (the
 *             row's only where no column tone leaks into it): voiced
 *             speech that happens to hit a row and a column carries its
 *             harmonics with it, a DTMF generator does not (talk-off),
 *   energy    the pair is at least 70 % of the block's energy: speech and
 *             music spread theirs, a DTMF signal (even with noise at 20 dB
 *             SNR) concentrates it.
 * A block less than ~70 % filled by a tone fails the energy test, so
 * durations are counted in (nearly) whole blocks of tone.  The begin/end
 * debounce is in sb/dtmf.h.  Frequencies within +-1.5 % are accepted
 * (tested); there is no explicit rejection of +-3.5 % (Q.24 asks for it):
 * the 78 Hz bins only attenuate such tones by 1-3 dB.  Cost: ~1-2.5 µs
 * per 20 ms frame (16 filters, 4 per SIMD lane; the per-sample recursion
 * is the latency chain).
 */
#include <math.h>
#include <string.h>

#include "sb/dtmf.h"

#define N_TONES 8

static const float dtmf_freq[N_TONES] = { 697, 770, 852, 941, 1209, 1336, 1477, 1633 };

/* 2 cos(2 pi f / 8000) for the tones (0-7) and 2nd harmonics (8-15) */
static float coef[16];

/* row r (0-3) x column c (0-3) -> event code */
static const uint8_t keypad[4][4] = {
	{ 1, 2, 3, 12 },
	{ 4, 5, 6, 13 },
	{ 7, 8, 9, 14 },
	{ 10, 0, 11, 15 },
};

/* Amplitude of a 0 dBm0 sine in 16-bit linear G.711 (3.17 dBm0 is the
 * µ-law peak 8159 << 2). */
#define A_0DBM0   22662.0f
#define MIN_LEVEL (A_0DBM0 * 0.0316228f)  /* -30 dBm0 */
#define TWIST_NORMAL   6.31f   /* 8 dB, column above row, power ratio */
#define TWIST_REVERSE  2.51f   /* 4 dB, row above column */
#define REL_PEAK       6.31f   /* 8 dB */
#define HARM_RATIO     0.1f    /* 10 dB */
#define ENERGY_RATIO   0.7f

#define NONE 0xff
#define BIN_HZ (8000.0f / SB_DTMF_IB_BLOCK)

__attribute__((constructor)) static void dtmf_ib_coefs(void)
{
	for (unsigned i = 0; i < N_TONES; i++) {
		coef[i] = (float)(2.0 * cos(2.0 * M_PI * dtmf_freq[i] / 8000.0));
		coef[N_TONES + i] = (float)(2.0 * cos(2.0 * M_PI * 2.0 * dtmf_freq[i] / 8000.0));
	}
}

void sb_dtmf_ib_init(struct sb_dtmf_ib *d)
{
	memset(d, 0, sizeof(*d));
	d->cand = NONE;
	d->digit = NONE;
}

/* Power of filter k as the squared amplitude of the sine that would give
 * it (|X|^2 * 4 / N^2), so thresholds read in signal terms. */
static float ib_power(const struct sb_dtmf_ib *d, unsigned k)
{
	float q1 = d->q1[k], q2 = d->q2[k];
	float p = q1 * q1 + q2 * q2 - coef[k] * q1 * q2;

	return p * (4.0f / ((float)SB_DTMF_IB_BLOCK * SB_DTMF_IB_BLOCK));
}

/* The digit this block holds, or NONE. */
static unsigned ib_classify(struct sb_dtmf_ib *d)
{
	float p[16], total;
	unsigned r = 0, c = 4;

	for (unsigned k = 0; k < 16; k++)
		p[k] = ib_power(d, k);
	for (unsigned k = 1; k < 4; k++)
		if (p[k] > p[r])
			r = k;
	for (unsigned k = 5; k < 8; k++)
		if (p[k] > p[c])
			c = k;
	if (p[r] < MIN_LEVEL * MIN_LEVEL || p[c] < MIN_LEVEL * MIN_LEVEL)
		return NONE;
	if (p[c] > p[r] * TWIST_NORMAL || p[r] > p[c] * TWIST_REVERSE) {
		d->st.rej_twist++;
		return NONE;
	}
	for (unsigned k = 0; k < 8; k++) {
		if (k == r || k == c)
			continue;
		if (p[k] * REL_PEAK > (k < 4 ? p[r] : p[c])) {
			d->st.rej_peak++;
			return NONE;
		}
	}
	/* A row's 2nd harmonic lies within one bin of some columns (2 x 697 =
	 * 1394 vs 1336 Hz; 1540 vs 1477; 1704 vs 1633), whose tone leaks
	 * into it: check it only where it is 2 bins clear of the column. */
	if (p[8 + c] > p[c] * HARM_RATIO ||
	    (fabsf(2 * dtmf_freq[r] - dtmf_freq[c]) > 2 * BIN_HZ && p[8 + r] > p[r] * HARM_RATIO)) {
		d->st.rej_harm++;
		return NONE;
	}
	/* a sine of amplitude A has mean power A^2 / 2 */
	total = d->energy * (2.0f / SB_DTMF_IB_BLOCK);
	if (p[r] + p[c] < ENERGY_RATIO * total) {
		d->st.rej_energy++;
		return NONE;
	}
	return keypad[r][c - 4];
}

static void ib_emit(struct sb_dtmf_ib *d, struct sb_dtmf_ev *out, unsigned max_out,
		    unsigned *n, unsigned kind)
{
	struct sb_dtmf_ev *e;
	uint32_t dur = kind == SB_DTMF_END ? (uint32_t)d->blocks_span * SB_DTMF_IB_BLOCK : 0;

	if (*n >= max_out) {
		d->st.ev_lost++;
		return;
	}
	e = &out[(*n)++];
	memset(e, 0, sizeof(*e));
	e->event = d->digit;
	e->kind = (uint8_t)kind;
	e->src = SB_DTMF_FROM_INBAND;
	e->ts = d->start_ts;
	e->dur_ts = dur;
	e->dur_ms = (uint16_t)(dur / 8 > UINT16_MAX ? UINT16_MAX : dur / 8);
}

/* One finished block: debounce (SB_DTMF_IB_HITS to begin, _MISSES to end). */
static void ib_block(struct sb_dtmf_ib *d, struct sb_dtmf_ev *out, unsigned max_out,
		     unsigned *n)
{
	unsigned c = ib_classify(d);

	d->st.blocks++;
	d->st.hits += c != NONE;
	if (c == d->cand) {
		if (d->cand_hits < UINT8_MAX)
			d->cand_hits++;
	} else {
		d->cand = (uint8_t)c;
		d->cand_hits = 1;
		d->cand_ts = d->block_ts;
	}
	if (d->digit != NONE) {
		if (c == d->digit) {
			d->misses = 0;
			/* whole blocks from the first hit to this one */
			d->blocks_span = (uint16_t)((d->block_ts - d->start_ts) / SB_DTMF_IB_BLOCK + 1);
		} else if (++d->misses >= SB_DTMF_IB_MISSES) {
			ib_emit(d, out, max_out, n, SB_DTMF_END);
			d->digit = NONE;
		}
	}
	if (d->digit == NONE && c != NONE && d->cand_hits >= SB_DTMF_IB_HITS) {
		d->digit = (uint8_t)c;
		d->start_ts = d->cand_ts;
		d->blocks_span = d->cand_hits;
		d->misses = 0;
		d->st.digits++;
		ib_emit(d, out, max_out, n, SB_DTMF_BEGIN);
	}
}

/* 4 floats: GCC/clang vector extension (SSE on x86-64, NEON on arm64,
 * plain code elsewhere), so the 16 filters run as 4 independent lanes
 * whatever the optimisation level */
typedef float v4sf __attribute__((vector_size(16)));

unsigned sb_dtmf_ib_process(struct sb_dtmf_ib *d, const int16_t *pcm, unsigned n, uint32_t ts,
			    struct sb_dtmf_ev *out, unsigned max_out)
{
	unsigned nev = 0, i = 0;
	v4sf c[4];

	memcpy(c, coef, sizeof(c));
	while (i < n) {
		/* the rest of this block, with the taps in registers */
		unsigned left = (unsigned)SB_DTMF_IB_BLOCK - d->n, run = left < n - i ? left : n - i;
		v4sf q1[4], q2[4];
		float e = d->energy;

		if (d->n == 0)
			d->block_ts = ts + i;
		memcpy(q1, d->q1, sizeof(q1));
		memcpy(q2, d->q2, sizeof(q2));
		for (unsigned j = 0; j < run; j++) {
			float x = pcm[i + j];
			v4sf xv = { x, x, x, x };

			for (unsigned k = 0; k < 4; k++) {
				v4sf s = xv + c[k] * q1[k] - q2[k];

				q2[k] = q1[k];
				q1[k] = s;
			}
			e += x * x;
		}
		memcpy(d->q1, q1, sizeof(q1));
		memcpy(d->q2, q2, sizeof(q2));
		d->energy = e;
		d->n = (uint16_t)(d->n + run);
		i += run;
		if (d->n == SB_DTMF_IB_BLOCK) {
			ib_block(d, out, max_out, &nev);
			memset(d->q1, 0, sizeof(d->q1));
			memset(d->q2, 0, sizeof(d->q2));
			d->energy = 0;
			d->n = 0;
		}
	}
	return nev;
}
