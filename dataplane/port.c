/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "port.h"

static int port_queues_setup(struct sb_port *p)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = SB_PORT_RX_DESC, nb_txd = SB_PORT_TX_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc < 0)
		return rc;
	/* No offloads: checksums are fixed in software (incrementally), so the
	 * same code runs on af_packet, pcap and real NICs. */
	if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues) {
		fprintf(stderr,
			"sb-dataplane: port %s has %u RX / %u TX queues, %u / %u needed "
			"(each worker transmits on its own queue)\n",
			p->name, info.max_rx_queues, info.max_tx_queues, p->n_rxq, p->n_txq);
		return -EINVAL;
	}
	rc = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq, &conf);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nb_rxd, &nb_txd);
	if (rc < 0)
		return rc;
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->id, q, nb_rxd, (unsigned)p->socket, NULL, p->pool);
		if (rc < 0)
			return rc;
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->id, q, nb_txd, (unsigned)p->socket, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sb_port_max_queues(uint16_t port_id, uint16_t *max_rx, uint16_t *max_tx)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(port_id, &info);

	if (rc < 0)
		return rc;
	*max_rx = info.max_rx_queues;
	*max_tx = info.max_tx_queues;
	return 0;
}

int sb_port_requeue(struct sb_port *p, uint16_t n_rxq, uint16_t n_txq)
{
	int rc;

	rc = rte_eth_dev_stop(p->id);
	if (rc < 0)
		return rc;
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	rc = port_queues_setup(p);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: port %s setup: %s\n", p->name, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(p->id);
	if (rc < 0)
		fprintf(stderr, "sb-dataplane: port %s start: %s\n", p->name, strerror(-rc));
	return rc;
}

int sb_port_up(struct sb_port *p, uint16_t port_id, uint16_t n_rxq, uint16_t n_txq)
{
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	memset(p, 0, sizeof(*p));
	p->id = port_id;
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		fprintf(stderr, "sb-dataplane: no port %u (give one with --vdev)\n", port_id);
		return -ENODEV;
	}
	rte_eth_dev_get_name_by_port(port_id, p->name);
	p->socket = rte_eth_dev_socket_id(port_id);
	if (p->socket < 0)
		p->socket = 0;
	snprintf(pool_name, sizeof(pool_name), "sb_mbuf_p%u", port_id);
	p->pool = rte_pktmbuf_pool_create(pool_name, SB_PORT_NB_MBUF, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, p->socket);
	if (p->pool == NULL) {
		rc = -rte_errno;
		fprintf(stderr, "sb-dataplane: mbuf pool: %s\n", rte_strerror(rte_errno));
		return rc;
	}
	rc = port_queues_setup(p);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: port %s setup: %s\n", p->name, strerror(-rc));
		goto out_free_pool;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: port %s start: %s\n", p->name, strerror(-rc));
		goto out_close;
	}
	rc = rte_eth_macaddr_get(port_id, &p->mac);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: port %s mac: %s\n", p->name, strerror(-rc));
		goto out_stop;
	}
	return 0;

out_stop:
	rte_eth_dev_stop(port_id);
out_close:
	rte_eth_dev_close(port_id);
out_free_pool:
	rte_mempool_free(p->pool);
	p->pool = NULL;
	return rc;
}

void sb_port_down(struct sb_port *p)
{
	if (p->pool == NULL)
		return;
	rte_eth_dev_stop(p->id);
	rte_eth_dev_close(p->id);
	rte_mempool_free(p->pool);
	p->pool = NULL;
}
