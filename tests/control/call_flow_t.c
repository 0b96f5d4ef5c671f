/* SPDX-License-Identifier: MIT */
/* call_flow_t — the B2BUA end to end without DPDK.  The test process is
 * the "dataplane": it creates a real segment with sb_dp_shm_create (READY,
 * heartbeat refreshed) and a thread answers every command with
 * SB_EVT_RESULT ok, keeping per-leg counters in the segment.  Two UDP
 * clients play caller and agent against sb-control on 127.0.0.1:
 *
 *  1. answered call: REGISTER; INVITE -> 100; agent gets INVITE with SDP on
 *     the media address; 180 relayed; agent 200 -> ACK to agent, LEG_MOD +
 *     CONNECT, 200 to the caller (retransmitted until ACK) with SDP on the
 *     caller leg and the agent's codec; retransmitted agent 200 is re-ACKed;
 *     caller BYE -> 200, BYE to the agent, LEG_DEL x2, CDR with counters.
 *  2. agent hangs up: BYE to the caller.
 *  3. caller CANCELs while ringing: 200 + 487 to the caller, CANCEL to the
 *     agent, its 487 ACKed.
 *  4. agent rejects (486): 480 to the caller.
 *  5. the dataplane goes away (STOPPED): INVITE -> 503.
 *
 *  sbctl (when given) shows the call's two legs while it is up.
 *
 *   call_flow_t /path/to/sb-control [/path/to/sbctl] */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	control_fail_report(what, line, logp, pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* ---- the fake dataplane ---- */

struct fake_dp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_add, n_mod, n_del, n_connect, n_bad;
	/* last LEG_ADD/MOD seen per leg index (test reads after the flow) */
	struct sb_cmd_leg last_leg[64];
	uint32_t connect_a, connect_b;
};

/* One command: recorded as the test wants; returns the RESULT status. */
static int32_t fake_dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp *d = arg;
	const struct sb_dp_shm_hdr *h = d->shm.hdr;
	int32_t status = 0;
	struct sb_leg_stats *ls = NULL;

	if (m->h.type >= SB_CMD_N || m->h.len != sb_cmd_size[m->h.type] ||
	    (m->h.type != SB_CMD_NOP && m->h.leg >= h->max_legs)) {
		atomic_fetch_add(&d->n_bad, 1);
		status = -EINVAL;
	} else if (m->h.type != SB_CMD_NOP) {
		ls = sb_dp_shm_leg_stats(&d->shm, m->h.leg);
	}
	if (status == 0) {
		switch (m->h.type) {
		case SB_CMD_LEG_ADD:
			if (sb_dp_port_worker(h, m->leg.local_port) != (int)w ||
			    m->leg.worker != w) {
				status = -EINVAL;
				atomic_fetch_add(&d->n_bad, 1);
				break;
			}
			memset(ls, 0, sizeof(*ls));
			ls->leg_gen = m->h.leg_gen;
			ls->local_port = m->leg.local_port;
			ls->peer_ip = m->leg.peer_ip;
			ls->peer_port = m->leg.peer_port;
			ls->active = 1;
			d->last_leg[m->h.leg] = m->leg;
			atomic_fetch_add(&d->n_add, 1);
			break;
		case SB_CMD_LEG_MOD:
			ls->peer_ip = m->leg.peer_ip;
			ls->peer_port = m->leg.peer_port;
			d->last_leg[m->h.leg] = m->leg;
			atomic_fetch_add(&d->n_mod, 1);
			break;
		case SB_CMD_LEG_CONNECT: {
			struct sb_leg_stats *lb =
				sb_dp_shm_leg_stats(&d->shm, m->connect.leg_b);
			/* pretend media flowed: a = caller, b = agent */
			ls->rx_pkts = 100, ls->rx_bytes = 17200, ls->tx_pkts = 90;
			lb->rx_pkts = 90, lb->rx_bytes = 15480, lb->tx_pkts = 100;
			d->connect_a = m->h.leg;
			d->connect_b = m->connect.leg_b;
			atomic_fetch_add(&d->n_connect, 1);
			break;
		}
		case SB_CMD_LEG_DEL:
			if (ls->leg_gen != m->h.leg_gen)
				atomic_fetch_add(&d->n_bad, 1);
			ls->active = 0;
			atomic_fetch_add(&d->n_del, 1);
			break;
		}
	}
	return status;
}

static void *fake_dp_main(void *arg)
{
	struct fake_dp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_cmd, NULL, d);
	return NULL;
}

/* ---- SIP helpers for this flow ---- */

#define CALLER_SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		   "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"                \
		   "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
#define AGENT_SDP "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		  "m=audio 40002 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"                 \
		  "a=rtpmap:101 telephone-event/8000\r\n"

static void caller_invite(struct sipc *c, const char *callid)
{
	sipc_send(c, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: \"Alice\" <sip:alice@127.0.0.1>;tag=ct-%s\nTo: <sip:800100@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  c->server, c->port, callid, callid, callid, c->port, strlen(CALLER_SDP), CALLER_SDP);
}

/* ACK or BYE from the caller within its dialog (to = To of the 200 with tag). */
static void caller_req(struct sipc *c, const char *method, const char *callid, const char *to,
		       int cseq)
{
	sipc_send(c, "%s sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		     "Max-Forwards: 70\n"
		     "From: \"Alice\" <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		  method, c->server, c->port, method, callid, cseq, callid, to, callid, cseq, method);
}

static void agent_register(struct sipc *a)
{
	char buf[4096], ct[128];
	unsigned cseq = 1;

	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", a->port);
	CHECK(sipc_register(a, "SHA-256", "agent1", "secret", "agent-reg", &cseq, ct, buf,
			    sizeof(buf)) == 200);
}

static void drain(struct sipc *c)
{
	char buf[8192];
	while (sipc_recv(c, buf, sizeof(buf), 50) > 0)
		;
}

/* INVITE from the caller up to the agent's ringing; leaves the agent's
 * INVITE in inv. */
static void ring(struct sipc *caller, struct sipc *agent, const char *callid, char *inv,
		 size_t cap)
{
	char buf[8192];

	caller_invite(caller, callid);
	CHECK(sipc_recv(caller, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 100);
	CHECK(sipc_expect_method(agent, inv, cap, "INVITE", 3000) == 0);
	sipc_respond(agent, inv, 180, "Ringing", "ag-tag", NULL, NULL);
	CHECK(sipc_expect_status(caller, buf, sizeof(buf), 180, 2000) == 0);
}

int main(int argc, char **argv)
{
	struct fake_dp dp = { 0 };
	char inst[32], cfg[128], db[128], buf[8192], inv[8192], v[1024], to[1024], contact[300];
	struct sipc caller, agent;
	uint16_t p_car, p_agt;
	unsigned caller_port, agent_leg_port;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "cf%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 2, 100, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_main, &dp) == 0);

	cp_workdir("/tmp/sb_call_flow_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "  ring_timeout: 10\nstore:\n  sqlite: %s\n"
			  "agents:\n  - user: agent1\n    password: secret\n  - user: agent2\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent2, agent1]\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_car);
	sipc_open(&agent, p_agt);
	control_wait_up(&caller);
	usleep(100000); /* attach runs on the loop's first timer tick */
	agent_register(&agent);

	/* ---------- 1. an answered call, hung up by the caller ---------- */
	caller_invite(&caller, "call-1");
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 100);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	/* agent2 is not registered: agent1 gets it, at its Contact */
	snprintf(v, sizeof(v), "INVITE sip:agent1@127.0.0.1:%u SIP/2.0\r\n", agent.port);
	CHECK(strncmp(inv, v, strlen(v)) == 0);
	CHECK(sip_hdr(inv, "Via", v, sizeof(v)) == 0 && strstr(v, "branch=z9hG4bK"));
	CHECK(sip_hdr(inv, "From", v, sizeof(v)) == 0 && strstr(v, "sip:alice@") && strstr(v, "tag="));
	CHECK(sip_hdr(inv, "Call-ID", v, sizeof(v)) == 0 && strcmp(v, "call-1") != 0);
	CHECK(strstr(sip_body(inv), "c=IN IP4 " MEDIA_IP "\r\n") != NULL);
	CHECK(sscanf(strstr(sip_body(inv), "m=audio "), "m=audio %u", &agent_leg_port) == 1);
	CHECK(agent_leg_port % 2 == 0 && agent_leg_port >= 20000 && agent_leg_port < 20200);
	CHECK(strstr(sip_body(inv), " RTP/AVP 0 8 101\r\n") != NULL);
	CHECK(strstr(sip_body(inv), "a=rtpmap:101 telephone-event/8000") != NULL);
	CHECK(atomic_load(&dp.n_add) == 2);

	sipc_respond(&agent, inv, 180, "Ringing", "ag-tag1", NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 180, 2000) == 0);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag="));

	snprintf(contact, sizeof(contact), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag-tag1", contact, AGENT_SDP);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag=ag-tag1"));
	CHECK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strstr(v, " ACK"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strcmp(v, "10 INVITE") == 0);
	CHECK(sip_hdr(buf, "Contact", v, sizeof(v)) == 0 && strstr(v, "sip:800100@127.0.0.1"));
	CHECK(strstr(sip_body(buf), "c=IN IP4 " MEDIA_IP "\r\n") != NULL);
	CHECK(sscanf(strstr(sip_body(buf), "m=audio "), "m=audio %u", &caller_port) == 1);
	CHECK(caller_port != agent_leg_port && caller_port % 2 == 0);
	CHECK(strstr(sip_body(buf), " RTP/AVP 8 101\r\n") != NULL);  /* the agent's choice */
	/* both legs on one worker */
	CHECK((caller_port - 20000) / 100 == (agent_leg_port - 20000) / 100);
	CHECK(atomic_load(&dp.n_mod) == 1 && atomic_load(&dp.n_connect) == 1);
	{
		const struct sb_cmd_leg *a = &dp.last_leg[dp.connect_a];
		const struct sb_cmd_leg *b = &dp.last_leg[dp.connect_b];
		CHECK(a->local_port == caller_port && a->peer_ip == htonl(INADDR_LOOPBACK) &&
		      a->peer_port == 40000 && a->flags == (SB_LEG_F_LATCH | SB_LEG_F_STRICT));
		CHECK(b->h.type == SB_CMD_LEG_MOD && b->local_port == agent_leg_port &&
		      b->peer_port == 40002 && b->peer_ip == htonl(INADDR_LOOPBACK));
	}
	sip_hdr(buf, "To", to, sizeof(to));
	/* no ACK yet: the 200 comes again (timer G) */
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 1500) == 0);
	caller_req(&caller, "ACK", "call-1", to, 10);
	/* a retransmitted 200 from the agent is ACKed again */
	sipc_respond(&agent, inv, 200, "OK", "ag-tag1", contact, AGENT_SDP);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	usleep(200000);
	drain(&caller);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 1200) < 0); /* ACK stopped the 200s */

	/* sbctl sees the two active legs of the call in the segment */
	if (argc > 2) {
		char cmd[512], out[16384], want[64];
		FILE *pp;
		size_t n;

		snprintf(cmd, sizeof(cmd), "%s --instance %s stats", argv[2], inst);
		pp = popen(cmd, "r");
		CHECK(pp != NULL);
		n = fread(out, 1, sizeof(out) - 1, pp);
		out[n] = '\0';
		CHECK(pclose(pp) == 0);
		CHECK(out[0] == '{' && strstr(out, "\"state\":\"ready\""));
		CHECK(strstr(out, "\"ip\":\"" MEDIA_IP "\""));
		snprintf(want, sizeof(want), "\"local_port\":%u", caller_port);
		CHECK(strstr(out, want) != NULL);
		snprintf(want, sizeof(want), "\"local_port\":%u", agent_leg_port);
		CHECK(strstr(out, want) != NULL);
		CHECK(strstr(out, "\"rx_pkts\":100") && strstr(out, "\"peer\":\"127.0.0.1:40002\""));
		snprintf(cmd, sizeof(cmd), "%s --instance %s leg 63", argv[2], inst);
		pp = popen(cmd, "r");
		n = fread(out, 1, sizeof(out) - 1, pp);
		out[n] = '\0';
		CHECK(pclose(pp) == 0 && strstr(out, "\"idx\":63") && strstr(out, "\"active\":false"));
		snprintf(cmd, sizeof(cmd), "%s --instance nonexistent%d stats 2>/dev/null", argv[2],
			 (int)getpid());
		CHECK(WEXITSTATUS(system(cmd)) == 1);
	}

	caller_req(&caller, "BYE", "call-1", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strcmp(v, "11 BYE") == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag=ag-tag1"));
	snprintf(v, sizeof(v), "BYE sip:agent1@127.0.0.1:%u SIP/2.0", agent.port);
	CHECK(strncmp(buf, v, strlen(v)) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	usleep(100000);
	CHECK(atomic_load(&dp.n_del) == 2);
	CHECK(atomic_load(&dp.n_bad) == 0);

	/* ---------- 2. the agent hangs up ---------- */
	drain(&agent);
	ring(&caller, &agent, "call-2", inv, sizeof(inv));
	sipc_respond(&agent, inv, 200, "OK", "ag-tag2", contact, AGENT_SDP);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "call-2", to, 10);
	{
		/* BYE from the agent, in its dialog */
		char from[512], agent_to[512], cid[256];
		sip_hdr(inv, "From", from, sizeof(from));
		sip_hdr(inv, "To", agent_to, sizeof(agent_to));
		sip_hdr(inv, "Call-ID", cid, sizeof(cid));
		sipc_send(&agent, "BYE sip:switchboard@127.0.0.1:%u SIP/2.0\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKab2;rport\n"
				  "From: %s;tag=ag-tag2\nTo: %s\nCall-ID: %s\nCSeq: 1 BYE\n"
				  "Content-Length: 0\n\n",
			  p_agt, agent.port, agent_to, from, cid);
	}
	CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&caller, buf, sizeof(buf), "BYE", 2000) == 0);
	CHECK(sip_hdr(buf, "Call-ID", v, sizeof(v)) == 0 && strcmp(v, "call-2") == 0);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag=ct-call-2"));
	snprintf(v, sizeof(v), "BYE sip:alice@127.0.0.1:%u SIP/2.0", caller.port);
	CHECK(strncmp(buf, v, strlen(v)) == 0);
	sipc_respond(&caller, buf, 200, "OK", NULL, NULL, NULL);

	/* ---------- 3. the caller cancels while the agent rings ---------- */
	drain(&agent);
	drain(&caller);
	ring(&caller, &agent, "call-3", inv, sizeof(inv));
	sipc_send(&caller, "CANCEL sip:800100@127.0.0.1:%u SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKcall-3;rport\n"
			   "From: \"Alice\" <sip:alice@127.0.0.1>;tag=ct-call-3\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: call-3\nCSeq: 10 CANCEL\n"
			   "Content-Length: 0\n\n", p_car, caller.port);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strcmp(v, "10 CANCEL") == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 487, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "call-3", to, 10);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "CANCEL", 2000) == 0);
	{
		char vi[512], vc[512];
		sip_hdr(inv, "Via", vi, sizeof(vi));
		sip_hdr(buf, "Via", vc, sizeof(vc));
		CHECK(strcmp(vi, vc) == 0); /* same branch as the INVITE */
	}
	sipc_respond(&agent, buf, 200, "OK", "ag-tag3", NULL, NULL);
	sipc_respond(&agent, inv, 487, "Request Terminated", "ag-tag3", NULL, NULL);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);

	/* ---------- 4. the agent rejects ---------- */
	drain(&agent);
	drain(&caller);
	ring(&caller, &agent, "call-4", inv, sizeof(inv));
	sipc_respond(&agent, inv, 486, "Busy Here", "ag-tag4", NULL, NULL);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 480, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "call-4", to, 10);
	usleep(100000);
	CHECK(atomic_load(&dp.n_add) == 8 && atomic_load(&dp.n_del) == 8);

	/* ---------- 5. the dataplane stops: new calls get 503 ---------- */
	sb_dp_shm_set_state(&dp.shm, SB_DP_STOPPED);
	usleep(400000);
	drain(&caller);
	caller_invite(&caller, "call-5");
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 503, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "call-5", to, 10);
	usleep(100000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	atomic_store(&dp.stop, 1);
	pthread_join(dp.thread, NULL);
	sb_dp_shm_detach(&dp.shm, 1);

	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 5);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='call-1' AND status=200 AND "
		    "hangup_by='caller' AND agent='agent1' AND hotline='800100' AND caller='alice' "
		    "AND answer_ms >= start_ms AND end_ms >= answer_ms AND "
		    "caller_rx_pkts=100 AND caller_tx_pkts=90 AND agent_rx_pkts=90 AND "
		    "agent_tx_pkts=100 AND caller_rx_bytes=17200 AND agent_rx_bytes=15480") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='call-2' AND status=200 AND "
		    "hangup_by='agent'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='call-3' AND status=487 AND "
		    "hangup_by='caller' AND answer_ms IS NULL") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='call-4' AND status=480 AND "
		    "hangup_by='agent'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='call-5' AND status=503") == 1);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
