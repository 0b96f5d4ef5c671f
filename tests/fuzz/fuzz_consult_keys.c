/* SPDX-License-Identifier: MIT */
/* fuzz_consult_keys — the agent's in-call digits (control/b2bua/
 * consult_keys.c): whatever the dataplane reports, in whatever order and
 * timing.  Input: byte 0 picks a code set and the target buffer size, then
 * pairs (symbol, gap in 100 ms).  Checks: the kept digits stay bounded and
 * terminated; a non-DTMF byte changes nothing; CK_CONSULT comes on '#' with
 * a non-empty target of DTMF symbols (no '#') that fits its buffer; the
 * other codes come on their last symbol and the symbols just keyed (within
 * the gap) end with the code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/consult_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set(struct sb_cfg_fcodes *f, const char *a, const char *b, const char *c,
		const char *d)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->consult, a);
	strcpy(f->conference, b);
	strcpy(f->complete, c);
	strcpy(f->cancel, d);
}

static int sym(int d)
{
	return (d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D');
}

/* the last n symbols keyed within the gap end with code */
static void ends_with(const char *hist, size_t nh, const char *code)
{
	size_t n = strlen(code);

	if (n == 0 || nh < n || memcmp(hist + nh - n, code, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_cfg_fcodes f;
	struct cons_keys k;
	char target[CONS_DIGITS + 8], hist[4096];
	size_t cap, nh = 0;
	uint64_t now = 1000;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0: set(&f, "*2", "*3", "*4", "*5"); break;
	case 1: set(&f, "#1", "##9", "", "*"); break;      /* short codes */
	case 2: set(&f, "", "*3", "#44", "*5"); break;     /* consult off */
	default: set(&f, "*21", "", "", ""); break;
	}
	cap = (size_t)(data[0] >> 2) % sizeof(target); /* 0 .. all of it */
	memset(&k, 0, sizeof(k));
	for (size_t i = 1; i + 1 < size; i += 2) {
		struct cons_keys before = k;
		char d = (char)data[i];
		enum cons_key r;

		now += (uint64_t)data[i + 1] * 100;
		if (data[i + 1] * 100u > CONS_DIGIT_GAP_MS)
			nh = 0;
		r = cons_key_digit(&f, &k, d, now, target, cap);
		if (k.n >= sizeof(k.dig) || (k.n && k.dig[k.n] != '\0'))
			abort();
		if (cap && target[0] && r != CK_CONSULT)
			abort();
		if (!sym(d)) {
			if (r != CK_NONE || memcmp(&before, &k, sizeof(k)) != 0)
				abort();
			continue;
		}
		if (nh == sizeof(hist))
			nh = 0;
		hist[nh++] = d;
		switch (r) {
		case CK_CONSULT: {
			size_t tl = strlen(target);

			if (d != '#' || tl == 0 || tl >= cap || f.consult[0] == '\0' || k.n != 0)
				abort();
			for (size_t j = 0; j < tl; j++)
				if (!sym(target[j]) || target[j] == '#')
					abort();
			break;
		}
		case CK_CONFERENCE: ends_with(hist, nh, f.conference); break;
		case CK_COMPLETE: ends_with(hist, nh, f.complete); break;
		case CK_CANCEL: ends_with(hist, nh, f.cancel); break;
		case CK_NONE: break;
		}
	}
	return 0;
}
