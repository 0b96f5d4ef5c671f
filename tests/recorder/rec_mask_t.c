/* SPDX-License-Identifier: MIT */
/*
 * rec_mask: DTMF masking (SB_REC_OPT_MASK_DTMF) through the real
 * recorder.  The caller sends a 440 Hz tone with the 16 DTMF digits in
 * band (100 ms each, in place of the tone, 200 ms of tone between); the
 * agent a 1000 Hz tone and 8 RFC 4733 events (100 ms, updates every
 * 20 ms, three end packets) while its audio goes on.  Recorded three
 * times: wav-pcm16 masked, ogg-opus masked, wav-pcm16 not masked.
 * Checked on the files as decoded:
 *   - masked: every digit's and every event's interval is silent (WAV:
 *     exactly zero), the in-band detector (media/dtmf_inband.c, the one
 *     the dataplane uses) finds no digit on either channel, the tone
 *     between the digits is there (its middle 75 ms), the length exact;
 *   - not masked: the detector finds all 16 digits on the caller side and
 *     the agent's tone runs through the events (the test's input is real).
 */
#include "rec_fmt_test.h"
#include "sb/dtmf.h"

#define LEAD 4000          /* 500 ms of tone first */
#define DIG 800            /* 100 ms digit */
#define GAP 1600           /* 200 ms of tone between */
#define NDIG 16
#define TOTAL (LEAD + NDIG * (DIG + GAP)) /* 5.3 s: 265 frames */
#define NFR (TOTAL / 160)
#define EV0 4800           /* agent events: start of the first */
#define EVSTEP 4800        /* one every 600 ms */
#define NEV 8

static const double rowf[4] = {697, 770, 852, 941}, colf[4] = {1209, 1336, 1477, 1633};
/* event code -> row, column (the keypad of RFC 4733: 0-9 * # A-D) */
static const uint8_t ev_rc[16][2] = {
	{3, 1}, {0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2},
	{3, 0}, {3, 2}, {0, 3}, {1, 3}, {2, 3}, {3, 3},
};

static int16_t caller_sample(unsigned i)
{
	double t = i / 8000.0;

	if (i >= LEAD) {
		unsigned k = (i - LEAD) / (DIG + GAP), in = (i - LEAD) % (DIG + GAP);

		if (in < DIG) /* -7 dBm0 per tone */
			return (int16_t)lrint(10100 * sin(2 * M_PI * rowf[ev_rc[k][0]] * t) +
					      10100 * sin(2 * M_PI * colf[ev_rc[k][1]] * t));
	}
	return (int16_t)lrint(8000 * sin(2 * M_PI * 440 * t));
}

static unsigned digits_in(const int16_t *x, size_t n)
{
	struct sb_dtmf_ib d;
	struct sb_dtmf_ev ev[8];
	unsigned found = 0;

	sb_dtmf_ib_init(&d);
	for (size_t i = 0; i < n; i += 160) {
		unsigned k = sb_dtmf_ib_process(&d, x + i, n - i < 160 ? (unsigned)(n - i) : 160,
						 (uint32_t)i, ev, 8);

		for (unsigned j = 0; j < k; j++)
			found += ev[j].kind == SB_DTMF_BEGIN;
	}
	return found;
}

/* exact: WAV (every sample 0); else Opus (the masked tones 30 dB down) */
static int check_masked(const int16_t *l, const int16_t *r, uint64_t frames, bool exact)
{
	unsigned nl = digits_in(l, frames), nr = digits_in(r, frames);

	printf("  digits found: caller %u agent %u\n", nl, nr);
	T_ASSERT(nl == 0 && nr == 0);
	T_ASSERT_EQ_U64(frames, TOTAL);
	for (unsigned k = 0; k < NDIG; k++) {
		unsigned s = LEAD + k * (DIG + GAP), mid = s + DIG + (GAP - 600) / 2;

		if (exact) {
			for (unsigned i = s; i < s + DIG; i++)
				T_ASSERT(l[i] == 0);
		} else { /* Opus: none of the digit's two tones (30 dB down) */
			double t = goertzel(l + s, DIG, rowf[ev_rc[k][0]]) +
				   goertzel(l + s, DIG, colf[ev_rc[k][1]]);

			if (!(t < 1e-3 * goertzel(l + mid, 600, 440)))
				fprintf(stderr, "digit %u: %.3g\n", k, t);
			T_ASSERT(t < 1e-3 * goertzel(l + mid, 600, 440));
		}
		/* the tone between two digits: its middle 75 ms */
		T_ASSERT(tone_is(l + mid, 600, 440, 1000));
	}
	for (unsigned k = 0; k < NEV; k++) {
		unsigned s = EV0 + k * EVSTEP;

		if (exact) {
			for (unsigned i = s; i < s + DIG; i++)
				T_ASSERT(r[i] == 0);
		} else { /* Opus: no 1000 Hz left (stereo coding leaks the other side) */
			T_ASSERT(goertzel(r + s, DIG, 1000) < 1e-3 * goertzel(r + s + DIG + 1200, 1600, 1000));
		}
		T_ASSERT(tone_is(r + s + DIG + 1200, 1600, 1000, 440));
	}
	return 1;
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 4096, .max_calls = 4,
		.nbufs = 16, .buf_size = 64 * 1024, .segment_ms = 1000,
	};
	char p[3][300];
	struct sb_rec_event ev[16];
	struct sb_rec_prod *pr;
	struct sb_rec *r;
	unsigned nev;

	if (t_dir_make("/var/tmp/sb-rec-mask.XXXXXX") < 0)
		return T_SKIP;
	r = sb_rec_create(&cfg);
	if (r == NULL) {
		fprintf(stderr, "sb_rec_create: %s\n", strerror(errno));
		return errno == ENOSYS || errno == EPERM ? T_SKIP : 1;
	}
	pr = sb_rec_prod(r, 0);
	snprintf(p[0], sizeof(p[0]), "%s/masked.wav", t_dir);
	snprintf(p[1], sizeof(p[1]), "%s/masked.opus", t_dir);
	snprintf(p[2], sizeof(p[2]), "%s/plain.wav", t_dir);
	T_ASSERT(sb_rec_start_opts(r, 1, p[0], SB_REC_FMT_PCM16, 0, SB_REC_OPT_MASK_DTMF) == 0);
	T_ASSERT(sb_rec_start_opts(r, 2, p[1], SB_REC_FMT_OPUS, 0, SB_REC_OPT_MASK_DTMF) == 0);
	T_ASSERT(sb_rec_start_opts(r, 3, p[2], SB_REC_FMT_PCM16, 0, 0) == 0);
	sb_rec_poll(r);
	for (unsigned k = 0; k < NFR; k++) {
		for (uint32_t call = 1; call <= 3; call++) {
			struct sb_rec_frame f[2];

			memset(f, 0, sizeof(f));
			f[0].call_id = call;
			f[0].chan = SB_REC_CALLER;
			f[0].codec = SB_REC_PCMU;
			f[0].len = 160;
			f[0].ts = 1000 + k * 160;
			for (unsigned i = 0; i < 160; i++)
				f[0].payload[i] = sb_g711_ulaw_enc1(caller_sample(k * 160 + i));
			tone_frame(&f[1], call, SB_REC_AGENT, SB_REC_PCMA, 1000, 50000, k);
			T_ASSERT(sb_rec_push_burst(pr, f, 2) == 2);
			/* the agent's events: an update every 20 ms from one
			 * frame after the start, then 3 end packets */
			for (unsigned e = 0; e < NEV; e++) {
				unsigned s = EV0 + e * EVSTEP, now = (k + 1) * 160;
				uint8_t pl[4] = {(uint8_t)e, 10, 0, 0};
				unsigned dur;

				if (now <= s || now > s + DIG + 3 * 160)
					continue;
				dur = now - s < DIG ? now - s : DIG;
				pl[1] |= now - s >= DIG ? 0x80 : 0;
				pl[2] = (uint8_t)(dur >> 8);
				pl[3] = (uint8_t)dur;
				T_ASSERT(push_payload(pr, call, SB_REC_AGENT, SB_REC_TEV, 50000 + s, 0,
						      pl, 4) == 1);
			}
		}
		if (k % 4 == 0)
			sb_rec_poll(r);
	}
	for (uint32_t call = 1; call <= 3; call++)
		T_ASSERT(sb_rec_stop(r, call) == 0);
	T_ASSERT(sb_rec_drain(r, 5000) == 0);
	nev = sb_rec_event_poll(r, ev, 16);
	for (unsigned i = 0; i < nev; i++)
		if (ev[i].type == SB_REC_EV_CLOSED)
			T_ASSERT(ev[i].complete == 1 && ev[i].file_ms == TOTAL / 8);
	printf("counters: mask_tev %llu mask_inband %llu mask_late %llu\n",
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_MASK_TEV),
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_MASK_INBAND),
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_MASK_LATE));
	T_ASSERT(sb_rec_counter(r, SB_REC_C_MASK_INBAND) >= 2 * NDIG * 5);
	T_ASSERT(sb_rec_counter(r, SB_REC_C_MASK_TEV) == 2 * NEV * 8);
	T_ASSERT(sb_rec_counter(r, SB_REC_C_MASK_LATE) == 0);
	sb_rec_free(r);

	{
		struct wav w;
		struct oggf o;

		printf("masked.wav:\n");
		T_ASSERT(wav_read(p[0], &w) == 0);
		T_ASSERT(check_masked(w.l, w.r, w.frames, true));
		wav_free(&w);
		printf("masked.opus:\n");
		T_ASSERT(ogg_read(p[1], &o) == 0);
		T_ASSERT(check_masked(o.l, o.r, o.frames, false));
		ogg_free(&o);
		/* the same input unmasked: every digit is there */
		T_ASSERT(wav_read(p[2], &w) == 0);
		printf("plain.wav: digits found: caller %u\n", digits_in(w.l, w.frames));
		T_ASSERT(digits_in(w.l, w.frames) == NDIG);
		T_ASSERT(tone_is(w.r + EV0, DIG, 1000, 440));
		wav_free(&w);
	}
	printf("rec_mask: ok\n");
	return 0;
}
