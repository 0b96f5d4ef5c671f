/* SPDX-License-Identifier: MIT */
/*
 * sip/tx.c — UDP listeners with batched receive and send, and the flow
 * dispatch shared with the stream transports (tcp.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "sip/tx.h"
#include "sip/tx_priv.h"

#define TXQ_N     64             /* datagrams queued before a flush */
#define TXQ_BYTES (256u * 1024u) /* their bytes */

struct udp_txq {
	unsigned n;
	uint32_t used;
	struct mmsghdr mh[TXQ_N];
	struct iovec iov[TXQ_N];
	struct sockaddr_in to[TXQ_N];
	int fd[TXQ_N];
	char mem[TXQ_BYTES];
};

struct udp_rx_ctx {
	struct sb_sip_tx *tx;
	unsigned sock;
};

void sb_sip_addr_fmt(const struct sb_sip_addr *a, char *out, size_t len)
{
	const uint8_t *o = (const uint8_t *)&a->ip;
	snprintf(out, len, "%u.%u.%u.%u:%u", o[0], o[1], o[2], o[3], a->port);
}

const char *sb_sip_flow_proto_name(uint32_t flow)
{
	switch (SB_SIP_FLOW_PROTO(flow)) {
	case SB_SIP_PROTO_TCP: return "TCP";
	case SB_SIP_PROTO_TLS: return "TLS";
	default:               return "UDP";
	}
}

int sb_sip_tx_open_ex(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n,
		      const struct sb_sip_tx_params *p)
{
	int rc;

	memset(tx, 0, sizeof(*tx));
	for (unsigned i = 0; i < SB_SIP_MAX_SOCKS; i++)
		tx->socks[i].fd = tx->socks[i].tcp_fd = -1;
	if (n == 0 || n > SB_SIP_MAX_SOCKS)
		return -EINVAL;
	if (p)
		tx->prm = *p;
	if (tx->prm.tcp_max_conns == 0)
		tx->prm.tcp_max_conns = 1024;
	if (tx->prm.tcp_max_conns > SB_SIP_TCP_MAX_CONNS)
		tx->prm.tcp_max_conns = SB_SIP_TCP_MAX_CONNS;
	if (tx->prm.tcp_idle_ms == 0)
		tx->prm.tcp_idle_ms = 3700000;
	if (tx->prm.max_msg == 0 || tx->prm.max_msg > SB_SIP_UDP_MAX)
		tx->prm.max_msg = SB_SIP_UDP_MAX;
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
			sb_err("sip: bind udp %s: %s", a, strerror(errno));
			close(fd);
			goto out_close;
		}
		tx->socks[i].fd = fd;
		tx->socks[i].local = addrs[i];
		tx->n = i + 1;
		if (addrs[i].port == 0) { /* the kernel chose: TCP takes the same */
			socklen_t sl = sizeof(sa);

			if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
				tx->socks[i].local.port = ntohs(sa.sin_port);
		}
	}
	if (tx->prm.tcp) {
		rc = sb_sip_tcp_open(tx);
		if (rc < 0)
			goto out_close;
	}
	return 0;

out_close:
	sb_sip_tx_close(tx);
	return rc;
}

int sb_sip_tx_open(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n)
{
	return sb_sip_tx_open_ex(tx, addrs, n, NULL);
}

void sb_sip_tx_close(struct sb_sip_tx *tx)
{
	if (tx->txq)
		sb_sip_tx_flush(tx);
	sb_sip_tcp_close(tx);
	for (unsigned i = 0; i < tx->n; i++) {
		if (tx->loop)
			sb_loop_del_fd(tx->loop, tx->socks[i].fd);
		close(tx->socks[i].fd);
		tx->socks[i].fd = -1;
	}
	tx->n = 0;
	free(tx->rxc);
	free(tx->rx_mem);
	tx->rxc = NULL;
	free(tx->txq);
	tx->rx_mem = NULL;
	tx->txq = NULL;
	tx->loop = NULL;
}

/* ---- UDP receive: one recvmmsg() per wakeup ---- */

static void on_udp_readable(void *arg, uint32_t events)
{
	struct udp_rx_ctx *x = arg;
	struct sb_sip_tx *tx = x->tx;
	struct mmsghdr mh[SB_SIP_UDP_BATCH];
	struct iovec iov[SB_SIP_UDP_BATCH];
	struct sockaddr_in sa[SB_SIP_UDP_BATCH];
	int n;

	(void)events;
	for (unsigned i = 0; i < SB_SIP_UDP_BATCH; i++) {
		iov[i].iov_base = tx->rx_mem + (size_t)i * (SB_SIP_UDP_MAX + 1);
		iov[i].iov_len = SB_SIP_UDP_MAX + 1;
		mh[i].msg_hdr = (struct msghdr){ .msg_name = &sa[i], .msg_namelen = sizeof(sa[i]),
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	/* one batch per wakeup: epoll is level-triggered, so a socket with more
	 * waiting comes back next iteration, after the timers */
	n = recvmmsg(tx->socks[x->sock].fd, mh, SB_SIP_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	tx->cnt.rx_batches++;
	for (int i = 0; i < n; i++) {
		struct sb_sip_addr from = { sa[i].sin_addr.s_addr, ntohs(sa[i].sin_port) };

		tx->cnt.rx_pkts++;
		if ((mh[i].msg_hdr.msg_flags & MSG_TRUNC) || mh[i].msg_len > SB_SIP_UDP_MAX) {
			tx->cnt.rx_trunc++;
			continue;
		}
		tx->on_msg(tx->arg, x->sock, &from, iov[i].iov_base, mh[i].msg_len);
	}
}

static void on_idle(void *arg)
{
	sb_sip_tx_flush(arg);
}

int sb_sip_tx_attach(struct sb_sip_tx *tx, struct sb_loop *loop, sb_sip_rx_cb *on_msg,
		     void *arg)
{
	struct udp_rx_ctx *ctx;
	int rc;

	tx->rx_mem = malloc((size_t)SB_SIP_UDP_BATCH * (SB_SIP_UDP_MAX + 1));
	tx->rxc = ctx = calloc(SB_SIP_MAX_SOCKS, sizeof(*ctx));
	tx->txq = calloc(1, sizeof(*tx->txq));
	if (tx->rx_mem == NULL || ctx == NULL || tx->txq == NULL)
		return -ENOMEM; /* sb_sip_tx_close() frees what was allocated */
	tx->on_msg = on_msg;
	tx->arg = arg;
	for (unsigned i = 0; i < tx->n; i++) {
		ctx[i] = (struct udp_rx_ctx){ tx, i };
		rc = sb_loop_add_fd(loop, tx->socks[i].fd, on_udp_readable, &ctx[i]);
		if (rc < 0)
			return rc;
	}
	rc = sb_loop_add_idle(loop, on_idle, tx);
	if (rc < 0)
		return rc;
	tx->loop = loop;
	return sb_sip_tcp_attach(tx);
}

/* ---- UDP send: queued, one sendmmsg() per run of the same socket ---- */

void sb_sip_tx_flush(struct sb_sip_tx *tx)
{
	struct udp_txq *q = tx->txq;
	unsigned i = 0;

	if (q == NULL || q->n == 0)
		return;
	while (i < q->n) {
		unsigned j = i;
		int sent;

		while (j < q->n && q->fd[j] == q->fd[i])
			j++;
		sent = sendmmsg(q->fd[i], &q->mh[i], j - i, MSG_DONTWAIT);
		tx->cnt.tx_batches++;
		if (sent < 0) {
			/* the first datagram failed: count it and go on */
			tx->cnt.tx_errors++;
			i++;
			continue;
		}
		tx->cnt.tx_pkts += (unsigned)sent;
		i += (unsigned)sent;
	}
	q->n = 0;
	q->used = 0;
	tx->tx_pkts = tx->cnt.tx_pkts;
	tx->tx_errors = tx->cnt.tx_errors;
}

static int udp_send_now(struct sb_sip_tx *tx, int fd, const struct sockaddr_in *sa,
			const void *buf, size_t len)
{
	if (sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		tx->cnt.tx_errors++;
		tx->tx_errors = tx->cnt.tx_errors;
		return -errno;
	}
	tx->cnt.tx_pkts++;
	tx->tx_pkts = tx->cnt.tx_pkts;
	return 0;
}

int sb_sip_tx_send(struct sb_sip_tx *tx, uint32_t flow, const struct sb_sip_addr *to,
		   const void *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned sock = SB_SIP_FLOW_SOCK(flow);
	struct udp_txq *q = tx->txq;

	if (sock >= tx->n)
		return -EINVAL;
	if (sb_sip_flow_is_stream(flow))
		return sb_sip_tcp_send(tx, flow, to, buf, len);
	if (len > SB_SIP_UDP_MAX)
		return -EMSGSIZE;
	sa.sin_addr.s_addr = to->ip;
	sa.sin_port = htons(to->port);
	if (q == NULL || len > TXQ_BYTES)
		return udp_send_now(tx, tx->socks[sock].fd, &sa, buf, len);
	if (q->n == TXQ_N || q->used + len > TXQ_BYTES)
		sb_sip_tx_flush(tx);
	{
		unsigned i = q->n++;
		char *p = q->mem + q->used;

		memcpy(p, buf, len);
		q->used += (uint32_t)len;
		q->to[i] = sa;
		q->fd[i] = tx->socks[sock].fd;
		q->iov[i] = (struct iovec){ p, len };
		q->mh[i].msg_hdr = (struct msghdr){ .msg_name = &q->to[i],
						    .msg_namelen = sizeof(q->to[i]),
						    .msg_iov = &q->iov[i], .msg_iovlen = 1 };
	}
	return 0;
}

const struct sb_sip_addr *sb_sip_flow_local(const struct sb_sip_tx *tx, uint32_t flow)
{
	unsigned sock = SB_SIP_FLOW_SOCK(flow);

	return sock < tx->n ? &tx->socks[sock].local : NULL;
}

bool sb_sip_flow_is_alive(const struct sb_sip_tx *tx, uint32_t flow)
{
	if (SB_SIP_FLOW_SOCK(flow) >= tx->n)
		return false;
	return sb_sip_flow_is_stream(flow) ? sb_sip_tcp_is_alive(tx, flow) : true;
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
