/* SPDX-License-Identifier: MIT */
/*
 * worker.h — per-worker state (STYLE H6): written by its own lcore only,
 * cache aligned, never locked.  Until the worker is launched the main lcore
 * may initialise it and apply --preload commands; rte_eal_remote_launch()
 * orders those writes before the worker's first read.
 */
#ifndef SB_DP_WORKER_H
#define SB_DP_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sb/dp_abi.h"
#include "sb/ring.h"

#include "arp.h"
#include "clock.h"
#include "legs.h"

struct dprec_w;

#define SB_BURST     32u /* RX burst */
#define SB_TX_MAX    64u /* TX buffer; flushed at SB_BURST packets or by the drain timer */
#define SB_TX_DRAIN_US 100u /* default drain period (DPDK l3fwd BURST_TX_DRAIN_US) */
#define SB_CMD_BURST 16u /* commands applied per loop iteration */

/* Packets waiting for the next rte_eth_tx_burst() (batch full or drain
 * timer: a burst per RX burst would cost a doorbell per few packets), with
 * the leg each one is sent on (SB_LEG_NONE for ARP/ICMP): the relay counts
 * a packet as sent on its leg when it queues it (sb_relay_count_tx()), and
 * the flush takes back what the port refused, so per-leg tx counters only
 * count what the port accepted. */
struct sb_txq {
	uint16_t n;
	struct rte_mbuf *m[SB_TX_MAX];
	uint32_t leg[SB_TX_MAX];
	uint32_t bytes[SB_TX_MAX]; /* UDP payload bytes */
};

struct sb_dpm;
struct sb_dpm_shared;

struct sb_worker_params {
	uint16_t id;
	uint16_t port_id;
	uint16_t queue;     /* TX queue, this worker's alone */
	uint16_t rx_queue;  /* RX queue polled when poll_port is set */
	uint8_t poll_port;  /* 1: rte_eth_rx_burst(port_id, rx_queue) each iteration */
	struct rte_ring *in;   /* mbufs from the dispatcher (or ARP copies); NULL = none */
	struct rte_ring *punt; /* to the main lcore; NULL = single lcore, drop instead */
	struct rte_ring *const *fanout; /* flow mode, worker 0: the other workers' in rings */
	uint16_t n_fanout;
	uint32_t tx_drain_us; /* 0 = SB_TX_DRAIN_US */
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t media_ip; /* network order */
	uint16_t n_addr;   /* media addresses media_ip .. media_ip + n_addr - 1; 0 = 1 */
	uint32_t netmask;  /* network order */
	uint32_t gateway;  /* network order, 0 = none */
	uint16_t port_base; /* this worker owns [port_base, port_base + port_span) */
	uint16_t port_span;
	uint32_t idle_us;
	uint32_t exit_idle_ms;
	uint32_t arp_retry_ms;
	uint32_t arp_ttl_s;
	struct sb_ring *cmd;
	struct sb_ring *evt;
	struct sb_worker_stats *st;
	struct sb_leg_tbl *legs;
	_Atomic int *stop;           /* set by signals; the worker sets it on exit-idle */
	_Atomic uint64_t *heartbeat; /* non-NULL: this worker refreshes it (alone on the main lcore) */
	/* media (dpmedia.h): pool sizes (0 = defaults) and what workers share */
	uint32_t media_legs;  /* media contexts of this worker */
	uint32_t media_confs; /* conferences of this worker */
	struct sb_dpm_shared *media_shared; /* prompt store and loader; NULL = no prompts */
};

struct __rte_cache_aligned sb_worker {
	/* ---- read-only after sb_worker_create() ---- */
	uint16_t id;
	uint16_t port_id;
	uint16_t queue;    /* TX */
	uint16_t rx_queue;
	uint8_t poll_port;
	uint16_t n_fanout;
	uint16_t port_base;
	uint16_t port_span;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t media_ip;
	uint32_t media_ip_h; /* host order: local address i is media_ip_h + i */
	uint32_t n_addr;     /* media addresses (--media-addrs) */
	uint32_t n_slots;    /* n_addr * port_span: entries of port_leg */
	uint32_t netmask;
	uint32_t gateway;
	uint32_t idle_us;
	uint64_t exit_idle_tsc; /* 0 = never */
	struct sb_ring *cmd;
	struct sb_ring *evt;
	struct sb_worker_stats *st; /* in shm, written only here */
	struct sb_leg_tbl *legs;    /* shared table; this worker writes only its own legs */
	struct dprec_w *rec;        /* recording (rectap.c); NULL without --rec-dir */
	_Atomic int *stop;
	_Atomic uint64_t *heartbeat;
	struct sb_tsc_clock clk;
	struct rte_ring *in;
	struct rte_ring *punt;
	struct rte_ring *const *fanout;
	uint64_t tx_drain_tsc;

	/* ---- worker-private ---- */
	uint64_t next_tx_drain_tsc;
	uint64_t next_depth_tsc;
	uint32_t *port_leg;         /* [n_slots]: addr * port_span + local port - port_base -> leg */
	uint64_t next_timer_tsc;
	uint64_t next_beat_tsc;
	_Atomic uint64_t last_rx_tsc; /* read by the main lcore for --exit-idle-ms */
	struct sb_txq tx;
	struct sb_arp_tbl arp;
	struct sb_dpm *media; /* media contexts (dpmedia.c), owned */
};

/* Allocate (rte_zmalloc, on the port's socket) and initialise a worker.
 * Returns NULL with a message on stderr. */
struct sb_worker *sb_worker_create(const struct sb_worker_params *p);
void sb_worker_free(struct sb_worker *w); /* NULL is a no-op */

/* lcore entry point (rte_lcore_function_t); arg is the struct sb_worker *.
 * Runs until *stop is set or exit-idle expires; returns 0.  Each
 * iteration is one sb_worker_poll(); iterations that did work add their
 * cycles to busy_cycles. */
int sb_worker_loop(void *arg);

/* The loop's parts, for a caller that drives the worker itself (the relay
 * benchmark): reset the timers, then one iteration — commands, one RX
 * burst, relay, timers, TX drain — returning packets + commands handled. */
void sb_worker_start(struct sb_worker *w, uint64_t now);
unsigned sb_worker_poll(struct sb_worker *w, uint64_t now);

/* One rte_eth_tx_burst() for everything queued (called when the batch is
 * full, by the drain timer, before an idle sleep and at exit); unsent packets are freed
 * and counted TX_FULL (and in their leg's drops). */
void sb_worker_tx_flush(struct sb_worker *w);

/* Queue a packet for the next tx burst; flushes first when full.  Inline:
 * called once per relayed packet. */
static inline void sb_worker_tx_push(struct sb_worker *w, struct rte_mbuf *m, uint32_t leg,
				     uint32_t bytes)
{
	struct sb_txq *q = &w->tx;

	if (unlikely(q->n == SB_TX_MAX))
		sb_worker_tx_flush(w);
	q->m[q->n] = m;
	q->leg[q->n] = leg;
	q->bytes[q->n] = bytes;
	q->n++;
}

/* Count a relayed packet as sent on leg t (index t_idx), in t's own line
 * (hot: the packet was just rewritten with it); added to the segment every
 * SB_CNT_PUBLISH_EVERY packets.  A packet the port refuses is taken back by
 * sb_worker_tx_flush(). */
static inline void sb_relay_count_tx(struct sb_worker *w, struct sb_leg *t, uint32_t t_idx,
				     uint32_t bytes)
{
	t->tx_bytes_pend += bytes;
	if (unlikely(++t->tx_pend >= SB_CNT_PUBLISH_EVERY))
		sb_legs_publish_tx(w->legs, t_idx);
}

/* Post an event to control; counts evts_dropped when the ring is full. */
static inline void sb_worker_evt_push(struct sb_worker *w, const union sb_msg *m)
{
	if (sb_ring_enqueue_bulk(w->evt, m, 1) == 0)
		w->st->evts_dropped++;
}

#endif /* SB_DP_WORKER_H */
