/* SPDX-License-Identifier: MIT */
/*
 * sip/txn.c — the four transaction state machines of RFC 3261 §17 (see
 * txn.h), two hash tables (server, client) keyed by branch, and the
 * timers on the loop's wheel.
 *
 * Every transaction keeps an owned copy of its request (and the server
 * side its last response) so that retransmissions are answered byte for
 * byte: a retransmitted REGISTER gets the very same 200, To tag included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/txn.h"

#define BUCKETS  65536u /* per table; power of two (chains stay short at 100k live) */
#define KEY_MAX  512u
#define RESP_MAX 16384u /* responses we build */
#define TAG_LEN  16
#define TRYING_MS 200u /* §17.2.1: 100 Trying when the TU is slower */

enum txn_state {
	TS_CALLING = 1, /* client INVITE */
	TS_TRYING,      /* client / server non-INVITE */
	TS_PROCEEDING,
	TS_COMPLETED,
	TS_CONFIRMED,   /* server INVITE: ACK of a non-2xx received */
	TS_ACCEPTED,    /* INVITE 2xx (RFC 6026) */
	TS_TERMINATED,
};

struct txn {
	struct sb_txl *l;
	struct txn *hnext;              /* hash chain */
	struct txn *aprev, *anext;      /* every transaction, for sb_txl_free */
	uint32_t hash;
	bool linked, held, in_cb, reliable, is_server;
	enum txn_state state;
	enum sb_sip_method method;      /* of the transaction (INVITE for its ACK) */
	uint32_t flow;
	struct sb_sip_addr dst;         /* client: request target; server: response target */
	char *key;                      /* owned */
	uint32_t key_len;
	/* The request: an owned copy and its parse, one allocation (msg, then
	 * the bytes).  Dropped once nothing can need it (compact()): a
	 * completed non-INVITE transaction nobody holds keeps only its key and
	 * last response, ~10 % of the memory. */
	struct sb_sip_msg *msg;
	char *buf;
	uint32_t len;
	struct sb_timer t_rtx, t_end;
	uint32_t interval_ms;
};

struct sb_stx {
	struct txn t;                   /* must be first */
	char *resp;                     /* last response sent (owned) */
	uint32_t resp_len;
	unsigned status;
	bool acked;
	void *owner;
	struct sb_sip_addr src;         /* the request's source (received=, rport=) */
	char tag[SB_SIP_TOKEN_LEN + 1];
};

struct sb_ctx {
	struct txn t;                   /* must be first */
	sb_ctx_cb *cb;
	void *arg;
	char *ack;                      /* ACK of a non-2xx final (owned) */
	uint32_t ack_len;
	bool cancel_pending, cancel_sent;
	unsigned final;
};

struct sb_txl {
	struct sb_loop *loop;
	struct sb_sip_tx *tx;
	struct sb_rand *rnd;
	struct sb_txn_timers tm;
	struct sb_txl_tu tu;
	void *tu_arg;
	unsigned n;
	struct txn *all;
	struct sb_txl_cnt cnt;
	struct txn *stab[BUCKETS];
	struct txn *ctab[BUCKETS];
};

static uint32_t fnv1a(const char *p, uint32_t n, uint32_t h)
{
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static uint32_t key_hash(const char *k, uint32_t n, enum sb_sip_method m)
{
	return fnv1a(k, n, 2166136261u ^ (uint32_t)m);
}

/* ---- keys ---- */

static bool has_cookie(struct sb_str branch)
{
	return branch.len > 7 && memcmp(branch.p, SB_SIP_BRANCH_MAGIC, 7) == 0;
}

/* Server key (§17.2.3): branch + sent-by; RFC 2543 requests: Call-ID,
 * CSeq number, From tag and the whole top Via.  0 or -EBADMSG. */
static int server_key(const struct sb_sip_msg *m, struct sb_buf *b)
{
	struct sb_sip_via v;

	if (sb_sip_via_parse(sb_sip_msg_hdr(m, SB_HDR_VIA), &v, NULL) < 0)
		return -EBADMSG;
	if (has_cookie(v.branch)) {
		sb_buf_str(b, v.branch);
		sb_buf_puts(b, "\x01");
		sb_buf_str(b, v.host);
		sb_buf_printf(b, ":%u", v.port);
	} else {
		sb_buf_puts(b, "2543\x01");
		sb_buf_str(b, m->call_id);
		sb_buf_printf(b, "\x01%u\x01", m->cseq);
		sb_buf_str(b, sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_FROM)));
		sb_buf_puts(b, "\x01");
		sb_buf_str(b, v.text);
	}
	return sb_buf_ok(b) ? 0 : -EBADMSG;
}

/* Client key (§17.1.3): the branch of the top Via. */
static int client_key(const struct sb_sip_msg *m, struct sb_buf *b)
{
	struct sb_sip_via v;

	if (sb_sip_via_parse(sb_sip_msg_hdr(m, SB_HDR_VIA), &v, NULL) < 0 || v.branch.len == 0)
		return -EBADMSG;
	sb_buf_str(b, v.branch);
	return sb_buf_ok(b) ? 0 : -EBADMSG;
}

static struct txn **table(struct sb_txl *l, bool server)
{
	return server ? l->stab : l->ctab;
}

static struct txn *find(struct sb_txl *l, bool server, const char *k, uint32_t n,
			enum sb_sip_method m)
{
	uint32_t h = key_hash(k, n, m);

	for (struct txn *t = table(l, server)[h & (BUCKETS - 1)]; t; t = t->hnext)
		if (t->hash == h && t->method == m && t->key_len == n && memcmp(t->key, k, n) == 0)
			return t;
	return NULL;
}

static void link_txn(struct txn *t)
{
	struct txn **tab = table(t->l, t->is_server);

	t->hash = key_hash(t->key, t->key_len, t->method);
	t->hnext = tab[t->hash & (BUCKETS - 1)];
	tab[t->hash & (BUCKETS - 1)] = t;
	t->linked = true;
}

static void unlink_txn(struct txn *t)
{
	struct txn **pp;

	if (!t->linked)
		return;
	for (pp = &table(t->l, t->is_server)[t->hash & (BUCKETS - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	t->linked = false;
}

/* ---- life cycle ---- */

static void on_rtx(struct sb_timer *tm, void *arg);
static void on_end(struct sb_timer *tm, void *arg);

static void txn_free(struct txn *t)
{
	struct sb_txl *l = t->l;

	unlink_txn(t);
	sb_timer_cancel(l->loop, &t->t_rtx);
	sb_timer_cancel(l->loop, &t->t_end);
	if (t->aprev)
		t->aprev->anext = t->anext;
	else
		l->all = t->anext;
	if (t->anext)
		t->anext->aprev = t->aprev;
	l->n--;
	free(t->key);
	free(t->msg);
	if (t->is_server) {
		free(((struct sb_stx *)t)->resp);
	} else {
		free(((struct sb_ctx *)t)->ack);
	}
	free(t);
}

/* Drop the request copy of a transaction that will not need it again. */
static void compact(struct txn *t)
{
	if (t->held || t->in_cb || t->msg == NULL)
		return;
	if (t->is_server ? ((struct sb_stx *)t)->status < 200 || t->method == SB_SIP_INVITE
			 : ((struct sb_ctx *)t)->final == 0)
		return;
	free(t->msg);
	t->msg = NULL;
	t->buf = NULL;
}

static void maybe_free(struct txn *t)
{
	if (t->state == TS_TERMINATED && !t->held && !t->in_cb)
		txn_free(t);
}

static void terminate(struct txn *t)
{
	t->state = TS_TERMINATED;
	unlink_txn(t);
	sb_timer_cancel(t->l->loop, &t->t_rtx);
	sb_timer_cancel(t->l->loop, &t->t_end);
}

/* A transaction with an owned, parsed copy of msg's bytes. */
static struct txn *txn_new(struct sb_txl *l, size_t size, bool server, const char *buf,
			   uint32_t len, const struct sb_buf *key, uint32_t flow)
{
	struct txn *t = calloc(1, size);

	if (t == NULL)
		return NULL;
	t->msg = malloc(sizeof(*t->msg) + (len ? len : 1));
	t->key = malloc(key->len ? key->len : 1);
	if (t->msg == NULL || t->key == NULL) {
		free(t->msg);
		free(t->key);
		free(t);
		return NULL;
	}
	t->buf = (char *)(t->msg + 1);
	memcpy(t->buf, buf, len);
	t->len = len;
	memcpy(t->key, key->p, key->len);
	t->key_len = key->len;
	/* it parsed once; it parses the same way again, now pointing into buf */
	sb_sip_msg_parse(t->msg, t->buf, t->buf + len);
	t->l = l;
	t->is_server = server;
	t->flow = flow;
	t->reliable = sb_sip_flow_is_stream(flow);
	sb_timer_init(&t->t_rtx, on_rtx, t);
	sb_timer_init(&t->t_end, on_end, t);
	t->anext = l->all;
	if (l->all)
		l->all->aprev = t;
	l->all = t;
	l->n++;
	return t;
}

static int txn_send(struct txn *t, const char *buf, uint32_t len)
{
	return sb_sip_tx_send(t->l->tx, t->flow, &t->dst, buf, len);
}

/* ---- the layer ---- */

struct sb_txl *sb_txl_create(struct sb_loop *loop, struct sb_sip_tx *tx, struct sb_rand *rnd,
			     const struct sb_txn_timers *tm, const struct sb_txl_tu *tu,
			     void *tu_arg)
{
	struct sb_txl *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->loop = loop;
	l->tx = tx;
	l->rnd = rnd;
	l->tm.t1_ms = tm && tm->t1_ms ? tm->t1_ms : SB_TXN_T1_MS;
	l->tm.t2_ms = tm && tm->t2_ms ? tm->t2_ms : SB_TXN_T2_MS;
	l->tm.t4_ms = tm && tm->t4_ms ? tm->t4_ms : SB_TXN_T4_MS;
	if (tu)
		l->tu = *tu;
	l->tu_arg = tu_arg;
	return l;
}

void sb_txl_free(struct sb_txl *l)
{
	if (l == NULL)
		return;
	while (l->all)
		txn_free(l->all);
	free(l);
}

const struct sb_txl_cnt *sb_txl_counters(const struct sb_txl *l)
{
	return &l->cnt;
}

const struct sb_txn_timers *sb_txl_timers(const struct sb_txl *l)
{
	return &l->tm;
}

unsigned sb_txl_count(const struct sb_txl *l)
{
	return l->n;
}

void sb_txl_branch(struct sb_txl *l, char *out, size_t cap)
{
	char tok[SB_SIP_TOKEN_LEN + 1];

	sb_rand_token(l->rnd, tok, SB_SIP_TOKEN_LEN);
	snprintf(out, cap, SB_SIP_BRANCH_MAGIC "%s", tok);
}

/* ---- server transactions ---- */

const struct sb_sip_msg *sb_stx_request(const struct sb_stx *st)
{
	return st->t.msg;
}

uint32_t sb_stx_flow(const struct sb_stx *st)
{
	return st->t.flow;
}

const char *sb_stx_tag(const struct sb_stx *st)
{
	return st->tag;
}

void sb_stx_set_tag(struct sb_stx *st, const char *tag)
{
	snprintf(st->tag, sizeof(st->tag), "%s", tag);
}

unsigned sb_stx_status(const struct sb_stx *st)
{
	return st->status;
}

void sb_stx_hold(struct sb_stx *st, void *owner)
{
	st->t.held = true;
	st->owner = owner;
}

void sb_stx_put(struct sb_stx *st)
{
	if (st == NULL)
		return;
	st->t.held = false;
	st->owner = NULL;
	compact(&st->t);
	maybe_free(&st->t);
}

int sb_stx_respond(struct sb_stx *st, unsigned code, const char *buf, uint32_t len)
{
	struct txn *t = &st->t;
	struct sb_txl *l = t->l;
	char *copy;

	if (st->status >= 200 || t->state == TS_TERMINATED)
		return -EALREADY;
	if (code < 100 || code > 699)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, buf, len);
	free(st->resp);
	st->resp = copy;
	st->resp_len = len;
	st->status = code;
	txn_send(t, buf, len);
	if (code < 200) {
		t->state = TS_PROCEEDING;
		return 0;
	}
	sb_timer_cancel(l->loop, &t->t_rtx);
	sb_timer_cancel(l->loop, &t->t_end);
	if (t->method != SB_SIP_INVITE) {
		/* timer J: absorb retransmissions for 64*T1 (UDP) */
		t->state = TS_COMPLETED;
		sb_timer_arm(l->loop, &t->t_end, t->reliable ? 0 : 64ull * l->tm.t1_ms);
		return 0;
	}
	t->interval_ms = l->tm.t1_ms;
	if (code < 300) {
		/* Accepted: the 2xx is resent until the TU reports the ACK
		 * (end to end, so over TCP too); timer L */
		t->state = TS_ACCEPTED;
		sb_timer_arm(l->loop, &t->t_rtx, t->interval_ms);
		sb_timer_arm(l->loop, &t->t_end, 64ull * l->tm.t1_ms);
		return 0;
	}
	/* Completed: timer G (UDP) until the ACK, timer H */
	t->state = TS_COMPLETED;
	if (!t->reliable)
		sb_timer_arm(l->loop, &t->t_rtx, t->interval_ms);
	sb_timer_arm(l->loop, &t->t_end, 64ull * l->tm.t1_ms);
	return 0;
}

int sb_stx_reply(struct sb_stx *st, unsigned code, const char *reason, const char *extra_hdrs,
		 const char *content_type, struct sb_str body)
{
	static char mem[RESP_MAX]; /* loop thread only */
	struct sb_buf b;

	if (st->status >= 200 || st->t.state == TS_TERMINATED)
		return -EALREADY;
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sip_write_response(&b, st->t.msg, &st->src, code, reason, code > 100 ? st->tag : NULL,
			      extra_hdrs, content_type, body);
	if (!sb_buf_ok(&b)) {
		sb_warn("sip: %u response does not fit in %u bytes", code, RESP_MAX);
		return -EMSGSIZE;
	}
	return sb_stx_respond(st, code, b.p, b.len);
}

void sb_stx_acked(struct sb_stx *st)
{
	st->acked = true;
	sb_timer_cancel(st->t.l->loop, &st->t.t_rtx);
}

const struct sb_sip_addr *sb_stx_src(const struct sb_stx *st)
{
	return &st->src;
}

static struct sb_stx *stx_new(struct sb_txl *l, const struct sb_sip_msg *m, const struct sb_buf *key,
			      uint32_t flow, const struct sb_sip_addr *src)
{
	struct sb_stx *st = (struct sb_stx *)txn_new(l, sizeof(*st), true, m->buf,
						     (uint32_t)(m->end - m->buf), key, flow);

	if (st == NULL)
		return NULL;
	st->src = *src;
	st->t.method = m->method;
	st->t.state = m->method == SB_SIP_INVITE ? TS_PROCEEDING : TS_TRYING;
	sb_sip_response_dest(st->t.msg, src, &st->t.dst);
	sb_rand_token(l->rnd, st->tag, TAG_LEN);
	link_txn(&st->t);
	l->cnt.stx_created++;
	return st;
}

/* A request matched an existing server transaction. */
static void stx_retransmission(struct sb_txl *l, struct sb_stx *st)
{
	l->cnt.req_retrans_absorbed++;
	/* Accepted: the 2xx is on its own schedule (RFC 6026 §7.1) */
	if (st->resp && st->t.state != TS_ACCEPTED)
		txn_send(&st->t, st->resp, st->resp_len);
}

static void stx_ack(struct sb_txl *l, struct sb_stx *st, const struct sb_sip_msg *m, uint32_t flow,
		    const struct sb_sip_addr *src)
{
	struct txn *t = &st->t;

	switch (t->state) {
	case TS_COMPLETED:
		/* ACK of our non-2xx: timer I, then gone */
		l->cnt.acks_absorbed++;
		t->state = TS_CONFIRMED;
		sb_timer_cancel(l->loop, &t->t_rtx);
		sb_timer_arm(l->loop, &t->t_end, t->reliable ? 0 : l->tm.t4_ms);
		break;
	case TS_CONFIRMED:
		l->cnt.acks_absorbed++;
		break;
	default:
		/* an ACK for a 2xx that reused the INVITE's branch: the dialog's */
		if (l->tu.on_ack)
			l->tu.on_ack(l->tu_arg, m, flow, src);
		break;
	}
}

static void stx_cancel(struct sb_txl *l, const struct sb_sip_msg *m, struct sb_buf *key,
		       uint32_t flow, const struct sb_sip_addr *src)
{
	struct txn *it = find(l, true, key->p, key->len, SB_SIP_INVITE);
	struct sb_stx *cst = stx_new(l, m, key, flow, src), *inv;

	if (cst == NULL)
		return;
	l->cnt.cancels++;
	if (it == NULL) {
		sb_stx_reply(cst, 481, NULL, NULL, NULL, SB_STR_EMPTY);
		compact(&cst->t);
		return;
	}
	inv = (struct sb_stx *)it;
	/* §9.2: the same To tag as the responses to the INVITE */
	sb_stx_set_tag(cst, inv->tag);
	sb_stx_reply(cst, 200, NULL, NULL, NULL, SB_STR_EMPTY);
	compact(&cst->t);
	if (inv->status >= 200)
		return; /* too late: it has its final response */
	if (inv->t.held && l->tu.on_cancel) {
		inv->t.in_cb = true;
		l->tu.on_cancel(l->tu_arg, inv, inv->owner);
		inv->t.in_cb = false;
	}
	if (inv->status < 200)
		sb_stx_reply(inv, 487, NULL, NULL, NULL, SB_STR_EMPTY);
	maybe_free(&inv->t);
}

static void on_request(struct sb_txl *l, const struct sb_sip_msg *m, uint32_t flow,
		       const struct sb_sip_addr *src)
{
	char kmem[KEY_MAX];
	struct sb_buf key;
	enum sb_sip_method cls = m->method == SB_SIP_ACK ? SB_SIP_INVITE : m->method;
	struct txn *t;
	struct sb_stx *st;

	sb_buf_init(&key, kmem, sizeof(kmem));
	if (server_key(m, &key) < 0) {
		l->cnt.stray_ack++; /* the parser guarantees a Via: unreachable */
		return;
	}
	t = find(l, true, key.p, key.len, cls);
	if (m->method == SB_SIP_ACK) {
		if (t)
			stx_ack(l, (struct sb_stx *)t, m, flow, src);
		else if (l->tu.on_ack)
			l->tu.on_ack(l->tu_arg, m, flow, src);
		else
			l->cnt.stray_ack++;
		return;
	}
	if (t) {
		stx_retransmission(l, (struct sb_stx *)t);
		return;
	}
	if (m->method == SB_SIP_CANCEL) {
		stx_cancel(l, m, &key, flow, src);
		return;
	}
	st = stx_new(l, m, &key, flow, src);
	if (st == NULL) {
		sb_warn("sip: no memory for a server transaction");
		return;
	}
	st->t.in_cb = true;
	if (l->tu.on_request)
		l->tu.on_request(l->tu_arg, st, st->t.msg);
	st->t.in_cb = false;
	if (!st->t.held && st->status < 200) {
		l->cnt.auto_500++;
		sb_stx_reply(st, 500, "Request not handled", NULL, NULL, SB_STR_EMPTY);
	}
	/* §17.2.1: 100 Trying unless the TU answers within 200 ms (so the
	 * client stops timer A); t_rtx is idle while proceeding */
	if (m->method == SB_SIP_INVITE && st->status == 0)
		sb_timer_arm(l->loop, &st->t.t_rtx, TRYING_MS);
	compact(&st->t);
	maybe_free(&st->t);
}

/* ---- client transactions ---- */

const struct sb_sip_msg *sb_ctx_request(const struct sb_ctx *ct)
{
	return ct->t.msg;
}

void sb_ctx_put(struct sb_ctx *ct)
{
	if (ct == NULL)
		return;
	ct->t.held = false;
	ct->cb = NULL;
	compact(&ct->t);
	maybe_free(&ct->t);
}

static struct sb_ctx *ctx_start(struct sb_txl *l, uint32_t flow, const struct sb_sip_addr *dst,
				const char *req, uint32_t len, sb_ctx_cb *cb, void *arg, bool held)
{
	struct sb_sip_msg m;
	char kmem[KEY_MAX];
	struct sb_buf key;
	struct sb_ctx *ct;
	int rc;

	sb_buf_init(&key, kmem, sizeof(kmem));
	if (sb_sip_msg_parse(&m, req, req + len) < 0 || !m.is_request ||
	    m.method == SB_SIP_ACK || client_key(&m, &key) < 0) {
		errno = EBADMSG;
		return NULL;
	}
	if (find(l, false, key.p, key.len, m.method)) {
		errno = EEXIST;
		return NULL;
	}
	ct = (struct sb_ctx *)txn_new(l, sizeof(*ct), false, req, len, &key, flow);
	if (ct == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ct->t.method = m.method;
	ct->t.dst = *dst;
	ct->t.held = held;
	ct->cb = cb;
	ct->arg = arg;
	ct->t.state = m.method == SB_SIP_INVITE ? TS_CALLING : TS_TRYING;
	rc = txn_send(&ct->t, req, len);
	if (rc < 0) {
		txn_free(&ct->t);
		errno = -rc;
		return NULL;
	}
	link_txn(&ct->t);
	l->cnt.ctx_created++;
	/* A / E start at T1 on unreliable transports; B / F at 64*T1 */
	ct->t.interval_ms = l->tm.t1_ms;
	if (!ct->t.reliable)
		sb_timer_arm(l->loop, &ct->t.t_rtx, ct->t.interval_ms);
	sb_timer_arm(l->loop, &ct->t.t_end, 64ull * l->tm.t1_ms);
	return ct;
}

struct sb_ctx *sb_ctx_start(struct sb_txl *l, uint32_t flow, const struct sb_sip_addr *dst,
			    const char *req, uint32_t len, sb_ctx_cb *cb, void *arg)
{
	return ctx_start(l, flow, dst, req, len, cb, arg, true);
}

/* CANCEL or ACK from the INVITE (§9.1, §17.1.1.3): its Request-URI, top
 * Via, Route set, From, Call-ID and CSeq number; To as given. */
static int write_from_invite(struct sb_buf *b, const struct sb_sip_msg *inv, const char *method,
			     struct sb_str to)
{
	struct sb_sip_via v;

	sb_buf_printf(b, "%s ", method);
	sb_buf_str(b, inv->ruri);
	sb_buf_puts(b, " SIP/2.0\r\nVia: ");
	if (sb_sip_via_parse(sb_sip_msg_hdr(inv, SB_HDR_VIA), &v, NULL) < 0)
		return -EBADMSG;
	sb_buf_str(b, v.text);
	sb_buf_puts(b, "\r\n");
	for (unsigned i = 0; i < inv->n_hdrs; i++)
		if (inv->hdrs[i].id == SB_HDR_ROUTE) {
			sb_buf_puts(b, "Route: ");
			sb_buf_str(b, inv->hdrs[i].value);
			sb_buf_puts(b, "\r\n");
		}
	sb_buf_puts(b, "Max-Forwards: 70\r\nFrom: ");
	sb_buf_str(b, sb_sip_msg_hdr(inv, SB_HDR_FROM));
	sb_buf_puts(b, "\r\nTo: ");
	sb_buf_str(b, to);
	sb_buf_puts(b, "\r\nCall-ID: ");
	sb_buf_str(b, inv->call_id);
	sb_buf_printf(b, "\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n", inv->cseq, method);
	return sb_buf_ok(b) ? 0 : -EMSGSIZE;
}

static void ctx_send_cancel(struct sb_ctx *ct)
{
	struct sb_txl *l = ct->t.l;
	char mem[4096];
	struct sb_buf b;

	ct->cancel_pending = false;
	ct->cancel_sent = true;
	sb_buf_init(&b, mem, sizeof(mem));
	if (write_from_invite(&b, ct->t.msg, "CANCEL", sb_sip_msg_hdr(ct->t.msg, SB_HDR_TO)) < 0)
		return;
	/* nobody holds it: it runs to its end by itself */
	if (ctx_start(l, ct->t.flow, &ct->t.dst, b.p, b.len, NULL, NULL, false) == NULL)
		sb_warn("sip: cannot send CANCEL: %s", strerror(errno));
}

int sb_ctx_cancel(struct sb_ctx *ct)
{
	if (ct->t.method != SB_SIP_INVITE)
		return -EINVAL;
	if (ct->final || ct->cancel_pending || ct->cancel_sent || ct->t.state == TS_TERMINATED)
		return -EALREADY;
	/* §9.1: not before a provisional response has arrived */
	if (ct->t.state == TS_PROCEEDING)
		ctx_send_cancel(ct);
	else
		ct->cancel_pending = true;
	return 0;
}

static void ctx_send_ack(struct sb_ctx *ct, const struct sb_sip_msg *rsp)
{
	char mem[4096];
	struct sb_buf b;

	if (ct->ack == NULL) {
		sb_buf_init(&b, mem, sizeof(mem));
		if (ct->t.msg == NULL ||
		    write_from_invite(&b, ct->t.msg, "ACK", sb_sip_msg_hdr(rsp, SB_HDR_TO)) < 0)
			return;
		ct->ack = malloc(b.len);
		if (ct->ack == NULL)
			return;
		memcpy(ct->ack, b.p, b.len);
		ct->ack_len = b.len;
	}
	txn_send(&ct->t, ct->ack, ct->ack_len);
}

static void ctx_deliver(struct sb_ctx *ct, const struct sb_sip_msg *rsp, unsigned status)
{
	if (ct->cb && ct->t.held) {
		ct->t.in_cb = true;
		ct->cb(ct->arg, ct, rsp, status);
		ct->t.in_cb = false;
	}
	compact(&ct->t);
	maybe_free(&ct->t);
}

static void ctx_response(struct sb_txl *l, struct sb_ctx *ct, const struct sb_sip_msg *m)
{
	struct txn *t = &ct->t;
	unsigned s = m->status;

	if (t->method == SB_SIP_INVITE) {
		switch (t->state) {
		case TS_CALLING:
		case TS_PROCEEDING:
			sb_timer_cancel(l->loop, &t->t_rtx);
			if (s < 200) {
				sb_timer_cancel(l->loop, &t->t_end); /* no B once proceeding */
				t->state = TS_PROCEEDING;
				if (ct->cancel_pending)
					ctx_send_cancel(ct);
			} else if (s < 300) {
				ct->final = s;
				t->state = TS_ACCEPTED; /* timer M absorbs nothing: 2xx go up */
				sb_timer_arm(l->loop, &t->t_end, 64ull * l->tm.t1_ms);
			} else {
				ct->final = s;
				t->state = TS_COMPLETED;
				ctx_send_ack(ct, m);
				sb_timer_arm(l->loop, &t->t_end, t->reliable ? 0 : 32000u);
			}
			ctx_deliver(ct, m, s);
			return;
		case TS_ACCEPTED:
			if (s >= 200 && s < 300) {
				ctx_deliver(ct, m, s); /* the TU re-sends its ACK */
				return;
			}
			break;
		case TS_COMPLETED:
			if (s >= 300)
				ctx_send_ack(ct, m);
			break;
		default:
			break;
		}
		l->cnt.resp_retrans_absorbed++;
		return;
	}
	switch (t->state) {
	case TS_TRYING:
	case TS_PROCEEDING:
		if (s < 200) {
			t->state = TS_PROCEEDING;
			ctx_deliver(ct, m, s);
			return;
		}
		ct->final = s;
		t->state = TS_COMPLETED;
		sb_timer_cancel(l->loop, &t->t_rtx);
		sb_timer_arm(l->loop, &t->t_end, t->reliable ? 0 : l->tm.t4_ms);
		ctx_deliver(ct, m, s);
		return;
	default:
		l->cnt.resp_retrans_absorbed++;
		return;
	}
}

static void on_response(struct sb_txl *l, const struct sb_sip_msg *m, uint32_t flow,
			const struct sb_sip_addr *src)
{
	char kmem[KEY_MAX];
	struct sb_buf key;
	struct txn *t = NULL;

	sb_buf_init(&key, kmem, sizeof(kmem));
	if (client_key(m, &key) == 0)
		t = find(l, false, key.p, key.len, m->cseq_method);
	if (t == NULL) {
		l->cnt.stray_resp++;
		if (l->tu.on_stray_response)
			l->tu.on_stray_response(l->tu_arg, m, flow, src);
		return;
	}
	ctx_response(l, (struct sb_ctx *)t, m);
}

void sb_txl_on_msg(struct sb_txl *l, const struct sb_sip_msg *m, uint32_t flow,
		   const struct sb_sip_addr *src)
{
	if (m->is_request)
		on_request(l, m, flow, src);
	else
		on_response(l, m, flow, src);
}

/* ---- timers ---- */

static void on_rtx(struct sb_timer *tm, void *arg)
{
	struct txn *t = arg;
	struct sb_txl *l = t->l;

	(void)tm;
	l->cnt.retransmits++;
	if (t->is_server) {
		struct sb_stx *st = (struct sb_stx *)t;

		if (t->state == TS_PROCEEDING) {
			l->cnt.retransmits--; /* not one */
			if (st->status == 0)
				sb_stx_reply(st, 100, NULL, NULL, NULL, SB_STR_EMPTY);
			return;
		}
		/* G, or the 2xx until ACKed: T1 doubling up to T2 */
		if (st->resp)
			txn_send(t, st->resp, st->resp_len);
		t->interval_ms = t->interval_ms * 2 > l->tm.t2_ms ? l->tm.t2_ms : t->interval_ms * 2;
	} else {
		txn_send(t, t->buf, t->len);
		if (t->method == SB_SIP_INVITE)
			t->interval_ms *= 2; /* A: no cap */
		else if (t->state == TS_PROCEEDING)
			t->interval_ms = l->tm.t2_ms; /* E once proceeding */
		else
			t->interval_ms = t->interval_ms * 2 > l->tm.t2_ms ? l->tm.t2_ms
									   : t->interval_ms * 2;
	}
	sb_timer_arm(l->loop, &t->t_rtx, t->interval_ms);
}

static void on_end(struct sb_timer *tm, void *arg)
{
	struct txn *t = arg;
	struct sb_txl *l = t->l;
	enum txn_state was = t->state;

	(void)tm;
	terminate(t);
	if (t->is_server) {
		struct sb_stx *st = (struct sb_stx *)t;

		if (was == TS_COMPLETED && t->method == SB_SIP_INVITE) {
			l->cnt.no_ack++; /* H: the non-2xx was never ACKed */
		} else if (was == TS_ACCEPTED && !st->acked) {
			l->cnt.no_ack++; /* L */
			if (t->held && l->tu.on_no_ack) {
				t->in_cb = true;
				l->tu.on_no_ack(l->tu_arg, st, st->owner);
				t->in_cb = false;
			}
		}
		maybe_free(t);
		return;
	}
	if (was == TS_CALLING || was == TS_TRYING || was == TS_PROCEEDING) {
		/* B or F: the TU hears 408 */
		l->cnt.timeouts++;
		ctx_deliver((struct sb_ctx *)t, NULL, 408);
		return;
	}
	maybe_free(t);
}
