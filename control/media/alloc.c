/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/alloc.h"

static int fifo_init(struct sb_fifo_u32 *f, uint32_t cap)
{
	f->v = calloc(cap ? cap : 1, sizeof(*f->v));
	f->cap = cap;
	f->head = f->count = 0;
	return f->v ? 0 : -ENOMEM;
}

static void fifo_push(struct sb_fifo_u32 *f, uint32_t x)
{
	if (f->count == f->cap)
		return; /* cannot happen: we only push what we popped */
	f->v[(f->head + f->count) % f->cap] = x;
	f->count++;
}

static int fifo_pop(struct sb_fifo_u32 *f, uint32_t *x)
{
	if (f->count == 0)
		return -ENOSPC;
	*x = f->v[f->head];
	f->head = (f->head + 1) % f->cap;
	f->count--;
	return 0;
}

int sb_media_alloc_init(struct sb_media_alloc *a, uint32_t max_legs, unsigned n_workers,
			uint16_t port_min, uint16_t port_span)
{
	return sb_media_alloc_init_addrs(a, max_legs, n_workers, 1, port_min, port_span);
}

int sb_media_alloc_init_addrs(struct sb_media_alloc *a, uint32_t max_legs, unsigned n_workers,
			      unsigned n_addrs, uint16_t port_min, uint16_t port_span)
{
	memset(a, 0, sizeof(*a));
	if (n_workers == 0 || n_workers > 16 || max_legs == 0 || n_addrs == 0 ||
	    n_addrs > SB_MEDIA_ALLOC_ADDRS_MAX)
		return -EINVAL;
	a->max_legs = max_legs;
	a->n_workers = n_workers;
	a->n_addrs = n_addrs;
	a->leg_gen = calloc(max_legs, sizeof(*a->leg_gen));
	if (a->leg_gen == NULL || fifo_init(&a->legs, max_legs) < 0)
		goto out_free;
	for (uint32_t i = 0; i < max_legs; i++)
		fifo_push(&a->legs, i);
	for (unsigned w = 0; w < n_workers; w++) {
		uint32_t lo = (uint32_t)port_min + (uint32_t)w * port_span;
		uint32_t hi = lo + port_span; /* exclusive */

		if (fifo_init(&a->ports[w], n_addrs * ((uint32_t)port_span / 2 + 1)) < 0)
			goto out_free;
		for (unsigned ad = 0; ad < n_addrs; ad++) /* address-major: see alloc.h */
			for (uint32_t p = (lo + 1) & ~1u; p + 1 < hi && p + 1 <= 65535; p += 2)
				if (p != 0)
					fifo_push(&a->ports[w], SB_MEDIA_SLOT(ad, p));
	}
	return 0;

out_free:
	sb_media_alloc_fini(a);
	return -ENOMEM;
}

void sb_media_alloc_fini(struct sb_media_alloc *a)
{
	free(a->leg_gen);
	free(a->legs.v);
	for (unsigned w = 0; w < 16; w++)
		free(a->ports[w].v);
	memset(a, 0, sizeof(*a));
}

int sb_media_alloc_get(struct sb_media_alloc *a, int worker, uint32_t *idx, uint32_t *gen,
		       uint16_t *port, uint16_t *out_worker)
{
	uint8_t addr;

	return sb_media_alloc_get_addr(a, worker, idx, gen, &addr, port, out_worker);
}

int sb_media_alloc_get_addr(struct sb_media_alloc *a, int worker, uint32_t *idx, uint32_t *gen,
			    uint8_t *addr, uint16_t *port, uint16_t *out_worker)
{
	uint32_t p, i;
	unsigned w = 0;

	if (worker < 0) {
		unsigned k;

		for (k = 0; k < a->n_workers; k++) {
			w = (a->rr + k) % a->n_workers;
			if (a->ports[w].count)
				break;
		}
		if (k == a->n_workers)
			return -ENOSPC;
		a->rr = (w + 1) % a->n_workers;
	} else {
		w = (unsigned)worker;
		if (w >= a->n_workers)
			return -EINVAL;
	}
	if (a->legs.count == 0 || a->ports[w].count == 0)
		return -ENOSPC;
	fifo_pop(&a->legs, &i);
	fifo_pop(&a->ports[w], &p);
	*idx = i;
	*gen = ++a->leg_gen[i];
	*addr = (uint8_t)(p >> 16);
	*port = (uint16_t)p;
	*out_worker = (uint16_t)w;
	return 0;
}

void sb_media_alloc_put(struct sb_media_alloc *a, uint32_t idx, uint16_t worker, uint16_t port)
{
	sb_media_alloc_put_addr(a, idx, worker, 0, port);
}

void sb_media_alloc_put_addr(struct sb_media_alloc *a, uint32_t idx, uint16_t worker,
			     uint8_t addr, uint16_t port)
{
	if (idx < a->max_legs)
		fifo_push(&a->legs, idx);
	if (worker < a->n_workers && addr < a->n_addrs)
		fifo_push(&a->ports[worker], SB_MEDIA_SLOT(addr, port));
}

static void fifo_filter(struct sb_fifo_u32 *f, const uint8_t *used)
{
	uint32_t n = f->count, kept = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = f->v[(f->head + i) % f->cap];

		/* slot head+kept with kept <= i was already read: in place, FIFO order kept */
		if (!used[x])
			f->v[(f->head + kept++) % f->cap] = x;
	}
	f->count = kept;
}

void sb_media_alloc_exclude(struct sb_media_alloc *a, const uint8_t *used_idx,
			    const uint8_t *used_slot)
{
	fifo_filter(&a->legs, used_idx);
	for (unsigned w = 0; w < a->n_workers; w++)
		fifo_filter(&a->ports[w], used_slot);
}
