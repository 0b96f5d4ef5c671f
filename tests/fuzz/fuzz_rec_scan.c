/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the recorder's crash-recovery scanners
 * (recorder/fmt.c: sb_rec_scan_ogg, sb_rec_scan_pcapng), which read
 * whatever a crash left in a .part: torn pages and blocks, any bytes.
 * The first input byte picks the scanner, the rest is the file.
 * Invariants: a length found lies inside the file and covers at least the
 * header block; the last Ogg page (the OpusTags page when no audio page
 * survived) starts inside what is kept.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sb/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t ms = 0, pkts = 0;
	size_t last = 0;
	long end;

	if (size < 1 || size > (1u << 20))
		return 0;
	if (data[0] & 1) {
		end = sb_rec_scan_ogg(data + 1, size - 1, &ms, &last);
		if (end >= 0 && last >= (size_t)end)
			abort();
	} else {
		end = sb_rec_scan_pcapng(data + 1, size - 1, &ms, &pkts);
	}
	if (end >= 0 && ((size_t)end > size - 1 || end < SB_REC_HDR_SIZE))
		abort();
	return 0;
}
