/* SPDX-License-Identifier: MIT */
/*
 * dp_media_xcode — transcoding on a real worker, programmed through its
 * command ring (LEG_MEDIA declares each leg's codec; connected legs with
 * different codecs are transcoded):
 *   1. a 1 kHz tone sent as PCMU on leg A leaves leg B as Opus (one
 *      stream: SSRC kept, sequence +1, timestamp +960 per 20 ms); decoded
 *      with libopus it is still 1 kHz, SNR >= 25 dB;
 *   2. those Opus packets sent back in on B leave A as PCMU: the tone
 *      through G.711 -> Opus -> G.711 keeps its frequency (Goertzel scan
 *      peak at 1000 Hz +- 10) with SNR >= 25 dB (sine fit residual);
 *   3. RFC 4733 across the transcoder: the event leaves B under B's
 *      telephone-event payload type with its duration in B's 48 kHz clock;
 *   4. PCMU <-> PCMA: the table path, byte-exact, payload type mapped;
 *   5. the worker's transcoding packet and tick path allocates nothing
 *      (malloc counted, tests/media/alloc_count.h).
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>
#include <opus.h>

#include "sb/g711.h"

#include "../media/alloc_count.h"
#include "dpm_harness.h"

#define PA H_IP(20)
#define PB H_IP(21)
#define PC H_IP(22)
#define PD H_IP(23)
#define A 0u
#define B 1u
#define C 2u
#define D 3u
#define PORT_A (H_PORT_MIN + 0)
#define PORT_B (H_PORT_MIN + 2)
#define PORT_C (H_PORT_MIN + 4)
#define PORT_D (H_PORT_MIN + 6)
#define N_PKT 150u /* 3 s */

static uint64_t now;

static void media(uint32_t leg, uint8_t codec, uint8_t pt, uint8_t dtmf_pt, uint32_t dtmf_hz)
{
	union sb_msg m;

	h_media_init(&m, leg);
	m.media.codec = codec;
	m.media.pt = pt;
	m.media.dtmf_pt = dtmf_pt;
	m.media.dtmf_clock_hz = dtmf_hz;
	m.media.clock_hz = codec == SB_DP_CODEC_OPUS ? 48000 : 8000;
	m.media.channels = 1;
	m.media.opus_complexity = 0xff;
	m.media.opus_bitrate = 24000;
	m.media.flags = dtmf_pt != 0 ? SB_MEDIA_DTMF_4733 : 0;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

/* Least-squares fit of a sine at f (free amplitude and phase): SNR in dB
 * of the fit against the residual. */
static double sine_snr(const int16_t *x, unsigned n, double f)
{
	double sc = 0, cc = 0, ss = 0, cs = 0, xs = 0, xc = 0, a, b, sig = 0, res = 0;

	for (unsigned i = 0; i < n; i++) {
		double s = sin(2 * M_PI * f * i / 8000.0), c = cos(2 * M_PI * f * i / 8000.0);

		ss += s * s;
		cc += c * c;
		cs += c * s;
		xs += x[i] * s;
		xc += x[i] * c;
	}
	sc = ss * cc - cs * cs;
	a = (xs * cc - xc * cs) / sc;
	b = (xc * ss - xs * cs) / sc;
	for (unsigned i = 0; i < n; i++) {
		double fit = a * sin(2 * M_PI * f * i / 8000.0) + b * cos(2 * M_PI * f * i / 8000.0);

		sig += fit * fit;
		res += (x[i] - fit) * (x[i] - fit);
	}
	return 10.0 * log10(sig / (res > 1e-9 ? res : 1e-9));
}

static double goertzel(const int16_t *x, unsigned n, double f)
{
	double w = 2 * cos(2 * M_PI * f / 8000.0), q1 = 0, q2 = 0;

	for (unsigned i = 0; i < n; i++) {
		double q0 = w * q1 - q2 + x[i];

		q2 = q1;
		q1 = q0;
	}
	return q1 * q1 + q2 * q2 - w * q1 * q2;
}

static void check_tone(const char *what, const int16_t *x, unsigned n, double min_snr)
{
	double best = 0, bf = 0, snr;

	for (double f = 900; f <= 1100; f += 5) {
		double p = goertzel(x, n, f);

		if (p > best) {
			best = p;
			bf = f;
		}
	}
	snr = sine_snr(x, n, 1000.0);
	printf("%s: peak %.0f Hz, SNR %.1f dB (>= %.0f)\n", what, bf, snr, min_snr);
	T_ASSERT(bf >= 990 && bf <= 1010);
	T_ASSERT(snr >= min_snr);
}

static struct h_pkt opus_cap[N_PKT + 20];
static struct h_pkt ulaw_cap[N_PKT + 20];

static void test_opus_loop(void)
{
	static int16_t pcm[(N_PKT + 20) * 160];
	unsigned n_op = 0, n_ul = 0, got = 0;
	OpusDecoder *dec;
	int err;

	/* 1: PCMU in on A, Opus out on B */
	for (unsigned i = 0; i < N_PKT; i++) {
		uint8_t b[200], pl[160];

		for (unsigned s = 0; s < 160; s++)
			pl[s] = sb_g711_ulaw_enc1(
				(int16_t)lrint(8000.0 * sin(2 * M_PI * 1000.0 * (i * 160 + s) / 8000.0)));
		struct rte_mbuf *mb = h_udp(PA, 4000, PORT_A, b,
					    h_rtp(b, 0, (uint16_t)(10 + i), 160 * i, 0xa1a1a1a1u, pl, 160));

		sb_alloc_counting = 1; /* the worker's packet and tick path: no malloc */
		h_feed(mb, now);
		sb_alloc_counting = 0;
		for (unsigned k = 0; k < 4; k++) {
			now += h_ms(5);
			sb_alloc_counting = 1;
			sb_dpm_timer(H.w, now);
			sb_alloc_counting = 0;
			n_op += h_take(&opus_cap[n_op], N_PKT + 20 - n_op);
		}
	}
	T_ASSERT(n_op >= N_PKT - 5 && n_op <= N_PKT + 1);
#ifndef SB_ASAN
	T_ASSERT_EQ_U64(sb_allocs, 0);
#endif
	dec = opus_decoder_create(8000, 1, &err);
	T_ASSERT(dec != NULL);
	for (unsigned i = 0; i < n_op; i++) {
		const struct h_pkt *p = &opus_cap[i];

		T_ASSERT(p->dst_ip == PB && p->dport == 5000 && (p->b[1] & 0x7f) == 111);
		T_ASSERT_EQ_U64(sb_be32(p->b + 8), sb_be32(opus_cap[0].b + 8));
		if (i > 0) {
			T_ASSERT_EQ_U64(sb_be16(p->b + 2), (uint16_t)(sb_be16(opus_cap[i - 1].b + 2) + 1));
			T_ASSERT_EQ_U64(sb_be32(p->b + 4) - sb_be32(opus_cap[i - 1].b + 4), 960);
		}
		T_ASSERT(opus_decode(dec, p->b + 12, (opus_int32)(p->len - 12), &pcm[got], 160, 0) ==
			 160);
		got += 160;
	}
	opus_decoder_destroy(dec);
	/* skip the jitter buffer's start and the codec's warm-up */
	check_tone("G.711 -> Opus", &pcm[20 * 160], got - 40 * 160, 25.0);

	/* 2: those packets back in on B (as the Opus peer sends them), PCMU out on A */
	for (unsigned i = 0; i < n_op; i++) {
		uint8_t b[1500];
		unsigned len = opus_cap[i].len;

		memcpy(b, opus_cap[i].b, len);
		sb_put_be16(b + 2, (uint16_t)(300 + i));
		sb_put_be32(b + 4, 48000u + 960u * i);
		sb_put_be32(b + 8, 0xb2b2b2b2u);
		b[1] &= 0x7f;
		h_feed(h_udp(PB, 5000, PORT_B, b, len), now);
		for (unsigned k = 0; k < 4; k++) {
			now += h_ms(5);
			sb_dpm_timer(H.w, now);
			struct h_pkt tmp[4];
			unsigned t = h_take(tmp, 4);

			/* A's own transcoder plays out its jitter buffer to B for a while */
			for (unsigned j = 0; j < t; j++)
				if (tmp[j].dst_ip == PA && n_ul < N_PKT + 20)
					ulaw_cap[n_ul++] = tmp[j];
		}
	}
	T_ASSERT(n_ul >= n_op - 5);
	got = 0;
	for (unsigned i = 0; i < n_ul; i++) {
		T_ASSERT(ulaw_cap[i].dst_ip == PA && (ulaw_cap[i].b[1] & 0x7f) == 0);
		T_ASSERT_EQ_U64(ulaw_cap[i].len, 172);
		sb_g711_ulaw_decode(&pcm[got], ulaw_cap[i].b + 12, 160);
		got += 160;
	}
	check_tone("G.711 -> Opus -> G.711", &pcm[30 * 160], got - 50 * 160, 25.0);
	/* the output stream of A continues across the spurt: one SSRC */
	for (unsigned i = 1; i < n_ul; i++)
		T_ASSERT_EQ_U64(sb_be16(ulaw_cap[i].b + 2), (uint16_t)(sb_be16(ulaw_cap[i - 1].b + 2) + 1));
}

static void test_dtmf_across(void)
{
	uint8_t b[64], pl[4] = {7, 0x80 | 10, 0x03, 0x20}; /* '7', end, 800 */
	struct h_pkt out[4];
	unsigned n;

	now += h_ms(20);
	h_feed(h_udp(PA, 4000, PORT_A, b, h_rtp(b, 0x80 | 101, 5000, 99999, 0xa1a1a1a1u, pl, 4)), now);
	n = h_take(out, 4);
	T_ASSERT_EQ_U64(n, 1);
	T_ASSERT(out[0].dst_ip == PB && (out[0].b[1] & 0x7f) == 110);
	T_ASSERT_EQ_U64(out[0].b[12], 7);
	T_ASSERT_EQ_U64(sb_be16(out[0].b + 14), 800 * 6);
}

static void test_g711_table(void)
{
	for (unsigned i = 0; i < 20; i++) {
		uint8_t b[200], pl[160], want[160];
		struct h_pkt out[2];

		for (unsigned s = 0; s < 160; s++)
			pl[s] = (uint8_t)(i * 37 + s * 11);
		now += h_ms(20);
		if (i & 1) { /* PCMA from D's peer -> PCMU to C's peer */
			h_feed(h_udp(PD, 7000, PORT_D, b, h_rtp(b, 8, (uint16_t)i, 160 * i, 0xd, pl, 160)),
			       now);
			sb_g711_alaw_to_ulaw(want, pl, 160);
			T_ASSERT_EQ_U64(h_take(out, 2), 1);
			T_ASSERT(out[0].dst_ip == PC && (out[0].b[1] & 0x7f) == 0);
		} else {
			h_feed(h_udp(PC, 6000, PORT_C, b, h_rtp(b, 0, (uint16_t)i, 160 * i, 0xc, pl, 160)),
			       now);
			sb_g711_ulaw_to_alaw(want, pl, 160);
			T_ASSERT_EQ_U64(h_take(out, 2), 1);
			T_ASSERT(out[0].dst_ip == PD && (out[0].b[1] & 0x7f) == 8);
		}
		T_ASSERT(out[0].len == 172 && memcmp(out[0].b + 12, want, 160) == 0);
	}
	printf("PCMU <-> PCMA: 20 packets byte-exact\n");
}

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	(void)argv;
	rc = h_init("xcode", 8, 0);
	if (rc != 0)
		return rc;
	now = rte_rdtsc();
	h_leg_add(A, PA, 4000, PORT_A, 0);
	h_leg_add(B, PB, 5000, PORT_B, 0);
	h_leg_add(C, PC, 6000, PORT_C, 0);
	h_leg_add(D, PD, 7000, PORT_D, 0);
	h_connect(A, B);
	h_connect(C, D);
	media(A, SB_DP_CODEC_PCMU, 0, 101, 8000);
	media(B, SB_DP_CODEC_OPUS, 111, 110, 48000);
	media(C, SB_DP_CODEC_PCMU, 0, 0, 0);
	media(D, SB_DP_CODEC_PCMA, 8, 0, 0);
	h_arp(PA, now);
	h_arp(PB, now);
	h_arp(PC, now);
	h_arp(PD, now);
	sb_dpm_timer(H.w, now);
	test_opus_loop();
	test_dtmf_across();
	test_g711_table();
	h_fini();
	printf("dp_media_xcode: ok\n");
	return 0;
}
