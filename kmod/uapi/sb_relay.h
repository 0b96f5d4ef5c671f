/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sb_relay.h — the ABI between sb-control (user space) and sb_relay.ko.
 *
 * Character device /dev/sb_relay.  Every struct here has fixed-width fields
 * only (no pointers, no size_t, no bool, no implicit padding) so that a
 * 32-bit and a 64-bit caller see the same layout; each size is asserted
 * below and again by the module.
 *
 * Protocol on one open file:
 *   1. SB_RELAY_IOC_HELLO must be the first call.  The caller sends the ABI
 *      number and the size of every struct it was compiled with; the module
 *      answers -EPROTO on any mismatch and refuses every later call on that
 *      file with -EPROTO too (rtpengine checks sizes the same way).
 *   2. Then ADD / MOD / DEL / CONNECT (need CAP_NET_ADMIN in the network
 *      namespace the file was opened in), GET / LIST / INFO (read only).
 *   3. Optionally RING_SETUP (CAP_NET_ADMIN) then mmap: a copy of every
 *      packet relayed on a leg with SB_RELAY_F_COPY (see below).
 *
 * Entries belong to the network namespace of the opener and outlive the
 * file: closing or restarting control does not stop media that flows.
 * They go away on DEL, when their namespace goes away, or on module unload.
 *
 * Addresses and ports are in network byte order (as on the wire); counters
 * and flags in host order.
 */
#ifndef SB_RELAY_UAPI_H
#define SB_RELAY_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SB_RELAY_ABI       2u /* 2: copy ring (RING_*, F_COPY) */
#define SB_RELAY_DEV_NAME  "sb_relay" /* /dev/sb_relay */
#define SB_RELAY_IOC_MAGIC 0xB5

/* Leg flags (same meaning as the dataplane's SB_LEG_F_*). */
#define SB_RELAY_F_LATCH  (1u << 0) /* learn the peer from the first packet, then lock */
#define SB_RELAY_F_STRICT (1u << 1) /* once the peer is known, drop other sources */
#define SB_RELAY_F_RTP    (1u << 2) /* payload is RTP: count sequence loss */
#define SB_RELAY_F_COPY   (1u << 3) /* copy what it relays to the namespace's ring */
#define SB_RELAY_F_KNOWN  (SB_RELAY_F_LATCH | SB_RELAY_F_STRICT | SB_RELAY_F_RTP | \
			   SB_RELAY_F_COPY)

/* State bits in struct sb_relay_stats.state. */
#define SB_RELAY_S_PEER_KNOWN (1u << 0) /* peer programmed or learnt */
#define SB_RELAY_S_LATCHED    (1u << 1) /* peer confirmed by traffic: locked */
#define SB_RELAY_S_CONNECTED  (1u << 2) /* has a forward target */

/* (IPv4 address, UDP port).  IPv6 will get its own struct and ioctls. */
struct sb_relay_addr {
	__be32 ip;
	__be16 port;
	__u16 reserved; /* must be 0 */
};

/* Which struct sizes the HELLO carries, by index into sizes[]. */
enum sb_relay_struct {
	SB_RELAY_SZ_HELLO = 0,
	SB_RELAY_SZ_ADDR = 1,
	SB_RELAY_SZ_LEG = 2,
	SB_RELAY_SZ_CONNECT = 3,
	SB_RELAY_SZ_STATS = 4,
	SB_RELAY_SZ_LIST = 5,
	SB_RELAY_SZ_INFO = 6,
	SB_RELAY_SZ_RING = 7,
	SB_RELAY_SZ_N = 8,
	SB_RELAY_SZ_MAX = 8 /* fixed: HELLO's own size never changes */
};

struct sb_relay_hello {
	__u32 abi;                     /* in: SB_RELAY_ABI */
	__u32 n_sizes;                 /* in: SB_RELAY_SZ_N */
	__u32 sizes[SB_RELAY_SZ_MAX];  /* in: sizeof of each struct, by enum sb_relay_struct */
	__u32 max_entries;             /* out: table capacity */
	__u32 flags_known;             /* out: SB_RELAY_F_* the module understands */
};

/* ADD, MOD: one leg.  DEL takes a struct sb_relay_addr (the key). */
struct sb_relay_leg {
	struct sb_relay_addr local; /* key: our address and port (packets' destination) */
	struct sb_relay_addr peer;  /* expected peer from SDP; 0.0.0.0:0 = unknown, learn */
	__u32 flags;                /* SB_RELAY_F_* */
	__u32 call_id;              /* control's call number, for listing */
};

/* CONNECT: packets accepted on leg a leave from b's address to b's peer, and
 * the other way round.  Connecting replaces earlier connections of both.
 */
struct sb_relay_connect {
	struct sb_relay_addr a;
	struct sb_relay_addr b;
};

struct sb_relay_stats {
	struct sb_relay_addr local; /* GET: in (the key); LIST: out */
	struct sb_relay_addr peer;  /* current peer (programmed or latched) */
	struct sb_relay_addr fwd;   /* local address of the connected leg; 0 = none */
	__u32 flags;
	__u32 call_id;
	__u32 state;                /* SB_RELAY_S_* */
	__u32 idle_ms;              /* since the last accepted packet; ~0u = never */
	__u64 rx_pkts;              /* accepted from the peer and relayed */
	__u64 rx_bytes;             /* their UDP payload bytes */
	__u64 tx_pkts;              /* relayed out of this leg to its peer */
	__u64 tx_bytes;             /* UDP payload bytes */
	__u64 rejected;             /* dropped: source is not the (latched) peer */
	__u64 passed;               /* left to the normal stack (no target yet, no route) */
	__u64 rtp_lost;             /* RFC 3550 cumulative lost, over all SSRCs seen */
	__u64 last_seen_ns;         /* CLOCK_MONOTONIC of the last accepted packet; 0 = never */
};

#define SB_RELAY_LIST_MAX 16u
/* LIST: entries in creation order.  Start with cursor 0; pass back the
 * returned cursor until count < SB_RELAY_LIST_MAX.
 */
struct sb_relay_list {
	__u64 cursor;  /* in: resume after this entry id; out: id of the last returned */
	__u32 count;   /* out: entries filled */
	__u32 reserved;
	struct sb_relay_stats ent[SB_RELAY_LIST_MAX];
};

/* Why a packet was left to the normal stack or dropped; global counters.
 * X-macro so names and numbers cannot drift (STYLE H7).
 */
#define SB_RELAY_REASONS(_)                                                   \
	_(RELAYED, "relayed in the kernel")                                   \
	_(NO_ENTRY, "UDP to an address and port without an entry (passed)")  \
	_(SHORT, "shorter than IPv4 + UDP headers (passed)")                  \
	_(NOT_UDP, "not UDP (passed)")                                        \
	_(IP_OPTS, "IPv4 options present (passed)")                           \
	_(FRAG, "IPv4 fragment (passed)")                                     \
	_(BAD_LEN, "UDP length does not match the IP length (passed)")        \
	_(GSO, "aggregated (GSO/GRO) packet (passed)")                        \
	_(NO_FWD, "leg not connected, or its target has no peer yet (passed)") \
	_(NO_ROUTE, "no route to the target's peer (passed)")                 \
	_(BAD_SRC, "source is not the leg's peer (dropped)")                  \
	_(NOMEM, "could not make the header writable (dropped)")

enum sb_relay_reason {
#define SB_RELAY_R_ENUM(n, d) SB_RELAY_R_##n,
	SB_RELAY_REASONS(SB_RELAY_R_ENUM)
#undef SB_RELAY_R_ENUM
	SB_RELAY_R_N
};

#define SB_RELAY_R_MAX 16u

struct sb_relay_info {
	__u32 abi;
	__u32 entries;              /* live entries in the caller's namespace */
	__u32 max_entries;
	__u32 n_reasons;            /* SB_RELAY_R_N of the module */
	__u64 reason[SB_RELAY_R_MAX]; /* packets by enum sb_relay_reason, all namespaces */
};

/*
 * The copy ring (recording kernel-relayed calls).  RING_SETUP on a file
 * that passed HELLO creates a ring for the file's namespace (one per
 * namespace: -EBUSY while another file holds one); mmap(0, map_size,
 * PROT_READ | PROT_WRITE, MAP_SHARED) on the same file maps it.  From then
 * on every packet relayed on a leg with SB_RELAY_F_COPY (the leg it arrived
 * on) is copied into the next free slot: its first snaplen payload bytes and
 * where it came from.  When the ring is full the copy is dropped and counted
 * (the packet itself is still relayed).  Closing the file (and unmapping)
 * removes the ring.
 *
 * Mapping: struct sb_relay_ring_hdr at offset 0, slot i at
 * hdr_size + (i & (slots - 1)) * slot_size.  Single reader:
 *   while (slot(tail)->seq == tail + 1)   (load-acquire)
 *           use it; hdr->tail = ++tail;   (store-release)
 * The module writes slot n (seq = n + 1, store-release) only while
 * n - tail < slots, so an unread slot is never overwritten.
 */
#define SB_RELAY_RING_MAGIC     0x53425252u /* "SBRR" */
#define SB_RELAY_RING_SLOTS_MAX 65536u
#define SB_RELAY_RING_SNAP_MAX  2048u

struct sb_relay_ring {
	__u32 slots;      /* SETUP in: power of two, 2..SB_RELAY_RING_SLOTS_MAX */
	__u32 snaplen;    /* SETUP in: payload bytes kept, 1..SB_RELAY_RING_SNAP_MAX */
	__u32 slot_size;  /* out: bytes per slot (header + snaplen, 8-aligned) */
	__u32 hdr_size;   /* out: offset of slot 0 (one page) */
	__u64 map_size;   /* out: bytes to mmap at offset 0 */
	__u64 copied;     /* out: packets copied so far */
	__u64 dropped;    /* out: copies lost because the ring was full */
};

struct sb_relay_ring_hdr {
	__u32 magic;      /* SB_RELAY_RING_MAGIC */
	__u32 slots;
	__u32 slot_size;
	__u32 snaplen;
	__u64 tail;       /* written by the reader only: slots consumed */
	__u64 dropped;    /* written by the module: copies lost, ring full */
};

struct sb_relay_ring_slot {
	__u64 seq;                 /* slot number + 1 once complete */
	__u64 ts_ns;               /* CLOCK_MONOTONIC when relayed */
	struct sb_relay_addr leg;  /* the leg it arrived on (its key) */
	struct sb_relay_addr src;  /* where it came from (the leg's peer) */
	__u32 call_id;             /* the leg's */
	__u32 len;                 /* UDP payload length */
	__u32 caplen;              /* bytes of it that follow (<= snaplen) */
	__u32 reserved;
	/* __u8 data[caplen] */
};

#define SB_RELAY_IOC_HELLO   _IOWR(SB_RELAY_IOC_MAGIC, 0, struct sb_relay_hello)
#define SB_RELAY_IOC_ADD     _IOW(SB_RELAY_IOC_MAGIC, 1, struct sb_relay_leg)
#define SB_RELAY_IOC_MOD     _IOW(SB_RELAY_IOC_MAGIC, 2, struct sb_relay_leg)
#define SB_RELAY_IOC_DEL     _IOW(SB_RELAY_IOC_MAGIC, 3, struct sb_relay_addr)
#define SB_RELAY_IOC_CONNECT _IOW(SB_RELAY_IOC_MAGIC, 4, struct sb_relay_connect)
#define SB_RELAY_IOC_GET     _IOWR(SB_RELAY_IOC_MAGIC, 5, struct sb_relay_stats)
#define SB_RELAY_IOC_LIST    _IOWR(SB_RELAY_IOC_MAGIC, 6, struct sb_relay_list)
#define SB_RELAY_IOC_INFO    _IOR(SB_RELAY_IOC_MAGIC, 7, struct sb_relay_info)
#define SB_RELAY_IOC_RING_SETUP _IOWR(SB_RELAY_IOC_MAGIC, 8, struct sb_relay_ring)
#define SB_RELAY_IOC_RING_STATS _IOR(SB_RELAY_IOC_MAGIC, 9, struct sb_relay_ring)

/* Layout guards, checked by the module and by every user-space caller
 * that includes this header: a change here must bump SB_RELAY_ABI (H12).
 */
#if defined(__KERNEL__)
#include <linux/build_bug.h>
#define SB_RELAY_STATIC_ASSERT(c, m) static_assert(c, m)
#elif defined(__cplusplus)
#define SB_RELAY_STATIC_ASSERT(c, m) static_assert(c, m)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SB_RELAY_STATIC_ASSERT(c, m) _Static_assert(c, m)
#else /* C99: the module still checks the sizes in HELLO */
#define SB_RELAY_STATIC_ASSERT(c, m) struct sb_relay_hello
#endif
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_addr) == 8, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_hello) == 48, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_leg) == 24, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_connect) == 16, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_stats) == 104, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_list) == 16 + 16 * 104, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_info) == 16 + 8 * SB_RELAY_R_MAX,
		       "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(SB_RELAY_SZ_N <= SB_RELAY_SZ_MAX, "HELLO is full: needs a new HELLO");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_ring) == 40, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_ring_hdr) == 32, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(sizeof(struct sb_relay_ring_slot) == 48, "bump SB_RELAY_ABI");
SB_RELAY_STATIC_ASSERT(SB_RELAY_R_N <= SB_RELAY_R_MAX, "grow SB_RELAY_R_MAX, bump SB_RELAY_ABI");

/* Fill a HELLO with this header's view of the ABI. */
static inline void sb_relay_hello_init(struct sb_relay_hello *h)
{
	unsigned int i;

	for (i = 0; i < SB_RELAY_SZ_MAX; i++)
		h->sizes[i] = 0;
	h->abi = SB_RELAY_ABI;
	h->n_sizes = SB_RELAY_SZ_N;
	h->sizes[SB_RELAY_SZ_HELLO] = sizeof(struct sb_relay_hello);
	h->sizes[SB_RELAY_SZ_ADDR] = sizeof(struct sb_relay_addr);
	h->sizes[SB_RELAY_SZ_LEG] = sizeof(struct sb_relay_leg);
	h->sizes[SB_RELAY_SZ_CONNECT] = sizeof(struct sb_relay_connect);
	h->sizes[SB_RELAY_SZ_STATS] = sizeof(struct sb_relay_stats);
	h->sizes[SB_RELAY_SZ_LIST] = sizeof(struct sb_relay_list);
	h->sizes[SB_RELAY_SZ_INFO] = sizeof(struct sb_relay_info);
	h->sizes[SB_RELAY_SZ_RING] = sizeof(struct sb_relay_ring);
	h->max_entries = 0;
	h->flags_known = 0;
}

#endif
