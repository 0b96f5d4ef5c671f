/* SPDX-License-Identifier: MIT */
/*
 * api/api.h — the management API's HTTP/JSON framework (libmicrohttpd +
 * jansson).  Stable: other modules (recordings, ...) register routes here.
 *
 * Threading: libmicrohttpd runs in external-select mode without threads
 * (MHD_USE_NO_THREAD_SAFETY | MHD_USE_EPOLL); its epoll fd sits in the
 * control loop (loop.h) and its timeouts on a loop timer.  So every
 * handler runs ON THE LOOP THREAD, like SIP handling, and may read and
 * change call, queue and agent state without locks.  Handlers must not
 * block (no disk waits): they answer from what the loop already knows,
 * or defer the slow part to the API's worker thread (sb_api_defer).
 *
 * Authentication: every request needs `Authorization: Bearer TOKEN` with
 * a token from the config (`api: tokens: [{token:, tenant:}]`); a missing
 * or unknown token is answered 401 before any handler runs.  req->tenant
 * is the token's tenant: a handler shows and changes only objects of that
 * tenant (an object of another tenant is answered 404, as if absent).
 *
 * Routing: the longest registered prefix that matches the path wins, for
 * the request's method; a path with no route is 404, a known path with
 * another method 405.  req->rest is what follows the prefix (no leading
 * '/'), e.g. prefix "/v1/queues" and path "/v1/queues/sales/x" give rest
 * "sales/x"; "/v1/queues" and "/v1/queues/" give rest "".  A prefix
 * component "*" matches any one non-empty path component
 * (the prefix "/v1/agents/" "*" "/qa" takes "/v1/agents/bob/qa" from
 * "/v1/agents").
 *
 * Slow work (the store, files): a handler hands it to the API's worker
 * thread with sb_api_defer() and returns SB_API_PENDING; the connection
 * is suspended (MHD_suspend_connection) while the loop goes on, and
 * resumed on the loop thread when the job is done (an eventfd in the
 * loop), where the job's done() fills the response.
 *
 * Errors are JSON: {"error": MESSAGE, "field": FIELD} — sb_api_error().
 */
#ifndef SB_API_H
#define SB_API_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sb_api;
struct sb_loop;

struct sb_api_token {
	char token[128];
	char tenant[64];
};

struct sb_api_params {
	const char *addr;          /* "127.0.0.1"; NULL = 127.0.0.1 */
	uint16_t port;             /* 0: an ephemeral port (sb_api_port()) */
	const struct sb_api_token *tokens;
	unsigned n_tokens;
	size_t max_body;           /* 0: 64 KiB; larger bodies are 413 */
};

struct sb_api_req {
	const char *method;        /* "GET", "POST", "PUT", "DELETE", ... */
	const char *path;          /* full path, no query string */
	const char *rest;          /* path after the route's prefix, no '/' */
	const char *tenant;        /* the token's tenant */
	const char *body;          /* NUL-terminated; "" when none */
	size_t body_len;
	void *conn;                /* opaque (sb_api_query) */
	void *priv;                /* the framework's (sb_api_defer) */
};

struct sb_api_resp {
	unsigned status;           /* 200 unless set */
	json_t *body;              /* reference owned by the response; NULL: {} */
	/* Instead of JSON, len bytes of file fd from off (sb_api_resp_file);
	 * the framework owns fd from then on and closes it.  -1: none. */
	int fd;
	uint64_t off, len, total;  /* total: the file's size */
	const char *ctype;         /* static string */
	char disposition[96];      /* Content-Disposition value, "" none */
};

/* 0 with resp filled, SB_API_PENDING after sb_api_defer(), or -errno
 * (answered 500).  On the loop thread. */
#define SB_API_PENDING 1
typedef int sb_api_handler(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp);

/* A job for the API's worker thread, embedded in the caller's struct
 * (container_of).  run() on the worker thread may block (SQLite, disk);
 * done() on the loop thread fills the response and frees the job. */
struct sb_api_job {
	void (*run)(struct sb_api_job *j);
	void (*done)(struct sb_api_job *j, struct sb_api_resp *resp);
	struct sb_api_job *next;   /* the framework's */
	void *cx;                  /* the framework's: the suspended request */
};

/* From a handler: queue job (taken: done() runs exactly once, also at
 * shutdown) and suspend the request; return SB_API_PENDING.  When the
 * worker's queue is full: -EAGAIN, job not taken, resp is 503 (the
 * handler returns 0 and frees its job). */
int sb_api_defer(const struct sb_api_req *req, struct sb_api_job *job, struct sb_api_resp *resp);

/* A request header (case-insensitive name), NULL if absent. */
const char *sb_api_header(const struct sb_api_req *req, const char *name);
/* Each query-string argument in order: cb(ctx, name, value (NULL for
 * "?flag")); stops at the first nonzero return, which it returns. */
int sb_api_query_each(const struct sb_api_req *req,
		      int (*cb)(void *ctx, const char *name, const char *value), void *ctx);
/* resp = status (200 or 206) + len bytes of fd from off; takes fd. */
void sb_api_resp_file(struct sb_api_resp *resp, unsigned status, int fd, uint64_t off,
		      uint64_t len, uint64_t total, const char *ctype);

void sb_api_free(struct sb_api *api);  /* NULL ok; closes the socket */
/* Listen and attach to the loop.  NULL + errno (EADDRINUSE, EINVAL, ...). */
struct sb_api *sb_api_create(struct sb_loop *loop, const struct sb_api_params *p)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_api_free, 1))) /* gcc checks the pairing */
#endif
	;
uint16_t sb_api_port(const struct sb_api *api); /* the bound port */

/* method "GET"/"POST"/...; path_prefix starts with '/' and has no trailing
 * '/' ("/v1/queues").  Copies both.  0 | -EEXIST (same method and prefix)
 * | -EINVAL | -ENOMEM. */
int sb_api_route(struct sb_api *api, const char *method, const char *path_prefix,
		 sb_api_handler *h, void *arg);

/* A query-string argument ("since" in ?since=5), NULL if absent. */
const char *sb_api_query(const struct sb_api_req *req, const char *name);

/* resp = status + {"error": printf(fmt), "field": field (omitted if NULL)}.
 * Returns 0 so that a handler can `return sb_api_error(...)`. */
int sb_api_error(struct sb_api_resp *resp, unsigned status, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parse the body as a JSON object.  0 with *out (caller's reference), or
 * an error response filled (400, field "body", with the line and column)
 * and -EINVAL. */
int sb_api_body_object(const struct sb_api_req *req, struct sb_api_resp *resp, json_t **out);

/* Field helpers for a parsed object: 0 with the value, -ENOENT (absent;
 * no response set), or -EINVAL with a 400 naming the field. */
int sb_api_get_str(json_t *obj, const char *field, const char **out, struct sb_api_resp *resp);
int sb_api_get_uint(json_t *obj, const char *field, uint64_t max, uint64_t *out,
		    struct sb_api_resp *resp);

#endif
