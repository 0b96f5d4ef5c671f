/* SPDX-License-Identifier: MIT */
/*
 * rectap.h — recording in the dataplane (issue 7): the worker's tap, the
 * recording commands (SB_CMD_REC_*) and the recorder thread.
 *
 * Seam: relay.c calls sb_dprec_tap(w, idx, rtp, len, now) at HOOK(rec)
 * with rtp .. rtp + len the plain RTP packet (header included) the leg
 * accepted from its peer.  A media leg reaches it too: sb_dpm_rx()
 * unprotects SRTP in place and hands the packet back to the relay, which
 * checks the source and then taps it.  Recorded: PCMU/PCMA payloads (PT
 * 0 / 8, as received); Opus payloads (the leg's media context says Opus,
 * or its payload map gives the type a 48 kHz clock), copied as they are
 * and decoded on the recorder thread, never here; with DTMF masking, the
 * media context's telephone-event payloads (they mark what to silence).
 * Other payload types are skipped and counted.  A pcap recording copies
 * the whole packet (up to SB_REC_SNAPLEN bytes) with its arrival time and
 * addresses, in as many ring elements as it needs (SB_REC_FRAME_MORE).
 * A supervisor's leg (SB_CMD_REC_LEG, `recording: supervisor: true`) is
 * tapped the same way as a third source (chan SB_REC_SUPER): leg_map
 * keeps slot << MAP_CH_BITS | chan, so the tap's per-packet work is the
 * same single lookup; the recorder sums it into the agent's side.
 *
 * Threads:
 *   - worker (owner of the legs): sb_dprec_cmd(), sb_dprec_tap(),
 *     sb_dprec_leg_reset(), sb_dprec_poll().  Writes only its own
 *     struct sb_dprec_w and the leg_map entries of its own legs.  The tap
 *     copies the payload into the worker's bounded frame ring (libsbrec
 *     producer ring): no allocation, lock, log or system call; a full ring
 *     drops the copy and counts it (worker stats rec_drop_full, and the
 *     recording's drop_full reported in SB_EVT_REC_DONE).
 *   - recorder thread (a plain pthread, never a worker lcore): drains the
 *     worker -> recorder request rings (start/stop, SP/SC), runs libsbrec
 *     (io_uring), and sends events back on one recorder -> worker ring per
 *     worker (SP/SC: the recorder is its only producer).  The worker
 *     forwards them on its own event ring to control, of which it stays
 *     the only producer: no ring ever has two producers.
 *   - main lcore: sb_dprec_create() before the workers launch,
 *     sb_dprec_destroy() after they stopped (closes what is still open,
 *     forwards the last events itself: the workers are gone).
 */
#ifndef SB_DP_RECTAP_H
#define SB_DP_RECTAP_H

#include <stdint.h>

#include "sb/dp_abi.h"

struct sb_worker;
struct sb_dprec;

struct sb_dprec_cfg {
	const char *dir;       /* --rec-dir: must exist */
	unsigned n_workers;
	uint32_t max_legs;
	unsigned ring_slots;   /* frames per worker ring (power of two) */
	unsigned max_recs;     /* recordings open at once (per worker and in all) */
	unsigned segment_s;    /* default durability segment */
	unsigned o_direct;     /* 1: O_DIRECT files */
};

/* Create the recorder (libsbrec, io_uring) and its rings; does not start
 * the thread.  NULL + message in why on error (EINVAL cfg, ENOENT dir). */
struct sb_dprec *sb_dprec_create(const struct sb_dprec_cfg *cfg, char *why, unsigned why_len);
/* Attach worker w (its id < n_workers) before it runs. */
void sb_dprec_attach(struct sb_dprec *d, struct sb_worker *w);
/* Start the recorder thread: first the recovery pass over dir (every
 * *.part a crash left, subdirectories included; SB_EVT_REC_RECOVERED on
 * worker 0), then the loop.  0 or -errno. */
int sb_dprec_start(struct sb_dprec *d);
/* After the workers w[0..n_w) stopped: join the thread, stop every open
 * recording, wait up to timeout_ms for the files to close (the rest stay
 * .part for the next start's recovery), forward the DONE events to the
 * workers' event rings (the caller is now their only producer), detach
 * the workers, free.  NULL ok. */
void sb_dprec_destroy(struct sb_dprec *d, struct sb_worker *const *w, unsigned n_w,
		      unsigned timeout_ms);

/* Recorder counters (approximate, any thread): libsbrec's, by name. */
uint64_t sb_dprec_counter(const struct sb_dprec *d, const char *name);

/* ---- worker side ---- */

/* SB_CMD_REC_START/STOP/PAUSE/RESUME on the worker that owns the legs.
 * Errors: see sb/dp_abi.h ("ABI 4: recording"). */
int sb_dprec_cmd(struct sb_worker *w, const union sb_msg *m);

/* An accepted RTP packet of leg idx (plain RTP: after SRTP unprotect on a
 * media leg), rtp .. rtp + len, before any rewrite.  Seam with the relay:
 * relay.c "HOOK(rec)" and the media path. */
void sb_dprec_tap(struct sb_worker *w, uint32_t idx, const uint8_t *rtp, uint32_t len,
		  uint64_t now);

/* Leg idx is being deleted or re-added: stop its recording tap and clear
 * SB_LEGI_REC.  The recording goes on with that channel silent; when no
 * leg is left it stops by itself (DONE follows).  No-op for a leg that is
 * not recorded. */
void sb_dprec_leg_reset(struct sb_worker *w, uint32_t idx);

/* Worker timer: forward the recorder's events to control, retry pending
 * stops.  Bounded work.  Returns events forwarded. */
unsigned sb_dprec_poll(struct sb_worker *w);

#endif /* SB_DP_RECTAP_H */
