/* SPDX-License-Identifier: MIT */
/*
 * api/http.c — libmicrohttpd in external-select mode on the control loop
 * (api.h).  MHD_USE_EPOLL gives one epoll fd for the listener and every
 * connection; it sits in the loop's epoll set, and each time it is ready
 * (or MHD's own timeout fires on a loop timer) MHD_run() does the work on
 * the loop thread, calling the access handler below, which runs the
 * route's handler and queues the response at once.
 *
 * Slow work does not run there: sb_api_defer() queues a job for the API's
 * worker thread and the request is suspended (MHD_ALLOW_SUSPEND_RESUME);
 * the worker puts the finished job on a done list and writes an eventfd
 * that sits in the loop; on the loop thread the job's done() fills the
 * response, the connection is resumed, and MHD calls on_request() again,
 * which queues the response kept for it.  The worker shares nothing with
 * the loop but the two lists under jlock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/api.h"
#include "log.h"
#include "loop.h"

#define API_MAX_ROUTES 64
#define API_MAX_CONNS  256
#define API_CONN_TIMEOUT_S 30
#define API_MAX_JOBS 64 /* queued for the worker; more: 503 */

struct route {
	char method[8];
	char prefix[96];
	size_t plen;
	sb_api_handler *h;
	void *arg;
};

struct sb_api {
	struct MHD_Daemon *d;
	struct sb_loop *loop;
	int epfd;
	struct sb_timer t;
	size_t max_body;
	unsigned n_tokens;
	struct sb_api_token *tokens;
	unsigned n_routes;
	struct route routes[API_MAX_ROUTES];
	uint64_t requests, unauthorized, deferred, busy;
	/* the worker thread and its job lists (jlock) */
	pthread_t worker;
	bool worker_up;
	int efd;                  /* eventfd: jobs done (worker -> loop) */
	pthread_mutex_t jlock;
	pthread_cond_t jwake;
	bool jstop;
	unsigned jcount;          /* queued, not yet run */
	struct sb_api_job *jhead, *jtail;  /* queued */
	struct sb_api_job *dhead, *dtail;  /* done, for the loop */
};

/* per request: the body as it arrives; a deferred request's response */
struct conn_ctx {
	char *body;
	size_t len, cap;
	bool too_big;
	bool pending;             /* suspended, its job queued or running */
	bool ready;               /* resp filled by the job's done() */
	struct sb_api *api;
	struct MHD_Connection *conn;
	struct sb_api_resp resp;
};

static void api_kick(struct sb_api *api);

static void on_timer(struct sb_timer *t, void *arg)
{
	struct sb_api *api = arg;

	(void)t;
	MHD_run(api->d);
	api_kick(api);
}

static void on_fd(void *arg, uint32_t events)
{
	struct sb_api *api = arg;

	(void)events;
	MHD_run(api->d);
	api_kick(api);
}

/* MHD's next timeout (connection idle, a response still to flush) on the
 * loop's timer */
static void api_kick(struct sb_api *api)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (MHD_get_timeout(api->d, &to) == MHD_YES)
		sb_timer_arm(api->loop, &api->t, to > 60000 ? 60000 : to);
	else
		sb_timer_cancel(api->loop, &api->t);
}

const char *sb_api_query(const struct sb_api_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sb_api_header(const struct sb_api_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct each_ctx {
	int (*cb)(void *ctx, const char *name, const char *value);
	void *ctx;
	int rc;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct each_ctx *e = cls;

	(void)kind;
	e->rc = e->cb(e->ctx, key, value);
	return e->rc ? MHD_NO : MHD_YES;
}

int sb_api_query_each(const struct sb_api_req *req,
		      int (*cb)(void *ctx, const char *name, const char *value), void *ctx)
{
	struct each_ctx e = { .cb = cb, .ctx = ctx, .rc = 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_arg, &e);
	return e.rc;
}

void sb_api_resp_file(struct sb_api_resp *resp, unsigned status, int fd, uint64_t off,
		      uint64_t len, uint64_t total, const char *ctype)
{
	json_decref(resp->body);
	resp->body = NULL;
	if (resp->fd >= 0)
		close(resp->fd);
	resp->status = status;
	resp->fd = fd;
	resp->off = off;
	resp->len = len;
	resp->total = total;
	resp->ctype = ctype;
}

/* ---- the worker thread ---- */

static void *worker_main(void *arg)
{
	struct sb_api *api = arg;
	struct sb_api_job *j;
	uint64_t one = 1;

	pthread_mutex_lock(&api->jlock);
	for (;;) {
		while (api->jhead == NULL && !api->jstop)
			pthread_cond_wait(&api->jwake, &api->jlock);
		if (api->jhead == NULL)
			break; /* stopping, and every queued job ran */
		j = api->jhead;
		api->jhead = j->next;
		if (api->jhead == NULL)
			api->jtail = NULL;
		api->jcount--;
		pthread_mutex_unlock(&api->jlock);

		j->run(j); /* may block: that is what this thread is for */

		pthread_mutex_lock(&api->jlock);
		j->next = NULL;
		if (api->dtail)
			api->dtail->next = j;
		else
			api->dhead = j;
		api->dtail = j;
		if (write(api->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at our rate: the loop is
			 * woken either way */
		}
	}
	pthread_mutex_unlock(&api->jlock);
	return NULL;
}

int sb_api_defer(const struct sb_api_req *req, struct sb_api_job *job, struct sb_api_resp *resp)
{
	struct conn_ctx *cx = req->priv;
	struct sb_api *api = cx->api;

	pthread_mutex_lock(&api->jlock);
	if (api->jcount >= API_MAX_JOBS || api->jstop) {
		api->busy++;
		pthread_mutex_unlock(&api->jlock);
		sb_api_error(resp, 503, NULL, "busy: %u requests waiting for the store",
			     API_MAX_JOBS);
		return -EAGAIN;
	}
	job->cx = cx;
	job->next = NULL;
	if (api->jtail)
		api->jtail->next = job;
	else
		api->jhead = job;
	api->jtail = job;
	api->jcount++;
	api->deferred++;
	pthread_cond_signal(&api->jwake);
	pthread_mutex_unlock(&api->jlock);
	cx->pending = true;
	return SB_API_PENDING;
}

/* Loop thread: the finished jobs' done() and their requests resumed. */
static unsigned jobs_finish(struct sb_api *api)
{
	struct sb_api_job *j, *next;
	unsigned n = 0;

	pthread_mutex_lock(&api->jlock);
	j = api->dhead;
	api->dhead = api->dtail = NULL;
	pthread_mutex_unlock(&api->jlock);
	for (; j != NULL; j = next, n++) {
		struct conn_ctx *cx = j->cx;

		next = j->next;
		cx->resp = (struct sb_api_resp){ .status = 200, .body = NULL, .fd = -1 };
		j->done(j, &cx->resp); /* frees j */
		cx->ready = true;
		MHD_resume_connection(cx->conn);
	}
	return n;
}

static void on_jobs_done(void *arg, uint32_t events)
{
	struct sb_api *api = arg;
	uint64_t v;

	(void)events;
	if (read(api->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already drained */
	}
	if (jobs_finish(api)) {
		MHD_run(api->d); /* the resumed requests answered now */
		api_kick(api);
	}
}

/* constant time over the configured token's length: a wrong guess learns
 * nothing from timing about how much of it was right */
static bool token_eq(const char *want, const char *got, size_t got_len)
{
	size_t wl = strlen(want);
	unsigned char d = (unsigned char)(wl != got_len);

	for (size_t i = 0; i < wl; i++)
		d |= (unsigned char)(want[i] ^ (i < got_len ? got[i] : 0));
	return d == 0;
}

static const char *authenticate(struct sb_api *api, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *tok;
	const char *tenant = NULL;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	tok = h + 7;
	while (*tok == ' ')
		tok++;
	for (unsigned i = 0; i < api->n_tokens; i++)
		if (token_eq(api->tokens[i].token, tok, strlen(tok)) && tenant == NULL)
			tenant = api->tokens[i].tenant;
	return tenant;
}

/* How much of path prefix matches (a "*" component: any one non-empty
 * component), ending at a component boundary; -1 when it does not. */
static long prefix_match(const char *prefix, const char *path)
{
	const char *p = prefix, *q = path;

	while (*p) {
		if (p[0] == '*' && p > prefix && p[-1] == '/' && (p[1] == '/' || p[1] == '\0')) {
			if (*q == '/' || *q == '\0')
				return -1;
			while (*q && *q != '/')
				q++;
			p++;
			continue;
		}
		if (*p++ != *q++)
			return -1;
	}
	if (*q != '\0' && *q != '/')
		return -1;
	return q - path;
}

static const struct route *route_find(struct sb_api *api, const char *method, const char *path,
				      bool *path_known, size_t *matched)
{
	const struct route *best = NULL;
	size_t best_len = 0;

	*path_known = false;
	for (unsigned i = 0; i < api->n_routes; i++) {
		const struct route *r = &api->routes[i];
		long m = prefix_match(r->prefix, path);

		if (m < 0)
			continue;
		*path_known = true; /* another method's route: 405, not 404 */
		if (strcmp(r->method, method) == 0 && (best == NULL || r->plen > best_len)) {
			best = r;
			best_len = r->plen;
			*matched = (size_t)m;
		}
	}
	return best;
}

/* resp's file (it owns fd until here; MHD owns it from here on) */
static enum MHD_Result send_file(struct MHD_Connection *conn, struct sb_api_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char range[96];

	r = MHD_create_response_from_fd_at_offset64(resp->len, resp->fd, resp->off);
	if (r == NULL) {
		close(resp->fd);
		resp->fd = -1;
		return MHD_NO;
	}
	resp->fd = -1;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->ctype ? resp->ctype : "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (resp->status == 206) {
		snprintf(range, sizeof(range), "bytes %llu-%llu/%llu",
			 (unsigned long long)resp->off,
			 (unsigned long long)(resp->off + resp->len - 1),
			 (unsigned long long)resp->total);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, range);
	}
	if (resp->disposition[0])
		MHD_add_response_header(r, "Content-Disposition", resp->disposition);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *body)
{
	char *s = json_dumps(body ? body : json_object(), JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (s == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"switchboard\"");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct sb_api *api = cls;
	struct conn_ctx *cx = *con_cls;
	struct sb_api_resp resp = { .status = 200, .body = NULL, .fd = -1 };
	struct sb_api_req req;
	const struct route *r;
	const char *tenant;
	size_t matched = 0;
	bool known;
	enum MHD_Result ret;
	int rc;

	(void)version;
	if (cx == NULL) { /* first call: headers only */
		cx = calloc(1, sizeof(*cx));
		if (cx == NULL)
			return MHD_NO;
		cx->api = api;
		cx->conn = conn;
		cx->resp.fd = -1;
		*con_cls = cx;
		return MHD_YES;
	}
	if (cx->pending) { /* resumed: the job's answer */
		if (!cx->ready)
			return MHD_YES;
		cx->pending = cx->ready = false;
		resp = cx->resp;
		cx->resp = (struct sb_api_resp){ .status = 200, .body = NULL, .fd = -1 };
		goto out;
	}
	if (*upload_size) { /* a piece of the body */
		if (cx->too_big || cx->len + *upload_size > api->max_body) {
			cx->too_big = true;
		} else {
			if (cx->len + *upload_size + 1 > cx->cap) {
				size_t cap = (cx->len + *upload_size + 1) * 2;
				char *nb = realloc(cx->body, cap);

				if (nb == NULL)
					return MHD_NO;
				cx->body = nb;
				cx->cap = cap;
			}
			memcpy(cx->body + cx->len, upload, *upload_size);
			cx->len += *upload_size;
			cx->body[cx->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	api->requests++;
	tenant = authenticate(api, conn);
	if (tenant == NULL) {
		api->unauthorized++;
		sb_api_error(&resp, 401, "Authorization", "a valid bearer token is required");
		goto out;
	}
	if (cx->too_big) {
		sb_api_error(&resp, 413, "body", "larger than %zu bytes", api->max_body);
		goto out;
	}
	r = route_find(api, method, url, &known, &matched);
	if (r == NULL) {
		if (known)
			sb_api_error(&resp, 405, NULL, "method %s not allowed on %s", method, url);
		else
			sb_api_error(&resp, 404, NULL, "no such resource: %s", url);
		goto out;
	}
	req.method = method;
	req.path = url;
	req.rest = url + matched;
	while (*req.rest == '/')
		req.rest++;
	req.tenant = tenant;
	req.body = cx->body ? cx->body : "";
	req.body_len = cx->len;
	req.conn = conn;
	req.priv = cx;
	rc = r->h(r->arg, &req, &resp);
	if (rc == SB_API_PENDING) {
		json_decref(resp.body);
		MHD_suspend_connection(conn); /* on_jobs_done() resumes it */
		return MHD_YES;
	}
	if (rc < 0)
		sb_api_error(&resp, 500, NULL, "internal error: %s", strerror(-rc));
out:
	if (resp.fd >= 0)
		return send_file(conn, &resp);
	ret = send_json(conn, resp.status, resp.body);
	json_decref(resp.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *cx = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (cx) {
		json_decref(cx->resp.body);
		if (cx->resp.fd >= 0)
			close(cx->resp.fd);
		free(cx->body);
		free(cx);
		*con_cls = NULL;
	}
}

struct sb_api *sb_api_create(struct sb_loop *loop, const struct sb_api_params *p)
{
	struct sb_api *api;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *di;

	api = calloc(1, sizeof(*api));
	if (api == NULL)
		return NULL;
	api->loop = loop;
	api->max_body = p->max_body ? p->max_body : 65536;
	api->tokens = calloc(p->n_tokens ? p->n_tokens : 1, sizeof(*api->tokens));
	if (api->tokens == NULL)
		goto out_free;
	memcpy(api->tokens, p->tokens, p->n_tokens * sizeof(*api->tokens));
	api->n_tokens = p->n_tokens;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(p->port);
	if (inet_pton(AF_INET, p->addr ? p->addr : "127.0.0.1", &sa.sin_addr) != 1) {
		errno = EINVAL;
		goto out_free;
	}
	sb_timer_init(&api->t, on_timer, api);
	api->efd = -1;
	api->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
				  p->port, NULL, NULL,
				  on_request, api,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				  MHD_OPTION_END);
	if (api->d == NULL) {
		sb_err("api: cannot listen on %s:%u", p->addr ? p->addr : "127.0.0.1", p->port);
		errno = EADDRINUSE;
		goto out_free;
	}
	di = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_EPOLL_FD);
	api->epfd = di ? di->epoll_fd : -1;
	if (api->epfd < 0 || sb_loop_add_fd(loop, api->epfd, on_fd, api) < 0) {
		sb_err("api: cannot watch the HTTP server");
		MHD_stop_daemon(api->d);
		errno = EIO;
		goto out_free;
	}
	pthread_mutex_init(&api->jlock, NULL);
	pthread_cond_init(&api->jwake, NULL);
	api->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (api->efd < 0 || sb_loop_add_fd(loop, api->efd, on_jobs_done, api) < 0) {
		sb_err("api: cannot set up the worker's eventfd");
		goto out_stop;
	}
	if (pthread_create(&api->worker, NULL, worker_main, api) != 0) {
		sb_err("api: cannot start the worker thread");
		sb_loop_del_fd(loop, api->efd);
		goto out_stop;
	}
	api->worker_up = true;
	sb_info("api: listening on http://%s:%u (%u tokens)", p->addr ? p->addr : "127.0.0.1",
		sb_api_port(api), api->n_tokens);
	return api;

out_stop:
	if (api->efd >= 0)
		close(api->efd);
	pthread_cond_destroy(&api->jwake);
	pthread_mutex_destroy(&api->jlock);
	sb_loop_del_fd(loop, api->epfd);
	MHD_stop_daemon(api->d);
	errno = EIO;
out_free:
	free(api->tokens);
	free(api);
	return NULL;
}

uint16_t sb_api_port(const struct sb_api *api)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

void sb_api_free(struct sb_api *api)
{
	if (api == NULL)
		return;
	/* The worker runs what is queued and stops; every suspended request
	 * is then answered and resumed (MHD refuses to stop with suspended
	 * connections). */
	pthread_mutex_lock(&api->jlock);
	api->jstop = true;
	pthread_cond_signal(&api->jwake);
	pthread_mutex_unlock(&api->jlock);
	if (api->worker_up)
		pthread_join(api->worker, NULL);
	if (jobs_finish(api))
		MHD_run(api->d);
	sb_timer_cancel(api->loop, &api->t);
	sb_loop_del_fd(api->loop, api->efd);
	close(api->efd);
	sb_loop_del_fd(api->loop, api->epfd);
	MHD_stop_daemon(api->d);
	pthread_cond_destroy(&api->jwake);
	pthread_mutex_destroy(&api->jlock);
	/* tokens are secrets: do not leave them in freed memory */
	explicit_bzero(api->tokens, api->n_tokens * sizeof(*api->tokens));
	free(api->tokens);
	free(api);
}

int sb_api_route(struct sb_api *api, const char *method, const char *prefix,
		 sb_api_handler *h, void *arg)
{
	struct route *r;
	size_t pl = strlen(prefix);

	if (h == NULL || prefix[0] != '/' || (pl > 1 && prefix[pl - 1] == '/') ||
	    strlen(method) >= sizeof(r->method) || pl >= sizeof(r->prefix))
		return -EINVAL;
	for (unsigned i = 0; i < api->n_routes; i++)
		if (strcmp(api->routes[i].method, method) == 0 &&
		    strcmp(api->routes[i].prefix, prefix) == 0)
			return -EEXIST;
	if (api->n_routes == API_MAX_ROUTES)
		return -ENOMEM;
	r = &api->routes[api->n_routes++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	r->plen = pl;
	r->h = h;
	r->arg = arg;
	return 0;
}
