/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "str.h"

struct sb_str sb_str_trim(struct sb_str s)
{
	const char *p = s.p, *e;

	if (s.len == 0)
		return s;
	e = s.p + s.len;
	while (p < e && sb_is_lws(*p))
		p++;
	while (e > p && sb_is_lws(e[-1]))
		e--;
	return sb_str_mk(p, e);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool sb_str_eq(struct sb_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.p, lit, n) == 0;
}

bool sb_str_ieq(struct sb_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

bool sb_str_ieq_str(struct sb_str a, struct sb_str b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

bool sb_str_eq_str(struct sb_str a, struct sb_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sb_str_to_u32(struct sb_str s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (s.len == 0 || s.len > 10)
		return false;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool sb_str_to_ipv4(struct sb_str s, uint32_t *out_be)
{
	const char *p = s.p, *e = sb_str_end(s);
	uint8_t b[4];

	for (int i = 0; i < 4; i++) {
		const char *q = p;
		uint32_t v;

		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (q == p || q - p > 3 || !sb_str_to_u32(sb_str_mk(p, q), 255, &v))
			return false;
		b[i] = (uint8_t)v;
		if (i < 3) {
			if (q >= e || *q != '.')
				return false;
			q++;
		}
		p = q;
	}
	if (p != e)
		return false;
	memcpy(out_be, b, 4);
	return true;
}

int sb_str_copy(char *dst, size_t cap, struct sb_str s)
{
	if (cap == 0)
		return -1;
	if (s.len >= cap) {
		dst[0] = '\0';
		return -1;
	}
	if (s.len)
		memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

const char *sb_str_chr(struct sb_str s, char c)
{
	return s.len ? memchr(s.p, c, s.len) : NULL;
}
