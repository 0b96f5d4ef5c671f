/* SPDX-License-Identifier: MIT */
/* media_proc_t — what sb-control asks of the dataplane beyond relaying
 * (ABI 4: LEG_MEDIA, CONF_JOIN/LEAVE, PROMPT_LOAD/PLAY/STOP, DTMF events),
 * driven over real UDP SIP against a recording fake dataplane on a real
 * segment.  One mode per test (argv[2]):
 *
 *  srtp      caller offers RTP/SAVP + SDES: the caller's leg gets LEG_MEDIA
 *            with the offered key as rx and the key of our 200's a=crypto
 *            as tx (before the CONNECT); the agent side is plain RTP.  An
 *            agent with `srtp: true` is offered RTP/SAVP with our key: its
 *            leg gets its answer's key as rx and our offered key as tx.  A
 *            re-INVITE with a new key: LEG_MOD, then LEG_MEDIA, new keys.
 *  xcode     `transcode: true`, caller has PCMA only, agent answers PCMU:
 *            no 488, the caller is answered PCMA, each leg is programmed
 *            with its own codec (LEG_MEDIA) before the CONNECT.
 *  dtmf      a DTMF event on the caller's leg reaches the call (its log).
 *  suprec    `recording: supervisor: true`: REC_LEG on/off for a recorded
 *            call's whispering/barging supervisor (off by DTMF 4 and BYE,
 *            never for a listener); suprec_off: the policy off, none.
 *  supervise listen/whisper/barge by feature code: CONF_JOIN modes and
 *            targets, DTMF 5/6/4 switch, the supervisor's BYE -> CONF_LEAVE
 *            both + LEG_CONNECT; the supervised call's end BYEs the
 *            supervisor; 403 for a non-supervisor, 404 for no such agent.
 *  moh       PROMPT_LOAD at attach; a queued caller gets PROMPT_PLAY LOOP on
 *            its leg, PROMPT_STOP when the agent answers (before CONNECT).
 *  restart   after a dataplane restart: PROMPT_LOAD again, LEG_MEDIA with
 *            the same keys behind each leg's LEG_ADD, CONF_JOIN of the
 *            supervised call's members (not CONNECT), the looping prompt.
 *
 *   media_proc_t /path/to/sb-control MODE */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "rec_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"
#define KEY_B64 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define AGENT_KEY_B64 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static char dir[64], logp[128], inst[32];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	char name[64];

	control_fail_report(what, line, logp, pid);
	snprintf(name, sizeof(name), "/switchboard.%s", inst);
	shm_unlink(name); /* the fake dataplane's segment: ours, by name */
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* the recording dataplane (dp below): rec_dp.h */

/* ---- SIP helpers ---- */

static int b64(const char *in, uint8_t *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0, bits = 0;
	int n = 0;

	for (; *in && *in != '=' && *in != '|' && *in != '\r' && *in != ' '; in++) {
		const char *p = strchr(t, *in);

		if (p == NULL)
			return -1;
		acc = (acc << 6) | (unsigned)(p - t);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

/* The key of the a=crypto line in SDP (30 bytes for AES_CM_128); -1. */
static int sdp_key(const char *sdp, uint8_t key[30])
{
	const char *p = strstr(sdp, "inline:");

	return p ? b64(p + 7, key) : -1;
}

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"

static void invite(struct sipc *c, const char *user, const char *from, const char *callid,
		   const char *sdp)
{
	sipc_send(c, "INVITE sip:%s@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:%s@127.0.0.1>;tag=ct-%s\nTo: <sip:%s@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:%s@127.0.0.1:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  user, c->server, c->port, callid, from, callid, user, callid, from, c->port,
		  strlen(sdp), sdp);
}

static void req(struct sipc *c, const char *method, const char *user, const char *from,
		const char *callid, const char *to, int cseq)
{
	sipc_send(c, "%s sip:%s@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:%s@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		  method, user, c->server, c->port, method, callid, cseq, from, callid, to, callid,
		  cseq, method);
}

/* A caller's INVITE to USER answered by the agent with ANSWER: the
 * agent's INVITE in inv, our 200 to the caller in ok (ACKed), its To in to.
 * Returns our caller-side media port. */
static unsigned call_up(struct sipc *caller, struct sipc *agent, const char *user,
			const char *callid, const char *offer, const char *answer, char *inv,
			char *ok, char *to)
{
	char buf[8192], ct[200];
	unsigned port = 0;

	invite(caller, user, "alice", callid, offer);
	CHECK(sipc_expect_method(agent, inv, 8192, "INVITE", 3000) == 0);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent@127.0.0.1:%u>\r\n", agent->port);
	sipc_respond(agent, inv, 200, "OK", "ag", ct, answer);
	CHECK(sipc_expect_method(agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(caller, ok, 8192, 200, 3000) == 0);
	CHECK(sscanf(strstr(sip_body(ok), "m=audio "), "m=audio %u", &port) == 1);
	sip_hdr(ok, "To", to, 1024);
	req(caller, "ACK", user, "alice", callid, to, 10);
	return port;
}

static unsigned offer_port(const char *inv)
{
	unsigned p = 0;

	CHECK(sscanf(strstr(sip_body(inv), "m=audio "), "m=audio %u", &p) == 1);
	return p;
}

static void hang_up(struct sipc *caller, struct sipc *agent, const char *user,
		    const char *callid, const char *to)
{
	char buf[8192];

	req(caller, "BYE", user, "alice", callid, to, 11);
	CHECK(sipc_expect_status(caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(agent, buf, 200, "OK", NULL, NULL, NULL);
}

static bool log_has(const char *needle)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -qF \"%s\" %s", needle, logp);
	for (int i = 0; i < 100; i++) {
		if (system(cmd) == 0)
			return true;
		usleep(20000);
	}
	return false;
}

#define ANSWER_PCMU SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

static struct rec_dp dp;
static struct sipc caller, agent, boss, other;
static char cfg[128], db[128];

static void start(const char *body)
{
	uint16_t p_sip = sipc_free_port();
	unsigned cseq = 1;
	char buf[8192], ct[300];

	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
			  "store:\n  sqlite: %s\n%s", inst, p_sip, db, body);
	pid = control_start(getenv("SB_CONTROL"), cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	sipc_open(&boss, p_sip);
	sipc_open(&other, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "reg-a1", &cseq, ct, buf,
			    sizeof(buf)) == 200);
}

static void reg(struct sipc *c, const char *user)
{
	unsigned cseq = 1;
	char buf[8192], ct[300], cid[64];

	snprintf(ct, sizeof(ct), "Contact: <sip:%s@127.0.0.1:%u>;expires=300\n", user, c->port);
	snprintf(cid, sizeof(cid), "reg-%s", user);
	CHECK(sipc_register(c, "SHA-256", user, "secret", cid, &cseq, ct, buf, sizeof(buf)) == 200);
}

#define AGENTS "agents:\n  - user: agent1\n    password: secret\n" \
	       "  - user: agent2\n    password: secret\n    srtp: true\n" \
	       "  - user: boss\n    password: secret\n    supervisor: true\n" \
	       "  - user: other\n    password: secret\n"

/* ------------------------------------------------------------------ */

static void t_srtp(void)
{
	char inv[8192], ok[8192], to[1024], buf[8192], ct[200];
	uint8_t offered[32], ours[32], agent_key[32], our_agent_key[32];
	unsigned pa, pb;
	uint32_t la, lb;
	int im, ic;

	start("media:\n  codecs: [PCMU, PCMA, telephone-event]\n" AGENTS
	      "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n"
	      "  - number: \"800200\"\n    agents: [agent2]\n");
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	CHECK(b64(KEY_B64, offered) == 30);
	pa = call_up(&caller, &agent, "800100", "srtp-1",
		     SDP_HEAD "m=audio 40000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n",
		     ANSWER_PCMU, inv, ok, to);
	/* the agent side is plain RTP; the caller is answered SAVP with our key */
	CHECK(strstr(sip_body(inv), " RTP/AVP ") && !strstr(sip_body(inv), "a=crypto"));
	CHECK(strstr(sip_body(ok), "m=audio ") && strstr(sip_body(ok), " RTP/SAVP 0 101\r\n"));
	CHECK(strstr(sip_body(ok), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	CHECK(sdp_key(sip_body(ok), ours) == 30 && memcmp(ours, offered, 30) != 0);
	pb = offer_port(inv);
	la = rec_dp_leg_at(&dp, pa);
	lb = rec_dp_leg_at(&dp, pb);
	CHECK(la != SB_LEG_NONE && lb != SB_LEG_NONE);
	im = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, la);
	ic = rec_dp_find(&dp, 0, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(im >= 0 && ic > im);
	{
		const struct sb_cmd_media *m = &dp.cmd[im].media;

		CHECK(m->h.len == sizeof(*m));
		CHECK(m->srtp_rx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 && m->rx_key_len == 30 &&
		      memcmp(m->rx_key, offered, 30) == 0);
		CHECK(m->srtp_tx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 && m->tx_key_len == 30 &&
		      memcmp(m->tx_key, ours, 30) == 0);
		CHECK(m->codec == SB_DP_CODEC_PCMU && m->pt == 0 && m->clock_hz == 8000 &&
		      m->dtmf_pt == 101 && (m->flags & SB_MEDIA_DTMF_4733));
		CHECK(m->opus_complexity == 0xff); /* not configured: the dataplane's default */
	}
	im = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, lb);
	CHECK(im >= 0 && im < ic);
	CHECK(dp.cmd[im].media.srtp_rx == 0 && dp.cmd[im].media.srtp_tx == 0 &&
	      dp.cmd[im].media.codec == SB_DP_CODEC_PCMU);

	/* a re-INVITE with a new key: LEG_MOD, then LEG_MEDIA with the new
	 * key as rx and the one of our new answer as tx */
	{
		const char *sdp2 = SDP_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
				   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" AGENT_KEY_B64 "\r\n";
		uint8_t k2[32], ours2[32];
		int mark = atomic_load(&dp.n), imod;

		CHECK(b64(AGENT_KEY_B64, k2) == 30);
		sipc_send(&caller, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKre-srtp-1;rport\n"
			  "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-srtp-1\nTo: %s\n"
			  "Call-ID: srtp-1\nCSeq: 11 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
			  "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
			  caller.server, caller.port, to, caller.port, strlen(sdp2), sdp2);
		CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "INVITE", 3000) == 0);
		CHECK(!strstr(sip_body(buf), "a=crypto")); /* the agent side stays plain */
		sipc_respond(&agent, buf, 200, "OK", NULL, ct, ANSWER_PCMU);
		CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
		CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 3000) == 0);
		CHECK(sdp_key(sip_body(buf), ours2) == 30 && memcmp(ours2, ours, 30) != 0);
		req(&caller, "ACK", "800100", "alice", "srtp-1", to, 11);
		imod = rec_dp_find(&dp, mark, SB_CMD_LEG_MOD, la);
		im = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la);
		CHECK(imod >= 0 && im > imod);
		CHECK(memcmp(dp.cmd[im].media.rx_key, k2, 30) == 0 &&
		      memcmp(dp.cmd[im].media.tx_key, ours2, 30) == 0);
	}
	hang_up(&caller, &agent, "800100", "srtp-1", to);

	/* agent2 has `srtp: true`: offered SAVP + our key, the caller is plain */
	{
		unsigned cseq = 1;
		char rct[300];

		snprintf(rct, sizeof(rct), "Contact: <sip:agent2@127.0.0.1:%u>;expires=300\n",
			 other.port);
		CHECK(sipc_register(&other, "SHA-256", "agent2", "secret", "reg-a2", &cseq, rct,
				    buf, sizeof(buf)) == 200);
	}
	invite(&caller, "800200", "alice", "srtp-2", SDP_HEAD "m=audio 40000 RTP/AVP 0\r\n");
	CHECK(sipc_expect_method(&other, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(strstr(sip_body(inv), " RTP/SAVP 0\r\n"));
	CHECK(sdp_key(sip_body(inv), our_agent_key) == 30);
	CHECK(b64(AGENT_KEY_B64, agent_key) == 30);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent2@127.0.0.1:%u>\r\n", other.port);
	sipc_respond(&other, inv, 200, "OK", "ag2", ct,
		     SDP_HEAD "m=audio 40020 RTP/SAVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" AGENT_KEY_B64 "\r\n");
	CHECK(sipc_expect_method(&other, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	CHECK(strstr(sip_body(ok), " RTP/AVP 0\r\n") && !strstr(sip_body(ok), "a=crypto"));
	sip_hdr(ok, "To", to, sizeof(to));
	req(&caller, "ACK", "800200", "alice", "srtp-2", to, 10);
	lb = rec_dp_leg_at(&dp, offer_port(inv));
	ic = rec_dp_find(&dp, ic + 1, SB_CMD_LEG_CONNECT, ANY_LEG);
	im = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, lb);
	CHECK(ic > 0 && im >= 0 && im < ic);
	{
		const struct sb_cmd_media *m = &dp.cmd[im].media;

		CHECK(m->srtp_rx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 &&
		      memcmp(m->rx_key, agent_key, 30) == 0);
		CHECK(m->srtp_tx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 &&
		      memcmp(m->tx_key, our_agent_key, 30) == 0);
	}
	req(&caller, "BYE", "800200", "alice", "srtp-2", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&other, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&other, buf, 200, "OK", NULL, NULL, NULL);
}

static void t_xcode(void)
{
	char inv[8192], ok[8192], to[1024];
	unsigned pa;
	uint32_t la, lb;
	int ia, ib, ic;

	start("media:\n  codecs: [PCMU, PCMA, opus, telephone-event]\n  transcode: true\n"
	      "  opus_complexity: 3\n" AGENTS
	      "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n");
	pa = call_up(&caller, &agent, "800100", "xc-1",
		     SDP_HEAD "m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		     SDP_HEAD "m=audio 40010 RTP/AVP 0\r\n", inv, ok, to);
	/* the agent was offered the caller's PCMA and then ours */
	CHECK(strstr(sip_body(inv), " RTP/AVP 8 0 96 101\r\n"));
	CHECK(strstr(sip_body(inv), "a=rtpmap:96 opus/48000/2\r\n"));
	/* the caller got PCMA, not 488 */
	CHECK(strstr(sip_body(ok), " RTP/AVP 8 101\r\n"));
	la = rec_dp_leg_at(&dp, pa);
	lb = rec_dp_leg_at(&dp, offer_port(inv));
	ia = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, la);
	ib = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, lb);
	ic = rec_dp_find(&dp, 0, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(ia >= 0 && ib >= 0 && ic > ia && ic > ib);
	CHECK(dp.cmd[ia].media.codec == SB_DP_CODEC_PCMA && dp.cmd[ia].media.pt == 8 &&
	      dp.cmd[ia].media.clock_hz == 8000 && dp.cmd[ia].media.dtmf_pt == 101);
	CHECK(dp.cmd[ib].media.codec == SB_DP_CODEC_PCMU && dp.cmd[ib].media.pt == 0 &&
	      dp.cmd[ib].media.dtmf_pt == 0);
	/* media: opus_complexity reaches every LEG_MEDIA (the workers' encoders) */
	CHECK(dp.cmd[ia].media.opus_complexity == 3 && dp.cmd[ib].media.opus_complexity == 3);
	CHECK(log_has("transcoding PCMA/8000 (caller) <-> PCMU/8000 (agent)"));
	hang_up(&caller, &agent, "800100", "xc-1", to);
}

static void t_dtmf(void)
{
	char inv[8192], ok[8192], to[1024], needle[128];
	unsigned pa;
	uint32_t la;

	start(AGENTS "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n");
	pa = call_up(&caller, &agent, "800100", "dt-1",
		     SDP_HEAD "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		     ANSWER_PCMU, inv, ok, to);
	la = rec_dp_leg_at(&dp, pa);
	/* a plain call: relayed, nothing beyond */
	CHECK(rec_dp_count(&dp, 0, SB_CMD_LEG_MEDIA, ANY_LEG) == 0);
	CHECK(rec_dp_dtmf(&dp, la, '7', 160) == 0);
	snprintf(needle, sizeof(needle), "DTMF '7' (160 ms) from the caller");
	CHECK(log_has(needle));
	hang_up(&caller, &agent, "800100", "dt-1", to);
}

/* The CONF_JOIN of LEG from FROM on; checks conf and mode. */
static const struct sb_cmd_conf *joined(int from, uint32_t leg, uint32_t conf, uint32_t mode,
					int *at)
{
	int i = rec_dp_find(&dp, from, SB_CMD_CONF_JOIN, leg);

	CHECK(i >= 0);
	if (at)
		*at = i;
	CHECK(dp.cmd[i].conf.conf == conf && dp.cmd[i].conf.mode == mode);
	return &dp.cmd[i].conf;
}

/* INVITE with CSeq n from a registered agent (digest: agents' INVITEs
 * are challenged), authz "" or an Authorization line. */
static void ainvite1(struct sipc *c, const char *from, const char *user, const char *callid,
		     int n, const char *authz)
{
	sipc_send(c, "INVITE sip:%s@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s-%d;rport\nMax-Forwards: 70\n"
		  "From: <sip:%s@127.0.0.1>;tag=b-%s\nTo: <sip:%s@127.0.0.1>\nCall-ID: %s\n"
		  "CSeq: %d INVITE\nContact: <sip:%s@127.0.0.1:%u>\n%s"
		  "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  user, c->server, c->port, callid, n, from, callid, user, callid, n, from, c->port,
		  authz, strlen(ANSWER_PCMU), ANSWER_PCMU);
}

static void aack(struct sipc *c, const char *from, const char *user, const char *callid, int n,
		 const char *resp)
{
	char to[1024];

	sip_hdr(resp, "To", to, sizeof(to));
	sipc_send(c, "ACK sip:%s@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s-%d;rport\nMax-Forwards: 70\n"
		  "From: <sip:%s@127.0.0.1>;tag=b-%s\nTo: %s\nCall-ID: %s\nCSeq: %d ACK\n"
		  "Content-Length: 0\n\n", user, c->server, c->port, callid, n, from, callid, to,
		  callid, n);
}

/* The 401 dance, then the final status WANT of the authorized INVITE
 * (CSeq 2) in buf (a non-2xx is ACKed). */
static void ainvite(struct sipc *c, const char *from, const char *user, const char *callid,
		    int want, char *buf)
{
	char realm[64], nonce[64], authz[1024], uri[128];

	ainvite1(c, from, user, callid, 1, "");
	CHECK(sipc_expect_status(c, buf, 8192, 401, 2000) == 0);
	aack(c, from, user, callid, 1, buf);
	CHECK(sip_challenge(buf, "SHA-256", realm, nonce, NULL) == 0);
	snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1:%u", user, c->server);
	sipc_authz(authz, sizeof(authz), "SHA-256", from, "secret", realm, nonce, "INVITE", uri, 1,
		   "c0ffee");
	ainvite1(c, from, user, callid, 2, authz);
	CHECK(sipc_expect_status(c, buf, 8192, want, 3000) == 0);
	if (want >= 300)
		aack(c, from, user, callid, 2, buf);
}

/* The supervisor dials CODE+agent1; 200 from us; returns its leg. */
static uint32_t supervise(const char *code, const char *callid, char *to)
{
	char buf[8192], user[32];
	unsigned port;

	snprintf(user, sizeof(user), "%sagent1", code);
	ainvite(&boss, "boss", user, callid, 200, buf);
	CHECK(sscanf(strstr(sip_body(buf), "m=audio "), "m=audio %u", &port) == 1);
	CHECK(strstr(sip_body(buf), " RTP/AVP 0 101\r\n"));
	sip_hdr(buf, "To", to, 1024);
	sipc_send(&boss, "ACK sip:%s@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKack%s;rport\nMax-Forwards: 70\n"
		  "From: <sip:boss@127.0.0.1>;tag=b-%s\nTo: %s\nCall-ID: %s\nCSeq: 2 ACK\n"
		  "Content-Length: 0\n\n", user, boss.server, boss.port, callid, callid, to, callid);
	return rec_dp_leg_at(&dp, port);
}

static void boss_bye(const char *callid, const char *to)
{
	char buf[8192];

	sipc_send(&boss, "BYE sip:x@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbye%s;rport\nMax-Forwards: 70\n"
		  "From: <sip:boss@127.0.0.1>;tag=b-%s\nTo: %s\nCall-ID: %s\nCSeq: 3 BYE\n"
		  "Content-Length: 0\n\n", boss.server, boss.port, callid, callid, to, callid);
	CHECK(sipc_expect_status(&boss, buf, sizeof(buf), 200, 2000) == 0);
}

static void refused(struct sipc *c, const char *from, const char *user, int status)
{
	char buf[8192], cid[64];

	snprintf(cid, sizeof(cid), "ref-%s-%d", user, status);
	ainvite(c, from, user, cid, status, buf);
}

static void t_supervise(void)
{
	char inv[8192], ok[8192], to[1024], sto[1024], buf[8192];
	unsigned pa;
	uint32_t la, lb, ls, conf;
	int i, mark;
	const struct sb_cmd_conf *cj;

	start(AGENTS "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n");
	reg(&boss, "boss");
	reg(&other, "other");
	refused(&boss, "boss", "*51agent1", 486); /* agent1 is on no call yet */
	pa = call_up(&caller, &agent, "800100", "sv-1",
		     SDP_HEAD "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		     ANSWER_PCMU, inv, ok, to);
	la = rec_dp_leg_at(&dp, pa);
	lb = rec_dp_leg_at(&dp, offer_port(inv));
	refused(&other, "other", "*51agent1", 403); /* not a supervisor */
	refused(&boss, "boss", "*51nobody", 404);

	/* listen */
	mark = atomic_load(&dp.n);
	ls = supervise("*51", "sup-1", sto);
	CHECK(ls != SB_LEG_NONE && ls != la && ls != lb);
	i = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, ls);
	CHECK(i >= 0 && (dp.cmd[i].media.flags & SB_MEDIA_DTMF_4733) &&
	      (dp.cmd[i].media.flags & SB_MEDIA_DTMF_STRIP) && dp.cmd[i].media.dtmf_pt == 101);
	CHECK(rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la) >= 0);
	CHECK(rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, lb) >= 0);
	i = rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, la);
	CHECK(i >= 0);
	conf = dp.cmd[i].conf.conf;
	joined(mark, la, conf, SB_CONF_TALK, NULL);
	joined(mark, lb, conf, SB_CONF_TALK, NULL);
	joined(mark, ls, conf, SB_CONF_LISTEN, NULL);
	CHECK(log_has("supervising call"));

	/* DTMF 5: whisper to the agent; 6: barge; 4: listen again */
	mark = atomic_load(&dp.n);
	CHECK(rec_dp_dtmf(&dp, ls, '5', 100) == 0);
	cj = joined(mark, ls, conf, SB_CONF_WHISPER, &mark);
	CHECK(cj->target == lb && cj->target_gen == rec_dp_gen_of(&dp, lb));
	CHECK(rec_dp_dtmf(&dp, ls, '6', 100) == 0);
	cj = joined(mark + 1, ls, conf, SB_CONF_TALK, &mark);
	CHECK(rec_dp_dtmf(&dp, ls, '4', 100) == 0);
	joined(mark + 1, ls, conf, SB_CONF_LISTEN, &mark);
	CHECK(rec_dp_dtmf(&dp, ls, '4', 100) == 0); /* same mode: nothing */
	usleep(200000);
	CHECK(rec_dp_count(&dp, mark + 1, SB_CMD_CONF_JOIN, ANY_LEG) == 0);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 10) < 0 && sipc_recv(&agent, buf, sizeof(buf), 10) < 0);

	/* the supervisor hangs up: out of the mixer, connected again */
	mark = atomic_load(&dp.n);
	boss_bye("sup-1", sto);
	i = rec_dp_find(&dp, mark, SB_CMD_CONF_LEAVE, la);
	CHECK(i >= 0 && rec_dp_find(&dp, mark, SB_CMD_CONF_LEAVE, lb) >= 0);
	{
		int ic = rec_dp_find(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG);

		CHECK(ic > i && ic > rec_dp_find(&dp, mark, SB_CMD_CONF_LEAVE, lb));
		CHECK((dp.cmd[ic].h.leg == la && dp.cmd[ic].connect.leg_b == lb) ||
		      (dp.cmd[ic].h.leg == lb && dp.cmd[ic].connect.leg_b == la));
	}
	CHECK(rec_dp_find(&dp, mark, SB_CMD_LEG_DEL, ls) >= 0);

	/* whisper straight away, then the supervised call ends: BYE the supervisor */
	mark = atomic_load(&dp.n);
	ls = supervise("*52", "sup-2", sto);
	cj = joined(mark, ls, conf, SB_CONF_WHISPER, NULL);
	CHECK(cj->target == lb);
	/* barge by code */
	hang_up(&caller, &agent, "800100", "sv-1", to);
	CHECK(sipc_expect_method(&boss, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&boss, buf, 200, "OK", NULL, NULL, NULL);
	CHECK(rec_dp_find(&dp, mark, SB_CMD_LEG_DEL, ls) >= 0);

	/* barge on a new call */
	pa = call_up(&caller, &agent, "800100", "sv-2", SDP_HEAD "m=audio 40000 RTP/AVP 0\r\n",
		     ANSWER_PCMU, inv, ok, to);
	mark = atomic_load(&dp.n);
	ls = supervise("*53", "sup-3", sto);
	la = rec_dp_leg_at(&dp, pa);
	i = rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, la);
	CHECK(i >= 0);
	joined(mark, ls, dp.cmd[i].conf.conf, SB_CONF_TALK, NULL);
	boss_bye("sup-3", sto);
	hang_up(&caller, &agent, "800100", "sv-2", to);
}

/* `recording: supervisor:` on (policy) or off: a recorded call supervised.
 * On: whisper sends REC_LEG on for the supervisor's leg (the call's
 * rec_id, channel 2); DTMF 4 (listen) off, 6 (barge) on again; its BYE
 * off; a listener (*51) is never tapped.  Off: no REC_LEG at all. */
static void t_suprec(bool policy)
{
	char inv[8192], ok[8192], to[1024], sto[1024], y[512];
	unsigned pa;
	uint32_t la, ls, rec_id;
	int i, mark;

	snprintf(y, sizeof(y), "recording:\n  dir: /tmp/sb-rec-suprec\n  supervisor: %s\n" AGENTS
		 "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n    record: true\n",
		 policy ? "true" : "false");
	start(y);
	reg(&boss, "boss");
	pa = call_up(&caller, &agent, "800100", "sr-1",
		     SDP_HEAD "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		     ANSWER_PCMU, inv, ok, to);
	la = rec_dp_leg_at(&dp, pa);
	i = rec_dp_find(&dp, 0, SB_CMD_REC_START, la);
	CHECK(i >= 0);
	rec_id = dp.cmd[i].rec_start.rec_id;

	/* whisper */
	mark = atomic_load(&dp.n);
	ls = supervise("*52", "sr-sup", sto);
	CHECK(ls != SB_LEG_NONE && ls != la);
	i = rec_dp_find_ms(&dp, mark, SB_CMD_REC_LEG, ANY_LEG, policy ? 2000 : 300);
	if (!policy) {
		CHECK(i < 0);
		CHECK(rec_dp_dtmf(&dp, ls, '6', 100) == 0);
		usleep(200000);
		boss_bye("sr-sup", sto);
		usleep(200000);
		CHECK(rec_dp_count(&dp, 0, SB_CMD_REC_LEG, ANY_LEG) == 0);
		hang_up(&caller, &agent, "800100", "sr-1", to);
		return;
	}
	CHECK(i >= 0 && dp.cmd[i].h.leg == ls && dp.cmd[i].h.leg_gen == rec_dp_gen_of(&dp, ls));
	CHECK(dp.cmd[i].rec_leg.rec_id == rec_id && dp.cmd[i].rec_leg.on == 1 &&
	      dp.cmd[i].rec_leg.chan == SB_DP_REC_CH_SUPER);
	CHECK(log_has("supervisor in recording"));
	/* listen: off; barge: on again */
	mark = i + 1;
	CHECK(rec_dp_dtmf(&dp, ls, '4', 100) == 0);
	i = rec_dp_find(&dp, mark, SB_CMD_REC_LEG, ls);
	CHECK(i >= 0 && dp.cmd[i].rec_leg.on == 0 && dp.cmd[i].rec_leg.rec_id == rec_id);
	mark = i + 1;
	CHECK(rec_dp_dtmf(&dp, ls, '6', 100) == 0);
	i = rec_dp_find(&dp, mark, SB_CMD_REC_LEG, ls);
	CHECK(i >= 0 && dp.cmd[i].rec_leg.on == 1);
	/* it hangs up: off, and the recording is not stopped */
	mark = i + 1;
	boss_bye("sr-sup", sto);
	i = rec_dp_find(&dp, mark, SB_CMD_REC_LEG, ls);
	CHECK(i >= 0 && dp.cmd[i].rec_leg.on == 0);
	usleep(100000);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_REC_STOP, ANY_LEG) == 0);
	/* a listener: never tapped */
	mark = atomic_load(&dp.n);
	ls = supervise("*51", "sr-sup2", sto);
	usleep(200000);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_REC_LEG, ANY_LEG) == 0);
	boss_bye("sr-sup2", sto);
	usleep(100000);
	CHECK(rec_dp_count(&dp, mark, SB_CMD_REC_LEG, ANY_LEG) == 0);
	hang_up(&caller, &agent, "800100", "sr-1", to);
}

#define MOH_CFG(path) "prompts:\n  moh: " path "\n" AGENTS \
	"queues:\n  - name: support\n    members: [agent1]\n    moh: moh\n" \
	"hotlines:\n  - number: \"800200\"\n    queue: support\n" \
	"  - number: \"800100\"\n    agents: [agent1]\n"

static void t_moh(void)
{
	char inv[8192], ok[8192], to[1024], buf[8192], ct[200];
	unsigned pa = 0;
	uint32_t la;
	int ip, is, ic, i;

	start(MOH_CFG("/tmp/sb-moh.wav"));
	i = rec_dp_find(&dp, 0, SB_CMD_PROMPT_LOAD, ANY_LEG);
	CHECK(i >= 0 && dp.cmd[i].prompt_load.prompt == 0 &&
	      strcmp(dp.cmd[i].prompt_load.path, "/tmp/sb-moh.wav") == 0);
	invite(&caller, "800200", "alice", "moh-1",
	       SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n");
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 180, 3000) == 0);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	ip = rec_dp_find(&dp, 0, SB_CMD_PROMPT_PLAY, ANY_LEG);
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 0 &&
	      (dp.cmd[ip].prompt.flags & SB_PROMPT_LOOP));
	la = dp.cmd[ip].h.leg;
	/* the caller's codec declared first (the worker encodes the music in it) */
	i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, la);
	CHECK(i >= 0 && i < ip && dp.cmd[i].media.codec == SB_DP_CODEC_PCMU);
	CHECK(rec_dp_count(&dp, 0, SB_CMD_PROMPT_STOP, ANY_LEG) == 0);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "agm", ct, ANSWER_PCMU);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	CHECK(sscanf(strstr(sip_body(ok), "m=audio "), "m=audio %u", &pa) == 1);
	CHECK(rec_dp_leg_at(&dp, pa) == la);
	sip_hdr(ok, "To", to, sizeof(to));
	req(&caller, "ACK", "800200", "alice", "moh-1", to, 10);
	is = rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la);
	ic = rec_dp_find(&dp, ip, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(is > ip && ic > is);
	hang_up(&caller, &agent, "800200", "moh-1", to);
}

static void t_restart(void)
{
	char inv[8192], ok[8192], to[1024], sto[1024], buf[8192];
	uint8_t offered[32], ours[32];
	unsigned pa;
	uint32_t la, lb, ls, lw, conf;
	int i, ia;

	start(MOH_CFG("/tmp/sb-moh.wav"));
	reg(&boss, "boss");
	CHECK(b64(KEY_B64, offered) == 30);
	pa = call_up(&caller, &agent, "800100", "rs-1",
		     SDP_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n",
		     ANSWER_PCMU, inv, ok, to);
	CHECK(sdp_key(sip_body(ok), ours) == 30);
	la = rec_dp_leg_at(&dp, pa);
	lb = rec_dp_leg_at(&dp, offer_port(inv));
	ls = supervise("*52", "rs-sup", sto);
	i = rec_dp_find(&dp, 0, SB_CMD_CONF_JOIN, ls);
	CHECK(i >= 0);
	conf = dp.cmd[i].conf.conf;
	/* a second caller waits in the queue (agent1 is busy) with music */
	invite(&other, "800200", "bob", "rs-2", SDP_HEAD "m=audio 40100 RTP/AVP 0\r\n");
	CHECK(sipc_expect_status(&other, buf, sizeof(buf), 180, 3000) == 0);
	i = rec_dp_find(&dp, 0, SB_CMD_PROMPT_PLAY, ANY_LEG);
	CHECK(i >= 0);
	lw = dp.cmd[i].h.leg;

	rec_dp_stop(&dp, 0);
	usleep(300000);
	CHECK(rec_dp_start(&dp, inst, MEDIA_IP) == 0);
	/* everything is back, in order */
	CHECK(rec_dp_find(&dp, 0, SB_CMD_PROMPT_LOAD, ANY_LEG) >= 0);
	ia = rec_dp_find(&dp, 0, SB_CMD_LEG_ADD, la);
	i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, la);
	CHECK(ia >= 0 && i > ia);
	CHECK(memcmp(dp.cmd[i].media.rx_key, offered, 30) == 0 &&
	      memcmp(dp.cmd[i].media.tx_key, ours, 30) == 0 && dp.cmd[i].media.srtp_rx == 1);
	CHECK(rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, lb) > rec_dp_find(&dp, 0, SB_CMD_LEG_ADD, lb));
	i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, ls);
	CHECK(i >= 0 && (dp.cmd[i].media.flags & SB_MEDIA_DTMF_STRIP));
	joined(0, la, conf, SB_CONF_TALK, NULL);
	joined(0, lb, conf, SB_CONF_TALK, NULL);
	{
		const struct sb_cmd_conf *cj = joined(0, ls, conf, SB_CONF_WHISPER, NULL);

		CHECK(cj->target == lb);
	}
	i = rec_dp_find(&dp, 0, SB_CMD_PROMPT_PLAY, lw);
	CHECK(i > rec_dp_find(&dp, 0, SB_CMD_LEG_ADD, lw) &&
	      (dp.cmd[i].prompt.flags & SB_PROMPT_LOOP));
	usleep(200000);
	/* the conference members are not re-connected; nothing else was */
	CHECK(rec_dp_count(&dp, 0, SB_CMD_LEG_CONNECT, ANY_LEG) == 0);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 100) < 0);
	boss_bye("rs-sup", sto);
	CHECK(rec_dp_find(&dp, 0, SB_CMD_LEG_CONNECT, ANY_LEG) >= 0);
	req(&other, "CANCEL", "800200", "bob", "rs-2", "<sip:800200@127.0.0.1>", 10);
	hang_up(&caller, &agent, "800100", "rs-1", to);
}

int main(int argc, char **argv)
{
	const char *mode;
	char buf[256];

	if (argc < 3)
		return T_SKIP;
	mode = argv[2];
	setenv("SB_CONTROL", argv[1], 1);
	snprintf(inst, sizeof(inst), "mc%s%d", mode, (int)getpid());
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_media_proc_t", dir, cfg, db, logp);
	if (strcmp(mode, "srtp") == 0)
		t_srtp();
	else if (strcmp(mode, "xcode") == 0)
		t_xcode();
	else if (strcmp(mode, "dtmf") == 0)
		t_dtmf();
	else if (strcmp(mode, "supervise") == 0)
		t_supervise();
	else if (strcmp(mode, "suprec") == 0)
		t_suprec(true);
	else if (strcmp(mode, "suprec_off") == 0)
		t_suprec(false);
	else if (strcmp(mode, "moh") == 0)
		t_moh();
	else if (strcmp(mode, "restart") == 0)
		t_restart();
	else
		return T_SKIP;
	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* the store is complete once sb-control has exited */
	if (strcmp(mode, "xcode") == 0)
		CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='xc-1' AND status=200")
		      == 1);
	if (strcmp(mode, "supervise") == 0)
		CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='sup-2' AND "
				    "hangup_by='supervised'") == 1);
	rec_dp_stop(&dp, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
