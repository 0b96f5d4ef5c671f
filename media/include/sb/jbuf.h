/* SPDX-License-Identifier: MIT */
/*
 * sb/jbuf.h — adaptive jitter buffer for one decoded RTP leg.
 *
 * A fixed ring of SB_JBUF_SLOTS packet slots indexed by sequence number,
 * sized at set-up (sb_jbuf_create allocates once); sb_jbuf_put() (per
 * packet) and sb_jbuf_get() (per frame tick) never allocate, lock, log or
 * make a system call.  Both run on the leg's owning worker.
 *
 * Time: the worker passes each packet's arrival time in the leg's RTP
 * clock units (now_ms * clock / 1000; only differences matter, wrapping is
 * fine) and calls sb_jbuf_get() exactly once per frame duration.  The
 * playout clock (play_ts, the RTP timestamp of the frame the next tick
 * plays) advances one frame per tick, except when the buffer grows.
 *
 * Adaptation: interarrival jitter J is measured as in RFC 3550 6.4.1; the
 * target delay is clamp(min, max, frame + 3 J).  The buffered level (audio
 * held ahead of play_ts, smoothed over ticks) is steered to the target by
 * playing one concealment frame without advancing (EXPAND, delay +1 frame)
 * or by dropping one buffered frame (delay -1 frame).  No time-stretching:
 * a dropped frame is an audible 20 ms cut, so shrinking is rate-limited.
 *
 * Loss vs silence: a frame is LOST only when sequence numbers prove it
 * (a later packet is buffered); a sender that stops sending (Opus DTX, VAD)
 * keeps its sequence numbers contiguous while timestamps jump, which is a
 * GAP, not loss; with nothing buffered the tick is EMPTY (the decoder
 * conceals; if the packet turns up later it is counted late and lost).
 *
 * Limits: one frame duration per leg (the SDP ptime); sequence numbers
 * and timestamps wrap (16 and 32 bits).  A packet SB_JBUF_SLOTS or more
 * sequence numbers ahead, more than 1024 behind, or timestamped more than
 * SB_JBUF_SLOTS frames before playout is a sender restart: with nothing
 * buffered playout resynchronises to it, otherwise it is dropped TOO_FAR.
 * A late packet is one that lags by less than that.
 */
#ifndef SB_JBUF_H
#define SB_JBUF_H

#include <stdint.h>

/* gcc >= 11 checks that what _create returns goes to the paired _free;
 * clang (the fuzz build) has only the plain attribute. */
#ifndef SB_CODEC_ALLOC
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SB_CODEC_ALLOC(dealloc) __attribute__((malloc, malloc(dealloc, 1)))
#else
#define SB_CODEC_ALLOC(dealloc) __attribute__((malloc))
#endif
#endif

#define SB_JBUF_SLOTS 64u   /* power of two; 1.28 s of 20 ms frames */

/* Why a packet was not buffered. */
#define SB_JBUF_DROPS(_)                                                        \
	_(LATE,    "arrived after its playout time (or its turn was passed)")   \
	_(DUP,     "sequence number already buffered (duplicate)")              \
	_(TOO_FAR, "sequence number too far ahead of playout for the ring")      \
	_(SIZE,    "empty payload or larger than the slot")

enum sb_jbuf_drop {
#define _(n, d) SB_JBUF_DROP_##n,
	SB_JBUF_DROPS(_)
#undef _
	SB_JBUF_DROP_N
};

struct sb_jbuf_cfg {
	uint32_t clock;        /* RTP clock rate (8000; 48000 for Opus) */
	uint16_t frame_ms;     /* packet duration (ptime) */
	uint16_t min_ms;       /* playout delay bounds; 0 = 40 and 200 */
	uint16_t max_ms;
	uint16_t max_payload;  /* slot size in bytes; 0 = 1276 (Opus maximum) */
};

enum sb_jbuf_kind {
	SB_JBUF_WAIT = 0,   /* not started (priming to the target): silence */
	SB_JBUF_FRAME,      /* data/len: decode it */
	SB_JBUF_LOST,       /* proven lost: conceal; next/next_len for FEC */
	SB_JBUF_EXPAND,     /* delay grows by one frame: conceal */
	SB_JBUF_GAP,        /* sender silent (DTX): comfort noise, not loss */
	SB_JBUF_EMPTY,      /* nothing buffered: conceal (late, lost or DTX) */
};

struct sb_jbuf_frame {
	uint8_t        kind;     /* enum sb_jbuf_kind */
	uint8_t        pad;
	uint16_t       seq;      /* FRAME: the packet's */
	uint32_t       ts;       /* the RTP timestamp this tick plays */
	const uint8_t *data;     /* FRAME; valid until the next put/get */
	const uint8_t *next;     /* LOST: the following packet when buffered */
	uint16_t       len;
	uint16_t       next_len;
};

struct sb_jbuf_stats {
	uint64_t packets;                 /* every sb_jbuf_put() */
	uint64_t played;                  /* FRAME ticks */
	uint64_t lost;                    /* sequence numbers concealed */
	uint64_t expand;                  /* EXPAND ticks (delay grown) */
	uint64_t shrink;                  /* frames dropped (delay shrunk) */
	uint64_t gap;                     /* GAP ticks (sender silent) */
	uint64_t empty;                   /* EMPTY ticks */
	uint64_t wait;                    /* WAIT ticks */
	uint64_t resync;                  /* sequence jumps resynchronised */
	uint64_t drop[SB_JBUF_DROP_N];
	uint32_t jitter;                  /* J, RTP clock units */
	uint32_t target;                  /* target delay, RTP clock units */
	uint32_t level;                   /* smoothed buffered level, units */
};

struct sb_jbuf;

void sb_jbuf_free(struct sb_jbuf *jb);  /* NULL is a no-op */
/* NULL + errno (EINVAL: clock 0, frame_ms 0, min > max, max beyond the
 * ring; ENOMEM). */
struct sb_jbuf *sb_jbuf_create(const struct sb_jbuf_cfg *cfg)
	SB_CODEC_ALLOC(sb_jbuf_free);

/* One received packet (payload only: RTP header already parsed).
 * 0 buffered, or -(1 + enum sb_jbuf_drop) when dropped (also counted). */
int sb_jbuf_put(struct sb_jbuf *jb, const uint8_t *pl, unsigned len,
		uint16_t seq, uint32_t ts, uint32_t arrival);
/* One frame tick: what to play.  Returns f->kind. */
enum sb_jbuf_kind sb_jbuf_get(struct sb_jbuf *jb, struct sb_jbuf_frame *f);

const struct sb_jbuf_stats *sb_jbuf_stats(const struct sb_jbuf *jb);
uint32_t sb_jbuf_frame_ts(const struct sb_jbuf *jb);  /* frame, clock units */
const char *sb_jbuf_drop_name(enum sb_jbuf_drop d);   /* "LATE"; NULL out of range */
const char *sb_jbuf_drop_desc(enum sb_jbuf_drop d);

#endif
