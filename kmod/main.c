// SPDX-License-Identifier: GPL-2.0
/*
 * sb_relay.ko: module life cycle, the per-namespace netfilter hook
 * and the fast path.
 *
 * Where the hook sits, and how packets leave (issue 8):
 *
 *   NF_INET_PRE_ROUTING at NF_IP_PRI_CONNTRACK_DEFRAG - 1, i.e. before
 *   defragmentation, conntrack and the routing decision.  A packet to one
 *   of our legs is rewritten there (source := the connected leg's local
 *   address and port, destination := that leg's peer), routed with
 *   ip_route_output_key() as if the host had sent it (cached per CPU:
 *   sbk_route()), and handed to ip_local_out(); the hook returns
 *   NF_STOLEN.  So:
 *    - the rewritten packet never meets ip_route_input(), which would drop
 *      it as a martian (its source is now a local address);
 *    - it runs LOCAL_OUT and POST_ROUTING like any packet this host sends,
 *      so the host's output firewall and qdiscs still apply, and needs no
 *      ip_forward sysctl;
 *    - relayed media creates no conntrack entry on the way in (we run
 *      before conntrack) and pays for no input route lookup;
 *    - fragments arrive here unreassembled and go on untouched (the
 *      fast path only takes whole, option-less IPv4/UDP datagrams).
 *
 * Anything unusual returns NF_ACCEPT untouched and is counted by reason;
 * only a rejected source (strict latching) is dropped (NF_DROP).
 */
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/netns/generic.h>
#include <net/route.h>

#include "sbk.h"

DEFINE_MUTEX(sbk_lock);
atomic_t sbk_nr_entries = ATOMIC_INIT(0);

unsigned int sbk_max_entries = 65536;
module_param_named(max_entries, sbk_max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "maximum number of legs, all namespaces (default 65536)");

struct sbk_reasons {
	u64 n[SB_RELAY_R_N];
};
static DEFINE_PER_CPU(struct sbk_reasons, sbk_reasons);

static inline void sbk_count(enum sb_relay_reason r)
{
	this_cpu_inc(sbk_reasons.n[r]);
}

void sbk_reason_sum(u64 *out, unsigned int n)
{
	unsigned int i;
	int cpu;

	for (i = 0; i < n; i++)
		out[i] = 0;
	for_each_possible_cpu(cpu) {
		const struct sbk_reasons *r = per_cpu_ptr(&sbk_reasons, cpu);

		for (i = 0; i < n && i < SB_RELAY_R_N; i++)
			out[i] += READ_ONCE(r->n[i]);
	}
}

static const enum sb_relay_reason sbk_pkt_reason[] = {
	[SBK_PKT_OK] = SB_RELAY_R_RELAYED, /* unused */
	[SBK_PKT_SHORT] = SB_RELAY_R_SHORT,
	[SBK_PKT_NOT_UDP] = SB_RELAY_R_NOT_UDP,
	[SBK_PKT_IP_OPTS] = SB_RELAY_R_IP_OPTS,
	[SBK_PKT_FRAG] = SB_RELAY_R_FRAG,
	[SBK_PKT_BAD_LEN] = SB_RELAY_R_BAD_LEN,
};

/* Leave the packet to the normal stack, counted on the leg and globally. */
static unsigned int sbk_pass(struct sbk_entry *e, enum sb_relay_reason r)
{
	struct sbk_pcpu *p = this_cpu_ptr(e->st);

	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->passed);
	u64_stats_update_end(&p->syncp);
	sbk_count(r);
	return NF_ACCEPT;
}

/* Source check and latching; false when the packet must be dropped. */
static bool sbk_source_ok(struct sbk_entry *e, __be32 saddr, __be16 sport)
{
	u32 flags = READ_ONCE(e->flags);
	u64 peer = READ_ONCE(e->peer), next = 0, old;

	switch (sbk_src_check(peer, flags, saddr, sport, &next)) {
	case SBK_SRC_OK:
		return true;
	case SBK_SRC_REJECT:
		return false;
	case SBK_SRC_SET:
		break;
	}
	/* Rare (once per leg and peer): publish the learnt peer.  If another
	 * CPU latched first, judge this packet against what it stored.
	 */
	old = cmpxchg64(&e->peer, peer, next);
	if (old == peer)
		return true;
	return sbk_src_check(old, flags, saddr, sport, &next) != SBK_SRC_REJECT;
}

/* The route for packets leaving through leg t to its peer: this CPU's
 * cached one while the peer, mark and TOS match and the routing tables did
 * not change (dst_check), else a fresh ip_route_output_key() that replaces
 * it.  Softirq context; the returned dst is valid until the end of the RCU
 * read section (not referenced for the caller).
 */
static struct dst_entry *sbk_route(struct net *net, struct sbk_entry *t, u64 peer, u32 mark,
				   u8 tos)
{
	struct sbk_rt *c = this_cpu_ptr(t->rt);
	struct dst_entry *d = c->dst;
	struct flowi4 fl4;
	struct rtable *rt;

	if (likely(d && c->peer == peer && c->mark == mark && c->tos == tos && dst_check(d, 0)))
		return d;
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = sbk_peer_ip(peer);
	fl4.saddr = t->local_ip;
	fl4.flowi4_tos = RT_TOS(tos);
	fl4.flowi4_proto = IPPROTO_UDP;
	fl4.flowi4_mark = mark;
	fl4.fl4_sport = t->local_port;
	fl4.fl4_dport = sbk_peer_port(peer);
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	c->dst = &rt->dst; /* the lookup's reference now belongs to the cache */
	c->peer = peer;
	c->mark = mark;
	c->tos = tos;
	dst_release(d);
	return c->dst;
}

static unsigned int sbk_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	struct net *net = state->net;
	const struct iphdr *iph;
	struct udphdr *uh;
	struct sbk_entry *e, *t;
	struct sbk_pcpu *p;
	struct dst_entry *dst_route;
	enum sbk_pkt k;
	u32 ip_len = 0, payload;
	unsigned long now;
	u64 dst;
	__be32 old_saddr, old_daddr, new_saddr, new_daddr;
	__be16 old_sport, new_sport, new_dport;

	if (atomic_read(&sbk_nr_entries) == 0)
		return NF_ACCEPT; /* module loaded, nothing programmed: one load */
	if (ip_hdr(skb)->protocol != IPPROTO_UDP) {
		sbk_count(SB_RELAY_R_NOT_UDP);
		return NF_ACCEPT;
	}
	if (!pskb_may_pull(skb, SBK_IP4_HLEN + SBK_UDP_HLEN)) {
		sbk_count(SB_RELAY_R_SHORT);
		return NF_ACCEPT;
	}
	iph = ip_hdr(skb);
	k = sbk_classify((const u8 *)iph, skb_headlen(skb), &ip_len);
	if (unlikely(k != SBK_PKT_OK)) {
		sbk_count(sbk_pkt_reason[k]);
		return NF_ACCEPT;
	}
	uh = (struct udphdr *)((u8 *)iph + SBK_IP4_HLEN);
	e = sbk_lookup_rcu(net, iph->daddr, uh->dest);
	if (!e) {
		sbk_count(SB_RELAY_R_NO_ENTRY);
		return NF_ACCEPT;
	}
	if (unlikely(skb_is_gso(skb)))
		return sbk_pass(e, SB_RELAY_R_GSO);

	p = this_cpu_ptr(e->st);
	if (unlikely(!sbk_source_ok(e, iph->saddr, uh->source))) {
		u64_stats_update_begin(&p->syncp);
		u64_stats_inc(&p->rejected);
		u64_stats_update_end(&p->syncp);
		sbk_count(SB_RELAY_R_BAD_SRC);
		return NF_DROP;
	}

	t = rcu_dereference(e->fwd);
	if (unlikely(!t))
		return sbk_pass(e, SB_RELAY_R_NO_FWD);
	dst = READ_ONCE(t->peer);
	if (unlikely(!sbk_peer_is_known(dst)))
		return sbk_pass(e, SB_RELAY_R_NO_FWD); /* the other side not latched yet */
	new_saddr = t->local_ip;
	new_sport = t->local_port;
	new_daddr = sbk_peer_ip(dst);
	new_dport = sbk_peer_port(dst);

	dst_route = sbk_route(net, t, dst, skb->mark, iph->tos);
	if (IS_ERR(dst_route))
		return sbk_pass(e, SB_RELAY_R_NO_ROUTE);

	/* Clones (a packet socket listening) share the data: unshare it. */
	if (unlikely(skb_ensure_writable(skb, SBK_IP4_HLEN + SBK_UDP_HLEN))) {
		sbk_count(SB_RELAY_R_NOMEM);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	uh = (struct udphdr *)((u8 *)iph + SBK_IP4_HLEN);
	payload = ip_len - SBK_IP4_HLEN - SBK_UDP_HLEN;

	if (READ_ONCE(e->flags) & SB_RELAY_F_RTP) {
		const u8 *rtp = (const u8 *)(uh + 1);
		u16 seq;
		u32 ssrc;

		/* The RTP header is often in a page fragment: read it only
		 * when it is linear, never pull for statistics.
		 */
		if (skb_headlen(skb) >= SBK_IP4_HLEN + SBK_UDP_HLEN + SBK_RTP_HLEN &&
		    sbk_rtp_parse(rtp, payload, &seq, &ssrc))
			sbk_rtp_update(&e->rtp, seq, ssrc);
	}

	/* ---- rewrite, checksums updated incrementally ---- */
	old_saddr = iph->saddr;
	old_daddr = iph->daddr;
	old_sport = uh->source;
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		/* check holds the pseudo-header sum: addresses only */
		uh->check = sbk_csum_pseudo_replace4(uh->check, old_saddr, new_saddr);
		uh->check = sbk_csum_pseudo_replace4(uh->check, old_daddr, new_daddr);
	} else if (uh->check != 0) { /* 0: sender did not checksum; keep it so */
		__sum16 c = uh->check;

		c = sbk_csum_replace4(c, old_saddr, new_saddr);
		c = sbk_csum_replace4(c, old_daddr, new_daddr);
		c = sbk_csum_replace2(c, uh->source, new_sport);
		c = sbk_csum_replace2(c, uh->dest, new_dport);
		uh->check = sbk_udp_csum_mangle0(c);
	}
	/* skb->csum of CHECKSUM_COMPLETE covered the old header: stale now,
	 * and meaningless on output (skb_forward_csum() does the same).
	 */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	uh->source = new_sport;
	uh->dest = new_dport;
	ip_hdr(skb)->saddr = new_saddr;
	ip_hdr(skb)->daddr = new_daddr;
	/* We end the flow and send a copy: a fresh TTL when it ran out (as the
	 * dataplane).  ip_local_out() recomputes the header checksum.
	 */
	ip_hdr(skb)->ttl = iph->ttl > 1 ? iph->ttl - 1 : 64;

	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->rx_pkts);
	u64_stats_add(&p->rx_bytes, payload);
	u64_stats_update_end(&p->syncp);
	p = this_cpu_ptr(t->st);
	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->tx_pkts);
	u64_stats_add(&p->tx_bytes, payload);
	u64_stats_update_end(&p->syncp);
	now = jiffies;
	if (READ_ONCE(e->last_seen) != now || !READ_ONCE(e->seen)) {
		WRITE_ONCE(e->last_seen, now); /* at most one store per tick */
		WRITE_ONCE(e->seen, true);
	}
	sbk_count(SB_RELAY_R_RELAYED);
	/* recording: the payload is as it arrived (we only rewrote headers) */
	if (unlikely(READ_ONCE(e->flags) & SB_RELAY_F_COPY))
		sbk_ring_copy(net, e, skb, old_saddr, old_sport, payload);

	/* ---- out as a locally generated packet ---- */
	skb_dst_drop(skb);
	/* No reference per packet: we are in an RCU read section, dsts are
	 * freed after a grace period, and whoever queues the skb (qdisc,
	 * neighbour resolution) takes a reference with skb_dst_force().
	 */
	skb_dst_set_noref(skb, dst_route);
	nf_reset_ct(skb);
	skb_clear_tstamp(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	ip_local_out(net, NULL, skb);
	return NF_STOLEN;
}

static const struct nf_hook_ops sbk_hook_ops = {
	.hook = sbk_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
	.priority = NF_IP_PRI_CONNTRACK_DEFRAG - 1,
};

static int __net_init sbk_net_init(struct net *net)
{
	return nf_register_net_hook(net, &sbk_hook_ops);
}

static void __net_exit sbk_net_exit(struct net *net)
{
	nf_unregister_net_hook(net, &sbk_hook_ops);
	sbk_flush_net(net); /* entries never outlive their namespace */
}

static struct pernet_operations sbk_net_ops = {
	.init = sbk_net_init,
	.exit = sbk_net_exit,
	.id = &sbk_net_id,
	.size = sizeof(struct sbk_net),
};

static int __init sbk_init(void)
{
	int rc;

	rc = sbk_table_init();
	if (rc < 0)
		return rc;
	rc = register_pernet_subsys(&sbk_net_ops);
	if (rc < 0)
		goto out_table;
	rc = sbk_dev_init();
	if (rc < 0)
		goto out_pernet;
	pr_info("sb_relay: ABI %u, up to %u legs\n", SB_RELAY_ABI, sbk_max_entries);
	return 0;

out_pernet:
	unregister_pernet_subsys(&sbk_net_ops);
out_table:
	sbk_table_exit();
	return rc;
}

/* Unload with live entries: no new ioctl can come (the device goes first;
 * an open file pins the module), then the hooks go in every namespace
 * (nf_unregister_net_hook waits for running hooks), then the entries are
 * freed after a grace period and rcu_barrier().
 */
static void __exit sbk_exit(void)
{
	sbk_dev_exit();
	unregister_pernet_subsys(&sbk_net_ops);
	synchronize_rcu();
	sbk_table_exit();
	pr_info("sb_relay: unloaded\n");
}

module_init(sbk_init);
module_exit(sbk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Switchboard in-kernel RTP relay (netfilter fast path)");
MODULE_AUTHOR("Switchboard");
