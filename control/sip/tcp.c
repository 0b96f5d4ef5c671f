/* SPDX-License-Identifier: MIT */
/*
 * sip/tcp.c — SIP over TCP (RFC 3261 §18.3): listeners, accepted
 * connections, Content-Length framing, per-connection limits.
 *
 * Each connection owns a read buffer of at most max_msg bytes (a complete
 * message always fits: sb_sip_frame() refuses anything larger) and an
 * output buffer of at most 4 x max_msg for what the kernel did not take.
 * The I/O goes through stream_ops so that TLS can be one more set of ops
 * on the same connection object (handshake state in the connection).
 *
 * Sends go over the flow's connection: the one the peer opened to us (an
 * agent registered over TCP is called over it, RFC 5626 style; responses
 * go back on the request's connection, §18.2.2).  When that connection is
 * gone, the message goes to the address the caller passes (Contact, or the
 * Via's received/port for responses) over a connection to that address we
 * already have, or a new one we open (non-blocking connect; output queues
 * until it completes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "sip/build.h"
#include "sip/frame.h"
#include "sip/msg.h"
#include "sip/tx.h"
#include "sip/tx_priv.h"

#define ACCEPT_BURST 16 /* connections accepted per wakeup of a listener */
#define READ_BURST   8  /* reads per wakeup of a connection */
#define RBUF_START   4096u

struct tcp_conn;

struct stream_ops {
	const char *name;
	ssize_t (*read)(struct tcp_conn *c, void *buf, size_t n);
	ssize_t (*write)(struct tcp_conn *c, const void *buf, size_t n);
};

struct tcp_conn {
	int fd;                  /* -1: free slot */
	uint16_t gen;
	uint8_t sock;
	bool in_rx;              /* delivering messages: close after */
	bool closing;
	bool want_out;
	bool connecting;         /* ours, connect() in progress: output queues */
	struct sb_sip_addr peer;
	char *rbuf;
	uint32_t rlen, rcap;
	char *wbuf;
	uint32_t wlen, wcap;
	uint64_t last_ms;
	struct sb_timer t_idle;
	struct sb_sip_tcp *t;
	uint32_t slot;
	const struct stream_ops *ops;
};

struct lst_ctx {
	struct sb_sip_tcp *t;
	unsigned sock;
};

struct sb_sip_tcp {
	struct sb_sip_tx *tx;
	unsigned max, n_open, hint;
	struct tcp_conn *conns;
	struct lst_ctx lst[SB_SIP_MAX_SOCKS];
};

static ssize_t plain_read(struct tcp_conn *c, void *buf, size_t n)
{
	return read(c->fd, buf, n);
}

static ssize_t plain_write(struct tcp_conn *c, const void *buf, size_t n)
{
	return send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static const struct stream_ops tcp_ops = { "TCP", plain_read, plain_write };

static uint32_t conn_flow(const struct tcp_conn *c)
{
	return SB_SIP_FLOW_MK(c->sock, SB_SIP_PROTO_TCP, c->slot, c->gen & 0xfffu);
}

static struct tcp_conn *conn_of(const struct sb_sip_tx *tx, uint32_t flow)
{
	struct sb_sip_tcp *t = tx->tcp;
	struct tcp_conn *c;

	if (t == NULL || SB_SIP_FLOW_PROTO(flow) != SB_SIP_PROTO_TCP ||
	    SB_SIP_FLOW_SLOT(flow) >= t->max)
		return NULL;
	c = &t->conns[SB_SIP_FLOW_SLOT(flow)];
	if (c->fd < 0 || c->closing || (c->gen & 0xfffu) != SB_SIP_FLOW_GEN(flow) ||
	    c->sock != SB_SIP_FLOW_SOCK(flow))
		return NULL;
	return c;
}

int sb_sip_tcp_open(struct sb_sip_tx *tx)
{
	struct sb_sip_tcp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->tx = tx;
	t->max = tx->prm.tcp_max_conns;
	t->conns = calloc(t->max, sizeof(*t->conns));
	if (t->conns == NULL) {
		free(t);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < t->max; i++)
		t->conns[i].fd = -1;
	tx->tcp = t;
	for (unsigned i = 0; i < tx->n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int fd, one = 1, rc;
		char a[32];

		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno; /* the caller closes everything */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sa.sin_addr.s_addr = tx->socks[i].local.ip;
		sa.sin_port = htons(tx->socks[i].local.port);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
			rc = -errno;
			sb_sip_addr_fmt(&tx->socks[i].local, a, sizeof(a));
			sb_err("sip: listen tcp %s: %s", a, strerror(errno));
			close(fd);
			return rc;
		}
		tx->socks[i].tcp_fd = fd;
	}
	return 0;
}

static void conn_free(struct tcp_conn *c)
{
	struct sb_sip_tcp *t = c->t;
	struct sb_sip_tx *tx = t->tx;

	if (tx->loop) {
		sb_loop_del_fd(tx->loop, c->fd);
		sb_timer_cancel(tx->loop, &c->t_idle);
	}
	close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rcap = c->wlen = c->wcap = 0;
	t->n_open--;
	tx->cnt.tcp_closed++;
}

/* Close now, or right after the messages being delivered. */
static void conn_close(struct tcp_conn *c)
{
	c->closing = true;
	if (!c->in_rx)
		conn_free(c);
}

void sb_sip_tcp_close(struct sb_sip_tx *tx)
{
	struct sb_sip_tcp *t = tx->tcp;

	if (t == NULL)
		return;
	for (unsigned i = 0; i < t->max; i++)
		if (t->conns[i].fd >= 0)
			conn_free(&t->conns[i]);
	for (unsigned i = 0; i < tx->n; i++) {
		if (tx->socks[i].tcp_fd < 0)
			continue;
		if (tx->loop)
			sb_loop_del_fd(tx->loop, tx->socks[i].tcp_fd);
		close(tx->socks[i].tcp_fd);
		tx->socks[i].tcp_fd = -1;
	}
	free(t->conns);
	free(t);
	tx->tcp = NULL;
}

/* ---- output ---- */

static int conn_write(struct tcp_conn *c, const char *buf, uint32_t len)
{
	struct sb_sip_tx *tx = c->t->tx;
	uint32_t limit = 4 * tx->prm.max_msg;
	ssize_t n = 0;

	if (c->wlen == 0 && !c->connecting) {
		n = c->ops->write(c, buf, len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				int rc = -errno;
				conn_close(c);
				return rc;
			}
			n = 0;
		}
	}
	if ((uint32_t)n == len)
		return 0;
	buf += n;
	len -= (uint32_t)n;
	if (c->wlen + len > limit) {
		/* a peer that does not read: drop it rather than buffer forever */
		tx->cnt.tcp_tx_overflow++;
		conn_close(c);
		return -ENOBUFS;
	}
	if (c->wlen + len > c->wcap) {
		uint32_t cap = c->wcap ? c->wcap : 4096;
		char *p;

		while (cap < c->wlen + len)
			cap *= 2;
		p = realloc(c->wbuf, cap);
		if (p == NULL) {
			conn_close(c);
			return -ENOMEM;
		}
		c->wbuf = p;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	if (!c->want_out && tx->loop) {
		c->want_out = true;
		sb_loop_mod_fd(tx->loop, c->fd, true);
	}
	return 0;
}

static void conn_drain_out(struct tcp_conn *c)
{
	struct sb_sip_tx *tx = c->t->tx;
	ssize_t n = c->ops->write(c, c->wbuf, c->wlen);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_close(c);
		return;
	}
	memmove(c->wbuf, c->wbuf + n, c->wlen - (uint32_t)n);
	c->wlen -= (uint32_t)n;
	if (c->wlen == 0 && c->want_out) {
		c->want_out = false;
		sb_loop_mod_fd(tx->loop, c->fd, false);
	}
}

static struct tcp_conn *conn_alloc(struct sb_sip_tcp *t)
{
	for (unsigned j = 0; j < t->max && t->n_open < t->max; j++) {
		unsigned i = (t->hint + j) % t->max;

		if (t->conns[i].fd < 0) {
			t->hint = (i + 1) % t->max;
			return &t->conns[i];
		}
	}
	return NULL;
}

static void on_conn(void *arg, uint32_t events);
static void on_idle_timer(struct sb_timer *tm, void *arg);

/* A connection slot goes live: fd is connected or connecting. */
static int conn_start(struct sb_sip_tcp *t, struct tcp_conn *c, int fd, unsigned sock,
		      const struct sb_sip_addr *peer, bool connecting)
{
	struct sb_sip_tx *tx = t->tx;
	int one = 1, rc;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->gen++;
	c->sock = (uint8_t)sock;
	c->in_rx = c->closing = c->want_out = false;
	c->connecting = connecting;
	c->peer = *peer;
	c->t = t;
	c->slot = (uint32_t)(c - t->conns);
	c->ops = &tcp_ops;
	c->last_ms = sb_loop_now_ms(tx->loop);
	rc = sb_loop_add_fd(tx->loop, fd, on_conn, c);
	if (rc < 0) {
		c->fd = -1;
		return rc;
	}
	t->n_open++;
	sb_timer_init(&c->t_idle, on_idle_timer, c);
	sb_timer_arm(tx->loop, &c->t_idle, tx->prm.tcp_idle_ms);
	if (connecting) {
		c->want_out = true; /* writable = connected (or failed) */
		sb_loop_mod_fd(tx->loop, fd, true);
	}
	return 0;
}

/* An open connection to `to` on listener sock, or a new one. */
static struct tcp_conn *conn_to(struct sb_sip_tx *tx, unsigned sock, const struct sb_sip_addr *to)
{
	struct sb_sip_tcp *t = tx->tcp;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct tcp_conn *c;
	int fd;

	if (t == NULL || tx->loop == NULL || to == NULL || to->ip == 0 || to->port == 0)
		return NULL;
	/* a scan, but only on this fallback path */
	for (unsigned i = 0; i < t->max; i++) {
		c = &t->conns[i];
		if (c->fd >= 0 && !c->closing && c->sock == sock && c->peer.ip == to->ip &&
		    c->peer.port == to->port)
			return c;
	}
	c = conn_alloc(t);
	if (c == NULL)
		return NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	/* from the listener's address, so the peer sees the address it knows */
	sa.sin_addr.s_addr = tx->socks[sock].local.ip;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out_close;
	sa.sin_addr.s_addr = to->ip;
	sa.sin_port = htons(to->port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		goto out_close;
	if (conn_start(t, c, fd, sock, to, true) < 0)
		goto out_close;
	tx->cnt.tcp_connects++;
	return c;

out_close:
	tx->cnt.tcp_connect_failed++;
	close(fd);
	return NULL;
}

int sb_sip_tcp_send(struct sb_sip_tx *tx, uint32_t flow, const struct sb_sip_addr *to,
		    const void *buf, size_t len)
{
	struct tcp_conn *c = conn_of(tx, flow);
	int rc;

	if (c == NULL) {
		tx->cnt.tx_no_conn++;
		c = conn_to(tx, SB_SIP_FLOW_SOCK(flow), to);
	}
	if (c == NULL) {
		tx->cnt.tx_errors++;
		return -ENOTCONN;
	}
	if (len > tx->prm.max_msg) {
		tx->cnt.tx_errors++;
		return -EMSGSIZE;
	}
	rc = conn_write(c, buf, (uint32_t)len);
	if (rc < 0) {
		tx->cnt.tx_errors++;
		return rc;
	}
	tx->cnt.tx_pkts++;
	c->last_ms = sb_loop_now_ms(tx->loop);
	return 0;
}

bool sb_sip_tcp_is_alive(const struct sb_sip_tx *tx, uint32_t flow)
{
	return conn_of(tx, flow) != NULL;
}

/* ---- input ---- */

/* A message that cannot be framed: 400 when a response can be formed. */
static void reject_frame(struct tcp_conn *c, const char *hdr, uint32_t hdr_len, const char *why)
{
	struct sb_sip_msg m;
	char mem[4096];
	struct sb_buf b;

	sb_sip_msg_parse(&m, hdr, hdr + hdr_len);
	if (!m.is_request || m.method == SB_SIP_ACK || m.first[SB_HDR_VIA] < 0)
		return;
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sip_write_response(&b, &m, &c->peer, 400, why, NULL, NULL, NULL, SB_STR_EMPTY);
	if (sb_buf_ok(&b))
		conn_write(c, b.p, b.len);
}

static void conn_frames(struct tcp_conn *c)
{
	struct sb_sip_tx *tx = c->t->tx;
	uint32_t off = 0;

	c->in_rx = true;
	while (!c->closing && off < c->rlen) {
		uint32_t hl, crlf = 0;
		const char *why;
		int r;

		/* RFC 5626 keep-alive: CRLFCRLF ping gets a CRLF pong */
		while (off + 1 < c->rlen && c->rbuf[off] == '\r' && c->rbuf[off + 1] == '\n') {
			off += 2;
			crlf++;
		}
		if (crlf >= 2)
			conn_write(c, "\r\n", 2);
		if (off >= c->rlen || c->closing)
			break;
		r = sb_sip_frame(c->rbuf + off, c->rlen - off, tx->prm.max_msg, &hl, &why);
		if (r == 0)
			break;
		if (r < 0) {
			char a[32];

			sb_sip_addr_fmt(&c->peer, a, sizeof(a));
			sb_info("sip: tcp %s: %s; closing", a, why);
			if (r == -EBADMSG) {
				tx->cnt.tcp_bad_frame++;
				reject_frame(c, c->rbuf + off, hl, why);
			} else {
				tx->cnt.tcp_oversize++;
			}
			c->closing = true;
			break;
		}
		tx->cnt.tcp_rx_msgs++;
		tx->on_msg(tx->arg, conn_flow(c), &c->peer, c->rbuf + off, (uint32_t)r);
		off += (uint32_t)r;
	}
	c->in_rx = false;
	if (c->closing) {
		conn_free(c);
		return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void conn_read(struct tcp_conn *c)
{
	struct sb_sip_tx *tx = c->t->tx;
	uint32_t max = tx->prm.max_msg;

	for (int k = 0; k < READ_BURST && c->fd >= 0; k++) {
		ssize_t n;

		if (c->rlen == c->rcap) {
			uint32_t cap = c->rcap ? c->rcap * 2 : RBUF_START;
			char *p;

			if (cap > max)
				cap = max;
			if (cap <= c->rlen) { /* cannot happen: the framer caps at max */
				tx->cnt.tcp_oversize++;
				conn_close(c);
				return;
			}
			p = realloc(c->rbuf, cap);
			if (p == NULL) {
				conn_close(c);
				return;
			}
			c->rbuf = p;
			c->rcap = cap;
		}
		n = c->ops->read(c, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0) { /* peer closed; a partial message dies with it */
			conn_close(c);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		c->rlen += (uint32_t)n;
		c->last_ms = sb_loop_now_ms(tx->loop);
		conn_frames(c); /* may free c: fd becomes -1 */
	}
}

static void on_conn(void *arg, uint32_t events)
{
	struct tcp_conn *c = arg;

	if (c->fd < 0)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t sl = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err != 0) {
			c->t->tx->cnt.tcp_connect_failed++;
			conn_close(c); /* what was queued dies with it */
			return;
		}
		c->connecting = false;
		if (c->wlen == 0) {
			c->want_out = false;
			sb_loop_mod_fd(c->t->tx->loop, c->fd, false);
		}
	}
	if ((events & EPOLLOUT) && c->wlen)
		conn_drain_out(c);
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_read(c);
}

static void on_idle_timer(struct sb_timer *tm, void *arg)
{
	struct tcp_conn *c = arg;
	struct sb_sip_tx *tx = c->t->tx;
	uint64_t now = sb_loop_now_ms(tx->loop), idle = tx->prm.tcp_idle_ms;

	if (now - c->last_ms >= idle) {
		char a[32];

		sb_sip_addr_fmt(&c->peer, a, sizeof(a));
		sb_dbg("sip: tcp %s idle for %llu ms; closing", a, (unsigned long long)idle);
		tx->cnt.tcp_idle_closed++;
		conn_close(c);
		return;
	}
	sb_timer_arm(tx->loop, tm, c->last_ms + idle - now);
}

static void on_listener(void *arg, uint32_t events)
{
	struct lst_ctx *x = arg;
	struct sb_sip_tcp *t = x->t;
	struct sb_sip_tx *tx = t->tx;

	(void)events;
	for (int k = 0; k < ACCEPT_BURST; k++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		struct sb_sip_addr peer;
		struct tcp_conn *c;
		int fd;

		fd = accept4(tx->socks[x->sock].tcp_fd, (struct sockaddr *)&sa, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		peer = (struct sb_sip_addr){ sa.sin_addr.s_addr, ntohs(sa.sin_port) };
		c = conn_alloc(t);
		if (c == NULL || conn_start(t, c, fd, x->sock, &peer, false) < 0) {
			tx->cnt.tcp_refused++;
			close(fd);
			continue;
		}
		tx->cnt.tcp_accepted++;
	}
}

int sb_sip_tcp_attach(struct sb_sip_tx *tx)
{
	struct sb_sip_tcp *t = tx->tcp;

	if (t == NULL)
		return 0;
	for (unsigned i = 0; i < tx->n; i++) {
		int rc;

		t->lst[i] = (struct lst_ctx){ t, i };
		rc = sb_loop_add_fd(tx->loop, tx->socks[i].tcp_fd, on_listener, &t->lst[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

unsigned sb_sip_tcp_open_conns(const struct sb_sip_tx *tx)
{
	return tx->tcp ? tx->tcp->n_open : 0;
}
