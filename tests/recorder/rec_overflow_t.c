/* SPDX-License-Identifier: MIT */
/*
 * rec_overflow: the producer never waits and loses nothing silently, and
 * an empty buffer pool degrades instead of blocking.
 *  1. A 16-slot ring that nobody drains: 100 pushes take 16, count 84 in
 *     drop_full, and take microseconds (no waiting anywhere).
 *  2. The recorder in its own thread, a producer thread pushing 50,000
 *     frames (16 min of audio) much faster than real time onto a 256-slot
 *     ring: pushed + drop_full is exactly what was offered, the recorder
 *     saw exactly the pushed frames, more than the ring holds.
 *  3. A pool of 2 buffers for 24 calls: DEGRADED events and the
 *     POOL_EXHAUSTED counter, every call still closes (renamed, valid),
 *     the calls that lost audio are marked incomplete with their share,
 *     and the file keeps its full length (holes, the channels stay in
 *     time).
 */
#include <pthread.h>

#include "rec_test.h"

struct prod_arg {
	struct sb_rec_prod *p;
	unsigned n;
	double ms;
};

static void *producer(void *arg)
{
	struct prod_arg *a = arg;
	struct sb_rec_frame f;
	double t0 = now_ms();

	tone_frame(&f, 7, SB_REC_CALLER, SB_REC_PCMU, 440, 0, 0);
	for (unsigned i = 0; i < a->n; i++) {
		f.ts = i * 160;
		sb_rec_push_burst(a->p, &f, 1);
		/* now and then let the recorder thread in (2 cores, shared) */
		if (i % 256 == 255)
			usleep(100);
	}
	a->ms = now_ms() - t0;
	return NULL;
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 16, .max_calls = 32,
		.nbufs = 4, .buf_size = 64 * 1024,
	};
	struct sb_rec_event ev[128];
	struct sb_rec *r;
	struct sb_rec_frame f;
	double t0, ms;
	unsigned n = 0;

	if (t_dir_make("/var/tmp/sb-rec-ovf.XXXXXX") < 0)
		return T_SKIP;

	/* 1: nobody drains */
	r = sb_rec_create(&cfg);
	T_ASSERT(r != NULL);
	tone_frame(&f, 1, SB_REC_CALLER, SB_REC_PCMU, 440, 0, 0);
	t0 = now_ms();
	for (unsigned i = 0; i < 100; i++)
		n += sb_rec_push_burst(sb_rec_prod(r, 0), &f, 1);
	ms = now_ms() - t0;
	T_ASSERT_EQ_U64(n, 16);
	T_ASSERT_EQ_U64(sb_rec_prod(r, 0)->drop_full, 84);
	T_ASSERT_EQ_U64(sb_rec_prod(r, 0)->pushed, 16);
	T_ASSERT(ms < 50);
	/* frames of a call nobody started are counted, not written */
	sb_rec_poll(r);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_DROP_NO_CALL), 16);
	sb_rec_free(r);

	/* 2: recorder thread vs a producer thread */
	{
		char path[400];
		struct prod_arg a = { .n = 50000 };
		pthread_t th;
		uint64_t pushed, dropped;

		cfg.ring_slots = 256;
		cfg.nbufs = 16;
		r = sb_rec_create(&cfg);
		T_ASSERT(r != NULL);
		snprintf(path, sizeof(path), "%s/thr.wav", t_dir);
		T_ASSERT(sb_rec_start(r, 7, path, SB_REC_FMT_ULAW) == 0);
		T_ASSERT(sb_rec_thread_start(r) == 0);
		while (sb_rec_calls_open(r) == 0)
			usleep(100);
		a.p = sb_rec_prod(r, 0);
		T_ASSERT(pthread_create(&th, NULL, producer, &a) == 0);
		pthread_join(th, NULL);
		usleep(20000); /* the thread drains what is left */
		sb_rec_thread_stop(r);
		pushed = a.p->pushed;
		dropped = a.p->drop_full;
		printf("producer: %u frames in %.1f ms (%.0f ns each), pushed %llu dropped %llu\n",
		       a.n, a.ms, a.ms * 1e6 / a.n, (unsigned long long)pushed,
		       (unsigned long long)dropped);
		T_ASSERT_EQ_U64(pushed + dropped, a.n);
		T_ASSERT(sb_rec_drain(r, 5000) == 0);
		T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_FRAMES), pushed);
		/* the recorder drained while the producer ran (more went
		 * through than the ring holds) */
		T_ASSERT(pushed > cfg.ring_slots);
		T_ASSERT(sb_rec_stop(r, 7) == 0);
		T_ASSERT(sb_rec_drain(r, 10000) == 0);
		sb_rec_free(r);
	}

	/* 3: buffer pool exhausted */
	{
		unsigned degraded = 0, closed = 0, incomplete = 0, nev;
		char path[400];
		struct wav w;

		cfg.ring_slots = 4096;
		cfg.nbufs = 2;
		r = sb_rec_create(&cfg);
		T_ASSERT(r != NULL);
		for (unsigned c = 0; c < 24; c++) {
			snprintf(path, sizeof(path), "%s/pool%u.wav", t_dir, c);
			T_ASSERT(sb_rec_start(r, 100 + c, path, SB_REC_FMT_PCM16) == 0);
		}
		sb_rec_poll(r);
		/* 2 s of 24 calls, 20 ms at a time, the recorder polled
		 * after each round */
		for (unsigned k = 0; k < 100; k++) {
			for (unsigned c = 0; c < 24; c++) {
				struct sb_rec_frame fr[2];

				tone_frame(&fr[0], 100 + c, SB_REC_CALLER, SB_REC_PCMU, 440, 0, k);
				tone_frame(&fr[1], 100 + c, SB_REC_AGENT, SB_REC_PCMU, 1000, 0, k);
				T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), fr, 2) == 2);
			}
			sb_rec_poll(r);
		}
		for (unsigned c = 0; c < 24; c++)
			T_ASSERT(sb_rec_stop(r, 100 + c) == 0);
		T_ASSERT(sb_rec_drain(r, 10000) == 0);
		nev = sb_rec_event_poll(r, ev, 128);
		for (unsigned i = 0; i < nev; i++) {
			if (ev[i].type == SB_REC_EV_DEGRADED)
				degraded++;
			if (ev[i].type != SB_REC_EV_CLOSED)
				continue;
			closed++;
			T_ASSERT(ev[i].call_ms == 2000);
			T_ASSERT(wav_read(ev[i].path, &w) == 0);
			T_ASSERT_EQ_U64(w.frames, 16000);
			wav_free(&w);
			if (!ev[i].complete) {
				incomplete++;
				T_ASSERT(ev[i].share_pm < 1000);
			} else {
				T_ASSERT(ev[i].share_pm == 1000);
			}
		}
		printf("pool of 2: %u DEGRADED events, %u of %u calls incomplete, "
		       "%llu stereo samples lost\n", degraded, incomplete, closed,
		       (unsigned long long)sb_rec_counter(r, SB_REC_C_SAMPLES_LOST));
		T_ASSERT_EQ_U64(closed, 24);
		T_ASSERT(degraded > 0 && incomplete > 0 && incomplete <= degraded);
		T_ASSERT(sb_rec_counter(r, SB_REC_C_POOL_EXHAUSTED) > 0);
		T_ASSERT(sb_rec_counter(r, SB_REC_C_SAMPLES_LOST) > 0);
		T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_CALLS_INCOMPLETE), incomplete);
		sb_rec_free(r);
	}
	printf("rec_overflow: ok\n");
	return 0;
}
