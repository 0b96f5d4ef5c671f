/* SPDX-License-Identifier: MIT */
/*
 * sip/tx.h — SIP transports (RFC 3261 §18): UDP and TCP on every configured
 * listen address (IPv4 for now).
 *
 * UDP is batched both ways: each wakeup of a UDP socket reads up to
 * SB_SIP_UDP_BATCH datagrams with one recvmmsg(); sends are queued and
 * leave with one sendmmsg() per socket at the end of the loop iteration (an
 * idle hook of the loop) or when the queue fills.
 *
 * TCP (sip/tcp.c) frames messages by Content-Length (sip/frame.c): partial
 * reads, several messages in one read and messages split across reads are
 * all handled; a message without a usable Content-Length gets 400 and the
 * connection is closed; one larger than max_msg closes it.  Limits: at most
 * tcp_max_conns connections (further ones are accepted and closed at once),
 * max_msg bytes buffered for reading and for writing per connection, and an
 * idle timeout.
 *
 * A flow names where a message came from and how to answer it: the listen
 * address (its index) and, for a stream transport, the connection (slot and
 * generation, so a handle of a closed connection never reaches a new one).
 * For UDP the flow IS the listener index, so code that stored "the socket a
 * message came in on" as an unsigned keeps working and now also carries the
 * TCP connection (a send on a flow whose connection is gone falls back to a
 * connection to the destination address).  TLS fits as one more stream transport: same flow layout
 * (SB_SIP_PROTO_TLS), its own read/write ops in the connection (tcp.c).
 */
#ifndef SB_SIP_TX_H
#define SB_SIP_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_SIP_MAX_SOCKS 8
#define SB_SIP_UDP_BATCH 32       /* datagrams per recvmmsg()/sendmmsg() */
#define SB_SIP_UDP_MAX   65535u   /* largest datagram accepted */

struct sb_loop;

struct sb_sip_addr {
	uint32_t ip;   /* network order */
	uint16_t port; /* host order */
};

enum sb_sip_proto { SB_SIP_PROTO_UDP = 0, SB_SIP_PROTO_TCP = 1, SB_SIP_PROTO_TLS = 2 };

/* flow = listener (4 bits) | proto (2) | connection slot (14) | generation (12) */
#define SB_SIP_FLOW_SOCK(f)  ((unsigned)(f) & 0xfu)
#define SB_SIP_FLOW_PROTO(f) (((unsigned)(f) >> 4) & 0x3u)
#define SB_SIP_FLOW_SLOT(f)  (((unsigned)(f) >> 6) & 0x3fffu)
#define SB_SIP_FLOW_GEN(f)   (((unsigned)(f) >> 20) & 0xfffu)
#define SB_SIP_FLOW_MK(sock, proto, slot, gen)                                  \
	((uint32_t)(sock) | ((uint32_t)(proto) << 4) | ((uint32_t)(slot) << 6) |  \
	 ((uint32_t)(gen) << 20))
#define SB_SIP_TCP_MAX_CONNS 16384u /* what the slot bits can name */

static inline bool sb_sip_flow_is_stream(uint32_t flow)
{
	return SB_SIP_FLOW_PROTO(flow) != SB_SIP_PROTO_UDP;
}

/* "UDP", "TCP" or "TLS", as written in Via */
const char *sb_sip_flow_proto_name(uint32_t flow);

struct sb_sip_sock {
	int fd;      /* UDP */
	int tcp_fd;  /* TCP listener; -1 when TCP is off */
	struct sb_sip_addr local;
};

struct sb_sip_tx_params {
	bool tcp;                /* also listen on TCP (same address and port) */
	unsigned tcp_max_conns;  /* 0: 1024 */
	uint32_t tcp_idle_ms;    /* 0: 3700 s (config default: above registrations) */
	uint32_t max_msg;        /* per-connection buffer limit; 0: 65535 */
};

struct sb_sip_tx_cnt {
	uint64_t rx_pkts, rx_batches, rx_trunc;   /* UDP */
	uint64_t tx_pkts, tx_batches, tx_errors;  /* UDP + TCP (tx_batches: UDP) */
	uint64_t tcp_accepted, tcp_refused, tcp_closed, tcp_idle_closed;
	uint64_t tcp_rx_msgs, tcp_bad_frame, tcp_oversize, tcp_tx_overflow;
	uint64_t tx_no_conn;     /* sends to a stream flow whose connection is gone */
	uint64_t tcp_connects, tcp_connect_failed; /* ours, for those sends */
};

/* Receives one message (UDP datagram or framed stream message).  buf is
 * valid during the call only. */
typedef void sb_sip_rx_cb(void *arg, uint32_t flow, const struct sb_sip_addr *src,
			  const char *buf, uint32_t len);

struct udp_txq;
struct udp_rx_ctx;
struct sb_sip_tcp;

struct sb_sip_tx {
	unsigned n;
	struct sb_sip_sock socks[SB_SIP_MAX_SOCKS];
	struct sb_sip_tx_params prm;
	struct sb_loop *loop;     /* NULL until attached: sends go out at once */
	sb_sip_rx_cb *on_msg;
	void *arg;
	char *rx_mem;             /* SB_SIP_UDP_BATCH x (SB_SIP_UDP_MAX + 1) */
	struct udp_rx_ctx *rxc;   /* per listener, for the loop callbacks */
	struct udp_txq *txq;
	struct sb_sip_tcp *tcp;
	struct sb_sip_tx_cnt cnt;
	uint64_t tx_pkts;         /* == cnt.tx_pkts (kept for older readers) */
	uint64_t tx_errors;
};

/* Bind one non-blocking UDP socket per address (and a TCP listener when
 * p->tcp).  0 or -errno (everything closed).  p NULL: UDP only. */
int sb_sip_tx_open_ex(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n,
		      const struct sb_sip_tx_params *p);
int sb_sip_tx_open(struct sb_sip_tx *tx, const struct sb_sip_addr *addrs, unsigned n);
void sb_sip_tx_close(struct sb_sip_tx *tx);

/* Register the sockets with the loop; every received message goes to
 * on_msg.  UDP sends are batched from now on.  0 or -errno. */
int sb_sip_tx_attach(struct sb_sip_tx *tx, struct sb_loop *loop, sb_sip_rx_cb *on_msg,
		     void *arg);

/* Send one message on a flow: UDP to `to` from the flow's socket (queued
 * while attached), stream flows on their connection, or when it is gone
 * on a connection to `to` (an open one, or a new one: tcp.c).
 * 0 or -errno: -EINVAL bad flow, -ENOTCONN no connection and none could be
 * opened, -EMSGSIZE, -ENOBUFS (stream output over its limit: closed). */
int sb_sip_tx_send(struct sb_sip_tx *tx, uint32_t flow, const struct sb_sip_addr *to,
		   const void *buf, size_t len);
/* Send the queued UDP datagrams now (sendmmsg per socket). */
void sb_sip_tx_flush(struct sb_sip_tx *tx);

/* The local address of the flow's listener; NULL for a bad flow. */
const struct sb_sip_addr *sb_sip_flow_local(const struct sb_sip_tx *tx, uint32_t flow);
/* Stream flows: is the connection still open? UDP: true. */
bool sb_sip_flow_is_alive(const struct sb_sip_tx *tx, uint32_t flow);

/* Open stream connections. */
unsigned sb_sip_tcp_open_conns(const struct sb_sip_tx *tx);

/* One datagram without the loop (tests); bytes, or -EAGAIN when none. */
ssize_t sb_sip_tx_recv(struct sb_sip_tx *tx, unsigned sock, void *buf, size_t cap,
		       struct sb_sip_addr *from);

/* "a.b.c.d:port" into out (>= 22 bytes). */
void sb_sip_addr_fmt(const struct sb_sip_addr *a, char *out, size_t len);

#endif
