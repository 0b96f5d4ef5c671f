/* SPDX-License-Identifier: MIT */
/* api/report_parse.c — the interval reports' query arguments (report.h):
 * pure, fuzzed (tests/fuzz/fuzz_report.c). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/report.h"

#define DAY_MS 86400000LL

void sb_api_report_args_init(struct sb_api_report_args *a)
{
	a->from_ms = a->to_ms = INT64_MIN;
	a->interval_s = 900;
}

/* a whole decimal number in [lo, hi] */
static int num(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long x;

	/* digits, maybe after a minus: strtoll alone would take spaces, '+' */
	if (v == NULL || !((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9')))
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end != '\0' || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

int sb_api_report_arg(struct sb_api_report_args *a, const char *name, const char *value,
		      struct sb_api_resp *resp)
{
	/* years 1970..9999 in ms: no overflow in to - from or from + interval */
	static const int64_t max_ms = 253402300799999LL;
	int64_t x;

	if (strcmp(name, "from") == 0 || strcmp(name, "to") == 0) {
		if (num(value, 0, max_ms, &x) < 0)
			return sb_api_error(resp, 400, name, "%s: milliseconds since 1970 expected",
					    name) - EINVAL;
		*(name[0] == 'f' ? &a->from_ms : &a->to_ms) = x;
		return 0;
	}
	if (strcmp(name, "interval") == 0) {
		if (num(value, 60, 86400, &x) < 0 || x % 60)
			return sb_api_error(resp, 400, name,
					    "interval: seconds, 60..86400, a multiple of 60") -
			       EINVAL;
		a->interval_s = (uint32_t)x;
		return 0;
	}
	/* a raw (%-decoded) byte string: named only when short printable ASCII */
	for (size_t i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f || i >= 64)
			return sb_api_error(resp, 400, "query", "an argument name that is not "
					    "short printable ASCII") - EINVAL;
	if (name[0] == '\0')
		return sb_api_error(resp, 400, "query", "an empty argument name") - EINVAL;
	return sb_api_error(resp, 400, name, "unknown argument %s (from, to, interval)", name) -
	       EINVAL;
}

int sb_api_report_args_check(struct sb_api_report_args *a, int64_t now_ms,
			     struct sb_api_resp *resp)
{
	int64_t iv = (int64_t)a->interval_s * 1000;

	if (a->to_ms == INT64_MIN)
		a->to_ms = now_ms;
	if (a->from_ms == INT64_MIN)
		a->from_ms = a->to_ms > DAY_MS ? a->to_ms - DAY_MS : 0;
	a->from_ms -= a->from_ms % iv;
	if (a->from_ms >= a->to_ms)
		return sb_api_error(resp, 400, "from", "from must be before to") - EINVAL;
	if ((a->to_ms - a->from_ms) / iv >= (int64_t)SB_QREP_MAX_BUCKETS)
		return sb_api_error(resp, 400, "interval",
				    "more than %u intervals: a wider interval or a shorter range",
				    SB_QREP_MAX_BUCKETS - 1) - EINVAL;
	return 0;
}
