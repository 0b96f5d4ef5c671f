/* SPDX-License-Identifier: MIT */
/*
 * b2bua/consult_keys.c — see consult_keys.h.  A code is matched when the
 * digits kept equal it; the consult code is a prefix taking digits up to
 * '#'.  A digit that no code can continue drops what was kept, and a '*'
 * or '#' may begin a code afresh (config.c refuses codes one of which
 * starts another, so the first complete match is the only one).
 */
#include <string.h>

#include "b2bua/consult_keys.h"

static int is_code(const char *code, const char *dig)
{
	return code[0] && strcmp(code, dig) == 0;
}

static int is_prefix(const char *code, const char *dig, size_t n)
{
	return code[0] && strncmp(code, dig, n) == 0;
}

static int dtmf_symbol(char d)
{
	return (d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D');
}

enum cons_key cons_key_digit(const struct sb_cfg_fcodes *f, struct cons_keys *k, char digit,
			     uint64_t now_ms, char *target, size_t cap)
{
	size_t cl = strnlen(f->consult, sizeof(f->consult));
	int alone;

	if (cap)
		target[0] = '\0';
	if (!dtmf_symbol(digit))
		return CK_NONE;
	if (k->n && (now_ms < k->last_ms || now_ms - k->last_ms > CONS_DIGIT_GAP_MS))
		k->n = 0;
	k->last_ms = now_ms;
	if (k->n + 1u >= sizeof(k->dig))
		k->n = 0; /* a target too long for any number we route: forgotten */
	k->dig[k->n++] = digit;
	k->dig[k->n] = '\0';
	/* consult code, target, '#' */
	if (cl && k->n > cl && is_prefix(f->consult, k->dig, cl)) {
		size_t tl = k->n - cl - 1;

		if (digit != '#')
			return CK_NONE;
		k->n = 0;
		if (tl == 0 || tl >= cap)
			return CK_NONE; /* no target, or more digits than any we route */
		memcpy(target, k->dig + cl, tl);
		target[tl] = '\0';
		return CK_CONSULT;
	}
	if (is_code(f->conference, k->dig)) {
		k->n = 0;
		return CK_CONFERENCE;
	}
	if (is_code(f->complete, k->dig)) {
		k->n = 0;
		return CK_COMPLETE;
	}
	if (is_code(f->cancel, k->dig)) {
		k->n = 0;
		return CK_CANCEL;
	}
	if (is_prefix(f->consult, k->dig, k->n) || is_prefix(f->conference, k->dig, k->n) ||
	    is_prefix(f->complete, k->dig, k->n) || is_prefix(f->cancel, k->dig, k->n))
		return CK_NONE;
	/* no code goes on like this: start over, this digit may begin one
	 * (once: alone it begins none either) */
	alone = k->n == 1;
	k->n = 0;
	if (!alone && (digit == '*' || digit == '#'))
		return cons_key_digit(f, k, digit, now_ms, target, cap);
	return CK_NONE;
}
