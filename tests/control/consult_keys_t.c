/* SPDX-License-Identifier: MIT */
/* consult_keys_t — the agent's in-call digits against the codes
 * (b2bua/consult_keys.c), digit by digit as the dataplane reports them:
 * consult with a target up to '#', the other codes, a wrong digit starting
 * over (a '*' may begin a code), the 5 s gap, overlong targets and noise
 * forgotten. */
#include <string.h>

#include "b2bua/consult_keys.h"
#include "test.h"

static struct sb_cfg_fcodes f;
static struct cons_keys k;
static char tgt[CONS_DIGITS];

/* keys DIGITS at now_ms (all at once); the result of the last one */
static enum cons_key keys(const char *digits, uint64_t now_ms)
{
	enum cons_key r = CK_NONE;

	for (const char *p = digits; *p; p++) {
		r = cons_key_digit(&f, &k, *p, now_ms, tgt, sizeof(tgt));
		T_ASSERT(p[1] == '\0' || r == CK_NONE || r == CK_CONSULT);
	}
	return r;
}

int main(void)
{
	strcpy(f.consult, "*2");
	strcpy(f.conference, "*3");
	strcpy(f.complete, "*4");
	strcpy(f.cancel, "*5");

	T_ASSERT(keys("*22001#", 1000) == CK_CONSULT && strcmp(tgt, "2001") == 0);
	T_ASSERT(keys("*3", 1100) == CK_CONFERENCE && tgt[0] == '\0');
	T_ASSERT(keys("*4", 1200) == CK_COMPLETE);
	T_ASSERT(keys("*5", 1300) == CK_CANCEL);
	/* a target may hold '*' and letters, never '#' */
	T_ASSERT(keys("*2*9A#", 1400) == CK_CONSULT && strcmp(tgt, "*9A") == 0);
	/* no target: forgotten */
	T_ASSERT(keys("*2#", 1500) == CK_NONE && k.n == 0);
	/* digits no code begins with are dropped; '*' starts afresh */
	T_ASSERT(keys("77", 1600) == CK_NONE && k.n == 0);
	T_ASSERT(keys("*7*3", 1700) == CK_CONFERENCE);
	T_ASSERT(keys("**4", 1800) == CK_COMPLETE);
	T_ASSERT(keys("#*5", 1900) == CK_CANCEL);
	/* not DTMF: ignored, state kept */
	T_ASSERT(keys("*", 2000) == CK_NONE && k.n == 1);
	T_ASSERT(cons_key_digit(&f, &k, 'x', 2001, tgt, sizeof(tgt)) == CK_NONE && k.n == 1);
	T_ASSERT(keys("3", 2002) == CK_CONFERENCE);
	/* more than 5 s between two digits: the half-keyed code is gone */
	T_ASSERT(keys("*", 3000) == CK_NONE);
	T_ASSERT(keys("4", 3000 + CONS_DIGIT_GAP_MS + 1) == CK_NONE);
	T_ASSERT(keys("*", 9000) == CK_NONE && keys("4", 9000 + CONS_DIGIT_GAP_MS) == CK_COMPLETE);
	/* a target longer than the buffer is forgotten, not cut */
	T_ASSERT(keys("*2123456789012345678901234567890#", 20000) == CK_NONE);
	T_ASSERT(keys("*21234#", 20100) == CK_CONSULT && strcmp(tgt, "1234") == 0);
	/* a code turned off ("") never matches */
	f.complete[0] = '\0';
	T_ASSERT(keys("*4", 20200) == CK_NONE);
	T_ASSERT(keys("*3", 20300) == CK_CONFERENCE);
	return 0;
}
