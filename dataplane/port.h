/* SPDX-License-Identifier: MIT */
/*
 * port.h — the media port: mbuf pool, one RX and one TX queue per worker.
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
	uint16_t n_queues;
	struct rte_mempool *pool; /* owned; freed by sb_port_down() */
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
};

/* Create the pool, configure n_queues RX/TX queues and start the port.
 * Returns 0 or -errno (message on stderr). */
int sb_port_up(struct sb_port *p, uint16_t port_id, uint16_t n_queues);

/* Stop and close the port (flushes pcap output), free the pool.  Safe on a
 * port that was never brought up. */
void sb_port_down(struct sb_port *p);

#endif /* SB_DP_PORT_H */
