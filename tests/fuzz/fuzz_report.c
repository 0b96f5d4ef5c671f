/* SPDX-License-Identifier: MIT */
/* fuzz_report — the interval reports (control/api/report_parse.c,
 * control/acd/qreport.c).  The first byte picks:
 *   0  GET /v1/reports query "k=v&k&k=v..." then the check against a
 *      "now" from the next 8 bytes: accepted with from < to, from aligned
 *      to the interval, at most SB_QREP_MAX_BUCKETS intervals; or refused
 *      with a 400 whose "field" and "error" are strings;
 *   1  an event stream (6 bytes each: type, time step, queue, agent, wait,
 *      talk) into a report by queue, agent or tenant: every row inside the
 *      range on an interval boundary, answered_within <= answered,
 *      short_abandoned <= abandoned, paused <= staffed, and an agent's
 *      staffed time <= the interval (a tenant's sums several agents).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void args(char *s, int64_t now)
{
	struct sb_api_resp resp = { .status = 200, .fd = -1 };
	struct sb_api_report_args a;
	char *save = NULL, *kv;
	int bad = 0;

	sb_api_report_args_init(&a);
	for (kv = strtok_r(s, "&", &save); kv && !bad; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq++ = '\0';
		bad = sb_api_report_arg(&a, kv, eq, &resp) < 0;
	}
	if (!bad)
		bad = sb_api_report_args_check(&a, now, &resp) < 0;
	if (bad) {
		if (resp.status != 400 || !json_is_string(json_object_get(resp.body, "field")) ||
		    !json_is_string(json_object_get(resp.body, "error")))
			abort();
	} else if (resp.body || a.from_ms >= a.to_ms || a.interval_s < 60 ||
		   a.interval_s > 86400 || a.interval_s % 60 ||
		   a.from_ms % ((int64_t)a.interval_s * 1000) ||
		   (a.to_ms - a.from_ms) / ((int64_t)a.interval_s * 1000) >=
			   (int64_t)SB_QREP_MAX_BUCKETS) {
		abort();
	}
	json_decref(resp.body);
}

static void stream(const uint8_t *d, size_t n)
{
	static const char *const names[4] = { "q0", "q1", "q2", "" };
	const int64_t from = 1800000000000LL, iv = 60000, to = from + 10 * iv;
	struct sb_qrep_qcfg qc[2] = { { "q0", 20000, 5000 }, { "q1", 1000, 500 } };
	struct sb_qreport *r;
	const struct sb_qrep_row *w;
	int64_t t = from - 3 * iv;
	unsigned rows;

	if (n < 1)
		return;
	r = sb_qreport_new((enum sb_qrep_by)(d[0] % 3), from, to, (uint32_t)iv, qc, 2,
			   from + (int64_t)(d[0] >> 2) * iv / 4);
	if (r == NULL)
		abort();
	for (size_t i = 1; i + 6 <= n; i += 6) {
		struct sb_qevent e;

		memset(&e, 0, sizeof(e));
		e.type = d[i] % (SB_QEV_N + 1); /* one past: skipped */
		t += (int64_t)d[i + 1] * 1000;
		e.ts_ms = t;
		snprintf(e.queue, sizeof(e.queue), "%s", names[d[i + 2] & 3]);
		snprintf(e.agent, sizeof(e.agent), "%s", names[(d[i + 2] >> 2) & 3]);
		snprintf(e.tenant, sizeof(e.tenant), "t");
		e.wait_ms = (uint32_t)d[i + 4] * 200;
		e.talk_ms = (uint32_t)d[i + 5] * 1000;
		e.wrapup_ms = d[i + 3];
		if (sb_qreport_add(r, &e) < 0)
			abort();
	}
	rows = sb_qreport_rows(r, &w);
	for (unsigned i = 0; i < rows; i++) {
		if (w[i].start_ms < from || w[i].start_ms >= to || (w[i].start_ms - from) % iv ||
		    w[i].key[0] == '\0' || w[i].q.answered_within > w[i].q.answered ||
		    w[i].q.short_abandoned > w[i].q.abandoned ||
		    w[i].a.paused_ms > w[i].a.staffed_ms ||
		    (d[0] % 3 == SB_QREP_AGENT && w[i].a.staffed_ms > (uint64_t)iv))
			abort();
		if (i && strcmp(w[i - 1].key, w[i].key) == 0 && w[i - 1].start_ms >= w[i].start_ms)
			abort();
	}
	sb_qreport_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int64_t now = 0;

	if (size < 1)
		return 0;
	if (data[0] == 1) {
		stream(data + 1, size - 1);
		return 0;
	}
	if (size >= 9)
		memcpy(&now, data + 1, 8);
	now &= INT64_C(0x0000ffffffffffff); /* 1970 .. 10889 */
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + (size >= 9 ? 9 : 1), size - (size >= 9 ? 9 : 1));
	s[size - (size >= 9 ? 9 : 1)] = '\0';
	args(s, now);
	free(s);
	return 0;
}
