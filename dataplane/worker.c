/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "sb/dp_shm.h"

#include "arp.h"
#include "legs.h"
#include "relay.h"
#include "worker.h"

#define TIMER_MS     1000u /* gateway refresh period */
#define HEARTBEAT_MS 100u

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
	w->port_base = p->port_base;
	w->port_span = p->port_span;
	w->pool = p->pool;
	w->mac = p->mac;
	w->media_ip = p->media_ip;
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
	sb_arp_init(&w->arp, (uint64_t)p->arp_ttl_s * w->clk.hz,
		    sb_ms_to_tsc(&w->clk, p->arp_retry_ms));

	w->port_leg = rte_malloc_socket("sb_port_leg", (size_t)p->port_span * sizeof(uint32_t),
					RTE_CACHE_LINE_SIZE, socket);
	if (w->port_leg == NULL) {
		fprintf(stderr, "sb-dataplane: worker %u: out of memory\n", p->id);
		rte_free(w);
		return NULL;
	}
	for (uint32_t i = 0; i < p->port_span; i++)
		w->port_leg[i] = SB_LEG_NONE;
	return w;
}

void sb_worker_free(struct sb_worker *w)
{
	if (w == NULL)
		return;
	for (uint16_t i = 0; i < w->tx.n; i++)
		rte_pktmbuf_free(w->tx.m[i]);
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
	for (uint16_t i = 0; i < sent; i++) {
		if (q->leg[i] != SB_LEG_NONE) {
			struct sb_leg_stats *s = &w->legs->st[q->leg[i]];

			s->tx_pkts++;
			s->tx_bytes += q->bytes[i];
		}
	}
	if (unlikely(sent < q->n)) {
		for (uint16_t i = sent; i < q->n; i++)
			if (q->leg[i] != SB_LEG_NONE)
				w->legs->st[q->leg[i]].drops++;
		w->st->drop[SB_DROP_TX_FULL] += q->n - sent;
		rte_pktmbuf_free_bulk(&q->m[sent], q->n - sent);
	}
	q->n = 0;
}

void sb_worker_tx_push(struct sb_worker *w, struct rte_mbuf *m, uint32_t leg, uint32_t bytes)
{
	struct sb_txq *q = &w->tx;

	if (unlikely(q->n == SB_TX_MAX))
		sb_worker_tx_flush(w);
	q->m[q->n] = m;
	q->leg[q->n] = leg;
	q->bytes[q->n] = bytes;
	q->n++;
}

/* Slow work, at most every TIMER_MS / HEARTBEAT_MS. */
static void worker_timers(struct sb_worker *w, uint64_t now)
{
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

int sb_worker_loop(void *arg)
{
	struct sb_worker *w = arg;
	struct rte_mbuf *pkts[SB_BURST];
	uint64_t now = rte_rdtsc();

	w->last_rx_tsc = now;
	w->next_timer_tsc = now;
	w->next_beat_tsc = now;
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		uint16_t n;
		unsigned ncmd;

		now = rte_rdtsc();
		w->st->loops++;
		ncmd = sb_legs_cmd_poll(w);
		n = rte_eth_rx_burst(w->port_id, w->queue, pkts, SB_BURST);
		if (n != 0) {
			w->st->rx_pkts += n;
			w->last_rx_tsc = now;
			sb_relay_burst(w, pkts, n, now);
		}
		worker_timers(w, now);
		sb_worker_tx_flush(w);
		if (n != 0 || ncmd != 0) {
			w->st->busy_cycles += rte_rdtsc() - now;
			continue;
		}
		if (w->exit_idle_tsc != 0 && now - w->last_rx_tsc > w->exit_idle_tsc) {
			atomic_store_explicit(w->stop, 1, memory_order_relaxed);
			break;
		}
		if (w->idle_us != 0)
			rte_delay_us_sleep(w->idle_us);
	}
	sb_worker_tx_flush(w);
	return 0;
}
