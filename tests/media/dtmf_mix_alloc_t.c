/* SPDX-License-Identifier: MIT */
/*
 * dtmf_mix_alloc_t — the fast-path contract of sb/dtmf.h and sb/mix.h:
 * the per-packet and per-frame calls (RFC 4733 receive, poll and
 * generate, in-band detection, mixing with every variant) allocate
 * nothing.  The C library's malloc/calloc/realloc are interposed and
 * counted while they run (not under ASan, which owns malloc: skip, 77).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb/dtmf.h"
#include "sb/mix.h"
#include "test.h"
#include "alloc_count.h"

#ifdef SB_ASAN
int main(void)
{
	printf("dtmf_mix_alloc: skipped under ASan (it owns malloc)\n");
	return T_SKIP;
}
#else
int main(void)
{
	static int16_t pcm[8][160];
	const int16_t *in[SB_MIX_MAX] = { 0 };
	int16_t *out[SB_MIX_MAX] = { 0 };
	static int16_t outb[8][160];
	struct sb_dtmf_rx rx;
	struct sb_dtmf_tx tx;
	struct sb_dtmf_ib ib;
	struct sb_dtmf_pkt p;
	struct sb_dtmf_ev ev[16];
	const struct sb_mix_impl *im;
	struct sb_mix m;
	unsigned nim, digits = 0;
	uint16_t seq = 0;

	for (unsigned i = 0; i < 8; i++)
		for (unsigned s = 0; s < 160; s++)
			pcm[i][s] = (int16_t)((s * 37 + i * 1000) % 20000 - 10000);
	im = sb_mix_impls(&nim);
	sb_mix_init(&m);
	T_ASSERT(sb_dtmf_rx_init(&rx, 8000, 0) == 0);
	sb_dtmf_ib_init(&ib);

	sb_alloc_counting = 1;
	for (unsigned d = 0; d < SB_DTMF_N_EVENTS; d++) {
		T_ASSERT(sb_dtmf_tx_start(&tx, d, 10, 800, 400, d * 4000) == 0);
		while (sb_dtmf_tx_next(&tx, &p) == 1) {
			int r = sb_dtmf_rx_packet(&rx, p.pl, 4, p.ts, seq++, p.marker, d * 500 + p.send_at / 8, ev);

			T_ASSERT(r >= 0);
			digits += r;
		}
		sb_dtmf_rx_poll(&rx, d * 500 + 5000, ev);
	}
	for (unsigned f = 0; f < 50; f++)
		sb_dtmf_ib_process(&ib, pcm[f % 8], 160, f * 160, ev, 16);
	for (unsigned i = 0; i < 8; i++) {
		sb_mix_set(&m, i, i < 5 ? SB_MIX_TALK : i == 5 ? SB_MIX_LISTEN : SB_MIX_WHISPER, 0);
		in[i] = pcm[i];
		out[i] = outb[i];
	}
	for (unsigned v = 0; v < nim; v++)
		if (im[v].supported)
			im[v].fn(&m, in, out, 160);
	sb_mix_s16(&m, in, out, 160);
	sb_alloc_counting = 0;

	T_ASSERT_EQ_U64(digits, 2 * SB_DTMF_N_EVENTS);
	T_ASSERT_EQ_U64(ib.st.blocks, 50 * 160 / SB_DTMF_IB_BLOCK);
	T_ASSERT_EQ_U64(sb_allocs, 0);
	printf("dtmf_mix_alloc: 0 allocations over %llu packets, %llu blocks, %u mix variants\n",
	       (unsigned long long)rx.st.packets, (unsigned long long)ib.st.blocks, nim);
	return 0;
}
#endif
