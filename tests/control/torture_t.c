/* SPDX-License-Identifier: MIT */
/* torture_t — parser conformance in the style of RFC 4475 §3.1.1/§3.1.2
 * (and the scheme tests of §3.3) against a real sb-control on 127.0.0.1
 * UDP, no dataplane (none is needed to parse and answer these).
 *
 * Every message is a file in tests/control/torture/ (LF line ends, turned
 * into CRLF here; @PORT@ becomes the sending socket's port so responses
 * come back by Via, @CL@ the body length).  The expected outcome of each
 * is declared in the table below, not derived from what sb-control does:
 *
 *   VALID   a well-formed message: the final status our B2BUA gives it
 *           (0: a response, which we never answer)
 *   REJECT  malformed request: 400 from the parser, the reason phrase
 *           naming the problem (substring checked); 505 for a request
 *           line whose only fault is a SIP-Version other than 2.0
 *   DROP    malformed and no response can be formed: nothing comes back
 *   APP     parses, refused above the parser (416 for foreign schemes)
 *
 * After all of them sb-control is alive, answers OPTIONS with 200, stops
 * cleanly on SIGTERM, and its shutdown counters show exactly the REJECT
 * and DROP numbers of the table; the log carries no sanitizer report.
 *
 *   torture_t /path/to/sb-control /path/to/tests/control/torture */
#include "sipc.h"

enum kind { VALID, REJECT, DROP, APP };

static const struct tcase {
	const char *file;
	enum kind kind;
	int status;          /* expected final status; 0 = no response */
	const char *reason;  /* substring of the reason phrase, or NULL */
} cases[] = {
	/* §3.1.1 valid messages, answered as our B2BUA answers them */
	{ "wsinv", VALID, 481, NULL },      /* odd LWS/folding; To tag " ; tag = x": no dialog */
	{ "intmeth", VALID, 501, NULL },    /* unknown method made of token chars */
	{ "esc01", VALID, 404, NULL },      /* escaped user is no hotline */
	{ "escnull", VALID, 401, NULL },    /* %00 in URIs: registrar challenges */
	{ "esc02", VALID, 501, NULL },      /* RE%47IST%45R is not REGISTER */
	{ "lwsdisp", VALID, 200, NULL },    /* display name glued to <uri> */
	{ "longreq", VALID, 404, NULL },    /* 4.8 kB, 13 Vias, long values */
	{ "dblreq", VALID, 401, NULL },     /* REGISTER + INVITE in one datagram: INVITE ignored */
	{ "semiuri", VALID, 200, NULL },    /* ';' in the user part */
	{ "transports", VALID, 200, NULL }, /* SCTP/TLS/UNKNOWN Vias below ours */
	{ "mpart01", VALID, 501, NULL },    /* MESSAGE with multipart body */
	{ "unksm2", VALID, 200, NULL },     /* isbn:/http: URIs in To/From */
	{ "unreason", VALID, 0, NULL },     /* stray 200 with a UTF-8 reason */
	{ "noreason", VALID, 0, NULL },     /* stray "SIP/2.0 100 " */
	{ "scalarlg", VALID, 0, NULL },     /* stray 503, huge Retry-After/Warning code */
	/* §3.1.2 invalid messages */
	{ "badinv01", REJECT, 400, "Via" },      /* ;;,;,, in Via */
	{ "clerr", REJECT, 400, "Content-Length" },
	{ "ncl", REJECT, 400, "Content-Length" }, /* negative */
	{ "scalar02", REJECT, 400, "CSeq" },      /* 2^65 CSeq */
	{ "quotbal", REJECT, 400, "To" },         /* unterminated quoted string */
	{ "ltgtruri", REJECT, 400, "Request-URI" },
	{ "lwsruri", REJECT, 400, "request line" },
	{ "lwsstart", REJECT, 400, "request line" },
	{ "trws", REJECT, 400, "request line" },
	{ "escruri", REJECT, 400, "Request-URI" }, /* ?headers in the R-URI */
	{ "baddate", REJECT, 400, "Date" },        /* not GMT */
	{ "regbadct", REJECT, 400, "Contact" },    /* URI with ? outside <> */
	{ "badaddr", REJECT, 400, "To" },          /* spaces inside <> */
	{ "baddn", REJECT, 400, "To" },            /* unquoted comma in display name */
	{ "badvers", REJECT, 505, "Version Not Supported" }, /* SIP/7.0 */
	{ "badvers2", REJECT, 505, "Version Not Supported" }, /* INVITE SIP/2.1 */
	{ "badvers3", REJECT, 400, "SIP version" }, /* "SIP/2": no SIP-Version */
	{ "mismatch01", REJECT, 400, "CSeq" },
	{ "mismatch02", REJECT, 400, "CSeq" },
	{ "badbranch", REJECT, 400, "branch" },    /* branch=z9hG4bK and nothing more */
	{ "bigcode", DROP, 0, NULL },              /* status code 4294967301 */
	{ "novia", DROP, 0, NULL },                /* no Via: nowhere to answer */
	/* §3.3: a scheme we do not serve */
	{ "unkscm", APP, 416, NULL },
	{ "novelsc", APP, 416, NULL },
};

static char dir[64], logp[128];
static pid_t pid;

static void fail_dump(const char *what, const char *file)
{
	fprintf(stderr, "FAILED (%s): %s\n--- sb-control log ---\n", file ? file : "-", what);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
	exit(1);
}

#define CHECK(c, f) do { if (!(c)) fail_dump(#c, f); } while (0)

/* Load torture/NAME.sip into out as it goes on the wire. */
static size_t load(const char *tdir, const char *name, uint16_t port, char *out, size_t cap)
{
	char path[512], raw[16384], tmp[16384], num[16];
	size_t n, o = 0, i;
	FILE *f;
	char *b, *cl;

	snprintf(path, sizeof(path), "%s/%s.sip", tdir, name);
	f = fopen(path, "rb");
	CHECK(f != NULL, name);
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	/* LF -> CRLF, @PORT@ -> port */
	snprintf(num, sizeof(num), "%u", port);
	for (i = 0; i < n && o + 8 < sizeof(tmp); i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) {
			tmp[o++] = '\r';
		} else if (strncmp(raw + i, "@PORT@", 6) == 0) {
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%s", num);
			i += 5;
			continue;
		}
		tmp[o++] = raw[i];
	}
	tmp[o] = '\0';
	/* @CL@ -> length of what follows the first empty line */
	cl = strstr(tmp, "@CL@");
	if (cl) {
		b = strstr(tmp, "\r\n\r\n");
		CHECK(b != NULL, name);
		*cl = '\0';
		o = (size_t)snprintf(out, cap, "%s%zu%s", tmp, strlen(b + 4), cl + 4);
	} else {
		CHECK(o < cap, name);
		memcpy(out, tmp, o);
	}
	CHECK(o < cap, name);
	return o;
}

static const char *reason_of(const char *rsp, char *out, size_t cap)
{
	const char *e = strstr(rsp, "\r\n");
	snprintf(out, cap, "%.*s", e && e - rsp > 12 ? (int)(e - rsp - 12) : 0, rsp + 12);
	return out;
}

static unsigned long long log_count(const char *what)
{
	char line[1024];
	unsigned long long v = ~0ull;
	FILE *f = fopen(logp, "r");

	if (f == NULL)
		return v;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, what);
		if (p && strstr(line, "messages in")) {
			while (p > line && p[-1] == ' ')
				p--;
			while (p > line && p[-1] >= '0' && p[-1] <= '9')
				p--;
			v = strtoull(p, NULL, 10);
		}
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	char cfg[128], db[128], msg[16384], buf[8192], r[256];
	unsigned n_reject = 0, n_drop = 0;
	struct sipc ua;
	uint16_t port;
	FILE *f;
	int st;

	if (argc < 3)
		return T_SKIP;
	cp_workdir("/tmp/sb_torture_t", dir, cfg, db, logp);
	port = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: torture%d\nsip:\n  listen: [127.0.0.1:%u]\nstore:\n  sqlite: %s\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		(int)getpid(), port, db);
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&ua, port);
	control_wait_up(&ua);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		struct sipc c;
		size_t len;
		int got = 0, n;

		/* a socket of its own: retransmitted finals of one case never
		 * reach the next */
		sipc_open(&c, port);
		len = load(argv[2], t->file, c.port, msg, sizeof(msg));
		sipc_send_raw(&c, msg, len);
		n_reject += t->kind == REJECT;
		n_drop += t->kind == DROP;

		/* first final response (100 Trying skipped) */
		while ((n = sipc_recv(&c, buf, sizeof(buf), t->status ? 2000 : 300)) > 0) {
			if (sip_status(buf) == 100 && t->status != 100)
				continue;
			got = sip_status(buf);
			break;
		}
		if (got != t->status) {
			fprintf(stderr, "%s: expected %d, got %d%s%s\n", t->file, t->status, got,
				got ? ": " : "", got ? reason_of(buf, r, sizeof(r)) : "");
			fail_dump("wrong outcome", t->file);
		}
		if (got && t->reason && strstr(reason_of(buf, r, sizeof(r)), t->reason) == NULL) {
			fprintf(stderr, "%s: reason \"%s\" does not name \"%s\"\n", t->file, r,
				t->reason);
			fail_dump("reason phrase", t->file);
		}
		/* nothing else (dblreq: the INVITE after Content-Length is ignored);
		 * a retransmission of the same final is fine */
		while (got && sipc_recv(&c, buf, sizeof(buf), 100) > 0)
			CHECK(sip_status(buf) == got, t->file);
		printf("ok %-11s %-6s -> %d %s\n", t->file,
		       t->kind == VALID ? "valid" : t->kind == REJECT ? "reject" :
		       t->kind == DROP ? "drop" : "app", got, got ? reason_of(buf, r, sizeof(r)) : "");
		close(c.fd);
		CHECK(waitpid(pid, &st, WNOHANG) == 0, t->file);
	}

	/* still alive and well: OPTIONS gets 200 */
	sipc_send(&ua, "OPTIONS sip:ping@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKafter;rport\n"
		       "From: <sip:t@127.0.0.1>;tag=p\nTo: <sip:ping@127.0.0.1>\n"
		       "Call-ID: after-torture\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", ua.port);
	CHECK(sipc_expect_status(&ua, buf, sizeof(buf), 200, 2000) == 0, "final OPTIONS");

	CHECK(control_stop(pid) == 0, "clean exit");
	pid = 0;
	if (log_count("rejected") != n_reject || log_count("dropped") != n_drop) {
		fprintf(stderr, "counters: %llu rejected (want %u), %llu dropped (want %u)\n",
			log_count("rejected"), n_reject, log_count("dropped"), n_drop);
		fail_dump("shutdown counters", NULL);
	}
	{
		char line[1024];
		FILE *l = fopen(logp, "r");
		CHECK(l != NULL, "log");
		while (fgets(line, sizeof(line), l))
			CHECK(strstr(line, "runtime error") == NULL &&
			      strstr(line, "AddressSanitizer") == NULL, line);
		fclose(l);
	}
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	CHECK(system(buf) == 0, "cleanup");
	printf("torture: %zu messages, %u rejected, %u dropped, sb-control survived\n",
	       sizeof(cases) / sizeof(cases[0]), n_reject, n_drop);
	return 0;
}
