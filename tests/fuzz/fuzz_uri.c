/* SPDX-License-Identifier: MIT */
/* fuzz_uri — sip:/sips: URI parser: never reads outside the input, every
 * slice lies inside it, errors always carry a reason. */
#include <stdint.h>
#include <stdlib.h>

#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t size, struct sb_str s)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_sip_uri u;
	const char *why = NULL;

	if (size > 4096)
		return 0;
	if (sb_sip_uri_parse((struct sb_str){ buf, (uint32_t)size }, &u, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (u.host.len == 0)
		abort();
	inside(buf, size, u.user);
	inside(buf, size, u.password);
	inside(buf, size, u.host);
	inside(buf, size, u.params);
	inside(buf, size, u.headers);
	return 0;
}
