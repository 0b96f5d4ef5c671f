/* SPDX-License-Identifier: MIT */
/*
 * media/alloc.h — leg indexes and local (address, port) pairs, owned by
 * control.  Both free lists are FIFO so a just-freed index or port is
 * reused as late as possible (late packets of an old call must not reach a
 * new one).  Each index carries a generation bumped at every allocation.
 *
 * Several media addresses (the dataplane's --media-addrs, ABI 3: a leg is
 * keyed by local address and port): each worker's FIFO holds its port
 * range once per address, address 0's ports first, so a dataplane with one
 * address, or a load that fits in one, is served exactly as before.
 */
#ifndef SB_MEDIA_ALLOC_H
#define SB_MEDIA_ALLOC_H

#include <stdint.h>

struct sb_fifo_u32 {
	uint32_t *v;
	uint32_t cap, head, count;
};

/* Most media addresses a leg can name (sb_cmd_leg.local_addr is 8 bits). */
#define SB_MEDIA_ALLOC_ADDRS_MAX 256u

/* A FIFO entry, and the index of sb_media_alloc_exclude()'s used_slot. */
#define SB_MEDIA_SLOT(addr, port) (((uint32_t)(addr) << 16) | (uint16_t)(port))

struct sb_media_alloc {
	uint32_t max_legs;
	uint32_t *leg_gen;
	struct sb_fifo_u32 legs;
	unsigned n_workers;
	unsigned n_addrs;
	struct sb_fifo_u32 ports[16]; /* SB_MEDIA_SLOT() values */
	unsigned rr; /* next worker for calls that do not care */
};

/* One address: even ports p of worker w with p+1 also inside w's range.
 * 0 or -ENOMEM/-EINVAL. */
int sb_media_alloc_init(struct sb_media_alloc *a, uint32_t max_legs, unsigned n_workers,
			uint16_t port_min, uint16_t port_span);
/* The same ports on each of n_addrs addresses (1..SB_MEDIA_ALLOC_ADDRS_MAX). */
int sb_media_alloc_init_addrs(struct sb_media_alloc *a, uint32_t max_legs, unsigned n_workers,
			      unsigned n_addrs, uint16_t port_min, uint16_t port_span);
void sb_media_alloc_fini(struct sb_media_alloc *a);

/* worker < 0: round robin over workers with free ports.  0 or -ENOSPC.
 * The port is on address 0 (one-address allocators). */
int sb_media_alloc_get(struct sb_media_alloc *a, int worker, uint32_t *idx, uint32_t *gen,
		       uint16_t *port, uint16_t *out_worker);
/* The same, with the port's address (0..n_addrs-1). */
int sb_media_alloc_get_addr(struct sb_media_alloc *a, int worker, uint32_t *idx, uint32_t *gen,
			    uint8_t *addr, uint16_t *port, uint16_t *out_worker);
void sb_media_alloc_put(struct sb_media_alloc *a, uint32_t idx, uint16_t worker, uint16_t port);
void sb_media_alloc_put_addr(struct sb_media_alloc *a, uint32_t idx, uint16_t worker,
			     uint8_t addr, uint16_t port);

/* Take indexes and ports that are already in use (legs that outlived a
 * dataplane restart with a new geometry) out of a freshly initialised
 * allocator, so they are not handed out again.  used_idx has max_legs
 * entries, used_slot n_addrs * 65536, indexed by SB_MEDIA_SLOT(addr, port)
 * (non-zero = in use; one address: 65536 indexed by port).
 * O(max_legs + ports). */
void sb_media_alloc_exclude(struct sb_media_alloc *a, const uint8_t *used_idx,
			    const uint8_t *used_slot);

#endif
