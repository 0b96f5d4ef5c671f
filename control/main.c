/* SPDX-License-Identifier: MIT */
/*
 * sb-control — SIP B2BUA for hotlines, programming media on sb-dataplane.
 *
 *   sb-control --config FILE [--check] [--debug]
 *
 * Exit: 0 clean shutdown (SIGTERM/SIGINT) or config OK with --check;
 * 2 bad configuration; 1 start-up failure.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "b2bua/call.h"
#include "b2bua/cp.h"
#include "log.h"

#define MAX_CALLS   4096u
#define STORE_QUEUE 4096u

struct cp_sock_ctx {
	struct sb_cp *cp;
	unsigned sock;
};

static void on_sip_readable(void *arg, uint32_t events)
{
	struct cp_sock_ctx *x = arg;
	char buf[65536];

	(void)events;
	/* bounded batch per wakeup so one busy socket cannot starve timers */
	for (int i = 0; i < 64; i++) {
		struct sb_sip_addr from;
		ssize_t n = sb_sip_tx_recv(&x->cp->tx, x->sock, buf, sizeof(buf), &from);

		if (n < 0)
			break;
		sb_cp_on_datagram(x->cp, x->sock, &from, buf, (uint32_t)n);
	}
}

struct sig_ctx {
	int fd;
	struct sb_loop *loop;
};

static void on_signal(void *arg, uint32_t events)
{
	struct sig_ctx *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	if (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		sb_info("signal %u: shutting down", si.ssi_signo);
		sb_loop_stop(s->loop);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sb-control --config FILE [--check] [--debug]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_sock_ctx socks[SB_SIP_MAX_SOCKS];
	struct sb_config cfg;
	struct sb_cp cp;
	struct sig_ctx sig = { .fd = -1 };
	const char *path = NULL;
	char err[512];
	bool check = false;
	sigset_t mask;
	int o, rc, ret = 1;

	while ((o = getopt_long(argc, argv, "c:kdh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'd': sb_log_set_level(SB_LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sb_config_load(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: OK (%u listen, %u agents, %u hotlines)\n", path, cfg.n_listen,
		       cfg.n_agents, cfg.n_hotlines);
		sb_config_free(&cfg);
		return 0;
	}

	memset(&cp, 0, sizeof(cp));
	cp.cfg = &cfg;
	sb_rand_seed(&cp.rnd);
	cp.loop = sb_loop_create();
	if (cp.loop == NULL) {
		sb_err("cannot create the event loop: %s", strerror(errno));
		goto out_cfg;
	}
	if (sb_registrar_init(&cp.reg, cfg.n_agents) < 0)
		goto out_loop;
	cp.calls = sb_calls_create(&cp, MAX_CALLS);
	if (cp.calls == NULL)
		goto out_reg;
	rc = sb_sip_tx_open(&cp.tx, cfg.listen, cfg.n_listen);
	if (rc < 0) {
		sb_err("cannot open SIP sockets: %s", strerror(-rc));
		goto out_calls;
	}
	for (unsigned i = 0; i < cp.tx.n; i++) {
		char a[32];

		socks[i] = (struct cp_sock_ctx){ &cp, i };
		if (sb_loop_add_fd(cp.loop, cp.tx.socks[i].fd, on_sip_readable, &socks[i]) < 0)
			goto out_tx;
		sb_sip_addr_fmt(&cp.tx.socks[i].local, a, sizeof(a));
		sb_info("sip: listening on udp %s", a);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sig.loop = cp.loop;
	if (sig.fd < 0 || sb_loop_add_fd(cp.loop, sig.fd, on_signal, &sig) < 0) {
		sb_err("cannot set up signals: %s", strerror(errno));
		goto out_sig;
	}

	/* losing the store never drops a call: run without it, loudly */
	if (cfg.sqlite[0]) {
		cp.store = sb_store_open_sqlite(cfg.sqlite, STORE_QUEUE);
		if (cp.store == NULL)
			sb_err("store unavailable: CDRs are only logged");
	}
	cp.media = sb_media_dpdk_create(cp.loop, cfg.instance, sb_call_media_done, &cp);
	if (cp.media == NULL) {
		sb_err("cannot create the media backend");
		goto out_store;
	}
	sb_info("sb-control started: instance %s, %u agents, %u hotlines", cfg.instance,
		cfg.n_agents, cfg.n_hotlines);

	rc = sb_loop_run(cp.loop);
	if (rc < 0)
		sb_err("event loop: %s", strerror(-rc));
	else
		ret = 0;

	if (sb_calls_active(cp.calls))
		sb_warn("%u calls still in memory at shutdown; their media keeps flowing",
			sb_calls_active(cp.calls));
	sb_info("sip: %llu messages in, %llu rejected (400), %llu dropped, %llu stray; "
		"%llu calls, %llu answered",
		(unsigned long long)cp.cnt.rx_msgs, (unsigned long long)cp.cnt.rx_rejected,
		(unsigned long long)cp.cnt.rx_dropped, (unsigned long long)cp.cnt.rx_stray,
		(unsigned long long)cp.cnt.calls, (unsigned long long)cp.cnt.calls_answered);
	sb_calls_free(cp.calls);
	cp.calls = NULL;
	sb_media_destroy(cp.media);
out_store:
	sb_store_close(cp.store); /* drains the queue */
out_sig:
	if (sig.fd >= 0)
		close(sig.fd);
out_tx:
	sb_sip_tx_close(&cp.tx);
out_calls:
	sb_calls_free(cp.calls);
out_reg:
	sb_registrar_fini(&cp.reg);
out_loop:
	sb_loop_free(cp.loop);
out_cfg:
	sb_config_free(&cfg);
	return ret;
}
