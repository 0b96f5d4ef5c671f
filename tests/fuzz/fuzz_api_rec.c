/* SPDX-License-Identifier: MIT */
/* fuzz_api_rec — the untrusted inputs of the recordings and QA routes
 * (control/api/rec_parse.c over jansson).  The first byte picks the
 * parser, the rest is its input:
 *   0  GET /v1/recordings query: "k=v&k&k=v..." arguments in order
 *   1  POST /v1/qa/forms body
 *   2  POST /v1/recordings/ID/evaluations body
 *   3  Range header against a file size (the first 8 bytes, little end)
 *   4  a time argument and a path id component
 * Every input is accepted with values in range, or refused with a 400
 * whose "field" and "error" are strings. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/rec_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused_ok(struct sb_api_resp *resp)
{
	if (resp->status != 400 || !json_is_string(json_object_get(resp->body, "field")) ||
	    !json_is_string(json_object_get(resp->body, "error")))
		abort();
}

static void filter(char *s)
{
	struct sb_api_resp resp = { .status = 200, .fd = -1 };
	struct sb_rec_filter f;
	unsigned seen = 0;
	char *save = NULL, *kv;
	int bad = 0;

	sb_api_rec_filter_init(&f, "t");
	for (kv = strtok_r(s, "&", &save); kv && !bad; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq++ = '\0';
		bad = sb_api_rec_filter_arg(&f, &seen, kv, eq, &resp) < 0;
	}
	if (!bad)
		bad = sb_api_rec_filter_check(&f, &resp) < 0;
	if (bad) {
		refused_ok(&resp);
	} else {
		if (resp.body || f.limit < 1 || f.limit > SB_RECQ_LIMIT_MAX || f.complete < -1 ||
		    f.complete > 1 || f.after < 0 || strcmp(f.tenant, "t") != 0 ||
		    (f.from_ms != INT64_MIN && f.to_ms != INT64_MAX && f.from_ms >= f.to_ms) ||
		    strlen(f.queue) >= sizeof(f.queue) || strlen(f.agent) >= sizeof(f.agent))
			abort();
	}
	json_decref(resp.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_api_resp resp = { .status = 200, .fd = -1 };
	char *buf;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	buf = malloc(n + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	switch (data[0] % 5) {
	case 0:
		filter(buf);
		break;
	case 1: {
		struct sb_qa_question q[SB_QA_MAX_QUESTIONS];
		char name[64];
		unsigned nq = 0;

		if (sb_api_parse_qa_form(buf, n, name, q, &nq, &resp) == 0) {
			if (resp.body || nq < 1 || nq > SB_QA_MAX_QUESTIONS || name[0] == '\0')
				abort();
			for (unsigned i = 0; i < nq; i++)
				if (!(q[i].weight > 0) || !(q[i].max > 0) || q[i].text[0] == '\0')
					abort();
		} else {
			refused_ok(&resp);
		}
		break;
	}
	case 2: {
		static struct sb_api_qa_eval e;

		if (sb_api_parse_qa_eval(buf, n, &e, &resp) == 0) {
			if (resp.body || e.form < 1 || e.n < 1 || e.n > SB_QA_MAX_QUESTIONS ||
			    e.evaluator[0] == '\0' || strlen(e.comment) > SB_API_QA_COMMENT_MAX)
				abort();
			for (unsigned i = 0; i < e.n; i++)
				if (!(e.points[i] >= 0))
					abort();
		} else {
			refused_ok(&resp);
		}
		break;
	}
	case 3: {
		uint64_t fsize = 0, off = 0, len = 0;
		int rc;

		for (size_t i = 0; i < 8 && i < n; i++)
			fsize |= (uint64_t)(uint8_t)buf[i] << (8 * i);
		rc = sb_api_parse_range(n > 8 ? buf + 8 : "", fsize, &off, &len);
		if (rc == 1 && (len == 0 || off >= fsize || len > fsize - off))
			abort();
		if (rc != 0 && rc != 1 && rc != -ERANGE)
			abort();
		break;
	}
	default: {
		int64_t ms, id;

		if (sb_api_parse_time(buf, &ms) == 0 && (ms < 0 || ms > 253402300799999LL))
			abort();
		if (sb_api_parse_id(buf, n, &id) == 0 && (id < 1 || id > (1LL << 62)))
			abort();
		break;
	}
	}
	json_decref(resp.body);
	free(buf);
	return 0;
}
