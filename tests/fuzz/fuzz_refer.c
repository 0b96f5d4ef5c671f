/* SPDX-License-Identifier: MIT */
/* fuzz_refer — the transfer headers (b2bua/refer_parse.c) of any message
 * the SIP parser accepts: Refer-To with its escaped ?Replaces=, that value
 * unescaped and parsed, Replaces as a header, Referred-By.  Every slice lies
 * inside the input (or, for the unescaped Replaces, inside its buffer). */
#include <stdint.h>
#include <stdlib.h>

#include "b2bua/dlg_parse.h"
#include "b2bua/refer_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t size, struct sb_str s)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + size))
		abort();
}

static void replaces(const char *buf, size_t size, struct sb_str v)
{
	struct sb_replaces r;

	if (sb_replaces_parse(v, &r, NULL) < 0)
		return;
	if (r.call_id.len == 0 || r.to_tag.len == 0 || r.from_tag.len == 0)
		abort();
	inside(buf, size, r.call_id);
	inside(buf, size, r.to_tag);
	inside(buf, size, r.from_tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_sip_msg m;
	struct sb_refer_to rt;
	struct sb_str s;
	char un[512];
	int n;

	if (size > 16384 || sb_sip_msg_parse(&m, buf, buf + size) < 0)
		return 0;
	if (sb_refer_to_parse(sb_dlg_hdr_named(&m, "Refer-To", "r"), &rt, NULL) == 0) {
		inside(buf, size, rt.uri);
		inside(buf, size, rt.user);
		inside(buf, size, rt.host);
		inside(buf, size, rt.replaces);
		n = sb_uri_unescape(rt.replaces, un, sizeof(un));
		if (n > (int)sizeof(un) || (n >= 0 && (uint32_t)n > rt.replaces.len))
			abort();
		if (n > 0)
			replaces(un, (size_t)n, (struct sb_str){ un, (uint32_t)n });
	}
	replaces(buf, size, sb_dlg_hdr_named(&m, "Replaces", NULL));
	if (sb_referred_by_parse(sb_dlg_hdr_named(&m, "Referred-By", "b"), &s) == 0)
		inside(buf, size, s);
	return 0;
}
