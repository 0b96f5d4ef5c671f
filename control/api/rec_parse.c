/* SPDX-License-Identifier: MIT */
/* api/rec_parse.c — see rec_parse.h. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/rec_parse.h"

/* ---- scalars ---- */

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int sb_api_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, frac = 0;
	size_t n;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	n = strlen(s);
	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == n) {
		uint64_t v = 0;

		/* up to the end of year 9999, as the other form */
		if (n > 15)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > 253402300799999ull)
			return -EINVAL;
		*ms = (int64_t)v;
		return 0;
	}
	/* YYYY-MM-DDTHH:MM:SS[.mmm]Z */
	if ((n != 20 && n != 24) || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || (s[n - 1] != 'Z' && s[n - 1] != 'z'))
		return -EINVAL;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -EINVAL;
	if (n == 24 && (s[19] != '.' || digits(s + 20, 3, &frac)))
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return -EINVAL;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac;
	return 0;
}

int sb_api_parse_id(const char *s, size_t len, int64_t *id)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (1ull << 62))
		return -EINVAL;
	*id = (int64_t)v;
	return 0;
}

/* a name we store and compare: 1..cap-1 bytes, no control characters */
static int name_ok(const char *v, size_t cap)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* src into dst (cap bytes with the NUL), cut on a UTF-8 character
 * boundary: what jansson holds is valid UTF-8 and stays so, so that an
 * error naming it is a valid JSON string */
static void clip_utf8(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- GET /v1/recordings arguments ---- */

enum {
	A_QUEUE, A_AGENT, A_CALL, A_FROM, A_TO, A_COMPLETE, A_LIMIT, A_AFTER, A_ORDER, A_N
};
static const char *const arg_names[A_N] = {
	[A_QUEUE] = "queue", [A_AGENT] = "agent", [A_CALL] = "call_id", [A_FROM] = "from",
	[A_TO] = "to", [A_COMPLETE] = "complete", [A_LIMIT] = "limit", [A_AFTER] = "after",
	[A_ORDER] = "order",
};

void sb_api_rec_filter_init(struct sb_rec_filter *f, const char *tenant)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->tenant, sizeof(f->tenant), "%s", tenant ? tenant : "");
	f->from_ms = INT64_MIN;
	f->to_ms = INT64_MAX;
	f->complete = -1;
	f->limit = SB_API_REC_LIMIT_DEFAULT;
}

int sb_api_rec_filter_arg(struct sb_rec_filter *f, unsigned *seen, const char *name,
			  const char *value, struct sb_api_resp *resp)
{
	unsigned a;
	int64_t t;

	for (a = 0; a < A_N; a++)
		if (strcmp(name, arg_names[a]) == 0)
			break;
	if (a == A_N) {
		char nm[65];
		size_t i;

		/* a raw (%-decoded) byte string: named only when printable ASCII */
		for (i = 0; name[i]; i++)
			if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
				break;
		if (name[i] != '\0' || i == 0) {
			sb_api_error(resp, 400, "query", "a parameter name that is empty or not "
				     "printable ASCII");
			return -EINVAL;
		}
		clip_utf8(nm, sizeof(nm), name);
		sb_api_error(resp, 400, nm, "unknown parameter '%s' (queue, agent, call_id, from, "
			     "to, complete, limit, after, order)", nm);
		return -EINVAL;
	}
	if (*seen & (1u << a)) {
		sb_api_error(resp, 400, name, "'%s' given twice", name);
		return -EINVAL;
	}
	*seen |= 1u << a;
	if (value == NULL)
		value = "";
	switch (a) {
	case A_QUEUE:
	case A_AGENT:
		if (!name_ok(value, sizeof(f->queue)))
			goto bad_name;
		snprintf(a == A_QUEUE ? f->queue : f->agent, sizeof(f->queue), "%s", value);
		return 0;
	case A_CALL:
		if (!name_ok(value, sizeof(f->call_id)))
			goto bad_name;
		snprintf(f->call_id, sizeof(f->call_id), "%s", value);
		return 0;
	case A_FROM:
	case A_TO:
		if (sb_api_parse_time(value, &t) < 0) {
			sb_api_error(resp, 400, name, "'%s' must be milliseconds since the epoch or "
				     "a UTC time YYYY-MM-DDTHH:MM:SS[.mmm]Z", name);
			return -EINVAL;
		}
		*(a == A_FROM ? &f->from_ms : &f->to_ms) = t;
		return 0;
	case A_COMPLETE:
		if (strcmp(value, "true") == 0) {
			f->complete = 1;
		} else if (strcmp(value, "false") == 0) {
			f->complete = 0;
		} else {
			sb_api_error(resp, 400, name, "'complete' must be true or false");
			return -EINVAL;
		}
		return 0;
	case A_LIMIT:
		if (sb_api_parse_id(value, strlen(value), &t) < 0 || t > SB_RECQ_LIMIT_MAX) {
			sb_api_error(resp, 400, name, "'limit' must be 1..%u", SB_RECQ_LIMIT_MAX);
			return -EINVAL;
		}
		f->limit = (unsigned)t;
		return 0;
	case A_AFTER:
		if (sb_api_parse_id(value, strlen(value), &t) < 0) {
			sb_api_error(resp, 400, name, "'after' must be a recording id (the 'next' "
				     "of the previous page)");
			return -EINVAL;
		}
		f->after = t;
		return 0;
	case A_ORDER:
		if (strcmp(value, "newest") == 0) {
			f->by_id = false;
		} else if (strcmp(value, "id") == 0) {
			f->by_id = true;
		} else {
			sb_api_error(resp, 400, name, "'order' must be newest or id");
			return -EINVAL;
		}
		return 0;
	default:
		break;
	}
	return -EINVAL;
bad_name:
	sb_api_error(resp, 400, name, "'%s' must be 1..%zu characters, no control characters",
		     name, (a == A_CALL ? sizeof(f->call_id) : sizeof(f->queue)) - 1);
	return -EINVAL;
}

int sb_api_rec_filter_check(const struct sb_rec_filter *f, struct sb_api_resp *resp)
{
	if (f->from_ms != INT64_MIN && f->to_ms != INT64_MAX && f->from_ms >= f->to_ms) {
		sb_api_error(resp, 400, "from", "'from' must be before 'to'");
		return -EINVAL;
	}
	return 0;
}

/* ---- Range ---- */

/* a decimal number of at most 19 digits at *p: 0 and p moved, or -1 */
static int range_num(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9') {
		if (++n > 19)
			return -1;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (n == 0)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int sb_api_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	const char *p = h;
	uint64_t a, b;

	if (h == NULL)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bytes", 5) != 0)
		return 0;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '=')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strchr(p, ',') != NULL)
		return 0; /* several ranges: the whole file is a valid answer */
	if (*p == '-') { /* the last N bytes */
		p++;
		if (range_num(&p, &b) < 0)
			return 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return 0;
		if (b == 0 || size == 0)
			return -ERANGE;
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return 1;
	}
	if (range_num(&p, &a) < 0 || *p++ != '-')
		return 0;
	if (*p >= '0' && *p <= '9') {
		if (range_num(&p, &b) < 0 || b < a)
			return 0;
	} else {
		b = UINT64_MAX;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return 0;
	if (a >= size)
		return -ERANGE;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

/* ---- QA bodies ---- */

/* A JSON number (integer or real), finite, in (lo_excl ? (lo, hi] : [lo, hi]). */
static int num_in(json_t *v, double lo, bool lo_excl, double hi, double *out)
{
	double x;

	if (!json_is_number(v))
		return -1;
	x = json_number_value(v);
	if (!isfinite(x) || x > hi || (lo_excl ? x <= lo : x < lo))
		return -1;
	*out = x;
	return 0;
}

static int only_fields(json_t *o, const char *const *allowed, const char *prefix,
		       struct sb_api_resp *resp)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		unsigned i;

		for (i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			char f[96], kk[65];

			clip_utf8(kk, sizeof(kk), k);
			snprintf(f, sizeof(f), "%s%s", prefix, kk);
			sb_api_error(resp, 400, f, "unknown field '%s'", kk);
			return -1;
		}
	}
	return 0;
}

int sb_api_parse_qa_form(const char *body, size_t len, char name[64],
			 struct sb_qa_question *q, unsigned *n, struct sb_api_resp *resp)
{
	static const char *const top[] = { "name", "questions", NULL };
	static const char *const qf[] = { "text", "weight", "max", NULL };
	struct sb_api_req req = { .body = body, .body_len = len };
	const char *nm;
	json_t *o, *qs, *e;
	size_t i;
	int rc;

	if (sb_api_body_object(&req, resp, &o) < 0)
		return -EINVAL;
	if (only_fields(o, top, "", resp) < 0)
		goto bad;
	rc = sb_api_get_str(o, "name", &nm, resp);
	if (rc == -ENOENT)
		sb_api_error(resp, 400, "name", "'name' is required");
	if (rc < 0)
		goto bad;
	if (!name_ok(nm, 64)) {
		sb_api_error(resp, 400, "name", "'name' must be 1..63 characters, no control "
			     "characters");
		goto bad;
	}
	qs = json_object_get(o, "questions");
	if (!json_is_array(qs) || json_array_size(qs) == 0 ||
	    json_array_size(qs) > SB_QA_MAX_QUESTIONS) {
		sb_api_error(resp, 400, "questions", "'questions' must be an array of 1..%u "
			     "questions", SB_QA_MAX_QUESTIONS);
		goto bad;
	}
	json_array_foreach(qs, i, e) {
		struct sb_qa_question *d = &q[i];
		char f[48];
		json_t *t;

		snprintf(f, sizeof(f), "questions[%zu]", i);
		if (!json_is_object(e)) {
			sb_api_error(resp, 400, f, "'%s' must be an object {text, weight, max}", f);
			goto bad;
		}
		snprintf(f, sizeof(f), "questions[%zu].", i);
		if (only_fields(e, qf, f, resp) < 0)
			goto bad;
		t = json_object_get(e, "text");
		snprintf(f, sizeof(f), "questions[%zu].text", i);
		if (!json_is_string(t) || !name_ok(json_string_value(t), sizeof(d->text))) {
			sb_api_error(resp, 400, f, "'%s' must be a string of 1..%zu characters", f,
				     sizeof(d->text) - 1);
			goto bad;
		}
		snprintf(d->text, sizeof(d->text), "%s", json_string_value(t));
		snprintf(f, sizeof(f), "questions[%zu].weight", i);
		if (num_in(json_object_get(e, "weight"), 0, true, 1e6, &d->weight) < 0) {
			sb_api_error(resp, 400, f, "'%s' must be a number > 0 and <= 1000000", f);
			goto bad;
		}
		snprintf(f, sizeof(f), "questions[%zu].max", i);
		if (num_in(json_object_get(e, "max"), 0, true, 1e6, &d->max) < 0) {
			sb_api_error(resp, 400, f, "'%s' (points of a full answer) must be a number "
				     "> 0 and <= 1000000", f);
			goto bad;
		}
	}
	snprintf(name, 64, "%s", nm);
	*n = (unsigned)json_array_size(qs);
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EINVAL;
}

int sb_api_parse_qa_eval(const char *body, size_t len, struct sb_api_qa_eval *e,
			 struct sb_api_resp *resp)
{
	static const char *const top[] = { "form", "evaluator", "answers", "comment", NULL };
	struct sb_api_req req = { .body = body, .body_len = len };
	const char *s;
	json_t *o, *a, *v;
	uint64_t form;
	size_t i;
	int rc;

	memset(e, 0, sizeof(*e));
	if (sb_api_body_object(&req, resp, &o) < 0)
		return -EINVAL;
	if (only_fields(o, top, "", resp) < 0)
		goto bad;
	rc = sb_api_get_uint(o, "form", 1ull << 62, &form, resp);
	if (rc == -ENOENT)
		sb_api_error(resp, 400, "form", "'form' (a form id) is required");
	if (rc < 0)
		goto bad;
	if (form == 0) {
		sb_api_error(resp, 400, "form", "'form' must be a form id");
		goto bad;
	}
	e->form = (int64_t)form;
	rc = sb_api_get_str(o, "evaluator", &s, resp);
	if (rc == -ENOENT)
		sb_api_error(resp, 400, "evaluator", "'evaluator' is required");
	if (rc < 0)
		goto bad;
	if (!name_ok(s, sizeof(e->evaluator))) {
		sb_api_error(resp, 400, "evaluator", "'evaluator' must be 1..%zu characters, no "
			     "control characters", sizeof(e->evaluator) - 1);
		goto bad;
	}
	snprintf(e->evaluator, sizeof(e->evaluator), "%s", s);
	a = json_object_get(o, "answers");
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > SB_QA_MAX_QUESTIONS) {
		sb_api_error(resp, 400, "answers", "'answers' must be an array of 1..%u numbers "
			     "(points per question, in the form's order)", SB_QA_MAX_QUESTIONS);
		goto bad;
	}
	json_array_foreach(a, i, v) {
		if (num_in(v, 0, false, 1e6, &e->points[i]) < 0) {
			char f[32];

			snprintf(f, sizeof(f), "answers[%zu]", i);
			sb_api_error(resp, 400, f, "'%s' must be a number of points >= 0", f);
			goto bad;
		}
	}
	e->n = (unsigned)json_array_size(a);
	rc = sb_api_get_str(o, "comment", &s, resp);
	if (rc == -EINVAL)
		goto bad;
	if (rc == 0) {
		if (strlen(s) > SB_API_QA_COMMENT_MAX) {
			sb_api_error(resp, 400, "comment", "'comment' is longer than %u bytes",
				     SB_API_QA_COMMENT_MAX);
			goto bad;
		}
		snprintf(e->comment, sizeof(e->comment), "%s", s);
	}
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EINVAL;
}
