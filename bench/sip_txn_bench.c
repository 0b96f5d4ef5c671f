/* SPDX-License-Identifier: MIT */
/*
 * sip_txn_bench — the control plane's SIP plumbing, side by side with what
 * it replaced, in one run:
 *
 *  timers   arm + cancel of N timers with random delays (0..60 s): the
 *           hashed wheel (control/loop.c) against the sorted list the
 *           foundation had (O(n) insert), ns per arm+cancel pair
 *  udp      OPTIONS transactions answered 200 on 127.0.0.1 through the
 *           transaction layer: batched transport (recvmmsg, sendmmsg at the
 *           end of each iteration) against one recvfrom + one sendto per
 *           message (the foundation's loop); a client thread keeps a
 *           window of W requests in flight; transactions/s (bounded by
 *           the client on a small box), server CPU per transaction and
 *           syscalls per transaction
 *
 *   sip_txn_bench [--timers N] [--txns N] [--window W]
 *
 * Prints a table, then one JSON object on the last line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "sip/txn.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- timers ---- */

static uint64_t fake_ms;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_ms;
}

static void nop_cb(struct sb_timer *t, void *arg)
{
	(void)t;
	(void)arg;
}

/* the foundation's timer list: sorted by deadline, O(n) insert */
struct ltimer {
	uint64_t due;
	struct ltimer *prev, *next;
	int armed;
};

static struct ltimer *lhead;

static void list_cancel(struct ltimer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		lhead = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = 0;
}

static void list_arm(struct ltimer *t, uint64_t due)
{
	struct ltimer *it, *prev = NULL;

	list_cancel(t);
	t->due = due;
	for (it = lhead; it && it->due <= due; it = it->next)
		prev = it;
	t->prev = prev;
	t->next = it;
	if (prev)
		prev->next = t;
	else
		lhead = t;
	if (it)
		it->prev = t;
	t->armed = 1;
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* N timers armed, then N re-arms (cancel + arm) at random: ns per re-arm */
static void bench_timers(unsigned n, double *wheel_ns, double *list_ns)
{
	struct sb_loop_params lp = { .clock = fake_clock };
	struct sb_loop *l = sb_loop_create_ex(&lp);
	struct sb_timer *w = calloc(n, sizeof(*w));
	struct ltimer *s = calloc(n, sizeof(*s));
	unsigned ops = n < 20000 ? 4 * n : n;
	uint64_t t0;

	if (l == NULL || w == NULL || s == NULL)
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		sb_timer_init(&w[i], nop_cb, NULL);
		sb_timer_arm(l, &w[i], rnd() % 60000);
		list_arm(&s[i], rnd() % 60000);
	}
	t0 = now_ns();
	for (unsigned k = 0; k < ops; k++) {
		unsigned i = (unsigned)(rnd() % n);

		sb_timer_cancel(l, &w[i]);
		sb_timer_arm(l, &w[i], rnd() % 60000);
	}
	*wheel_ns = (double)(now_ns() - t0) / ops;
	t0 = now_ns();
	for (unsigned k = 0; k < ops; k++) {
		unsigned i = (unsigned)(rnd() % n);

		list_cancel(&s[i]);
		list_arm(&s[i], rnd() % 60000);
	}
	*list_ns = (double)(now_ns() - t0) / ops;
	for (unsigned i = 0; i < n; i++)
		sb_timer_cancel(l, &w[i]);
	sb_loop_free(l);
	free(w);
	free(s);
}

/* ---- UDP transactions ---- */

struct client {
	uint16_t server_port;
	unsigned txns, window;
	atomic_uint answered;
	uint64_t ns;
	int fd;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[2048], msg[1024];
	unsigned sent = 0, got = 0;
	uint64_t t0 = now_ns();

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(c->server_port);
	while (got < c->txns) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		while (sent < c->txns && sent - got < c->window) {
			int n = snprintf(msg, sizeof(msg),
					 "OPTIONS sip:sb@127.0.0.1 SIP/2.0\r\n"
					 "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKb%u;rport\r\n"
					 "Max-Forwards: 70\r\nFrom: <sip:b@127.0.0.1>;tag=b\r\n"
					 "To: <sip:sb@127.0.0.1>\r\nCall-ID: bench-%u\r\n"
					 "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", sent, sent);
			if (sendto(c->fd, msg, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) == n)
				sent++;
			else
				break;
		}
		if (poll(&p, 1, 1000) != 1) {
			/* lost on a full socket buffer: count it answered, go on */
			got = sent;
			continue;
		}
		while (recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
		atomic_store(&c->answered, got);
	}
	c->ns = now_ns() - t0;
	return NULL;
}

static struct sb_txl *TXL;

static void on_req(void *arg, struct sb_stx *st, const struct sb_sip_msg *m)
{
	(void)arg;
	(void)m;
	sb_stx_reply(st, 200, NULL, NULL, NULL, SB_STR_EMPTY);
}

static const struct sb_txl_tu tu = { .on_request = on_req };

static void on_msg(void *arg, uint32_t flow, const struct sb_sip_addr *src, const char *buf,
		   uint32_t len)
{
	struct sb_sip_msg m;

	(void)arg;
	if (sb_sip_msg_parse(&m, buf, buf + len) == 0)
		sb_txl_on_msg(TXL, &m, flow, src);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct udp_result {
	double tps;
	double cpu_us;   /* server thread CPU per transaction */
	uint64_t rx_calls, tx_calls;
	unsigned lost;
};

static void bench_udp(bool batched, unsigned txns, unsigned window, struct udp_result *r)
{
	struct sb_sip_addr a = { htonl(INADDR_LOOPBACK), 0 };
	struct sockaddr_in ca = { .sin_family = AF_INET };
	struct sb_sip_tx tx;
	struct sb_loop *l = sb_loop_create();
	struct sb_rand rnd_tok;
	struct client c = { .txns = txns, .window = window };
	pthread_t th;
	static char buf[65536];
	uint64_t reads = 0, cpu0;

	sb_rand_seed(&rnd_tok);
	if (l == NULL || sb_sip_tx_open(&tx, &a, 1) < 0)
		exit(1);
	TXL = sb_txl_create(l, &tx, &rnd_tok, NULL, &tu, NULL);
	if (batched && sb_sip_tx_attach(&tx, l, on_msg, NULL) < 0)
		exit(1);
	c.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ca.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(c.fd, (struct sockaddr *)&ca, sizeof(ca)) < 0)
		exit(1);
	c.server_port = tx.socks[0].local.port;
	pthread_create(&th, NULL, client_main, &c);
	cpu0 = thread_cpu_ns();
	while (atomic_load(&c.answered) < txns) {
		if (batched) {
			sb_loop_run_once(l, 10);
			continue;
		}
		/* the foundation's loop: one recvfrom per datagram, sendto
		 * straight from the handler (tx not attached) */
		struct pollfd p = { .fd = tx.socks[0].fd, .events = POLLIN };

		if (poll(&p, 1, 10) != 1) {
			sb_loop_run_timers(l);
			continue;
		}
		for (int i = 0; i < 64; i++) {
			struct sb_sip_addr from;
			ssize_t n = sb_sip_tx_recv(&tx, 0, buf, sizeof(buf), &from);

			reads++;
			if (n < 0)
				break;
			on_msg(NULL, 0, &from, buf, (uint32_t)n);
		}
		sb_loop_run_timers(l);
	}
	r->cpu_us = (double)(thread_cpu_ns() - cpu0) / 1e3 / txns;
	pthread_join(th, NULL);
	r->tps = (double)txns / ((double)c.ns / 1e9);
	r->rx_calls = batched ? tx.cnt.rx_batches : reads;
	r->tx_calls = batched ? tx.cnt.tx_batches : tx.cnt.tx_pkts + tx.cnt.tx_errors;
	r->lost = txns - (unsigned)sb_txl_counters(TXL)->stx_created;
	close(c.fd);
	sb_txl_free(TXL);
	sb_sip_tx_close(&tx);
	sb_loop_free(l);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timers", required_argument, NULL, 't' },
		{ "txns", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned n_timers = 10000, txns = 100000, window = 64;
	double wheel_ns, list_ns;
	struct udp_result b, u;
	int o;

	while ((o = getopt_long(argc, argv, "t:n:w:", opts, NULL)) != -1) {
		switch (o) {
		case 't': n_timers = (unsigned)atoi(optarg); break;
		case 'n': txns = (unsigned)atoi(optarg); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sip_txn_bench [--timers N] [--txns N] [--window W]\n");
			return 2;
		}
	}
	if (n_timers == 0 || txns == 0 || window == 0)
		return 2;
	bench_timers(n_timers, &wheel_ns, &list_ns);
	bench_udp(false, txns, window, &u);
	bench_udp(true, txns, window, &b);

	printf("%-44s %14s %14s %8s\n", "", "switchboard", "reference", "ratio");
	printf("%-44s %14.1f %14.1f %8.1f\n", "timer re-arm, ns (wheel vs sorted list)", wheel_ns,
	       list_ns, list_ns / wheel_ns);
	printf("%-44s %14.0f %14.0f %8.2f\n", "OPTIONS transactions/s (batched vs per-msg)", b.tps,
	       u.tps, b.tps / u.tps);
	printf("%-44s %14.2f %14.2f %8.2f\n", "server CPU us per transaction", b.cpu_us, u.cpu_us,
	       u.cpu_us / b.cpu_us);
	printf("%-44s %14.2f %14.2f %8.2f\n", "receive syscalls per transaction",
	       (double)b.rx_calls / txns, (double)u.rx_calls / txns,
	       (double)u.rx_calls / (double)(b.rx_calls ? b.rx_calls : 1));
	printf("%-44s %14.2f %14.2f %8.2f\n", "send syscalls per transaction",
	       (double)b.tx_calls / txns, (double)u.tx_calls / txns,
	       (double)u.tx_calls / (double)(b.tx_calls ? b.tx_calls : 1));
	printf("(%u timers armed; %u transactions, window %u; lost %u / %u)\n", n_timers, txns,
	       window, b.lost, u.lost);
	printf("{\"timers\":%u,\"wheel_rearm_ns\":%.1f,\"list_rearm_ns\":%.1f,"
	       "\"txns\":%u,\"window\":%u,\"batched_tps\":%.0f,\"permsg_tps\":%.0f,"
	       "\"ratio_tps\":%.2f,\"batched_cpu_us_per_txn\":%.2f,\"permsg_cpu_us_per_txn\":%.2f,\"batched_rx_calls_per_txn\":%.3f,\"permsg_rx_calls_per_txn\":%.3f,"
	       "\"batched_tx_calls_per_txn\":%.3f,\"permsg_tx_calls_per_txn\":%.3f,"
	       "\"batched_lost\":%u,\"permsg_lost\":%u}\n",
	       n_timers, wheel_ns, list_ns, txns, window, b.tps, u.tps, b.tps / u.tps,
	       b.cpu_us, u.cpu_us, (double)b.rx_calls / txns, (double)u.rx_calls / txns, (double)b.tx_calls / txns,
	       (double)u.tx_calls / txns, b.lost, u.lost);
	return 0;
}
