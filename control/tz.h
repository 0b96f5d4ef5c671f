/* SPDX-License-Identifier: MIT */
/*
 * tz.h — named time zones (IANA, e.g. "Europe/Paris") for business hours:
 * our own small reader of TZif v2+ files (RFC 8536) from /usr/share/zoneinfo
 * (Debian: tzdata) and of the POSIX TZ rule in their footer, used for
 * instants past the file's table.
 *
 * Why not glibc: localtime_r() only knows the process's zone, and changing
 * it means setenv("TZ") + tzset(), which are process-wide and not
 * thread-safe (another thread's localtime_r/strftime/syslog may read the
 * zone at the same moment; getenv/setenv race).  The hours sets of one
 * configuration may name several zones, so each keeps its own table,
 * read once at config load; a lookup is a binary search, no I/O, no lock.
 *
 * Everything here is pure (no I/O) except sb_tz_load(), which reads one
 * file.  sb_tz_parse() and sb_tz_rule_parse() take untrusted bytes
 * (tests/fuzz/fuzz_tz.c).
 */
#ifndef SB_CP_TZ_H
#define SB_CP_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_TZ_DIR "/usr/share/zoneinfo"
#define SB_TZ_NAME_MAX 64
/* Transitions kept: those from 1970 on (the earlier ones only decide the
 * type in force at 1970).  Debian's "fat" files hold at most ~280 from
 * 1970 to 2037 (Asia/Hebron); if a file has more, the earliest are
 * dropped (past instants, never asked for).  Past the table: the footer. */
#define SB_TZ_TRANS 320
#define SB_TZ_TYPES 64
#define SB_TZ_FILE_MAX (256 * 1024)

/* One end of daylight saving time in a POSIX TZ rule: Jn (1..365, no
 * February 29), n (0..365, counting it) or Mm.w.d, at time_s local
 * seconds (may be negative or past 24 h: RFC 8536 3.3.1). */
struct sb_tz_when {
	uint8_t kind;            /* 'J', 'n', 'M' */
	uint8_t mon, week, wday; /* M: 1..12, 1..5 (5 = last), 0..6 (Sunday 0) */
	uint16_t yday;           /* J: 1..365; n: 0..365 */
	int32_t time_s;
};

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3": offsets kept
 * as UTC offsets (local = UTC + off; POSIX writes the opposite sign). */
struct sb_tz_rule {
	bool dst;                /* has a daylight saving part (then start/end) */
	int32_t std_off, dst_off;
	struct sb_tz_when start, end;
};

struct sb_tz {
	char name[SB_TZ_NAME_MAX];
	uint16_t n_trans, n_types;
	uint8_t before;          /* type in force before at[0] */
	bool has_rule;           /* footer: else the last type stays forever */
	int64_t at[SB_TZ_TRANS]; /* UTC seconds, increasing */
	uint8_t type[SB_TZ_TRANS];
	int32_t utoff[SB_TZ_TYPES];
	struct sb_tz_rule rule;
};

/* Parse a POSIX TZ rule string of len bytes (no NUL needed).  0, or
 * -EINVAL with why set to what is wrong. */
int sb_tz_rule_parse(struct sb_tz_rule *r, const char *s, size_t len, const char **why);
/* Parse a TZif file (version 2 or later; the 64-bit block and its footer
 * are used, the version 1 block skipped).  0 or -EINVAL, why set. */
int sb_tz_parse(struct sb_tz *tz, const uint8_t *buf, size_t len, const char **why);
/* Read SB_TZ_DIR/name (dir: NULL for SB_TZ_DIR) and parse it.  Names
 * are refused when absolute, containing "..", or with characters other
 * than [A-Za-z0-9/_+-.].  0, -ENOENT (no such zone), -EINVAL; err set. */
int sb_tz_load(struct sb_tz *tz, const char *dir, const char *name, char *err, size_t err_len);

/* UTC offset in seconds (local = t + this) at UTC instant t. */
int32_t sb_tz_utoff(const struct sb_tz *tz, int64_t t);
int32_t sb_tz_rule_utoff(const struct sb_tz_rule *r, int64_t t);

#endif
