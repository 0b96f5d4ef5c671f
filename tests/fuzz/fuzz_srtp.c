/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for media/srtp.c: RTP/RTCP from an RTP peer (protect,
 * when we bridge RTP to SRTP) and SRTP/SRTCP from the network (unprotect).
 *
 * Input: byte 0 = suite (bits 0-1, 3 -> 0), RTCP (bit 2), raw unprotect
 * (bit 3); then records of [2-byte big-endian length][bytes], all run
 * through the same pair of contexts so that ROC, replay windows and
 * stream slots carry from one record to the next.
 *   protect mode: protect the record; on success unprotect the result
 *                 with the receiving context and require the original
 *                 bytes back (a round trip must always succeed, except
 *                 when the receiver has no slot left or saw the index);
 *   raw mode:     unprotect the record as it is.
 * Invariants: a refusal is one of the documented -errno values; a success
 * never grows or shrinks a packet by anything but the trailer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

static void check_rc(int rc)
{
	if (rc < 0 && sb_srtp_err_of(rc) == SB_SRTP_E_N)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2048 + SB_SRTCP_MAX_TRAILER], orig[2048 + SB_SRTCP_MAX_TRAILER];
	enum sb_srtp_prof prof;
	struct sb_srtp *o, *u;
	int rtcp, raw;
	size_t off = 1;

	if (size < 1)
		return 0;
	prof = (enum sb_srtp_prof)(1 + (data[0] & 3) % 3);
	rtcp = (data[0] >> 2) & 1;
	raw = (data[0] >> 3) & 1;
	o = sb_srtp_create(prof, fuzz_key, sb_srtp_key_len(prof));
	u = sb_srtp_create(prof, fuzz_key, sb_srtp_key_len(prof));
	if (o == NULL || u == NULL)
		abort();
	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		unsigned tl = rtcp ? 4 + sb_srtcp_tag_len(prof) : sb_srtp_tag_len(prof);
		int rc, rc2;

		off += 2;
		if (n > size - off)
			n = size - off;
		if (n > 2048)
			n = 2048;
		memcpy(buf, data + off, n);
		off += n;
		if (raw) {
			rc = rtcp ? sb_srtcp_unprotect(u, buf, (unsigned)n) : sb_srtp_unprotect(u, buf, (unsigned)n);
			check_rc(rc);
			if (rc >= 0 && (size_t)rc + tl != n)
				abort();
			continue;
		}
		memcpy(orig, buf, n);
		rc = rtcp ? sb_srtcp_protect(o, buf, (unsigned)n, sizeof(buf))
			  : sb_srtp_protect(o, buf, (unsigned)n, sizeof(buf));
		check_rc(rc);
		if (rc < 0)
			continue;
		if ((size_t)rc != n + tl)
			abort();
		rc2 = rtcp ? sb_srtcp_unprotect(u, buf, (unsigned)rc) : sb_srtp_unprotect(u, buf, (unsigned)rc);
		check_rc(rc2);
		if (rc2 == -ENOBUFS || rc2 == -EALREADY || rc2 == -ESTALE)
			continue;  /* receiver state differs from the sender's: allowed */
		if (rc2 < 0 || (size_t)rc2 != n || memcmp(buf, orig, n) != 0)
			abort();
	}
	sb_srtp_free(o);
	sb_srtp_free(u);
	return 0;
}
