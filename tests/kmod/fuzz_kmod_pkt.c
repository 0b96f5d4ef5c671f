/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kmod_pkt — the packet-facing logic of sb_relay.ko on arbitrary
 * bytes taken as an IPv4 datagram: classification, RTP parse and sequence
 * tracking, the latching rule and the checksum updates.  Aborts on any
 * broken invariant (the sanitizers catch out-of-bounds reads: the module
 * relies on sbk_classify() never reading past 'avail').
 *   replay:  tests/kmod/corpus/kmod_pkt (suite fuzz, any compiler)
 *   fuzz:    -Dfuzz=true with clang: build/tests/kmod/fuzz_kmod_pkt
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbk_logic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sbk_rtp_seq seq_state;
	uint32_t ip_len = 0, avail = size > 65535 ? 65535 : (uint32_t)size;
	enum sbk_pkt k = sbk_classify(data, avail, &ip_len);

	if (k != SBK_PKT_OK)
		return 0;
	if (avail < SBK_IP4_HLEN + SBK_UDP_HLEN || ip_len < SBK_IP4_HLEN + SBK_UDP_HLEN ||
	    sbk_rd16(data + 24) != ip_len - SBK_IP4_HLEN)
		abort();

	uint32_t saddr, daddr;
	uint16_t sport, dport, check, seq;
	uint32_t ssrc, payload = ip_len - SBK_IP4_HLEN - SBK_UDP_HLEN;
	uint64_t peer = 0, next = 0;

	memcpy(&saddr, data + 12, 4);
	memcpy(&daddr, data + 16, 4);
	memcpy(&sport, data + 20, 2);
	memcpy(&dport, data + 22, 2);
	memcpy(&check, data + 26, 2);

	/* the latching rule: a learnt peer is the source, latched */
	if (sbk_src_check(peer, SBK_F_LATCH | SBK_F_STRICT, saddr, sport, &next) != SBK_SRC_SET ||
	    sbk_peer_ip(next) != saddr || sbk_peer_port(next) != sport || !sbk_peer_is_latched(next))
		abort();
	if (sbk_peer_is_known(next) &&
	    sbk_src_check(next, SBK_F_STRICT, saddr, sport, &peer) != SBK_SRC_OK)
		abort();

	/* swapping addresses (and back) through the incremental update is
	 * the identity, for every checksum value */
	uint16_t c = sbk_csum_replace4(check, saddr, daddr);

	c = sbk_csum_replace4(c, daddr, saddr);
	c = sbk_csum_replace2(c, sport, dport);
	c = sbk_csum_replace2(c, dport, sport);
	if ((uint16_t)(c ^ check) != 0 && !((c == 0 || c == 0xffff) && (check == 0 || check == 0xffff)))
		abort();

	if (avail >= SBK_IP4_HLEN + SBK_UDP_HLEN + SBK_RTP_HLEN &&
	    sbk_rtp_parse(data + 28, payload, &seq, &ssrc)) {
		uint64_t before = sbk_rtp_lost(&seq_state);

		sbk_rtp_update(&seq_state, seq, ssrc);
		/* one packet can add at most a dropout's worth of loss */
		if (sbk_rtp_lost(&seq_state) > before + SBK_RTP_MAX_DROPOUT)
			abort();
	}
	return 0;
}
