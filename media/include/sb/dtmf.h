/* SPDX-License-Identifier: MIT */
/*
 * sb/dtmf.h — DTMF for the dataplane workers: RFC 4733 telephone-events
 * received (one digit per event, whatever the packets do) and generated,
 * and in-band tones detected on decoded 8 kHz PCM (Goertzel).
 *
 * Per-packet / per-frame primitives: every state struct is plain data the
 * worker keeps in its per-leg state (no pointers, memset-0 + init is the
 * whole set-up), and no call allocates, locks, logs or makes a system
 * call.  Calls report what happened as struct sb_dtmf_ev records that the
 * worker copies into its event ring (fixed layout, 16 bytes, ready for the
 * ring ABI); refusals are counted by reason in the state's stats.
 *
 * Events: 0-9 are the digits, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash
 * (RFC 4733 table 3; reported like a digit, char 'X' as Asterisk does, so
 * control can treat a hook flash as it likes).  Codes 17-255 (RFC 4734
 * line tones, modem tones, ...) are not DTMF: counted (EVENT) and ignored.
 *
 * A digit is reported twice: SB_DTMF_BEGIN when it is first seen (IVR
 * barge-in wants it early) and SB_DTMF_END with its duration.  Exactly one
 * END follows each BEGIN; an event whose end packets were all lost is
 * ended by the next event or by sb_dtmf_rx_poll() after a timeout, with
 * SB_DTMF_F_LOST_END set.
 */
#ifndef SB_DTMF_H
#define SB_DTMF_H

#include <stdbool.h>
#include <stdint.h>

#define SB_DTMF_FLASH     16u
#define SB_DTMF_REORDER   512u /* sequence numbers a late packet may lag */
#define SB_DTMF_N_EVENTS  17u  /* 0..16 */

enum sb_dtmf_kind { SB_DTMF_BEGIN = 1, SB_DTMF_END = 2 };
/* (FROM_: SB_DTMF_SRC_* are the ring ABI's values, sb/dp_abi.h; equal) */
enum sb_dtmf_src { SB_DTMF_FROM_RFC4733 = 1, SB_DTMF_FROM_INBAND = 2 };

#define SB_DTMF_F_LOST_END  0x01u  /* END inferred: timeout or next event */
#define SB_DTMF_F_NO_BEGIN  0x02u  /* first packet seen already had E set */

/* One report to control.  ts: RTP timestamp of the event (RFC 4733: the
 * packets' timestamp; in-band: the timestamp of the first sample of the
 * first block that held the tone).  dur_ts in RTP clock units, dur_ms the
 * same in milliseconds (0 in BEGIN). */
struct sb_dtmf_ev {
	uint8_t  event;     /* 0..16 */
	uint8_t  kind;      /* enum sb_dtmf_kind */
	uint8_t  src;       /* enum sb_dtmf_src */
	uint8_t  flags;     /* SB_DTMF_F_* */
	uint32_t ts;
	uint32_t dur_ts;
	uint16_t dur_ms;
	uint8_t  volume;    /* RFC 4733: -dBm0 (0..63); in-band: 0 */
	uint8_t  pad;
};
_Static_assert(sizeof(struct sb_dtmf_ev) == 16, "sb_dtmf_ev crosses the event ring");

/* '0'..'9', '*', '#', 'A'..'D', 'X' (flash); '?' outside 0..16 */
char sb_dtmf_char(unsigned event);
/* The inverse ('a'..'d' too); -EINVAL for anything else. */
int sb_dtmf_event_of(char c);

/* ---- RFC 4733 receive ---- */

/* Why a telephone-event packet gave nothing: one X-macro builds the enum
 * and the text, so they cannot drift. */
#define SB_DTMF_RX_DROPS(_)                                                    \
	_(SHORT, "payload shorter than 4 bytes")                               \
	_(EVENT, "event code not 0..16 (not DTMF)")                            \
	_(STALE, "older sequence number than the newest seen (reordered)")    \
	_(DUP,   "event already ended (retransmitted end or duplicate)")       \
	_(MIXED, "other event code under the current event's timestamp")

enum sb_dtmf_rx_drop {
#define _(n, d) SB_DTMF_RX_##n,
	SB_DTMF_RX_DROPS(_)
#undef _
	SB_DTMF_RX_DROP_N
};

struct sb_dtmf_rx_stats {
	uint64_t packets;                     /* every payload fed */
	uint64_t digits;                      /* BEGIN reports */
	uint64_t lost_end;                    /* ENDs inferred */
	uint64_t drop[SB_DTMF_RX_DROP_N];     /* packets that changed nothing */
};

/* Per leg, written by the owning worker only.  Opaque in spirit: use the
 * functions. */
struct sb_dtmf_rx {
	uint32_t ts;          /* current (or last) event's RTP timestamp */
	uint32_t seg_ts;      /* current segment's (RFC 4733 2.5.1.3) */
	uint32_t dur;         /* duration so far, all segments, clock units */
	uint32_t seg_dur;     /* longest duration seen in this segment */
	uint64_t last_ms;     /* now_ms of the last packet that advanced it */
	uint32_t rate;        /* RTP clock rate of telephone-event (8000...) */
	uint32_t timeout_ms;  /* end of an event with no packets */
	uint16_t seq;         /* newest sequence number seen */
	uint8_t  state;       /* 0 idle, 1 active, 2 ended */
	uint8_t  event;
	uint8_t  volume;
	uint8_t  have_seq;
	uint8_t  pad[2];
	struct sb_dtmf_rx_stats st;
};

/* rate: the payload type's clock rate (8000 for PCMU/PCMA legs; 16000 or
 * 48000 with wideband codecs); timeout_ms: 0 = 1000 (a sender updates at
 * least every 50-100 ms, and a lost end must not hold a digit forever).
 * -EINVAL if rate is 0. */
int sb_dtmf_rx_init(struct sb_dtmf_rx *rx, uint32_t rate, uint32_t timeout_ms);

/* Feed one telephone-event RTP payload (pl, len bytes after the RTP header
 * and any padding) with its header's timestamp, sequence number and marker
 * bit; now_ms is the worker's clock (any monotonic ms).  Writes 0 to 3
 * reports to out[] (the END of an event whose end was lost, the BEGIN of
 * the new one, its END if this first packet seen has the E bit) and
 * returns their number, or a negative -errno when the payload is refused
 * (counted): -EBADMSG (SHORT), -ENOTSUP (EVENT).  Duplicates, retransmitted
 * ends and reordered packets return 0 and are counted as drops.  Bytes
 * past the first 4 are ignored (RFC 4733 puts one event in a payload;
 * RFC 2198 redundancy is the RTP layer's business).
 *
 * Rules: a packet with a newer sequence number and a new timestamp starts
 * an event (marker or not: the marked first packet may be lost); one with
 * the current timestamp extends it and, with the E bit, ends it (duration
 * = the largest seen); anything with the timestamp of an ended event, or
 * older than the newest sequence number under another timestamp, is
 * ignored ("older": at most SB_DTMF_REORDER behind, within 10 s of the
 * last packet; anything further is a new stream position, because the
 * audio packets between two digits move the sequence number on).  A long
 * event split into segments (durations past 0xffff, RFC 4733 2.5.1.3:
 * same code, new timestamp, no marker) stays one digit.  A sender that
 * re-uses an ended event's timestamp for a new key press (not allowed by
 * RFC 4733) loses that digit (counted DUP). */
int sb_dtmf_rx_packet(struct sb_dtmf_rx *rx, const uint8_t *pl, unsigned len, uint32_t ts,
		      uint16_t seq, bool marker, uint64_t now_ms, struct sb_dtmf_ev out[3]);

/* Call from the worker's timer (every 20-100 ms is plenty): ends an active
 * event that has had no packet for timeout_ms.  Returns 1 with *out set,
 * or 0. */
int sb_dtmf_rx_poll(struct sb_dtmf_rx *rx, uint64_t now_ms, struct sb_dtmf_ev *out);

const char *sb_dtmf_rx_drop_name(enum sb_dtmf_rx_drop d);  /* "STALE"; NULL out of range */
const char *sb_dtmf_rx_drop_desc(enum sb_dtmf_rx_drop d);

/* ---- RFC 4733 send ---- */

/* The packets of one event, in order, as the worker sends them: the
 * first with the marker bit one interval after the start, carrying that
 * interval as its duration (a receiver never sees a 0 duration), one update
 * per interval with the duration so far, then the final duration with the
 * E bit three times (RFC 4733 2.5.1.4), each one interval apart.  Every packet carries the event's
 * timestamp (the RTP timestamp at which the digit starts); the worker puts
 * it, the marker and its own next sequence number into the RTP header. */
struct sb_dtmf_tx {
	uint32_t ts;        /* event timestamp */
	uint32_t total;     /* event duration, clock units */
	uint32_t step;      /* update interval, clock units */
	uint32_t done;      /* duration already sent */
	uint8_t  event;
	uint8_t  volume;
	uint8_t  ends;      /* end packets sent (0..3) */
	uint8_t  active;
};

struct sb_dtmf_pkt {
	uint8_t  pl[4];     /* the telephone-event payload */
	uint32_t ts;        /* RTP timestamp (the event's) */
	uint32_t send_at;   /* when to send, clock units after the start */
	bool     marker;
	bool     end;
};

/* Start an event: event 0..16, volume 0..63 (-dBm0; 10 is usual),
 * dur and step in clock units (100 ms and 50 ms at 8 kHz: 800, 400),
 * ts the RTP timestamp of the start.  -EINVAL: event > 16, volume > 63,
 * step 0, dur 0 or dur > 0xffff (one segment: no RFC 4733 2.5.1.3
 * splitting on the send side; 8 s at 8 kHz). */
int sb_dtmf_tx_start(struct sb_dtmf_tx *tx, unsigned event, unsigned volume, uint32_t dur,
		     uint32_t step, uint32_t ts);
/* The next packet: returns 1 with *p filled, 0 when the event is over
 * (the three end packets have been produced). */
int sb_dtmf_tx_next(struct sb_dtmf_tx *tx, struct sb_dtmf_pkt *p);

/* ---- in-band (Goertzel) on 8 kHz linear PCM ---- */

/* Samples per Goertzel block: 102 at 8 kHz (12.75 ms; 78 Hz bins, wide
 * enough for the +-1.5 % frequency tolerance of Q.23, narrow enough to
 * tell neighbouring DTMF frequencies apart).  A digit begins after
 * SB_DTMF_IB_HITS consecutive blocks agree (a block counts when at least
 * ~70 % of it is tone: a tone of 40 ms always fills 2, one shorter than
 * 17.8 ms never does; between the two it depends on alignment) and ends after SB_DTMF_IB_MISSES blocks without it (a 10 ms
 * interruption, which Q.24 says to bridge, spoils at most 2 blocks; a
 * 40 ms pause always spoils 3, so it separates two digits). */
#define SB_DTMF_IB_BLOCK   102
#define SB_DTMF_IB_HITS    2
#define SB_DTMF_IB_MISSES  3

struct sb_dtmf_ib_stats {
	uint64_t blocks;      /* Goertzel blocks evaluated */
	uint64_t hits;        /* blocks that passed every test (a digit needs
			       * SB_DTMF_IB_HITS in a row) */
	uint64_t digits;      /* BEGIN reports */
	uint64_t rej_twist;   /* both groups present, twist out of range */
	uint64_t rej_peak;    /* second row/column too close to the best */
	uint64_t rej_harm;    /* 2nd harmonic too strong (voice talk-off) */
	uint64_t rej_energy;  /* the pair is too little of the block energy */
	uint64_t ev_lost;     /* reports that did not fit in out[] */
};

/* Per leg (~200 bytes), written by the owning worker only. */
struct sb_dtmf_ib {
	float    q1[16], q2[16];  /* Goertzel state: 8 tones + 8 2nd harmonics */
	float    energy;          /* sum of x^2 over the block */
	uint32_t block_ts;        /* timestamp of the block's first sample */
	uint32_t start_ts;        /* timestamp of the current digit's first hit */
	uint32_t cand_ts;         /* timestamp of the candidate's first block */
	uint16_t n;               /* samples in the current block */
	uint8_t  cand;            /* digit of the last block (0xff none) */
	uint8_t  cand_hits;       /* consecutive blocks it has held */
	uint8_t  digit;           /* reported digit (0xff none) */
	uint8_t  misses;          /* blocks without it since its last hit */
	uint16_t blocks_span;     /* blocks from its first hit to its last */
	struct sb_dtmf_ib_stats st;
};

void sb_dtmf_ib_init(struct sb_dtmf_ib *d);
/* Feed n samples (a decoded G.711 frame, any n) whose first sample has RTP
 * timestamp ts.  Reports as for RFC 4733 (dur_ms from the blocks the tone
 * filled), at most max_out of them (2 per 102 samples at most; 8 covers a
 * 40 ms frame); returns their number.  Frames must be contiguous: after a
 * gap (lost packets not concealed) feed silence or re-init. */
unsigned sb_dtmf_ib_process(struct sb_dtmf_ib *d, const int16_t *pcm, unsigned n, uint32_t ts,
			    struct sb_dtmf_ev *out, unsigned max_out);

#endif
