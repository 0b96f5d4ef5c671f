/* SPDX-License-Identifier: MIT */
/*
 * rec_super: a supervisor's whisper/barge audio in the recording (issue 7,
 * `recording: supervisor: true`), through the real recorder into real
 * files.  3 s calls: caller 1 kHz (mu-law) on SB_REC_CALLER, agent 2 kHz
 * (A-law) on SB_REC_AGENT; on calls 1..3 a supervisor says 3 kHz on
 * SB_REC_SUPER from 1.0 s to 2.0 s, its RTP timestamps on a base of its
 * own (it anchors where the call is when it joins), then leaves.
 *   1 PCM16 stereo: right = 2 kHz + 3 kHz while the supervisor speaks,
 *     2 kHz alone before and after; left 1 kHz only, never 3 kHz;
 *   2 mu-law stereo: the same (G.711 decode, sum, encode);
 *   3 mono WAV: the mix holds all three while it speaks, no 3 kHz after;
 *   4 the policy off (control never attaches a supervisor leg, so the
 *     recorder gets no SB_REC_SUPER frame): no 3 kHz anywhere;
 *   5 pcapng: three interfaces, the supervisor's packets on interface 2.
 * Checked by Goertzel over windows that start 100 ms inside each stretch.
 */
#include "rec_test.h"

#define SECS 3
#define NFR (SECS * 50)
#define SUP_FROM 50  /* frames: 1.0 s */
#define SUP_TO 100   /* 2.0 s */

/* x[0..n) holds hz: a clear tone (see tone_is for the scale) */
static int has(const int16_t *x, size_t n, double hz)
{
	double a = goertzel(x, n, hz);

	if (a <= 1e5)
		fprintf(stderr, "missing %.0f Hz: power %.3g\n", hz, a);
	return a > 1e5;
}

/* x[0..n) does not hold hz: 100 times less power than ref */
static int lacks(const int16_t *x, size_t n, double hz, double ref)
{
	double a = goertzel(x, n, hz), b = goertzel(x, n, ref);

	if (!(a * 100.0 < b))
		fprintf(stderr, "%.0f Hz present: power %.3g vs %.0f Hz %.3g\n", hz, a, ref, b);
	return a * 100.0 < b;
}

static int check_stereo(const char *path, unsigned fmt, bool sup)
{
	struct wav w;
	const int16_t *l, *r;

	T_ASSERT(wav_read(path, &w) == 0);
	T_ASSERT(w.fmt == fmt);
	T_ASSERT_EQ_U64(w.frames, SECS * 8000);
	l = w.l;
	r = w.r;
	/* before: 0.1..0.9 s */
	T_ASSERT(has(l + 800, 6400, 1000) && lacks(l + 800, 6400, 3000, 1000));
	T_ASSERT(has(r + 800, 6400, 2000) && lacks(r + 800, 6400, 3000, 2000));
	/* while the supervisor speaks: 1.1..1.9 s */
	T_ASSERT(has(l + 8800, 6400, 1000) && lacks(l + 8800, 6400, 3000, 1000));
	T_ASSERT(lacks(l + 8800, 6400, 2000, 1000));
	T_ASSERT(has(r + 8800, 6400, 2000));
	if (sup)
		T_ASSERT(has(r + 8800, 6400, 3000));
	else
		T_ASSERT(lacks(r + 8800, 6400, 3000, 2000));
	T_ASSERT(lacks(r + 8800, 6400, 1000, 2000));
	/* after it left: 2.1..2.9 s */
	T_ASSERT(has(r + 16800, 6400, 2000) && lacks(r + 16800, 6400, 3000, 2000));
	T_ASSERT(has(l + 16800, 6400, 1000) && lacks(l + 16800, 6400, 3000, 1000));
	wav_free(&w);
	return 0;
}

static uint8_t *file_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b == NULL || fread(b, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(b);
		return NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return b;
}

/* a captured packet of chan: prefix + a 12-byte RTP header + 160 bytes */
static void pkt_frames(struct sb_rec_frame *f, unsigned chan, unsigned k)
{
	struct sb_rec_pkt pk = {
		.time_ns = 1700000000000000000ull + (uint64_t)k * 20000000u,
		.src_ip = 0x0100000a, .dst_ip = 0x0200000a,
		.src_port = 0x1027, .dst_port = 0x2027,
		.orig_len = 172, .cap_len = 172,
	};
	uint8_t buf[sizeof(pk) + 172];
	unsigned total = sizeof(buf);

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &pk, sizeof(pk));
	buf[sizeof(pk)] = 0x80;
	for (unsigned i = 0, off = 0; i < 2; i++) {
		unsigned l = total - off < SB_REC_PAYLOAD_MAX ? total - off : SB_REC_PAYLOAD_MAX;

		memset(&f[i], 0, sizeof(f[i]));
		f[i].call_id = 5;
		f[i].chan = (uint8_t)chan;
		f[i].codec = SB_REC_PKT;
		f[i].len = (uint16_t)l;
		f[i].flags = (i ? SB_REC_FRAME_CONT : SB_REC_FRAME_MORE);
		memcpy(f[i].payload, buf + off, l);
		off += l;
	}
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 4096, .max_calls = 8,
		.nbufs = 32, .buf_size = 64 * 1024, .segment_ms = 1000,
	};
	static const unsigned fmts[5] = {SB_REC_FMT_PCM16, SB_REC_FMT_ULAW, SB_REC_FMT_MONO,
					 SB_REC_FMT_PCM16, SB_REC_FMT_PCAP};
	static const char *const names[5] = {"pcm16.wav", "ulaw.wav", "mono.wav", "off.wav",
					     "pcap.pcapng"};
	struct sb_rec_event ev[32];
	char p[5][300];
	struct sb_rec *r;
	unsigned nev, closed = 0;

	if (t_dir_make("/var/tmp/sb-rec-super.XXXXXX") < 0)
		return T_SKIP;
	r = sb_rec_create(&cfg);
	if (r == NULL) {
		fprintf(stderr, "sb_rec_create: %s\n", strerror(errno));
		return errno == ENOSYS || errno == EPERM ? T_SKIP : 1;
	}
	for (unsigned i = 0; i < 5; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%s", t_dir, names[i]);
		T_ASSERT(sb_rec_start(r, i + 1, p[i], fmts[i]) == 0);
	}
	sb_rec_poll(r);
	for (unsigned k = 0; k < NFR; k++) {
		struct sb_rec_frame f[16];
		unsigned n = 0;
		bool sup = k >= SUP_FROM && k < SUP_TO;

		for (unsigned c = 1; c <= 4; c++) {
			tone_frame(&f[n++], c, SB_REC_CALLER, SB_REC_PCMU, 1000, 1000, k);
			tone_frame(&f[n++], c, SB_REC_AGENT, SB_REC_PCMA, 2000, 0xfffff000u, k);
			if (sup && c != 4) {
				/* the supervisor's stream: its own timestamp base;
				 * the tone's phase is that of the call's time */
				tone_frame(&f[n], c, SB_REC_SUPER, SB_REC_PCMU, 3000, 0, k);
				f[n++].ts = 987654u + (k - SUP_FROM) * 160u;
			}
		}
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), f, n) == n);
		n = 0;
		pkt_frames(&f[n], SB_REC_CALLER, k);
		n += 2;
		if (sup) {
			pkt_frames(&f[n], SB_REC_SUPER, k);
			n += 2;
		}
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), f, n) == n);
		sb_rec_poll(r);
		if (k % 50 == 49)
			T_ASSERT(sb_rec_drain(r, 5000) == 0);
	}
	for (unsigned i = 0; i < 5; i++)
		T_ASSERT(sb_rec_stop(r, i + 1) == 0);
	T_ASSERT(sb_rec_drain(r, 5000) == 0);
	nev = sb_rec_event_poll(r, ev, 32);
	for (unsigned i = 0; i < nev; i++)
		if (ev[i].type == SB_REC_EV_CLOSED) {
			T_ASSERT(ev[i].complete == 1);
			if (ev[i].call_id != 5)
				T_ASSERT_EQ_U64(ev[i].file_ms, SECS * 1000);
			closed++;
		}
	T_ASSERT_EQ_U64(closed, 5);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_DROP_BAD), 0);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_DROP_LATE), 0);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_PKTS), NFR + (SUP_TO - SUP_FROM));
	sb_rec_free(r);

	T_ASSERT(check_stereo(p[0], 1, true) == 0);
	T_ASSERT(check_stereo(p[1], 7, true) == 0);
	T_ASSERT(check_stereo(p[3], 1, false) == 0);
	{ /* mono: the mix */
		size_t len;
		uint8_t *b = file_read(p[2], &len);
		int16_t *m;
		size_t fr;

		T_ASSERT(b != NULL && len == SB_REC_HDR_SIZE + SECS * 8000 * 2);
		fr = (len - SB_REC_HDR_SIZE) / 2;
		m = calloc(fr, sizeof(int16_t));
		T_ASSERT(m != NULL);
		for (size_t i = 0; i < fr; i++)
			m[i] = (int16_t)rd16(b + SB_REC_HDR_SIZE + 2 * i);
		T_ASSERT(has(m + 8800, 6400, 1000) && has(m + 8800, 6400, 2000) &&
			 has(m + 8800, 6400, 3000));
		T_ASSERT(has(m + 16800, 6400, 2000) && lacks(m + 16800, 6400, 3000, 2000));
		T_ASSERT(lacks(m + 800, 6400, 3000, 2000));
		free(m);
		free(b);
	}
	{ /* pcapng: blocks after the header; three IDBs, EPBs per interface */
		size_t len, off = 0;
		uint8_t *b = file_read(p[4], &len);
		unsigned idbs = 0, epb[3] = {0, 0, 0};

		T_ASSERT(b != NULL);
		while (off + 12 <= len) {
			uint32_t type = rd32(b + off), bl = rd32(b + off + 4);

			T_ASSERT(bl >= 12 && off + bl <= len);
			if (type == 1)
				idbs++;
			else if (type == 6) {
				uint32_t ifc = rd32(b + off + 8);

				T_ASSERT(ifc < 3);
				epb[ifc]++;
			}
			off += bl;
		}
		T_ASSERT_EQ_U64(idbs, 3);
		T_ASSERT_EQ_U64(epb[0], NFR);
		T_ASSERT_EQ_U64(epb[1], 0);
		T_ASSERT_EQ_U64(epb[2], SUP_TO - SUP_FROM);
		free(b);
	}
	printf("rec_super: ok\n");
	return 0;
}
