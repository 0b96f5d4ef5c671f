/* SPDX-License-Identifier: MIT */
/*
 * g711_t — media/g711.c against the ITU-T G.191 STL reference algorithm
 * (g711.c: ulaw_compress/expand, alaw_compress/expand), written out here
 * sample by sample as the STL does it:
 *   - all 65536 linear inputs encode to the reference's code (both laws);
 *   - all 256 codes decode to the reference's value, and re-encode to
 *     themselves (except µ-law 0x7F, "negative zero", which decodes to 0
 *     and so re-encodes as 0xFF — the reference does the same);
 *   - the frame functions and the µ<->A transcoders agree with the
 *     per-sample ones;
 *   - a few published anchors (silence 0xFF / 0xD5, the extremes).
 */
#include <stdint.h>
#include <stdio.h>

#include "sb/g711.h"
#include "test.h"

/* ---- ITU-T G.191 STL g711.c, one sample at a time ---- */

static uint8_t ref_ulaw_compress(int16_t lin)
{
	short absno = lin < 0 ? (short)(((~lin) >> 2) + 33) : (short)((lin >> 2) + 33);
	short i, segno, low, high, out;

	if (absno > 0x1FFF)
		absno = 0x1FFF;
	i = (short)(absno >> 6);
	segno = 1;
	while (i != 0) {
		segno++;
		i >>= 1;
	}
	high = (short)(0x0008 - segno);
	low = (short)((absno >> segno) & 0x000F);
	low = (short)(0x000F - low);
	out = (short)((high << 4) | low);
	if (lin >= 0)
		out |= 0x0080;
	return (uint8_t)out;
}

static int16_t ref_ulaw_expand(uint8_t log)
{
	short sign = log < 0x0080 ? -1 : 1;
	short mantissa = (short)~log;
	short exponent = (short)((mantissa >> 4) & 0x0007);
	short segment = (short)(exponent + 1);
	short step;

	mantissa = (short)(mantissa & 0x000F);
	step = (short)(4 << segment);
	return (int16_t)(sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33));
}

static uint8_t ref_alaw_compress(int16_t lin)
{
	short ix = lin < 0 ? (short)((~lin) >> 4) : (short)(lin >> 4), iexp;

	if (ix > 15) {
		iexp = 1;
		while (ix > 16 + 15) {
			ix >>= 1;
			iexp++;
		}
		ix = (short)(ix - 16);
		ix = (short)(ix + (iexp << 4));
	}
	if (lin >= 0)
		ix |= 0x0080;
	return (uint8_t)(ix ^ 0x0055);
}

static int16_t ref_alaw_expand(uint8_t log)
{
	short ix = (short)(log ^ 0x0055), iexp, mant;

	ix &= 0x007F;
	iexp = (short)(ix >> 4);
	mant = (short)(ix & 0x000F);
	if (iexp > 0)
		mant = (short)(mant + 16);
	mant = (short)((mant << 4) + 0x0008);
	if (iexp > 1)
		mant = (short)(mant << (iexp - 1));
	return (int16_t)(log > 127 ? mant : -mant);
}

int main(void)
{
	static int16_t lin[65536], dec[256];
	static uint8_t enc[65536], codes[256], back[256];
	unsigned bad = 0;

	for (int x = -32768; x <= 32767; x++) {
		int16_t v = (int16_t)x;

		if (sb_g711_ulaw_enc1(v) != ref_ulaw_compress(v) ||
		    sb_g711_alaw_enc1(v) != ref_alaw_compress(v)) {
			if (bad++ < 5)
				fprintf(stderr, "x=%d: ulaw %02x ref %02x, alaw %02x ref %02x\n", x,
					sb_g711_ulaw_enc1(v), ref_ulaw_compress(v),
					sb_g711_alaw_enc1(v), ref_alaw_compress(v));
		}
	}
	T_ASSERT_EQ_U64(bad, 0);
	printf("ok  all 65536 linear inputs encode as the G.191 reference (µ-law and A-law)\n");

	for (unsigned c = 0; c < 256; c++) {
		uint8_t u = (uint8_t)c;

		T_ASSERT_EQ_U64((uint16_t)sb_g711_ulaw_dec1(u), (uint16_t)ref_ulaw_expand(u));
		T_ASSERT_EQ_U64((uint16_t)sb_g711_alaw_dec1(u), (uint16_t)ref_alaw_expand(u));
		T_ASSERT_EQ_U64(sb_g711_alaw_enc1(sb_g711_alaw_dec1(u)), c);
		T_ASSERT_EQ_U64(ref_alaw_compress(ref_alaw_expand(u)), c);
		if (c == 0x7f) {
			T_ASSERT_EQ_U64(sb_g711_ulaw_dec1(u), 0);
			T_ASSERT_EQ_U64(sb_g711_ulaw_enc1(0), 0xff);
			T_ASSERT_EQ_U64(ref_ulaw_compress(ref_ulaw_expand(u)), 0xff);
		} else {
			T_ASSERT_EQ_U64(sb_g711_ulaw_enc1(sb_g711_ulaw_dec1(u)), c);
		}
	}
	printf("ok  all 256 codes decode as the reference and re-encode to themselves (µ-law 0x7F -> 0xFF)\n");

	/* frames and transcoders against the per-sample functions */
	for (unsigned i = 0; i < 65536; i++)
		lin[i] = (int16_t)(i * 40503u);            /* a permutation of all inputs */
	sb_g711_ulaw_encode(enc, lin, 65536);
	for (unsigned i = 0; i < 65536; i++)
		T_ASSERT(enc[i] == ref_ulaw_compress(lin[i]));
	sb_g711_alaw_encode(enc, lin, 65536);
	for (unsigned i = 0; i < 65536; i++)
		T_ASSERT(enc[i] == ref_alaw_compress(lin[i]));
	for (unsigned c = 0; c < 256; c++)
		codes[c] = (uint8_t)c;
	sb_g711_ulaw_decode(dec, codes, 256);
	for (unsigned c = 0; c < 256; c++)
		T_ASSERT(dec[c] == ref_ulaw_expand((uint8_t)c));
	sb_g711_alaw_decode(dec, codes, 256);
	for (unsigned c = 0; c < 256; c++)
		T_ASSERT(dec[c] == ref_alaw_expand((uint8_t)c));
	sb_g711_ulaw_to_alaw(back, codes, 256);
	for (unsigned c = 0; c < 256; c++)
		T_ASSERT(back[c] == ref_alaw_compress(ref_ulaw_expand((uint8_t)c)));
	sb_g711_alaw_to_ulaw(back, codes, 256);
	for (unsigned c = 0; c < 256; c++)
		T_ASSERT(back[c] == ref_ulaw_compress(ref_alaw_expand((uint8_t)c)));
	printf("ok  frame encode/decode and µ<->A transcoding match sample by sample\n");

	/* anchors from G.711 itself: silence, and the largest magnitudes */
	T_ASSERT_EQ_U64(sb_g711_ulaw_enc1(0), 0xff);
	T_ASSERT_EQ_U64(sb_g711_alaw_enc1(0), 0xd5);
	T_ASSERT_EQ_U64(sb_g711_ulaw_dec1(0x80), 32124);
	T_ASSERT_EQ_U64((uint16_t)sb_g711_ulaw_dec1(0x00), (uint16_t)-32124);
	T_ASSERT_EQ_U64(sb_g711_alaw_dec1(0xaa), 32256);
	T_ASSERT_EQ_U64((uint16_t)sb_g711_alaw_dec1(0x2a), (uint16_t)-32256);
	printf("ok  anchors: silence 0xFF/0xD5, extremes ±32124 (µ) ±32256 (A)\n");
	return 0;
}
