/* SPDX-License-Identifier: MIT */
/* sdp_call_t — SDP offer/answer through sb-control on real UDP sockets.
 * The test process plays the dataplane (a real segment; a thread answers
 * every command and keeps the last LEG_ADD/MOD per leg), a caller and an
 * agent:
 *
 *  1. caller offers only G729 (and video): 100, then 488 with
 *     "Warning: 305"; no INVITE reaches the agent; CDR status 488.
 *  2. caller offers RTP/SAVP with an SDES suite we do not implement (the
 *     DPDK dataplane has SRTP since ABI 4: media_srtp tests the keys):
 *     488 "Warning: 302" (never a silent RTP/AVP answer); an IPv6 c=:
 *     488 "Warning: 301".
 *  3. caller offers opus 111 + telephone-event 110/48000 + PCMU + video,
 *     rtcp-mux: the agent's INVITE carries one m=audio, RTP/AVP, those
 *     numbers; the agent answers opus as 96 and events as 101: the caller's
 *     200 has "RTP/AVP 111 110", the video line at port 0, rtcp-mux; the
 *     legs get payload-type maps 111->96, 110->101 and back, with clocks,
 *     and the caller's leg RTCP mux.
 *  4. the agent answers a codec we did not offer: ACK, BYE to the agent,
 *     488 "Warning: 305" to the caller.
 *
 *   sdp_call_t /path/to/sb-control */
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

struct fake_dp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_add, n_mod, n_del;
	pthread_mutex_t lock;           /* last_leg */
	struct sb_cmd_leg last_leg[64]; /* last LEG_ADD/MOD per leg index */
};

/* One command: recorded as the test wants; returns the RESULT status. */
static int32_t fake_dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp *d = arg;
	int32_t status = 0;

	(void)w;
	if (m->h.type >= SB_CMD_N || m->h.len != sb_cmd_size[m->h.type] ||
	    (m->h.type != SB_CMD_NOP && m->h.leg >= 64)) {
		status = -EINVAL;
	} else if (m->h.type == SB_CMD_LEG_ADD || m->h.type == SB_CMD_LEG_MOD) {
		struct sb_leg_stats *ls = sb_dp_shm_leg_stats(&d->shm, m->h.leg);

		if (m->h.type == SB_CMD_LEG_ADD) {
			memset(ls, 0, sizeof(*ls));
			ls->leg_gen = m->h.leg_gen;
			ls->active = 1;
		}
		ls->local_port = m->leg.local_port;
		pthread_mutex_lock(&d->lock);
		d->last_leg[m->h.leg] = m->leg;
		pthread_mutex_unlock(&d->lock);
		atomic_fetch_add(m->h.type == SB_CMD_LEG_ADD ? &d->n_add : &d->n_mod, 1);
	} else if (m->h.type == SB_CMD_LEG_DEL) {
		sb_dp_shm_leg_stats(&d->shm, m->h.leg)->active = 0;
		atomic_fetch_add(&d->n_del, 1);
	}
	return status;
}

static void *fake_dp_main(void *arg)
{
	struct fake_dp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_cmd, NULL, d);
	return NULL;
}

/* the last command for the leg on a local port */
static struct sb_cmd_leg leg_on(struct fake_dp *d, unsigned port)
{
	struct sb_cmd_leg r;

	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < 64; i++)
		if (d->last_leg[i].local_port == port)
			r = d->last_leg[i];
	pthread_mutex_unlock(&d->lock);
	return r;
}

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"

static void caller_invite(struct sipc *c, const char *callid, const char *sdp)
{
	sipc_send(c, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: <sip:800100@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  c->server, c->port, callid, callid, callid, c->port, strlen(sdp), sdp);
}

static void caller_req(struct sipc *c, const char *method, const char *callid, const char *to,
		       int cseq)
{
	sipc_send(c, "%s sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		  method, c->server, c->port, method, callid, cseq, callid, to, callid, cseq, method);
}

/* INVITE with an offer we cannot take: 100, 488 with the Warning code */
static void rejected(struct sipc *caller, const char *callid, const char *sdp, const char *warn)
{
	char buf[8192], v[1024], to[1024];

	caller_invite(caller, callid, sdp);
	CHECK(sipc_expect_status(caller, buf, sizeof(buf), 488, 2000) == 0);
	CHECK(sip_hdr(buf, "Warning", v, sizeof(v)) == 0);
	if (strncmp(v, warn, strlen(warn)) != 0)
		fprintf(stderr, "Warning: %s\n", v);
	CHECK(strncmp(v, warn, strlen(warn)) == 0 && strstr(v, "switchboard \""));
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(caller, "ACK", callid, to, 10);
}

int main(int argc, char **argv)
{
	struct fake_dp dp = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char inst[32], cfg[128], db[128], buf[8192], inv[8192], v[1024], to[1024], ct[300];
	struct sipc caller, agent;
	unsigned cseq = 1, caller_port, agent_port;
	uint16_t p_sip;
	struct sb_cmd_leg la, lb;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sdp%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 1, 100, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_main, &dp) == 0);

	cp_workdir("/tmp/sb_sdp_call_t", dir, cfg, db, logp);
	p_sip = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
			  "store:\n  sqlite: %s\nmedia:\n  codecs: [PCMU, PCMA, opus, telephone-event]\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n", inst, p_sip, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "agent-reg", &cseq, ct, buf,
			    sizeof(buf)) == 200);

	/* ---------- 1. no codec in common ---------- */
	rejected(&caller, "sdp-1", SDP_HEAD "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
		 "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", "305 ");
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 300) < 0);
	CHECK(atomic_load(&dp.n_add) == 0);

	/* ---------- 2. SDES offered with a suite we do not implement ---------- */
	rejected(&caller, "sdp-2", SDP_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
		 "a=crypto:1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
		 "302 ");
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 300) < 0);
	/* an IPv6 caller: the dataplane is IPv4 only */
	rejected(&caller, "sdp-2b", "v=0\r\nc=IN IP6 2001:db8::1\r\nm=audio 40000 RTP/AVP 0\r\n",
		 "301 ");
	CHECK(atomic_load(&dp.n_add) == 0);

	/* ---------- 3. renumbered opus: payload-type maps ---------- */
	caller_invite(&caller, "sdp-3", SDP_HEAD "m=audio 40000 RTP/AVP 111 0 110\r\n"
		      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
		      "a=rtpmap:110 telephone-event/48000\r\na=rtcp-mux\r\n"
		      "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(strstr(sip_body(inv), "c=IN IP4 " MEDIA_IP "\r\n") != NULL);
	CHECK(sscanf(strstr(sip_body(inv), "m=audio "), "m=audio %u", &agent_port) == 1);
	CHECK(strstr(sip_body(inv), " RTP/AVP 0 111 110\r\n") != NULL); /* our preference */
	CHECK(strstr(sip_body(inv), "a=fmtp:111 useinbandfec=1\r\n") != NULL);
	CHECK(strstr(sip_body(inv), "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(sip_body(inv), "m=video") == NULL);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag3", ct,
		     "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		     "m=audio 40010 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
		     "a=fmtp:96 usedtx=1\r\na=rtpmap:101 telephone-event/48000\r\n");
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 3000) == 0);
	CHECK(sscanf(strstr(sip_body(buf), "m=audio "), "m=audio %u", &caller_port) == 1);
	CHECK(strstr(sip_body(buf), " RTP/AVP 111 110\r\n") != NULL);
	CHECK(strstr(sip_body(buf), "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 usedtx=1\r\n"));
	CHECK(strstr(sip_body(buf), "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(sip_body(buf), "m=video 0 RTP/AVP 96\r\n") != NULL);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "sdp-3", to, 10);
	la = leg_on(&dp, caller_port);
	lb = leg_on(&dp, agent_port);
	CHECK(la.h.type == SB_CMD_LEG_MOD && lb.h.type == SB_CMD_LEG_MOD);
	CHECK(la.n_pt_map == 2 && la.pt_map[0].pt_in == 111 && la.pt_map[0].pt_out == 96 &&
	      la.pt_map[0].clock_hz == 48000 && la.pt_map[1].pt_in == 110 &&
	      la.pt_map[1].pt_out == 101);
	CHECK(lb.n_pt_map == 2 && lb.pt_map[0].pt_in == 96 && lb.pt_map[0].pt_out == 111 &&
	      lb.pt_map[1].pt_in == 101 && lb.pt_map[1].pt_out == 110);
	CHECK((la.flags & SB_LEG_F_RTCP_MUX) && !(lb.flags & SB_LEG_F_RTCP_MUX));
	CHECK(la.peer_port == 40000 && lb.peer_port == 40010);
	caller_req(&caller, "BYE", "sdp-3", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);

	/* ---------- 4. the agent answers what we did not offer ---------- */
	caller_invite(&caller, "sdp-4", SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n");
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(strstr(sip_body(inv), " RTP/AVP 0 8\r\n") != NULL);
	sipc_respond(&agent, inv, 200, "OK", "ag4", ct,
		     "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 40010 RTP/AVP 18\r\n"
		     "a=rtpmap:18 G729/8000\r\n");
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 488, 2000) == 0);
	CHECK(sip_hdr(buf, "Warning", v, sizeof(v)) == 0 && strncmp(v, "305 ", 4) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	caller_req(&caller, "ACK", "sdp-4", to, 10);
	usleep(200000);
	CHECK(atomic_load(&dp.n_add) == atomic_load(&dp.n_del));

	CHECK(control_stop(pid) == 0);
	pid = 0;
	atomic_store(&dp.stop, 1);
	pthread_join(dp.thread, NULL);
	sb_dp_shm_detach(&dp.shm, 1);

	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE status=488") == 4);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='sdp-3' AND status=200") == 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
