/* SPDX-License-Identifier: MIT */
/* cc_consult_t — consultation and three-party calls keyed from the agent's
 * phone (b2bua/consult.c), real sb-control over real UDP SIP, a recording
 * fake dataplane on a real segment that injects the agent's RFC 4733
 * digits, a real SQLite store.  A queue call (caller -> support -> agent1)
 * each time; the target is agent "2001":
 *
 *  1 *2 2001 #  -> caller held (PROMPT_PLAY LOOP of the queue's moh),
 *                  agent CONF_JOIN TALK, INVITE to 2001 narrowed to the
 *                  codec in use; 200 -> its leg LEG_MEDIA + CONF_JOIN TALK
 *    *3         -> PROMPT_STOP, caller CONF_JOIN TALK (same conference)
 *    *4         -> CONF_LEAVE all three, LEG_CONNECT caller <-> target,
 *                  agent leg LEG_DEL, BYE to agent1; the caller's BYE then
 *                  reaches 2001 in its own dialog
 *  2 consult then *5 -> CONF_LEAVE, PROMPT_STOP, LEG_CONNECT caller <->
 *                  agent, BYE to the target
 *  3 consult, target answers 486 -> the same way back, no BYE to anyone
 *  4 consult, the caller hangs up -> BYE to agent1 and to 2001, every leg
 *    LEG_DEL, conference number free again (next consult reuses it)
 *  5 consult, agent1 hangs up (agent_hangup: complete) -> transfer
 *
 * Then the CDR rows (transferred_by, the consultation legs' hangup_by and
 * status) and queue_event rows (transfer agent1 -> 2001).
 *
 *   cc_consult_t /path/to/sb-control */
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

/* ---- the recording dataplane (rec_dp.h): every command, in order ---- */
static struct rec_dp dp;

/* The agent keys DIGITS: one RFC 4733 event each, in order. */
static void key(uint32_t leg, const char *digits)
{
	for (const char *p = digits; *p; p++)
		CHECK(rec_dp_dtmf(&dp, leg, *p, 120) == 0);
}

/* The CONF_JOIN of LEG from FROM on in mode TALK; its conference. */
static uint32_t joined(int from, uint32_t leg)
{
	int i = rec_dp_find(&dp, from, SB_CMD_CONF_JOIN, leg);

	CHECK(i >= 0 && dp.cmd[i].conf.mode == SB_CONF_TALK);
	return dp.cmd[i].conf.conf;
}

/* ---- SIP ---- */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define OFFER SDP_HEAD "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
#define ANSWER_PCMU SDP_HEAD "m=audio 40010 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
#define ANSWER_TGT SDP_HEAD "m=audio 40020 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

static struct sipc caller, agent, tgt;
static char cfg[128], db[128];

static void req(const char *method, const char *callid, const char *to, int cseq)
{
	sipc_send(&caller, "%s sip:800200@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		  "Max-Forwards: 70\n"
		  "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		  "Call-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		  method, caller.server, caller.port, method, callid, cseq, callid, to, callid,
		  cseq, method);
}

static unsigned body_port(const char *msg)
{
	unsigned p = 0;

	CHECK(strstr(sip_body(msg), "m=audio "));
	CHECK(sscanf(strstr(sip_body(msg), "m=audio "), "m=audio %u", &p) == 1);
	return p;
}

struct call {
	char callid[32], to[1024];
	char inv[8192];       /* the INVITE agent1 got (its dialog) */
	uint32_t la, lb;      /* caller's leg, agent's leg */
};

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

/* A queue call answered by agent1. */
static void call_up_offer(struct call *k, const char *callid, const char *offer)
{
	char inv[8192], buf[8192], ct[200];

	snprintf(k->callid, sizeof(k->callid), "%s", callid);
	sipc_send(&caller, "INVITE sip:800200@127.0.0.1:%u SIP/2.0\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\nMax-Forwards: 70\n"
		  "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: <sip:800200@127.0.0.1>\n"
		  "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		  "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.server, caller.port, callid, callid, callid, caller.port, strlen(offer),
		  offer);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 180, 3000) == 0);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	memcpy(k->inv, inv, sizeof(k->inv));
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag", ct, ANSWER_PCMU);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 3000) == 0);
	k->la = rec_dp_leg_at(&dp, body_port(buf));
	k->lb = rec_dp_leg_at(&dp, body_port(inv));
	CHECK(k->la != SB_LEG_NONE && k->lb != SB_LEG_NONE);
	sip_hdr(buf, "To", k->to, sizeof(k->to));
	req("ACK", callid, k->to, 10);
	/* the agent's leg detects DTMF and keeps it from the caller */
	{
		int i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, k->lb), n = atomic_load(&dp.n);

		for (int j = i + 1; i >= 0 && j < n; j++) /* the last one counts */
			if (dp.cmd[j].h.type == SB_CMD_LEG_MEDIA && dp.cmd[j].h.leg == k->lb)
				i = j;
		CHECK(i >= 0 && (dp.cmd[i].media.flags & SB_MEDIA_DTMF_4733) &&
		      (dp.cmd[i].media.flags & SB_MEDIA_DTMF_STRIP));
	}
}

static void call_up(struct call *k, const char *callid)
{
	call_up_offer(k, callid, OFFER);
}

/* *2 2001 #: the caller on hold, the agent in the conference, INVITE to
 * the target (in inv); returns the conference number. */
static uint32_t consult(const struct call *k, char *inv, int *mark)
{
	int ip, i;
	uint32_t conf;

	*mark = atomic_load(&dp.n);
	key(k->lb, "*22001#");
	CHECK(sipc_expect_method(&tgt, inv, 8192, "INVITE", 3000) == 0);
	CHECK(strstr(inv, "From: <sip:agent1@"));
	/* narrowed to the codec in use (PCMU) and DTMF */
	CHECK(strstr(sip_body(inv), " RTP/AVP 0 101\r\n"));
	ip = rec_dp_find(&dp, *mark, SB_CMD_PROMPT_PLAY, k->la);
	CHECK(ip >= 0 && dp.cmd[ip].prompt.prompt == 0 && (dp.cmd[ip].prompt.flags & SB_PROMPT_LOOP));
	conf = joined(*mark, k->lb);
	/* the target's leg on the caller's worker, not the caller's or agent's */
	i = rec_dp_find(&dp, *mark, SB_CMD_LEG_ADD, rec_dp_leg_at(&dp, body_port(inv)));
	CHECK(i >= 0 && dp.cmd[i].h.leg != k->la && dp.cmd[i].h.leg != k->lb);
	/* the caller is no longer connected to the agent: nothing else */
	CHECK(rec_dp_count(&dp, *mark, SB_CMD_CONF_JOIN, k->la) == 0);
	return conf;
}

/* The target answers; returns its leg (joined to CONF). */
static uint32_t target_answers(const char *inv, uint32_t conf, int mark)
{
	char buf[8192], ct[200];
	uint32_t lt = rec_dp_leg_at(&dp, body_port(inv));
	int im, ij;

	snprintf(ct, sizeof(ct), "Contact: <sip:2001@127.0.0.1:%u>\r\n", tgt.port);
	sipc_respond(&tgt, inv, 200, "OK", "tg", ct, ANSWER_TGT);
	CHECK(sipc_expect_method(&tgt, buf, sizeof(buf), "ACK", 2000) == 0);
	im = rec_dp_find(&dp, mark, SB_CMD_LEG_MEDIA, lt);
	ij = rec_dp_find(&dp, mark, SB_CMD_CONF_JOIN, lt);
	CHECK(im >= 0 && ij > im);
	CHECK(dp.cmd[im].media.codec == SB_DP_CODEC_PCMU && dp.cmd[im].media.dtmf_pt == 101);
	CHECK(joined(mark, lt) == conf);
	/* the target's address reached its leg */
	{
		int i = rec_dp_find(&dp, mark, SB_CMD_LEG_MOD, lt);

		CHECK(i >= 0 && dp.cmd[i].leg.peer_port == 40020);
	}
	return lt;
}

static void expect_bye(struct sipc *s, char *buf)
{
	CHECK(sipc_expect_method(s, buf, 8192, "BYE", 3000) == 0);
	sipc_respond(s, buf, 200, "OK", NULL, NULL, NULL);
}

/* LEG_CONNECT of X and Y from FROM on */
static int connected(int from, uint32_t x, uint32_t y)
{
	int i = rec_dp_find(&dp, from, SB_CMD_LEG_CONNECT, ANY_LEG);

	CHECK(i >= 0);
	CHECK((dp.cmd[i].h.leg == x && dp.cmd[i].connect.leg_b == y) ||
	      (dp.cmd[i].h.leg == y && dp.cmd[i].connect.leg_b == x));
	return i;
}

static void caller_bye(const struct call *k, struct sipc *other, const char *want_callid)
{
	char buf[8192], cid[128];

	req("BYE", k->callid, k->to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	expect_bye(other, buf);
	if (want_callid) {
		sip_hdr(buf, "Call-ID", cid, sizeof(cid));
		CHECK(strcmp(cid, want_callid) == 0);
	}
}

static void t_consult_threeway_complete(void)
{
	char inv[8192], buf[8192], tcid[128];
	struct call k;
	uint32_t conf, lt;
	int mark, m2, il, ic;

	call_up(&k, "cs-1");
	conf = consult(&k, inv, &mark);
	sip_hdr(inv, "Call-ID", tcid, sizeof(tcid));
	lt = target_answers(inv, conf, mark);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 50) < 0); /* no SIP to the caller */

	/* *3: three-way */
	m2 = atomic_load(&dp.n);
	key(k.lb, "*3");
	CHECK(rec_dp_find(&dp, m2, SB_CMD_PROMPT_STOP, k.la) >= 0);
	CHECK(joined(m2, k.la) == conf);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_PROMPT_STOP, k.la) <
	      rec_dp_find(&dp, m2, SB_CMD_CONF_JOIN, k.la));

	/* *4: the agent leaves, caller <-> target */
	m2 = atomic_load(&dp.n);
	key(k.lb, "*4");
	expect_bye(&agent, buf);
	il = rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.lb);
	CHECK(il >= 0 && rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.la) >= 0 &&
	      rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, lt) >= 0);
	ic = connected(m2, k.la, lt);
	CHECK(ic > rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, lt) &&
	      ic > rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.la));
	CHECK(rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, k.lb) > ic);
	CHECK(rec_dp_count(&dp, m2, SB_CMD_LEG_DEL, lt) == 0 &&
	      rec_dp_count(&dp, m2, SB_CMD_LEG_DEL, k.la) == 0);
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 50) < 0);
	CHECK(log_has("attended transfer by agent1 to 2001"));

	/* the caller hangs up: the target gets the BYE, in its own dialog */
	caller_bye(&k, &tgt, tcid);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, lt) >= 0 &&
	      rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, k.la) >= 0);
}

static void t_cancel(void)
{
	char inv[8192], buf[8192];
	struct call k;
	uint32_t conf, lt;
	int mark, m2, ic;

	call_up(&k, "cs-2");
	conf = consult(&k, inv, &mark);
	lt = target_answers(inv, conf, mark);
	m2 = atomic_load(&dp.n);
	key(k.lb, "*5");
	expect_bye(&tgt, buf);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.lb) >= 0);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_PROMPT_STOP, k.la) >= 0);
	ic = connected(m2, k.la, k.lb);
	CHECK(ic > rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.lb));
	CHECK(rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, lt) >= 0);
	CHECK(rec_dp_count(&dp, m2, SB_CMD_CONF_LEAVE, k.la) == 0); /* it never joined */
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 50) < 0 && sipc_recv(&caller, buf, sizeof(buf), 10) < 0);
	/* the agent is with the caller again: a normal hang-up */
	caller_bye(&k, &agent, NULL);
}

static void t_busy(void)
{
	char inv[8192], buf[8192];
	struct call k;
	int mark, m2;

	call_up(&k, "cs-3");
	(void)consult(&k, inv, &mark);
	m2 = atomic_load(&dp.n);
	sipc_respond(&tgt, inv, 486, "Busy Here", "tb", NULL, NULL);
	CHECK(sipc_expect_method(&tgt, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_CONF_LEAVE, k.lb) >= 0);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_PROMPT_STOP, k.la) >= 0);
	connected(m2, k.la, k.lb);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, rec_dp_leg_at(&dp, body_port(inv))) >= 0);
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 50) < 0 && sipc_recv(&tgt, buf, sizeof(buf), 10) < 0);
	/* and a digit that is no code changes nothing */
	m2 = atomic_load(&dp.n);
	key(k.lb, "7");
	usleep(100000);
	CHECK(atomic_load(&dp.n) == m2);
	caller_bye(&k, &agent, NULL);
}

static void t_caller_hangup(uint32_t conf_before)
{
	char inv[8192], buf[8192];
	struct call k;
	uint32_t conf, lt;
	int mark, m2;

	call_up(&k, "cs-4");
	conf = consult(&k, inv, &mark);
	CHECK(conf == conf_before); /* the earlier ones gave the number back */
	lt = target_answers(inv, conf, mark);
	m2 = atomic_load(&dp.n);
	req("BYE", k.callid, k.to, 11);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	expect_bye(&agent, buf);
	expect_bye(&tgt, buf);
	CHECK(rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, k.la) >= 0 &&
	      rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, k.lb) >= 0 &&
	      rec_dp_find(&dp, m2, SB_CMD_LEG_DEL, lt) >= 0);
	CHECK(rec_dp_count(&dp, m2, SB_CMD_LEG_CONNECT, ANY_LEG) == 0);
}

static void t_agent_hangup(uint32_t conf_before)
{
	char inv[8192], buf[8192], ato[1024];
	struct call k;
	uint32_t lt;
	int mark, m2;

	call_up(&k, "cs-5");
	CHECK(consult(&k, inv, &mark) == conf_before);
	lt = target_answers(inv, conf_before, mark);
	/* agent1 hangs up in its dialog (we are its UAC: From is ours) */
	m2 = atomic_load(&dp.n);
	{
		char from[1024], cid[128];

		/* the INVITE agent1 got for this call: its dialog's identifiers */
		sip_hdr(k.inv, "From", from, sizeof(from));
		sip_hdr(k.inv, "To", ato, sizeof(ato));
		sip_hdr(k.inv, "Call-ID", cid, sizeof(cid));
		sipc_send(&agent, "BYE sip:x@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKabye5;rport\n"
			  "Max-Forwards: 70\nFrom: %s;tag=ag\nTo: %s\nCall-ID: %s\n"
			  "CSeq: 1 BYE\nContent-Length: 0\n\n", agent.server, agent.port, ato, from,
			  cid);
		CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 200, 2000) == 0);
	}
	connected(m2, k.la, lt);
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 100) < 0); /* no BYE: it left */
	caller_bye(&k, &tgt, NULL);
}

/* A caller that offers no telephone-event: the agent is offered it all
 * the same, and its leg detects (and strips) the agent's digits. */
static void t_no_te(void)
{
	struct call k;
	int i;

	call_up_offer(&k, "cs-6", SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n");
	CHECK(strstr(sip_body(k.inv), " RTP/AVP 0 8 101\r\n") &&
	      strstr(sip_body(k.inv), "a=rtpmap:101 telephone-event/8000\r\n"));
	i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, k.lb);
	CHECK(i >= 0 && dp.cmd[i].media.dtmf_pt == 101 && dp.cmd[i].media.codec == SB_DP_CODEC_PCMU);
	/* ... and the caller's leg carries no DTMF (the caller has none) */
	i = rec_dp_find(&dp, 0, SB_CMD_LEG_MEDIA, k.la);
	CHECK(i >= 0 && dp.cmd[i].media.dtmf_pt == 0);
	caller_bye(&k, &agent, NULL);
}

static void reg(struct sipc *c, const char *user)
{
	unsigned cseq = 1;
	char buf[8192], ct[300], cid[64];

	snprintf(ct, sizeof(ct), "Contact: <sip:%s@127.0.0.1:%u>;expires=300\n", user, c->port);
	snprintf(cid, sizeof(cid), "reg-%s", user);
	CHECK(sipc_register(c, "SHA-256", user, "secret", cid, &cseq, ct, buf, sizeof(buf)) == 200);
}

int main(int argc, char **argv)
{
	uint16_t p_sip;
	char buf[256];
	uint32_t conf0;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "cons%d", (int)getpid());
	if (rec_dp_start(&dp, inst, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	cp_workdir("/tmp/sb_cc_consult_t", dir, cfg, db, logp);
	p_sip = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
		     "store:\n  sqlite: %s\n"
		     "feature_codes:\n  consult: \"*2\"\n  conference: \"*3\"\n"
		     "  complete: \"*4\"\n  cancel: \"*5\"\n"
		     "prompts:\n  moh: /tmp/sb-moh.wav\n"
		     "agents:\n  - user: agent1\n    password: secret\n"
		     "  - user: \"2001\"\n    password: secret\n"
		     "queues:\n  - name: support\n    members: [agent1]\n    moh: moh\n"
		     "hotlines:\n  - number: \"800200\"\n    queue: support\n",
		     inst, p_sip, db);
	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_sip);
	sipc_open(&agent, p_sip);
	sipc_open(&tgt, p_sip);
	control_wait_up(&caller);
	usleep(100000);
	reg(&agent, "agent1");
	reg(&tgt, "2001");

	t_consult_threeway_complete();
	conf0 = dp.cmd[rec_dp_find(&dp, 0, SB_CMD_CONF_JOIN, ANY_LEG)].conf.conf;
	t_cancel();
	t_busy();
	t_caller_hangup(conf0);
	t_agent_hangup(conf0);
	t_no_te();

	usleep(200000);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* the store is complete once sb-control has exited */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='cs-1' AND agent='2001' AND "
			    "transferred_by='agent1' AND hangup_by='caller' AND transfer_ms > 0") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='cs-5' AND agent='2001' AND "
			    "transferred_by='agent1'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id IN ('cs-2','cs-3','cs-4') AND "
			    "agent='agent1' AND (transferred_by IS NULL OR transferred_by='')") == 3);
	/* the consultation legs: agent1 called 2001 */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE caller='agent1' AND hotline='2001' "
			    "AND agent='2001' AND hangup_by='transfer' AND status=200") == 2);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE caller='agent1' AND hotline='2001' "
			    "AND hangup_by='agent' AND status=200 AND answer_ms > 0") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE caller='agent1' AND hotline='2001' "
			    "AND status=480 AND (answer_ms IS NULL OR answer_ms = 0)") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE caller='agent1' AND hotline='2001' "
			    "AND hangup_by='caller'") == 1);
	/* queue events: two transfers agent1 -> 2001 with the talk time split */
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='transfer' AND "
			    "call_id IN ('cs-1','cs-5') AND agent='agent1' AND other='2001' AND "
			    "talk_ms >= 0") == 2);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='transfer'") == 2);
	CHECK(cp_db_int(db, "SELECT count(*) FROM queue_event WHERE event='complete' AND "
			    "call_id IN ('cs-2','cs-3','cs-4') AND agent='agent1'") == 3);
	rec_dp_stop(&dp, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
