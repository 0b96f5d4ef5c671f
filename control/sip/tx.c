/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sip/tx.h"

void sb_sip_addr_fmt(const struct sb_sip_addr *a, char *out, size_t len)
{
	const uint8_t *o = (const uint8_t *)&a->ip;
	snprintf(out, len, "%u.%u.%u.%u:%u", o[0], o[1], o[2], o[3], a->port);
}

int sb_sip_tx_open(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n)
{
	int rc;

	memset(tx, 0, sizeof(*tx));
	if (n == 0 || n > SB_SIP_MAX_SOCKS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int fd, one = 1, sz = 1 << 20;
		char a[32];

		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			goto out_close;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		sa.sin_addr.s_addr = addrs[i].ip;
		sa.sin_port = htons(addrs[i].port);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			rc = -errno;
			sb_sip_addr_fmt(&addrs[i], a, sizeof(a));
			sb_err("sip: bind %s: %s", a, strerror(errno));
			close(fd);
			goto out_close;
		}
		tx->socks[i].fd = fd;
		tx->socks[i].local = addrs[i];
		tx->n = i + 1;
	}
	return 0;

out_close:
	sb_sip_tx_close(tx);
	return rc;
}

void sb_sip_tx_close(struct sb_sip_tx *tx)
{
	for (unsigned i = 0; i < tx->n; i++)
		close(tx->socks[i].fd);
	tx->n = 0;
}

int sb_sip_tx_send(struct sb_sip_tx *tx, unsigned sock, const struct sb_sip_addr *to,
		   const void *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (sock >= tx->n)
		return -EINVAL;
	sa.sin_addr.s_addr = to->ip;
	sa.sin_port = htons(to->port);
	if (sendto(tx->socks[sock].fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		tx->tx_errors++;
		return -errno;
	}
	tx->tx_pkts++;
	return 0;
}

ssize_t sb_sip_tx_recv(struct sb_sip_tx *tx, unsigned sock, void *buf, size_t cap,
		       struct sb_sip_addr *from)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	ssize_t n;

	n = recvfrom(tx->socks[sock].fd, buf, cap, 0, (struct sockaddr *)&sa, &sl);
	if (n < 0)
		return -errno;
	from->ip = sa.sin_addr.s_addr;
	from->port = ntohs(sa.sin_port);
	return n;
}
