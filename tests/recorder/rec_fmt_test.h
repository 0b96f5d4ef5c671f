/* SPDX-License-Identifier: MIT */
/* Readers for the recorder's other formats, as a player would read them:
 * a mono WAV, an Ogg Opus file (libogg pages with their CRCs, libopus
 * decode, pre-skip and end trimming by the granule positions), a pcapng
 * capture (libpcap).  Plus Opus frames of a tone for Opus legs. */
#ifndef SB_REC_FMT_TEST_H
#define SB_REC_FMT_TEST_H

#include <ogg/ogg.h>
#include <opus/opus.h>
#include <pcap/pcap.h>

#include "rec_test.h"

/* A mono WAV (our mix): 0 or a negative code. */
static inline int wav_read_mono(const char *path, int16_t **out, uint64_t *frames)
{
	FILE *fp = fopen(path, "rb");
	uint8_t h[SB_REC_HDR_SIZE];
	long n;

	*out = NULL;
	if (fp == NULL)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if (n < SB_REC_HDR_SIZE || fread(h, 1, sizeof(h), fp) != sizeof(h) ||
	    memcmp(h, "RIFF", 4) || rd16(h + 20) != 1 || rd16(h + 22) != 1 ||
	    rd32(h + 24) != 8000 || rd16(h + 34) != 16 || memcmp(h + 4088, "data", 4) ||
	    rd32(h + 4092) != (uint64_t)n - SB_REC_HDR_SIZE) {
		fclose(fp);
		return -2;
	}
	*frames = rd32(h + 4092) / 2;
	*out = calloc(*frames + 1, sizeof(int16_t));
	for (uint64_t i = 0; i < *frames; i++) {
		uint8_t b[2];

		if (fread(b, 1, 2, fp) != 2)
			break;
		(*out)[i] = (int16_t)rd16(b);
	}
	fclose(fp);
	return 0;
}

struct oggf {
	unsigned channels, preskip, pages, packets, bad;
	int64_t last_gran;
	bool eos, tags;
	uint64_t frames;        /* decoded sample frames after pre-skip and trimming (8 kHz) */
	int16_t *l, *r;
};

/* Read and decode an Ogg Opus file at 8 kHz.  0 or a negative code
 * naming what is wrong (printed). */
static inline int ogg_read(const char *path, struct oggf *o)
{
	FILE *fp = fopen(path, "rb");
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_page pg;
	ogg_packet op;
	OpusDecoder *dec = NULL;
	int16_t pcm[960 * 2];
	size_t cap = 8000 * 60;
	bool os_ok = false;
	int64_t dec_total = 0; /* 48 kHz samples decoded (before pre-skip) */
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (fp == NULL)
		return -1;
	o->l = calloc(cap, sizeof(int16_t));
	o->r = calloc(cap, sizeof(int16_t));
	ogg_sync_init(&oy);
	for (;;) {
		int pr = ogg_sync_pageout(&oy, &pg);

		if (pr < 0) { /* bytes skipped: a bad CRC or garbage */
			o->bad++;
			continue;
		}
		if (pr == 0) {
			char *b = ogg_sync_buffer(&oy, 4096);
			size_t n = fread(b, 1, 4096, fp);

			if (n == 0)
				break;
			ogg_sync_wrote(&oy, (long)n);
			continue;
		}
		o->pages++;
		if (!os_ok) {
			if (!ogg_page_bos(&pg)) {
				rc = -2;
				break;
			}
			ogg_stream_init(&os, ogg_page_serialno(&pg));
			os_ok = true;
		}
		if (ogg_page_eos(&pg))
			o->eos = true;
		if (ogg_page_granulepos(&pg) >= 0) {
			if (ogg_page_granulepos(&pg) < o->last_gran) {
				rc = -3; /* granule positions must not go back */
				break;
			}
			o->last_gran = ogg_page_granulepos(&pg);
		}
		ogg_stream_pagein(&os, &pg);
		while (ogg_stream_packetout(&os, &op) == 1) {
			int err, n;

			if (o->packets == 0) {
				if (op.bytes < 19 || memcmp(op.packet, "OpusHead", 8) || op.packet[8] != 1) {
					rc = -4;
					goto out;
				}
				o->channels = op.packet[9];
				o->preskip = rd16(op.packet + 10);
				dec = opus_decoder_create(8000, (int)o->channels, &err);
			} else if (o->packets == 1) {
				if (op.bytes < 8 || memcmp(op.packet, "OpusTags", 8)) {
					rc = -5;
					goto out;
				}
				o->tags = true;
			} else {
				n = opus_decode(dec, op.packet, (opus_int32)op.bytes, pcm, 960, 0);
				if (n < 0) {
					rc = -6;
					goto out;
				}
				for (int i = 0; i < n; i++) {
					/* 8 kHz index of this sample after the 48 kHz pre-skip */
					int64_t at = (dec_total + 6 * (int64_t)i - o->preskip) / 6;

					if (dec_total + 6 * i < (int64_t)o->preskip || (size_t)at >= cap)
						continue;
					o->l[at] = pcm[o->channels * i];
					o->r[at] = pcm[o->channels * i + (o->channels - 1)];
				}
				dec_total += 6 * n;
			}
			o->packets++;
		}
	}
	if (rc == 0 && (o->packets < 2 || !o->tags))
		rc = -7;
	/* the end: the last granule position (end trimming) */
	if (rc == 0) {
		int64_t end = o->last_gran - o->preskip;

		if (end < 0 || end > dec_total - (int64_t)o->preskip)
			rc = -8;
		else
			o->frames = (uint64_t)end / 6;
	}
out:
	if (dec)
		opus_decoder_destroy(dec);
	if (os_ok)
		ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
	fclose(fp);
	if (rc)
		fprintf(stderr, "ogg_read %s: error %d (pages %u packets %u)\n", path, rc, o->pages,
			o->packets);
	return rc;
}

static inline void ogg_free(struct oggf *o)
{
	free(o->l);
	free(o->r);
}

/* An Opus encoder for a leg's stream (8 kHz input, like a narrowband
 * phone; the RTP clock is 48 kHz whatever the rate). */
static inline OpusEncoder *opus_leg_enc(int bitrate, bool cbr)
{
	int err;
	OpusEncoder *e = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);

	if (e == NULL)
		return NULL;
	opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(e, OPUS_SET_VBR(cbr ? 0 : 1));
	return e;
}

/* Opus packet k (20 ms) of a tone of hz: bytes in pkt, length returned. */
static inline int opus_tone_pkt(OpusEncoder *e, double hz, unsigned k, uint8_t *pkt, int max)
{
	int16_t pcm[160];

	for (unsigned i = 0; i < 160; i++)
		pcm[i] = (int16_t)lrint(8000.0 * sin(2 * M_PI * hz * (k * 160 + i) / 8000.0));
	return opus_encode(e, pcm, 160, pkt, max);
}

/* Push one payload as frames of SB_REC_PAYLOAD_MAX bytes (MORE/CONT),
 * the way the dataplane tap does.  Returns the elements pushed. */
static inline unsigned push_payload(struct sb_rec_prod *p, uint32_t call, unsigned chan,
				    unsigned codec, uint32_t ts, uint32_t flags,
				    const uint8_t *data, unsigned len)
{
	struct sb_rec_frame f[8];
	unsigned n = 0;

	for (unsigned off = 0; off < len && n < 8; n++) {
		unsigned l = len - off < SB_REC_PAYLOAD_MAX ? len - off : SB_REC_PAYLOAD_MAX;

		memset(&f[n], 0, sizeof(f[n]));
		f[n].call_id = call;
		f[n].chan = (uint8_t)chan;
		f[n].codec = (uint8_t)codec;
		f[n].ts = ts;
		f[n].len = (uint16_t)l;
		f[n].flags = flags | (off ? SB_REC_FRAME_CONT : 0) |
			     (off + l < len ? SB_REC_FRAME_MORE : 0);
		memcpy(f[n].payload, data + off, l);
		off += l;
	}
	return sb_rec_push_burst(p, f, n);
}

#endif
