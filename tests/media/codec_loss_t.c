/* SPDX-License-Identifier: MIT */
/*
 * codec_loss_t — concealment and silence on decoded legs (sb/codec.h):
 *   1. Opus in-band FEC: a speech-like signal (gliding harmonics, syllabic
 *      envelope) encoded at 16 kHz with FEC; one packet in 8 lost.  The
 *      lost frames rebuilt from the next packet's FEC must be closer to
 *      the loss-free decode (SNR over the lost frames) than Opus PLC alone.
 *   2. Opus DTX: tone, 2 s of silence, tone.  The encoder stops sending;
 *      the receiver counts no loss, no late packet, no concealment, and
 *      the tone after the silence is intact.
 *   3. G.711 PLC (pitch repeat): a 200 Hz voiced signal with one packet in
 *      10 lost is concealed far better than fading to silence (0 dB).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb/codec.h"
#include "sb/g711.h"
#include "test.h"

#define NF 250             /* 5 s of 20 ms frames */

static double snr_db(const int16_t *ref, const int16_t *x, unsigned n)
{
	double s = 0, e = 0;

	for (unsigned i = 0; i < n; i++) {
		s += (double)ref[i] * ref[i];
		e += ((double)ref[i] - x[i]) * ((double)ref[i] - x[i]);
	}
	return 10 * log10(s / (e > 1 ? e : 1));
}

/* ---- 1. FEC vs PLC ---- */

static uint8_t pk[NF][SB_CODEC_MAX_PAYLOAD];
static int pklen[NF];
static uint32_t pkts[NF];
static int16_t ref[NF * 320];

static void decode(int fec, unsigned lose_mod, int16_t *o, const struct sb_dec_stats **stp,
		   struct sb_dec **keep)
{
	struct sb_codec_cfg c = { .codec = SB_CODEC_OPUS, .rate = 16000, .fec = (uint8_t)fec };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 40 };
	struct sb_dec *d = sb_dec_create(&c, &jb);

	T_ASSERT(d != NULL);
	/* 40 ms = two packets: frame j plays at tick j + 1 */
	for (unsigned k = 0; k < NF + 1; k++) {
		if (k < NF && !(lose_mod && k >= 10 && k % lose_mod == 3))
			T_ASSERT(sb_dec_rx(d, pk[k], (unsigned)pklen[k], (uint16_t)(60000 + k),
					   pkts[k], k * 960) == 0);
		if (k >= 1)       /* o[] aligned with the input */
			sb_dec_tick(d, o + (k - 1) * 320);
		else
			sb_dec_tick(d, o + NF * 320 - 320);  /* scratch (WAIT) */
	}
	*stp = sb_dec_stats(d);
	*keep = d;
}

static void test_fec(void)
{
	struct sb_codec_cfg c = { .codec = SB_CODEC_OPUS, .rate = 16000, .complexity = 5,
				  .fec = 1, .loss_pct = 20, .bitrate = 24000 };
	struct sb_enc *e = sb_enc_create(&c, 16000);
	static int16_t sig[NF * 320], fec_out[NF * 320], plc_out[NF * 320];
	const struct sb_dec_stats *st;
	struct sb_dec *d1, *d2, *d3;
	struct sb_enc_pkt ep;
	double ph = 0, s_fec = 0, s_plc = 0;
	unsigned nlost = 0;

	T_ASSERT(e != NULL);
	for (unsigned i = 0; i < NF * 320; i++) {
		double t = i / 16000.0, f0 = 140 + 60 * sin(2 * M_PI * 1.3 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.7 * t);

		ph += 2 * M_PI * f0 / 16000;
		sig[i] = (int16_t)(env * (5000 * sin(ph) + 3000 * sin(2 * ph) + 2000 * sin(3 * ph) +
					  1200 * sin(5 * ph)));
	}
	for (unsigned k = 0; k < NF; k++) {
		pklen[k] = sb_enc_encode(e, sig + k * 320, pk[k], SB_CODEC_MAX_PAYLOAD, &ep);
		T_ASSERT(pklen[k] > 0);
		pkts[k] = 0xFFFF0000u + ep.ts;            /* wraps mid-stream */
	}
	sb_enc_free(e);
	decode(1, 0, ref, &st, &d1);
	decode(1, 8, fec_out, &st, &d2);
	nlost = (unsigned)sb_dec_jbuf_stats(d2)->lost;
	T_ASSERT_EQ_U64(nlost, 30);                   /* 11, 19, ... 243 */
	T_ASSERT_EQ_U64(st->fec, nlost);
	T_ASSERT_EQ_U64(st->plc, 0);
	decode(0, 8, plc_out, &st, &d3);
	T_ASSERT_EQ_U64(st->fec, 0);
	T_ASSERT_EQ_U64(st->plc, nlost);
	/* SNR against the loss-free decode over each lost frame */
	for (unsigned k = 10; k < NF; k++)
		if (k % 8 == 3) {
			s_fec += snr_db(ref + k * 320, fec_out + k * 320, 320);
			s_plc += snr_db(ref + k * 320, plc_out + k * 320, 320);
		}
	s_fec /= nlost;
	s_plc /= nlost;
	printf("opus 16k FEC: %u lost frames, mean SNR vs loss-free: FEC %.1f dB, PLC %.1f dB\n",
	       nlost, s_fec, s_plc);
	T_ASSERT(s_fec > s_plc + 6);                  /* measured 13.5 vs 1.3 dB */
	sb_dec_free(d1);
	sb_dec_free(d2);
	sb_dec_free(d3);
}

/* ---- 2. DTX ---- */

static void test_dtx(void)
{
	struct sb_codec_cfg c = { .codec = SB_CODEC_OPUS, .rate = 16000, .complexity = 5,
				  .dtx = 1, .bitrate = 24000 };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 200 };
	struct sb_enc *e = sb_enc_create(&c, 16000);
	struct sb_dec *d = sb_dec_create(&c, &jb);
	static int16_t sig[NF * 320], o[NF * 320 + 320];
	uint8_t p[SB_CODEC_MAX_PAYLOAD];
	const struct sb_jbuf_stats *js;
	const struct sb_dec_stats *ds;
	struct sb_enc_pkt ep;
	uint16_t seq = 1;
	unsigned sent = 0, markers = 0;
	double sil = 0, tone_s = 0, tone_e = 0, w = 2 * M_PI * 1004 / 16000;

	T_ASSERT(e != NULL && d != NULL);
	for (unsigned i = 0; i < NF * 320; i++) {
		unsigned f = i / 320;

		sig[i] = (f < 50 || f >= 150) ? (int16_t)(8000 * sin(w * i)) : 0;
	}
	for (unsigned k = 0; k < NF; k++) {
		int n = sb_enc_encode(e, sig + k * 320, p, sizeof(p), &ep);

		T_ASSERT(n >= 0);
		if (n > 0) {
			sent++;
			markers += ep.marker;
			T_ASSERT(sb_dec_rx(d, p, (unsigned)n, seq++, 777 + ep.ts, k * 960) == 0);
		}
		sb_dec_tick(d, o + k * 320);
	}
	js = sb_dec_jbuf_stats(d);
	ds = sb_dec_stats(d);
	printf("opus 16k DTX: %u of %u frames sent (%llu DTX), receiver: lost %llu late %llu "
	       "plc %llu, empty %llu gap %llu\n", sent, NF,
	       (unsigned long long)sb_enc_stats(e)->dtx, (unsigned long long)js->lost,
	       (unsigned long long)js->drop[SB_JBUF_DROP_LATE], (unsigned long long)ds->plc,
	       (unsigned long long)ds->empty, (unsigned long long)js->gap);
	T_ASSERT(sb_enc_stats(e)->dtx > 50);          /* the silence was not sent */
	T_ASSERT(markers >= 2);                       /* first packet, after DTX */
	T_ASSERT_EQ_U64(js->lost, 0);
	T_ASSERT_EQ_U64(js->drop[SB_JBUF_DROP_LATE], 0);
	T_ASSERT_EQ_U64(ds->plc, 0);
	T_ASSERT_EQ_U64(ds->bad, 0);
	/* quiet in the middle of the silence, tone back afterwards (the
	 * output lags the input by the 40 ms jitter delay) */
	for (unsigned i = 80 * 320; i < 120 * 320; i++)
		sil += (double)o[i] * o[i];
	sil = sqrt(sil / (40 * 320));
	for (unsigned i = 180 * 320; i < 240 * 320; i++) {
		tone_s += o[i] * sin(w * i);
		tone_e += (double)o[i] * o[i];
	}
	tone_s = 2 * tone_s / (60 * 320);             /* amplitude at 1004 Hz */
	tone_e = sqrt(tone_e / (60 * 320));
	printf("opus 16k DTX: rms in silence %.1f, tone after: rms %.0f, amplitude at 1004 Hz %.0f\n",
	       sil, tone_e, fabs(tone_s));
	T_ASSERT(sil < 100);
	T_ASSERT(tone_e > 4000);
	sb_enc_free(e);
	sb_dec_free(d);
}

/* ---- 3. G.711 PLC ---- */

static void test_g711_plc(void)
{
	struct sb_codec_cfg c = { .codec = SB_CODEC_PCMU, .rate = 8000 };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 40 };
	static int16_t sig[NF * 160], r[NF * 160 + 160], o[NF * 160 + 160];
	static uint8_t u[NF * 160];
	double s = 0;
	unsigned nl = 0;

	for (unsigned i = 0; i < NF * 160; i++) {
		double ph = 2 * M_PI * 200 * i / 8000;

		sig[i] = (int16_t)(6000 * sin(ph) + 3000 * sin(2 * ph + 1) + 1500 * sin(3 * ph + 2));
	}
	sb_g711_ulaw_encode(u, sig, NF * 160);
	for (int lossy = 0; lossy < 2; lossy++) {
		struct sb_dec *d = sb_dec_create(&c, &jb);
		int16_t *dst = lossy ? o : r;

		T_ASSERT(d != NULL);
		for (unsigned k = 0; k < NF + 1; k++) {
			if (k < NF && !(lossy && k >= 10 && k % 10 == 5))
				T_ASSERT(sb_dec_rx(d, u + k * 160, 160, (uint16_t)k, k * 160, k * 160) == 0);
			sb_dec_tick(d, dst + (k >= 1 ? (k - 1) * 160 : NF * 160));
		}
		if (lossy) {
			nl = (unsigned)sb_dec_stats(d)->plc;
			T_ASSERT_EQ_U64(sb_dec_jbuf_stats(d)->lost, nl);
		}
		sb_dec_free(d);
	}
	for (unsigned k = 10; k < NF; k++)
		if (k % 10 == 5)
			s += snr_db(r + k * 160, o + k * 160, 160);
	s /= nl;
	printf("g711 PLC: %u lost frames of a 200 Hz voiced signal, mean SNR %.1f dB "
	       "(fade to silence: 0 dB)\n", nl, s);
	T_ASSERT(nl == 24);
	T_ASSERT(s > 12);                             /* measured 21.1 dB */
}

int main(void)
{
	test_fec();
	test_dtx();
	test_g711_plc();
	return 0;
}
