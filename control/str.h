/* SPDX-License-Identifier: MIT */
/*
 * str.h — byte slices into a buffer someone else owns (a datagram, a copy of
 * one kept by a call).  Never NUL-terminated; every reader is bounded by len.
 */
#ifndef SB_CP_STR_H
#define SB_CP_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_str {
	const char *p;
	uint32_t len;
};

/* Absent or empty: points at a static "" so that p + len is always valid
 * pointer arithmetic (NULL + 0 is undefined behaviour in C). */
#define SB_STR_EMPTY ((struct sb_str){ "", 0 })

#define SB_STR_FMT "%.*s"
#define SB_STR_ARG(s) (int)(s).len, (s).p

static inline struct sb_str sb_str_mk(const char *p, const char *end)
{
	return (struct sb_str){ p, (uint32_t)(end - p) };
}

static inline const char *sb_str_end(struct sb_str s)
{
	return s.len ? s.p + s.len : s.p;
}

static inline bool sb_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim SP, HT, CR and LF (folded header lines keep their CRLF inside the slice). */
struct sb_str sb_str_trim(struct sb_str s);

/* Exact / ASCII case-insensitive comparison with a NUL-terminated string. */
bool sb_str_eq(struct sb_str s, const char *lit);
bool sb_str_ieq(struct sb_str s, const char *lit);
bool sb_str_ieq_str(struct sb_str a, struct sb_str b);
bool sb_str_eq_str(struct sb_str a, struct sb_str b);

/* Whole slice is decimal digits (1..10 of them) with a value <= max. */
bool sb_str_to_u32(struct sb_str s, uint32_t max, uint32_t *out);

/* Dotted-quad IPv4 literal -> network order.  false when not exactly one. */
bool sb_str_to_ipv4(struct sb_str s, uint32_t *out_be);

/* Copy into dst as a C string; -1 (dst set to "") when it does not fit. */
int sb_str_copy(char *dst, size_t cap, struct sb_str s);

/* Find the first c in s; NULL when absent. */
const char *sb_str_chr(struct sb_str s, char c);

#endif
