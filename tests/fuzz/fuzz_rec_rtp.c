/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the recording tap's RTP walk (dataplane/rec_rtp.h:
 * CSRCs, header extension, padding), run by the worker on every packet of
 * a recorded leg, from the network.  Invariants: a payload found lies
 * inside the input, after the fixed header, and its length is what the
 * header says (len - header - padding); then every payload byte is read
 * (ASan sees an overrun).
 */
#include <stdint.h>
#include <stdlib.h>

#include "rec_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t off = 0, plen, sum = 0;

	if (size > 65535) /* a UDP payload */
		return 0;
	plen = sb_rec_rtp_payload(data, (uint32_t)size, &off);
	if (plen == 0)
		return 0;
	if (off < 12 || (uint64_t)off + plen > size)
		abort();
	if ((data[0] & 0x20) && plen + off + data[size - 1] != size)
		abort();
	if (!(data[0] & 0x20) && plen + off != size)
		abort();
	for (uint32_t i = 0; i < plen; i++)
		sum += data[off + i];
	return (int)(sum & 0);
}
