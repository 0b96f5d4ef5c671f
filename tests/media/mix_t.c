/* SPDX-License-Identifier: MIT */
/*
 * mix_t — sb/mix.h: mix-minus sample by sample on known inputs, who hears
 * what in each supervision mode (and when the mode changes mid-call), and
 * every SIMD variant this CPU runs against the C reference on random
 * conferences (modes, whisper targets, missing inputs, unwanted outputs,
 * frame lengths with tails) and at the saturation edges, sample for
 * sample.  The reference itself is checked against a sum built pair by
 * pair from sb_mix_hears(), so all three views agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb/mix.h"
#include "test.h"

#define NS_MAX 1000

static int16_t inb[SB_MIX_MAX][NS_MAX];
static int16_t outb[SB_MIX_MAX][NS_MAX];
static int16_t refb[SB_MIX_MAX][NS_MAX];

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static int16_t sat(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* out[j] as the definition says, pair by pair */
static void oracle(const struct sb_mix *m, const int16_t *const *in, unsigned j, unsigned ns,
		   int16_t *o)
{
	for (unsigned s = 0; s < ns; s++) {
		int32_t acc = 0;

		for (unsigned i = 0; i < SB_MIX_MAX; i++)
			if (in[i] && sb_mix_hears(m, j, i))
				acc += in[i][s];
		o[s] = sat(acc);
	}
}

static const struct sb_mix_impl *impls;
static unsigned n_impls;

/* Four talkers, x_i[s] = 100 (i + 1) + s: each hears the other three. */
static void test_known(void)
{
	struct sb_mix m;
	const int16_t *in[SB_MIX_MAX] = { 0 };
	int16_t *out[SB_MIX_MAX] = { 0 };

	sb_mix_init(&m);
	for (unsigned i = 0; i < 4; i++) {
		T_ASSERT(sb_mix_set(&m, i, SB_MIX_TALK, 0) == 0);
		for (unsigned s = 0; s < 160; s++)
			inb[i][s] = (int16_t)(100 * (i + 1) + s);
		in[i] = inb[i];
		out[i] = outb[i];
	}
	for (unsigned v = 0; v < n_impls; v++) {
		if (!impls[v].supported)
			continue;
		memset(outb, 0x55, sizeof(outb));
		impls[v].fn(&m, in, out, 160);
		for (unsigned s = 0; s < 160; s++) {
			int32_t x = (int32_t)s;

			T_ASSERT_EQ_U64(outb[0][s], 900 + 3 * x);   /* 200+300+400 */
			T_ASSERT_EQ_U64(outb[1][s], 800 + 3 * x);   /* 100+300+400 */
			T_ASSERT_EQ_U64(outb[2][s], 700 + 3 * x);
			T_ASSERT_EQ_U64(outb[3][s], 600 + 3 * x);
		}
		/* 2 stops sending (NULL): the others no longer hear it */
		in[2] = NULL;
		impls[v].fn(&m, in, out, 160);
		T_ASSERT_EQ_U64(outb[0][10], 200 + 400 + 20);
		T_ASSERT_EQ_U64(outb[2][10], 100 + 200 + 400 + 30);
		in[2] = inb[2];
	}
}

/* Each party sends a constant whose sums are all distinct (caller 4096,
 * agent 512, supervisor 64), so a sample of an output names who is in it. */
enum { C = 0, A = 1, S = 2 };
static const int16_t who_val[3] = { 4096, 512, 64 };

static unsigned heard_set(int16_t v)
{
	unsigned set = 0;

	for (unsigned i = 0; i < 3; i++)
		if (v & who_val[i])
			set |= 1u << i;
	T_ASSERT(v >= 0 && (v & ~(4096 | 512 | 64)) == 0);
	return set;
}

static void test_supervision(void)
{
	/* [mode][listener] = set of parties heard */
	static const struct { enum sb_mix_sup sup; const char *name; unsigned hears[3]; } want[] = {
		{ SB_MIX_SUP_LISTEN,  "listen",  { 1u << A, 1u << C, 1u << C | 1u << A } },
		{ SB_MIX_SUP_WHISPER, "whisper", { 1u << A, 1u << C | 1u << S, 1u << C | 1u << A } },
		{ SB_MIX_SUP_BARGE,   "barge",   { 1u << A | 1u << S, 1u << C | 1u << S, 1u << C | 1u << A } },
	};
	/* one call, the mode switched between frames: listen, whisper,
	 * barge, whisper, listen */
	static const unsigned seq[] = { 0, 1, 2, 1, 0 };
	const int16_t *in[SB_MIX_MAX] = { 0 };
	int16_t *out[SB_MIX_MAX] = { 0 };
	struct sb_mix m;

	for (unsigned i = 0; i < 3; i++) {
		for (unsigned s = 0; s < 160; s++)
			inb[i][s] = who_val[i];
		in[i] = inb[i];
		out[i] = outb[i];
	}
	sb_mix_init(&m);
	T_ASSERT(sb_mix_supervise(&m, C, A, A, SB_MIX_SUP_LISTEN) == -EINVAL);
	T_ASSERT(sb_mix_supervise(&m, C, A, S, (enum sb_mix_sup)9) == -EINVAL);
	for (unsigned v = 0; v < n_impls; v++) {
		if (!impls[v].supported)
			continue;
		for (unsigned k = 0; k < sizeof(seq) / sizeof(seq[0]); k++) {
			unsigned w = seq[k];

			T_ASSERT(sb_mix_supervise(&m, C, A, S, want[w].sup) == 0);
			impls[v].fn(&m, in, out, 160);
			for (unsigned j = 0; j < 3; j++) {
				for (unsigned s = 0; s < 160; s++)
					T_ASSERT_EQ_U64(heard_set(outb[j][s]), want[w].hears[j]);
				for (unsigned i = 0; i < 3; i++)
					T_ASSERT_EQ_U64(sb_mix_hears(&m, j, i),
							(want[w].hears[j] >> i) & 1);
			}
			if (v == 0 && k < 3)
				printf("%-8s caller hears {%s%s}, agent {%s%s}, supervisor {%s%s}\n",
				       want[w].name,
				       want[w].hears[C] >> A & 1 ? "agent " : "",
				       want[w].hears[C] >> S & 1 ? "supervisor" : "",
				       want[w].hears[A] >> C & 1 ? "caller " : "",
				       want[w].hears[A] >> S & 1 ? "supervisor" : "",
				       want[w].hears[S] >> C & 1 ? "caller " : "",
				       want[w].hears[S] >> A & 1 ? "agent" : "");
		}
	}
}

/* 6 parties: 0-2 talk, 3 listens only, 4 whispers to 1, 5 whispers to 3
 * (a listen-only party still hears a whisper meant for it) */
static void test_modes(void)
{
	static const int16_t val[6] = { 1, 2, 4, 8, 16, 32 };
	static const int16_t want[6] = { 2 + 4, 1 + 4 + 16, 1 + 2, 1 + 2 + 4 + 32, 1 + 2 + 4, 1 + 2 + 4 };
	const int16_t *in[SB_MIX_MAX] = { 0 };
	int16_t *out[SB_MIX_MAX] = { 0 };
	struct sb_mix m;

	sb_mix_init(&m);
	for (unsigned i = 0; i < 3; i++)
		T_ASSERT(sb_mix_set(&m, i, SB_MIX_TALK, 0) == 0);
	T_ASSERT(sb_mix_set(&m, 3, SB_MIX_LISTEN, 0) == 0);
	T_ASSERT(sb_mix_set(&m, 4, SB_MIX_WHISPER, 1) == 0);
	T_ASSERT(sb_mix_set(&m, 5, SB_MIX_WHISPER, 3) == 0);
	T_ASSERT(sb_mix_set(&m, 5, SB_MIX_WHISPER, 5) == -EINVAL);
	T_ASSERT(sb_mix_set(&m, 5, SB_MIX_WHISPER, SB_MIX_MAX) == -EINVAL);
	T_ASSERT(sb_mix_set(&m, SB_MIX_MAX, SB_MIX_TALK, 0) == -EINVAL);
	T_ASSERT(sb_mix_set(&m, 1, (enum sb_mix_mode)7, 0) == -EINVAL);
	for (unsigned i = 0; i < 7; i++) {
		for (unsigned s = 0; s < 37; s++)
			inb[i][s] = i < 6 ? val[i] : 999;
		in[i] = inb[i];
		out[i] = outb[i];
	}
	for (unsigned v = 0; v < n_impls; v++) {
		if (!impls[v].supported)
			continue;
		memset(outb, 0x55, sizeof(outb));
		impls[v].fn(&m, in, out, 37);   /* 37: vector part and tail */
		for (unsigned j = 0; j < 6; j++)
			for (unsigned s = 0; s < 37; s++)
				T_ASSERT_EQ_U64(outb[j][s], want[j]);
		T_ASSERT_EQ_U64((uint16_t)outb[6][0], 0x5555);   /* OFF: not written */
	}
}

static int16_t edge(void)
{
	static const int16_t e[] = { 32767, -32768, 32766, -32767, 16384, -16384, 1, -1, 0 };

	return e[rnd() % (sizeof(e) / sizeof(e[0]))];
}

/* random conferences: every variant == the reference == the oracle */
static void test_random(void)
{
	static const unsigned lens[] = { 160, 320, 960, 1, 7, 8, 15, 16, 17, 33, 161, 999 };
	unsigned long long samples = 0, clipped = 0;

	for (unsigned trial = 0; trial < 3000; trial++) {
		struct sb_mix m;
		const int16_t *in[SB_MIX_MAX] = { 0 };
		int16_t *out[SB_MIX_MAX] = { 0 }, *ref[SB_MIX_MAX] = { 0 };
		unsigned np = trial < 100 ? 1 + rnd() % SB_MIX_MAX : 2 + rnd() % 8;
		unsigned ns = trial % 3 ? lens[rnd() % 12] : 1 + rnd() % NS_MAX;
		unsigned style = rnd() % 4;   /* 0 random, 1 edges, 2 loud, 3 mixed */

		sb_mix_init(&m);
		for (unsigned i = 0; i < np; i++) {
			unsigned r = rnd() % 10;
			enum sb_mix_mode mode = r < 5 ? SB_MIX_TALK : r < 7 ? SB_MIX_LISTEN :
						r < 9 ? SB_MIX_WHISPER : SB_MIX_OFF;
			unsigned tg = rnd() % np;

			if (mode == SB_MIX_WHISPER && tg == i)
				tg = (i + 1) % SB_MIX_MAX;
			T_ASSERT(sb_mix_set(&m, i, mode, tg) == 0);
			for (unsigned s = 0; s < ns; s++) {
				int16_t x = (int16_t)rnd();

				inb[i][s] = style == 0 ? x : style == 1 ? edge() :
					    style == 2 ? (int16_t)((x & 1 ? 1 : -1) * (x | 0x4000)) :
					    (rnd() & 1 ? edge() : x);
			}
			in[i] = rnd() % 10 ? inb[i] : NULL;
			out[i] = rnd() % 10 ? outb[i] : NULL;
			ref[i] = refb[i];
		}
		sb_mix_s16_c(&m, in, ref, ns);
		for (unsigned j = 0; j < np; j++) {
			static int16_t o[NS_MAX];

			if (!(m.on >> j & 1))
				continue;
			oracle(&m, in, j, ns, o);
			T_ASSERT(memcmp(o, refb[j], ns * sizeof(int16_t)) == 0);
			for (unsigned s = 0; s < ns; s++)
				clipped += o[s] == 32767 || o[s] == -32768;
			samples += ns;
		}
		for (unsigned v = 1; v < n_impls; v++) {
			if (!impls[v].supported)
				continue;
			memset(outb, 0x55, sizeof(outb));
			impls[v].fn(&m, in, out, ns);
			for (unsigned j = 0; j < np; j++) {
				if (out[j] == NULL || !(m.on >> j & 1)) {
					T_ASSERT_EQ_U64((uint16_t)outb[j][0], 0x5555);
					continue;
				}
				for (unsigned s = 0; s < ns; s++)
					if (outb[j][s] != refb[j][s]) {
						fprintf(stderr, "%s: trial %u party %u sample %u: %d != %d\n",
							impls[v].name, trial, j, s, outb[j][s], refb[j][s]);
						T_ASSERT(0);
					}
			}
		}
	}
	printf("random: %llu output samples, %llu at a saturation limit; variants:", samples,
	       clipped);
	for (unsigned v = 0; v < n_impls; v++)
		printf(" %s%s", impls[v].name, impls[v].supported ? "" : "(not on this CPU)");
	printf("; selected %s\n", sb_mix_impl_name());
	T_ASSERT(clipped > samples / 50);   /* the edges were exercised */
}

int main(void)
{
	impls = sb_mix_impls(&n_impls);
	T_ASSERT(n_impls >= 1 && strcmp(impls[0].name, "c") == 0);
	test_known();
	test_supervision();
	test_modes();
	test_random();
	printf("mix: ok\n");
	return 0;
}
