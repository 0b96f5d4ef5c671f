/* SPDX-License-Identifier: MIT */
/*
 * wav_t — media/wav.c on files built here byte by byte: every accepted
 * layout (plain, extensible, unknown and odd-sized chunks with their pad
 * byte, LIST before fmt, RIFF shorter than the file) parses to the right
 * format, rate and samples; every malformed or unsupported one is refused
 * with its own reason (truncated at every length, huge sizes, wrong
 * format, zero channels, stereo, wrong rate/bits/align/byte rate, missing
 * or duplicated chunks, empty or odd data); and, when sox is installed,
 * the files sox writes parse too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb/wav.h"
#include "test.h"

static uint8_t f[4096];
static size_t n;

static void put(const void *p, size_t k)
{
	memcpy(f + n, p, k);
	n += k;
}

static void put16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, 2);
}

static void put32(uint32_t v)
{
	put16((uint16_t)v);
	put16((uint16_t)(v >> 16));
}

static void riff_begin(void)
{
	n = 0;
	put("RIFF\0\0\0\0WAVE", 12);
}

static void riff_end(void)
{
	uint32_t v = (uint32_t)(n - 8);

	memcpy(f + 4, (uint8_t[4]){ (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) }, 4);
}

static void fmt_chunk(uint16_t tag, uint16_t ch, uint32_t rate, uint16_t bits)
{
	put("fmt ", 4);
	put32(16);
	put16(tag);
	put16(ch);
	put32(rate);
	put32(rate * ch * bits / 8);
	put16((uint16_t)(ch * bits / 8));
	put16(bits);
}

static void ext_chunk(uint16_t sub, uint32_t rate, uint16_t bits, uint16_t valid)
{
	static const uint8_t tail[14] = { 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71 };

	put("fmt ", 4);
	put32(40);
	put16(0xfffe);
	put16(1);
	put32(rate);
	put32(rate * bits / 8);
	put16(bits / 8);
	put16(bits);
	put16(22);
	put16(valid);
	put32(4);    /* front centre */
	put16(sub);
	put(tail, 14);
}

static void data_chunk(uint32_t bytes)
{
	put("data", 4);
	put32(bytes);
	for (uint32_t i = 0; i < bytes; i++)
		f[n + i] = (uint8_t)(i * 7);
	n += bytes;
	if (bytes & 1)
		f[n++] = 0;
}

static void other_chunk(const char *id, uint32_t bytes)
{
	put(id, 4);
	put32(bytes);
	memset(f + n, 'x', bytes);
	n += bytes;
	if (bytes & 1)
		f[n++] = 0;
}

static void expect_ok(uint16_t fmt, uint32_t rate, uint32_t samples)
{
	struct sb_wav w;
	int rc = sb_wav_parse(f, n, &w);

	if (rc != 0)
		fprintf(stderr, "refused: %s at %u\n", sb_wav_err_desc(w.err), w.err_off);
	T_ASSERT(rc == 0);
	T_ASSERT_EQ_U64(w.err, SB_WAV_E_OK);
	T_ASSERT_EQ_U64(w.format, fmt);
	T_ASSERT_EQ_U64(w.rate, rate);
	T_ASSERT_EQ_U64(w.n_samples, samples);
	T_ASSERT(w.data >= f && w.data + w.data_len <= f + n);
	T_ASSERT_EQ_U64(w.data[1], 7);   /* data_chunk()'s pattern: it is the data */
}

static void expect_err(int want_rc, enum sb_wav_err want)
{
	struct sb_wav w;
	uint8_t *copy = malloc(n ? n : 1);   /* exact size: ASan sees any over-read */
	int rc;

	memcpy(copy, f, n);
	rc = sb_wav_parse(copy, n, &w);
	free(copy);
	if (rc != want_rc || w.err != want)
		fprintf(stderr, "want %s (%d), got %s (%d): %s\n", sb_wav_err_name(want), want_rc,
			sb_wav_err_name(w.err), rc, sb_wav_err_desc(w.err));
	T_ASSERT(rc == want_rc);
	T_ASSERT_EQ_U64(w.err, want);
	T_ASSERT(w.err_off <= n);
}

static int sox_case(const char *args, uint16_t fmt, uint32_t rate, uint32_t samples)
{
	char path[] = "/tmp/sb-prompt-wav-XXXXXX.wav", cmd[512];
	static uint8_t buf[1 << 20];
	struct sb_wav w;
	size_t len;
	FILE *fp;
	int fd = mkstemps(path, 4);

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "sox -n %s %s synth 1 sine 440 2>/dev/null", args, path);
	if (system(cmd) != 0) {
		unlink(path);
		return -1;
	}
	fp = fopen(path, "rb");
	T_ASSERT(fp != NULL);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	unlink(path);
	T_ASSERT(sb_wav_parse(buf, len, &w) == 0);
	T_ASSERT_EQ_U64(w.format, fmt);
	T_ASSERT_EQ_U64(w.rate, rate);
	T_ASSERT_EQ_U64(w.n_samples, samples);
	return 0;
}

int main(void)
{
	unsigned checked = 0;

	/* ---- accepted ---- */
	static const uint32_t rates[] = { 8000, 16000, 48000 };
	for (unsigned i = 0; i < 3; i++) {
		riff_begin();
		fmt_chunk(1, 1, rates[i], 16);
		data_chunk(320);
		riff_end();
		expect_ok(SB_WAV_PCM16, rates[i], 160);
		riff_begin();
		ext_chunk(1, rates[i], 16, 16);
		data_chunk(320);
		riff_end();
		expect_ok(SB_WAV_PCM16, rates[i], 160);
	}
	for (uint16_t law = 6; law <= 7; law++) {
		riff_begin();
		fmt_chunk(law, 1, 8000, 8);
		data_chunk(161);    /* odd: pad byte follows */
		other_chunk("LIST", 3);
		riff_end();
		expect_ok(law, 8000, 161);
		riff_begin();
		ext_chunk(law, 8000, 8, 8);
		other_chunk("fact", 4);
		data_chunk(160);
		riff_end();
		expect_ok(law, 8000, 160);
	}
	/* unknown chunks of odd size before fmt and between fmt and data */
	riff_begin();
	other_chunk("LIST", 27);
	fmt_chunk(1, 1, 8000, 16);
	other_chunk("zzzz", 1);
	data_chunk(4);
	riff_end();
	expect_ok(SB_WAV_PCM16, 8000, 2);
	/* the last chunk's pad byte missing at the end of the file */
	riff_begin();
	fmt_chunk(7, 1, 8000, 8);
	data_chunk(3);
	n--;
	riff_end();
	expect_ok(SB_WAV_ULAW, 8000, 3);
	/* trailing bytes after the RIFF chunk are ignored */
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(8);
	riff_end();
	put("junkjunk", 8);
	expect_ok(SB_WAV_PCM16, 8000, 4);

	/* ---- truncated at every length: refused, never read past the end ---- */
	riff_begin();
	fmt_chunk(1, 1, 16000, 16);
	other_chunk("LIST", 5);
	data_chunk(64);
	riff_end();
	{
		size_t full = n;

		for (size_t k = 0; k < full; k++) {
			struct sb_wav w;
			uint8_t *copy = malloc(k ? k : 1);
			int rc;

			memcpy(copy, f, k);
			rc = sb_wav_parse(copy, k, &w);
			free(copy);
			T_ASSERT(rc == -EINVAL);
			T_ASSERT(k < 12 ? w.err == SB_WAV_E_SHORT : w.err == SB_WAV_E_RIFF_SIZE);
			checked++;
		}
		/* the same cuts with the RIFF size fixed to the cut: the chunk is at fault */
		for (size_t k = 12; k < full; k++) {
			struct sb_wav w;
			uint8_t *copy = malloc(k);
			uint32_t v = (uint32_t)(k - 8);
			int rc;

			memcpy(copy, f, k);
			copy[4] = (uint8_t)v;
			copy[5] = (uint8_t)(v >> 8);
			copy[6] = copy[7] = 0;
			rc = sb_wav_parse(copy, k, &w);
			free(copy);
			T_ASSERT(rc == -EINVAL);
			T_ASSERT(w.err == SB_WAV_E_CHUNK_HDR || w.err == SB_WAV_E_CHUNK_SIZE ||
				 w.err == SB_WAV_E_NO_FMT || w.err == SB_WAV_E_NO_DATA);
			checked++;
		}
	}

	/* ---- malformed ---- */
	n = 8;
	memcpy(f, "RIFF\4\0\0\0", 8);
	expect_err(-EINVAL, SB_WAV_E_SHORT);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(4);
	riff_end();
	f[0] = 'X';
	expect_err(-EINVAL, SB_WAV_E_NOT_RIFF);
	f[0] = 'R';
	f[8] = 'A';
	expect_err(-EINVAL, SB_WAV_E_NOT_WAVE);
	f[8] = 'W';
	memcpy(f + 4, "\xff\xff\xff\xff", 4);       /* huge RIFF size */
	expect_err(-EINVAL, SB_WAV_E_RIFF_SIZE);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	put("data", 4);
	put32(0xfffffff0u);                          /* huge data size */
	put("abcd", 4);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_CHUNK_SIZE);
	riff_begin();
	put("fmt ", 4);
	put32(0xffffffffu);                          /* huge fmt size */
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_CHUNK_SIZE);
	riff_begin();
	fmt_chunk(3, 1, 8000, 32);                   /* IEEE float */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_FORMAT);
	riff_begin();
	fmt_chunk(0x55, 1, 8000, 16);                /* MP3 */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_FORMAT);
	riff_begin();
	ext_chunk(3, 8000, 16, 16);                  /* extensible float */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_EXT_GUID);
	riff_begin();
	ext_chunk(1, 8000, 16, 16);
	data_chunk(8);
	riff_end();
	f[12 + 8 + 24 + 5] ^= 1;                     /* GUID tail corrupted */
	expect_err(-ENOTSUP, SB_WAV_E_EXT_GUID);
	riff_begin();
	fmt_chunk(1, 0, 8000, 16);                   /* zero channels */
	data_chunk(8);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_NO_CHANNELS);
	riff_begin();
	fmt_chunk(1, 2, 8000, 16);                   /* stereo */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_CHANNELS);
	riff_begin();
	fmt_chunk(1, 1, 44100, 16);
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_RATE);
	riff_begin();
	fmt_chunk(6, 1, 16000, 8);                   /* A-law at 16 kHz */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_RATE);
	riff_begin();
	fmt_chunk(1, 1, 8000, 8);                    /* 8-bit PCM */
	data_chunk(8);
	riff_end();
	expect_err(-ENOTSUP, SB_WAV_E_BITS);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(8);
	riff_end();
	f[12 + 8 + 12] = 4;                          /* block align */
	expect_err(-EINVAL, SB_WAV_E_BLOCK_ALIGN);
	f[12 + 8 + 12] = 2;
	f[12 + 8 + 8] ^= 1;                          /* byte rate */
	expect_err(-EINVAL, SB_WAV_E_BYTE_RATE);
	riff_begin();
	put("fmt ", 4);
	put32(14);                                   /* WAVEFORMAT without bits */
	put("\1\0\1\0\x40\x1f\0\0\x80\x3e\0\0\2\0", 14);
	data_chunk(8);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_FMT_SIZE);
	riff_begin();
	data_chunk(8);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_NO_FMT);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	other_chunk("LIST", 4);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_NO_DATA);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(8);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_DUP_CHUNK);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(8);
	data_chunk(8);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_DUP_CHUNK);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(0);
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_EMPTY);
	riff_begin();
	fmt_chunk(1, 1, 8000, 16);
	data_chunk(7);                               /* half a sample */
	riff_end();
	expect_err(-EINVAL, SB_WAV_E_DATA_ALIGN);

	/* every reason has a name and a sentence */
	for (unsigned e = 0; e < SB_WAV_E_N; e++)
		T_ASSERT(sb_wav_err_name(e) != NULL && strlen(sb_wav_err_desc(e)) > 5);
	T_ASSERT(sb_wav_err_name(SB_WAV_E_N) == NULL);

	/* ---- sox's files ---- */
	if (sox_case("-r 16000 -b 16 -e signed-integer -c 1", SB_WAV_PCM16, 16000, 16000) < 0) {
		printf("wav: sox not available, its files not checked\n");
	} else {
		T_ASSERT(sox_case("-r 8000 -b 16 -e signed-integer -c 1", SB_WAV_PCM16, 8000, 8000) == 0);
		T_ASSERT(sox_case("-r 48000 -b 16 -e signed-integer -c 1", SB_WAV_PCM16, 48000, 48000) == 0);
		T_ASSERT(sox_case("-r 8000 -e u-law -c 1", SB_WAV_ULAW, 8000, 8000) == 0);
		T_ASSERT(sox_case("-r 8000 -e a-law -c 1", SB_WAV_ALAW, 8000, 8000) == 0);
		printf("wav: sox PCM16 8/16/48 kHz, u-law, A-law parsed\n");
	}
	printf("wav: all layouts and %u truncations checked\n", checked);
	return 0;
}
