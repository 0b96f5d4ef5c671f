/* SPDX-License-Identifier: MIT */
/* fuzz_tz — time zones for business hours (control/tz.c): an input that
 * starts with "TZif" is a zone file (sb_tz_parse), anything else a POSIX
 * TZ rule string (sb_tz_rule_parse); what parses is then asked for the
 * UTC offset at instants from far past to far future (table edges, the
 * footer rule, int64 extremes). */
#include <stdint.h>
#include <string.h>

#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t instants[] = {
	INT64_MIN, -(1LL << 40), -1, 0, 1, 1000000000, 1774746000, 1792889999,
	2147483647, 2147483648LL, 4417977600LL, 1LL << 40, INT64_MAX,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sb_tz tz;
	struct sb_tz_rule r;
	const char *why = NULL;
	volatile int32_t sink = 0;

	if (size >= 4 && memcmp(data, "TZif", 4) == 0) {
		if (sb_tz_parse(&tz, data, size, &why) == 0)
			for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++)
				sink += sb_tz_utoff(&tz, instants[i]);
		return 0;
	}
	if (sb_tz_rule_parse(&r, (const char *)data, size, &why) == 0)
		for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++)
			sink += sb_tz_rule_utoff(&r, instants[i]);
	(void)sink;
	return 0;
}
