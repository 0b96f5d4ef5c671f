/* SPDX-License-Identifier: MIT */
/*
 * rec_fmt.h — libsbrec internals shared by rec.c, wav.c and fmt.c: the
 * Ogg Opus and pcapng pieces (formats described in sb/rec.h).
 */
#ifndef SB_REC_FMT_H
#define SB_REC_FMT_H

#include <stddef.h>
#include <stdint.h>

#include <ogg/ogg.h>

#include "sb/rec.h"

/* bytes of the biggest Enhanced Packet Block rec_pcapng_epb() writes */
#define REC_EPB_MAX (28 + 28 + SB_REC_SNAPLEN + 3 + 4)

/* The 4096-byte header block: OpusHead and OpusTags pages through os
 * (fresh, its serial set), which then continues with the audio pages. */
int rec_ogg_header(uint8_t *h, ogg_stream_state *os, unsigned channels, unsigned preskip48);
/* Set the EOS flag of the page p[0..len) and fix its CRC. */
void rec_ogg_set_eos(uint8_t *p, size_t len);
/* Length of the whole page at buf[off..), 0 if none. */
size_t rec_ogg_page_len(const uint8_t *buf, size_t len, size_t off);

/* The pcapng header block (SHB + 2 IDB, SB_REC_HDR_SIZE bytes). */
void rec_pcapng_header(uint8_t *h);
/* One EPB for pk + data[0..pk->cap_len) on interface ifc; returns its length. */
size_t rec_pcapng_epb(uint8_t *out, unsigned ifc, const struct sb_rec_pkt *pk,
		      const uint8_t *data);

#endif
