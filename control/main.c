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
#include "b2bua/dialog.h"
#include "b2bua/cp.h"
#include "b2bua/queue.h"
#include "api/api.h"
#include "api/cc.h"
#include "api/rec.h"
#include "api/report.h"
#include "log.h"
#include "media/kernel.h"
#include "store/ccobj.h"

/* Slots for live calls and for ended ones, which linger 32 s (call_priv.h):
 * 131072 = 4096 calls/s sustained (above SIPp's ceiling) besides the live
 * ones, whose number the dataplane's legs bound (65536 by default: 32768
 * calls).  Slots cost 12 bytes until used. */
#define MAX_CALLS   131072u
#define STORE_QUEUE 4096u

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

/* The management API (api/api.h) from `api:`; its handlers run on the loop.
 * Routes are registered here: contact centre (api/cc.h), ... */
static struct sb_api *start_api(struct sb_cp *cp)
{
	const struct sb_cfg_api *ca = &cp->cfg->api;
	struct sb_api_token tok[SB_CFG_API_TOKENS];
	struct sb_api_params p = { .addr = ca->addr, .port = ca->port, .tokens = tok,
				   .n_tokens = ca->n_tokens };
	struct sb_api *api;
	int rc;

	memset(tok, 0, sizeof(tok));
	for (unsigned i = 0; i < ca->n_tokens; i++) {
		snprintf(tok[i].token, sizeof(tok[i].token), "%s", ca->tokens[i].token);
		snprintf(tok[i].tenant, sizeof(tok[i].tenant), "%s", ca->tokens[i].tenant);
	}
	api = sb_api_create(cp->loop, &p);
	explicit_bzero(tok, sizeof(tok));
	if (api == NULL)
		return NULL;
	rc = sb_api_cc_register(api, cp);
	if (rc == 0)
		rc = sb_api_rec_register(api, cp); /* recordings, QA (api/rec.h) */
	if (rc == 0)
		rc = sb_api_report_register(api, cp); /* interval reports (api/report.h) */
	if (rc < 0) {
		sb_err("api: cannot register routes: %s", strerror(-rc));
		sb_api_free(api);
		return NULL;
	}
	return api;
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
	struct sb_config cfg;
	struct sb_cp cp;
	struct sig_ctx sig = { .fd = -1 };
	struct sb_api *api = NULL;
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

	/* agents, queues, hotlines the API changed: after the file, before
	 * anything sizes itself by the config (store/ccobj.h) */
	if (cfg.sqlite[0])
		sb_ccobj_restore(&cfg, cfg.sqlite);
	memset(&cp, 0, sizeof(cp));
	cp.cfg = &cfg;
	sb_rand_seed(&cp.rnd);
	cp.loop = sb_loop_create();
	if (cp.loop == NULL) {
		sb_err("cannot create the event loop: %s", strerror(errno));
		goto out_cfg;
	}
	rc = sb_registrar_init(&cp.reg, &cfg, cp.loop);
	if (rc < 0) {
		sb_err("cannot set up the registrar: %s", strerror(-rc));
		goto out_loop;
	}
	cp.calls = sb_calls_create(&cp, MAX_CALLS);
	if (cp.calls == NULL)
		goto out_reg;
	rc = sb_cpq_init(&cp, MAX_CALLS); /* hotline queues (b2bua/queue.h) */
	if (rc < 0) {
		sb_err("cannot set up the queues: %s", strerror(-rc));
		goto out_calls;
	}
	{
		struct sb_sip_tx_params tp = { .tcp = cfg.tcp, .tcp_max_conns = cfg.tcp_max_conns,
					       .tcp_idle_ms = cfg.tcp_idle_s * 1000u };
		struct sb_txn_timers tm = { cfg.t1_ms, cfg.t2_ms, cfg.t4_ms };

		rc = sb_sip_tx_open_ex(&cp.tx, cfg.listen, cfg.n_listen, &tp);
		if (rc < 0) {
			sb_err("cannot open SIP sockets: %s", strerror(-rc));
			goto out_calls;
		}
		cp.txl = sb_txl_create(cp.loop, &cp.tx, &cp.rnd, &tm, &sb_cp_tu, &cp);
		if (cp.txl == NULL)
			goto out_tx;
		rc = sb_sip_tx_attach(&cp.tx, cp.loop, sb_cp_on_msg, &cp);
		if (rc < 0) {
			sb_err("cannot watch SIP sockets: %s", strerror(-rc));
			goto out_tx;
		}
	}
	for (unsigned i = 0; i < cp.tx.n; i++) {
		char a[32];

		sb_sip_addr_fmt(&cp.tx.socks[i].local, a, sizeof(a));
		sb_info("sip: listening on udp%s %s", cfg.tcp ? " and tcp" : "", a);
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
	/* One backend carries every call.  Placement rule for later: a call
	 * that needs recording, mixing or transcoding goes to the DPDK
	 * backend; one that only relays may go to the kernel (media/kernel.h). */
	if (cfg.media_backend == SB_CFG_MEDIA_KERNEL) {
		struct sb_media_kernel_params kp = { .media_ip = cfg.media_ip,
						     .port_min = cfg.media_port_min,
						     .port_max = cfg.media_port_max,
						     .poll_ms = cfg.media_poll_ms };

		cp.media = sb_media_kernel_create(cp.loop, &kp, sb_call_media_done, &cp);
	} else {
		cp.media = sb_media_dpdk_create(cp.loop, cfg.instance, sb_call_media_done, &cp);
	}
	if (cp.media == NULL) {
		sb_err("cannot create the media backend");
		goto out_store;
	}
	cp.media->event = sb_call_media_event;
	cp.media->event_arg = &cp;
	sb_call_media_init(&cp); /* DTMF/prompt events, prompts loaded (b2bua/callmedia.c) */
	cp.media->timeout_ms = cfg.media_timeout_s * 1000u;
	cp.media->opus_complexity = cfg.media_opus_complexity; /* 0xff: the dataplane's */
	sb_info("sb-control started: instance %s, %u agents, %u hotlines, media backend %s",
		cfg.instance, cfg.n_agents, cfg.n_hotlines, cp.media->ops->name);

	if (cfg.api.enabled && (api = start_api(&cp)) == NULL) {
		rc = -EADDRINUSE; /* asked for and not there: do not run without it */
	} else {
		sb_api_objects_replay(&cp); /* PATCHed settings kept in the store */
		rc = sb_loop_run(cp.loop);
	}
	if (rc < 0)
		sb_err("event loop: %s", strerror(-rc));
	else
		ret = 0;
	sb_api_free(api);
	sb_api_objects_close();

	if (sb_calls_active(cp.calls))
		sb_warn("%u calls still in memory at shutdown; their media keeps flowing",
			sb_calls_active(cp.calls));
	sb_info("sip: %llu messages in, %llu rejected (400/505), %llu dropped, %llu stray; "
		"%llu calls, %llu answered",
		(unsigned long long)cp.cnt.rx_msgs, (unsigned long long)cp.cnt.rx_rejected,
		(unsigned long long)cp.cnt.rx_dropped, (unsigned long long)cp.cnt.rx_stray,
		(unsigned long long)cp.cnt.calls, (unsigned long long)cp.cnt.calls_answered);
	sb_dlg_log_counters(&cp); /* re-INVITE/UPDATE relays, 481/482/483/491/500 */
	sb_ovl_log_counters(&cp); /* 503s, bans, scanners */
	{
		const struct sb_txl_cnt *t = sb_txl_counters(cp.txl);
		const struct sb_sip_tx_cnt *x = &cp.tx.cnt;

		sb_info("sip: transactions %llu server, %llu client; %llu retransmitted requests "
			"absorbed, %llu retransmissions sent, %llu timeouts, %llu CANCELs",
			(unsigned long long)t->stx_created, (unsigned long long)t->ctx_created,
			(unsigned long long)t->req_retrans_absorbed,
			(unsigned long long)t->retransmits, (unsigned long long)t->timeouts,
			(unsigned long long)t->cancels);
		sb_info("sip: udp %llu in (%llu batches), %llu out (%llu batches), %llu errors; "
			"tcp %llu accepted, %llu refused, %llu messages, %llu bad frames",
			(unsigned long long)x->rx_pkts, (unsigned long long)x->rx_batches,
			(unsigned long long)x->tx_pkts, (unsigned long long)x->tx_batches,
			(unsigned long long)x->tx_errors, (unsigned long long)x->tcp_accepted,
			(unsigned long long)x->tcp_refused, (unsigned long long)x->tcp_rx_msgs,
			(unsigned long long)x->tcp_bad_frame);
	}
	sb_calls_free(cp.calls);
	cp.calls = NULL;
	sb_media_destroy(cp.media);
out_store:
	sb_store_close(cp.store); /* drains the queue */
out_sig:
	if (sig.fd >= 0)
		close(sig.fd);
out_tx:
	sb_txl_free(cp.txl); /* after the calls: they hold transactions */
	sb_sip_tx_close(&cp.tx);
out_calls:
	sb_calls_free(cp.calls);
	sb_cpq_fini(&cp);
out_reg:
	sb_registrar_fini(&cp.reg);
out_loop:
	sb_loop_free(cp.loop);
out_cfg:
	sb_config_free(&cfg);
	return ret;
}
