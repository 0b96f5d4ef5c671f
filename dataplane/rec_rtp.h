/* SPDX-License-Identifier: MIT */
/*
 * rec_rtp.h — where the audio of an RTP packet is (RFC 3550 5.1: fixed
 * header, CSRCs, extension, padding), for the recording tap (rectap.c).
 * Plain C, no DPDK: the libFuzzer target tests/fuzz/fuzz_rec_rtp.c and
 * its corpus replay build it alone.
 */
#ifndef SB_DP_REC_RTP_H
#define SB_DP_REC_RTP_H

#include <stdint.h>

/* rtp .. rtp + len (len >= 12: the relay accepted it as RTP).  Returns
 * the payload length and sets *off to its first byte, off + length <= len;
 * 0 when there is no payload or the header does not fit (a CSRC list or
 * an extension longer than the packet, padding longer than what is left):
 * never reads at or past rtp + len. */
static inline uint32_t sb_rec_rtp_payload(const uint8_t *rtp, uint32_t len, uint32_t *off)
{
	uint32_t o, plen;

	if (len < 12)
		return 0;
	o = 12u + 4u * (rtp[0] & 0x0fu);
	if (rtp[0] & 0x10) { /* extension: 4-byte header, then length words */
		if (o + 4 > len)
			return 0;
		o += 4u + 4u * ((uint32_t)rtp[o + 2] << 8 | rtp[o + 3]);
	}
	if (o >= len)
		return 0;
	plen = len - o;
	if (rtp[0] & 0x20) { /* padding: its count is the last byte */
		if (rtp[len - 1] >= plen)
			return 0;
		plen -= rtp[len - 1];
	}
	*off = o;
	return plen;
}

#endif /* SB_DP_REC_RTP_H */
