/* SPDX-License-Identifier: MIT */
/* tz_t — our TZif v2+ reader and POSIX TZ rule (control/tz.c) against
 * glibc's localtime_r() with TZ set to the same zone, both computed in this
 * run (this test is single-threaded, so setenv("TZ")/tzset() is safe here;
 * in sb-control it would not be, which is why tz.c exists).
 *
 *   zones   Europe/Paris, America/New_York, Australia/Sydney, Asia/Kolkata,
 *           UTC, Europe/London, America/Nuuk (negative rule times),
 *           Asia/Hebron (most transitions), Pacific/Chatham (45 min)
 *           instants every 3h17m from 1970 to 2110 (the table and the
 *           footer rule past it); every change glibc shows bisected to the
 *           second and checked at t-1 and t
 *   rules   POSIX strings alone (J, n, M forms, southern hemisphere,
 *           negative and >24 h times, <+0530> names, all-year DST) against
 *           glibc parsing the same string
 *   bad     names ("..", absolute, a directory, unknown), every truncated
 *           prefix of a real file, bad rule strings: errors, no crash
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "tz.h"

static long checked;

static long glibc_off(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return -999999;
	return tm.tm_gmtoff;
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* compare at t; on a mismatch say where */
static int cmp_g(const char *what, const struct sb_tz *tz, const struct sb_tz_rule *r,
		 int64_t t, long g)
{
	long o = tz ? sb_tz_utoff(tz, t) : sb_tz_rule_utoff(r, t);

	checked++;
	if (g != o) {
		fprintf(stderr, "FAIL %s at %lld: ours %ld, glibc %ld\n", what, (long long)t, o, g);
		return -1;
	}
	return 0;
}

static int cmp_at(const char *what, const struct sb_tz *tz, const struct sb_tz_rule *r, int64_t t)
{
	return cmp_g(what, tz, r, t, glibc_off(t));
}

/* instants from..to step s, and every change of glibc's offset bisected */
static int sweep(const char *what, const struct sb_tz *tz, const struct sb_tz_rule *r,
		 int64_t from, int64_t to, int64_t step)
{
	long prev = glibc_off(from);
	int64_t pt = from;

	for (int64_t t = from; t <= to; t += step) {
		long g = glibc_off(t);

		if (cmp_g(what, tz, r, t, g) < 0)
			return -1;
		if (g != prev) {
			int64_t lo = pt, hi = t; /* glibc: off(lo) = prev != off(hi) */

			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;

				if (glibc_off(mid) == prev)
					lo = mid;
				else
					hi = mid;
			}
			if (cmp_at(what, tz, r, lo) < 0 || cmp_at(what, tz, r, hi) < 0)
				return -1;
		}
		prev = g;
		pt = t;
	}
	return 0;
}

#define Y1970 0LL
#define Y2110 4417977600LL /* 2110-01-01 */

static int zone(const char *name)
{
	static struct sb_tz tz;
	char err[256], env[128];

	if (sb_tz_load(&tz, NULL, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "FAIL load %s: %s\n", name, err);
		return -1;
	}
	T_ASSERT(strcmp(tz.name, name) == 0);
	snprintf(env, sizeof(env), ":%s", name);
	set_tz(env);
	if (sweep(name, &tz, NULL, Y1970, Y2110, 6 * 3600 + 41 * 60) < 0)
		return -1;
	/* every transition we kept, at the edge */
	for (unsigned i = 0; i < tz.n_trans; i++)
		if (tz.at[i] >= 0 && (cmp_at(name, &tz, NULL, tz.at[i] - 1) < 0 ||
				      cmp_at(name, &tz, NULL, tz.at[i]) < 0))
			return -1;
	return 0;
}

static int rule(const char *s)
{
	struct sb_tz_rule r;
	const char *why = NULL;

	if (sb_tz_rule_parse(&r, s, strlen(s), &why) < 0) {
		fprintf(stderr, "FAIL rule '%s': %s\n", s, why);
		return -1;
	}
	set_tz(s);
	return sweep(s, NULL, &r, Y1970, Y2110 - 40LL * 365 * 86400, 9 * 3600 + 7 * 60);
}

/* DST all year ("EST5EDT,0/0,J365/25", RFC 8536 3.3.1): glibc takes the
 * UTC year for the rule and so shows standard time for the hours between
 * local and UTC new year; tzcode (and we) keep DST.  Compared with glibc
 * away from new year; DST asserted everywhere. */
static int rule_all_year(const char *s)
{
	struct sb_tz_rule r;
	const char *why = NULL;

	if (sb_tz_rule_parse(&r, s, strlen(s), &why) < 0)
		return -1;
	set_tz(s);
	for (int64_t t = Y1970 + 86400; t < Y2110 - 40LL * 365 * 86400; t += 7 * 3600 + 3 * 60) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		if (sb_tz_rule_utoff(&r, t) != r.dst_off)
			return -1;
		if (tm.tm_yday > 1 && tm.tm_yday < 364 && cmp_at(s, NULL, &r, t) < 0)
			return -1;
	}
	return 0;
}

static int bad_rule(const char *s)
{
	struct sb_tz_rule r;
	const char *why = NULL;

	if (sb_tz_rule_parse(&r, s, strlen(s), &why) != -EINVAL || why == NULL) {
		fprintf(stderr, "FAIL bad rule '%s' accepted\n", s);
		return -1;
	}
	return 0;
}

int main(void)
{
	static const char *const zones[] = { "Europe/Paris", "America/New_York",
					     "Australia/Sydney", "Asia/Kolkata", "UTC",
					     "Europe/London", "America/Nuuk", "Asia/Hebron",
					     "Pacific/Chatham" };
	static const char *const rules[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
		"AEST-10AEDT,M10.1.0,M4.1.0/3", "<+0530>-5:30", "UTC0",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
		"XXX3YYY,J60/1:30,J300/-2:15:10", "AAA-3BBB-4:30,59/12,300/167",
		"<+1345>-13:45<+1245>-12:45,M9.5.0/2:45,M4.1.0/3:45",
		"NZST-12NZDT,M9.5.0,M4.1.0/3", "GMT0BST,M3.5.0/1,M10.5.0",
	};
	static struct sb_tz tz;
	char err[256];
	FILE *f;
	static uint8_t buf[SB_TZ_FILE_MAX];
	size_t n;
	const char *why;

	f = fopen(SB_TZ_DIR "/Europe/Paris", "rb");
	if (f == NULL) {
		printf("SKIP: no %s (tzdata)\n", SB_TZ_DIR);
		return T_SKIP;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		T_ASSERT(zone(zones[i]) == 0);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		T_ASSERT(rule(rules[i]) == 0);
	T_ASSERT(rule_all_year("EST5EDT,0/0,J365/25") == 0);

	/* names */
	T_ASSERT(sb_tz_load(&tz, NULL, "../../etc/passwd", err, sizeof(err)) == -EINVAL);
	T_ASSERT(strstr(err, "bad time zone name '../../etc/passwd'") != NULL);
	T_ASSERT(sb_tz_load(&tz, NULL, "Europe/../UTC", err, sizeof(err)) == -EINVAL);
	T_ASSERT(sb_tz_load(&tz, NULL, "/etc/localtime", err, sizeof(err)) == -EINVAL);
	T_ASSERT(strstr(err, "no absolute path") != NULL);
	T_ASSERT(sb_tz_load(&tz, NULL, "", err, sizeof(err)) == -EINVAL);
	T_ASSERT(sb_tz_load(&tz, NULL, "Europe/Pari$", err, sizeof(err)) == -EINVAL);
	T_ASSERT(sb_tz_load(&tz, NULL, "Mars/Olympus_Mons", err, sizeof(err)) == -ENOENT);
	T_ASSERT(strstr(err, "unknown time zone 'Mars/Olympus_Mons'") != NULL);
	T_ASSERT(sb_tz_load(&tz, NULL, "Europe", err, sizeof(err)) == -EINVAL);
	T_ASSERT(strstr(err, "not a zone file") != NULL);

	/* every truncated prefix fails cleanly; the whole file parses */
	for (size_t k = 0; k < n; k++)
		T_ASSERT(sb_tz_parse(&tz, buf, k, &why) == -EINVAL);
	T_ASSERT(sb_tz_parse(&tz, buf, n, &why) == 0 && tz.has_rule && tz.rule.dst);
	/* a version 1 file is refused (no rule past 2037) */
	buf[4] = '\0';
	T_ASSERT(sb_tz_parse(&tz, buf, n, &why) == -EINVAL && strstr(why, "version 1"));

	T_ASSERT(bad_rule("") == 0);
	T_ASSERT(bad_rule("CE-1") == 0);
	T_ASSERT(bad_rule("CET") == 0);
	T_ASSERT(bad_rule("CET-25") == 0);
	T_ASSERT(bad_rule("CET-1CEST") == 0); /* DST with no rule */
	T_ASSERT(bad_rule("CET-1CEST,M3.5.0") == 0);
	T_ASSERT(bad_rule("CET-1CEST,M13.5.0,M10.5.0") == 0);
	T_ASSERT(bad_rule("CET-1CEST,M3.6.0,M10.5.0") == 0);
	T_ASSERT(bad_rule("CET-1CEST,M3.5.7,M10.5.0") == 0);
	T_ASSERT(bad_rule("CET-1CEST,J0,J365") == 0);
	T_ASSERT(bad_rule("CET-1CEST,366,J365") == 0);
	T_ASSERT(bad_rule("CET-1CEST,M3.5.0/168,M10.5.0") == 0);
	T_ASSERT(bad_rule("CET-1CEST,M3.5.0,M10.5.0/3x") == 0);
	T_ASSERT(bad_rule("<AB>1") == 0);
	T_ASSERT(bad_rule("<ABC1") == 0);
	printf("tz: %ld instants agree with glibc\n", checked);
	return 0;
}
