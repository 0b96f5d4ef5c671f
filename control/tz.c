/* SPDX-License-Identifier: MIT */
/*
 * tz.c — TZif v2+ (RFC 8536) and POSIX TZ rule reader (tz.h says why not
 * glibc's localtime_r with setenv("TZ")/tzset(): process-wide, not
 * thread-safe, one zone at a time).
 *
 * A TZif file: a version 1 header and block (32-bit times, skipped), a
 * second header and block with 64-bit times, then "\nTZ-STRING\n", the
 * rule for instants past the last transition.  Every count is checked
 * against the bytes left before anything is read; times must increase,
 * type indexes be in range.  Leap-second files ("right/" zones) are
 * refused: their times are not POSIX times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

/* days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* the year of day z (days from 1970-01-01) */
static int64_t year_of_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- POSIX TZ rule ---- */

struct rp {
	const char *p, *end;
};

static bool at_end(const struct rp *r)
{
	return r->p == r->end;
}

static int peek(const struct rp *r)
{
	return r->p < r->end ? (unsigned char)*r->p : -1;
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* a zone abbreviation: 3+ letters, or <...> of 3+ letters, digits, + - */
static int rp_name(struct rp *r)
{
	const char *s = r->p;

	if (peek(r) == '<') {
		r->p++;
		s = r->p;
		while (!at_end(r) && (is_alpha(peek(r)) || is_digit(peek(r)) || peek(r) == '+' ||
				      peek(r) == '-'))
			r->p++;
		if (r->p - s < 3 || peek(r) != '>')
			return -1;
		r->p++;
		return 0;
	}
	while (!at_end(r) && is_alpha(peek(r)))
		r->p++;
	return r->p - s >= 3 ? 0 : -1;
}

/* at most max digits, value <= lim */
static int rp_num(struct rp *r, unsigned max, long lim, long *out)
{
	long v = 0;
	unsigned n = 0;

	while (n < max && is_digit(peek(r))) {
		v = v * 10 + (*r->p++ - '0');
		n++;
	}
	if (n == 0 || v > lim)
		return -1;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h: signed seconds */
static int rp_hms(struct rp *r, long max_h, int32_t *out)
{
	long h, m = 0, s = 0, sign = 1;

	if (peek(r) == '+' || peek(r) == '-')
		sign = *r->p++ == '-' ? -1 : 1;
	if (rp_num(r, 3, max_h, &h) < 0)
		return -1;
	if (peek(r) == ':') {
		r->p++;
		if (rp_num(r, 2, 59, &m) < 0)
			return -1;
		if (peek(r) == ':') {
			r->p++;
			if (rp_num(r, 2, 59, &s) < 0)
				return -1;
		}
	}
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return 0;
}

static int rp_when(struct rp *r, struct sb_tz_when *w)
{
	long a, b, c;

	memset(w, 0, sizeof(*w));
	if (peek(r) == 'J') {
		r->p++;
		if (rp_num(r, 3, 365, &a) < 0 || a < 1)
			return -1;
		w->kind = 'J';
		w->yday = (uint16_t)a;
	} else if (peek(r) == 'M') {
		r->p++;
		if (rp_num(r, 2, 12, &a) < 0 || a < 1 || peek(r) != '.')
			return -1;
		r->p++;
		if (rp_num(r, 1, 5, &b) < 0 || b < 1 || peek(r) != '.')
			return -1;
		r->p++;
		if (rp_num(r, 1, 6, &c) < 0)
			return -1;
		w->kind = 'M';
		w->mon = (uint8_t)a;
		w->week = (uint8_t)b;
		w->wday = (uint8_t)c;
	} else {
		if (rp_num(r, 3, 365, &a) < 0)
			return -1;
		w->kind = 'n';
		w->yday = (uint16_t)a;
	}
	w->time_s = 2 * 3600;
	if (peek(r) == '/') {
		r->p++;
		/* RFC 8536 3.3.1: -167..167 hours */
		if (rp_hms(r, 167, &w->time_s) < 0)
			return -1;
	}
	return 0;
}

int sb_tz_rule_parse(struct sb_tz_rule *rule, const char *s, size_t len, const char **why)
{
	struct rp r = { s, s + len };
	int32_t off;

	memset(rule, 0, sizeof(*rule));
	if (rp_name(&r) < 0) {
		*why = "bad standard time name (3+ letters or <...>)";
		return -EINVAL;
	}
	if (rp_hms(&r, 24, &off) < 0) {
		*why = "bad standard time offset ([+-]hh[:mm[:ss]], hh <= 24)";
		return -EINVAL;
	}
	rule->std_off = rule->dst_off = -off; /* POSIX: positive west of Greenwich */
	if (at_end(&r))
		return 0;
	if (rp_name(&r) < 0) {
		*why = "bad daylight saving time name";
		return -EINVAL;
	}
	rule->dst = true;
	rule->dst_off = rule->std_off + 3600;
	if (!at_end(&r) && peek(&r) != ',') {
		if (rp_hms(&r, 24, &off) < 0) {
			*why = "bad daylight saving time offset";
			return -EINVAL;
		}
		rule->dst_off = -off;
	}
	/* a TZif footer always spells the rule out; POSIX leaves the default
	 * to the implementation, so none is guessed here */
	if (peek(&r) != ',') {
		*why = "daylight saving time without a ,start,end rule";
		return -EINVAL;
	}
	r.p++;
	if (rp_when(&r, &rule->start) < 0 || peek(&r) != ',') {
		*why = "bad daylight saving time start (Jn, n or Mm.w.d[/time])";
		return -EINVAL;
	}
	r.p++;
	if (rp_when(&r, &rule->end) < 0) {
		*why = "bad daylight saving time end (Jn, n or Mm.w.d[/time])";
		return -EINVAL;
	}
	if (!at_end(&r)) {
		*why = "trailing characters after the rule";
		return -EINVAL;
	}
	return 0;
}

/* local seconds (from 1970, in the offset the rule's time is given in)
 * at which w happens in year y */
static int64_t when_local(const struct sb_tz_when *w, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), day;

	if (w->kind == 'J') {
		day = jan1 + w->yday - 1 + (is_leap(y) && w->yday >= 60);
	} else if (w->kind == 'n') {
		day = jan1 + w->yday;
	} else {
		static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int64_t first = days_from_civil(y, w->mon, 1);
		int64_t wd1 = ((first + 4) % 7 + 7) % 7; /* 1970-01-01: Thursday; Sunday 0 */
		unsigned len = mdays[w->mon - 1] + (w->mon == 2 && is_leap(y));

		day = first + (w->wday - wd1 + 7) % 7 + 7 * (int64_t)(w->week - 1);
		while (day >= first + len) /* week 5: the last one */
			day -= 7;
	}
	return day * 86400 + w->time_s;
}

int32_t sb_tz_rule_utoff(const struct sb_tz_rule *r, int64_t t)
{
	int64_t y, s, e;

	if (!r->dst)
		return r->std_off;
	/* far past or future (and no int64 overflow below): clamped */
	if (t > ((int64_t)1 << 50))
		t = (int64_t)1 << 50;
	else if (t < -((int64_t)1 << 50))
		t = -((int64_t)1 << 50);
	/* the year in standard time: the start is given in standard time,
	 * the end in daylight saving time */
	y = year_of_days(floor_div(t + r->std_off, 86400));
	s = when_local(&r->start, y) - r->std_off;
	e = when_local(&r->end, y) - r->dst_off;
	if (s < e)
		return t >= s && t < e ? r->dst_off : r->std_off;
	/* southern hemisphere: DST spans the new year */
	return t >= e && t < s ? r->std_off : r->dst_off;
}

/* ---- TZif ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct hdr {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int hdr_read(const uint8_t *p, size_t left, struct hdr *h)
{
	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* bytes of the data block after a header; tsz: 4 (v1) or 8 */
static uint64_t block_len(const struct hdr *h, unsigned tsz)
{
	return (uint64_t)h->timecnt * (tsz + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (tsz + 4) + h->isstdcnt + h->isutcnt;
}

int sb_tz_parse(struct sb_tz *tz, const uint8_t *buf, size_t len, const char **why)
{
	const uint8_t *p = buf, *end = buf + len, *times, *idx, *types, *nl;
	struct hdr h;
	uint64_t bl;
	uint32_t first, keep;
	int rc;

	memset(tz->at, 0, sizeof(tz->at));
	tz->n_trans = tz->n_types = 0;
	tz->before = 0;
	tz->has_rule = false;
	memset(&tz->rule, 0, sizeof(tz->rule));
	if (hdr_read(p, len, &h) < 0) {
		*why = "not a TZif file";
		return -EINVAL;
	}
	if (p[4] < '2') {
		*why = "TZif version 1 (no 64-bit data, no rule): version 2 or later needed";
		return -EINVAL;
	}
	bl = block_len(&h, 4);
	if (bl > (uint64_t)(end - p) - 44) {
		*why = "truncated (version 1 block)";
		return -EINVAL;
	}
	p += 44 + bl;
	if (hdr_read(p, (size_t)(end - p), &h) < 0) {
		*why = "no second TZif header";
		return -EINVAL;
	}
	bl = block_len(&h, 8);
	if (bl > (uint64_t)(end - p) - 44) {
		*why = "truncated (version 2 block)";
		return -EINVAL;
	}
	p += 44;
	if (h.typecnt == 0 || h.typecnt > SB_TZ_TYPES || h.charcnt == 0 ||
	    (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
	    (h.isutcnt != 0 && h.isutcnt != h.typecnt)) {
		*why = "bad counts (no type, more than 64 types, no designations, or "
		       "std/ut indicators not one per type)";
		return -EINVAL;
	}
	if (h.leapcnt != 0) {
		*why = "leap-second zone (right/): not POSIX time";
		return -EINVAL;
	}
	times = p;
	idx = times + (size_t)h.timecnt * 8;
	types = idx + h.timecnt;
	for (uint32_t i = 0; i < h.typecnt; i++) {
		int32_t off = (int32_t)be32(types + 6 * i);

		/* RFC 8536: -89999..93599 (within a day + 1 h) */
		if (off < -89999 || off > 93599 || types[6 * i + 4] > 1 ||
		    types[6 * i + 5] >= h.charcnt) {
			*why = "bad local time type (offset beyond a day, isdst not 0/1, "
			       "or designation out of range)";
			return -EINVAL;
		}
		tz->utoff[i] = off;
	}
	tz->n_types = (uint16_t)h.typecnt;
	for (uint32_t i = 0; i < h.timecnt; i++) {
		if (idx[i] >= h.typecnt) {
			*why = "transition to a type that does not exist";
			return -EINVAL;
		}
		if (i > 0 && be64(times + 8 * i) <= be64(times + 8 * (i - 1))) {
			*why = "transition times not increasing";
			return -EINVAL;
		}
	}
	/* keep from the last transition before 1970 on (that one anchors the
	 * footer when every other is earlier), at most SB_TZ_TRANS, latest */
	first = 0;
	while (first + 1 < h.timecnt && be64(times + 8 * (first + 1)) <= 0)
		first++;
	keep = h.timecnt - first;
	if (keep > SB_TZ_TRANS) {
		first += keep - SB_TZ_TRANS;
		keep = SB_TZ_TRANS;
	}
	tz->before = first > 0 ? idx[first - 1] : 0;
	for (uint32_t i = 0; i < keep; i++) {
		tz->at[i] = be64(times + 8 * (first + i));
		tz->type[i] = idx[first + i];
	}
	tz->n_trans = (uint16_t)keep;
	/* the footer: "\n" TZ-string "\n", nothing after */
	p += bl;
	if (p >= end || *p != '\n' || (nl = memchr(p + 1, '\n', (size_t)(end - p - 1))) == NULL ||
	    nl + 1 != end) {
		*why = "no footer (\\nTZ string\\n at the end)";
		return -EINVAL;
	}
	if (nl == p + 1)
		return 0; /* empty: the last type stays */
	rc = sb_tz_rule_parse(&tz->rule, (const char *)p + 1, (size_t)(nl - p - 1), why);
	if (rc < 0)
		return rc;
	tz->has_rule = true;
	return 0;
}

int32_t sb_tz_utoff(const struct sb_tz *tz, int64_t t)
{
	unsigned lo, hi;

	if (tz->n_trans == 0)
		return tz->has_rule ? sb_tz_rule_utoff(&tz->rule, t) : tz->utoff[0];
	if (t < tz->at[0])
		return tz->utoff[tz->before];
	if (t >= tz->at[tz->n_trans - 1] && tz->has_rule)
		return sb_tz_rule_utoff(&tz->rule, t);
	lo = 0; /* at[lo] <= t < at[hi] */
	hi = tz->n_trans;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;

		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->type[lo]];
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SB_TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' && c != '+' && c != '-' &&
		    c != '.')
			return false;
	}
	return true;
}

int sb_tz_load(struct sb_tz *tz, const char *dir, const char *name, char *err, size_t err_len)
{
	uint8_t *buf;
	char path[512];
	const char *why;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	if (!name_ok(name)) {
		snprintf(err, err_len, "bad time zone name '%s' (an IANA name such as "
			 "Europe/Paris: no absolute path, no '..')", name);
		return -EINVAL;
	}
	if (dir == NULL)
		dir = SB_TZ_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "unknown time zone '%s' (%s: %s)", name, path,
			 strerror(-rc));
		return rc == -ENOENT ? -ENOENT : -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SB_TZ_FILE_MAX) {
		snprintf(err, err_len, "unknown time zone '%s' (%s is not a zone file)", name,
			 path);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, err_len, "time zone '%s': out of memory", name);
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size + 1 &&
	       (n = read(fd, buf + got, (size_t)st.st_size + 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snprintf(err, err_len, "time zone '%s': %s: %s", name, path,
				 strerror(-rc));
			close(fd);
			free(buf);
			return -EINVAL;
		}
		got += (size_t)n;
	}
	close(fd);
	rc = sb_tz_parse(tz, buf, got, &why);
	free(buf);
	if (rc < 0) {
		snprintf(err, err_len, "time zone '%s': %s: %s", name, path, why);
		return -EINVAL;
	}
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	return 0;
}
