/* SPDX-License-Identifier: MIT */
/*
 * legs.h — the leg table and the commands that change it.
 *
 * Legs are referred to by the index control chose (< max_legs) plus
 * control's generation of that index (STYLE H4).  A leg belongs to the
 * worker that owns its local port; only that worker writes the leg and its
 * counters in the segment (struct sb_leg_stats).  After LEG_DEL the
 * counters stay readable (active = 0) until the index is added again.
 */
#ifndef SB_DP_LEGS_H
#define SB_DP_LEGS_H

#include <stddef.h>
#include <stdint.h>

#include "sb/dp_abi.h"
#include "sb/rtp.h"

#include "preload.h"

struct sb_worker;

/* port_leg[] value of a leg's RTCP port (local_port + 1, not mux). */
#define SB_PORT_RTCP 0x80000000u

/* sb_leg.flags bits the dataplane sets itself (never from a command's
 * flags, kept across LEG_MOD, cleared by LEG_ADD): a leg that needs more
 * than a relay.  Its packets leave the fast path at one unlikely() branch
 * each (relay.c, "HOOK(media)" and "HOOK(rec)"), so the relay of plain
 * legs pays one test of a byte it already has in cache. */
#define SB_LEGI_MEDIA 0x40u /* media context: SRTP, codec, DTMF, prompts, conference (dpmedia.c) */
#define SB_LEGI_REC   0x80u /* recorded: payload copies to the record ring (rectap.c) */
#define SB_LEGI_MASK  (SB_LEGI_MEDIA | SB_LEGI_REC)
_Static_assert((SB_LEG_F_KNOWN & SB_LEGI_MASK) == 0, "command flags and internal flags overlap");

/* sb_leg.out_state */
#define SB_OUT_INIT   1u /* a stream has been sent: out_* below are valid */
#define SB_OUT_RESYNC 2u /* the source feeding this output changed (LEG_CONNECT) */

/*
 * The hot part of a leg, written only by the owning worker.  Line 0 is
 * read for every packet received on the leg (source check, payload map)
 * and for every packet sent out of it (peer, RTP rewrite state); line 1
 * holds everything else a received RTP packet touches in the steady state
 * (RFC 3550 statistics state, the jitter clock, the pending receive
 * counters).  A packet thus touches the two adjacent lines of its input
 * leg (one page, and the adjacent-line prefetcher's pair) and line 0 of
 * its output leg, and none of the segment's lines (relay_bench at 10k
 * legs: each extra random line per packet cost ~10 ns; at 100k legs
 * without hugepages each extra page a TLB miss).
 *
 * Its transmit counters are kept here (tx_pend, tx_bytes_pend: this line
 * is already hot when the packet is sent) and added to the segment's
 * counters every SB_CNT_PUBLISH_EVERY packets, by the sweep, on LEG_DEL
 * and at exit: the segment's line of the output leg is not touched per
 * packet (relay_bench, 10k legs: each random line costs ~10 ns/packet).
 * Generation, owner and the active flag are only read by commands: they
 * live in the cold part (struct sb_leg_x).
 *
 * Output rewriting (re-anchoring): the far end of a leg must see one
 * continuous stream whatever feeds it.  out_ssrc is the SSRC of the first
 * stream sent and is kept; when the source changes (another leg connected,
 * or a new SSRC) seq_delta/ts_delta are recomputed so that the sequence
 * continues at last_seq + 1 and the timestamp advances by the wall time
 * elapsed since last_out_tsc (at least one frame, ts_step).
 */
struct sb_leg {
	uint32_t peer_ip;    /* network order; 0 = unknown (SDP or latched) */
	uint16_t peer_port;  /* 0 = unknown */
	uint16_t local_port;
	uint32_t fwd;        /* connected leg (also the source of our output), SB_LEG_NONE */
	uint32_t tx_bytes_pend; /* sent, not yet added to sb_leg_stats.tx_bytes */
	uint16_t rtcp_port;  /* the peer's RTCP port */
	uint8_t flags;       /* SB_LEG_F_* */
	uint8_t locked;      /* source locked: the one-compare accept test */
	uint8_t addr;        /* local address: media_ip + addr (--media-addrs) */
	uint8_t n_pt;        /* entries in pt_in/pt_out */
	uint8_t out_state;   /* SB_OUT_* */
	uint8_t rtcp_locked; /* RTCP source port confirmed */
	uint8_t pt_in[SB_PT_MAP_MAX];
	uint8_t pt_out[SB_PT_MAP_MAX];
	/* ---- output direction: packets sent to this leg's peer ---- */
	uint32_t out_ssrc;   /* SSRC we send (the first source's, kept) */
	uint32_t src_ssrc;   /* incoming SSRC currently mapped to out_ssrc */
	uint32_t ts_delta;   /* added to the source timestamp */
	uint32_t last_ts;    /* last timestamp sent */
	uint16_t seq_delta;  /* added to the source sequence number */
	uint16_t last_seq;   /* highest sequence number sent */
	uint16_t ts_step;    /* last timestamp increment between consecutive packets */
	uint8_t tx_pend;     /* sent, not yet added to sb_leg_stats.tx_pkts */
	uint8_t pad;
	uint64_t last_out_tsc; /* TSC of the last RTP packet sent */
	/* ---- line 1: input direction, per received RTP packet ---- */
	struct sb_rtp_src rx;      /* RFC 3550 A.1/A.8 state of the source we receive */
	uint32_t rx_bytes_pend;    /* accepted RTP bytes, not yet in sb_leg_stats.rx_bytes */
	uint64_t rx_clock_mult;    /* TSC -> rx_clock_hz units (sb_rtp_clock_mult) */
	uint8_t rx_clock_pt;       /* payload type rx_clock_hz belongs to; 0xff = none */
	uint8_t rx_pend;           /* accepted RTP, not yet added to sb_leg_stats.rx_pkts */
	uint16_t pad1;
	uint32_t last_rx_ms;       /* sb_tsc_to_ns() / 1e6 of the last accepted RTP (mod 2^32) */
};
_Static_assert(offsetof(struct sb_leg, rx) == 64 && sizeof(struct sb_leg) == 128,
	       "two cache lines per leg: output/common, then input");

/*
 * The cold part: latching window, clocks, timeout and RTCP round-trip
 * bookkeeping, generation and owner.  Never read by other threads (but
 * the main lcore before launch, --preload).  Line 0 is for the slow paths
 * and the timer sweep, line 1 for commands; no steady-state packet
 * touches it.
 */
struct sb_leg_x {
	/* ---- line 0: slow paths, timers ---- */
	struct sb_latch latch;     /* who may send to us */
	uint32_t pt_clock[SB_PT_MAP_MAX]; /* RTP clock of pt_in[i] (0 = static/8000) */
	uint64_t sr_tsc;           /* when it was sent */
	uint64_t idle_start_ns;    /* LEG_ADD or LEG_CONNECT: idle start when no packet came since */
	uint64_t idle_mark_ns;     /* idle start already reported by a timeout event */
	uint64_t frac_tsc;         /* start of the current fraction-lost interval */
	/* ---- line 1: commands ---- */
	uint32_t rx_clock_hz;
	uint32_t timeout_ms;
	uint32_t sr_lsr;           /* NTP middle 32 bits of the last SR sent to our peer */
	uint32_t gen;              /* control's generation of this index */
	uint16_t cfg_rtcp_port;    /* from the command (SDP a=rtcp), 0 = derive */
	uint16_t worker;           /* owner */
	uint8_t active;
	uint8_t pad2[43];
};
_Static_assert(sizeof(struct sb_leg_x) == 128, "two cache lines of cold state per leg");

/* Per-packet counters kept in the worker's own lines (rx_pend, tx_pend)
 * are added to struct sb_leg_stats every this many packets (power of two,
 * < 256: they are 8-bit), by the sweep, on LEG_DEL and at exit. */
#define SB_CNT_PUBLISH_EVERY 16u

/* Commands of a --preload "at N" directive, applied before the worker
 * handles its Nth packet (golden tests change connections mid-stream). */
struct sb_leg_script {
	uint32_t n, next;
	uint64_t seen; /* packets this worker has handled */
	struct {
		uint64_t at;
		union sb_msg m;
	} ent[];
};

/* Per-worker timer state, written only by that worker; padded to a cache
 * line (no alignment demand, so the table may live anywhere). */
struct sb_leg_sweep {
	uint32_t cursor; /* next port slot to visit */
	uint32_t pad;
	uint64_t next_tsc;
	uint64_t pad2[6];
};

struct sb_leg_tbl {
	uint32_t max;
	struct sb_leg *leg;      /* [max], owned: sb_leg_tbl_free() */
	struct sb_leg_x *x;      /* [max], owned */
	struct sb_leg_stats *st; /* [max], in the shm segment */
	struct sb_leg_sweep sweep[SB_MAX_WORKERS];
	struct sb_leg_script *script[SB_MAX_WORKERS];     /* NULL when done */
	struct sb_leg_script *script_mem[SB_MAX_WORKERS]; /* owned */
};

/*
 * The RFC 3550 receive figures of a leg (ssrc .. jitter, the second cache
 * line of struct sb_leg_stats) and its packet/byte counters are copied to
 * the segment lazily: the receive side by the fast path on every
 * SB_RX_PUBLISH_EVERY-th packet it accepts on the leg and whenever the
 * source restarts (new SSRC), the transmit side every
 * SB_CNT_PUBLISH_EVERY-th packet queued on the leg (sb_relay_count_tx(),
 * worker.h; the flush takes back what the port refused); both by the sweep
 * on every visit, on LEG_DEL and when the worker exits.  That saves two
 * random cache-line writes per packet (the segment's lines of the input
 * and of the output leg); the freshness contract is in sb/dp_abi.h
 * (struct sb_leg_stats).
 */
#define SB_RX_PUBLISH_EVERY SB_CNT_PUBLISH_EVERY

static inline void sb_legs_publish_rx(struct sb_leg_stats *ls, const struct sb_rtp_src *rx)
{
	ls->ssrc = rx->ssrc;
	ls->ext_max_seq = sb_rtp_src_ext_max(rx);
	ls->cycles = rx->cycles >> 16;
	ls->base_seq = rx->base_seq;
	ls->received = rx->received;
	ls->expected = sb_rtp_src_expected(rx);
	ls->lost = sb_rtp_src_lost_fast(rx);
	ls->jitter = sb_rtp_src_jitter(rx);
}

/* Add the transmit counters pending in leg idx's hot line to the segment. */
static inline void sb_legs_publish_tx(struct sb_leg_tbl *t, uint32_t idx)
{
	struct sb_leg *l = &t->leg[idx];

	if (l->tx_pend != 0) {
		t->st[idx].tx_pkts += l->tx_pend;
		t->st[idx].tx_bytes += l->tx_bytes_pend;
		l->tx_pend = 0;
		l->tx_bytes_pend = 0;
	}
}

/* Everything pending of leg idx to the segment: counters (last_rx_ns to
 * the millisecond of now_ns's clock) and the RFC 3550 figures. */
void sb_legs_publish(struct sb_worker *w, uint32_t idx, uint64_t now_ns);

/* Publish everything of every leg worker w owns (at exit). */
void sb_legs_publish_all(struct sb_worker *w);

/* Bytes of per-leg state: table entries plus shared-segment counters. */
#define SB_LEG_STATE_BYTES (sizeof(struct sb_leg) + sizeof(struct sb_leg_x) + \
			    sizeof(struct sb_leg_stats))

/* Allocate max legs (hugepage memory on socket).  Returns 0 or -ENOMEM. */
int sb_leg_tbl_init(struct sb_leg_tbl *t, uint32_t max, struct sb_leg_stats *st, int socket);
void sb_leg_tbl_free(struct sb_leg_tbl *t);

/* Apply one command on worker w (its owner).  Returns 0 or:
 *   -EBADMSG  h.len does not match sb_cmd_size[] for the type
 *   -ENOTSUP  unknown command type
 *   -EINVAL   leg index >= max_legs, unknown flag bits, wrong worker,
 *             or LEG_MOD trying to change the local port
 *   -ERANGE   LEG_ADD: local port outside this worker's range
 *   -EEXIST   LEG_ADD: leg index active, or local port already in use
 *   -ENOENT   leg not active
 *   -ESTALE   leg_gen does not match the active leg's generation
 *   -EXDEV    LEG_CONNECT across workers
 * and, ABI 2:
 *   -EINVAL   n_pt_map > SB_PT_MAP_MAX, a payload type > 127
 *   -ERANGE   local_port + 1 (RTCP, not mux) outside this worker's range
 *   -EEXIST   local_port + 1 (RTCP, not mux) in use
 * sb_legs_apply() also takes SB_CMD_PRELOAD_AT (--preload only: -ENOMEM,
 * -EINVAL for a bad wrapped command); the ring path refuses it (-ENOTSUP). */
int sb_legs_apply(struct sb_worker *w, const union sb_msg *m);

/* After the peer address changed (latching, LEG_ADD/MOD): derive the RTCP
 * destination and publish the peer in the leg's counters. */
void sb_legs_peer_changed(struct sb_worker *w, uint32_t idx);

/* SB_CMD_PRELOAD_AT (preload.h): the --preload "at N" wrapper, never
 * accepted from the ring: h.req_id = N, the wrapped command follows the
 * header. */

/* Coarse timer, called every loop iteration: at most every millisecond it
 * visits SB_SWEEP_SLOTS of the worker's ports: media timeout events and
 * the fraction-lost interval of each leg.  Bounded work, never per packet. */
#define SB_SWEEP_SLOTS 256u
void sb_legs_timer(struct sb_worker *w, uint64_t now);

/* Apply due "at N" commands before packet number seen + 1; returns true
 * when one of them was a sleep (the caller's TSC reading is stale). */
bool sb_legs_script_run(struct sb_worker *w);

/* Drain up to SB_CMD_BURST commands from the worker's ring, apply each and
 * answer it with SB_EVT_RESULT.  Returns how many were handled. */
unsigned sb_legs_cmd_poll(struct sb_worker *w);

#endif /* SB_DP_LEGS_H */
