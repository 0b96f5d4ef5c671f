/* SPDX-License-Identifier: MIT */
/*
 * media/alloc.h — leg indexes and local ports, owned by control.
 * Both free lists are FIFO so a just-freed index or port is reused as late
 * as possible (late packets of an old call must not reach a new one).
 * Each index carries a generation bumped at every allocation.
 */
#ifndef SB_MEDIA_ALLOC_H
#define SB_MEDIA_ALLOC_H

#include <stdint.h>

struct sb_fifo_u32 {
	uint32_t *v;
	uint32_t cap, head, count;
};

struct sb_media_alloc {
	uint32_t max_legs;
	uint32_t *leg_gen;
	struct sb_fifo_u32 legs;
	unsigned n_workers;
	struct sb_fifo_u32 ports[16];
	unsigned rr; /* next worker for calls that do not care */
};

/* Even ports p of worker w with p+1 also inside w's range.  0 or -ENOMEM/-EINVAL. */
int sb_media_alloc_init(struct sb_media_alloc *a, uint32_t max_legs, unsigned n_workers,
			uint16_t port_min, uint16_t port_span);
void sb_media_alloc_fini(struct sb_media_alloc *a);

/* worker < 0: round robin over workers with free ports.  0 or -ENOSPC. */
int sb_media_alloc_get(struct sb_media_alloc *a, int worker, uint32_t *idx, uint32_t *gen,
		       uint16_t *port, uint16_t *out_worker);
void sb_media_alloc_put(struct sb_media_alloc *a, uint32_t idx, uint16_t worker, uint16_t port);

/* Take indexes and ports that are already in use (legs that outlived a
 * dataplane restart with a new geometry) out of a freshly initialised
 * allocator, so they are not handed out again.  used_idx has max_legs
 * entries, used_port 65536 (non-zero = in use).  O(max_legs + ports). */
void sb_media_alloc_exclude(struct sb_media_alloc *a, const uint8_t *used_idx,
			    const uint8_t *used_port);

#endif
