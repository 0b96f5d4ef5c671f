/* SPDX-License-Identifier: MIT */
/*
 * dp_media_dtmf — DTMF on a real worker, programmed through its command
 * ring:
 *   1. RFC 4733: all 16 digits sent as a phone does (marker, updates every
 *      20 ms, the end three times, then a late fourth copy of the end
 *      among the audio) give exactly 16 SB_EVT_DTMF, in order, with their
 *      durations; the events are relayed (no STRIP);
 *   2. STRIP: telephone-event packets are detected but not forwarded;
 *   3. in-band: the 16 digits as A-law tones with noise on a G.711 leg
 *      (SB_MEDIA_DTMF_INBAND) give 16 events, in order, source INBAND;
 *   4. DTMF_SEND: digits generated on a leg decode (with the library's
 *      RFC 4733 receiver) to the digits asked for, in the leg's own output
 *      stream: same SSRC as the relayed audio, sequence numbers continuous
 *      through relayed audio, digits and relayed audio again; audio
 *      relayed to the leg while digits go out is dropped (MEDIA);
 *   5. DTMF_SEND on a G.711 leg without telephone-event: tones in the
 *      leg's stream that the library's in-band detector hears as the
 *      digits asked for.
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>

#include "sb/dtmf.h"
#include "sb/g711.h"

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

static const char DIGITS[] = "0123456789*#ABCD";
static uint64_t now;

static void tick(void)
{
	sb_dpm_timer(H.w, now);
}

static void media_cmd(uint32_t leg, uint8_t codec, uint8_t pt, uint8_t dtmf_pt, uint32_t flags)
{
	union sb_msg m;

	h_media_init(&m, leg);
	m.media.codec = codec;
	m.media.pt = pt;
	m.media.dtmf_pt = dtmf_pt;
	m.media.dtmf_clock_hz = 8000;
	m.media.clock_hz = 8000;
	m.media.flags = flags;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

static uint16_t seq_a = 100;
static uint32_t ts_a = 5000;

/* 20 ms of PCMU audio from A's peer. */
static unsigned send_audio_a(void)
{
	uint8_t b[200], pl[160];
	struct h_pkt out[2];

	memset(pl, 0xff, sizeof(pl));
	now += h_ms(20);
	tick();
	h_feed(h_udp(PA, 4000, PORT_A, b, h_rtp(b, 0, seq_a++, ts_a, 0x0a0a0a0au, pl, 160)), now);
	ts_a += 160;
	return h_take(out, 2);
}

static unsigned send_event_a(uint8_t ev, bool end, bool marker, uint16_t dur, uint32_t ts)
{
	uint8_t b[64], pl[4] = {ev, (uint8_t)((end ? 0x80 : 0) | 10), (uint8_t)(dur >> 8),
				 (uint8_t)dur};
	struct h_pkt out[2];

	now += h_ms(20);
	tick();
	h_feed(h_udp(PA, 4000, PORT_A, b,
		     h_rtp(b, (uint8_t)((marker ? 0x80 : 0) | 101), seq_a++, ts, 0x0a0a0a0au, pl, 4)),
	       now);
	return h_take(out, 2);
}

static void test_rfc4733(void)
{
	unsigned ev0 = H.n_ev, fwd = 0, k = 0;

	media_cmd(A, SB_DP_CODEC_PCMU, 0, 101, SB_MEDIA_DTMF_4733);
	for (unsigned i = 0; i < 16; i++) {
		uint8_t e = (uint8_t)sb_dtmf_event_of(DIGITS[i]);
		uint32_t ts = ts_a;
		uint16_t dur = (uint16_t)(480 + 160 * (i % 4)); /* 60..120 ms */

		for (uint16_t d = 160; d < dur; d += 160)
			fwd += send_event_a(e, false, d == 160, d, ts);
		for (unsigned r = 0; r < 3; r++)
			fwd += send_event_a(e, true, false, dur, ts);
		ts_a += dur;
		fwd += send_audio_a();
		fwd += send_event_a(e, true, false, dur, ts); /* a late retransmitted end */
		for (unsigned r = 0; r < 3; r++)
			fwd += send_audio_a();
	}
	/* the timer's lost-end poll must not add anything either */
	for (unsigned r = 0; r < 100; r++) {
		now += h_ms(20);
		tick();
	}
	h_drain_events(0, NULL, NULL);
	for (unsigned i = ev0; i < H.n_ev; i++) {
		const struct sb_evt_dtmf *e = &H.ev[i].dtmf_evt;

		if (H.ev[i].h.type != SB_EVT_DTMF)
			continue;
		T_ASSERT(k < 16);
		T_ASSERT_EQ_U64(e->h.leg, A);
		T_ASSERT_EQ_U64(e->digit, (uint8_t)DIGITS[k]);
		T_ASSERT_EQ_U64(e->source, SB_DTMF_SRC_4733);
		T_ASSERT_EQ_U64(e->duration_ms, (480 + 160 * (k % 4)) / 8);
		T_ASSERT_EQ_U64(e->volume, 10);
		k++;
	}
	T_ASSERT_EQ_U64(k, 16);
	T_ASSERT(fwd > 16 * 8); /* relayed to B: events and audio */
	printf("rfc4733: 16 digits, 16 events, %u packets relayed\n", fwd);
}

static void test_strip(void)
{
	unsigned ev0 = H.n_ev, fwd = 0, n = 0;
	uint64_t stripped = H.w->st->drop[SB_DROP_MEDIA];

	media_cmd(A, SB_DP_CODEC_PCMU, 0, 101, SB_MEDIA_DTMF_4733 | SB_MEDIA_DTMF_STRIP);
	for (uint16_t d = 160; d <= 800; d += 160)
		fwd += send_event_a(5, d == 800, d == 160, d, ts_a);
	ts_a += 800;
	fwd += send_audio_a();
	h_drain_events(0, NULL, NULL);
	for (unsigned i = ev0; i < H.n_ev; i++)
		if (H.ev[i].h.type == SB_EVT_DTMF) {
			T_ASSERT_EQ_U64(H.ev[i].dtmf_evt.digit, '5');
			n++;
		}
	T_ASSERT_EQ_U64(n, 1);
	T_ASSERT_EQ_U64(fwd, 1); /* the audio only */
	T_ASSERT_EQ_U64(H.w->st->drop[SB_DROP_MEDIA] - stripped, 5);
	media_cmd(A, SB_DP_CODEC_PCMU, 0, 101, SB_MEDIA_DTMF_4733);
}

static const unsigned ROW[4] = {697, 770, 852, 941}, COL[4] = {1209, 1336, 1477, 1633};
static const char KEYPAD[4][5] = {"123A", "456B", "789C", "*0#D"};

static void tone_freqs(char c, double *f1, double *f2)
{
	for (unsigned r = 0; r < 4; r++)
		for (unsigned k = 0; k < 4; k++)
			if (KEYPAD[r][k] == c) {
				*f1 = ROW[r];
				*f2 = COL[k];
				return;
			}
	T_ASSERT(0);
}

static void test_inband(void)
{
	unsigned ev0 = H.n_ev, k = 0, fwd = 0;
	uint16_t seq = 7;
	uint32_t ts = 1234, n = 0, rs = 12345;
	struct h_pkt out[2];

	media_cmd(C, SB_DP_CODEC_PCMA, 8, 0, SB_MEDIA_DTMF_INBAND);
	/* 16 digits: 100 ms tone, 100 ms pause, white noise 40 dB down */
	for (unsigned i = 0; i < 16 * 10 + 10; i++) {
		uint8_t b[200], pl[160];
		double f1 = 0, f2 = 0;
		unsigned digit = i / 10, on = digit < 16 && (i % 10) < 5;

		if (on)
			tone_freqs(DIGITS[digit], &f1, &f2);
		for (unsigned s = 0; s < 160; s++, n++) {
			double t = n / 8000.0, x = 0;

			rs = rs * 1103515245u + 12345u;
			x = ((double)((rs >> 16) & 0x7fff) / 32768.0 - 0.5) * 200.0;
			if (on)
				x += 5000.0 * sin(2 * M_PI * f1 * t) + 4000.0 * sin(2 * M_PI * f2 * t);
			pl[s] = sb_g711_alaw_enc1((int16_t)lrint(x));
		}
		now += h_ms(20);
		tick();
		h_feed(h_udp(PC, 6000, PORT_C, b, h_rtp(b, 8, seq++, ts, 0x0c0c0c0cu, pl, 160)), now);
		ts += 160;
		fwd += h_take(out, 2);
	}
	h_drain_events(0, NULL, NULL);
	for (unsigned i = ev0; i < H.n_ev; i++) {
		const struct sb_evt_dtmf *e = &H.ev[i].dtmf_evt;

		if (H.ev[i].h.type != SB_EVT_DTMF)
			continue;
		T_ASSERT(k < 16);
		T_ASSERT_EQ_U64(e->h.leg, C);
		T_ASSERT_EQ_U64(e->digit, (uint8_t)DIGITS[k]);
		T_ASSERT_EQ_U64(e->source, SB_DTMF_SRC_INBAND);
		T_ASSERT(e->duration_ms >= 70 && e->duration_ms <= 130);
		k++;
	}
	T_ASSERT_EQ_U64(k, 16);
	T_ASSERT_EQ_U64(fwd, 170); /* audio still relayed */
	printf("in-band: 16 digits in noise, 16 events\n");
}

static void test_send(void)
{
	struct h_pkt cap[400];
	unsigned n = 0, got = 0;
	uint16_t seq_b = 900;
	uint32_t ts_b = 777, ssrc;
	uint64_t dropped = H.w->st->drop[SB_DROP_MEDIA];
	struct sb_dtmf_rx rx;
	char heard[8] = {0};
	union sb_msg m;

	/* relayed audio B -> A first: A's output stream exists */
	for (unsigned i = 0; i < 5; i++) {
		uint8_t b[200], pl[160];

		memset(pl, 0x55, sizeof(pl));
		now += h_ms(20);
		tick();
		h_feed(h_udp(PB, 5000, PORT_B, b, h_rtp(b, 0, seq_b++, ts_b, 0xb0b0b0b0u, pl, 160)),
		       now);
		ts_b += 160;
		n += h_take(&cap[n], 2);
	}
	T_ASSERT_EQ_U64(n, 5);
	memset(&m, 0, sizeof(m));
	m.dtmf.h.type = SB_CMD_DTMF_SEND;
	m.dtmf.h.leg = A;
	m.dtmf.h.leg_gen = 1;
	strcpy(m.dtmf.digits, "159#");
	m.dtmf.duration_ms = 100;
	m.dtmf.gap_ms = 50;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	T_ASSERT_EQ_U64(h_cmd(&m), -EBUSY); /* one sequence at a time */
	strcpy(m.dtmf.digits, "12x");
	m.h.leg = B;
	T_ASSERT_EQ_U64(h_cmd(&m), -ENOTSUP); /* B is no media leg */
	/* 1.2 s: timer every 5 ms, relayed audio every 20 ms */
	for (unsigned i = 0; i < 240; i++) {
		now += h_ms(5);
		tick();
		if (i % 4 == 3) {
			uint8_t b[200], pl[160];

			memset(pl, 0x55, sizeof(pl));
			h_feed(h_udp(PB, 5000, PORT_B, b,
				     h_rtp(b, 0, seq_b++, ts_b, 0xb0b0b0b0u, pl, 160)),
			       now);
			ts_b += 160;
		}
		n += h_take(&cap[n], 4);
		T_ASSERT(n < 390);
	}
	T_ASSERT(H.w->st->drop[SB_DROP_MEDIA] > dropped); /* audio while digits went out */
	sb_dtmf_rx_init(&rx, 8000, 0);
	ssrc = sb_be32(cap[0].b + 8);
	for (unsigned i = 0; i < n; i++) {
		struct sb_dtmf_ev ev[3];
		int r;

		T_ASSERT(cap[i].dst_ip == PA && cap[i].dport == 4000);
		T_ASSERT_EQ_U64(sb_be32(cap[i].b + 8), ssrc);
		if (i > 0)
			T_ASSERT_EQ_U64(sb_be16(cap[i].b + 2), (uint16_t)(sb_be16(cap[i - 1].b + 2) + 1));
		if ((cap[i].b[1] & 0x7f) != 101) {
			T_ASSERT_EQ_U64(cap[i].b[1] & 0x7f, 0);
			continue;
		}
		T_ASSERT_EQ_U64(cap[i].len, 16);
		r = sb_dtmf_rx_packet(&rx, cap[i].b + 12, 4, sb_be32(cap[i].b + 4),
				      sb_be16(cap[i].b + 2), (cap[i].b[1] & 0x80) != 0, i * 5, ev);
		T_ASSERT(r >= 0);
		for (int j = 0; j < r; j++)
			if (ev[j].kind == SB_DTMF_END) {
				T_ASSERT(got < 4);
				T_ASSERT_EQ_U64(ev[j].dur_ms, 100);
				heard[got++] = sb_dtmf_char(ev[j].event);
			}
	}
	T_ASSERT(strcmp(heard, "159#") == 0);
	T_ASSERT((cap[n - 1].b[1] & 0x7f) == 0); /* relaying resumed */
	printf("send: \"%s\" in %u packets, one stream\n", heard, n);
}

/* DTMF_SEND on a G.711 leg without telephone-event: the digits as tones,
 * which the library's in-band detector hears back. */
static void test_send_tones(void)
{
	static struct h_pkt cap[120];
	unsigned n = 0, got = 0;
	struct sb_dtmf_ib ib;
	char heard[8] = {0};
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.dtmf.h.type = SB_CMD_DTMF_SEND;
	m.dtmf.h.leg = C;
	m.dtmf.h.leg_gen = 1;
	strcpy(m.dtmf.digits, "0*D");
	m.dtmf.duration_ms = 100;
	m.dtmf.gap_ms = 60;
	tick();
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	for (unsigned i = 0; i < 200; i++) { /* 1 s */
		now += h_ms(5);
		tick();
		n += h_take(&cap[n], 120 - n);
	}
	T_ASSERT(n >= 24 && n <= 26); /* 3 x 160 ms in 20 ms frames */
	sb_dtmf_ib_init(&ib);
	for (unsigned i = 0; i < n; i++) {
		int16_t pcm[160];
		struct sb_dtmf_ev ev[8];
		unsigned k;

		T_ASSERT(cap[i].dst_ip == PC && (cap[i].b[1] & 0x7f) == 8 && cap[i].len == 172);
		if (i > 0) {
			T_ASSERT_EQ_U64(sb_be16(cap[i].b + 2), (uint16_t)(sb_be16(cap[i - 1].b + 2) + 1));
			T_ASSERT_EQ_U64(sb_be32(cap[i].b + 4) - sb_be32(cap[i - 1].b + 4), 160);
		}
		sb_g711_alaw_decode(pcm, cap[i].b + 12, 160);
		k = sb_dtmf_ib_process(&ib, pcm, 160, sb_be32(cap[i].b + 4), ev, 8);
		for (unsigned j = 0; j < k; j++)
			if (ev[j].kind == SB_DTMF_END && got < 7)
				heard[got++] = sb_dtmf_char(ev[j].event);
	}
	T_ASSERT(strcmp(heard, "0*D") == 0);
	printf("send as tones: \"%s\" heard in band, %u frames\n", heard, n);
}

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	(void)argv;
	rc = h_init("dtmf", 8, 0);
	if (rc != 0)
		return rc;
	now = rte_rdtsc();
	h_leg_add(A, PA, 4000, PORT_A, 0);
	h_leg_add(B, PB, 5000, PORT_B, 0);
	h_leg_add(C, PC, 6000, PORT_C, 0);
	h_leg_add(D, PD, 7000, PORT_D, 0);
	h_connect(A, B);
	h_connect(C, D);
	h_arp(PA, now);
	h_arp(PB, now);
	h_arp(PC, now);
	h_arp(PD, now);
	test_rfc4733();
	test_strip();
	test_inband();
	test_send();
	test_send_tones();
	h_fini();
	printf("dp_media_dtmf: ok\n");
	return 0;
}
