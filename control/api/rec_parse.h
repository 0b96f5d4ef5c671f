/* SPDX-License-Identifier: MIT */
/*
 * api/rec_parse.h — the untrusted inputs of the recordings and QA routes
 * (api/rec.h), parsed into typed values at the edge: query arguments of
 * GET /v1/recordings, times, the Range header, the bodies of POST
 * /v1/qa/forms and POST /v1/recordings/ID/evaluations.  Pure (jansson
 * and api/json.c only): tests/fuzz/fuzz_api_rec.c drives them.
 *
 * Every refusal fills resp with a 400 whose "field" names the parameter
 * or the JSON field ("limit", "questions[2].weight", "answers[0]").
 */
#ifndef SB_API_REC_PARSE_H
#define SB_API_REC_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "store/recq.h"

#define SB_API_REC_LIMIT_DEFAULT 100u
#define SB_API_QA_COMMENT_MAX 1000u

/* Arguments of GET /v1/recordings, one at a time:
 *   queue=NAME agent=NAME call_id=ID from=TIME to=TIME complete=true|false
 *   limit=1..1000 after=ID order=newest|id
 * TIME: milliseconds since the epoch, or UTC "YYYY-MM-DDTHH:MM:SS[.mmm]Z".
 * seen: zero before the first argument (a repeated argument is refused).
 * 0, or -EINVAL with a 400 naming the argument (unknown ones too). */
void sb_api_rec_filter_init(struct sb_rec_filter *f, const char *tenant);
int sb_api_rec_filter_arg(struct sb_rec_filter *f, unsigned *seen, const char *name,
			  const char *value, struct sb_api_resp *resp);
/* After the last argument: from < to.  0 | -EINVAL (400 "from"). */
int sb_api_rec_filter_check(const struct sb_rec_filter *f, struct sb_api_resp *resp);

/* TIME as above into ms since the epoch: 0 | -EINVAL. */
int sb_api_parse_time(const char *s, int64_t *ms);

/* A recording id path component ("123"): 0 | -EINVAL (not 1..2^62). */
int sb_api_parse_id(const char *s, size_t len, int64_t *id);

/* Range header against a file of size bytes (RFC 9110 section 14.2, one
 * range of unit bytes: "bytes=A-B", "bytes=A-", "bytes=-N").  1 with *off and *len
 * (206), 0 for the whole file (no header, or one we ignore: other unit,
 * several ranges, malformed), -ERANGE when unsatisfiable (416). */
int sb_api_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len);

/* POST /v1/qa/forms {"name": "...", "questions": [{"text": "...",
 * "weight": W > 0, "max": M > 0}, ...]} (1..SB_QA_MAX_QUESTIONS; weight
 * and max at most 1e6).  0 | -EINVAL (400 naming the field). */
int sb_api_parse_qa_form(const char *body, size_t len, char name[64],
			 struct sb_qa_question *q, unsigned *n, struct sb_api_resp *resp);

/* POST /v1/recordings/ID/evaluations {"form": ID, "evaluator": "...",
 * "answers": [points, ...], "comment": "..."}: points >= 0 (at most the
 * question's max: checked with the form, by the store). */
struct sb_api_qa_eval {
	int64_t form;
	char evaluator[64];
	unsigned n;
	double points[SB_QA_MAX_QUESTIONS];
	char comment[SB_API_QA_COMMENT_MAX + 1];
};
int sb_api_parse_qa_eval(const char *body, size_t len, struct sb_api_qa_eval *e,
			 struct sb_api_resp *resp);

#endif
