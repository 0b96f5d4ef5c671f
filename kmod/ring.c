// SPDX-License-Identifier: GPL-2.0
/*
 * The copy ring: packets relayed on legs with SB_RELAY_F_COPY are copied
 * into a ring that user space maps (to record kernel-relayed calls).  The
 * layout and the reader's protocol are in uapi/sb_relay.h.
 *
 * One ring per namespace, owned by the file that set it up (it holds a
 * reference on the namespace, so the ring never outlives its net, and an
 * open file pins the module).  The hook finds it through net_generic()
 * under the RCU read lock netfilter holds.
 *
 * Producers (the hook, on any CPU, in softirq) never lock: a slot is
 * reserved with one cmpxchg on a counter only the module sees, filled,
 * then published with a store-release of its sequence word.  The reader's
 * tail lives in the shared page: the module only compares with it, and
 * every slot address is masked into the ring, so a reader that writes
 * nonsense there can garble its own copies but never the module's memory.
 */
#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/netns/generic.h>

#include "sbk.h"

#define SBK_RING_MAP_MAX (64u << 20) /* slots' bytes: a sane bound for vmalloc */

struct sbk_ring {
	void *mem;                      /* vmalloc_user(): header page + slots */
	struct sb_relay_ring_hdr *hdr;  /* shared with the reader */
	u8 *slot0;
	u32 slots, slot_size, snaplen;
	unsigned long size;             /* bytes of mem (page multiple) */
	atomic64_t reserve;             /* slots handed out to producers */
	atomic64_t dropped;             /* copies lost because the ring was full */
};

unsigned int sbk_net_id;

static struct sbk_net *sbk_net(const struct net *net)
{
	return net_generic(net, sbk_net_id);
}

int sbk_ring_setup(struct net *net, struct sb_relay_ring *req, struct sbk_ring **out)
{
	struct sbk_net *sn = sbk_net(net);
	struct sbk_ring *r;
	u32 slot_size;
	u64 bytes;

	lockdep_assert_held(&sbk_lock);
	if (req->slots < 2 || req->slots > SB_RELAY_RING_SLOTS_MAX ||
	    (req->slots & (req->slots - 1)) != 0 || req->snaplen == 0 ||
	    req->snaplen > SB_RELAY_RING_SNAP_MAX)
		return -EINVAL;
	slot_size = ALIGN(sizeof(struct sb_relay_ring_slot) + req->snaplen, 8);
	bytes = (u64)req->slots * slot_size;
	if (bytes > SBK_RING_MAP_MAX)
		return -EINVAL;
	if (rcu_access_pointer(sn->ring))
		return -EBUSY;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->size = PAGE_ALIGN(PAGE_SIZE + (unsigned long)bytes);
	r->mem = vmalloc_user(r->size); /* zeroed: every seq is 0, never tail + 1 */
	if (!r->mem) {
		kfree(r);
		return -ENOMEM;
	}
	r->hdr = r->mem;
	r->slot0 = (u8 *)r->mem + PAGE_SIZE;
	r->slots = req->slots;
	r->slot_size = slot_size;
	r->snaplen = req->snaplen;
	atomic64_set(&r->reserve, 0);
	atomic64_set(&r->dropped, 0);
	r->hdr->magic = SB_RELAY_RING_MAGIC;
	r->hdr->slots = r->slots;
	r->hdr->slot_size = slot_size;
	r->hdr->snaplen = r->snaplen;
	rcu_assign_pointer(sn->ring, r); /* release: the hook sees it filled in */
	req->slot_size = slot_size;
	req->hdr_size = PAGE_SIZE;
	req->map_size = r->size;
	req->copied = 0;
	req->dropped = 0;
	*out = r;
	return 0;
}

void sbk_ring_stats(struct sbk_ring *r, struct sb_relay_ring *out)
{
	u64 dropped = atomic64_read(&r->dropped);

	out->slots = r->slots;
	out->snaplen = r->snaplen;
	out->slot_size = r->slot_size;
	out->hdr_size = PAGE_SIZE;
	out->map_size = r->size;
	/* every reservation is a copy; a drop never reserves */
	out->copied = atomic64_read(&r->reserve);
	out->dropped = dropped;
}

int sbk_ring_mmap(struct sbk_ring *r, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start > r->size)
		return -EINVAL;
	return remap_vmalloc_range(vma, r->mem, 0);
}

/* The file that owns r is closing (so nothing maps it any more). */
void sbk_ring_release(struct net *net, struct sbk_ring *r)
{
	struct sbk_net *sn = sbk_net(net);

	mutex_lock(&sbk_lock);
	if (rcu_access_pointer(sn->ring) == r)
		RCU_INIT_POINTER(sn->ring, NULL);
	mutex_unlock(&sbk_lock);
	synchronize_rcu(); /* no hook is still writing into it */
	vfree(r->mem);
	kfree(r);
}

/* The hook, under RCU: copy a packet relayed on e (payload bytes of UDP
 * payload; saddr/sport its source before the rewrite) if there is room.
 */
void sbk_ring_copy(struct net *net, const struct sbk_entry *e, const struct sk_buff *skb,
		   __be32 saddr, __be16 sport, u32 payload)
{
	struct sbk_ring *r = rcu_dereference(sbk_net(net)->ring);
	struct sb_relay_ring_slot *s;
	s64 n;
	u64 tail;
	u32 cap;

	if (!r)
		return;
	n = atomic64_read(&r->reserve);
	do {
		tail = READ_ONCE(r->hdr->tail);
		if ((u64)n - tail >= r->slots) { /* full (or a tail from nowhere) */
			WRITE_ONCE(r->hdr->dropped, (u64)atomic64_inc_return(&r->dropped));
			return;
		}
	} while (!atomic64_try_cmpxchg(&r->reserve, &n, n + 1));

	s = (struct sb_relay_ring_slot *)(r->slot0 + ((u64)n & (r->slots - 1)) * r->slot_size);
	cap = min(payload, r->snaplen);
	s->ts_ns = ktime_get_ns();
	s->leg.ip = e->local_ip;
	s->leg.port = e->local_port;
	s->leg.reserved = 0;
	s->src.ip = saddr;
	s->src.port = sport;
	s->src.reserved = 0;
	s->call_id = e->call_id;
	s->len = payload;
	s->reserved = 0;
	if (skb_copy_bits(skb, skb_network_offset(skb) + SBK_IP4_HLEN + SBK_UDP_HLEN, s + 1,
			  cap) < 0)
		cap = 0;
	s->caplen = cap;
	smp_store_release(&s->seq, (u64)n + 1);
}
