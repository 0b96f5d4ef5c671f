/* SPDX-License-Identifier: MIT */
/*
 * api/report.h — interval reports from the stored queue events
 * (acd/qreport.h has what each figure is):
 *
 *   GET /v1/reports/queues?from=MS&to=MS&interval=S   one row per queue and interval
 *   GET /v1/reports/agents?...                         per agent and interval
 *   GET /v1/reports/tenant?...                         the token's tenant per interval
 *
 * from, to: milliseconds since 1970 (UTC); to defaults to now, from to 24 h
 * before to; from is rounded down to a multiple of the interval (so that
 * 15-minute rows start at :00, :15, ...).  interval: seconds, 60..86400,
 * a multiple of 60 (default 900); at most SB_QREP_MAX_BUCKETS intervals.
 * Only the token's tenant's events are read.  The rows are read and
 * summed on the API's worker thread (SQLite), the JSON made on the loop.
 *
 *   {"by": "queue", "from_ms": .., "to_ms": .., "interval_s": 900,
 *    "rows": [{"queue": "sales", "start_ms": .., "offered": 3, ...}]}
 */
#ifndef SB_API_REPORT_H
#define SB_API_REPORT_H

#include <stdint.h>

#include "acd/qreport.h"

struct sb_api;
struct sb_api_resp;
struct sb_cp;

int sb_api_report_register(struct sb_api *api, struct sb_cp *cp); /* 0 | -errno */

/* The query: one argument (name, value) at a time, then check.  Pure
 * (fuzzed: tests/fuzz/fuzz_report.c).  Errors fill resp (400 naming the
 * argument) and return -EINVAL. */
struct sb_api_report_args {
	int64_t from_ms, to_ms;  /* INT64_MIN: not given */
	uint32_t interval_s;
};
void sb_api_report_args_init(struct sb_api_report_args *a);
int sb_api_report_arg(struct sb_api_report_args *a, const char *name, const char *value,
		      struct sb_api_resp *resp);
int sb_api_report_args_check(struct sb_api_report_args *a, int64_t now_ms,
			     struct sb_api_resp *resp);

#endif
