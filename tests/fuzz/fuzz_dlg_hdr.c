/* SPDX-License-Identifier: MIT */
/* fuzz_dlg_hdr — the header values the dialog layer reads (b2bua/
 * dlg_parse.c) from any message the SIP parser accepts: Max-Forwards,
 * Session-Expires/Min-SE with ;refresher=, the timer option tag and the
 * Record-Route lists.  Every slice lies inside the input; values stay in
 * their ranges. */
#include <stdint.h>
#include <stdlib.h>

#include "b2bua/dlg_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t size, struct sb_str s)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_sip_msg m;
	struct sb_str r[SB_DLG_MAX_ROUTES], rf;
	unsigned n;
	int mf;

	if (size > 16384 || sb_sip_msg_parse(&m, buf, buf + size) < 0)
		return 0;
	mf = sb_dlg_max_forwards(&m);
	if (mf < -1 || mf > 255)
		abort();
	(void)sb_dlg_se_value(sb_dlg_hdr_named(&m, "Session-Expires", "x"), &rf);
	inside(buf, size, rf);
	(void)sb_dlg_se_value(sb_dlg_hdr_named(&m, "Min-SE", NULL), NULL);
	(void)sb_dlg_supports_timer(&m);
	n = sb_dlg_record_routes(&m, r);
	if (n > SB_DLG_MAX_ROUTES)
		abort();
	for (unsigned i = 0; i < n; i++) {
		if (r[i].len == 0)
			abort();
		inside(buf, size, r[i]);
	}
	return 0;
}
