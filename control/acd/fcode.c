/* SPDX-License-Identifier: MIT */
/* acd/fcode.c — feature codes and priority values (see fcode.h). */
#include <errno.h>
#include <string.h>

#include "acd/fcode.h"

static bool is_code(const char *code, const char *s, size_t len)
{
	size_t n = code ? strlen(code) : 0;

	return n && n == len && memcmp(code, s, n) == 0;
}

enum sb_fcode sb_fcode_parse(const struct sb_fcode_set *set, const char *s, size_t len,
			     uint16_t *reason)
{
	size_t np = set->pause ? strlen(set->pause) : 0;

	*reason = 0;
	if (len == 0 || (s[0] != '*' && s[0] != '#'))
		return SB_FC_NONE;
	if (is_code(set->login, s, len))
		return SB_FC_LOGIN;
	if (is_code(set->logout, s, len))
		return SB_FC_LOGOUT;
	if (is_code(set->unpause, s, len))
		return SB_FC_UNPAUSE;
	/* pause last: "*22" must not swallow a longer code such as "*223" that
	 * is configured as something else (checked above) */
	if (np && len >= np && memcmp(set->pause, s, np) == 0) {
		uint32_t v = 0;

		if (len - np > 5)
			return SB_FC_BAD_REASON;
		for (size_t i = np; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return SB_FC_BAD_REASON;
			v = v * 10u + (uint32_t)(s[i] - '0');
		}
		if (v > SB_FC_REASON_MAX)
			return SB_FC_BAD_REASON;
		*reason = (uint16_t)v;
		return SB_FC_PAUSE;
	}
	return SB_FC_UNKNOWN;
}

int sb_prio_parse(const char *s, size_t len, uint8_t *out)
{
	size_t i = 0, nd = 0;
	uint32_t v = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 4) {
		v = v * 10u + (uint32_t)(s[i++] - '0');
		nd++;
	}
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (nd == 0 || nd > 3 || i != len || v > 255)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}
