/* SPDX-License-Identifier: MIT */
/*
 * sip/tx.h — SIP over UDP: one socket per configured listen address.
 * IPv4 only for now.  TCP/TLS come with the transaction layer.
 */
#ifndef SB_SIP_TX_H
#define SB_SIP_TX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_SIP_MAX_SOCKS 8

struct sb_sip_addr {
	uint32_t ip;   /* network order */
	uint16_t port; /* host order */
};

struct sb_sip_sock {
	int fd;
	struct sb_sip_addr local;
};

struct sb_sip_tx {
	unsigned n;
	struct sb_sip_sock socks[SB_SIP_MAX_SOCKS];
	uint64_t tx_pkts;
	uint64_t tx_errors;
};

/* Bind one non-blocking UDP socket per address.  0 or -errno (all closed). */
int sb_sip_tx_open(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n);
void sb_sip_tx_close(struct sb_sip_tx *tx);

/* 0 or -errno (counted in tx_errors). */
int sb_sip_tx_send(struct sb_sip_tx *tx, unsigned sock, const struct sb_sip_addr *to,
		   const void *buf, size_t len);

/* One datagram; bytes, or -EAGAIN when none is waiting. */
ssize_t sb_sip_tx_recv(struct sb_sip_tx *tx, unsigned sock, void *buf, size_t cap,
		       struct sb_sip_addr *from);

/* "a.b.c.d:port" into out (>= 22 bytes). */
void sb_sip_addr_fmt(const struct sb_sip_addr *a, char *out, size_t len);

#endif
