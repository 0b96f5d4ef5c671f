/* SPDX-License-Identifier: MIT */
/* sip/tx_priv.h — between tx.c (UDP, flows) and tcp.c (stream transports). */
#ifndef SB_SIP_TX_PRIV_H
#define SB_SIP_TX_PRIV_H

#include "sip/tx.h"

int sb_sip_tcp_open(struct sb_sip_tx *tx);          /* listeners; 0 or -errno */
int sb_sip_tcp_attach(struct sb_sip_tx *tx);        /* 0 or -errno */
void sb_sip_tcp_close(struct sb_sip_tx *tx);        /* every connection and listener */
/* On the flow's connection; when it is gone, on one to `to` (found or
 * opened).  0 or -errno. */
int sb_sip_tcp_send(struct sb_sip_tx *tx, uint32_t flow, const struct sb_sip_addr *to,
		    const void *buf, size_t len);
bool sb_sip_tcp_is_alive(const struct sb_sip_tx *tx, uint32_t flow);

#endif
