/* SPDX-License-Identifier: MIT */
/* sip_transport_t — sip/tx.c and sip/tcp.c on real sockets on 127.0.0.1,
 * the loop on a fake clock:
 *
 *  1. UDP: 20 datagrams waiting are read by one recvmmsg() in one wakeup
 *     (rx_batches + 1), and the 20 answers sent from the callbacks leave in
 *     one sendmmsg() at the end of the iteration (tx_batches + 1)
 *  2. TCP framing: a message split over three writes is delivered once,
 *     whole; two messages in one write are two messages; a message plus
 *     the start of the next, then the rest; CRLFCRLF ping gets a CRLF pong
 *  3. answers go back on the same connection (flow names it)
 *  4. missing Content-Length -> 400 naming it, then the connection closes;
 *     Content-Length above the limit -> closed; a header block that never
 *     ends -> closed at the limit
 *  5. at most tcp_max_conns connections: the next one is closed at once
 *  6. idle timeout (fake clock), reset by traffic
 *  7. a flow whose connection closed: -ENOTCONN, also after the slot is
 *     reused by a new connection (generation)
 *  8. ... unless a destination is given: then a connection to it is opened
 *     (non-blocking, output queued until connected) and reused; a refused
 *     connect is counted */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "sip/tx.h"
#include "test.h"

static uint64_t now_ms = 5000;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return now_ms;
}

#define MAXM 64
static struct {
	unsigned n;
	uint32_t flow[MAXM];
	uint32_t len[MAXM];
	char buf[MAXM][2100];
	bool echo; /* answer each with "OK <n>" on its flow */
} R;

static struct sb_sip_tx TX;
static struct sb_loop *L;

static void on_msg(void *arg, uint32_t flow, const struct sb_sip_addr *src, const char *buf,
		   uint32_t len)
{
	(void)arg;
	T_ASSERT(R.n < MAXM && len < sizeof(R.buf[0]));
	R.flow[R.n] = flow;
	R.len[R.n] = len;
	memcpy(R.buf[R.n], buf, len);
	R.buf[R.n][len] = '\0';
	if (R.echo) {
		char out[32];
		int n = snprintf(out, sizeof(out), "OK %u", R.n);

		T_ASSERT(sb_sip_tx_send(&TX, flow, src, out, (size_t)n) == 0);
	}
	R.n++;
}

static void spin(int rounds)
{
	for (int i = 0; i < rounds; i++)
		T_ASSERT(sb_loop_run_once(L, 0) == 0);
}

static int tcp_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	T_ASSERT(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(TX.socks[0].local.port);
	T_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	spin(2); /* accept */
	return fd;
}

static void tcp_write(int fd, const char *s)
{
	T_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	usleep(2000);
	spin(3);
}

/* bytes waiting on a client socket (0: closed by the server, -1: none) */
static int tcp_read(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 200) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n < 0)
		return errno == ECONNRESET ? 0 : -1;
	buf[n] = '\0';
	return (int)n;
}

#define MSG(cid, body)                                                           \
	"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK" \
	cid "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: " cid          \
	"\r\nCSeq: 1 OPTIONS\r\nContent-Length: " #body "\r\n\r\n"

int main(void)
{
	struct sb_loop_params lp = { .clock = fake_clock };
	struct sb_sip_tx_params prm = { .tcp = true, .tcp_max_conns = 3, .tcp_idle_ms = 1000,
					.max_msg = 2048 };
	struct sb_sip_addr a = { htonl(INADDR_LOOPBACK), 0 };
	char buf[4096];
	int fd, fd2;

	L = sb_loop_create_ex(&lp);
	T_ASSERT(L != NULL);
	T_ASSERT(sb_sip_tx_open_ex(&TX, &a, 1, &prm) == 0);
	T_ASSERT(sb_sip_tx_attach(&TX, L, on_msg, NULL) == 0);
	T_ASSERT(TX.socks[0].tcp_fd >= 0);

	/* 1. UDP batches both ways */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		uint64_t rxb = TX.cnt.rx_batches, txb = TX.cnt.tx_batches;
		unsigned got = 0;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons(TX.socks[0].local.port);
		for (int i = 0; i < 20; i++) {
			int n = snprintf(buf, sizeof(buf), "datagram %d", i);
			T_ASSERT(sendto(u, buf, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) == n);
		}
		R.n = 0;
		R.echo = true;
		spin(1);
		T_ASSERT_EQ_U64(R.n, 20);
		T_ASSERT_EQ_U64(TX.cnt.rx_batches, rxb + 1);
		T_ASSERT_EQ_U64(TX.cnt.tx_batches, txb + 1);
		T_ASSERT(strcmp(R.buf[19], "datagram 19") == 0 && R.flow[19] == 0);
		for (int i = 0; i < 20; i++) {
			struct pollfd p = { .fd = u, .events = POLLIN };
			char exp[32];

			if (poll(&p, 1, 200) != 1)
				break;
			T_ASSERT(recv(u, buf, sizeof(buf) - 1, 0) > 0);
			snprintf(exp, sizeof(exp), "OK %d", i);
			T_ASSERT(strncmp(buf, exp, strlen(exp)) == 0);
			got++;
		}
		T_ASSERT_EQ_U64(got, 20);
		/* more than a batch waiting: one batch per wakeup */
		for (int i = 0; i < SB_SIP_UDP_BATCH + 5; i++)
			T_ASSERT(sendto(u, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) == 1);
		R.n = 0;
		R.echo = false;
		spin(1);
		T_ASSERT_EQ_U64(R.n, SB_SIP_UDP_BATCH);
		spin(1);
		T_ASSERT_EQ_U64(R.n, SB_SIP_UDP_BATCH + 5);
		close(u);
	}

	/* 2. TCP framing */
	fd = tcp_connect();
	T_ASSERT_EQ_U64(TX.cnt.tcp_accepted, 1);
	R.n = 0;
	R.echo = false;
	{
		const char *m = MSG("split", 5) "hello";
		size_t n = strlen(m);
		char part[1024];

		memcpy(part, m, 30);
		part[30] = '\0';
		tcp_write(fd, part);
		T_ASSERT_EQ_U64(R.n, 0);
		snprintf(part, sizeof(part), "%.*s", (int)(n - 30 - 3), m + 30);
		tcp_write(fd, part);
		T_ASSERT_EQ_U64(R.n, 0); /* body incomplete */
		tcp_write(fd, m + n - 3);
		T_ASSERT_EQ_U64(R.n, 1);
		T_ASSERT(R.len[0] == n && memcmp(R.buf[0], m, n) == 0);
		T_ASSERT(sb_sip_flow_is_stream(R.flow[0]));
		T_ASSERT(SB_SIP_FLOW_PROTO(R.flow[0]) == SB_SIP_PROTO_TCP);
		T_ASSERT(strcmp(sb_sip_flow_proto_name(R.flow[0]), "TCP") == 0);
	}
	tcp_write(fd, MSG("two-a", 0) MSG("two-b", 3) "abc");
	T_ASSERT_EQ_U64(R.n, 3);
	T_ASSERT(strstr(R.buf[1], "Call-ID: two-a") && strstr(R.buf[2], "Call-ID: two-b"));
	T_ASSERT(R.len[2] == strlen(MSG("two-b", 3) "abc"));
	tcp_write(fd, MSG("three-a", 0) "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP");
	T_ASSERT_EQ_U64(R.n, 4);
	tcp_write(fd, " 127.0.0.1:1;branch=z9hG4bKthree-b\r\nFrom: <sip:a@b>;tag=1\r\n"
		      "To: <sip:x@127.0.0.1>\r\nCall-ID: three-b\r\nCSeq: 1 OPTIONS\r\n"
		      "l: 0\r\n\r\n");
	T_ASSERT_EQ_U64(R.n, 5);
	T_ASSERT(strstr(R.buf[4], "Call-ID: three-b") != NULL);
	tcp_write(fd, "\r\n\r\n");
	T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == 2 && strcmp(buf, "\r\n") == 0);
	T_ASSERT_EQ_U64(R.n, 5);

	/* 3. answers on the same connection */
	R.echo = true;
	tcp_write(fd, MSG("echo", 0));
	T_ASSERT(tcp_read(fd, buf, sizeof(buf)) > 0 && strcmp(buf, "OK 5") == 0);
	R.echo = false;

	/* 4. framing errors */
	tcp_write(fd, "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKnl\r\n"
		      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: nolen\r\n"
		      "CSeq: 1 OPTIONS\r\n\r\n");
	T_ASSERT(tcp_read(fd, buf, sizeof(buf)) > 0);
	T_ASSERT(strncmp(buf, "SIP/2.0 400 Missing Content-Length\r\n", 36) == 0);
	T_ASSERT(strstr(buf, "Call-ID: nolen\r\n") != NULL);
	T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == 0); /* closed */
	T_ASSERT_EQ_U64(TX.cnt.tcp_bad_frame, 1);
	T_ASSERT_EQ_U64(R.n, 6);
	close(fd);

	fd = tcp_connect();
	tcp_write(fd, MSG("big", 100000));
	T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == 0);
	T_ASSERT_EQ_U64(TX.cnt.tcp_oversize, 1);
	close(fd);

	fd = tcp_connect();
	{
		char junk[1200];

		memset(junk, 'a', sizeof(junk) - 1);
		junk[sizeof(junk) - 1] = '\0';
		tcp_write(fd, "OPTIONS sip:x SIP/2.0\r\nX: ");
		tcp_write(fd, junk);
		T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == -1); /* still open */
		tcp_write(fd, junk);
		T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == 0);  /* 2048 bytes, no end */
		T_ASSERT_EQ_U64(TX.cnt.tcp_oversize, 2);
	}
	close(fd);
	spin(2);
	T_ASSERT_EQ_U64(sb_sip_tcp_open_conns(&TX), 0);

	/* 5. connection limit */
	{
		int c[4];

		for (int i = 0; i < 4; i++)
			c[i] = tcp_connect();
		T_ASSERT_EQ_U64(sb_sip_tcp_open_conns(&TX), 3);
		T_ASSERT_EQ_U64(TX.cnt.tcp_refused, 1);
		T_ASSERT(tcp_read(c[3], buf, sizeof(buf)) == 0);
		for (int i = 0; i < 4; i++)
			close(c[i]);
		spin(3);
		T_ASSERT_EQ_U64(sb_sip_tcp_open_conns(&TX), 0);
	}

	/* 6. idle timeout, reset by traffic; 7. stale flows */
	{
		uint32_t flow;
		struct sb_sip_addr none = { 0, 0 };

		fd = tcp_connect();
		R.n = 0;
		now_ms += 600;
		tcp_write(fd, MSG("alive", 0));
		T_ASSERT_EQ_U64(R.n, 1);
		flow = R.flow[0];
		T_ASSERT(sb_sip_flow_is_alive(&TX, flow));
		now_ms += 600; /* 1200 since accept, 600 since the message */
		sb_loop_run_timers(L);
		T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == -1);
		now_ms += 500;
		sb_loop_run_timers(L);
		T_ASSERT(tcp_read(fd, buf, sizeof(buf)) == 0);
		T_ASSERT_EQ_U64(TX.cnt.tcp_idle_closed, 1);
		T_ASSERT(!sb_sip_flow_is_alive(&TX, flow));
		T_ASSERT(sb_sip_tx_send(&TX, flow, &none, "x", 1) == -ENOTCONN);
		close(fd);

		/* the same slots again, new generations */
		fd = tcp_connect();
		fd2 = tcp_connect();
		tcp_write(fd, MSG("again", 0));
		tcp_write(fd2, MSG("again2", 0));
		T_ASSERT_EQ_U64(R.n, 3);
		T_ASSERT(R.flow[1] != flow && R.flow[2] != flow);
		T_ASSERT(sb_sip_tx_send(&TX, flow, &none, "x", 1) == -ENOTCONN);
		T_ASSERT(sb_sip_tx_send(&TX, R.flow[2], &none, "hi", 2) == 0);
		T_ASSERT(tcp_read(fd2, buf, sizeof(buf)) == 2 && strcmp(buf, "hi") == 0);
		T_ASSERT(TX.cnt.tx_no_conn >= 2);
		close(fd);
		close(fd2);
	}

	/* 8. a flow whose connection is gone, with a destination: a connection
	 *    to it is opened (once) and reused; what the peer sends on it
	 *    comes in like anything else */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		int lfd = socket(AF_INET, SOCK_STREAM, 0), afd;
		struct sb_sip_addr to;
		uint32_t dead = R.flow[1];
		char got[64] = "";
		int n = 0;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		T_ASSERT(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 4) == 0);
		T_ASSERT(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
		to = (struct sb_sip_addr){ htonl(INADDR_LOOPBACK), ntohs(sa.sin_port) };
		spin(3);
		T_ASSERT(!sb_sip_flow_is_alive(&TX, dead));
		T_ASSERT(sb_sip_tx_send(&TX, dead, &to, "one,", 4) == 0); /* queued: connecting */
		T_ASSERT(sb_sip_tx_send(&TX, dead, &to, "two", 3) == 0);
		T_ASSERT_EQ_U64(TX.cnt.tcp_connects, 1);
		afd = accept(lfd, NULL, NULL);
		T_ASSERT(afd >= 0);
		for (int i = 0; i < 50 && n < 7; i++) {
			int k;

			spin(1);
			k = tcp_read(afd, got + n, sizeof(got) - (size_t)n);
			if (k > 0)
				n += k;
		}
		T_ASSERT(n == 7 && strcmp(got, "one,two") == 0);
		T_ASSERT(sb_sip_tx_send(&TX, dead, &to, "!", 1) == 0);
		T_ASSERT_EQ_U64(TX.cnt.tcp_connects, 1); /* reused */
		T_ASSERT(tcp_read(afd, got, sizeof(got)) == 1 && got[0] == '!');
		R.n = 0;
		T_ASSERT(write(afd, MSG("back", 0), strlen(MSG("back", 0))) > 0);
		usleep(2000);
		spin(3);
		T_ASSERT(R.n == 1 && strstr(R.buf[0], "Call-ID: back") != NULL);
		T_ASSERT(sb_sip_tx_send(&TX, R.flow[0], NULL, "ok", 2) == 0);
		T_ASSERT(tcp_read(afd, got, sizeof(got)) == 2);
		/* nobody listening: the connect fails, counted */
		close(lfd);
		close(afd);
		spin(3);
		T_ASSERT(sb_sip_tx_send(&TX, dead, &to, "x", 1) == 0);
		for (int i = 0; i < 20 && TX.cnt.tcp_connect_failed == 0; i++) {
			usleep(1000);
			spin(1);
		}
		T_ASSERT_EQ_U64(TX.cnt.tcp_connect_failed, 1);
	}

	sb_sip_tx_close(&TX);
	sb_loop_free(L);
	return 0;
}
