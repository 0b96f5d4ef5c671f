/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "sb/dp_shm.h"

#include "arp.h"
#include "dispatch.h"
#include "dpmedia.h"
#include "legs.h"
#include "rectap.h"
#include "relay.h"
#include "worker.h"

#define TIMER_MS     1000u /* gateway refresh period */
#define HEARTBEAT_MS 100u
#define DEPTH_MS     10u   /* ring depth sampling period */

struct sb_worker *sb_worker_create(const struct sb_worker_params *p)
{
	struct sb_worker *w;
	int socket = (int)rte_socket_id();

	if (socket < 0)
		socket = 0;
	w = rte_zmalloc_socket("sb_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL) {
		fprintf(stderr, "sb-dataplane: worker %u: out of memory\n", p->id);
		return NULL;
	}
	w->id = p->id;
	w->port_id = p->port_id;
	w->queue = p->queue;
	w->rx_queue = p->rx_queue;
	w->poll_port = p->poll_port;
	w->in = p->in;
	w->punt = p->punt;
	w->fanout = p->fanout;
	w->n_fanout = p->n_fanout;
	w->port_base = p->port_base;
	w->port_span = p->port_span;
	w->pool = p->pool;
	w->mac = p->mac;
	w->media_ip = p->media_ip;
	w->media_ip_h = rte_be_to_cpu_32(p->media_ip);
	w->n_addr = p->n_addr != 0 ? p->n_addr : 1u;
	w->n_slots = w->n_addr * p->port_span;
	w->netmask = p->netmask;
	w->gateway = p->gateway;
	w->idle_us = p->idle_us;
	w->cmd = p->cmd;
	w->evt = p->evt;
	w->st = p->st;
	w->legs = p->legs;
	w->stop = p->stop;
	w->heartbeat = p->heartbeat;
	sb_tsc_clock_init(&w->clk);
	w->exit_idle_tsc = sb_ms_to_tsc(&w->clk, p->exit_idle_ms);
	w->tx_drain_tsc = (uint64_t)(p->tx_drain_us != 0 ? p->tx_drain_us : SB_TX_DRAIN_US) *
			  (w->clk.hz / 1000000u);
	sb_arp_init(&w->arp, (uint64_t)p->arp_ttl_s * w->clk.hz,
		    sb_ms_to_tsc(&w->clk, p->arp_retry_ms));

	w->port_leg = rte_malloc_socket("sb_port_leg", (size_t)w->n_slots * sizeof(uint32_t),
					RTE_CACHE_LINE_SIZE, socket);
	if (w->port_leg == NULL) {
		fprintf(stderr, "sb-dataplane: worker %u: out of memory\n", p->id);
		rte_free(w);
		return NULL;
	}
	for (uint32_t i = 0; i < w->n_slots; i++)
		w->port_leg[i] = SB_LEG_NONE;
	w->media = sb_dpm_create(w, p->media_legs, p->media_confs, p->media_shared);
	if (w->media == NULL) {
		fprintf(stderr, "sb-dataplane: worker %u: out of memory (media contexts)\n", p->id);
		rte_free(w->port_leg);
		rte_free(w);
		return NULL;
	}
	return w;
}

void sb_worker_free(struct sb_worker *w)
{
	if (w == NULL)
		return;
	for (uint16_t i = 0; i < w->tx.n; i++)
		rte_pktmbuf_free(w->tx.m[i]);
	if (w->in != NULL) { /* whatever the dispatcher left when we stopped */
		struct rte_mbuf *m = NULL;

		while (rte_ring_sc_dequeue(w->in, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	sb_dpm_free(w->media);
	rte_free(w->port_leg);
	rte_free(w);
}

void sb_worker_tx_flush(struct sb_worker *w)
{
	struct sb_txq *q = &w->tx;
	uint16_t sent;

	if (q->n == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue, q->m, q->n);
	w->st->tx_pkts += sent;
	w->st->tx_flushes++;
	if (unlikely(sent < q->n)) {
		/* the relay counted them as sent when it queued them (in the
		 * output leg's line, hot then): take them back */
		for (uint16_t i = sent; i < q->n; i++)
			if (q->leg[i] != SB_LEG_NONE) {
				struct sb_leg_stats *s = &w->legs->st[q->leg[i]];

				sb_legs_publish_tx(w->legs, q->leg[i]);
				s->tx_pkts--;
				s->tx_bytes -= q->bytes[i];
				s->drops++;
			}
		w->st->drop[SB_DROP_TX_FULL] += q->n - sent;
		rte_pktmbuf_free_bulk(&q->m[sent], q->n - sent);
	}
	q->n = 0;
}

static void worker_sample_depths(struct sb_worker *w)
{
	struct sb_worker_stats *st = w->st;

	st->depth_dispatch = w->in != NULL ? rte_ring_count(w->in) : 0;
	st->depth_cmd = sb_ring_count(w->cmd);
	st->depth_evt = sb_ring_count(w->evt);
	st->depth_punt = w->punt != NULL ? rte_ring_count(w->punt) : 0;
}

/* Slow work, at most every TIMER_MS / HEARTBEAT_MS / DEPTH_MS. */
static void worker_timers(struct sb_worker *w, uint64_t now)
{
	sb_legs_timer(w, now); /* media timeouts, loss intervals: bounded sweep */
	if (w->media != NULL)
		sb_dpm_timer(w, now); /* prompts, DTMF, transcoding: frame ticks */
	if (now >= w->next_depth_tsc) {
		if (w->rec != NULL) /* recorder events to control; every 10 ms is plenty */
			sb_dprec_poll(w);
		worker_sample_depths(w);
		w->next_depth_tsc = now + sb_ms_to_tsc(&w->clk, DEPTH_MS);
	}
	if (now >= w->next_timer_tsc) {
		sb_arp_timer(w, now);
		w->next_timer_tsc = now + sb_ms_to_tsc(&w->clk, TIMER_MS);
	}
	if (w->heartbeat != NULL && now >= w->next_beat_tsc) {
		atomic_store_explicit(w->heartbeat, sb_tsc_to_ns(&w->clk, now),
				      memory_order_relaxed);
		w->next_beat_tsc = now + sb_ms_to_tsc(&w->clk, HEARTBEAT_MS);
	}
}

/* Receive up to SB_BURST packets: from the port queue (direct and flow
 * modes), then from the in ring (dispatch mode; ARP copies in flow mode). */
static inline uint16_t worker_rx(struct sb_worker *w, struct rte_mbuf **pkts)
{
	uint16_t n = 0;

	if (w->poll_port)
		n = rte_eth_rx_burst(w->port_id, w->rx_queue, pkts, SB_BURST);
	if (w->in != NULL && n < SB_BURST)
		n += (uint16_t)rte_ring_sc_dequeue_burst(w->in, (void **)(pkts + n),
							  SB_BURST - n, NULL);
	/* Start every header load of the burst now: the misses overlap
	 * instead of being taken one packet at a time. */
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	return n;
}

void sb_worker_start(struct sb_worker *w, uint64_t now)
{
	atomic_store_explicit(&w->last_rx_tsc, now, memory_order_relaxed);
	w->next_timer_tsc = now;
	w->next_beat_tsc = now;
	w->next_depth_tsc = now;
	w->next_tx_drain_tsc = now + w->tx_drain_tsc;
}

unsigned sb_worker_poll(struct sb_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[SB_BURST];
	uint16_t n;
	unsigned ncmd;

	w->st->loops++;
	ncmd = sb_legs_cmd_poll(w);
	n = worker_rx(w, pkts);
	if (n != 0) {
		w->st->rx_pkts += n;
		atomic_store_explicit(&w->last_rx_tsc, now, memory_order_relaxed);
		if (unlikely(w->n_fanout != 0))
			sb_dispatch_arp_fanout(pkts, n, w->fanout, w->n_fanout, w->pool);
		sb_relay_burst(w, pkts, n, now);
		if (w->tx.n >= SB_BURST) /* a full batch goes now */
			sb_worker_tx_flush(w);
	}
	worker_timers(w, now);
	/* TX drain timer: what is left of a partial batch waits at most
	 * tx_drain_tsc (full batches went out above). */
	if (now >= w->next_tx_drain_tsc) {
		sb_worker_tx_flush(w);
		w->next_tx_drain_tsc = now + w->tx_drain_tsc;
	}
	return n + ncmd;
}

int sb_worker_loop(void *arg)
{
	struct sb_worker *w = arg;
	uint64_t now = rte_rdtsc();

	sb_worker_start(w, now);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		now = rte_rdtsc();
		if (sb_worker_poll(w, now) != 0) {
			w->st->busy_cycles += rte_rdtsc() - now;
			continue;
		}
		if (w->exit_idle_tsc != 0 &&
		    now - atomic_load_explicit(&w->last_rx_tsc, memory_order_relaxed) >
			    w->exit_idle_tsc) {
			atomic_store_explicit(w->stop, 1, memory_order_relaxed);
			break;
		}
		if (w->idle_us != 0) {
			sb_worker_tx_flush(w); /* nothing waits while we sleep */
			rte_delay_us_sleep(w->idle_us);
		}
	}
	sb_worker_tx_flush(w);
	worker_sample_depths(w);
	sb_legs_publish_all(w); /* readers after exit see final figures */
	return 0;
}
