/* SPDX-License-Identifier: MIT */
/* fuzz_frame — the stream framer (control/sip/frame.c, SIP over TCP):
 * never reads outside the input; a message length is within the input and
 * the limit and covers its header block; errors carry a reason; and a
 * stream cut anywhere frames the same way once the rest has arrived (a
 * prefix shorter than the message asks for more, never frames differently). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t max = 4096;
	const char *why;
	uint32_t hl, hl2;
	char *copy;
	int r, r2;

	if (size > 3 * max)
		return 0;
	/* an exact-size heap copy: ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = sb_sip_frame(copy, (uint32_t)size, max, &hl, &why);
	if (r < 0 && (why == NULL || (r != -EBADMSG && r != -EMSGSIZE)))
		abort();
	if (r > 0 && ((uint32_t)r > size || (uint32_t)r > max || hl == 0 || hl > (uint32_t)r))
		abort();
	if (r > 0) {
		/* every shorter prefix that still holds the header block waits */
		for (uint32_t cut = hl; cut < (uint32_t)r; cut += 1 + (uint32_t)r / 16) {
			r2 = sb_sip_frame(copy, cut, max, &hl2, &why);
			if (r2 != 0)
				abort();
		}
	}
	free(copy);
	return 0;
}
