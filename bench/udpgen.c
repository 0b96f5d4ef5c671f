/* SPDX-License-Identifier: MIT */
/*
 * udpgen — RTP traffic generator and sink for the relay_veth benchmark.
 *
 * One process per side (callers or agents), one UDP socket: it sends N
 * streams of RTP (12-byte header + PAYLOAD bytes, default 160 = 20 ms of
 * G.711) at PPS packets per second each, stream i to the i-th address of
 * --dests, with SSRC = SSRC_BASE + i and its own sequence numbers; and it
 * receives what the relay forwards from the other side, identified by
 * SSRC = PEER_SSRC_BASE + j, counting packets per stream, sequence gaps,
 * duplicates and the one-way latency (the first 8 payload bytes carry the
 * CLOCK_MONOTONIC send time; both sides run on the same host).
 *
 * Packets of all streams are spread evenly in time (packet g is due at
 * start + g / (N * PPS) s), sent with sendmmsg in batches every --tick-us,
 * and received with recvmmsg after each batch: two system calls per tick,
 * so the generator costs little next to the relay it measures.  When it
 * falls behind, it sends what is due as fast as it can; whatever is still
 * unsent at the end is reported as "unsent" (the generator hit its cap).
 *
 *   udpgen --bind IP:PORT --dests FILE --ssrc-base X --peer-ssrc-base Y
 *          [--pps 50] [--payload 160] [--duration-ms 5000] [--drain-ms 500]
 *          [--start-mono-ns T] [--tick-us 250] [--peer-streams M]
 *   udpgen --tsc-hz          measure the TSC frequency (Hz) and print it
 *
 * Prints one JSON object on one line at the end.  Exit 0, 1 on a runtime
 * error, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     64u
#define RTP_HDR   12u
#define MAX_PAY   1400u
#define LAT_BINS  256u /* quarter-octave buckets of nanoseconds */

struct gen_cfg {
	struct sockaddr_in bind;
	const char *dests;
	uint32_t ssrc_base, peer_ssrc_base;
	uint32_t pps, payload, duration_ms, drain_ms, tick_us, peer_streams;
	uint64_t start_ns;
};

struct sink_stream {
	uint32_t rx;
	uint32_t dup_or_late; /* seq <= highest seen */
	int32_t max_seq;      /* -1: nothing yet */
};

struct gen {
	struct gen_cfg c;
	int fd;
	uint32_t n;                   /* streams sent */
	struct sockaddr_in *dst;      /* [n] */
	uint16_t *seq;                /* [n] next sequence number */
	struct sink_stream *rx;       /* [peer_streams] */
	uint8_t txbuf[BATCH][RTP_HDR + MAX_PAY];
	uint8_t rxbuf[BATCH][2048];
	uint64_t sent, send_err, recv, foreign, short_pkts;
	uint64_t lat[LAT_BINS];
	uint64_t lat_n;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "A.B.C.D:PORT" */
static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	uint32_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &a->sin_addr) != 1 || parse_u32(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	a->sin_port = htons((uint16_t)port);
	return 0;
}

/* One destination per line; errors name FILE:LINE. */
static int load_dests(struct gen *g)
{
	FILE *f = fopen(g->c.dests, "r");
	char line[128];
	uint32_t cap = 0, lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "udpgen: %s: %s\n", g->c.dests, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (g->n == cap) {
			uint32_t ncap = cap ? cap * 2 : 1024;
			struct sockaddr_in *nd = realloc(g->dst, ncap * sizeof(*nd));

			if (nd == NULL) {
				fclose(f);
				return -ENOMEM;
			}
			g->dst = nd;
			cap = ncap;
		}
		if (parse_addr(line, &g->dst[g->n]) < 0) {
			fprintf(stderr, "udpgen: %s:%u: '%s' is not A.B.C.D:PORT\n", g->c.dests,
				lineno, line);
			fclose(f);
			return -EINVAL;
		}
		g->n++;
	}
	fclose(f);
	if (g->n == 0) {
		fprintf(stderr, "udpgen: %s: no destinations\n", g->c.dests);
		return -EINVAL;
	}
	return 0;
}

static void set_buf(int fd, int force_opt, int opt, int bytes)
{
	/* FORCE ignores rmem_max/wmem_max (root); fall back to the capped one. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

static int open_socket(struct gen *g)
{
	g->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (g->fd < 0)
		return -errno;
	set_buf(g->fd, SO_RCVBUFFORCE, SO_RCVBUF, 32 << 20);
	set_buf(g->fd, SO_SNDBUFFORCE, SO_SNDBUF, 8 << 20);
	if (bind(g->fd, (struct sockaddr *)&g->c.bind, sizeof(g->c.bind)) < 0) {
		int rc = -errno;

		fprintf(stderr, "udpgen: bind %s:%u: %s\n", inet_ntoa(g->c.bind.sin_addr),
			ntohs(g->c.bind.sin_port), strerror(errno));
		close(g->fd);
		return rc;
	}
	return 0;
}

/* UDP RcvbufErrors of this network namespace (/proc/net/snmp), or 0. */
static uint64_t udp_rcvbuf_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char hdr[1024], val[1024];
	uint64_t out = 0;

	if (f == NULL)
		return 0;
	while (fgets(hdr, sizeof(hdr), f) != NULL) {
		char *hs, *vs, *h, *v;

		if (strncmp(hdr, "Udp:", 4) != 0)
			continue;
		if (fgets(val, sizeof(val), f) == NULL)
			break;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h != NULL && v != NULL) {
			if (strcmp(h, "RcvbufErrors") == 0)
				out = strtoull(v, NULL, 10);
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return out;
}

/* Bin 4*b + f holds [(4+f) << (b-2), (5+f) << (b-2)) for v >= 4: about 19 %
 * wide, enough to tell 100 µs from 150 µs. */
static unsigned lat_bin(uint64_t v)
{
	unsigned b;

	if (v < 4)
		return (unsigned)v;
	b = 63u - (unsigned)__builtin_clzll(v);
	return 4u * b + (unsigned)((v >> (b - 2)) & 3u);
}

static double lat_bin_top_us(unsigned bin)
{
	unsigned b = bin / 4u, f = bin % 4u;

	if (bin < 4)
		return (double)(bin + 1) / 1000.0;
	return (double)((uint64_t)(5u + f) << (b - 2)) / 1000.0;
}

/* Upper edge (µs) of the bin holding quantile q. */
static double lat_quantile_us(const struct gen *g, double q)
{
	uint64_t want, acc = 0;

	if (g->lat_n == 0)
		return -1;
	want = (uint64_t)((double)g->lat_n * q);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < LAT_BINS; b++) {
		acc += g->lat[b];
		if (acc >= want)
			return lat_bin_top_us(b);
	}
	return -1;
}

static void sink_one(struct gen *g, const uint8_t *p, size_t len, uint64_t now)
{
	uint32_t ssrc, idx;
	uint16_t seq;
	struct sink_stream *s;
	uint64_t sent_ns;

	if (len < RTP_HDR + 8 || (p[0] & 0xc0) != 0x80) {
		g->short_pkts++;
		return;
	}
	memcpy(&ssrc, p + 8, 4);
	ssrc = ntohl(ssrc);
	idx = ssrc - g->c.peer_ssrc_base;
	if (ssrc < g->c.peer_ssrc_base || idx >= g->c.peer_streams) {
		g->foreign++;
		return;
	}
	seq = (uint16_t)(p[2] << 8 | p[3]);
	s = &g->rx[idx];
	s->rx++;
	g->recv++;
	if ((int32_t)seq <= s->max_seq)
		s->dup_or_late++;
	else
		s->max_seq = seq;
	memcpy(&sent_ns, p + RTP_HDR, 8);
	if (sent_ns != 0 && now >= sent_ns) {
		g->lat[lat_bin(now - sent_ns)]++;
		g->lat_n++;
	}
}

static void sink_drain(struct gen *g)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	for (unsigned round = 0; round < 64; round++) {
		int got;
		uint64_t now;

		for (unsigned i = 0; i < BATCH; i++) {
			iov[i].iov_base = g->rxbuf[i];
			iov[i].iov_len = sizeof(g->rxbuf[i]);
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(g->fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		now = mono_ns();
		for (int i = 0; i < got; i++)
			sink_one(g, g->rxbuf[i], mm[i].msg_len, now);
		if ((unsigned)got < BATCH)
			return;
	}
}

static void fill_rtp(struct gen *g, uint8_t *b, uint32_t stream, uint64_t now)
{
	uint16_t seq = g->seq[stream]++;
	uint32_t ts = htonl((uint32_t)seq * 160u);
	uint32_t ssrc = htonl(g->c.ssrc_base + stream);

	b[0] = 0x80;
	b[1] = 0; /* PCMU */
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memcpy(b + 4, &ts, 4);
	memcpy(b + 8, &ssrc, 4);
	memcpy(b + RTP_HDR, &now, 8);
}

static void send_batch(struct gen *g, struct mmsghdr *mm, unsigned n)
{
	unsigned off = 0;

	while (off < n) {
		int rc = sendmmsg(g->fd, mm + off, n - off, 0);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN/ENOBUFS: the rest of the batch is lost here */
			g->send_err += n - off;
			return;
		}
		g->sent += (unsigned)rc;
		off += (unsigned)rc;
	}
}

/* This process's CPU time (user + system), ns: the kernel's work of sending
 * (routing, veth, whatever the receiver's socket costs to wake) lands here. */
static uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static int run(struct gen *g)
{
	const uint64_t total = (uint64_t)g->n * g->c.pps * g->c.duration_ms / 1000u;
	const double gap_ns = 1e9 / ((double)g->n * g->c.pps);
	const uint64_t tick_ns = (uint64_t)g->c.tick_us * 1000u;
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t t0, t_end, t_drain, now, next = 0, rcvbuf0, busy_behind = 0;
	uint64_t ticks = 0, cpu0;

	for (unsigned i = 0; i < BATCH; i++) {
		memset(g->txbuf[i], 0xff, sizeof(g->txbuf[i])); /* µ-law silence */
		iov[i].iov_base = g->txbuf[i];
		iov[i].iov_len = RTP_HDR + g->c.payload;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}
	rcvbuf0 = udp_rcvbuf_errors();
	cpu0 = self_cpu_ns();
	now = mono_ns();
	t0 = g->c.start_ns > now ? g->c.start_ns : now;
	t_end = t0 + (uint64_t)g->c.duration_ms * 1000000u;
	t_drain = t_end + (uint64_t)g->c.drain_ms * 1000000u;
	for (uint32_t i = 0; i < g->c.peer_streams; i++)
		g->rx[i] = (struct sink_stream){.max_seq = -1};
	/* Count from here on, even before t0: the peer may start first (the
	 * socket did not exist before, so nothing of an earlier run is in it). */
	while (now < t0) {
		struct timespec ts = {0, (long)(t0 - now < 1000000 ? t0 - now : 1000000)};

		nanosleep(&ts, NULL);
		sink_drain(g);
		now = mono_ns();
	}

	while ((now = mono_ns()) < t_drain) {
		unsigned nb = 0;

		ticks++;
		/* send everything due by now; the last packets, due just before
		 * t_end, get two ticks of grace, later ones count as unsent */
		while (now < t_end + 2 * tick_ns && next < total &&
		       t0 + (uint64_t)((double)next * gap_ns) <= now) {
			uint32_t stream = (uint32_t)(next % g->n);

			fill_rtp(g, g->txbuf[nb], stream, now);
			mm[nb].msg_hdr.msg_name = &g->dst[stream];
			nb++;
			next++;
			if (nb == BATCH) {
				send_batch(g, mm, nb);
				nb = 0;
				sink_drain(g);
				now = mono_ns();
			}
		}
		if (nb != 0)
			send_batch(g, mm, nb);
		sink_drain(g);
		now = mono_ns();
		if (now < t_end && next < total &&
		    t0 + (uint64_t)((double)next * gap_ns) + tick_ns < now)
			busy_behind++; /* more than a tick late after a full pass */
		{
			struct timespec ts = {0, (long)tick_ns};

			nanosleep(&ts, NULL);
		}
	}

	{
		uint32_t zero = 0, low = 0, rx_min = UINT32_MAX, rx_max = 0;
		uint64_t gaps = 0, dups = 0;
		const uint32_t expect = g->c.pps * g->c.duration_ms / 1000u;

		for (uint32_t i = 0; i < g->c.peer_streams; i++) {
			const struct sink_stream *s = &g->rx[i];
			uint32_t uniq = s->rx - s->dup_or_late;

			if (s->rx == 0)
				zero++;
			if (s->rx < expect / 2)
				low++;
			if (s->rx < rx_min)
				rx_min = s->rx;
			if (s->rx > rx_max)
				rx_max = s->rx;
			if (s->max_seq >= 0 && (uint32_t)s->max_seq + 1 > uniq)
				gaps += (uint32_t)s->max_seq + 1 - uniq;
			dups += s->dup_or_late;
		}
		printf("{\"streams\": %u, \"peer_streams\": %u, \"pps\": %u, \"duration_ms\": %u, "
		       "\"target\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"send_err\": %" PRIu64
		       ", \"unsent\": %" PRIu64 ", \"send_kpps\": %.3f, \"late_ticks\": %" PRIu64
		       ", \"ticks\": %" PRIu64 ", \"recv\": %" PRIu64 ", \"recv_kpps\": %.3f"
		       ", \"seq_gaps\": %" PRIu64 ", \"dup_or_late\": %" PRIu64
		       ", \"foreign\": %" PRIu64 ", \"bad\": %" PRIu64
		       ", \"streams_zero\": %u, \"streams_low\": %u, \"rx_min\": %u, \"rx_max\": %u"
		       ", \"rcvbuf_errors\": %" PRIu64 ", \"lat_p50_us\": %.1f, \"lat_p99_us\": %.1f"
		       ", \"lat_max_us\": %.1f, \"cpu_ns\": %" PRIu64 ", \"rx_per_stream\": [",
		       g->n, g->c.peer_streams, g->c.pps, g->c.duration_ms, total, g->sent,
		       g->send_err, total - next, (double)g->sent / (double)g->c.duration_ms,
		       busy_behind, ticks, g->recv, (double)g->recv / (double)g->c.duration_ms,
		       gaps, dups, g->foreign, g->short_pkts, zero, low,
		       rx_min == UINT32_MAX ? 0 : rx_min, rx_max,
		       udp_rcvbuf_errors() - rcvbuf0, lat_quantile_us(g, 0.5),
		       lat_quantile_us(g, 0.99), lat_quantile_us(g, 1.0), self_cpu_ns() - cpu0);
		/* so that the driver can tell a stream gone silent (rtpengine stops
		 * reading a socket for good after repeated overruns) from loss
		 * spread over all streams */
		for (uint32_t i = 0; i < g->c.peer_streams; i++)
			printf("%s%u", i ? "," : "", g->rx[i].rx);
		printf("]}\n");
	}
	return 0;
}

static inline uint64_t rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#else
	return 0;
#endif
}

/* TSC ticks per second over 3 x 100 ms of CLOCK_MONOTONIC, median. */
static int print_tsc_hz(void)
{
	double hz[3];

	for (int r = 0; r < 3; r++) {
		uint64_t t0 = mono_ns(), c0 = rdtsc(), t1, c1;
		struct timespec ts = {0, 100000000};

		nanosleep(&ts, NULL);
		t1 = mono_ns();
		c1 = rdtsc();
		hz[r] = (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
	}
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (hz[j] < hz[i]) {
				double t = hz[i];
				hz[i] = hz[j];
				hz[j] = t;
			}
	if (hz[1] <= 0) {
		fprintf(stderr, "udpgen: no TSC on this CPU\n");
		return 1;
	}
	printf("%.0f\n", hz[1]);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpgen --bind IP:PORT --dests FILE --ssrc-base X --peer-ssrc-base Y\n"
		"              [--peer-streams M (= lines of FILE)] [--pps 50] [--payload 160]\n"
		"              [--duration-ms 5000] [--drain-ms 500] [--start-mono-ns T]\n"
		"              [--tick-us 250]\n"
		"       udpgen --tsc-hz\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", required_argument, NULL, 'b'},
		{"dests", required_argument, NULL, 'd'},
		{"ssrc-base", required_argument, NULL, 's'},
		{"peer-ssrc-base", required_argument, NULL, 'S'},
		{"peer-streams", required_argument, NULL, 'm'},
		{"pps", required_argument, NULL, 'r'},
		{"payload", required_argument, NULL, 'p'},
		{"duration-ms", required_argument, NULL, 't'},
		{"drain-ms", required_argument, NULL, 'D'},
		{"start-mono-ns", required_argument, NULL, 'T'},
		{"tick-us", required_argument, NULL, 'k'},
		{"tsc-hz", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct gen g; /* large buffers: not on the stack */
	int opt, have_bind = 0, have_ssrc = 0, have_peer = 0, rc;

	g.c.pps = 50;
	g.c.payload = 160;
	g.c.duration_ms = 5000;
	g.c.drain_ms = 500;
	g.c.tick_us = 250;
	g.fd = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *bad = NULL;

		switch (opt) {
		case 'b':
			if (parse_addr(optarg, &g.c.bind) < 0)
				bad = "--bind wants A.B.C.D:PORT";
			have_bind = 1;
			break;
		case 'd':
			g.c.dests = optarg;
			break;
		case 's':
			if (parse_u32(optarg, 0, UINT32_MAX, &g.c.ssrc_base) < 0)
				bad = "--ssrc-base is not a 32-bit number";
			have_ssrc = 1;
			break;
		case 'S':
			if (parse_u32(optarg, 0, UINT32_MAX, &g.c.peer_ssrc_base) < 0)
				bad = "--peer-ssrc-base is not a 32-bit number";
			have_peer = 1;
			break;
		case 'm':
			if (parse_u32(optarg, 1, 1u << 20, &g.c.peer_streams) < 0)
				bad = "--peer-streams is not in 1..1048576";
			break;
		case 'r':
			if (parse_u32(optarg, 1, 100000, &g.c.pps) < 0)
				bad = "--pps is not in 1..100000";
			break;
		case 'p':
			if (parse_u32(optarg, 8, MAX_PAY, &g.c.payload) < 0)
				bad = "--payload is not in 8..1400";
			break;
		case 't':
			if (parse_u32(optarg, 1, 3600000, &g.c.duration_ms) < 0)
				bad = "--duration-ms is not in 1..3600000";
			break;
		case 'D':
			if (parse_u32(optarg, 0, 60000, &g.c.drain_ms) < 0)
				bad = "--drain-ms is not in 0..60000";
			break;
		case 'T': {
			char *end;

			errno = 0;
			g.c.start_ns = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0')
				bad = "--start-mono-ns is not a number";
			break;
		}
		case 'k':
			if (parse_u32(optarg, 10, 100000, &g.c.tick_us) < 0)
				bad = "--tick-us is not in 10..100000";
			break;
		case 'H':
			return print_tsc_hz();
		case 'h':
			usage();
			return 0;
		default:
			fprintf(stderr, "udpgen: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			usage();
			return 2;
		}
		if (bad != NULL) {
			fprintf(stderr, "udpgen: %s (got '%s')\n", bad, optarg);
			return 2;
		}
	}
	if (optind < argc || !have_bind || g.c.dests == NULL || !have_ssrc || !have_peer) {
		fprintf(stderr, "udpgen: --bind, --dests, --ssrc-base and --peer-ssrc-base are required\n");
		usage();
		return 2;
	}
	rc = load_dests(&g);
	if (rc < 0)
		return rc == -EINVAL ? 2 : 1;
	if (g.c.peer_streams == 0)
		g.c.peer_streams = g.n;
	g.seq = calloc(g.n, sizeof(*g.seq));
	g.rx = calloc(g.c.peer_streams, sizeof(*g.rx));
	if (g.seq == NULL || g.rx == NULL) {
		fprintf(stderr, "udpgen: out of memory\n");
		rc = 1;
		goto out_free;
	}
	if (open_socket(&g) < 0) {
		rc = 1;
		goto out_free;
	}
	rc = run(&g) < 0 ? 1 : 0;
	close(g.fd);
out_free:
	free(g.rx);
	free(g.seq);
	free(g.dst);
	return rc;
}
