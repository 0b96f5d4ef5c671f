/* SPDX-License-Identifier: MIT */
/*
 * mix_simd.c — SSE2 and AVX2 variants of sb_mix_s16_c() (sb/mix.h),
 * sample for sample the same result (tests/media/mix_t.c checks it on
 * random input and at the saturation edges).
 *
 * Per block of 8 (16) samples: T = the 32-bit sum of every present TALK
 * participant, then for each output j: T minus j's own samples when j
 * talks, plus whatever is whispered to j, narrowed with the saturating
 * pack (packs_epi32 is exactly sb_mix_sat16()).  With 3 parties that is
 * 3 widenings + 3 subtractions instead of 6 scalar additions per sample.
 * The AVX2 one is compiled with a target attribute and only called when
 * the CPU has it (mix.c picks at load); the tail (ns % 8 or 16) is scalar.
 */
#include "mix_priv.h"

#if SB_MIX_HAVE_X86
#include <immintrin.h>

/* the scalar tail: samples [s0, ns) exactly as the reference */
static void mix_tail(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		     unsigned s0, unsigned ns, uint64_t present)
{
	for (unsigned j = 0; j < m->n; j++) {
		uint64_t heard;

		if (!(m->on >> j & 1) || out[j] == NULL)
			continue;
		heard = ((m->talk & ~(1ull << j)) | m->whisper_to[j]) & present;
		for (unsigned s = s0; s < ns; s++) {
			int32_t acc = 0;

			for (uint64_t b = heard; b; b &= b - 1)
				acc += in[__builtin_ctzll(b)][s];
			out[j][s] = sb_mix_sat16(acc);
		}
	}
}

static uint64_t mix_present(const struct sb_mix *m, const int16_t *const *in)
{
	uint64_t present = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (in[i] != NULL)
			present |= 1ull << i;
	return present;
}

/* 8 int16 -> two vectors of 4 int32 (SSE2 has no pmovsx: interleave with
 * itself and shift the sign in) */
#define WIDEN_LO(x) _mm_srai_epi32(_mm_unpacklo_epi16((x), (x)), 16)
#define WIDEN_HI(x) _mm_srai_epi32(_mm_unpackhi_epi16((x), (x)), 16)

void sb_mix_s16_sse2(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		       unsigned ns)
{
	uint64_t present = mix_present(m, in);
	uint64_t talk = m->talk & present, outs = 0;
	unsigned s = 0;

	for (unsigned j = 0; j < m->n; j++)
		if ((m->on >> j & 1) && out[j] != NULL)
			outs |= 1ull << j;
	for (; s + 8 <= ns; s += 8) {
		__m128i tlo = _mm_setzero_si128(), thi = _mm_setzero_si128();

		for (uint64_t b = talk; b; b &= b - 1) {
			__m128i x = _mm_loadu_si128((const __m128i *)(in[__builtin_ctzll(b)] + s));

			tlo = _mm_add_epi32(tlo, WIDEN_LO(x));
			thi = _mm_add_epi32(thi, WIDEN_HI(x));
		}
		for (uint64_t ob = outs; ob; ob &= ob - 1) {
			unsigned j = (unsigned)__builtin_ctzll(ob);
			__m128i lo = tlo, hi = thi;

			if (talk >> j & 1) {
				__m128i x = _mm_loadu_si128((const __m128i *)(in[j] + s));

				lo = _mm_sub_epi32(lo, WIDEN_LO(x));
				hi = _mm_sub_epi32(hi, WIDEN_HI(x));
			}
			for (uint64_t b = m->whisper_to[j] & present; b; b &= b - 1) {
				__m128i x = _mm_loadu_si128((const __m128i *)(in[__builtin_ctzll(b)] + s));

				lo = _mm_add_epi32(lo, WIDEN_LO(x));
				hi = _mm_add_epi32(hi, WIDEN_HI(x));
			}
			_mm_storeu_si128((__m128i *)(out[j] + s), _mm_packs_epi32(lo, hi));
		}
	}
	if (s < ns)
		mix_tail(m, in, out, s, ns, present);
}

__attribute__((target("avx2")))
void sb_mix_s16_avx2(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		       unsigned ns)
{
	uint64_t present = mix_present(m, in);
	uint64_t talk = m->talk & present, outs = 0;
	unsigned s = 0;

	for (unsigned j = 0; j < m->n; j++)
		if ((m->on >> j & 1) && out[j] != NULL)
			outs |= 1ull << j;
	for (; s + 16 <= ns; s += 16) {
		__m256i tlo = _mm256_setzero_si256(), thi = _mm256_setzero_si256();

		for (uint64_t b = talk; b; b &= b - 1) {
			const int16_t *p = in[__builtin_ctzll(b)] + s;

			tlo = _mm256_add_epi32(tlo, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p)));
			thi = _mm256_add_epi32(thi, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(p + 8))));
		}
		for (uint64_t ob = outs; ob; ob &= ob - 1) {
			unsigned j = (unsigned)__builtin_ctzll(ob);
			__m256i lo = tlo, hi = thi;

			if (talk >> j & 1) {
				const int16_t *p = in[j] + s;

				lo = _mm256_sub_epi32(lo, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p)));
				hi = _mm256_sub_epi32(hi, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(p + 8))));
			}
			for (uint64_t b = m->whisper_to[j] & present; b; b &= b - 1) {
				const int16_t *p = in[__builtin_ctzll(b)] + s;

				lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p)));
				hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(p + 8))));
			}
			/* packs works per 128-bit lane: [lo0-3 hi0-3 lo4-7 hi4-7];
			 * put the 64-bit quarters back in order */
			_mm256_storeu_si256((__m256i *)(out[j] + s),
					    _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xd8));
		}
	}
	if (s < ns)
		mix_tail(m, in, out, s, ns, present);
}
#endif
