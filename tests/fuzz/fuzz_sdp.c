/* SPDX-License-Identifier: MIT */
/* fuzz_sdp — SDP parser, writer and offer/answer on untrusted input.
 * Whatever parses: every slice lies inside the input; it is written back
 * and must parse again to the same m= lines, ports, payload types and
 * keys; it is answered as an endpoint (the answer must parse, with as
 * many m= lines) and bridged to itself as the agent's answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp_oa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_input(struct sb_str s, const char *buf, size_t size)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sb_sdp s, s2;
	const char *buf = (const char *)data;
	const char *why = NULL;
	static char out[16384];
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_neg x, oy, y, ax;
	struct sb_media_sdp lx, ly;
	struct sb_sdp_fail f;
	struct sb_sdp_local l = { .port = 20000, .sess_id = 1, .sess_ver = 1 };
	struct sb_buf b;

	if (sb_sdp_parse(buf, buf + size, &s, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (s.n_media > SB_SDP_MAX_MEDIA)
		abort();
	for (unsigned i = 0; i < s.n_media; i++) {
		const struct sb_sdp_media *m = &s.m[i];

		if (m->n_pts > SB_SDP_MAX_PT || m->n_rtpmap > SB_SDP_MAX_PT ||
		    m->n_crypto > SB_SDP_MAX_CRYPTO)
			abort();
		in_input(m->media, buf, size);
		in_input(m->proto_name, buf, size);
		in_input(m->fmts, buf, size);
		for (unsigned k = 0; k < m->n_crypto; k++)
			if (m->crypto[k].suite != SB_SRTP_UNKNOWN &&
			    m->crypto[k].key_len != sb_sdp_srtp_key_len(m->crypto[k].suite))
				abort();
		for (unsigned k = 0; k < m->n_rtpmap; k++)
			in_input(m->rtpmap[k].fmtp, buf, size);
	}

	/* write back, parse again */
	sb_buf_init(&b, out, sizeof(out));
	sb_sdp_write(&b, &s);
	if (sb_buf_ok(&b)) {
		if (sb_sdp_parse(b.p, b.p + b.len, &s2, &why) < 0)
			abort();
		if (s2.n_media != s.n_media)
			abort();
		for (unsigned i = 0; i < s.n_media; i++) {
			const struct sb_sdp_media *a = &s.m[i], *c = &s2.m[i];
			unsigned nk = 0;

			if (a->port != c->port || a->n_pts != c->n_pts ||
			    memcmp(a->pts, c->pts, a->n_pts) != 0 || a->dir != c->dir ||
			    a->rtcp_mux != c->rtcp_mux || a->n_rtpmap != c->n_rtpmap)
				abort();
			for (unsigned k = 0; k < a->n_crypto; k++) {
				if (a->crypto[k].suite == SB_SRTP_UNKNOWN)
					continue; /* not written back */
				if (nk >= c->n_crypto ||
				    memcmp(a->crypto[k].key, c->crypto[nk].key, a->crypto[k].key_len))
					abort();
				nk++;
			}
		}
	}

	/* answer it as an endpoint */
	sb_sdp_oa_cfg_default(&cfg);
	l.addr.family = 4;
	l.addr.ip4 = 0x0a7100cb;
	sb_buf_init(&b, out, sizeof(out));
	if (sb_sdp_oa_answer(&cfg, &s, &l, &ax, &b, &f) == 0) {
		if (sb_buf_ok(&b) && (sb_sdp_parse(b.p, b.p + b.len, &s2, &why) < 0 ||
				      s2.n_media != s.n_media))
			abort();
	} else if (f.text == NULL) {
		abort();
	}

	/* bridge: the same SDP as the caller's offer and the agent's answer */
	if (sb_sdp_oa_accept(&cfg, &s, &x, &f) == 0) {
		sb_sdp_oa_relay_offer(&x, &oy);
		sb_buf_init(&b, out, sizeof(out));
		sb_sdp_oa_write_offer(&b, &oy, &l);
		if (sb_buf_ok(&b) && sb_sdp_parse(b.p, b.p + b.len, &s2, &why) < 0)
			abort();
		if (sb_buf_ok(&b) && sb_sdp_oa_match(&oy, &s2, &y, &f) == 0 &&
		    sb_sdp_oa_bridge(&x, &y, &ax, &lx, &ly, &f) == 0) {
			if (lx.n_pt > SB_MEDIA_MAX_PT || ly.n_pt > SB_MEDIA_MAX_PT)
				abort();
			for (unsigned i = 0; i < lx.n_pt; i++)
				if (lx.pt[i].pt_in > 127 || lx.pt[i].pt_out > 127)
					abort();
		}
	}
	return 0;
}
