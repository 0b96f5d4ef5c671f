/* SPDX-License-Identifier: MIT */
/*
 * http_test.h — the HTTP client of the API tests (cc_api_t, cc_skills_t,
 * cc_ivr_t, rec_api_t): one request per connection to sb-control's API on
 * 127.0.0.1:p_api, the whole response read (grown as needed: listings and
 * audio files), status, headers and body apart; http() for the JSON
 * routes checks the Content-Type and parses the body.
 *
 * Include after the test has declared `static uint16_t p_api` and
 * CHECK() (cc_common.h, or its own), and after <jansson.h>.
 */
#ifndef SB_TEST_HTTP_TEST_H
#define SB_TEST_HTTP_TEST_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* A response: status, the header block (NUL-terminated, without the
 * blank line), the body. */
struct hresp {
	int status;
	char hdr[4096];
	char *body;      /* malloc'd, NUL-terminated */
	size_t blen;
};

/* Send METHOD PATH with header "Authorization: AUTH" (if AUTH), EXTRA
 * header lines (each ending \r\n, or NULL) and BODY (or NULL): the
 * connection's fd, for http_recv (several may be in flight at once). */
static inline int http_send(const char *method, const char *path, const char *auth,
			    const char *body, const char *extra)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p_api) };
	char req[4096];
	int fd, n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		     "%s%s%s%sContent-Length: %zu\r\n\r\n%s", method, path,
		     auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "",
		     extra ? extra : "", body ? strlen(body) : 0, body ? body : "");
	CHECK(n > 0 && (size_t)n < sizeof(req));
	CHECK(write(fd, req, (size_t)n) == n);
	return fd;
}

/* Read the whole response on FD (closed) into R; hresp_free(R) after. */
static inline void http_recv(int fd, struct hresp *r)
{
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap), *b;
	ssize_t n;

	CHECK(buf);
	while ((n = read(fd, buf + got, cap - got - 1)) > 0) {
		got += (size_t)n;
		if (cap - got < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf);
		}
	}
	close(fd);
	buf[got] = '\0';
	CHECK(sscanf(buf, "HTTP/1.1 %d", &r->status) == 1);
	b = strstr(buf, "\r\n\r\n");
	CHECK(b && (size_t)(b - buf) < sizeof(r->hdr));
	memcpy(r->hdr, buf, (size_t)(b - buf));
	r->hdr[b - buf] = '\0';
	r->blen = got - (size_t)(b + 4 - buf);
	r->body = malloc(r->blen + 1);
	CHECK(r->body);
	memcpy(r->body, b + 4, r->blen);
	r->body[r->blen] = '\0';
	free(buf);
}

static inline void hresp_free(struct hresp *r)
{
	free(r->body);
	r->body = NULL;
}

/* a header's value (case-insensitive name) into out, or "" */
static inline const char *hdr_val(const struct hresp *r, const char *name, char *out,
				  size_t cap)
{
	const char *p = r->hdr;

	out[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':') {
			const char *v = p + strlen(name) + 1, *e;

			while (*v == ' ')
				v++;
			e = strpbrk(v, "\r\n");
			snprintf(out, cap, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			break;
		}
	}
	return out;
}

/* One request to a JSON route: the status; *OUT the parsed body (the
 * caller's reference; NULL if it is not JSON).  The Content-Type must be
 * application/json, errors included. */
static inline int http(const char *method, const char *path, const char *auth, const char *body,
		       json_t **out)
{
	struct hresp r;
	char ct[64];

	http_recv(http_send(method, path, auth, body, NULL), &r);
	CHECK(strcmp(hdr_val(&r, "Content-Type", ct, sizeof(ct)), "application/json") == 0);
	*out = json_loads(r.body, 0, NULL);
	hresp_free(&r);
	return r.status;
}

/* METHOD PATH answers STATUS with a JSON error naming FIELD (if not NULL). */
static inline void expect_err(const char *method, const char *path, const char *auth,
			      const char *body, int status, const char *field)
{
	json_t *j;
	int st = http(method, path, auth, body, &j);
	const char *f = j ? json_string_value(json_object_get(j, "field")) : NULL;

	if (st != status || (field && (f == NULL || strcmp(f, field) != 0)))
		fprintf(stderr, "%s %s %s: %d field %s, want %d %s\n", method, path,
			body ? body : "", st, f ? f : "(none)", status, field ? field : "");
	CHECK(st == status);
	CHECK(j && json_is_string(json_object_get(j, "error")));
	if (field)
		CHECK(f && strcmp(f, field) == 0);
	json_decref(j);
}

/* METHOD PATH answers WANT with a JSON body: the body (the caller's). */
static inline json_t *req_ok(const char *method, const char *path, const char *auth,
			     const char *body, int want)
{
	json_t *j;
	int st = http(method, path, auth, body, &j);

	if (st != want)
		fprintf(stderr, "%s %s: %d, want %d: %s\n", method, path, st, want,
			j ? json_string_value(json_object_get(j, "error")) : "?");
	CHECK(st == want && j);
	return j;
}

/* GET PATH answers 200 with a JSON body: the body (the caller's). */
static inline json_t *get_ok(const char *path, const char *auth)
{
	return req_ok("GET", path, auth, NULL, 200);
}

/* O's member K, which must be there with that type */
static inline long long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	CHECK(json_is_integer(v));
	return (long long)json_integer_value(v);
}

static inline double jreal(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	CHECK(json_is_number(v));
	return json_number_value(v);
}

static inline const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	CHECK(json_is_string(v));
	return json_string_value(v);
}

#endif
