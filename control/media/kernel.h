/* SPDX-License-Identifier: MIT */
/*
 * media/kernel.h — the media backend on sb_relay.ko (/dev/sb_relay,
 * kmod/uapi/sb_relay.h): calls that only need relaying, on hosts without a
 * NIC for DPDK.  Placement rule: a call that needs recording, mixing or
 * transcoding goes to the DPDK backend; today every call only relays, so
 * when `media: backend: kernel` is configured it carries every call.
 *
 * - Open: HELLO with this build's ABI number and struct sizes; a mismatch
 *   (a module built from another uapi) is refused and logged, and create
 *   fails: control does not start on a module it cannot talk to.
 * - Legs: ports (even, RTP) from [port_min, port_max] on one media address.
 *   leg_alloc binds UDP sockets on media_ip:port and port + 1: they reserve the ports
 *   against other programs and receives what the module passes up (leg not
 *   connected yet, target without a peer, no route); those packets are read
 *   and counted (punted), never relayed in user space.
 * - add/mod/connect/delete/counters are ioctls (synchronous); the done
 *   callback still runs on a later loop turn, as for the DPDK backend.
 * - Events: a timer LISTs the module's entries every poll_ms: a leg whose
 *   state turned LATCHED is reported through m->latched (once per peer);
 *   a leg silent (since its last packet, or since ADD when none came) for
 *   its timeout is reported SB_MEDIA_EV_TIMEOUT once per silence period.
 * - Start-up reconciliation (first timer turn, before is_ready): entries on
 *   our media address and port range come from an earlier run of control
 *   (one control per address and range); no call state survives a control
 *   restart, so no call_id can be matched and nothing will ever delete
 *   them: each is deleted now if idle (never saw media, or silent for the
 *   media timeout, or not connected), else adopted as an orphan (port
 *   reserved, media keeps flowing) and deleted as soon as it and its
 *   connected partner fall silent for the timeout.  Entries on other
 *   addresses or ports belong to someone else and are left alone.
 *   A LIVE leg given back with leg_free (shutdown) becomes such an orphan.
 * - Not "only relaying", refused with -EOPNOTSUPP by leg_add/leg_mod: SRTP
 *   keys and payload-type maps that rename a type (caps is 0).
 * - RTCP: a second entry per leg on port + 1 (socket too) to the peer's
 *   RTCP port (a=rtcp, else its RTP port + 1), connected like the RTP pair;
 *   none with rtcp-mux (it rides on the RTP entry).  Events and counters
 *   are the RTP entry's.
 * - Not yet: latched peers are not replayed after a module reload (the DPDK backend
 *   re-programs a restarted dataplane; an open file pins the module, so the
 *   kernel cannot restart under us).
 */
#ifndef SB_MEDIA_KERNEL_H
#define SB_MEDIA_KERNEL_H

#include <stdint.h>

#include "media/backend.h"

struct sb_loop;

struct sb_media_kernel_params {
	const char *dev;     /* NULL: /dev/sb_relay */
	uint32_t media_ip;   /* network order, a local address of this namespace */
	uint16_t port_min;   /* first port (rounded up to even) */
	uint16_t port_max;   /* last port, inclusive; RTP ports p have p + 1 <= port_max */
	uint32_t poll_ms;    /* LIST period for events; 0: 1000 */
	uint32_t abi;        /* 0: SB_RELAY_ABI (tests send another to prove the refusal) */
};

/* Opens the device, checks the ABI, sizes the pools.  NULL + errno:
 * ENOENT (module not loaded), EPROTO (ABI mismatch), EACCES/EPERM,
 * EINVAL (bad params), ENOMEM.  The reason is logged. */
struct sb_media *sb_media_kernel_create(struct sb_loop *loop,
					const struct sb_media_kernel_params *p,
					sb_media_done_cb *done, void *done_arg);

struct sb_media_kernel_stats {
	uint64_t polls;          /* LIST sweeps */
	uint64_t punted_pkts;    /* read from our own leg sockets (module passed them up) */
	uint64_t ev_latched, ev_timeout;
	uint64_t foreign;        /* entries of others seen at start-up */
	uint64_t start_deleted;  /* stale entries of an earlier run deleted at start-up */
	uint64_t start_adopted;  /* ... kept while their media flows */
	uint64_t orphans_deleted; /* adopted or shut-down legs deleted once silent */
	uint32_t orphans;        /* currently adopted */
	uint32_t live;           /* legs added by owners */
};

/* Only for a backend made by sb_media_kernel_create. */
void sb_media_kernel_stats(struct sb_media *m, struct sb_media_kernel_stats *out);

#endif
