/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the compound RTCP walk (common/rtp.c), which the
 * dataplane runs on every RTCP packet from the network before it reads
 * report blocks or rewrites SSRCs.  Invariants checked: every packet found
 * lies inside the input, packets are contiguous and in order, report
 * blocks and sender SSRC offsets lie inside their packet; then everything
 * the dataplane would read is read (so ASan sees any overrun).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sb/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_rtcp_pkt p[SB_RTCP_MAX_PKTS];
	uint32_t sum = 0;
	size_t next = 0;
	int n = sb_rtcp_walk(data, size, p, SB_RTCP_MAX_PKTS);

	if (n < 0) {
		if (n != -EBADMSG && n != -E2BIG)
			abort();
		return 0;
	}
	if (n == 0 || (unsigned)n > SB_RTCP_MAX_PKTS)
		abort();
	for (int i = 0; i < n; i++) {
		const uint8_t *pk = data + p[i].off;
		uint16_t offs[32];
		unsigned ns;

		if (p[i].off != next || p[i].len < 4 || (size_t)p[i].off + p[i].len > size)
			abort();
		next = p[i].off + ((size_t)sb_be16(pk + 2) + 1) * 4;
		if (p[i].pt == SB_RTCP_SR || p[i].pt == SB_RTCP_RR) {
			for (unsigned b = 0; b < p[i].count; b++) {
				struct sb_rtcp_rb rb;
				unsigned o = sb_rtcp_rb_off(&p[i], b);

				if (o + SB_RTCP_RB_LEN > p[i].len)
					abort();
				sb_rtcp_rb_read(pk + o, &rb);
				sum += rb.ssrc + rb.ext_seq + (uint32_t)rb.cum_lost;
				sum += (uint32_t)sb_rtcp_rtt_q16(sum, rb.lsr, rb.dlsr);
			}
			sum += sb_be32(pk + 4);
		}
		ns = sb_rtcp_sender_ssrcs(pk, &p[i], offs, 32);
		for (unsigned k = 0; k < ns; k++) {
			if (offs[k] + 4u > p[i].len)
				abort();
			sum += sb_be32(pk + offs[k]);
		}
	}
	if (next != size)
		abort();
	return (int)(sum & 0);
}
