/* SPDX-License-Identifier: MIT */
/* sip_txn_t — the RFC 3261 §17 state machines (sip/txn.c) on real UDP
 * sockets on 127.0.0.1, timers on a fake clock.  A plain UDP socket plays
 * the remote UA; every datagram it receives is stamped with the fake time.
 *
 *  1. client non-INVITE, no answer: E at 0.5, 1, 2, 4, 4, ... s (doubling to
 *     T2), F at 64*T1 -> 408 to the TU once, then silence
 *  2. client INVITE, no answer: A at 0.5, 1, 2, 4, 8, 16 s (no cap), B -> 408
 *  3. client INVITE 180 then 486: no retransmission after the 180; the ACK
 *     (same branch, To of the 486) comes from the transaction; a repeated
 *     486 is ACKed again and not given to the TU twice
 *  4. client INVITE 200: every 2xx goes to the TU (Accepted)
 *  5. client non-INVITE 200: given once; its retransmission absorbed
 *  6. register_retransmit_same_tag: a retransmitted REGISTER gets the same
 *     bytes again (same To tag) and the TU sees it once; after J a new one
 *  7. server INVITE 486: 100 Trying after 200 ms when the TU is slow; G at
 *     T1 doubling to T2 until the ACK (absorbed, not the TU's); a
 *     retransmitted INVITE gets the 486 again
 *  8. server INVITE 200: resent until the TU reports the ACK (ACK with its
 *     own branch goes to the TU); without ACK, on_no_ack after 64*T1
 *  9. CANCEL: 200 with the INVITE's To tag, on_cancel, 487 to the INVITE;
 *     CANCEL of nothing: 481; CANCEL after the 200 (race): 200, no 487
 * 10. client CANCEL: held until the first provisional, same branch, 487 ACKed
 * 11. T1 = 100 ms: the first retransmission after 100 ms
 * 12. responses by the top Via: rport -> source port, else sent-by port */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "sip/txn.h"
#include "test.h"

static uint64_t now_ms = 100000;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return now_ms;
}

/* ---- the remote UA ---- */

#define MAXM 64
struct peer {
	int fd;
	uint16_t port;
	unsigned n;
	uint64_t at[MAXM];
	char msg[MAXM][4096];
};

static struct peer P;
static struct sb_loop *L;
static struct sb_sip_tx TX;
static struct sb_txl *TXL;
static struct sb_sip_addr PEER_ADDR;

static void peer_open(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	P.fd = socket(AF_INET, SOCK_DGRAM, 0);
	T_ASSERT(P.fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(P.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(getsockname(P.fd, (struct sockaddr *)&sa, &sl) == 0);
	P.port = ntohs(sa.sin_port);
	PEER_ADDR = (struct sb_sip_addr){ htonl(INADDR_LOOPBACK), P.port };
}

__attribute__((format(printf, 1, 2)))
static void peer_send(const char *fmt, ...)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char raw[4096], out[4096];
	size_t o = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	for (const char *p = raw; *p && o + 2 < sizeof(out); p++) {
		if (*p == '\n')
			out[o++] = '\r';
		out[o++] = *p;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(TX.socks[0].local.port);
	T_ASSERT(sendto(P.fd, out, o, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)o);
}

/* Let the loop read what is waiting and flush what it sends, then collect
 * what reached the peer. */
static void pump(void)
{
	for (int i = 0; i < 3; i++) {
		struct pollfd pf = { .fd = P.fd, .events = POLLIN };

		T_ASSERT(sb_loop_run_once(L, 0) == 0);
		while (poll(&pf, 1, 0) == 1) {
			ssize_t n;

			T_ASSERT(P.n < MAXM);
			n = recv(P.fd, P.msg[P.n], sizeof(P.msg[0]) - 1, 0);
			T_ASSERT(n > 0);
			P.msg[P.n][n] = '\0';
			P.at[P.n++] = now_ms;
		}
	}
}

static void reset_peer(void)
{
	P.n = 0;
}

/* advance the fake clock in 10 ms steps, pumping at each */
static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 10) {
		now_ms += 10;
		sb_loop_run_timers(L);
		pump();
	}
}

static int status_of(const char *m)
{
	return strncmp(m, "SIP/2.0 ", 8) == 0 ? atoi(m + 8) : 0;
}

static int hdr(const char *m, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	const char *p = strstr(m, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(e - v), v);
			return 0;
		}
		p = strstr(p, "\r\n");
	}
	return -1;
}

/* ---- the TU ---- */

struct tu_log {
	unsigned requests, acks, strays, cancels, no_acks;
	struct sb_stx *held;
	unsigned reply;      /* answer on_request with this (0: hold) */
	unsigned ctx_calls, ctx_status[16];
	const struct sb_sip_msg *ctx_rsp_null[16];
};
static struct tu_log T;

static void tu_request(void *arg, struct sb_stx *st, const struct sb_sip_msg *m)
{
	(void)arg;
	(void)m;
	T.requests++;
	if (T.reply)
		T_ASSERT(sb_stx_reply(st, T.reply, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
	else {
		sb_stx_hold(st, &T);
		T.held = st;
	}
}

static void tu_ack(void *arg, const struct sb_sip_msg *m, uint32_t flow,
		   const struct sb_sip_addr *src)
{
	(void)arg;
	(void)m;
	(void)flow;
	(void)src;
	T.acks++;
}

static void tu_stray(void *arg, const struct sb_sip_msg *m, uint32_t flow,
		     const struct sb_sip_addr *src)
{
	(void)arg;
	(void)m;
	(void)flow;
	(void)src;
	T.strays++;
}

static void tu_cancel(void *arg, struct sb_stx *st, void *owner)
{
	(void)arg;
	T_ASSERT(owner == &T && st == T.held);
	T.cancels++;
}

static void tu_no_ack(void *arg, struct sb_stx *st, void *owner)
{
	(void)arg;
	T_ASSERT(owner == &T && st == T.held);
	T.no_acks++;
}

static const struct sb_txl_tu TU = { tu_request, tu_ack, tu_stray, tu_cancel, tu_no_ack };

static void ctx_cb(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *rsp, unsigned status)
{
	(void)arg;
	(void)ct;
	T_ASSERT(T.ctx_calls < 16);
	T.ctx_rsp_null[T.ctx_calls] = rsp;
	T.ctx_status[T.ctx_calls++] = status;
}

/* ---- requests we send as a client ---- */

static struct sb_ctx *send_req(const char *method, const char *branch, unsigned cseq)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf),
			 "%s sip:peer@127.0.0.1:%u SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s;rport\r\n"
			 "Max-Forwards: 70\r\nFrom: <sip:sb@127.0.0.1>;tag=ours\r\n"
			 "To: <sip:peer@127.0.0.1>\r\nCall-ID: c-%s\r\nCSeq: %u %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, P.port, TX.socks[0].local.port, branch, branch, cseq, method);
	struct sb_ctx *ct = sb_ctx_start(TXL, 0, &PEER_ADDR, buf, (uint32_t)n, ctx_cb, NULL);

	T_ASSERT(ct != NULL);
	return ct;
}

/* a response from the peer to a request it received (Via etc. copied) */
static void peer_respond(const char *req, int code, const char *reason, const char *to_tag)
{
	char via[512], from[256], to[256], cid[256], cseq[64];

	T_ASSERT(hdr(req, "Via", via, sizeof(via)) == 0);
	hdr(req, "From", from, sizeof(from));
	hdr(req, "To", to, sizeof(to));
	hdr(req, "Call-ID", cid, sizeof(cid));
	hdr(req, "CSeq", cseq, sizeof(cseq));
	peer_send("SIP/2.0 %d %s\nVia: %s\nFrom: %s\nTo: %s%s%s\nCall-ID: %s\nCSeq: %s\n"
		  "Content-Length: 0\n\n",
		  code, reason, via, from, to, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cid,
		  cseq);
}

static void peer_request(const char *method, const char *branch, const char *callid,
			 unsigned cseq, const char *to_tag)
{
	peer_send("%s sip:sb@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s;rport\n"
		  "Max-Forwards: 70\nFrom: <sip:peer@127.0.0.1>;tag=pt\nTo: <sip:sb@127.0.0.1>%s%s\n"
		  "Call-ID: %s\nCSeq: %u %s\nContact: <sip:peer@127.0.0.1:%u>\n"
		  "Content-Length: 0\n\n",
		  method, P.port, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", callid, cseq,
		  strcmp(method, "ACK") == 0 ? "ACK" : method, P.port);
}

static void check_gaps(const uint64_t *want, unsigned n)
{
	T_ASSERT(P.n >= n + 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t gap = P.at[i + 1] - P.at[i];

		if (gap < want[i] || gap > want[i] + 10) {
			fprintf(stderr, "retransmission %u after %llu ms, want %llu\n", i + 1,
				(unsigned long long)gap, (unsigned long long)want[i]);
			T_ASSERT(0);
		}
	}
}

static void setup(uint32_t t1)
{
	struct sb_loop_params lp = { .clock = fake_clock };
	struct sb_sip_addr a = { htonl(INADDR_LOOPBACK), 0 };
	struct sb_txn_timers tm = { t1, 0, 0 };
	static struct sb_rand rnd;

	sb_rand_seed(&rnd);
	L = sb_loop_create_ex(&lp);
	T_ASSERT(L != NULL);
	T_ASSERT(sb_sip_tx_open(&TX, &a, 1) == 0);
	T_ASSERT(TX.socks[0].local.port != 0);
	TXL = sb_txl_create(L, &TX, &rnd, &tm, &TU, NULL);
	T_ASSERT(TXL != NULL);
	T_ASSERT(sb_sip_tx_attach(&TX, L, NULL, NULL) == 0);
}

static void on_msg(void *arg, uint32_t flow, const struct sb_sip_addr *src, const char *buf,
		   uint32_t len)
{
	struct sb_sip_msg m;

	(void)arg;
	T_ASSERT(sb_sip_msg_parse(&m, buf, buf + len) == 0);
	sb_txl_on_msg(TXL, &m, flow, src);
}

static void teardown(void)
{
	sb_txl_free(TXL);
	sb_sip_tx_close(&TX);
	sb_loop_free(L);
}

int main(void)
{
	char v[512], v2[512];

	peer_open();
	setup(0);
	TX.on_msg = on_msg;
	T_ASSERT(sb_txl_timers(TXL)->t1_ms == 500 && sb_txl_timers(TXL)->t2_ms == 4000);

	/* 1. non-INVITE, no answer: E doubles to T2, F -> 408 */
	{
		const uint64_t gaps[] = { 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000 };
		struct sb_ctx *ct;

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("OPTIONS", "z9hG4bKe1", 1);
		pump();
		advance(33000);
		T_ASSERT_EQ_U64(P.n, 11); /* 0, .5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s */
		check_gaps(gaps, 10);
		T_ASSERT_EQ_U64(T.ctx_calls, 1);
		T_ASSERT(T.ctx_status[0] == 408 && T.ctx_rsp_null[0] == NULL);
		advance(5000);
		T_ASSERT_EQ_U64(P.n, 11);
		sb_ctx_put(ct);
	}

	/* 2. INVITE, no answer: A doubles without a cap, B -> 408 */
	{
		const uint64_t gaps[] = { 500, 1000, 2000, 4000, 8000, 16000 };
		struct sb_ctx *ct;

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("INVITE", "z9hG4bKa2", 1);
		pump();
		advance(33000);
		T_ASSERT_EQ_U64(P.n, 7);
		check_gaps(gaps, 6);
		T_ASSERT(T.ctx_calls == 1 && T.ctx_status[0] == 408);
		T_ASSERT(sb_txl_counters(TXL)->timeouts == 2);
		sb_ctx_put(ct);
	}

	/* 3. INVITE, 180 then 486: ACK by the transaction, 486 to the TU once */
	{
		struct sb_ctx *ct;
		char inv[4096];

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("INVITE", "z9hG4bKa3", 7);
		pump();
		T_ASSERT_EQ_U64(P.n, 1);
		strcpy(inv, P.msg[0]);
		peer_respond(inv, 180, "Ringing", "pt3");
		pump();
		advance(5000);
		T_ASSERT_EQ_U64(P.n, 1); /* no retransmission once proceeding */
		T_ASSERT(T.ctx_calls == 1 && T.ctx_status[0] == 180 && T.ctx_rsp_null[0] != NULL);
		peer_respond(inv, 486, "Busy Here", "pt3");
		pump();
		T_ASSERT_EQ_U64(P.n, 2);
		T_ASSERT(strncmp(P.msg[1], "ACK sip:peer@127.0.0.1:", 23) == 0);
		hdr(P.msg[1], "Via", v, sizeof(v));
		hdr(inv, "Via", v2, sizeof(v2));
		T_ASSERT(strcmp(v, v2) == 0);
		T_ASSERT(hdr(P.msg[1], "CSeq", v, sizeof(v)) == 0 && strcmp(v, "7 ACK") == 0);
		T_ASSERT(hdr(P.msg[1], "To", v, sizeof(v)) == 0 && strstr(v, "tag=pt3"));
		peer_respond(inv, 486, "Busy Here", "pt3"); /* our ACK got lost */
		pump();
		T_ASSERT_EQ_U64(P.n, 3);
		T_ASSERT(strcmp(P.msg[2], P.msg[1]) == 0);
		T_ASSERT(T.ctx_calls == 2 && T.ctx_status[1] == 486);
		sb_ctx_put(ct);
		advance(33000); /* timer D */
		T_ASSERT_EQ_U64(P.n, 3);
	}

	/* 4. INVITE 200: each 2xx to the TU (it sends the ACK) */
	{
		struct sb_ctx *ct;

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("INVITE", "z9hG4bKa4", 1);
		pump();
		peer_respond(P.msg[0], 200, "OK", "pt4");
		pump();
		peer_respond(P.msg[0], 200, "OK", "pt4");
		pump();
		T_ASSERT(T.ctx_calls == 2 && T.ctx_status[0] == 200 && T.ctx_status[1] == 200);
		T_ASSERT_EQ_U64(P.n, 1); /* no ACK from the transaction for a 2xx */
		sb_ctx_put(ct);
	}

	/* 5. non-INVITE 200: once to the TU */
	{
		struct sb_ctx *ct;
		uint64_t abs0 = sb_txl_counters(TXL)->resp_retrans_absorbed;

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("BYE", "z9hG4bKb5", 2);
		pump();
		peer_respond(P.msg[0], 200, "OK", NULL);
		pump();
		peer_respond(P.msg[0], 200, "OK", NULL);
		pump();
		T_ASSERT(T.ctx_calls == 1 && T.ctx_status[0] == 200);
		T_ASSERT_EQ_U64(sb_txl_counters(TXL)->resp_retrans_absorbed, abs0 + 1);
		advance(1000);
		T_ASSERT_EQ_U64(P.n, 1); /* E stopped */
		sb_ctx_put(ct);
	}

	/* 6. register_retransmit_same_tag */
	{
		memset(&T, 0, sizeof(T));
		reset_peer();
		T.reply = 200;
		peer_request("REGISTER", "z9hG4bKr6", "reg6", 1, NULL);
		pump();
		T_ASSERT_EQ_U64(P.n, 1);
		T_ASSERT(status_of(P.msg[0]) == 200);
		T_ASSERT(hdr(P.msg[0], "To", v, sizeof(v)) == 0 && strstr(v, ";tag="));
		advance(500);
		peer_request("REGISTER", "z9hG4bKr6", "reg6", 1, NULL);
		pump();
		T_ASSERT_EQ_U64(P.n, 2);
		T_ASSERT(strcmp(P.msg[0], P.msg[1]) == 0); /* byte for byte: same To tag */
		T_ASSERT_EQ_U64(T.requests, 1);
		advance(33000); /* timer J */
		peer_request("REGISTER", "z9hG4bKr6", "reg6", 1, NULL);
		pump();
		T_ASSERT_EQ_U64(T.requests, 2);
		T_ASSERT(status_of(P.msg[2]) == 200 && strcmp(P.msg[2], P.msg[0]) != 0);
	}

	/* 7. server INVITE 486: 100 after 200 ms, G to T2 until the ACK */
	{
		const uint64_t gaps[] = { 500, 1000, 2000, 4000, 4000 };
		uint64_t t0;

		memset(&T, 0, sizeof(T));
		reset_peer();
		peer_request("INVITE", "z9hG4bKi7", "inv7", 1, NULL);
		pump();
		T_ASSERT(T.requests == 1 && T.held != NULL);
		T_ASSERT_EQ_U64(P.n, 0);
		advance(200);
		T_ASSERT_EQ_U64(P.n, 1);
		T_ASSERT(status_of(P.msg[0]) == 100);
		T_ASSERT(hdr(P.msg[0], "To", v, sizeof(v)) == 0 && !strstr(v, "tag="));
		peer_request("INVITE", "z9hG4bKi7", "inv7", 1, NULL); /* retransmission */
		pump();
		T_ASSERT(P.n == 2 && status_of(P.msg[1]) == 100 && T.requests == 1);
		reset_peer();
		t0 = now_ms;
		T_ASSERT(sb_stx_reply(T.held, 486, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		T_ASSERT(sb_stx_reply(T.held, 200, NULL, NULL, NULL, SB_STR_EMPTY) == -EALREADY);
		pump();
		advance(11600);
		T_ASSERT_EQ_U64(P.n, 6);
		T_ASSERT(P.at[0] == t0);
		check_gaps(gaps, 5);
		for (unsigned i = 0; i < P.n; i++)
			T_ASSERT(strcmp(P.msg[i], P.msg[0]) == 0 && status_of(P.msg[i]) == 486);
		peer_request("INVITE", "z9hG4bKi7", "inv7", 1, NULL);
		pump();
		T_ASSERT(P.n == 7 && strcmp(P.msg[6], P.msg[0]) == 0 && T.requests == 1);
		hdr(P.msg[0], "To", v, sizeof(v));
		peer_request("ACK", "z9hG4bKi7", "inv7", 1, strstr(v, "tag=") + 4);
		pump();
		advance(10000);
		T_ASSERT_EQ_U64(P.n, 7);   /* the ACK stopped G */
		T_ASSERT_EQ_U64(T.acks, 0); /* and was absorbed */
		T_ASSERT(sb_txl_counters(TXL)->acks_absorbed >= 1);
		sb_stx_put(T.held);
	}

	/* 8. server INVITE 200: resent until the TU reports its ACK; no ACK:
	 *    on_no_ack */
	{
		memset(&T, 0, sizeof(T));
		reset_peer();
		peer_request("INVITE", "z9hG4bKi8", "inv8", 1, NULL);
		pump();
		T_ASSERT(sb_stx_reply(T.held, 180, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		T_ASSERT(sb_stx_reply(T.held, 200, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		pump();
		advance(1600);
		T_ASSERT_EQ_U64(P.n, 4); /* 180, 200, 200 at .5, 200 at 1.5 s */
		T_ASSERT(status_of(P.msg[2]) == 200 && strcmp(P.msg[2], P.msg[1]) == 0);
		hdr(P.msg[1], "To", v, sizeof(v));
		hdr(P.msg[0], "To", v2, sizeof(v2));
		T_ASSERT(strcmp(v, v2) == 0); /* one tag for the transaction */
		peer_request("ACK", "z9hG4bKack8", "inv8", 1, strstr(v, "tag=") + 4);
		pump();
		T_ASSERT_EQ_U64(T.acks, 1); /* the dialog's */
		sb_stx_acked(T.held);
		advance(5000);
		T_ASSERT_EQ_U64(P.n, 4);
		advance(30000);
		T_ASSERT_EQ_U64(T.no_acks, 0);
		sb_stx_put(T.held);

		memset(&T, 0, sizeof(T));
		reset_peer();
		peer_request("INVITE", "z9hG4bKi8b", "inv8b", 1, NULL);
		pump();
		T_ASSERT(sb_stx_reply(T.held, 200, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		advance(33000);
		T_ASSERT_EQ_U64(T.no_acks, 1); /* timer L */
		T_ASSERT(P.n >= 9);
		sb_stx_put(T.held);
	}

	/* 9. CANCEL of an INVITE the TU holds; CANCEL of nothing */
	{
		char tag[64];

		memset(&T, 0, sizeof(T));
		reset_peer();
		peer_request("INVITE", "z9hG4bKi9", "inv9", 5, NULL);
		pump();
		T_ASSERT(sb_stx_reply(T.held, 180, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		pump();
		hdr(P.msg[0], "To", v, sizeof(v));
		snprintf(tag, sizeof(tag), "%s", strstr(v, "tag="));
		peer_request("CANCEL", "z9hG4bKi9", "inv9", 5, NULL);
		pump();
		T_ASSERT_EQ_U64(P.n, 3);
		T_ASSERT(status_of(P.msg[1]) == 200);
		T_ASSERT(hdr(P.msg[1], "CSeq", v, sizeof(v)) == 0 && strcmp(v, "5 CANCEL") == 0);
		T_ASSERT(hdr(P.msg[1], "To", v, sizeof(v)) == 0 && strstr(v, tag));
		T_ASSERT(status_of(P.msg[2]) == 487);
		T_ASSERT(hdr(P.msg[2], "CSeq", v, sizeof(v)) == 0 && strcmp(v, "5 INVITE") == 0);
		T_ASSERT(hdr(P.msg[2], "To", v, sizeof(v)) == 0 && strstr(v, tag));
		T_ASSERT_EQ_U64(T.cancels, 1);
		T_ASSERT(sb_stx_status(T.held) == 487);
		peer_request("CANCEL", "z9hG4bKi9", "inv9", 5, NULL); /* retransmitted */
		pump();
		T_ASSERT(P.n == 4 && strcmp(P.msg[3], P.msg[1]) == 0 && T.cancels == 1);
		peer_request("ACK", "z9hG4bKi9", "inv9", 5, strstr(tag, "tag=") + 4);
		pump();
		advance(600);
		T_ASSERT_EQ_U64(P.n, 4); /* the 487 was ACKed: no timer G */
		sb_stx_put(T.held);

		reset_peer();
		peer_request("CANCEL", "z9hG4bKnone", "none9", 1, NULL);
		pump();
		T_ASSERT(P.n == 1 && status_of(P.msg[0]) == 481);
	}

	/* 9b. the CANCEL/200 race: the 200 went out first; the CANCEL gets its
	 *     own 200, the TU hears nothing, no 487 follows */
	{
		memset(&T, 0, sizeof(T));
		reset_peer();
		peer_request("INVITE", "z9hG4bKi9b", "inv9b", 1, NULL);
		pump();
		T_ASSERT(sb_stx_reply(T.held, 200, NULL, NULL, NULL, SB_STR_EMPTY) == 0);
		pump();
		peer_request("CANCEL", "z9hG4bKi9b", "inv9b", 1, NULL);
		pump();
		T_ASSERT_EQ_U64(P.n, 2);
		T_ASSERT(status_of(P.msg[0]) == 200 && status_of(P.msg[1]) == 200);
		T_ASSERT(hdr(P.msg[1], "CSeq", v, sizeof(v)) == 0 && strcmp(v, "1 CANCEL") == 0);
		T_ASSERT_EQ_U64(T.cancels, 0);
		T_ASSERT(sb_stx_status(T.held) == 200);
		sb_stx_acked(T.held);
		advance(1000);
		T_ASSERT_EQ_U64(P.n, 2); /* no 487, no more 200s */
		sb_stx_put(T.held);
	}

	/* 10. client CANCEL waits for a provisional; 487 ACKed */
	{
		struct sb_ctx *ct;
		char inv[4096];

		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("INVITE", "z9hG4bKc10", 3);
		pump();
		strcpy(inv, P.msg[0]);
		T_ASSERT(sb_ctx_cancel(ct) == 0);
		T_ASSERT(sb_ctx_cancel(ct) == -EALREADY);
		pump();
		T_ASSERT_EQ_U64(P.n, 1); /* §9.1: not before a provisional */
		peer_respond(inv, 180, "Ringing", "pt10");
		pump();
		T_ASSERT_EQ_U64(P.n, 2);
		T_ASSERT(strncmp(P.msg[1], "CANCEL sip:peer@", 16) == 0);
		hdr(P.msg[1], "Via", v, sizeof(v));
		hdr(inv, "Via", v2, sizeof(v2));
		T_ASSERT(strcmp(v, v2) == 0);
		T_ASSERT(hdr(P.msg[1], "CSeq", v, sizeof(v)) == 0 && strcmp(v, "3 CANCEL") == 0);
		T_ASSERT(hdr(P.msg[1], "To", v, sizeof(v)) == 0 && !strstr(v, "tag="));
		peer_respond(P.msg[1], 200, "OK", "pt10");
		peer_respond(inv, 487, "Request Terminated", "pt10");
		pump();
		T_ASSERT(P.n == 3 && strncmp(P.msg[2], "ACK ", 4) == 0);
		T_ASSERT(T.ctx_calls == 2 && T.ctx_status[1] == 487);
		sb_ctx_put(ct);
	}

	/* 12. responses follow the top Via: rport -> the source port (RFC
	 *     3581), without it -> the sent-by port */
	{
		char want[128];

		memset(&T, 0, sizeof(T));
		T.reply = 200;
		reset_peer();
		peer_send("OPTIONS sip:sb@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.77:9;branch=z9hG4bKv12;rport\n"
			  "From: <sip:peer@127.0.0.1>;tag=pt\nTo: <sip:sb@127.0.0.1>\nCall-ID: v12\n"
			  "CSeq: 1 OPTIONS\nContent-Length: 0\n\n");
		pump();
		T_ASSERT(P.n == 1 && status_of(P.msg[0]) == 200);
		snprintf(want, sizeof(want), "Via: SIP/2.0/UDP 192.0.2.77:9;branch=z9hG4bKv12;"
			 "received=127.0.0.1;rport=%u\r\n", P.port);
		T_ASSERT(strstr(P.msg[0], want) != NULL);
		peer_send("OPTIONS sip:sb@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKv12b\n"
			  "From: <sip:peer@127.0.0.1>;tag=pt\nTo: <sip:sb@127.0.0.1>\nCall-ID: v12b\n"
			  "CSeq: 1 OPTIONS\nContent-Length: 0\n\n", P.port);
		pump();
		T_ASSERT(P.n == 2 && strstr(P.msg[1], "Call-ID: v12b\r\n"));
		peer_send("OPTIONS sip:sb@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKv12c\n"
			  "From: <sip:peer@127.0.0.1>;tag=pt\nTo: <sip:sb@127.0.0.1>\nCall-ID: v12c\n"
			  "CSeq: 1 OPTIONS\nContent-Length: 0\n\n");
		pump();
		T_ASSERT_EQ_U64(P.n, 2); /* went to port 9, not to us */
		T_ASSERT_EQ_U64(T.requests, 3);
	}

	T_ASSERT(sb_txl_counters(TXL)->stray_resp == 0);
	teardown();

	/* 11. T1 = 100 ms */
	{
		struct sb_ctx *ct;

		setup(100);
		TX.on_msg = on_msg;
		memset(&T, 0, sizeof(T));
		reset_peer();
		ct = send_req("OPTIONS", "z9hG4bKt11", 1);
		pump();
		advance(350);
		T_ASSERT_EQ_U64(P.n, 3); /* 0, 100, 300 */
		T_ASSERT(P.at[1] - P.at[0] >= 100 && P.at[1] - P.at[0] <= 110);
		sb_ctx_put(ct);
		advance(7000); /* F = 64 x 100 ms */
		T_ASSERT_EQ_U64(T.ctx_calls, 0); /* put: no callback */
		T_ASSERT_EQ_U64(sb_txl_count(TXL), 0);
		teardown();
	}
	close(P.fd);
	return 0;
}
