/* SPDX-License-Identifier: MIT */
/* fuzz_fcode — feature codes dialled by agents and caller-priority header
 * values (control/acd/fcode.c): untrusted Request-URI users and header
 * values.  Checks: never reads past the input, a PAUSE result's reason is
 * in range and made of the digits after the code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd/fcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sb_fcode_set set = { "*20", "*21", "*22", "*23" };
	static const struct sb_fcode_set odd = { "#1", "", "*2", "*22" };
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees overreads */
	uint16_t reason;
	uint8_t prio;
	enum sb_fcode fc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	fc = sb_fcode_parse(&set, buf, size, &reason);
	if (fc == SB_FC_PAUSE && (reason > SB_FC_REASON_MAX || size < 3 || size > 8))
		abort();
	if (fc != SB_FC_PAUSE && reason != 0)
		abort();
	if (fc != SB_FC_NONE && (size == 0 || (buf[0] != '*' && buf[0] != '#')))
		abort();
	fc = sb_fcode_parse(&odd, buf, size, &reason);
	if (fc == SB_FC_UNPAUSE && !(size == 3 && memcmp(buf, "*22", 3) == 0))
		abort();
	if (sb_prio_parse(buf, size, &prio) == 0 && size == 0)
		abort();
	free(buf);
	return 0;
}
