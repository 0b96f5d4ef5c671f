/* SPDX-License-Identifier: MIT */
/*
 * preload_t — the --preload parser: commands built from good lines, exact
 * "LINE: message" errors for bad ones, callback errors, and a replay of the
 * fuzz seeds given on the command line through the fuzz entry point.
 * Exit 0 pass, 1 fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"
#include "test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
	unsigned n;
	unsigned lines[16];
	union sb_msg m[16];
	int fail_at; /* return -EEXIST at this command number (1-based) */
};

static int record(void *ctx, unsigned line, const union sb_msg *m, char *why, size_t why_len)
{
	struct rec *r = ctx;

	T_ASSERT(r->n < 16);
	r->lines[r->n] = line;
	r->m[r->n] = *m;
	r->n++;
	if ((int)r->n == r->fail_at) {
		if (r->fail_at == 2)
			snprintf(why, why_len, "custom message");
		return -EEXIST;
	}
	return 0;
}

static int parse(const char *text, struct rec *r, char *why, size_t why_len)
{
	memset(r, 0, sizeof(*r));
	return sb_preload_parse(text, strlen(text), 100, record, r, why, why_len);
}

static void expect_error(const char *text, const char *want)
{
	struct rec r;
	char why[256];
	int rc = parse(text, &r, why, sizeof(why));

	if (rc != -EINVAL || strcmp(why, want) != 0) {
		fprintf(stderr, "input %s\n  rc %d why '%s'\n  want '%s'\n", text, rc, why, want);
		exit(1);
	}
}

static void test_good(void)
{
	const char *text =
		"# legs for a test\n"
		"\n"
		"leg 0 20000 192.0.2.10:5000\r\n"
		"  leg 1\t20002 - latch strict   # comment\n"
		"leg 2 20004 198.51.100.10:7000 strict gen=7\n"
		"connect 0 1"; /* no final newline */
	struct rec r;
	char why[128];

	T_ASSERT(parse(text, &r, why, sizeof(why)) == 0);
	T_ASSERT(why[0] == '\0');
	T_ASSERT_EQ_U64(r.n, 4);
	T_ASSERT_EQ_U64(r.lines[0], 3);
	T_ASSERT_EQ_U64(r.m[0].h.type, SB_CMD_LEG_ADD);
	T_ASSERT_EQ_U64(r.m[0].h.len, sizeof(struct sb_cmd_leg));
	T_ASSERT_EQ_U64(r.m[0].h.leg, 0);
	T_ASSERT_EQ_U64(r.m[0].h.leg_gen, 1);
	T_ASSERT_EQ_U64(r.m[0].leg.local_port, 20000);
	T_ASSERT_EQ_U64(r.m[0].leg.peer_ip, inet_addr("192.0.2.10"));
	T_ASSERT_EQ_U64(r.m[0].leg.peer_port, 5000);
	T_ASSERT_EQ_U64(r.m[0].leg.flags, 0);
	T_ASSERT_EQ_U64(r.lines[1], 4);
	T_ASSERT_EQ_U64(r.m[1].leg.peer_ip, 0);
	T_ASSERT_EQ_U64(r.m[1].leg.peer_port, 0);
	T_ASSERT_EQ_U64(r.m[1].leg.flags, SB_LEG_F_LATCH | SB_LEG_F_STRICT);
	T_ASSERT_EQ_U64(r.m[2].h.leg_gen, 7);
	T_ASSERT_EQ_U64(r.m[2].leg.flags, SB_LEG_F_STRICT);
	T_ASSERT_EQ_U64(r.m[3].h.type, SB_CMD_LEG_CONNECT);
	T_ASSERT_EQ_U64(r.m[3].h.len, sizeof(struct sb_cmd_connect));
	T_ASSERT_EQ_U64(r.m[3].h.leg, 0);
	T_ASSERT_EQ_U64(r.m[3].connect.leg_b, 1);
	T_ASSERT_EQ_U64(r.lines[3], 6);
}

static void test_errors(void)
{
	char long_line[400];
	char nul_text[] = "leg 0 20000 -\nleg 1 2\0 -\n";
	struct rec r;
	char why[128];

	expect_error("leg 0 20000\n", "1: usage: leg <idx> <local_port> <peer_ip>:<peer_port>|- [latch] [strict] [gen=N]");
	expect_error("\n\nleg 100 20000 -\n", "3: leg index '100' is not in 0..99");
	expect_error("leg x 20000 -\n", "1: leg index 'x' is not in 0..99");
	expect_error("leg 1 0 -\n", "1: local port '0' is not in 1..65535");
	expect_error("leg 1 65536 -\n", "1: local port '65536' is not in 1..65535");
	expect_error("leg 1 20000 192.0.2.1\n", "1: peer must be A.B.C.D:PORT or -");
	expect_error("leg 1 20000 192.0.2.1:70000\n", "1: peer must be A.B.C.D:PORT or -");
	expect_error("leg 1 20000 192.0.2:5\n", "1: peer must be A.B.C.D:PORT or -");
	expect_error("leg 1 20000 - latch sticky\n", "1: unknown leg option 'sticky'");
	expect_error("leg 1 20000 - gen=x\n", "1: unknown leg option 'gen=x'");
	expect_error("connect 1\n", "1: usage: connect <leg_a> <leg_b>");
	expect_error("connect 1 1\n", "1: cannot connect leg 1 to itself");
	expect_error("connect 1 200\n", "1: leg index '200' is not in 0..99");
	expect_error("# ok\nbridge 1 2\n", "2: unknown directive 'bridge' (want leg or connect)");
	expect_error("leg 1 2 - a b c d e f\n", "1: too many words");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	expect_error(long_line, "1: line longer than 255 bytes");

	memset(&r, 0, sizeof(r));
	T_ASSERT(sb_preload_parse(nul_text, sizeof(nul_text) - 1, 100, record, &r, why,
				  sizeof(why)) == -EINVAL);
	T_ASSERT(strcmp(why, "2: NUL byte in line") == 0);
	T_ASSERT_EQ_U64(r.n, 1);

	/* Callback errors stop the parse: strerror, or the callback's text. */
	memset(&r, 0, sizeof(r));
	r.fail_at = 1;
	T_ASSERT(sb_preload_parse("leg 0 1 -\nleg 1 2 -\n", 20, 100, record, &r, why,
				  sizeof(why)) == -EEXIST);
	T_ASSERT(strcmp(why, "1: File exists") == 0);
	T_ASSERT_EQ_U64(r.n, 1);
	memset(&r, 0, sizeof(r));
	r.fail_at = 2;
	T_ASSERT(sb_preload_parse("leg 0 1 -\nleg 1 2 -\n", 20, 100, record, &r, why,
				  sizeof(why)) == -EEXIST);
	T_ASSERT(strcmp(why, "2: custom message") == 0);

	/* A tiny message buffer truncates but never overflows. */
	memset(&r, 0, sizeof(r));
	T_ASSERT(sb_preload_parse("leg\n", 4, 100, record, &r, why, 4) == -EINVAL);
	T_ASSERT(strlen(why) == 3);
}

static void test_file(const char *dir)
{
	char path[512], why[600];
	struct rec r;

	snprintf(path, sizeof(path), "%s/bad_peer.txt", dir);
	memset(&r, 0, sizeof(r));
	T_ASSERT(sb_preload_file(path, 100, record, &r, why, sizeof(why)) == -EINVAL);
	T_ASSERT(strstr(why, "bad_peer.txt:3: peer must be") != NULL);
	T_ASSERT(sb_preload_file("/nonexistent/x", 100, record, &r, why, sizeof(why)) == -ENOENT);
	T_ASSERT(strcmp(why, "/nonexistent/x: No such file or directory") == 0);
}

static void replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	size_t n;

	T_ASSERT(f != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
	test_good();
	test_errors();
	if (argc > 1)
		test_file(argv[1]);
	for (int i = 2; i < argc; i++)
		replay(argv[i]);
	printf("preload_t: ok (%d seeds replayed)\n", argc > 2 ? argc - 2 : 0);
	return 0;
}
