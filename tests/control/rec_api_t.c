/* SPDX-License-Identifier: MIT */
/* rec_api_t — the recordings and QA routes of the API (control/api/rec.c)
 * over real TCP, against sb-control with real SIP calls (UDP), a fake
 * dataplane on a real segment that answers REC_START and reports
 * REC_DONE, and a real SQLite store.  Tenants: "acme" (queues sales:
 * agent1, support: agent2), "other" (queue secret: agent3), "bulk" (rows
 * only).
 *
 *  a. recorded calls: sb-control indexes them (REC_START), the "dataplane"
 *     writes the files and reports DONE (bytes, duration, share,
 *     completeness); the listing shows each row as the test made it,
 *     newest first or by id, filtered (agent, queue, call_id, complete,
 *     from/to in both time forms), paged with limit/after/next;
 *  b. bad arguments are 400 naming the parameter; other tenants' rows are
 *     404 (metadata, audio, delete, evaluations);
 *  c. audio: the bytes of the file, Content-Type audio/wav, Range 206 /
 *     416; a recording still in progress is 409;
 *  d. QA: forms validated (field named), evaluations scored by sb-control
 *     equal to 100*sum(w*p/max)/sum(w) computed here, per-agent summaries
 *     (count, mean, min, max, per form) computed here;
 *  e. DELETE removes file and row (404 after), keeps the evaluations;
 *  f. the loop stays responsive: with the database write-locked by this
 *     test, a POST that must write waits (on the API's worker) while SIP
 *     OPTIONS and a loop-only route are answered, and requests beyond the
 *     worker's 64 queued jobs are 503 at once; SIP OPTIONS are answered
 *     while a listing scans 150,000 rows.
 *
 *   rec_api_t /path/to/sb-control */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.10"
#define NAGENTS 3
#define ACME "Bearer acme-token-0001"
#define OTHER "Bearer other-token-0002"
#define BULK "Bearer bulk-token-0003"
#define NBULK 150000
#define NMORE 70 /* requests beyond the first while the store is locked */
static uint16_t p_api;

#include "cc_common.h"
#include "http_test.h"

static char recdir[128];

/* ---- the dataplane: LEG_ADD/DEL stats, REC_START kept, events injected ---- */

#define MAXREC 16
static struct recdp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_start, n_stop, n_inject;
	struct sb_cmd_rec_start start[MAXREC];
	union sb_msg inject[4];
} dp;

static int32_t dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct recdp *d = arg;
	int n;

	(void)w;
	switch (m->h.type) {
	case SB_CMD_LEG_ADD:
		fake_dp_leg_add(&d->shm, m);
		break;
	case SB_CMD_LEG_DEL:
		sb_dp_shm_leg_stats(&d->shm, m->h.leg % 64)->active = 0;
		break;
	case SB_CMD_REC_START:
		n = atomic_load(&d->n_start);
		if (n < MAXREC)
			d->start[n] = m->rec_start;
		atomic_fetch_add(&d->n_start, 1);
		break;
	case SB_CMD_REC_STOP:
		atomic_fetch_add(&d->n_stop, 1);
		break;
	default:
		break;
	}
	return 0;
}

static void dp_idle(void *arg)
{
	struct recdp *d = arg;
	int n = atomic_load(&d->n_inject);

	if (n) {
		fake_dp_send(&d->shm, 0, d->inject, (unsigned)n);
		atomic_store(&d->n_inject, 0);
	}
}

static void *dp_main(void *arg)
{
	struct recdp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, dp_cmd, dp_idle, d);
	return NULL;
}

/* ---- the recorded calls ---- */

struct rec {
	int caller, agent;     /* indexes */
	const char *number, *queue, *tenant;
	char path[80];
	long long id;
	int64_t start_ms;
	size_t bytes;
	uint32_t file_ms, share_pm;
	int complete;
	unsigned char *data;   /* the file's bytes */
};

static void mkdirs_for(const char *full)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", full);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
}

/* The "dataplane" writes the file: a WAV header and n pseudo-random bytes. */
static void write_file(struct rec *r, unsigned n, unsigned seed)
{
	char full[256];
	FILE *f;

	r->bytes = 44 + n;
	r->data = malloc(r->bytes);
	CHECK(r->data);
	memcpy(r->data, "RIFF\0\0\0\0WAVEfmt ", 16);
	for (size_t i = 16; i < r->bytes; i++) {
		seed = seed * 1103515245u + 12345u;
		r->data[i] = (unsigned char)(seed >> 16);
	}
	snprintf(full, sizeof(full), "%s/%s", recdir, r->path);
	mkdirs_for(full);
	f = fopen(full, "wb");
	CHECK(f && fwrite(r->data, 1, r->bytes, f) == r->bytes);
	fclose(f);
}

static void inject_done(const struct rec *r, uint32_t rec_id)
{
	union sb_msg *m = &dp.inject[0];

	for (int i = 0; i < 400 && atomic_load(&dp.n_inject); i++)
		usleep(5000);
	CHECK(atomic_load(&dp.n_inject) == 0);
	memset(m, 0, sizeof(*m));
	m->rec_evt.h = (struct sb_msg_hdr){ .type = SB_EVT_REC_DONE,
					    .len = sizeof(struct sb_evt_rec) };
	m->rec_evt.rec_id = rec_id;
	m->rec_evt.status = r->complete ? 0 : -ENOSPC;
	m->rec_evt.bytes = r->bytes;
	m->rec_evt.file_ms = r->file_ms;
	m->rec_evt.call_ms = r->complete ? r->file_ms : r->file_ms * 1000 / r->share_pm;
	m->rec_evt.share_pm = (uint16_t)r->share_pm;
	m->rec_evt.complete = (uint8_t)r->complete;
	snprintf(m->rec_evt.path, sizeof(m->rec_evt.path), "%s", r->path);
	atomic_store(&dp.n_inject, 1);
}

/* Call r->number from caller r->caller, answered by r->agent: the
 * REC_START it causes gives the path.  Returns the REC_START index. */
static int call_answered(struct rec *r)
{
	int k = atomic_load(&dp.n_start);

	call_in(r->caller, r->number);
	CHECK(offered(r->agent, 3000) == r->caller);
	answer(r->agent, r->caller);
	for (int i = 0; i < 400 && atomic_load(&dp.n_start) == k; i++)
		usleep(5000);
	CHECK(atomic_load(&dp.n_start) == k + 1);
	snprintf(r->path, sizeof(r->path), "%s", dp.start[k].path);
	return k;
}

/* the row of call r (by its Call-ID), once it is no longer "recording" */
static json_t *row_of(struct rec *r, const char *auth, const char *state)
{
	char path[160];

	snprintf(path, sizeof(path), "/v1/recordings?call_id=queue-call-%d", r->caller);
	for (int i = 0; i < 200; i++) {
		json_t *j = get_ok(path, auth), *a = json_object_get(j, "recordings");

		CHECK(json_array_size(a) <= 1);
		if (json_array_size(a) == 1 &&
		    strcmp(jstr(json_array_get(a, 0), "state"), state) == 0) {
			json_t *row = json_incref(json_array_get(a, 0));

			json_decref(j);
			return row;
		}
		json_decref(j);
		usleep(10000);
	}
	CHECK(!"recording row not indexed");
	return NULL;
}

static double score_of(const double *w, const double *mx, const double *p, int n)
{
	double a = 0, ws = 0;

	for (int i = 0; i < n; i++) {
		a += w[i] * p[i] / mx[i];
		ws += w[i];
	}
	return 100.0 * a / ws;
}

/* ids of a listing, in order; *next the page's next (0: null) */
static int list_ids(const char *path, const char *auth, long long *ids, int max, long long *next)
{
	json_t *j = get_ok(path, auth), *a = json_object_get(j, "recordings"), *nx;
	int n = (int)json_array_size(a);

	CHECK(n <= max);
	for (int i = 0; i < n; i++)
		ids[i] = jint(json_array_get(a, (size_t)i), "id");
	nx = json_object_get(j, "next");
	CHECK(nx && (json_is_null(nx) || json_is_integer(nx)));
	if (next)
		*next = json_is_null(nx) ? 0 : (long long)json_integer_value(nx);
	json_decref(j);
	return n;
}

static void ping(struct sipc *c, int i, int timeout_ms, bool *ok)
{
	char buf[4096], want[32], cid[64];

	sipc_send(c, "OPTIONS sip:ping@127.0.0.1 SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrp%d;rport\n"
		     "From: <sip:t@127.0.0.1>;tag=p\nTo: <sip:ping@127.0.0.1>\n"
		     "Call-ID: rping%d\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", c->port, i, i);
	snprintf(want, sizeof(want), "rping%d", i);
	*ok = false;
	while (sipc_recv(c, buf, sizeof(buf), timeout_ms) > 0)
		if (sip_status(buf) == 200 && sip_hdr(buf, "Call-ID", cid, sizeof(cid)) == 0 &&
		    strcmp(cid, want) == 0) {
			*ok = true;
			return;
		}
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void bulk_insert(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *st;

	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	CHECK(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(h, "INSERT INTO recording(call_id, tenant, queue, agent, path, "
				 "format, start_ms, state, duration_ms, bytes, share_pm, complete, "
				 "err) VALUES(?, 'bulk', 'q', ?, ?, 'g711', ?, 1, 1000, 8044, 1000, "
				 "1, 0)", -1, &st, NULL) == SQLITE_OK);
	for (int i = 0; i < NBULK; i++) {
		char cid[32], agn[16], p[48];

		snprintf(cid, sizeof(cid), "bulk-%d", i);
		snprintf(agn, sizeof(agn), "b%d", i % 50);
		snprintf(p, sizeof(p), "bulk/%d.wav", i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, agn, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, p, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, 1600000000000LL + i);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
	}
	sqlite3_finalize(st);
	CHECK(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], path[256], q[512], v[128];
	static const char *const names[NAGENTS] = { "agent1", "agent2", "agent3" };
	struct rec rc[5] = {
		{ .caller = 0, .agent = 0, .number = "800100", .queue = "sales", .tenant = "acme",
		  .file_ms = 4000, .share_pm = 1000, .complete = 1 },
		{ .caller = 1, .agent = 1, .number = "800200", .queue = "support",
		  .tenant = "acme", .file_ms = 2500, .share_pm = 1000, .complete = 1 },
		{ .caller = 2, .agent = 0, .number = "800100", .queue = "sales", .tenant = "acme",
		  .file_ms = 1800, .share_pm = 600, .complete = 0 },
		{ .caller = 3, .agent = 2, .number = "800300", .queue = "secret",
		  .tenant = "other", .file_ms = 3000, .share_pm = 1000, .complete = 1 },
		{ .caller = 4, .agent = 1, .number = "800200", .queue = "support",
		  .tenant = "acme", .file_ms = 1000, .share_pm = 1000, .complete = 1 },
	};
	long long ids[16], next;
	json_t *j, *a;
	uint16_t p_car, p_agt;
	int n;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbrapi%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	memset(&dp, 0, sizeof(dp));
	T_ASSERT(fake_dp_create(&dp.shm, inst, 1, 100, MEDIA_IP) == 0);
	T_ASSERT(pthread_create(&dp.thread, NULL, dp_main, &dp) == 0);

	cp_workdir("/tmp/sb_rec_api_t", dir, cfg, db, logp);
	snprintf(recdir, sizeof(recdir), "%s/rec", dir);
	CHECK(mkdir(recdir, 0755) == 0);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	p_api = sipc_free_port();
	cp_write_cfg(cfg,
		"instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"  options_interval: 0\n"
		"store:\n  sqlite: %s\n"
		"recording:\n  dir: %s\n"
		"api:\n  listen: 127.0.0.1:%u\n  tokens:\n"
		"    - token: acme-token-0001\n      tenant: acme\n"
		"    - token: other-token-0002\n      tenant: other\n"
		"    - token: bulk-token-0003\n      tenant: bulk\n"
		"agents:\n  - user: agent1\n    password: secret\n    tenant: acme\n"
		"  - user: agent2\n    password: secret\n    tenant: acme\n"
		"  - user: agent3\n    password: secret\n    tenant: other\n"
		"queues:\n"
		"  - name: sales\n    tenant: acme\n    members: [agent1]\n    record: true\n"
		"  - name: support\n    tenant: acme\n    members: [agent2]\n    record: true\n"
		"  - name: secret\n    tenant: other\n    members: [agent3]\n    record: true\n"
		"hotlines:\n  - number: \"800100\"\n    queue: sales\n"
		"  - number: \"800200\"\n    queue: support\n"
		"  - number: \"800300\"\n    queue: secret\n",
		inst, p_car, p_agt, db, recdir, p_api);

	pid = control_start(argv[1], cfg, logp);
	uas_start(names, 6, p_car, p_agt);

	/* ---------- a. four recorded calls, indexed through sb-control ---------- */
	for (int i = 0; i < 4; i++) {
		struct rec *r = &rc[i];
		int k = call_answered(r);
		json_t *row;

		agent_bye(r->agent, r->caller);
		write_file(r, 4000u + 1000u * (unsigned)i, (unsigned)i + 7);
		inject_done(r, dp.start[k].rec_id);
		row = row_of(r, strcmp(r->tenant, "acme") == 0 ? ACME : OTHER, "done");
		r->id = jint(row, "id");
		r->start_ms = jint(row, "start_ms");
		CHECK(strcmp(jstr(row, "path"), r->path) == 0);
		CHECK(strcmp(jstr(row, "tenant"), r->tenant) == 0);
		CHECK(strcmp(jstr(row, "queue"), r->queue) == 0);
		CHECK(strcmp(jstr(row, "agent"), names[r->agent]) == 0);
		CHECK(strcmp(jstr(row, "format"), "g711") == 0);
		CHECK(jint(row, "bytes") == (long long)r->bytes);
		CHECK(jint(row, "duration_ms") == r->file_ms);
		CHECK(jint(row, "share_pm") == r->share_pm);
		CHECK(json_is_true(json_object_get(row, "complete")) == (r->complete == 1));
		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", r->id);
		CHECK(strcmp(jstr(row, "audio"), path) == 0);
		json_decref(row);
		usleep(20000); /* distinct start times */
	}
	/* the GET of one row equals its listing entry; ids grow with time */
	CHECK(rc[0].id < rc[1].id && rc[1].id < rc[2].id && rc[2].id < rc[3].id);
	snprintf(path, sizeof(path), "/v1/recordings/%lld", rc[1].id);
	j = get_ok(path, ACME);
	CHECK(strcmp(jstr(j, "call_id"), "queue-call-1") == 0 && jint(j, "id") == rc[1].id);
	CHECK(jint(j, "start_ms") == rc[1].start_ms && strcmp(jstr(j, "state"), "done") == 0);
	json_decref(j);

	/* listing: newest first, by id, filters */
	n = list_ids("/v1/recordings", ACME, ids, 16, &next);
	CHECK(n == 3 && ids[0] == rc[2].id && ids[1] == rc[1].id && ids[2] == rc[0].id && !next);
	n = list_ids("/v1/recordings?order=id", ACME, ids, 16, &next);
	CHECK(n == 3 && ids[0] == rc[0].id && ids[1] == rc[1].id && ids[2] == rc[2].id);
	n = list_ids("/v1/recordings?agent=agent1", ACME, ids, 16, NULL);
	CHECK(n == 2 && ids[0] == rc[2].id && ids[1] == rc[0].id);
	n = list_ids("/v1/recordings?queue=support", ACME, ids, 16, NULL);
	CHECK(n == 1 && ids[0] == rc[1].id);
	n = list_ids("/v1/recordings?complete=false", ACME, ids, 16, NULL);
	CHECK(n == 1 && ids[0] == rc[2].id);
	n = list_ids("/v1/recordings?complete=true&order=id", ACME, ids, 16, NULL);
	CHECK(n == 2 && ids[0] == rc[0].id && ids[1] == rc[1].id);
	snprintf(q, sizeof(q), "/v1/recordings?from=%lld", (long long)rc[1].start_ms);
	n = list_ids(q, ACME, ids, 16, NULL);
	CHECK(n == 2 && ids[0] == rc[2].id && ids[1] == rc[1].id);
	{ /* the same bound as a UTC time, formatted here */
		time_t t = (time_t)(rc[1].start_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		snprintf(q, sizeof(q), "/v1/recordings?to=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(rc[1].start_ms % 1000));
		n = list_ids(q, ACME, ids, 16, NULL);
		CHECK(n == 1 && ids[0] == rc[0].id);
	}
	snprintf(q, sizeof(q), "/v1/recordings?agent=agent1&from=%lld&to=%lld&order=id",
		 (long long)rc[0].start_ms, (long long)rc[2].start_ms + 1);
	n = list_ids(q, ACME, ids, 16, NULL);
	CHECK(n == 2 && ids[0] == rc[0].id && ids[1] == rc[2].id);
	/* pages of one: next until null, same rows as the whole list */
	{
		long long got[8];
		int k = 0;

		next = 0;
		do {
			if (next)
				snprintf(q, sizeof(q), "/v1/recordings?limit=1&after=%lld", next);
			else
				snprintf(q, sizeof(q), "/v1/recordings?limit=1");
			n = list_ids(q, ACME, ids, 1, &next);
			CHECK(n == 1 && k < 8);
			got[k++] = ids[0];
		} while (next);
		CHECK(k == 3 && got[0] == rc[2].id && got[1] == rc[1].id && got[2] == rc[0].id);
		n = list_ids("/v1/recordings?limit=2&order=id", ACME, ids, 2, &next);
		CHECK(n == 2 && next == rc[1].id);
		snprintf(q, sizeof(q), "/v1/recordings?limit=2&order=id&after=%lld", next);
		n = list_ids(q, ACME, ids, 2, &next);
		CHECK(n == 1 && ids[0] == rc[2].id && next == 0);
	}
	/* the other tenant sees its own row only */
	n = list_ids("/v1/recordings", OTHER, ids, 16, NULL);
	CHECK(n == 1 && ids[0] == rc[3].id);

	/* ---------- b. bad arguments name the parameter; tenants ---------- */
	expect_err("GET", "/v1/recordings", NULL, NULL, 401, "Authorization");
	expect_err("GET", "/v1/recordings?limit=0", ACME, NULL, 400, "limit");
	expect_err("GET", "/v1/recordings?limit=1001", ACME, NULL, 400, "limit");
	expect_err("GET", "/v1/recordings?limit=ten", ACME, NULL, 400, "limit");
	expect_err("GET", "/v1/recordings?after=-1", ACME, NULL, 400, "after");
	expect_err("GET", "/v1/recordings?from=yesterday", ACME, NULL, 400, "from");
	expect_err("GET", "/v1/recordings?to=2026-02-30T00:00:00Z", ACME, NULL, 400, "to");
	expect_err("GET", "/v1/recordings?from=2000&to=1000", ACME, NULL, 400, "from");
	expect_err("GET", "/v1/recordings?complete=yes", ACME, NULL, 400, "complete");
	expect_err("GET", "/v1/recordings?order=oldest", ACME, NULL, 400, "order");
	expect_err("GET", "/v1/recordings?agent=", ACME, NULL, 400, "agent");
	expect_err("GET", "/v1/recordings?limit=1&limit=2", ACME, NULL, 400, "limit");
	expect_err("GET", "/v1/recordings?colour=red", ACME, NULL, 400, "colour");
	expect_err("GET", "/v1/recordings/abc", ACME, NULL, 404, "id");
	expect_err("GET", "/v1/recordings/1/nothing", ACME, NULL, 404, NULL);
	expect_err("PUT", "/v1/recordings/1", ACME, NULL, 405, NULL);
	snprintf(path, sizeof(path), "/v1/recordings/%lld", rc[3].id);
	expect_err("GET", path, ACME, NULL, 404, "id");
	snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", rc[3].id);
	expect_err("GET", path, ACME, NULL, 404, "id");
	snprintf(path, sizeof(path), "/v1/recordings/%lld", rc[0].id);
	expect_err("GET", path, OTHER, NULL, 404, "id");
	expect_err("DELETE", path, OTHER, NULL, 404, "id");
	snprintf(path, sizeof(path), "/v1/recordings/%lld/evaluations", rc[0].id);
	expect_err("GET", path, OTHER, NULL, 404, "id");
	snprintf(path, sizeof(path), "%s/%s", recdir, rc[0].path);
	CHECK(access(path, F_OK) == 0); /* the other tenant's DELETE touched nothing */

	/* ---------- c. audio ---------- */
	for (int i = 0; i < 4; i++) {
		struct hresp r;

		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", rc[i].id);
		http_recv(http_send("GET", path, i == 3 ? OTHER : ACME, NULL, NULL), &r);
		CHECK(r.status == 200);
		CHECK(strcmp(hdr_val(&r, "Content-Type", v, sizeof(v)), "audio/wav") == 0);
		CHECK(r.blen == rc[i].bytes && memcmp(r.body, rc[i].data, r.blen) == 0);
		hresp_free(&r);
	}
	{
		struct hresp r;
		size_t sz = rc[1].bytes;

		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", rc[1].id);
		http_recv(http_send("GET", path, ACME, NULL, "Range: bytes=10-99\r\n"), &r);
		CHECK(r.status == 206 && r.blen == 90 && memcmp(r.body, rc[1].data + 10, 90) == 0);
		snprintf(q, sizeof(q), "bytes 10-99/%zu", sz);
		CHECK(strcmp(hdr_val(&r, "Content-Range", v, sizeof(v)), q) == 0);
		hresp_free(&r);
		http_recv(http_send("GET", path, ACME, NULL, "Range: bytes=-16\r\n"), &r);
		CHECK(r.status == 206 && r.blen == 16 && memcmp(r.body, rc[1].data + sz - 16, 16) == 0);
		hresp_free(&r);
		http_recv(http_send("GET", path, ACME, NULL, "Range: bytes=100-\r\n"), &r);
		CHECK(r.status == 206 && r.blen == sz - 100 &&
		      memcmp(r.body, rc[1].data + 100, sz - 100) == 0);
		hresp_free(&r);
		snprintf(q, sizeof(q), "Range: bytes=%zu-\r\n", sz);
		http_recv(http_send("GET", path, ACME, NULL, q), &r);
		CHECK(r.status == 416);
		hresp_free(&r);
	}
	/* a call being recorded: 409 for its audio and its deletion */
	{
		struct rec *r = &rc[4];
		int k = call_answered(r);
		json_t *row = row_of(r, ACME, "recording");

		r->id = jint(row, "id");
		CHECK(json_is_false(json_object_get(row, "complete")));
		json_decref(row);
		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", r->id);
		expect_err("GET", path, ACME, NULL, 409, "id");
		snprintf(path, sizeof(path), "/v1/recordings/%lld", r->id);
		expect_err("DELETE", path, ACME, NULL, 409, "id");
		agent_bye(r->agent, r->caller);
		write_file(r, 3000, 99);
		inject_done(r, dp.start[k].rec_id);
		json_decref(row_of(r, ACME, "done"));
	}

	/* ---------- d. QA ---------- */
	{
		static const double w1[] = { 1, 3, 0.5 }, m1[] = { 5, 10, 1 };
		static const double w2[] = { 2 }, m2[] = { 4 };
		static const double pa[] = { 5, 7, 1 }, pb[] = { 2, 10, 0 }, pc[] = { 3 },
				    pd[] = { 0, 0, 0 };
		double sa = score_of(w1, m1, pa, 3), sb = score_of(w1, m1, pb, 3),
		       sc = score_of(w2, m2, pc, 1), sd = score_of(w1, m1, pd, 3);
		long long f1, f2, f3;

		expect_err("POST", "/v1/qa/forms", ACME, "{\"name\":", 400, "body");
		expect_err("POST", "/v1/qa/forms", ACME, "{\"questions\":[]}", 400, "name");
		expect_err("POST", "/v1/qa/forms", ACME, "{\"name\":\"x\"}", 400, "questions");
		expect_err("POST", "/v1/qa/forms", ACME, "{\"name\":\"x\",\"questions\":[]}", 400,
			   "questions");
		expect_err("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"x\",\"questions\":[{\"text\":\"a\",\"weight\":1,\"max\":5},"
			   "{\"text\":\"b\",\"weight\":0,\"max\":5}]}", 400, "questions[1].weight");
		expect_err("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"x\",\"questions\":[{\"text\":\"a\",\"weight\":1,\"max\":-5}]}",
			   400, "questions[0].max");
		expect_err("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"x\",\"questions\":[{\"text\":\"\",\"weight\":1,\"max\":5}]}",
			   400, "questions[0].text");
		expect_err("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"x\",\"questions\":[{\"text\":\"a\",\"weight\":1,\"max\":5,"
			   "\"hint\":1}]}", 400, "questions[0].hint");
		expect_err("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"x\",\"questions\":[7]}", 400, "questions[0]");

		j = req_ok("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"basic\",\"questions\":[{\"text\":\"greeting\",\"weight\":1,"
			   "\"max\":5},{\"text\":\"resolution\",\"weight\":3,\"max\":10},"
			   "{\"text\":\"tone\",\"weight\":0.5,\"max\":1}]}", 201);
		f1 = jint(j, "id");
		CHECK(json_array_size(json_object_get(j, "questions")) == 3);
		json_decref(j);
		j = req_ok("POST", "/v1/qa/forms", ACME,
			   "{\"name\":\"short\",\"questions\":[{\"text\":\"overall\",\"weight\":2,"
			   "\"max\":4}]}", 201);
		f2 = jint(j, "id");
		json_decref(j);
		j = req_ok("POST", "/v1/qa/forms", OTHER,
			   "{\"name\":\"theirs\",\"questions\":[{\"text\":\"q\",\"weight\":1,"
			   "\"max\":1}]}", 201);
		f3 = jint(j, "id");
		json_decref(j);
		j = get_ok("/v1/qa/forms", ACME);
		a = json_object_get(j, "forms");
		CHECK(json_array_size(a) == 2 && jint(json_array_get(a, 0), "id") == f1 &&
		      jint(json_array_get(a, 1), "id") == f2);
		{
			json_t *qs = json_object_get(json_array_get(a, 0), "questions");

			for (size_t i = 0; i < 3; i++) {
				CHECK(jreal(json_array_get(qs, i), "weight") == w1[i]);
				CHECK(jreal(json_array_get(qs, i), "max") == m1[i]);
			}
			CHECK(strcmp(jstr(json_array_get(qs, 1), "text"), "resolution") == 0);
		}
		json_decref(j);
		snprintf(path, sizeof(path), "/v1/qa/forms/%lld", f3);
		expect_err("GET", path, ACME, NULL, 404, "id");
		j = get_ok(path, OTHER);
		CHECK(strcmp(jstr(j, "name"), "theirs") == 0);
		json_decref(j);

		/* evaluations: scored by sb-control, compared with ours */
		snprintf(path, sizeof(path), "/v1/recordings/%lld/evaluations", rc[0].id);
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup1\",\"answers\":[5,7,1],"
			 "\"comment\":\"good call\"}", f1);
		j = req_ok("POST", path, ACME, q, 201);
		CHECK(fabs(jreal(j, "score") - sa) < 1e-9);
		json_decref(j);
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup2\",\"answers\":[2,10,0]}",
			 f1);
		j = req_ok("POST", path, ACME, q, 201);
		CHECK(fabs(jreal(j, "score") - sb) < 1e-9);
		json_decref(j);
		/* refusals */
		expect_err("POST", path, ACME, q, 409, "evaluator");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup3\",\"answers\":[2,10]}", f1);
		expect_err("POST", path, ACME, q, 400, "answers");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup3\",\"answers\":[2,11,0]}",
			 f1);
		expect_err("POST", path, ACME, q, 400, "answers");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup3\",\"answers\":[2,-1,0]}",
			 f1);
		expect_err("POST", path, ACME, q, 400, "answers[1]");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup3\",\"answers\":[1]}", f3);
		expect_err("POST", path, ACME, q, 404, "form");
		expect_err("POST", path, OTHER, q, 404, "id");
		expect_err("POST", path, ACME, "{\"evaluator\":\"x\",\"answers\":[1]}", 400, "form");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"answers\":[1]}", f2);
		expect_err("POST", path, ACME, q, 400, "evaluator");
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"s\",\"answers\":[1],\"x\":1}",
			 f2);
		expect_err("POST", path, ACME, q, 400, "x");
		/* more for the summaries */
		snprintf(path, sizeof(path), "/v1/recordings/%lld/evaluations", rc[2].id);
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup1\",\"answers\":[3]}", f2);
		j = req_ok("POST", path, ACME, q, 201);
		CHECK(fabs(jreal(j, "score") - sc) < 1e-9);
		json_decref(j);
		snprintf(path, sizeof(path), "/v1/recordings/%lld/evaluations", rc[1].id);
		snprintf(q, sizeof(q), "{\"form\":%lld,\"evaluator\":\"sup1\",\"answers\":[0,0,0]}",
			 f1);
		json_decref(req_ok("POST", path, ACME, q, 201));

		/* the evaluations of one recording, as given */
		snprintf(path, sizeof(path), "/v1/recordings/%lld/evaluations", rc[0].id);
		j = get_ok(path, ACME);
		a = json_object_get(j, "evaluations");
		CHECK(json_array_size(a) == 2);
		{
			json_t *e0 = json_array_get(a, 0), *ans = json_object_get(e0, "answers");

			CHECK(strcmp(jstr(e0, "evaluator"), "sup1") == 0);
			CHECK(strcmp(jstr(e0, "comment"), "good call") == 0);
			CHECK(strcmp(jstr(e0, "agent"), "agent1") == 0);
			CHECK(jint(e0, "form") == f1 && fabs(jreal(e0, "score") - sa) < 1e-9);
			CHECK(json_array_size(ans) == 3);
			for (size_t i = 0; i < 3; i++)
				CHECK(json_number_value(json_array_get(ans, i)) == pa[i]);
			CHECK(fabs(jreal(json_array_get(a, 1), "score") - sb) < 1e-9);
		}
		json_decref(j);

		/* per-agent summaries */
		j = get_ok("/v1/agents/agent1/qa", ACME);
		CHECK(jint(j, "evaluations") == 3);
		CHECK(fabs(jreal(j, "mean") - (sa + sb + sc) / 3) < 1e-9);
		CHECK(fabs(jreal(j, "min") - fmin(sa, fmin(sb, sc))) < 1e-9);
		CHECK(fabs(jreal(j, "max") - fmax(sa, fmax(sb, sc))) < 1e-9);
		a = json_object_get(j, "forms");
		CHECK(json_array_size(a) == 2);
		CHECK(jint(json_array_get(a, 0), "form") == f1 &&
		      jint(json_array_get(a, 0), "evaluations") == 2 &&
		      fabs(jreal(json_array_get(a, 0), "mean") - (sa + sb) / 2) < 1e-9);
		CHECK(strcmp(jstr(json_array_get(a, 0), "name"), "basic") == 0);
		CHECK(jint(json_array_get(a, 1), "form") == f2 &&
		      jint(json_array_get(a, 1), "evaluations") == 1 &&
		      fabs(jreal(json_array_get(a, 1), "mean") - sc) < 1e-9);
		json_decref(j);
		j = get_ok("/v1/agents/agent2/qa", ACME);
		CHECK(jint(j, "evaluations") == 1 && fabs(jreal(j, "mean") - sd) < 1e-9);
		json_decref(j);
		j = get_ok("/v1/agents/agent3/qa", OTHER); /* configured, none yet */
		CHECK(jint(j, "evaluations") == 0 && json_is_null(json_object_get(j, "mean")));
		json_decref(j);
		expect_err("GET", "/v1/agents/agent3/qa", ACME, NULL, 404, "name");
		expect_err("GET", "/v1/agents/nobody/qa", ACME, NULL, 404, "name");
		/* the cc routes under /v1/agents still answer */
		j = get_ok("/v1/agents/agent1", ACME);
		CHECK(strcmp(jstr(j, "name"), "agent1") == 0);
		json_decref(j);

		/* ---------- e. DELETE ---------- */
		snprintf(path, sizeof(path), "/v1/recordings/%lld", rc[1].id);
		j = req_ok("DELETE", path, ACME, NULL, 200);
		CHECK(jint(j, "deleted") == rc[1].id);
		json_decref(j);
		snprintf(q, sizeof(q), "%s/%s", recdir, rc[1].path);
		CHECK(access(q, F_OK) < 0 && errno == ENOENT);
		expect_err("GET", path, ACME, NULL, 404, "id");
		expect_err("DELETE", path, ACME, NULL, 404, "id");
		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", rc[1].id);
		expect_err("GET", path, ACME, NULL, 404, "id");
		n = list_ids("/v1/recordings", ACME, ids, 16, NULL);
		CHECK(n == 3 && ids[0] == rc[4].id && ids[1] == rc[2].id && ids[2] == rc[0].id);
		j = get_ok("/v1/agents/agent2/qa", ACME); /* evaluations outlive the file */
		CHECK(jint(j, "evaluations") == 1);
		json_decref(j);
		/* a file already gone does not keep the row */
		snprintf(q, sizeof(q), "%s/%s", recdir, rc[3].path);
		CHECK(unlink(q) == 0);
		snprintf(path, sizeof(path), "/v1/recordings/%lld/audio", rc[3].id);
		expect_err("GET", path, OTHER, NULL, 404, "id");
		snprintf(path, sizeof(path), "/v1/recordings/%lld", rc[3].id);
		json_decref(req_ok("DELETE", path, OTHER, NULL, 200));
		CHECK(list_ids("/v1/recordings", OTHER, ids, 16, NULL) == 0);
		CHECK(cp_db_intf(db, "SELECT count(*) FROM recording WHERE id IN (%lld, %lld)",
				 rc[1].id, rc[3].id) == 0);
	}

	/* ---------- f. the loop answers while the store waits ---------- */
	{
		sqlite3 *h;
		struct hresp r;
		uint64_t t0, t_ping, t_done;
		bool ok;
		int fd;

		CHECK(sqlite3_open(db, &h) == SQLITE_OK);
		CHECK(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
		t0 = mono_ms();
		fd = http_send("POST", "/v1/qa/forms", ACME,
			       "{\"name\":\"late\",\"questions\":[{\"text\":\"q\",\"weight\":1,"
			       "\"max\":1}]}", NULL);
		usleep(100000);
		ping(&callers[5].s, 1, 1000, &ok);
		t_ping = mono_ms() - t0;
		CHECK(ok);
		j = get_ok("/v1/queues", ACME); /* the HTTP server itself answers too */
		json_decref(j);
		CHECK(!readable(fd, 300)); /* the POST still waits for the lock */
		/* the worker's queue is bounded (64 jobs): beyond it, 503 at once */
		{
			int more[NMORE], n201 = 0, n503 = 0;

			for (int i = 0; i < NMORE; i++)
				more[i] = http_send("GET", "/v1/qa/forms", ACME, NULL, NULL);
			usleep(200000);
			for (int i = 0; i < NMORE; i++) {
				if (!readable(more[i], 0))
					continue;
				http_recv(more[i], &r);
				CHECK(r.status == 503);
				hresp_free(&r);
				more[i] = -1;
				n503++;
			}
			CHECK(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
			for (int i = 0; i < NMORE; i++) {
				if (more[i] < 0)
					continue;
				CHECK(readable(more[i], 5000));
				http_recv(more[i], &r);
				CHECK(r.status == 200);
				hresp_free(&r);
				n201++;
			}
			/* 64 queued + the POST (running, or still queued) */
			CHECK(n503 >= NMORE - 64 && n503 <= NMORE - 63 && n201 + n503 == NMORE);
		}
		sqlite3_close(h);
		CHECK(readable(fd, 3000));
		http_recv(fd, &r);
		t_done = mono_ms() - t0;
		CHECK(r.status == 201);
		hresp_free(&r);
		printf("locked store: OPTIONS answered after %llu ms, the POST after %llu ms\n",
		       (unsigned long long)t_ping, (unsigned long long)t_done);

		/* a listing that scans NBULK rows (no agent matches) */
		bulk_insert(db);
		{
			unsigned pings = 0, before = 0;
			uint64_t worst = 0;

			t0 = mono_ms();
			fd = http_send("GET", "/v1/recordings?agent=nobody&limit=1000", BULK, NULL,
				       NULL);
			while (!readable(fd, 0) && pings < 1000) {
				uint64_t p0 = mono_ms();

				ping(&callers[5].s, 100 + (int)pings, 2000, &ok);
				CHECK(ok);
				if (mono_ms() - p0 > worst)
					worst = mono_ms() - p0;
				pings++;
				if (!readable(fd, 0))
					before++;
			}
			http_recv(fd, &r);
			t_done = mono_ms() - t0;
			CHECK(r.status == 200);
			j = json_loads(r.body, 0, NULL);
			CHECK(j && json_array_size(json_object_get(j, "recordings")) == 0);
			json_decref(j);
			hresp_free(&r);
			printf("listing over %d rows: %llu ms; %u OPTIONS answered meanwhile "
			       "(slowest %llu ms)\n", NBULK, (unsigned long long)t_done, before,
			       (unsigned long long)worst);
			/* a listing long enough to ping during must not have held
			 * the pings back until it was done */
			if (t_done >= 50)
				CHECK(before >= 1 && worst < t_done);
		}
		n = list_ids("/v1/recordings?agent=b7&limit=3", BULK, ids, 3, &next);
		CHECK(n == 3 && ids[0] > ids[1] && ids[1] > ids[2] && next == ids[2]);
	}

	CHECK(control_stop(pid) == 0);
	pid = 0;
	atomic_store(&dp.stop, 1);
	pthread_join(dp.thread, NULL);
	sb_dp_shm_detach(&dp.shm, 1);
	for (int i = 0; i < 5; i++)
		free(rc[i].data);
	snprintf(q, sizeof(q), "rm -rf %s", recdir);
	if (system(q) != 0)
		fprintf(stderr, "could not remove %s\n", recdir);
	cc_remove_work(cfg, db);
	printf("PASS\n");
	return 0;
}
