/* SPDX-License-Identifier: MIT */
/*
 * fmt.c — the stream formats of the recorder (sb/rec.h): the Ogg Opus
 * and pcapng header blocks, pcapng packet blocks, and the scanners the
 * crash recovery runs over a torn file (any bytes: fuzzed by
 * tests/fuzz/fuzz_rec_scan.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "rec_fmt.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

const char *sb_rec_fmt_name(unsigned fmt)
{
	switch (fmt) {
	case SB_REC_FMT_PCM16: return "wav-pcm16";
	case SB_REC_FMT_ALAW: return "wav-alaw";
	case SB_REC_FMT_ULAW: return "wav-g711";
	case SB_REC_FMT_MONO: return "wav-mono";
	case SB_REC_FMT_OPUS: return "ogg-opus";
	case SB_REC_FMT_OPUS_MONO: return "ogg-opus-mono";
	case SB_REC_FMT_PCAP: return "pcap";
	default: return NULL;
	}
}

/* ---- Ogg ---- */

static uint32_t crc_tab[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t r = i << 24;

		for (int k = 0; k < 8; k++)
			r = r & 0x80000000u ? r << 1 ^ 0x04c11db7u : r << 1;
		crc_tab[i] = r;
	}
}

uint32_t sb_rec_ogg_crc(const uint8_t *p, size_t n)
{
	uint32_t crc = 0;

	if (crc_tab[1] == 0)
		crc_init(); /* idempotent: a race writes the same values */
	for (size_t i = 0; i < n; i++)
		crc = crc << 8 ^ crc_tab[(crc >> 24) ^ p[i]];
	return crc;
}

/* A whole page at buf[off..): its length, or 0. */
static size_t ogg_page_at(const uint8_t *buf, size_t len, size_t off)
{
	uint8_t tmp[27 + 255];
	size_t hl, bl = 0;
	uint32_t crc;

	if (len - off < 27 || memcmp(buf + off, "OggS", 4) || buf[off + 4] != 0)
		return 0;
	hl = 27 + (size_t)buf[off + 26];
	if (len - off < hl)
		return 0;
	for (size_t i = 27; i < hl; i++)
		bl += buf[off + i];
	if (len - off - hl < bl)
		return 0;
	memcpy(tmp, buf + off, hl);
	memset(tmp + 22, 0, 4);
	crc = sb_rec_ogg_crc(tmp, hl);
	/* continue over the body without copying it */
	for (size_t i = 0; i < bl; i++)
		crc = crc << 8 ^ crc_tab[(crc >> 24) ^ buf[off + hl + i]];
	return crc == get32(buf + off + 22) ? hl + bl : 0;
}

long sb_rec_scan_ogg(const uint8_t *buf, size_t len, uint64_t *ms, size_t *last_page)
{
	size_t off = 0, pl, last = 0;
	uint64_t gran = 0;
	uint32_t preskip;

	*ms = 0;
	*last_page = 0;
	/* our header block: OpusHead page then OpusTags page, ending at 4096 */
	if (len < SB_REC_HDR_SIZE || (pl = ogg_page_at(buf, len, 0)) == 0 ||
	    buf[26] != 1 || pl < 28 + 19 || memcmp(buf + 28, "OpusHead", 8))
		return -EBADMSG;
	preskip = buf[28 + 10] | buf[28 + 11] << 8;
	off = pl;
	if ((pl = ogg_page_at(buf, len, off)) == 0 || off + pl != SB_REC_HDR_SIZE)
		return -EBADMSG;
	last = off;
	off += pl;
	while ((pl = ogg_page_at(buf, len, off)) != 0) {
		uint64_t g = get64(buf + off + 6);

		if (g != UINT64_MAX) /* -1: no packet ends on this page */
			gran = g;
		last = off;
		off += pl;
	}
	*last_page = last;
	*ms = gran > preskip ? (gran - preskip) / 48 : 0;
	return (long)off;
}

void rec_ogg_set_eos(uint8_t *page, size_t len)
{
	page[5] |= 4;
	memset(page + 22, 0, 4);
	put32(page + 22, sb_rec_ogg_crc(page, len));
}

size_t rec_ogg_page_len(const uint8_t *buf, size_t len, size_t off)
{
	return off < len ? ogg_page_at(buf, len, off) : 0;
}

static size_t page_out(uint8_t *h, size_t at, const ogg_page *pg)
{
	memcpy(h + at, pg->header, (size_t)pg->header_len);
	memcpy(h + at + pg->header_len, pg->body, (size_t)pg->body_len);
	return at + (size_t)pg->header_len + (size_t)pg->body_len;
}

int rec_ogg_header(uint8_t *h, ogg_stream_state *os, unsigned channels, unsigned preskip48)
{
	static const char vendor[] = "switchboard recorder";
	uint8_t head[19], tags[SB_REC_HDR_SIZE];
	ogg_packet op;
	ogg_page pg;
	size_t at = 0, target, L, vl = sizeof(vendor) - 1;

	memset(h, 0, SB_REC_HDR_SIZE);
	memcpy(head, "OpusHead", 8);
	head[8] = 1;                      /* version */
	head[9] = (uint8_t)channels;
	put16(head + 10, (uint16_t)preskip48);
	put32(head + 12, SB_REC_RATE);    /* input rate, informative */
	put16(head + 16, 0);              /* output gain */
	head[18] = 0;                     /* mapping family 0: mono/stereo */
	memset(&op, 0, sizeof(op));
	op.packet = head;
	op.bytes = sizeof(head);
	op.b_o_s = 1;
	if (ogg_stream_packetin(os, &op) != 0 || ogg_stream_flush(os, &pg) == 0)
		return -ENOMEM;
	at = page_out(h, at, &pg);
	/* one packet of L bytes on one page: 27 + (L / 255 + 1) lacing
	 * values + L = what is left of the block */
	target = SB_REC_HDR_SIZE - at;
	for (L = target - 27 - 20; 27 + L / 255 + 1 + L < target; L++)
		;
	if (27 + L / 255 + 1 + L != target || L > sizeof(tags))
		return -EINVAL;
	memset(tags, 0, L);
	memcpy(tags, "OpusTags", 8);
	put32(tags + 8, (uint32_t)vl);
	memcpy(tags + 12, vendor, vl);
	put32(tags + 12 + vl, 0);         /* no comments; zeros follow (padding) */
	memset(&op, 0, sizeof(op));
	op.packet = tags;
	op.bytes = (long)L;
	op.packetno = 1;
	if (ogg_stream_packetin(os, &op) != 0 || ogg_stream_flush(os, &pg) == 0)
		return -ENOMEM;
	at = page_out(h, at, &pg);
	return at == SB_REC_HDR_SIZE ? 0 : -EINVAL;
}

/* ---- pcapng ---- */

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define LINKTYPE_IPV4 228

static size_t idb(uint8_t *p, const char *name)
{
	size_t nl = strlen(name), ol = (nl + 3) & ~(size_t)3, len = 20 + 4 + ol + 4 + 4;

	put32(p, BT_IDB);
	put32(p + 4, (uint32_t)len);
	put16(p + 8, LINKTYPE_IPV4);
	put16(p + 10, 0);
	put32(p + 12, SB_REC_SNAPLEN + 28);
	put16(p + 16, 2);                 /* if_name */
	put16(p + 18, (uint16_t)nl);
	memset(p + 20, 0, ol);
	memcpy(p + 20, name, nl);
	put32(p + 20 + ol, 0);            /* opt_endofopt */
	put32(p + len - 4, (uint32_t)len);
	return len;
}

void rec_pcapng_header(uint8_t *h)
{
	static const char comment[] = "Switchboard call recording: interface 0 = RTP the caller "
				      "leg received, 1 = the agent leg's, 2 = the supervisor legs' (whisper, barge)";
	size_t i0, i1 = 0, i2, shb, ol;
	uint8_t tmp[256];

	memset(h, 0, SB_REC_HDR_SIZE);
	i0 = idb(tmp, "caller");
	i1 = idb(tmp + i0, "agent");
	i2 = idb(tmp + i0 + i1, "supervisor");
	/* SHB: 16 fixed + the comment option (padded to fill the block) +
	 * end of options + trailing length */
	shb = SB_REC_HDR_SIZE - i0 - i1 - i2;
	ol = shb - 28 - 4 - 4;
	put32(h, BT_SHB);
	put32(h + 4, (uint32_t)shb);
	put32(h + 8, 0x1a2b3c4du);        /* byte-order magic */
	put16(h + 12, 1);                 /* version 1.0 */
	put16(h + 14, 0);
	memset(h + 16, 0xff, 8);          /* section length: unknown */
	put16(h + 24, 1);                 /* opt_comment */
	put16(h + 26, (uint16_t)ol);
	memset(h + 28, ' ', ol);
	memcpy(h + 28, comment, sizeof(comment) - 1);
	put32(h + 28 + ol, 0);
	put32(h + shb - 4, (uint32_t)shb);
	memcpy(h + shb, tmp, i0 + i1 + i2);
}

/* Internet checksum of the IPv4 header */
static uint16_t ip_sum(const uint8_t *p)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t rec_pcapng_epb(uint8_t *out, unsigned ifc, const struct sb_rec_pkt *pk,
		      const uint8_t *data)
{
	uint64_t us = pk->time_ns / 1000;
	size_t cap = pk->cap_len > SB_REC_SNAPLEN ? SB_REC_SNAPLEN : pk->cap_len;
	size_t ilen = 28 + cap, pad = (4 - ilen % 4) % 4, len = 28 + ilen + pad + 4;
	uint32_t orig = 28u + pk->orig_len;
	uint8_t *ip = out + 28;

	put32(out, BT_EPB);
	put32(out + 4, (uint32_t)len);
	put32(out + 8, ifc);
	put32(out + 12, (uint32_t)(us >> 32));
	put32(out + 16, (uint32_t)us);
	put32(out + 20, (uint32_t)ilen);
	put32(out + 24, orig);
	/* IPv4 + UDP, big-endian; addresses as the tap saw them */
	ip[0] = 0x45;
	ip[1] = 0xb8;                     /* EF: what RTP is sent with */
	ip[2] = (uint8_t)(orig >> 8);
	ip[3] = (uint8_t)orig;
	memset(ip + 4, 0, 4);
	ip[6] = 0x40;                     /* DF */
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &pk->src_ip, 4);
	memcpy(ip + 16, &pk->dst_ip, 4);
	{
		uint16_t s = ip_sum(ip);

		ip[10] = (uint8_t)(s >> 8);
		ip[11] = (uint8_t)s;
	}
	ip[20] = (uint8_t)(pk->src_port >> 8);
	ip[21] = (uint8_t)pk->src_port;
	ip[22] = (uint8_t)(pk->dst_port >> 8);
	ip[23] = (uint8_t)pk->dst_port;
	ip[24] = (uint8_t)((orig - 20) >> 8);
	ip[25] = (uint8_t)(orig - 20);
	ip[26] = ip[27] = 0;              /* UDP checksum: none */
	memcpy(ip + 28, data, cap);
	memset(ip + ilen, 0, pad);
	put32(out + len - 4, (uint32_t)len);
	return len;
}

long sb_rec_scan_pcapng(const uint8_t *buf, size_t len, uint64_t *ms, uint64_t *pkts)
{
	size_t off = 0;
	uint64_t first = 0, last = 0;
	bool any = false;

	*ms = 0;
	*pkts = 0;
	if (len < SB_REC_HDR_SIZE || get32(buf) != BT_SHB || get32(buf + 8) != 0x1a2b3c4du)
		return -EBADMSG;
	while (len - off >= 12) {
		uint32_t t = get32(buf + off), bl = get32(buf + off + 4);

		if (bl < 12 || bl % 4 != 0 || bl > len - off || get32(buf + off + bl - 4) != bl)
			break;
		if (t == BT_EPB && bl >= 32) {
			uint64_t ts = (uint64_t)get32(buf + off + 12) << 32 | get32(buf + off + 16);

			if (!any)
				first = ts;
			any = true;
			last = ts;
			++*pkts;
		}
		off += bl;
	}
	if (off < SB_REC_HDR_SIZE)
		return -EBADMSG; /* the header block itself is torn or not ours */
	*ms = any && last > first ? (last - first) / 1000 : 0;
	return (long)off;
}
