/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internals of sb_relay.ko shared by its files:
 *   main.c   module init/exit, per-namespace netfilter hook, the fast path
 *   table.c  the entry table (RCU hash for the hook, a list for control)
 *   dev.c    /dev/sb_relay: ABI check, ioctls and mmap
 *   ring.c   the copy ring (SB_RELAY_F_COPY): one per namespace
 *
 * Locking: every change to the table (add, modify, connect, delete, flush)
 * runs under sbk_lock (a mutex, control path only).  The hook never locks:
 * it looks entries up under the RCU read lock that netfilter holds, reads
 * the peer word with one load and latches it with one cmpxchg (rare), and
 * counts into per-CPU counters.  Entries are freed after a grace period.
 */
#ifndef SBK_H
#define SBK_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <net/dst.h>
#include <net/net_namespace.h>

#include "lib/sbk_logic.h"
#include "uapi/sb_relay.h"

/* Per entry, per CPU: written only by the CPU that relays, summed on read. */
struct sbk_pcpu {
	u64_stats_t rx_pkts, rx_bytes;
	u64_stats_t tx_pkts, tx_bytes;
	u64_stats_t rejected, passed;
	struct u64_stats_sync syncp;
};

/* Per entry, per CPU: the route to this leg's peer, for packets that leave
 * through it.  Only the CPU that owns it reads or replaces it, in softirq;
 * it holds one reference, dropped when replaced or when the entry dies.
 */
struct sbk_rt {
	struct dst_entry *dst;
	u64 peer;                       /* the peer word it was looked up for */
	u32 mark;
	u8 tos;
};

struct sbk_entry {
	struct hlist_node hnode;        /* sbk_hash bucket; RCU readers */
	struct list_head lnode;         /* sbk_all, creation order; sbk_lock */
	struct rcu_head rcu;
	struct net *net;                /* not counted: entries die with their net */
	__be32 local_ip;                /* key */
	__be16 local_port;              /* key */
	u16 pad;
	u32 flags;                      /* SB_RELAY_F_*; WRITE_ONCE under sbk_lock */
	u32 call_id;
	u64 id;                         /* creation order, LIST cursor */
	u64 peer;                       /* sbk_peer_*() word: READ_ONCE, cmpxchg64 */
	struct sbk_entry __rcu *fwd;    /* connected leg; sbk_lock to change */
	unsigned long last_seen;        /* jiffies of the last accepted packet */
	bool seen;                      /* last_seen is valid */
	struct sbk_rtp_seq rtp;         /* see sbk_logic.h: one writer in practice */
	struct sbk_pcpu __percpu *st;
	struct sbk_rt __percpu *rt;     /* route cache, see struct sbk_rt */
};

/* Per namespace (net_generic, sbk_net_id). */
struct sbk_ring;
struct sbk_net {
	struct sbk_ring __rcu *ring;    /* copy ring; sbk_lock to change */
};
extern unsigned int sbk_net_id;

extern struct mutex sbk_lock;
extern unsigned int sbk_max_entries;
extern atomic_t sbk_nr_entries;     /* all namespaces; the hook's "anything to do?" */

/* Global per-CPU counters by enum sb_relay_reason. */
void sbk_reason_sum(u64 *out, unsigned int n);

/* table.c */
int sbk_table_init(void);
void sbk_table_exit(void);              /* flushes all; caller ensures no hook runs */
struct sbk_entry *sbk_lookup_rcu(const struct net *net, __be32 ip, __be16 port);
/* All below: under sbk_lock.  0 or -errno as documented in dev.c. */
int sbk_entry_add(struct net *net, const struct sb_relay_leg *leg);
int sbk_entry_mod(struct net *net, const struct sb_relay_leg *leg);
int sbk_entry_del(struct net *net, const struct sb_relay_addr *key);
int sbk_entry_connect(struct net *net, const struct sb_relay_connect *c);
int sbk_entry_get(struct net *net, struct sb_relay_stats *st);
unsigned int sbk_entry_list(struct net *net, struct sb_relay_list *l);
unsigned int sbk_entry_count(struct net *net);
void sbk_flush_net(struct net *net);    /* the net is going away */

/* ring.c */
struct vm_area_struct;
int sbk_ring_setup(struct net *net, struct sb_relay_ring *req, struct sbk_ring **out); /* sbk_lock */
void sbk_ring_stats(struct sbk_ring *r, struct sb_relay_ring *out);
int sbk_ring_mmap(struct sbk_ring *r, struct vm_area_struct *vma);
void sbk_ring_release(struct net *net, struct sbk_ring *r); /* takes sbk_lock */
void sbk_ring_copy(struct net *net, const struct sbk_entry *e, const struct sk_buff *skb,
		   __be32 saddr, __be16 sport, u32 payload); /* the hook, RCU */

/* dev.c */
int sbk_dev_init(void);
void sbk_dev_exit(void);

#endif
