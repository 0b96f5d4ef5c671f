/* SPDX-License-Identifier: MIT */
/*
 * sb/dp_abi.h — the control ⇄ dataplane contract, version 1.
 *
 * One header, included by both sides.  Everything here is fixed-layout
 * binary: fixed-width integers only, no pointers, no size_t, no bool.
 * Addresses are IPv4 in network byte order (uint32_t); UDP ports are in
 * host byte order.  Any change to a struct below changes its size or
 * meaning: bump SB_DP_ABI, and the _Static_asserts make sure nobody
 * forgets.  Control checks magic, ABI number and every size in the segment
 * header when it attaches and refuses a mismatch (sb_dp_shm_attach()).
 *
 * Segment: /dev/shm/switchboard.<instance>, created by the dataplane:
 *   struct sb_dp_shm_hdr                       (header, offsets below)
 *   per worker: command ring (control → worker), SP/SC, SB_MSG_SIZE slots
 *   per worker: event ring   (worker → control), SP/SC, SB_MSG_SIZE slots
 *   struct sb_worker_stats[n_workers]          (written by that worker only)
 *   struct sb_leg_stats[max_legs]              (written by the owning worker only)
 *
 * Every command carries a req_id and is answered by exactly one
 * SB_EVT_RESULT with the same req_id (status 0 or -errno).
 */
#ifndef SB_DP_ABI_H
#define SB_DP_ABI_H

#include <stdint.h>

#include "sb/ring.h"

#define SB_DP_MAGIC    0x50444253u /* "SBDP" little-endian */
#define SB_DP_ABI      1u
#define SB_MAX_WORKERS 16u
#define SB_MSG_SIZE    128u
#define SB_LEG_NONE    UINT32_MAX

/* ---- drop reasons: one X-macro makes the enum and the text table ---- */
#define SB_DROP_REASONS(_)                                                     \
	_(SHORT, "shorter than Ethernet/IPv4/UDP headers")                    \
	_(NOT_IPV4, "ethertype neither IPv4 nor ARP")                          \
	_(BAD_IP, "bad IPv4 header (version, length or checksum)")             \
	_(FRAG, "IPv4 fragment")                                               \
	_(IP_OPTS, "IPv4 options present")                                     \
	_(NOT_MINE, "destination is not the media address")                    \
	_(NOT_UDP, "IPv4 but not UDP or ICMP")                                 \
	_(NO_LEG, "no leg on that UDP port")                                   \
	_(BAD_SRC, "source is not the leg's peer (strict source)")             \
	_(BAD_RTP, "not RTP/RTCP (version != 2 or too short)")                 \
	_(NO_FWD, "leg has no forward target")                                 \
	_(NO_ARP, "next hop not resolved (ARP pending)")                       \
	_(TX_FULL, "transmit queue full")                                      \
	_(PUNT_FULL, "punt ring full")                                         \
	_(ARP_OTHER, "ARP not for us or not a request/reply")

enum sb_drop {
#define SB_X_(s, d) SB_DROP_##s,
	SB_DROP_REASONS(SB_X_)
#undef SB_X_
	SB_DROP_N
};
#define SB_DROP_MAX 32u
_Static_assert(SB_DROP_N <= SB_DROP_MAX, "grow SB_DROP_MAX and bump SB_DP_ABI");

/* Name and description of a drop reason; "?" for out-of-range values. */
const char *sb_drop_name(unsigned reason);
const char *sb_drop_desc(unsigned reason);

/* ---- messages ---- */
enum sb_cmd_type {
	SB_CMD_NOP = 0,         /* answered with status 0: a ping */
	SB_CMD_LEG_ADD = 1,     /* struct sb_cmd_leg */
	SB_CMD_LEG_MOD = 2,     /* struct sb_cmd_leg: new peer/flags; counters kept */
	SB_CMD_LEG_DEL = 3,     /* struct sb_msg_hdr: leg, leg_gen */
	SB_CMD_LEG_CONNECT = 4, /* struct sb_cmd_connect: both directions */
	SB_CMD_N
};

enum sb_evt_type {
	SB_EVT_RESULT = 1,        /* struct sb_evt_result */
	SB_EVT_PEER_LATCHED = 2,  /* struct sb_evt_peer: leg learned its peer */
	SB_EVT_MEDIA_TIMEOUT = 3, /* struct sb_msg_hdr: no media within the timeout */
	SB_EVT_N
};

/* Leg flags */
#define SB_LEG_F_LATCH  (1u << 0) /* learn the peer from the first packets */
#define SB_LEG_F_STRICT (1u << 1) /* after latching, drop other sources */

struct sb_msg_hdr {
	uint16_t type;    /* enum sb_cmd_type or enum sb_evt_type */
	uint16_t len;     /* sizeof the full typed struct */
	uint32_t req_id;  /* echoed in the result; 0 for unsolicited events */
	uint32_t leg;     /* leg index, < max_legs; chosen by control */
	uint32_t leg_gen; /* control's generation of that index (reuse guard) */
};
_Static_assert(sizeof(struct sb_msg_hdr) == 16, "bump SB_DP_ABI");

struct sb_cmd_leg {
	struct sb_msg_hdr h;
	uint32_t peer_ip;    /* expected peer (from SDP); 0 = unknown, latch */
	uint16_t peer_port;  /* expected peer port; 0 = unknown */
	uint16_t local_port; /* our UDP port on the media address */
	uint32_t flags;      /* SB_LEG_F_* */
	uint32_t worker;     /* owning worker; must own local_port */
	uint32_t call_id;    /* control's call number, for logs and stats */
	uint32_t reserved[3];
};
_Static_assert(sizeof(struct sb_cmd_leg) == 48, "bump SB_DP_ABI");

struct sb_cmd_connect {
	struct sb_msg_hdr h; /* h.leg = a */
	uint32_t leg_b;
	uint32_t leg_b_gen;
};
_Static_assert(sizeof(struct sb_cmd_connect) == 24, "bump SB_DP_ABI");

struct sb_evt_result {
	struct sb_msg_hdr h;
	int32_t status; /* 0 or -errno */
	uint32_t cmd_type;
};
_Static_assert(sizeof(struct sb_evt_result) == 24, "bump SB_DP_ABI");

struct sb_evt_peer {
	struct sb_msg_hdr h;
	uint32_t peer_ip;
	uint16_t peer_port;
	uint16_t reserved;
};
_Static_assert(sizeof(struct sb_evt_peer) == 24, "bump SB_DP_ABI");

/* One ring slot. */
union sb_msg {
	struct sb_msg_hdr h;
	struct sb_cmd_leg leg;
	struct sb_cmd_connect connect;
	struct sb_evt_result result;
	struct sb_evt_peer peer;
	uint8_t raw[SB_MSG_SIZE];
};
_Static_assert(sizeof(union sb_msg) == SB_MSG_SIZE, "bump SB_DP_ABI");

/* Expected length of each command; 0 = unknown type (H12: designated init). */
static const uint16_t sb_cmd_size[SB_CMD_N] = {
	[SB_CMD_NOP] = sizeof(struct sb_msg_hdr),
	[SB_CMD_LEG_ADD] = sizeof(struct sb_cmd_leg),
	[SB_CMD_LEG_MOD] = sizeof(struct sb_cmd_leg),
	[SB_CMD_LEG_DEL] = sizeof(struct sb_msg_hdr),
	[SB_CMD_LEG_CONNECT] = sizeof(struct sb_cmd_connect),
};

/* ---- counters in the segment ---- */

/* Per leg: written by the owning worker only, read by anyone. */
struct sb_leg_stats {
	uint64_t rx_pkts;     /* accepted from the peer */
	uint64_t rx_bytes;    /* UDP payload bytes */
	uint64_t tx_pkts;     /* sent out of this leg to its peer */
	uint64_t tx_bytes;    /* UDP payload bytes */
	uint64_t rej_src;     /* dropped: wrong source (strict) */
	uint64_t drops;       /* dropped for any other reason */
	uint64_t last_rx_ns;  /* CLOCK_MONOTONIC of the last accepted packet */
	uint32_t peer_ip;     /* current peer (after latching) */
	uint16_t peer_port;
	uint16_t local_port;
	uint32_t leg_gen;     /* generation these counters belong to */
	uint32_t active;      /* 1 while the leg exists */
	uint64_t reserved[7];
};
_Static_assert(sizeof(struct sb_leg_stats) == 128, "bump SB_DP_ABI");

/* Per worker: written by that worker only. */
struct sb_worker_stats {
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t relayed;        /* RTP/RTCP packets forwarded leg to leg */
	uint64_t arp_replies;    /* ARP requests for the media address answered */
	uint64_t arp_requests;   /* ARP requests we sent for next hops */
	uint64_t cmds;           /* commands applied */
	uint64_t evts_dropped;   /* events lost because the event ring was full */
	uint64_t busy_cycles;    /* TSC cycles spent in iterations that did work */
	uint64_t loops;
	uint64_t legs_active;
	uint64_t reserved[6];
	uint64_t drop[SB_DROP_MAX];
};
_Static_assert(sizeof(struct sb_worker_stats) == 384, "bump SB_DP_ABI");

/* ---- segment header ---- */
enum sb_dp_state { SB_DP_INIT = 0, SB_DP_READY = 1, SB_DP_STOPPED = 2 };

struct sb_dp_shm_hdr {
	uint32_t magic;         /* SB_DP_MAGIC, written last at creation */
	uint32_t abi;           /* SB_DP_ABI */
	uint32_t hdr_size;      /* sizeof(struct sb_dp_shm_hdr) */
	uint32_t msg_size;      /* SB_MSG_SIZE */
	uint32_t leg_stats_size;    /* sizeof(struct sb_leg_stats) */
	uint32_t worker_stats_size; /* sizeof(struct sb_worker_stats) */
	uint32_t n_workers;
	uint32_t max_legs;
	uint32_t cmd_slots;
	uint32_t evt_slots;
	uint64_t generation;    /* new value at every dataplane start */
	_Atomic uint32_t state; /* enum sb_dp_state */
	uint32_t dp_pid;
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC, refreshed ~10 times/s */
	uint32_t media_ip;      /* network order */
	uint8_t media_mac[6];
	uint16_t reserved0;
	uint16_t port_min;      /* worker w owns [port_min + w*port_span, +port_span) */
	uint16_t port_span;
	uint64_t reserved1;
	uint64_t total_size;
	uint64_t off_cmd[SB_MAX_WORKERS];
	uint64_t off_evt[SB_MAX_WORKERS];
	uint64_t off_worker_stats;
	uint64_t off_leg_stats;
	uint64_t reserved2[6];
};
_Static_assert(sizeof(struct sb_dp_shm_hdr) == 416, "bump SB_DP_ABI");

#endif /* SB_DP_ABI_H */
