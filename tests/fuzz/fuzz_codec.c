/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for media/jbuf.c and media/codec.c: RTP payloads with
 * their sequence number, timestamp and arrival time from the network,
 * through a transcoding leg (jitter buffer, G.711 or Opus decode with
 * PLC/FEC, resampling, encode).
 *
 * Input: byte 0 = set-up: bits 0-1 the received codec (PCMU, PCMA, Opus,
 * Opus), bits 2-3 Opus's PCM rate (8000, 16000, 48000, 48000), bit 4 FEC,
 * bit 5 the sent codec is Opus (else the other G.711 law), bit 6 DTX,
 * bit 7 fixed delay (min = max).  Then records of
 *   ctl, dseq (int8), dts (int8, quarter frames), len, len payload bytes
 * where ctl bit 0 = run a tick after the packet, bit 1 = 3 ticks, bit 2 =
 * absolute sequence number (dseq << 8), bit 3 = arrival jumps 1 s,
 * bit 4 = no packet (ticks only).
 * Invariants: every tick gives a payload of the expected size (G.711) or
 * 0..max (Opus); the counters add up (played + drops <= packets; the
 * tick kinds account for every tick); the target delay stays <= max.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t rates[4] = { 8000, 16000, 48000, 48000 };
	struct sb_codec_cfg in = { 0 }, out = { 0 };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 200 };
	uint8_t pkt[SB_CODEC_MAX_PAYLOAD];
	const struct sb_jbuf_stats *js;
	struct sb_enc_pkt ep;
	struct sb_xcode *x;
	uint64_t ticks = 0, drops = 0;
	uint32_t ts = 0, arrival = 0, frame_ts;
	uint16_t seq = 0;
	size_t i = 1;

	if (size < 1)
		return 0;
	in.codec = (data[0] & 3) == 0 ? SB_CODEC_PCMU : (data[0] & 3) == 1 ? SB_CODEC_PCMA
									 : SB_CODEC_OPUS;
	in.rate = in.codec == SB_CODEC_OPUS ? rates[(data[0] >> 2) & 3] : 8000;
	in.fec = (data[0] >> 4) & 1;
	if (data[0] & 0x20)
		out = (struct sb_codec_cfg){ .codec = SB_CODEC_OPUS, .rate = 48000, .complexity = 0,
					     .dtx = (data[0] >> 6) & 1, .fec = in.fec };
	else
		out = (struct sb_codec_cfg){ .codec = in.codec == SB_CODEC_PCMU ? SB_CODEC_PCMA
										: SB_CODEC_PCMU, .rate = 8000 };
	if (data[0] & 0x80)
		jb.min_ms = jb.max_ms = 60;
	x = sb_xcode_create(&in, &out, &jb);
	if (x == NULL)
		abort();
	frame_ts = sb_codec_clock(&in) / 50;
	while (i + 4 <= size) {
		uint8_t ctl = data[i];
		int8_t dseq = (int8_t)data[i + 1], dts = (int8_t)data[i + 2];
		unsigned len = data[i + 3], nt;

		i += 4;
		if (len > size - i)
			len = (unsigned)(size - i);
		seq = ctl & 4 ? (uint16_t)((uint8_t)dseq << 8) : (uint16_t)(seq + dseq);
		ts += (uint32_t)(int32_t)dts * (frame_ts / 4);
		arrival += frame_ts / 2 + (ctl & 8 ? sb_codec_clock(&in) : 0);
		if (!(ctl & 0x10))
			sb_xcode_rx(x, data + i, len, seq, ts, arrival);
		i += len;
		nt = (ctl & 1) + (ctl & 2 ? 3 : 0);
		for (unsigned t = 0; t < nt; t++) {
			int n = sb_xcode_tick(x, pkt, sizeof(pkt), &ep);

			ticks++;
			if (out.codec != SB_CODEC_OPUS ? n != 160 : (n < 0 || n > (int)sizeof(pkt)))
				abort();
		}
	}
	js = sb_dec_jbuf_stats(sb_xcode_dec(x));
	for (unsigned d = 0; d < SB_JBUF_DROP_N; d++)
		drops += js->drop[d];
	if (js->played + drops > js->packets)
		abort();
	if (sb_dec_stats(sb_xcode_dec(x))->frames != ticks)
		abort();
	/* each tick is one of these; lost also counts frames skipped without
	 * a tick (concealed while EMPTY, or found late on arrival) */
	if (js->played + js->expand + js->gap + js->empty + js->wait > ticks ||
	    js->played + js->lost + js->expand + js->gap + js->empty + js->wait < ticks)
		abort();
	if (js->target > 200 * sb_codec_clock(&in) / 1000)
		abort();
	sb_xcode_free(x);
	return 0;
}
