/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for media/dtmf.c and dtmf_inband.c: telephone-event
 * payloads and RTP header fields from the network, and the audio of a
 * G.711 leg.
 *
 * Input: byte 0 = clock (bits 0-1: 8000, 16000, 48000, 8000) and timeout
 * (bits 2-7, x 50 ms); then records, each a control byte
 *   bit 0 marker, bits 1-2 timestamp (0 same, 1 + next byte x 80,
 *   2 = next 4 bytes, 3 - next byte x 80), bit 3 sequence (0 +1, 1 + next
 *   byte as int8), bit 4 poll the timeout instead of a packet, bits 5-7
 *   payload length 0..7, followed by the payload;
 * the clock advances 20 ms per record.  Every byte of the input is also
 * played, as µ-law, into an in-band detector.
 * Invariants: a refusal is -EBADMSG exactly for < 4 bytes and -ENOTSUP
 * exactly for codes > 16; reports alternate BEGIN, END, BEGIN, ... with
 * the END naming the BEGIN's event and timestamp; the counters agree with
 * the reports; the generator's packets of one event, fed to a fresh
 * receiver, give one digit of the requested duration.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb/dtmf.h"
#include "sb/g711.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct track { bool open; uint8_t event; uint32_t ts; uint64_t begins; };

static void check(struct track *t, const struct sb_dtmf_ev *e)
{
	if (e->event >= SB_DTMF_N_EVENTS)
		abort();
	if (e->kind == SB_DTMF_BEGIN) {
		if (t->open || e->dur_ts != 0)
			abort();
		t->open = true;
		t->event = e->event;
		t->ts = e->ts;
		t->begins++;
	} else if (e->kind == SB_DTMF_END) {
		if (!t->open || e->event != t->event || e->ts != t->ts)
			abort();
		t->open = false;
	} else {
		abort();
	}
}

static void roundtrip(const uint8_t *data, size_t size)
{
	struct sb_dtmf_tx tx;
	struct sb_dtmf_rx rx;
	struct sb_dtmf_pkt p;
	struct sb_dtmf_ev e[3];
	unsigned ev = size > 1 ? data[1] % SB_DTMF_N_EVENTS : 0, ends = 0, begins = 0;
	uint32_t dur = size > 3 ? ((uint32_t)data[2] << 8 | data[3]) : 800;
	uint16_t seq = size > 4 ? data[4] : 0;

	if (dur == 0)
		dur = 1;
	if (sb_dtmf_tx_start(&tx, ev, 10, dur, 160, 12345) != 0 ||
	    sb_dtmf_rx_init(&rx, 8000, 0) != 0)
		abort();
	while (sb_dtmf_tx_next(&tx, &p) == 1) {
		int r = sb_dtmf_rx_packet(&rx, p.pl, 4, p.ts, seq++, p.marker, p.send_at / 8, e);

		if (r < 0)
			abort();
		for (int i = 0; i < r; i++) {
			if (e[i].kind == SB_DTMF_BEGIN)
				begins++;
			else if (++ends, e[i].dur_ts != dur || e[i].event != ev)
				abort();
		}
	}
	if (begins != 1 || ends != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t rates[4] = { 8000, 16000, 48000, 8000 };
	struct sb_dtmf_rx rx;
	struct sb_dtmf_ib ib;
	struct sb_dtmf_ev e[3], ibev[16];
	struct track t = { 0 }, ti = { 0 };
	uint32_t ts = 0;
	uint16_t seq = 0;
	uint64_t now = 0, reports = 0;
	size_t off = 1;

	if (size < 1)
		return 0;
	if (sb_dtmf_rx_init(&rx, rates[data[0] & 3], (data[0] >> 2) * 50u) != 0)
		abort();
	while (off < size) {
		uint8_t c = data[off++];
		unsigned len = c >> 5;
		int r;

		now += 20;
		switch ((c >> 1) & 3) {
		case 1:
			if (off < size)
				ts += data[off++] * 80u;
			break;
		case 2:
			if (off + 4 <= size) {
				ts = (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 |
				     (uint32_t)data[off + 2] << 8 | data[off + 3];
				off += 4;
			}
			break;
		case 3:
			if (off < size)
				ts -= data[off++] * 80u;
			break;
		}
		if (c & 8) {
			if (off < size)
				seq = (uint16_t)(seq + (int8_t)data[off++]);
		} else {
			seq++;
		}
		if (c & 16) {
			r = sb_dtmf_rx_poll(&rx, now, e);
		} else {
			uint8_t *pl;

			if (len > size - off)
				len = (unsigned)(size - off);
			/* an exactly sized copy, so ASan sees a read past len */
			pl = malloc(len ? len : 1);
			if (pl == NULL)
				abort();
			memcpy(pl, data + off, len);
			off += len;
			r = sb_dtmf_rx_packet(&rx, pl, len, ts, seq, c & 1, now, e);
			if ((r == -EBADMSG) != (len < 4) ||
			    (r == -ENOTSUP) != (len >= 4 && pl[0] >= SB_DTMF_N_EVENTS) ||
			    (r < 0 && r != -EBADMSG && r != -ENOTSUP) || r > 3)
				abort();
			free(pl);
		}
		for (int i = 0; i < r; i++)
			check(&t, &e[i]);
		reports += r > 0 ? (unsigned)r : 0;
	}
	if (rx.st.digits != t.begins || rx.st.packets > size)
		abort();
	(void)reports;

	/* the same bytes as µ-law audio, in frames of up to 160 */
	sb_dtmf_ib_init(&ib);
	for (size_t s = 0; s < size; s += 160) {
		int16_t pcm[160];
		unsigned n = size - s < 160 ? (unsigned)(size - s) : 160, k;

		sb_g711_ulaw_decode(pcm, data + s, n);
		k = sb_dtmf_ib_process(&ib, pcm, n, (uint32_t)s, ibev, 16);
		for (unsigned i = 0; i < k; i++)
			check(&ti, &ibev[i]);
	}
	if (ib.st.digits != ti.begins || ib.st.ev_lost != 0)
		abort();

	roundtrip(data, size);
	return 0;
}
