/* SPDX-License-Identifier: MIT */
/*
 * b2bua/consult_keys.h — the agent's in-call digits matched against the
 * configured codes (consult.h), one digit at a time: pure, no I/O (what
 * tests/fuzz/fuzz_consult_keys.c drives with arbitrary digit streams).
 */
#ifndef SB_B2BUA_CONSULT_KEYS_H
#define SB_B2BUA_CONSULT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* digits older than this start over (a half-keyed code is forgotten) */
#define CONS_DIGIT_GAP_MS 5000u
#define CONS_DIGITS 32

struct cons_keys {
	uint8_t n;                 /* digits kept (dig[n] == '\0') */
	char dig[CONS_DIGITS];
	uint64_t last_ms;          /* monotonic ms of the last digit */
};

enum cons_key {
	CK_NONE = 0,   /* taken, nothing complete yet (or not a DTMF symbol: ignored) */
	CK_CONSULT,    /* consult code, target digits, '#': target filled */
	CK_CONFERENCE,
	CK_COMPLETE,
	CK_CANCEL,
};

/* One digit ('0'-'9', '*', '#', 'A'-'D'; anything else is ignored) at
 * now_ms.  CK_CONSULT puts the target digits (1 to cap - 1 of '0'-'9'
 * 'A'-'D' '*', no '#') in target, terminated.  A consult code with no
 * target, or one too long for the buffer, is forgotten (CK_NONE).  The
 * codes must be as config.c accepts them (none the start of another). */
enum cons_key cons_key_digit(const struct sb_cfg_fcodes *f, struct cons_keys *k, char digit,
			     uint64_t now_ms, char *target, size_t cap);

#endif
