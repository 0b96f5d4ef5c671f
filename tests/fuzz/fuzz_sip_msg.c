/* SPDX-License-Identifier: MIT */
/* fuzz_sip_msg — the SIP message parser, then everything the core does with
 * a parsed message: Via / name-addr / param / URI parsers on its headers and
 * the response writer (top Via rewrite with received/rport). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/build.h"
#include "sip/hdr.h"
#include "sip/msg.h"
#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_slice(const struct sb_sip_msg *m, struct sb_str s)
{
	if (s.len && (s.p < m->buf || s.p + s.len > m->end))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_sip_msg m;
	char out[8192];
	struct sb_buf b;
	int rc;

	if (size > 65535)
		return 0;
	rc = sb_sip_msg_parse(&m, buf, buf + size);
	if (rc == 0 && m.why != NULL)
		abort();
	if (rc != 0 && m.why == NULL)
		abort();
	check_slice(&m, m.ruri);
	check_slice(&m, m.reason);
	check_slice(&m, m.body);
	check_slice(&m, m.call_id);
	for (unsigned i = 0; i < m.n_hdrs; i++) {
		const struct sb_sip_hdr *h = &m.hdrs[i];
		struct sb_sip_via via;
		struct sb_sip_nameaddr na;
		struct sb_sip_uri u;
		struct sb_str rest, v;

		check_slice(&m, h->name);
		check_slice(&m, h->value);
		switch (h->id) {
		case SB_HDR_VIA:
			rest = h->value;
			for (int k = 0; k < 16 && rest.len; k++) {
				if (sb_sip_via_parse(rest, &via, &rest) < 0)
					break;
				sb_sip_param_get(via.params, "received", &v);
			}
			break;
		case SB_HDR_FROM:
		case SB_HDR_TO:
		case SB_HDR_CONTACT:
			rest = h->value;
			for (int k = 0; k < 16 && rest.len; k++) {
				if (sb_sip_nameaddr_parse(rest, &na, &rest) < 0)
					break;
				sb_sip_param_get(na.params, "expires", &v);
				if (!na.star)
					sb_sip_uri_parse(na.uri, &u, NULL);
			}
			sb_sip_tag(h->value);
			break;
		default:
			break;
		}
	}
	if (m.is_request && m.ruri.len) {
		struct sb_sip_uri u;
		sb_sip_uri_parse(m.ruri, &u, NULL);
	}
	if (m.is_request) {
		struct sb_sip_addr src = { 0x0100007f, 5060 }, dst;

		sb_buf_init(&b, out, sizeof(out));
		sb_sip_write_response(&b, &m, &src, 400, m.why, "tag", NULL, "application/sdp",
				      m.body);
		if (b.len > sizeof(out))
			abort();
		sb_sip_response_dest(&m, &src, &dst);
	}
	return 0;
}
