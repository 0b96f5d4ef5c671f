/* SPDX-License-Identifier: MIT */
/*
 * acd/fcode.h — parsers of untrusted text that feed the queues: feature
 * codes dialled from an agent phone (the Request-URI user part) and the
 * caller-priority header.  Pure; fuzzed (tests/fuzz/fuzz_fcode.c).
 */
#ifndef SB_ACD_FCODE_H
#define SB_ACD_FCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sb_fcode {
	SB_FC_NONE = 0,      /* not a feature code: an ordinary call */
	SB_FC_UNKNOWN,       /* starts with '*' or '#' but matches no code: 404 */
	SB_FC_LOGIN, SB_FC_LOGOUT, SB_FC_PAUSE, SB_FC_UNPAUSE,
	SB_FC_BAD_REASON,    /* pause code followed by something not a reason */
};

/* The configured codes, each '*'/'#' then digits, "" = off. */
struct sb_fcode_set {
	const char *login, *logout, *pause, *unpause;
};

#define SB_FC_REASON_MAX 65534u /* 65535 is the engine's auto-pause */

/* user = [s, s+len) (not NUL-terminated).  The pause code may be followed
 * by a reason: 1..5 digits, value <= SB_FC_REASON_MAX (none: reason 0). */
enum sb_fcode sb_fcode_parse(const struct sb_fcode_set *set, const char *s, size_t len,
			     uint16_t *reason);

/* A priority header value: optional blanks, 1..3 digits <= 255, optional
 * blanks.  0 with *out, or -EINVAL. */
int sb_prio_parse(const char *s, size_t len, uint8_t *out);

#endif
