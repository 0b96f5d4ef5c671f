/* SPDX-License-Identifier: MIT */
/*
 * codec_xcode_t — tones through two transcoding legs, as a call bridging
 * a G.711 phone to an Opus peer and back would carry them:
 *   PCMU (8 kHz) -> sb_xcode -> Opus (PCM at 8, 16 or 48 kHz) ->
 *   sb_xcode -> PCMU -> linear
 * (and PCMA through Opus 48 kHz, PCMU -> PCMA directly).  The output must
 * keep the tone's frequency (zero crossings, within 0.5 %) and its SINAD
 * (power of the fitted sine at the tone's frequency over everything else)
 * must stay above the thresholds below, measured here:
 *   PCMU->PCMA 34 dB; through Opus 24 kbit/s, complexity 5: 24-29 dB
 *   at 8 kHz, 32-33 dB at 16 kHz, 29-30 dB at 48 kHz (speexdsp quality 3
 *   resampling).  Thresholds sit 4-5 dB under the measured values.
 * 1004 Hz rather than 1 kHz: 1 kHz is 8 samples a period at 8 kHz, so the
 * G.711 quantisation error repeats and falls on the tone's own harmonics
 * (it would read ~56 dB); 1004 Hz spreads it as real audio does.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb/codec.h"
#include "sb/g711.h"
#include "test.h"

#define FRAMES 150         /* 3 s of 20 ms */
#define SKIP   25          /* 0.5 s: codec and jitter-buffer delay */
#define AMP    10000.0     /* -10 dBFS */

static int16_t in[FRAMES * 160], out[FRAMES * 160];

struct measure {
	double freq, sinad;
};

static struct measure measure(const int16_t *x, unsigned n, double f)
{
	double a = 0, b = 0, c = 0, tot = 0, res = 0, w = 2 * M_PI * f / 8000, first = -1, last = -1;
	unsigned cross = 0;
	struct measure m;

	for (unsigned i = 0; i < n; i++)
		c += x[i];
	c /= n;
	for (unsigned i = 0; i < n; i++) {
		a += (x[i] - c) * cos(w * i);
		b += (x[i] - c) * sin(w * i);
	}
	a *= 2.0 / n;
	b *= 2.0 / n;
	for (unsigned i = 0; i < n; i++) {
		double e = x[i] - c - a * cos(w * i) - b * sin(w * i);

		res += e * e;
		tot += (x[i] - c) * (x[i] - c);
	}
	/* rising zero crossings, interpolated: cycles over their span */
	for (unsigned i = 1; i < n; i++)
		if (x[i - 1] - c < 0 && x[i] - c >= 0) {
			double t = (i - 1) + (c - x[i - 1]) / (double)(x[i] - x[i - 1]);

			if (first < 0)
				first = t;
			last = t;
			cross++;
		}
	m.freq = cross > 1 ? (cross - 1) * 8000.0 / (last - first) : 0;
	m.sinad = 10 * log10((tot - res) / (res > 1e-9 ? res : 1e-9));
	return m;
}

/* One tone through in_codec -> mid -> in_codec (mid 0: straight through
 * one leg to out_codec). */
/* split: the return leg as a separate sb_dec at the Opus rate and an
 * sb_enc resampling it down (sb_xcode itself would decode straight to
 * 8 kHz), so that path keeps its own check. */
static struct measure through(uint8_t edge, const struct sb_codec_cfg *mid, double f, int split)
{
	static int16_t pcm[SB_CODEC_MAX_FRAME];
	struct sb_dec *d2 = NULL;
	struct sb_enc *e2 = NULL;
	struct sb_codec_cfg g = { .codec = edge, .rate = 8000 };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 200 };
	struct sb_xcode *x1, *x2 = NULL;
	uint8_t pkt[SB_CODEC_MAX_PAYLOAD], pkt2[SB_CODEC_MAX_PAYLOAD];
	uint16_t seq2 = 0;
	struct sb_enc_pkt ep;

	for (unsigned i = 0; i < FRAMES * 160; i++)
		in[i] = (int16_t)lrint(AMP * sin(2 * M_PI * f * i / 8000));
	x1 = sb_xcode_create(&g, mid, &jb);
	T_ASSERT(x1 != NULL);
	if (mid->codec == SB_CODEC_OPUS && split) {
		d2 = sb_dec_create(mid, &jb);
		e2 = sb_enc_create(&g, mid->rate);
		T_ASSERT(d2 != NULL && e2 != NULL);
	} else if (mid->codec == SB_CODEC_OPUS) {
		x2 = sb_xcode_create(mid, &g, &jb);
		T_ASSERT(x2 != NULL);
	}
	memset(out, 0, sizeof(out));
	for (unsigned k = 0; k < FRAMES; k++) {
		int n;

		if (edge == SB_CODEC_PCMU)
			sb_g711_ulaw_encode(pkt, in + k * 160, 160);
		else
			sb_g711_alaw_encode(pkt, in + k * 160, 160);
		T_ASSERT(sb_xcode_rx(x1, pkt, 160, (uint16_t)(7 + k), 1000 + k * 160, k * 160) == 0);
		n = sb_xcode_tick(x1, pkt2, sizeof(pkt2), &ep);
		T_ASSERT(n > 0);
		if (x2 != NULL) {
			T_ASSERT(sb_xcode_rx(x2, pkt2, (unsigned)n, seq2++, 5000 + ep.ts, k * 960) == 0);
			n = sb_xcode_tick(x2, pkt2, sizeof(pkt2), &ep);
			T_ASSERT(n == 160);
		} else if (d2 != NULL) {
			T_ASSERT(sb_dec_rx(d2, pkt2, (unsigned)n, seq2++, 5000 + ep.ts, k * 960) == 0);
			sb_dec_tick(d2, pcm);
			n = sb_enc_encode(e2, pcm, pkt2, sizeof(pkt2), &ep);
			T_ASSERT(n == 160);
		}
		if (g.codec == SB_CODEC_PCMU && mid->codec == SB_CODEC_OPUS)
			sb_g711_ulaw_decode(out + k * 160, pkt2, 160);
		else if (g.codec == SB_CODEC_PCMA && mid->codec == SB_CODEC_OPUS)
			sb_g711_alaw_decode(out + k * 160, pkt2, 160);
		else /* one leg to the other law */
			sb_g711_alaw_decode(out + k * 160, pkt2, 160);
	}
	if (x2 != NULL) {
		T_ASSERT_EQ_U64(sb_dec_stats(sb_xcode_dec(x2))->plc, 0);
		T_ASSERT_EQ_U64(sb_dec_jbuf_stats(sb_xcode_dec(x2))->lost, 0);
	}
	if (d2 != NULL)
		T_ASSERT_EQ_U64(sb_dec_stats(d2)->plc, 0);
	sb_xcode_free(x1);
	sb_xcode_free(x2);
	sb_dec_free(d2);
	sb_enc_free(e2);
	return measure(out + SKIP * 160, (FRAMES - SKIP) * 160, f);
}

int main(void)
{
	static const struct {
		uint8_t edge;
		uint32_t rate;       /* 0: PCMU -> PCMA, no Opus */
		double f, min_sinad;
		int split;
	} cases[] = {
		{ SB_CODEC_PCMU, 0,     1004, 30 },   /* measured 34.0 dB */
		{ SB_CODEC_PCMU, 8000,  1004, 24 },   /* 28.6 */
		{ SB_CODEC_PCMU, 8000,  440,  20 },   /* 24.1 */
		{ SB_CODEC_PCMU, 16000, 1004, 28 },   /* 33.4 */
		{ SB_CODEC_PCMU, 16000, 440,  27 },   /* 31.7 */
		{ SB_CODEC_PCMU, 48000, 1004, 25 },   /* 29.6 */
		{ SB_CODEC_PCMU, 48000, 440,  25 },   /* 29.4 */
		{ SB_CODEC_PCMA, 48000, 1004, 25 },   /* 30.3 */
		/* decoded at 48 / 16 kHz, resampled down by speexdsp */
		{ SB_CODEC_PCMU, 48000, 1004, 25, 1 },
		{ SB_CODEC_PCMU, 16000, 440,  25, 1 },
	};
	int fail = 0;

	printf("%-6s %-16s %6s %10s %9s %9s\n", "edge", "via", "tone", "measured", "SINAD", "min");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_codec_cfg mid = { .codec = SB_CODEC_OPUS, .rate = cases[i].rate,
					    .complexity = 5, .bitrate = 24000 };
		struct measure m;
		char via[32];

		if (cases[i].rate == 0) {
			mid = (struct sb_codec_cfg){ .codec = SB_CODEC_PCMA, .rate = 8000 };
			snprintf(via, sizeof(via), "PCMA");
		} else {
			snprintf(via, sizeof(via), "Opus %uk%s", cases[i].rate / 1000,
				 cases[i].split ? " dec+rs" : "");
		}
		m = through(cases[i].edge, &mid, cases[i].f, cases[i].split);
		printf("%-6s %-16s %6.0f %10.2f %8.1fdB %8.0fdB\n",
		       cases[i].edge == SB_CODEC_PCMU ? "PCMU" : "PCMA", via, cases[i].f, m.freq,
		       m.sinad, cases[i].min_sinad);
		if (fabs(m.freq - cases[i].f) > cases[i].f * 0.005 || m.sinad < cases[i].min_sinad)
			fail = 1;
	}
	return fail;
}
