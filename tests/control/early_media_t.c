/* SPDX-License-Identifier: MIT */
/* early_media_t — a queue with `early_media: true` (b2bua/early.c), real
 * sb-control on loopback UDP, a recording fake dataplane on a real
 * segment, a real SQLite store:
 *
 *  - INVITE to the queue: 183 with our SDP (our codec of the offer + DTMF,
 *    our media address, a To tag), LEG_MEDIA in that codec and PROMPT_PLAY
 *    (loop) of the music before any 200; the agent is offered only that
 *    codec; its 180 is not relayed; no 200 and no CONNECT until it answers;
 *    then the 200 carries the 183's SDP byte for byte (same o= line and
 *    codec), PROMPT_STOP before CONNECT; the CDR's answer time is the
 *    agent's answer, not the 183.
 *  - a second caller waits (the agent talks), gets 183 + music, CANCELs:
 *    200 to the CANCEL, 487, an `abandon` queue event, CDR status 487.
 *  - a third waits past max_wait: 480 with the Reason header (no BYE: the
 *    INVITE had no final answer).
 *  - SRTP: our key goes on the caller's leg before the music and stays
 *    its tx key after the agent's answer (the 200 repeats the 183).
 *  - a caller that Requires 100rel gets 180 and no 183 (we cannot send a
 *    reliable one); a queue without the option (default) keeps the 180.
 *
 *   early_media_t /path/to/sb-control */
#include <sqlite3.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "rec_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128], inst[32], cfg[128], db[128];
static pid_t pid;
static struct rec_dp dp;
static struct sipc caller, agent, c2, c3;

static void fail_dump(const char *what, int line)
{
	char name[64];

	control_fail_report(what, line, logp, pid);
	snprintf(name, sizeof(name), "/switchboard.%s", inst);
	shm_unlink(name); /* the fake dataplane's segment: ours, by name */
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define OFFER SDP_HEAD "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
#define KEY_B64 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define ANSWER_PCMU SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

/* INVITE with branch z9hG4bK<callid>, CSeq 10; extra header lines (\n) */
static void invite_sdp(struct sipc *c, const char *user, const char *from, const char *callid,
		       const char *extra, const char *sdp)
{
	sipc_send(c, "INVITE sip:%s@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:%s@127.0.0.1>;tag=ct-%s\nTo: <sip:%s@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:%s@127.0.0.1:%u>\n%s"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  user, c->server, c->port, callid, from, callid, user, callid, from, c->port,
		  extra, strlen(sdp), sdp);
}

static void invite(struct sipc *c, const char *user, const char *from, const char *callid,
		   const char *extra)
{
	invite_sdp(c, user, from, callid, extra, OFFER);
}

/* CANCEL or the ACK of a non-2xx: the INVITE's branch (RFC 3261 9.1, 17.1.1.3) */
static void same_branch(struct sipc *c, const char *method, const char *user, const char *from,
			const char *callid, const char *to)
{
	sipc_send(c, "%s sip:%s@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:%s@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: 10 %s\nContent-Length: 0\n\n",
		  method, user, c->server, c->port, callid, from, callid, to, callid, method);
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

/* The o= line of a message's SDP */
static void o_line(const char *msg, char *out, size_t cap)
{
	const char *p = strstr(sip_body(msg), "o="), *e = p ? strstr(p, "\r\n") : NULL;

	CHECK(p && e && (size_t)(e - p) < cap);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static unsigned m_port(const char *msg)
{
	const char *m = strstr(sip_body(msg), "m=audio ");
	unsigned p = 0;

	CHECK(m && sscanf(m, "m=audio %u", &p) == 1);
	return p;
}

/* Any response to the INVITE of this socket within MS: its status, else 0 */
static int next_status(struct sipc *c, char *buf, size_t cap, int ms)
{
	for (int i = 0; i < 20; i++) {
		if (sipc_recv(c, buf, cap, ms) < 0)
			return 0;
		if (sip_status(buf) != 100)
			return sip_status(buf);
	}
	return 0;
}

static void t_early(void)
{
	char e183[8192], inv[8192], ok[8192], to[1024], buf[8192], ct[200], o1[256], o2[256];
	uint8_t key[30];
	unsigned pa, p2;
	uint32_t la, l2;
	int ip, im, is, ic, mark;

	/* ---- answered by the agent after early media ---- */
	invite(&caller, "800300", "alice", "em-1", "");
	CHECK(next_status(&caller, e183, sizeof(e183), 3000) == 183);
	CHECK(strstr(e183, "SIP/2.0 183 Session Progress\r\n"));
	CHECK(strstr(e183, "Content-Type: application/sdp\r\n"));
	sip_hdr(e183, "To", to, sizeof(to));
	CHECK(strstr(to, ";tag="));
	CHECK(strstr(e183, "Contact: <sip:800300@"));
	/* our best codec of the offer (PCMU, configured first) and its DTMF */
	CHECK(strstr(sip_body(e183), "c=IN IP4 " MEDIA_IP "\r\n"));
	CHECK(strstr(sip_body(e183), " RTP/AVP 0 101\r\n"));
	CHECK(strstr(sip_body(e183), "a=rtpmap:101 telephone-event/8000\r\n"));
	CHECK(!strstr(sip_body(e183), "PCMA"));
	o_line(e183, o1, sizeof(o1));
	CHECK(strncmp(o1, "o=", 2) == 0 && strstr(o1, " IN IP4 " MEDIA_IP));
	pa = m_port(e183);
	la = rec_dp_leg_at(&dp, pa);
	CHECK(la != SB_LEG_NONE);
	/* music in the answered codec, looping on the caller's leg */
	ip = rec_dp_find(&dp, 0, SB_CMD_PROMPT_PLAY, la);
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 0 && (dp.cmd[ip].prompt.flags & SB_PROMPT_LOOP));
	im = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, la);
	CHECK(im >= 0 && im < ip && dp.cmd[im].media.codec == SB_DP_CODEC_PCMU &&
	      dp.cmd[im].media.pt == 0);
	/* the agent is offered the 183's codec only */
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	CHECK(strstr(sip_body(inv), " RTP/AVP 0 101\r\n"));
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 180, "Ringing", "agm", ct, NULL);
	/* no 180 after the 183 (ringback would replace the music), no 200 */
	CHECK(next_status(&caller, buf, sizeof(buf), 400) == 0);
	CHECK(rec_dp_count(&dp, 0, SB_CMD_LEG_CONNECT, ANY_LEG) == 0);
	CHECK(rec_dp_count(&dp, 0, SB_CMD_PROMPT_STOP, ANY_LEG) == 0);
	usleep(300000); /* the CDR's answer time is not the 183's */
	sipc_respond(&agent, inv, 200, "OK", "agm", ct, ANSWER_PCMU);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	o_line(ok, o2, sizeof(o2));
	CHECK(strcmp(o1, o2) == 0);
	CHECK(strcmp(sip_body(ok), sip_body(e183)) == 0);
	sip_hdr(ok, "To", buf, sizeof(buf));
	CHECK(strcmp(buf, to) == 0); /* the early dialog confirmed */
	req(&caller, "ACK", "800300", "alice", "em-1", to, 10);
	is = rec_dp_find(&dp, ip, SB_CMD_PROMPT_STOP, la);
	ic = rec_dp_find(&dp, ip, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(is > ip && ic > is);

	/* ---- a second caller waits with music, then CANCELs ---- */
	mark = atomic_load(&dp.n);
	invite(&c2, "800300", "bob", "em-2", "");
	CHECK(next_status(&c2, buf, sizeof(buf), 3000) == 183);
	p2 = m_port(buf);
	l2 = rec_dp_leg_at(&dp, p2);
	CHECK(l2 != SB_LEG_NONE && l2 != la);
	CHECK(rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, l2) >= 0);
	same_branch(&c2, "CANCEL", "800300", "bob", "em-2", "<sip:800300@127.0.0.1>");
	CHECK(sipc_expect_status(&c2, buf, sizeof(buf), 487, 2000) == 0);
	CHECK(strstr(buf, "CSeq: 10 INVITE"));
	sip_hdr(buf, "To", to, sizeof(to));
	same_branch(&c2, "ACK", "800300", "bob", "em-2", to);
	CHECK(rec_dp_find(&dp, mark, SB_CMD_LEG_DEL, l2) >= 0);

	/* ---- a third waits past max_wait (2 s): 480 + Reason ---- */
	invite(&c3, "800300", "carol", "em-3", "");
	CHECK(next_status(&c3, buf, sizeof(buf), 3000) == 183);
	CHECK(next_status(&c3, buf, sizeof(buf), 4000) == 480);
	CHECK(strstr(buf, "Reason: SIP;cause=480;text=\"queue maximum wait\""));
	sip_hdr(buf, "To", to, sizeof(to));
	same_branch(&c3, "ACK", "800300", "carol", "em-3", to);
	CHECK(sipc_recv(&c3, buf, sizeof(buf), 300) < 0); /* no BYE */

	/* ---- Require: 100rel: as before (180, no 183) ---- */
	invite(&c3, "800300", "dave", "em-4", "Require: 100rel\n");
	CHECK(next_status(&c3, buf, sizeof(buf), 3000) == 180);
	CHECK(sip_body(buf)[0] == '\0');
	same_branch(&c3, "CANCEL", "800300", "dave", "em-4", "<sip:800300@127.0.0.1>");
	CHECK(sipc_expect_status(&c3, buf, sizeof(buf), 487, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	same_branch(&c3, "ACK", "800300", "dave", "em-4", to);

	/* ---- a queue without the option: 180, as before ---- */
	invite(&c2, "800200", "erin", "em-5", "");
	CHECK(next_status(&c2, buf, sizeof(buf), 3000) == 180);
	same_branch(&c2, "CANCEL", "800200", "erin", "em-5", "<sip:800200@127.0.0.1>");
	CHECK(sipc_expect_status(&c2, buf, sizeof(buf), 487, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	same_branch(&c2, "ACK", "800200", "erin", "em-5", to);

	/* the first call ends */
	sip_hdr(ok, "To", to, sizeof(to));
	req(&caller, "BYE", "800300", "alice", "em-1", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);

	/* ---- SRTP: the key of the 183 stays the caller's after the answer ---- */
	mark = atomic_load(&dp.n);
	invite_sdp(&caller, "800300", "alice", "em-6", "",
		   SDP_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
		   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n");
	CHECK(next_status(&caller, e183, sizeof(e183), 3000) == 183);
	CHECK(strstr(sip_body(e183), " RTP/SAVP 0\r\n") &&
	      strstr(sip_body(e183), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	la = rec_dp_leg_at(&dp, m_port(e183));
	ip = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, la);
	im = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la);
	CHECK(ip >= 0 && im >= 0 && im < ip); /* our key on the leg before the music */
	CHECK(dp.cmd[im].media.srtp_tx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 &&
	      dp.cmd[im].media.tx_key_len == 30);
	memcpy(key, dp.cmd[im].media.tx_key, 30);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	sipc_respond(&agent, inv, 200, "OK", "agm6", ct, ANSWER_PCMU);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, ok, sizeof(ok), 200, 3000) == 0);
	CHECK(strcmp(sip_body(ok), sip_body(e183)) == 0);
	sip_hdr(ok, "To", to, sizeof(to));
	req(&caller, "ACK", "800300", "alice", "em-6", to, 10);
	ic = rec_dp_find(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG);
	CHECK(ic > ip);
	/* every LEG_MEDIA of the caller's leg protects with the 183's key */
	CHECK(rec_dp_find(&dp, ip, SB_CMD_LEG_MEDIA, la) > ip);
	for (int i = mark; i < atomic_load(&dp.n); i++)
		if (dp.cmd[i].h.type == SB_CMD_LEG_MEDIA && dp.cmd[i].h.leg == la)
			CHECK(memcmp(dp.cmd[i].media.tx_key, key, 30) == 0);
	req(&caller, "BYE", "800300", "alice", "em-6", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
}

/* An SRTP caller the IVR answered keeps the IVR's key when an agent answers
 * later (the bridge would otherwise make a fresh key the caller never saw):
 * menu "ivrq" plays its prompt, then (timeout 0, no retries) queue "plain". */
static void t_ivr_srtp(void)
{
	char ok[8192], inv[8192], buf[8192], ct[300], to[300];
	uint8_t key[30];
	uint32_t la;
	int mark, ip, im;

	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\n", agent.port);
	mark = atomic_load(&dp.n);
	invite_sdp(&caller, "800400", "alice", "em-7", "",
		   SDP_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
		   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n");
	CHECK(next_status(&caller, ok, sizeof(ok), 3000) == 200);
	CHECK(strstr(sip_body(ok), " RTP/SAVP 0\r\n") &&
	      strstr(sip_body(ok), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	sip_hdr(ok, "To", to, sizeof(to));
	req(&caller, "ACK", "800400", "alice", "em-7", to, 10);
	la = rec_dp_leg_at(&dp, m_port(ok));
	ip = rec_dp_find(&dp, mark, SB_CMD_PROMPT_PLAY, la);
	im = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, la);
	CHECK(ip >= 0 && im >= 0 && im < ip);
	CHECK(dp.cmd[im].media.srtp_tx == SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 &&
	      dp.cmd[im].media.tx_key_len == 30);
	memcpy(key, dp.cmd[im].media.tx_key, 30);
	CHECK(rec_dp_prompt_done(&dp, la, dp.cmd[ip].prompt.prompt) == 0);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	sipc_respond(&agent, inv, 200, "OK", "agm7", ct, ANSWER_PCMU);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(rec_dp_find_ms(&dp, mark, SB_CMD_LEG_CONNECT, ANY_LEG, 2000) > ip);
	/* every LEG_MEDIA of the caller's leg protects with the IVR answer's key */
	for (int i = mark; i < atomic_load(&dp.n); i++)
		if (dp.cmd[i].h.type == SB_CMD_LEG_MEDIA && dp.cmd[i].h.leg == la)
			CHECK(memcmp(dp.cmd[i].media.tx_key, key, 30) == 0);
	req(&caller, "BYE", "800400", "alice", "em-7", to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
}

int main(int argc, char **argv)
{
	uint16_t p_sip;
	unsigned cseq = 1;
	char buf[8192], ct[300];

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "early%d", (int)getpid());
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_early_media_t", dir, cfg, db, logp);
	p_sip = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
			  "store:\n  sqlite: %s\n"
			  "media:\n  codecs: [PCMU, PCMA, telephone-event]\n"
			  "prompts:\n  moh: /tmp/sb-moh.wav\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "queues:\n  - name: early\n    members: [agent1]\n    moh: moh\n"
			  "    early_media: true\n    max_wait: 2\n"
			  "  - name: plain\n    members: [agent1]\n    moh: moh\n"
			  "ivrs:\n  ivrq:\n    prompt: moh\n    timeout: 0\n    retries: 0\n"
			  "    timeout_action: queue plain\n"
			  "hotlines:\n  - number: \"800300\"\n    queue: early\n"
			  "  - number: \"800200\"\n    queue: plain\n"
			  "  - number: \"800400\"\n    ivr: ivrq\n", inst, p_sip, db);
	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	sipc_open(&c2, p_sip);
	sipc_open(&c3, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "reg-a1", &cseq, ct, buf,
			    sizeof(buf)) == 200);

	t_early();
	t_ivr_srtp();

	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* the store is complete once sb-control has exited */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='abandon' AND "
			    "call_id='em-2'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='connect' AND "
			    "call_id='em-1'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='em-2' AND status=487") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='em-3' AND status=480") == 1);
	/* billing from the agent's answer: at least the 300 ms of early media later */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='em-1' AND status=200 AND "
			    "answer_ms - start_ms >= 300") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='em-2' AND answer_ms > 0")
	      == 0);
	rec_dp_stop(&dp, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
