/* SPDX-License-Identifier: MIT */
/* media_event_t — how the B2BUA reacts to the media backend, end to end
 * over SIP without DPDK.  sb-control runs as a child on 127.0.0.1; this
 * process is its "dataplane": a thread answers commands on a real segment
 * (sb_dp_shm_create), and the test restarts it (old segment STOPPED, a new
 * one with a new generation) or injects events on its event ring.
 *
 *  1. an answered call survives a dataplane restart: no BYE to either
 *     side, its two legs re-added on the same ports and re-connected;
 *  2. SB_EVT_MEDIA_TIMEOUT of the caller leg: BYE to both sides, CDR
 *     hangup_by media_timeout, packets of both generations summed;
 *  3. a restart whose dataplane refuses the re-add: BYE to both sides,
 *     CDR hangup_by media_lost.
 *
 *   media_event_t /path/to/sb-control */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128], shm_name[64];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	control_fail_report(what, line, logp, pid);
	shm_unlink(shm_name); /* the dataplane thread's segment */
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* ---- the fake dataplane: one generation per start ---- */

struct fake_dp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int refuse_add;  /* answer LEG_ADD with -EEXIST */
	atomic_int n_add, n_connect, n_del;
	struct sb_cmd_leg add[8]; /* the first LEG_ADDs of this generation */
	atomic_int n_inject;
	union sb_msg inject[4];
};

/* One command: recorded as the test wants; returns the RESULT status. */
static int32_t fake_dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp *d = arg;
	struct sb_leg_stats *ls = sb_dp_shm_leg_stats(&d->shm, m->h.leg % 64);
	int32_t status = 0;

	(void)w;
	switch (m->h.type) {
	case SB_CMD_LEG_ADD:
		if (atomic_load(&d->refuse_add)) {
			status = -EEXIST;
			break;
		}
		fake_dp_leg_add(&d->shm, m);
		if (atomic_load(&d->n_add) < 8)
			d->add[atomic_load(&d->n_add)] = m->leg;
		atomic_fetch_add(&d->n_add, 1);
		break;
	case SB_CMD_LEG_CONNECT: {
		struct sb_leg_stats *lb =
			sb_dp_shm_leg_stats(&d->shm, m->connect.leg_b % 64);
		/* media flowed in this generation: 100 each way */
		ls->rx_pkts = lb->rx_pkts = 100;
		ls->tx_pkts = lb->tx_pkts = 100;
		atomic_fetch_add(&d->n_connect, 1);
		break;
	}
	case SB_CMD_LEG_DEL:
		ls->active = 0;
		atomic_fetch_add(&d->n_del, 1);
		break;
	default:
		break;
	}
	return status;
}

static void fake_dp_idle(void *arg)
{
	struct fake_dp *d = arg;

	fake_dp_send(&d->shm, 0, d->inject, (unsigned)atomic_load(&d->n_inject));
	atomic_store(&d->n_inject, 0);
}

static void *fake_dp_main(void *arg)
{
	struct fake_dp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_cmd, fake_dp_idle, d);
	return NULL;
}

static void dp_start(struct fake_dp *d, const char *inst, bool refuse)
{
	memset(d, 0, sizeof(*d));
	atomic_store(&d->refuse_add, refuse);
	T_ASSERT(fake_dp_create(&d->shm, inst, 2, 100, MEDIA_IP) == 0);
	T_ASSERT(pthread_create(&d->thread, NULL, fake_dp_main, d) == 0);
}

/* Orderly stop of one generation: STOPPED, the name stays for the next. */
static void dp_stop(struct fake_dp *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	sb_dp_shm_set_state(&d->shm, SB_DP_STOPPED);
	sb_dp_shm_detach(&d->shm, 0);
}

static int wait_int(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (atomic_load(v) >= want)
			return 0;
		usleep(5000);
	}
	return -1;
}

/* ---- SIP ---- */

#define CALLER_SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		   "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
#define AGENT_SDP "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		  "m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

static void drain(struct sipc *c)
{
	char buf[8192];
	while (sipc_recv(c, buf, sizeof(buf), 50) > 0)
		;
}

/* An answered, ACKed call; returns the caller leg's port (from our 200). */
static unsigned call_up(struct sipc *caller, struct sipc *agent, const char *callid)
{
	char buf[8192], inv[8192], to[1024], contact[300];
	unsigned port = 0;

	sipc_send(caller, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
			  "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-%s\n"
			  "To: <sip:800100@127.0.0.1>\nCall-ID: %s\nCSeq: 10 INVITE\n"
			  "Contact: <sip:alice@127.0.0.1:%u>\nContent-Type: application/sdp\n"
			  "Content-Length: %zu\n\n%s",
		  caller->server, caller->port, callid, callid, callid, caller->port,
		  strlen(CALLER_SDP), CALLER_SDP);
	CHECK(sipc_expect_method(agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	snprintf(contact, sizeof(contact), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent->port);
	sipc_respond(agent, inv, 200, "OK", "ag-tag", contact, AGENT_SDP);
	CHECK(sipc_expect_method(agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sscanf(strstr(sip_body(buf), "m=audio "), "m=audio %u", &port) == 1);
	sip_hdr(buf, "To", to, sizeof(to));
	sipc_send(caller, "ACK sip:800100@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKack%s;rport\n"
			  "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\nCall-ID: %s\n"
			  "CSeq: 10 ACK\nContent-Length: 0\n\n",
		  caller->server, caller->port, callid, callid, to, callid);
	usleep(100000);
	drain(caller);
	drain(agent);
	return port;
}

/* Both sides get a BYE (answered 200); the caller's names callid. */
static void expect_byes(struct sipc *caller, struct sipc *agent, const char *callid)
{
	char buf[8192], v[512];

	CHECK(sipc_expect_method(caller, buf, sizeof(buf), "BYE", 3000) == 0);
	CHECK(sip_hdr(buf, "Call-ID", v, sizeof(v)) == 0 && strcmp(v, callid) == 0);
	sipc_respond(caller, buf, 200, "OK", NULL, NULL, NULL);
	CHECK(sipc_expect_method(agent, buf, sizeof(buf), "BYE", 3000) == 0);
	sipc_respond(agent, buf, 200, "OK", NULL, NULL, NULL);
}

int main(int argc, char **argv)
{
	static struct fake_dp dp1, dp2, dp3;
	char inst[32], cfg[128], db[128], buf[8192];
	struct sipc caller, agent;
	uint16_t p_car, p_agt;
	unsigned port_a;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "me%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	dp_start(&dp1, inst, false);

	cp_workdir("/tmp/sb_media_event_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "store:\n  sqlite: %s\nmedia:\n  timeout: 5\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_car);
	sipc_open(&agent, p_agt);
	control_wait_up(&caller);
	usleep(100000);
	{
		char ct[128];
		unsigned cseq = 1;

		snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n",
			 agent.port);
		CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "agent-reg", &cseq, ct,
				    buf, sizeof(buf)) == 200);
	}

	/* ---------- 1. a call survives a restart ---------- */
	port_a = call_up(&caller, &agent, "me-1");
	CHECK(atomic_load(&dp1.n_add) == 2 && atomic_load(&dp1.n_connect) == 1);
	CHECK(dp1.add[0].timeout_ms == 5000); /* media: timeout: 5 */
	dp_stop(&dp1);
	usleep(300000); /* control notices and waits for the next one */
	dp_start(&dp2, inst, false);
	CHECK(wait_int(&dp2.n_connect, 1, 3000) == 0);
	CHECK(atomic_load(&dp2.n_add) == 2);
	CHECK((dp2.add[0].local_port == port_a || dp2.add[1].local_port == port_a) &&
	      dp2.add[0].local_port != dp2.add[1].local_port);
	CHECK(dp2.add[0].timeout_ms == 5000 && dp2.add[1].timeout_ms == 5000);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 500) < 0); /* no BYE, nothing */
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 10) < 0);

	/* ---------- 2. media timeout on the caller leg ---------- */
	{
		const struct sb_cmd_leg *a = dp2.add[0].local_port == port_a ? &dp2.add[0] : &dp2.add[1];

		memset(dp2.inject, 0, sizeof(dp2.inject));
		dp2.inject[0].timeout.h = (struct sb_msg_hdr){ .type = SB_EVT_MEDIA_TIMEOUT,
			.len = sizeof(struct sb_evt_timeout), .leg = a->h.leg,
			.leg_gen = a->h.leg_gen + 1 }; /* stale: ignored */
		dp2.inject[1] = dp2.inject[0];
		dp2.inject[1].timeout.h.leg_gen = a->h.leg_gen;
		dp2.inject[1].timeout.idle_ms = 5001;
		dp2.inject[1].timeout.timeout_ms = 5000;
		atomic_store(&dp2.n_inject, 2);
	}
	expect_byes(&caller, &agent, "me-1");
	CHECK(wait_int(&dp2.n_del, 2, 2000) == 0);

	/* ---------- 3. the next dataplane refuses the call's legs ---------- */
	drain(&caller);
	drain(&agent);
	call_up(&caller, &agent, "me-2");
	dp_stop(&dp2);
	usleep(300000);
	dp_start(&dp3, inst, true);
	expect_byes(&caller, &agent, "me-2");
	usleep(200000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	dp_stop(&dp3);
	shm_unlink(shm_name);

	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 2);
	/* 100 packets each way in each of the two generations */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='me-1' AND status=200 AND "
		    "hangup_by='media_timeout' AND caller_rx_pkts=200 AND caller_tx_pkts=200 AND "
		    "agent_rx_pkts=200 AND agent_tx_pkts=200") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='me-2' AND status=200 AND "
		    "hangup_by='media_lost' AND caller_rx_pkts=100") == 1);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
