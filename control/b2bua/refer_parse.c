/* SPDX-License-Identifier: MIT */
/* b2bua/refer_parse.c — see refer_parse.h. */
#include <errno.h>
#include <string.h>

#include "b2bua/refer_parse.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define FAIL(msg) do { if (why) *why = (msg); return -EBADMSG; } while (0)

int sb_refer_to_parse(struct sb_str v, struct sb_refer_to *out, const char **why)
{
	struct sb_sip_nameaddr na;
	struct sb_sip_uri u;
	struct sb_str h;

	memset(out, 0, sizeof(*out));
	if (sb_str_trim(v).len == 0)
		FAIL("Empty Refer-To");
	if (sb_sip_nameaddr_parse(v, &na, &h) < 0 || na.star)
		FAIL("Bad Refer-To");
	if (h.len)
		FAIL("More than one Refer-To URI"); /* RFC 3515 §2.1: exactly one */
	if (sb_sip_uri_parse(na.uri, &u, why) < 0)
		return -EBADMSG;
	out->uri = na.uri;
	out->user = u.user;
	out->host = u.host;
	/* ?h1=v1&h2=v2: only Replaces matters to us (RFC 3891 §6.1) */
	h = u.headers;
	while (h.len) {
		const char *amp = sb_str_chr(h, '&');
		struct sb_str one = sb_str_mk(h.p, amp ? amp : sb_str_end(h));
		const char *eq = sb_str_chr(one, '=');

		if (eq && sb_str_ieq(sb_str_mk(one.p, eq), "Replaces")) {
			if (out->replaces.len)
				FAIL("Two Replaces in Refer-To");
			out->replaces = sb_str_mk(eq + 1, sb_str_end(one));
			if (out->replaces.len == 0)
				FAIL("Empty Replaces in Refer-To");
		}
		h = amp ? sb_str_mk(amp + 1, sb_str_end(h)) : SB_STR_EMPTY;
	}
	return 0;
}

int sb_replaces_parse(struct sb_str v, struct sb_replaces *out, const char **why)
{
	const char *semi;
	struct sb_str params, val;
	bool to = false, from = false;

	memset(out, 0, sizeof(*out));
	v = sb_str_trim(v);
	semi = sb_str_chr(v, ';');
	out->call_id = sb_str_trim(sb_str_mk(v.p, semi ? semi : sb_str_end(v)));
	if (out->call_id.len == 0)
		FAIL("Replaces without Call-ID");
	for (uint32_t i = 0; i < out->call_id.len; i++)
		if (sb_is_lws(out->call_id.p[i]) || out->call_id.p[i] == ',')
			FAIL("Bad Call-ID in Replaces");
	if (semi == NULL)
		FAIL("Replaces without tags");
	params = sb_str_mk(semi, sb_str_end(v));
	if (sb_sip_param_get(params, "to-tag", &val)) {
		out->to_tag = sb_str_trim(val);
		to = out->to_tag.len > 0;
	}
	if (sb_sip_param_get(params, "from-tag", &val)) {
		out->from_tag = sb_str_trim(val);
		from = out->from_tag.len > 0;
	}
	if (!to || !from)
		FAIL("Replaces needs to-tag and from-tag");
	out->early_only = sb_sip_param_get(params, "early-only", &val) == 1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sb_uri_unescape(struct sb_str in, char *out, size_t cap)
{
	size_t o = 0;

	for (uint32_t i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '%') {
			int hi, lo;

			if (in.len - i < 3)
				return -EBADMSG;
			hi = hexval(in.p[i + 1]);
			lo = hexval(in.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o == cap)
			return -ENOSPC;
		out[o++] = c;
	}
	return (int)o;
}

int sb_referred_by_parse(struct sb_str v, struct sb_str *uri)
{
	struct sb_sip_nameaddr na;
	struct sb_sip_uri u;

	*uri = SB_STR_EMPTY;
	if (sb_sip_nameaddr_parse(v, &na, NULL) < 0 || na.star ||
	    sb_sip_uri_parse(na.uri, &u, NULL) < 0)
		return -EBADMSG;
	*uri = na.uri;
	return 0;
}
