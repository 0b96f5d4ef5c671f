// SPDX-License-Identifier: GPL-2.0
/*
 * entries of sb_relay.ko.
 *
 * A fixed array of 2^SBK_HASH_BITS hlist buckets keyed by (namespace,
 * local address, local port): the hook walks one bucket under RCU.  Every
 * change happens under sbk_lock; a deleted entry is unlinked from its
 * bucket and from its partner, then freed after a grace period, so a hook
 * still holding it keeps reading valid memory.
 */
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/route.h>

#include "sbk.h"

#define SBK_HASH_BITS 12

static struct hlist_head sbk_hash[1u << SBK_HASH_BITS];
static LIST_HEAD(sbk_all);      /* every entry, creation order; sbk_lock */
static u32 sbk_seed __read_mostly;
static u64 sbk_next_id;         /* sbk_lock */

static inline struct hlist_head *sbk_bucket(const struct net *net, __be32 ip, __be16 port)
{
	u32 h = sbk_key_hash(ip, port, sbk_seed ^ net_hash_mix(net));

	return &sbk_hash[h >> (32 - SBK_HASH_BITS)];
}

struct sbk_entry *sbk_lookup_rcu(const struct net *net, __be32 ip, __be16 port)
{
	struct sbk_entry *e;

	hlist_for_each_entry_rcu(e, sbk_bucket(net, ip, port), hnode) {
		if (e->local_ip == ip && e->local_port == port && net_eq(e->net, net))
			return e;
	}
	return NULL;
}

static struct sbk_entry *sbk_find_locked(const struct net *net, const struct sb_relay_addr *a)
{
	struct sbk_entry *e;

	lockdep_assert_held(&sbk_lock);
	hlist_for_each_entry(e, sbk_bucket(net, a->ip, a->port), hnode) {
		if (e->local_ip == a->ip && e->local_port == a->port && net_eq(e->net, net))
			return e;
	}
	return NULL;
}

static void sbk_entry_free_rcu(struct rcu_head *h)
{
	struct sbk_entry *e = container_of(h, struct sbk_entry, rcu);
	int cpu;

	/* no hook can see e any more: the cached routes can go */
	for_each_possible_cpu(cpu)
		dst_release(per_cpu_ptr(e->rt, cpu)->dst);
	free_percpu(e->rt);
	free_percpu(e->st);
	kfree(e);
}

static bool sbk_addr_valid(const struct sb_relay_addr *a)
{
	return a->ip != 0 && a->port != 0 && a->reserved == 0;
}

static int sbk_leg_check(const struct sb_relay_leg *leg)
{
	if (!sbk_addr_valid(&leg->local) || leg->peer.reserved != 0)
		return -EINVAL;
	if (leg->flags & ~SB_RELAY_F_KNOWN)
		return -EINVAL;
	/* half a peer (address without port or the reverse) is a caller bug */
	if ((leg->peer.ip == 0) != (leg->peer.port == 0))
		return -EINVAL;
	return 0;
}

int sbk_entry_add(struct net *net, const struct sb_relay_leg *leg)
{
	struct sbk_entry *e;
	int rc;

	lockdep_assert_held(&sbk_lock);
	rc = sbk_leg_check(leg);
	if (rc < 0)
		return rc;
	/* Only our own addresses: the hook must never capture transit traffic. */
	if (inet_addr_type(net, leg->local.ip) != RTN_LOCAL)
		return -EADDRNOTAVAIL;
	if (sbk_find_locked(net, &leg->local))
		return -EEXIST;
	if ((unsigned int)atomic_read(&sbk_nr_entries) >= sbk_max_entries)
		return -ENOSPC;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->st = alloc_percpu(struct sbk_pcpu);
	if (!e->st) {
		rc = -ENOMEM;
		goto out_free_entry;
	}
	e->rt = alloc_percpu(struct sbk_rt);
	if (!e->rt) {
		rc = -ENOMEM;
		goto out_free_stats;
	}
	e->net = net;
	e->local_ip = leg->local.ip;
	e->local_port = leg->local.port;
	e->flags = leg->flags;
	e->call_id = leg->call_id;
	e->id = ++sbk_next_id;
	e->peer = sbk_peer_make(leg->peer.ip, leg->peer.port, false);
	RCU_INIT_POINTER(e->fwd, NULL);
	list_add_tail(&e->lnode, &sbk_all);
	/* publish last: the bucket insert is the release store */
	hlist_add_head_rcu(&e->hnode, sbk_bucket(net, e->local_ip, e->local_port));
	atomic_inc(&sbk_nr_entries);
	return 0;

out_free_stats:
	free_percpu(e->st);
out_free_entry:
	kfree(e);
	return rc;
}

int sbk_entry_mod(struct net *net, const struct sb_relay_leg *leg)
{
	struct sbk_entry *e;
	int rc;

	lockdep_assert_held(&sbk_lock);
	rc = sbk_leg_check(leg);
	if (rc < 0)
		return rc;
	e = sbk_find_locked(net, &leg->local);
	if (!e)
		return -ENOENT;
	WRITE_ONCE(e->flags, leg->flags);
	e->call_id = leg->call_id;
	/* A new expected peer: learn again if asked to (dataplane legs.c). */
	WRITE_ONCE(e->peer, sbk_peer_make(leg->peer.ip, leg->peer.port, false));
	return 0;
}

/* Break e's connection, both ways. */
static void sbk_unlink_fwd(struct sbk_entry *e)
{
	struct sbk_entry *t = rcu_dereference_protected(e->fwd, lockdep_is_held(&sbk_lock));

	if (!t)
		return;
	if (rcu_access_pointer(t->fwd) == e)
		RCU_INIT_POINTER(t->fwd, NULL);
	RCU_INIT_POINTER(e->fwd, NULL);
}

static void sbk_entry_remove(struct sbk_entry *e)
{
	sbk_unlink_fwd(e);
	hlist_del_rcu(&e->hnode);
	list_del(&e->lnode);
	atomic_dec(&sbk_nr_entries);
	call_rcu(&e->rcu, sbk_entry_free_rcu);
}

int sbk_entry_del(struct net *net, const struct sb_relay_addr *key)
{
	struct sbk_entry *e;

	lockdep_assert_held(&sbk_lock);
	if (!sbk_addr_valid(key))
		return -EINVAL;
	e = sbk_find_locked(net, key);
	if (!e)
		return -ENOENT;
	sbk_entry_remove(e);
	return 0;
}

int sbk_entry_connect(struct net *net, const struct sb_relay_connect *c)
{
	struct sbk_entry *a, *b;

	lockdep_assert_held(&sbk_lock);
	if (!sbk_addr_valid(&c->a) || !sbk_addr_valid(&c->b))
		return -EINVAL;
	a = sbk_find_locked(net, &c->a);
	b = sbk_find_locked(net, &c->b);
	if (!a || !b)
		return -ENOENT;
	if (a == b)
		return -EINVAL;
	sbk_unlink_fwd(a);
	sbk_unlink_fwd(b);
	rcu_assign_pointer(a->fwd, b);
	rcu_assign_pointer(b->fwd, a);
	return 0;
}

static void sbk_entry_fill(const struct sbk_entry *e, struct sb_relay_stats *st)
{
	const struct sbk_entry *t = rcu_dereference_protected(e->fwd, lockdep_is_held(&sbk_lock));
	u64 peer = READ_ONCE(e->peer);
	unsigned long last;
	int cpu;

	memset(st, 0, sizeof(*st));
	st->local.ip = e->local_ip;
	st->local.port = e->local_port;
	st->peer.ip = sbk_peer_ip(peer);
	st->peer.port = sbk_peer_port(peer);
	if (t) {
		st->fwd.ip = t->local_ip;
		st->fwd.port = t->local_port;
		st->state |= SB_RELAY_S_CONNECTED;
	}
	if (sbk_peer_is_known(peer))
		st->state |= SB_RELAY_S_PEER_KNOWN;
	if (sbk_peer_is_latched(peer))
		st->state |= SB_RELAY_S_LATCHED;
	st->flags = READ_ONCE(e->flags);
	st->call_id = e->call_id;
	st->idle_ms = ~0u;
	if (READ_ONCE(e->seen)) {
		unsigned long age;

		last = READ_ONCE(e->last_seen);
		age = jiffies - last;
		st->idle_ms = jiffies_to_msecs(age);
		st->last_seen_ns = ktime_get_ns() - jiffies_to_nsecs(age);
	}
	st->rtp_lost = sbk_rtp_lost(&e->rtp);
	for_each_possible_cpu(cpu) {
		const struct sbk_pcpu *p = per_cpu_ptr(e->st, cpu);
		u64 v[6];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v[0] = u64_stats_read(&p->rx_pkts);
			v[1] = u64_stats_read(&p->rx_bytes);
			v[2] = u64_stats_read(&p->tx_pkts);
			v[3] = u64_stats_read(&p->tx_bytes);
			v[4] = u64_stats_read(&p->rejected);
			v[5] = u64_stats_read(&p->passed);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		st->rx_pkts += v[0];
		st->rx_bytes += v[1];
		st->tx_pkts += v[2];
		st->tx_bytes += v[3];
		st->rejected += v[4];
		st->passed += v[5];
	}
}

int sbk_entry_get(struct net *net, struct sb_relay_stats *st)
{
	struct sbk_entry *e;

	lockdep_assert_held(&sbk_lock);
	if (!sbk_addr_valid(&st->local))
		return -EINVAL;
	e = sbk_find_locked(net, &st->local);
	if (!e)
		return -ENOENT;
	sbk_entry_fill(e, st);
	return 0;
}

/* O(entries) per call: a control-path listing, not a fast path. */
unsigned int sbk_entry_list(struct net *net, struct sb_relay_list *l)
{
	struct sbk_entry *e;
	unsigned int n = 0;

	lockdep_assert_held(&sbk_lock);
	list_for_each_entry(e, &sbk_all, lnode) {
		if (n == SB_RELAY_LIST_MAX)
			break;
		if (e->id <= l->cursor || !net_eq(e->net, net))
			continue;
		sbk_entry_fill(e, &l->ent[n++]);
		l->cursor = e->id;
	}
	l->count = n;
	return n;
}

unsigned int sbk_entry_count(struct net *net)
{
	struct sbk_entry *e;
	unsigned int n = 0;

	lockdep_assert_held(&sbk_lock);
	list_for_each_entry(e, &sbk_all, lnode)
		n += net_eq(e->net, net);
	return n;
}

void sbk_flush_net(struct net *net)
{
	struct sbk_entry *e, *tmp;

	mutex_lock(&sbk_lock);
	list_for_each_entry_safe(e, tmp, &sbk_all, lnode) {
		if (!net || net_eq(e->net, net))
			sbk_entry_remove(e);
	}
	mutex_unlock(&sbk_lock);
}

int sbk_table_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sbk_hash); i++)
		INIT_HLIST_HEAD(&sbk_hash[i]);
	sbk_seed = get_random_u32();
	return 0;
}

void sbk_table_exit(void)
{
	sbk_flush_net(NULL);
	rcu_barrier(); /* every sbk_entry_free_rcu has run before the text goes */
}
