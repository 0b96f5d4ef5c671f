/* SPDX-License-Identifier: MIT */
/*
 * port.h — the media port: mbuf pool, one TX queue per worker, one RX queue
 * per worker (rte_flow steering) or one in all (dispatch).
 */
#ifndef SB_DP_PORT_H
#define SB_DP_PORT_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#define SB_PORT_NB_MBUF 8191u /* fits --no-huge -m 256 with room to spare */
#define SB_PORT_RX_DESC 1024u
#define SB_PORT_TX_DESC 1024u

struct sb_port {
	uint16_t id;
	int socket;
	uint16_t n_rxq;
	uint16_t n_txq;
	struct rte_mempool *pool; /* owned; freed by sb_port_down() */
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
};

/* Create the pool, configure n_rxq RX and n_txq TX queues and start the
 * port.  Returns 0 or -errno (message on stderr; -EINVAL when the port has
 * fewer queues). */
int sb_port_up(struct sb_port *p, uint16_t port_id, uint16_t n_rxq, uint16_t n_txq);

/* Stop, set up n_rxq / n_txq queues again and restart (e.g. back to one RX
 * queue when rte_flow steering is refused).  Returns 0 or -errno. */
int sb_port_requeue(struct sb_port *p, uint16_t n_rxq, uint16_t n_txq);

/* Queue limits of a port.  Returns 0 or -errno. */
int sb_port_max_queues(uint16_t port_id, uint16_t *max_rx, uint16_t *max_tx);

/* Stop and close the port (flushes pcap output), free the pool.  Safe on a
 * port that was never brought up. */
void sb_port_down(struct sb_port *p);

#endif /* SB_DP_PORT_H */
