/* SPDX-License-Identifier: MIT */
/* fuzz_sdp — SDP parser; whatever parses is written back with our address
 * and must parse again with the same port and payload types. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_sdp s, s2;
	const char *why = NULL;
	char out[4096];
	struct sb_buf b;

	if (sb_sdp_parse(buf, buf + size, &s, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	for (unsigned i = 0; i < s.n_rtpmap; i++)
		if (s.rtpmap[i].enc.p < buf || s.rtpmap[i].enc.p + s.rtpmap[i].enc.len > buf + size)
			abort();
	sb_buf_init(&b, out, sizeof(out));
	sb_sdp_write(&b, &s, 0x0a7100cb, 20002, 1, 1);
	if (!sb_buf_ok(&b))
		return 0; /* huge encoding names: reported, not overrun */
	/* encoding names with CR/LF or spaces cannot round-trip; skip those */
	for (unsigned i = 0; i < s.n_rtpmap; i++)
		for (uint32_t k = 0; k < s.rtpmap[i].enc.len; k++)
			if (s.rtpmap[i].enc.p[k] == '\r' || s.rtpmap[i].enc.p[k] == '\n')
				return 0;
	if (sb_sdp_parse(b.p, b.p + b.len, &s2, &why) < 0)
		abort();
	if (s2.audio_port != 20002 || s2.n_pts != s.n_pts || s2.c_ip != 0x0a7100cb ||
	    memcmp(s2.pts, s.pts, s.n_pts) != 0)
		abort();
	return 0;
}
