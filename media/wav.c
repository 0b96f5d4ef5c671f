/* SPDX-License-Identifier: MIT */
/*
 * wav.c — RIFF/WAVE parsing for prompts (see sb/wav.h).  Every read goes
 * through rd16/rd32 after a check that the bytes are there; sizes are
 * compared as "needed <= left" so that no addition can wrap.
 */
#include <errno.h>
#include <string.h>

#include "sb/wav.h"

static const char *const wav_err_name[SB_WAV_E_N] = {
#define _(n, d) [SB_WAV_E_##n] = #n,
	SB_WAV_ERRS(_)
#undef _
};
static const char *const wav_err_desc[SB_WAV_E_N] = {
#define _(n, d) [SB_WAV_E_##n] = d,
	SB_WAV_ERRS(_)
#undef _
};

const char *sb_wav_err_name(enum sb_wav_err e)
{
	return (unsigned)e < SB_WAV_E_N ? wav_err_name[e] : NULL;
}

const char *sb_wav_err_desc(enum sb_wav_err e)
{
	return (unsigned)e < SB_WAV_E_N ? wav_err_desc[e] : NULL;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* KSDATAFORMAT_SUBTYPE_*: the format tag, then this fixed tail */
static const uint8_t ext_guid_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

static int wav_fail(struct sb_wav *w, enum sb_wav_err e, size_t off, int rc)
{
	w->err = e;
	w->err_off = (uint32_t)(off > UINT32_MAX ? UINT32_MAX : off);
	return rc;
}

/* fmt chunk at p (n bytes, at file offset off) into w. */
static int wav_fmt(struct sb_wav *w, const uint8_t *p, uint32_t n, size_t off)
{
	uint16_t tag, ch, align, bits;
	uint32_t rate, byte_rate;

	if (n < 16)
		return wav_fail(w, SB_WAV_E_FMT_SIZE, off, -EINVAL);
	tag = rd16(p);
	ch = rd16(p + 2);
	rate = rd32(p + 4);
	byte_rate = rd32(p + 8);
	align = rd16(p + 12);
	bits = rd16(p + 14);
	if (tag == 0xfffe) {
		/* cbSize(2) validBits(2) channelMask(4) GUID(16) */
		if (n < 40 || rd16(p + 16) < 22)
			return wav_fail(w, SB_WAV_E_FMT_SIZE, off, -EINVAL);
		if (memcmp(p + 26, ext_guid_tail, sizeof(ext_guid_tail)) != 0 || rd16(p + 24) > 0xff)
			return wav_fail(w, SB_WAV_E_EXT_GUID, off + 24, -ENOTSUP);
		tag = rd16(p + 24);
		if (tag != SB_WAV_PCM16 && tag != SB_WAV_ALAW && tag != SB_WAV_ULAW)
			return wav_fail(w, SB_WAV_E_EXT_GUID, off + 24, -ENOTSUP);
		/* valid bits below the container (e.g. 12 in 16) still play */
		if (rd16(p + 18) > bits)
			return wav_fail(w, SB_WAV_E_BITS, off + 18, -EINVAL);
	} else if (tag != SB_WAV_PCM16 && tag != SB_WAV_ALAW && tag != SB_WAV_ULAW) {
		return wav_fail(w, SB_WAV_E_FORMAT, off, -ENOTSUP);
	}
	if (ch == 0)
		return wav_fail(w, SB_WAV_E_NO_CHANNELS, off + 2, -EINVAL);
	if (ch != 1)
		return wav_fail(w, SB_WAV_E_CHANNELS, off + 2, -ENOTSUP);
	if (tag == SB_WAV_PCM16 ? (rate != 8000 && rate != 16000 && rate != 48000) : rate != 8000)
		return wav_fail(w, SB_WAV_E_RATE, off + 4, -ENOTSUP);
	if (bits != (tag == SB_WAV_PCM16 ? 16 : 8))
		return wav_fail(w, SB_WAV_E_BITS, off + 14, -ENOTSUP);
	if (align != ch * bits / 8)
		return wav_fail(w, SB_WAV_E_BLOCK_ALIGN, off + 12, -EINVAL);
	if (byte_rate != rate * align)
		return wav_fail(w, SB_WAV_E_BYTE_RATE, off + 8, -EINVAL);
	w->format = tag;
	w->bits = bits;
	w->rate = rate;
	return 0;
}

int sb_wav_parse(const uint8_t *buf, size_t len, struct sb_wav *w)
{
	size_t off, end, data_off = 0;
	const uint8_t *data = NULL;
	uint32_t data_len = 0;
	int have_fmt = 0, rc;

	memset(w, 0, sizeof(*w));
	if (len < 12)
		return wav_fail(w, SB_WAV_E_SHORT, len, -EINVAL);
	if (memcmp(buf, "RIFF", 4) != 0)
		return wav_fail(w, SB_WAV_E_NOT_RIFF, 0, -EINVAL);
	if (memcmp(buf + 8, "WAVE", 4) != 0)
		return wav_fail(w, SB_WAV_E_NOT_WAVE, 8, -EINVAL);
	if (rd32(buf + 4) > len - 8)
		return wav_fail(w, SB_WAV_E_RIFF_SIZE, 4, -EINVAL);
	end = 8 + (size_t)rd32(buf + 4);   /* bytes after the RIFF chunk are not ours */
	if (end < 12)
		return wav_fail(w, SB_WAV_E_RIFF_SIZE, 4, -EINVAL);

	for (off = 12; off < end;) {
		uint32_t sz;

		if (end - off < 8)
			return wav_fail(w, SB_WAV_E_CHUNK_HDR, off, -EINVAL);
		sz = rd32(buf + off + 4);
		if (sz > end - off - 8)
			return wav_fail(w, SB_WAV_E_CHUNK_SIZE, off + 4, -EINVAL);
		if (memcmp(buf + off, "fmt ", 4) == 0) {
			if (have_fmt)
				return wav_fail(w, SB_WAV_E_DUP_CHUNK, off, -EINVAL);
			rc = wav_fmt(w, buf + off + 8, sz, off + 8);
			if (rc < 0)
				return rc;
			have_fmt = 1;
		} else if (memcmp(buf + off, "data", 4) == 0) {
			if (data != NULL)
				return wav_fail(w, SB_WAV_E_DUP_CHUNK, off, -EINVAL);
			data = buf + off + 8;
			data_len = sz;
			data_off = off + 8;
		}
		/* chunk, then its pad byte when odd (absent at the very end: fine) */
		off += 8 + (size_t)sz;
		if ((sz & 1) && off < end)
			off++;
	}
	if (!have_fmt)
		return wav_fail(w, SB_WAV_E_NO_FMT, end, -EINVAL);
	if (data == NULL)
		return wav_fail(w, SB_WAV_E_NO_DATA, end, -EINVAL);
	if (data_len % (w->bits / 8u) != 0)
		return wav_fail(w, SB_WAV_E_DATA_ALIGN, data_off - 4, -EINVAL);
	if (data_len == 0)
		return wav_fail(w, SB_WAV_E_EMPTY, data_off - 4, -EINVAL);
	w->data = data;
	w->data_len = data_len;
	w->n_samples = data_len / (w->bits / 8u);
	return 0;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

size_t sb_wav_write(uint8_t *out, size_t cap, enum sb_wav_fmt fmt, uint32_t rate,
		    const void *samples, uint32_t n_samples)
{
	unsigned bps = fmt == SB_WAV_PCM16 ? 2 : 1;
	uint64_t dlen = (uint64_t)n_samples * bps;

	if ((fmt != SB_WAV_PCM16 && fmt != SB_WAV_ALAW && fmt != SB_WAV_ULAW) ||
	    (fmt == SB_WAV_PCM16 ? (rate != 8000 && rate != 16000 && rate != 48000) : rate != 8000) ||
	    dlen > UINT32_MAX - 36 || 44 + dlen + (dlen & 1) > cap)
		return 0;
	memcpy(out, "RIFF", 4);
	wr32(out + 4, (uint32_t)(36 + dlen + (dlen & 1)));
	memcpy(out + 8, "WAVEfmt ", 8);
	wr32(out + 16, 16);
	wr16(out + 20, (uint16_t)fmt);
	wr16(out + 22, 1);
	wr32(out + 24, rate);
	wr32(out + 28, rate * bps);
	wr16(out + 32, (uint16_t)bps);
	wr16(out + 34, (uint16_t)(bps * 8));
	memcpy(out + 36, "data", 4);
	wr32(out + 40, (uint32_t)dlen);
	if (bps == 2) {
		const int16_t *s = samples;

		for (uint32_t i = 0; i < n_samples; i++)
			wr16(out + 44 + 2 * i, (uint16_t)s[i]);
	} else {
		memcpy(out + 44, samples, n_samples);
	}
	if (dlen & 1)
		out[44 + dlen] = 0;
	return 44 + dlen + (dlen & 1);
}
