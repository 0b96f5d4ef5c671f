/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what the recorder thread does with ring elements
 * whose payload came from the network (recorder/rec.c): Opus packets
 * decoded (libopus on any bytes), RFC 4733 event payloads (masking),
 * payloads split over several elements (MORE/CONT, cut short by a full
 * ring), captured packets (pcapng), G.711 with in-band detection.  One
 * real recorder (io_uring, files in a temp directory) with four calls
 * open: wav-pcm16 masked, ogg-opus masked, pcap, wav-mono; every 64
 * inputs they are closed and reopened.  Input: records of
 * [chan/codec/flags byte][len byte][ts 2 bytes][len payload bytes].
 * Invariant: no crash, no sanitizer report, the recorder keeps draining.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sb_rec *rec;
static char dir[64];
static unsigned runs;

/* at exit (the replay): the open calls abandoned, the files removed */
static void cleanup(void)
{
	char p[160];

	sb_rec_free(rec);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/c%u", dir, i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/c%u.part", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

static void calls_start(void)
{
	static const unsigned fmt[4] = {SB_REC_FMT_PCM16, SB_REC_FMT_OPUS, SB_REC_FMT_PCAP,
					SB_REC_FMT_MONO};

	for (unsigned i = 0; i < 4; i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/c%u", dir, i);
		sb_rec_start_opts(rec, i + 1, p, (enum sb_rec_fmt)fmt[i], 0,
				  fmt[i] == SB_REC_FMT_PCAP || fmt[i] == SB_REC_FMT_MONO
					  ? 0 : SB_REC_OPT_MASK_DTMF);
	}
	sb_rec_poll(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t codecs[5] = {SB_REC_PCMU, SB_REC_PCMA, SB_REC_OPUS, SB_REC_TEV,
					  SB_REC_PKT};
	struct sb_rec_frame f;
	size_t off = 0;

	if (rec == NULL) {
		struct sb_rec_cfg cfg = {.nprod = 1, .ring_slots = 256, .max_calls = 8,
					 .nbufs = 16, .buf_size = 16384, .segment_ms = 1000};

		snprintf(dir, sizeof(dir), "/tmp/sb-fuzz-rec-frames.XXXXXX");
		if (mkdtemp(dir) == NULL || (rec = sb_rec_create(&cfg)) == NULL)
			abort();
		atexit(cleanup);
		calls_start();
	}
	while (size - off >= 4) {
		uint8_t k = data[off], len = data[off + 1];

		memset(&f, 0, sizeof(f));
		f.call_id = 1 + (k >> 6);
		f.chan = k & 1;
		f.codec = codecs[((k >> 1) & 7) % 5];
		f.flags = (k & 0x10 ? SB_REC_FRAME_MORE : 0) | (k & 0x20 ? SB_REC_FRAME_CONT : 0);
		f.ts = (uint32_t)(data[off + 2] << 8 | data[off + 3]) * 40u;
		off += 4;
		if (len > size - off)
			len = (uint8_t)(size - off);
		f.len = len; /* 0 and > 160 are refused by the recorder: kept */
		memcpy(f.payload, data + off, len < SB_REC_PAYLOAD_MAX ? len : SB_REC_PAYLOAD_MAX);
		off += len;
		sb_rec_push_burst(sb_rec_prod(rec, 0), &f, 1);
		if (sb_rec_prod_count(rec, 0) > 128)
			sb_rec_poll(rec);
	}
	sb_rec_poll(rec);
	if (++runs % 64 == 0) {
		struct sb_rec_event ev[16];

		for (uint32_t i = 1; i <= 4; i++)
			sb_rec_stop(rec, i);
		if (sb_rec_drain(rec, 5000) != 0)
			abort();
		while (sb_rec_event_poll(rec, ev, 16) > 0)
			;
		calls_start();
	}
	return 0;
}
