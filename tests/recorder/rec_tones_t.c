/* SPDX-License-Identifier: MIT */
/*
 * rec_tones: two calls recorded at once through the real recorder and
 * io_uring into real files.  Call 1 (PCM16 file): 440 Hz on the caller
 * (µ-law frames), 1000 Hz on the agent (A-law frames), 3 s, with 10
 * caller frames (200 ms) missing and the agent's frames arriving in
 * pairs swapped (reordering inside the window).  Call 2 (µ-law file): the
 * tones the other way round.  Checked: each channel by frequency, the
 * length to the sample, the missing stretch silent on the left only, the
 * segment flushes (1 s segments) and the CLOSED events.
 * Argument --direct: the same with O_DIRECT.
 */
#include "rec_test.h"

#define SECS 3
#define NFR (SECS * 50)

int main(int argc, char **argv)
{
	bool direct = argc > 1 && !strcmp(argv[1], "--direct");
	struct sb_rec_cfg cfg = {
		.nprod = 2, .ring_slots = 1024, .max_calls = 8,
		.nbufs = 16, .buf_size = 64 * 1024, .segment_ms = 1000,
		.o_direct = direct,
	};
	char *dir = t_dir, p1[300], p2[300];
	struct sb_rec_event ev[16];
	struct sb_rec *r;
	struct wav w;
	unsigned nev, closed = 0;

	if (t_dir_make("/var/tmp/sb-rec-tones.XXXXXX") < 0)
		return T_SKIP;
	r = sb_rec_create(&cfg);
	if (r == NULL) {
		fprintf(stderr, "sb_rec_create: %s\n", strerror(errno));
		return errno == ENOSYS || errno == EPERM ? T_SKIP : 1;
	}
	printf("fixed buffers: %s\n", sb_rec_fixed_buffers(r) ? "yes" : "no");
	snprintf(p1, sizeof(p1), "%s/call1.wav", dir);
	snprintf(p2, sizeof(p2), "%s/call2.wav", dir);
	T_ASSERT(sb_rec_start(r, 1, p1, SB_REC_FMT_PCM16) == 0);
	T_ASSERT(sb_rec_start(r, 2, p2, SB_REC_FMT_ULAW) == 0);
	sb_rec_poll(r);

	for (unsigned k = 0; k < NFR; k++) {
		struct sb_rec_frame f[3];
		unsigned n = 0;

		/* caller of call 1 on worker 0, missing frames 50..59 */
		if (k < 50 || k >= 60)
			tone_frame(&f[n++], 1, SB_REC_CALLER, SB_REC_PCMU, 440, 1000, k);
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), f, n) == n);
		/* agent of call 1 on worker 1: pairs swapped (k^1) after the
		 * first pair (a stream's first frame anchors it), and its
		 * timestamps wrap at 2^32 */
		n = 0;
		tone_frame(&f[n++], 1, SB_REC_AGENT, SB_REC_PCMA, 1000, 0xfffff000u, k < 2 ? k : k ^ 1);
		tone_frame(&f[n++], 2, SB_REC_CALLER, SB_REC_PCMA, 1000, 77, k);
		tone_frame(&f[n++], 2, SB_REC_AGENT, SB_REC_PCMU, 440, 5, k);
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 1), f, n) == n);
		if (k % 8 == 0)
			sb_rec_poll(r);
		/* a second of audio per drain: the segment flushes run as
		 * they would in real time */
		if (k % 50 == 49)
			T_ASSERT(sb_rec_drain(r, 5000) == 0);
	}
	T_ASSERT(sb_rec_stop(r, 1) == 0);
	T_ASSERT(sb_rec_stop(r, 2) == 0);
	T_ASSERT(sb_rec_drain(r, 5000) == 0);
	nev = sb_rec_event_poll(r, ev, 16);
	for (unsigned i = 0; i < nev; i++) {
		printf("event %s call %u err %d complete %u share %u file_ms %llu\n",
		       sb_rec_ev_desc(ev[i].type), ev[i].call_id, ev[i].err, ev[i].complete,
		       ev[i].share_pm, (unsigned long long)ev[i].file_ms);
		if (ev[i].type == SB_REC_EV_CLOSED) {
			T_ASSERT(ev[i].complete == 1 && ev[i].share_pm == 1000);
			T_ASSERT_EQ_U64(ev[i].file_ms, SECS * 1000);
			closed++;
		}
		T_ASSERT(ev[i].type == SB_REC_EV_OPENED || ev[i].type == SB_REC_EV_CLOSED);
	}
	T_ASSERT_EQ_U64(closed, 2);
	for (unsigned c = 0; c < SB_REC_C_N; c++)
		if (sb_rec_counter(r, c))
			printf("  %-16s %llu\n", sb_rec_cnt_name(c),
			       (unsigned long long)sb_rec_counter(r, c));
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_FRAMES), 4 * NFR - 10);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_DROP_LATE), 0);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_SAMPLES_LOST), 0);
	/* one flush per second of each call, plus the one at close */
	T_ASSERT(sb_rec_counter(r, SB_REC_C_SYNCS) >= 2 * (SECS + 1));
	/* batched: fewer submissions than requests */
	T_ASSERT(sb_rec_counter(r, SB_REC_C_SUBMITS) < sb_rec_counter(r, SB_REC_C_WRITES) +
						       sb_rec_counter(r, SB_REC_C_SYNCS));
	if (direct)
		T_ASSERT(sb_rec_counter(r, SB_REC_C_DIRECT_FALLBACK) == 0);
	T_ASSERT_EQ_U64(sb_rec_calls_open(r), 0);
	sb_rec_free(r);

	/* .part renamed away */
	{
		char part[320];

		T_ASSERT((size_t)snprintf(part, sizeof(part), "%s.part", p1) < sizeof(part));
		T_ASSERT(access(part, F_OK) != 0 && access(p1, F_OK) == 0);
	}

	/* call 1: PCM16 */
	T_ASSERT(wav_read(p1, &w) == 0);
	T_ASSERT(w.fmt == 1 && w.bits == 16);
	T_ASSERT_EQ_U64(w.frames, SECS * 8000);
	T_ASSERT_EQ_U64(w.file_size, SB_REC_HDR_SIZE + w.data_size);
	T_ASSERT(tone_is(w.l, 8000, 440, 1000));
	T_ASSERT(tone_is(w.r, 8000, 1000, 440));
	T_ASSERT(tone_is(w.l + 16000, 8000, 440, 1000));
	T_ASSERT(tone_is(w.r + 16000, 8000, 1000, 440));
	/* frames 50..59 = samples 8000..9599: silent left, tone right */
	for (unsigned i = 8000; i < 9600; i++)
		T_ASSERT(w.l[i] == 0);
	T_ASSERT(tone_is(w.r + 8000, 1600, 1000, 440));
	T_ASSERT(w.l[7999] != 0 || w.l[7998] != 0);
	/* the swapped agent pairs came out in order: the sample at 1234 is
	 * the tone's own sample (within G.711 error) */
	/* both channels in time: sample i of each is its tone's sample i
	 * (within G.711 error), before and after the gap */
	for (unsigned i = 1200; i < 1300; i++) {
		T_ASSERT(fabs(w.r[i] - 8000.0 * sin(2 * M_PI * 1000 * i / 8000.0)) < 300);
		T_ASSERT(fabs(w.l[i] - 8000.0 * sin(2 * M_PI * 440 * i / 8000.0)) < 300);
		T_ASSERT(fabs(w.l[i + 20000] - 8000.0 * sin(2 * M_PI * 440 * (i + 20000) / 8000.0)) < 300);
	}
	wav_free(&w);

	/* call 2: µ-law stereo, tones the other way round */
	T_ASSERT(wav_read(p2, &w) == 0);
	T_ASSERT(w.fmt == 7 && w.bits == 8);
	T_ASSERT_EQ_U64(w.frames, SECS * 8000);
	T_ASSERT(tone_is(w.l, 24000, 1000, 440));
	T_ASSERT(tone_is(w.r, 24000, 440, 1000));
	wav_free(&w);

	printf("rec_tones%s: ok\n", direct ? " (O_DIRECT)" : "");
	return 0;
}
