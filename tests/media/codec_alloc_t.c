/* SPDX-License-Identifier: MIT */
/*
 * codec_alloc_t — the fast-path contract of sb/codec.h and sb/jbuf.h: the
 * per-packet calls (sb_xcode_rx / sb_dec_rx) and the per-tick calls
 * (sb_xcode_tick, sb_dec_tick, sb_enc_encode) allocate nothing, through
 * every path: G.711 <-> Opus at 8, 16 and 48 kHz (resampling both ways),
 * FEC, PLC (Opus and G.711), DTX, reordering, duplicates, late packets.
 * The C library's malloc/calloc/realloc are interposed and counted while
 * the packets run (not under ASan, which owns malloc: skip, 77).  A
 * warm-up second runs first: the contract is per packet, not per first
 * packet.  No system call either: the same traffic runs once more in a
 * child under seccomp strict mode (read, write, _exit and sigreturn only;
 * anything else kills it with SIGKILL).
 */
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb/codec.h"
#include "sb/g711.h"
#include "test.h"
#include "alloc_count.h"

#ifdef SB_ASAN
int main(void)
{
	printf("codec_alloc: skipped under ASan (it owns malloc)\n");
	return T_SKIP;
}
#else
/* PCMU -> Opus(rate) -> PCMU for nf frames starting at frame f0, with
 * loss, reordering, duplicates and a silent stretch (DTX). */
static void run(struct sb_xcode *a, struct sb_xcode *b, unsigned f0, unsigned nf, int16_t *pcm,
		unsigned *sent)
{
	static uint8_t u[160], o[SB_CODEC_MAX_PAYLOAD], held[SB_CODEC_MAX_PAYLOAD], back[SB_CODEC_MAX_PAYLOAD];
	static int held_n;
	static uint16_t held_seq, seq;
	static uint32_t held_ts;
	struct sb_enc_pkt ep;

	for (unsigned k = f0; k < f0 + nf; k++) {
		int n;

		if ((k / 50) % 3 == 2)
			memset(u, 0xFF, sizeof(u));       /* µ-law silence: DTX */
		else
			sb_g711_ulaw_encode(u, pcm + (k % 50) * 160, 160);
		sb_xcode_rx(a, u, 160, (uint16_t)k, k * 160, k * 160);
		if (k % 17 == 0)
			sb_xcode_rx(a, u, 160, (uint16_t)k, k * 160, k * 160 + 3);   /* dup */
		n = sb_xcode_tick(a, o, sizeof(o), &ep);
		if (n > 0) {
			uint16_t s = seq++;

			(*sent)++;
			if (s % 13 == 5) {
				/* lost: the next one carries its FEC */
			} else if (s % 11 == 3) {
				memcpy(held, o, (size_t)n);   /* reordered behind the next */
				held_n = n;
				held_seq = s;
				held_ts = ep.ts;
			} else {
				sb_xcode_rx(b, o, (unsigned)n, s, ep.ts, k * 960);
				if (held_n) {
					sb_xcode_rx(b, held, (unsigned)held_n, held_seq, held_ts, k * 960 + 5);
					held_n = 0;
				}
			}
			if (s % 29 == 7)      /* very late: dropped */
				sb_xcode_rx(b, o, (unsigned)n, (uint16_t)(s - 20), ep.ts - 20 * 960, k * 960);
		}
		T_ASSERT(sb_xcode_tick(b, back, sizeof(back), &ep) == 160);
	}
}

int main(void)
{
	static int16_t pcm[50 * 160];
	static const uint32_t rates[] = { 8000, 16000, 48000 };
	struct sb_codec_cfg g = { .codec = SB_CODEC_PCMU, .rate = 8000 };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 200 };
	unsigned sent = 0;
	uint64_t fec = 0, plc = 0, dtx = 0, late = 0, dup = 0;

	for (unsigned i = 0; i < 50 * 160; i++)
		pcm[i] = (int16_t)((i * 997) % 16000 - 8000) / 2 + (int16_t)((i % 40) * 200);
	for (unsigned r = 0; r < 3; r++) {
		struct sb_codec_cfg op = { .codec = SB_CODEC_OPUS, .rate = rates[r], .complexity = 5,
					   .fec = 1, .dtx = 1, .loss_pct = 10 };
		struct sb_xcode *a = sb_xcode_create(&g, &op, &jb);
		struct sb_xcode *b = sb_xcode_create(&op, &g, &jb);

		T_ASSERT(a != NULL && b != NULL);
		run(a, b, 0, 50, pcm, &sent);      /* warm-up */
		sb_alloc_counting = 1;
		run(a, b, 50, 400, pcm, &sent);
		sb_alloc_counting = 0;
		{
			pid_t pid;
			int st;

			fflush(NULL);
			pid = fork();
			T_ASSERT(pid >= 0);
			if (pid == 0) {
				unsigned s2 = 0;

				if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
					syscall(SYS_exit, 3);
				run(a, b, 450, 200, pcm, &s2);
				syscall(SYS_exit, s2 > 0 ? 0 : 2);   /* exit_group is not allowed */
			}
			T_ASSERT(waitpid(pid, &st, 0) == pid);
			if (!WIFEXITED(st))
				fprintf(stderr, "codec_alloc: child killed by signal %d: a system call "
					"on the fast path\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
			T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			printf("codec_alloc: Opus %u Hz: 200 more frames each way under seccomp strict: "
			       "no system call\n", rates[r]);
		}
		fec += sb_dec_stats(sb_xcode_dec(b))->fec;
		plc += sb_dec_stats(sb_xcode_dec(b))->plc + sb_dec_stats(sb_xcode_dec(b))->empty;
		dtx += sb_enc_stats(sb_xcode_enc(a))->dtx;
		late += sb_dec_jbuf_stats(sb_xcode_dec(b))->drop[SB_JBUF_DROP_LATE];
		dup += sb_dec_jbuf_stats(sb_xcode_dec(a))->drop[SB_JBUF_DROP_DUP];
		sb_xcode_free(a);
		sb_xcode_free(b);
	}
	printf("codec_alloc: %ld allocations over %u Opus packets (fec %llu, plc %llu, dtx %llu, "
	       "late %llu, dup %llu)\n", sb_allocs, sent, (unsigned long long)fec,
	       (unsigned long long)plc, (unsigned long long)dtx, (unsigned long long)late,
	       (unsigned long long)dup);
	/* every path ran */
	T_ASSERT(fec > 0 && plc > 0 && dtx > 0 && late > 0 && dup > 0);
	T_ASSERT_EQ_U64(sb_allocs, 0);
	return 0;
}
#endif
