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

/* ABI 2 leg fields, "mod" and "at N" */
static void test_good_v2(void)
{
	const char *text =
		"leg 3 20010 192.0.2.10:5000 mux latch timeout=120000 rtcp=5009 "
		"pt=101:96/8000 pt=111:107/48000 pt=0:0\n"
		"mod 3 192.0.2.11:5002 timeout=5000\n"
		"at 17 connect 3 4\n"
		"at 2 mod 3 - pt=8:8\n";
	struct rec r;
	char why[128];
	const union sb_msg *in;

	T_ASSERT(parse(text, &r, why, sizeof(why)) == 0);
	T_ASSERT_EQ_U64(r.n, 4);
	T_ASSERT_EQ_U64(r.m[0].leg.flags, SB_LEG_F_RTCP_MUX | SB_LEG_F_LATCH);
	T_ASSERT_EQ_U64(r.m[0].leg.timeout_ms, 120000);
	T_ASSERT_EQ_U64(r.m[0].leg.peer_rtcp_port, 5009);
	T_ASSERT_EQ_U64(r.m[0].leg.n_pt_map, 3);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[0].pt_in, 101);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[0].pt_out, 96);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[0].clock_hz, 8000);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[1].pt_in, 111);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[1].pt_out, 107);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[1].clock_hz, 48000);
	T_ASSERT_EQ_U64(r.m[0].leg.pt_map[2].clock_hz, 0);
	T_ASSERT_EQ_U64(r.m[1].h.type, SB_CMD_LEG_MOD);
	T_ASSERT_EQ_U64(r.m[1].h.len, sizeof(struct sb_cmd_leg));
	T_ASSERT_EQ_U64(r.m[1].h.leg_gen, 1);
	T_ASSERT_EQ_U64(r.m[1].leg.peer_ip, inet_addr("192.0.2.11"));
	T_ASSERT_EQ_U64(r.m[1].leg.peer_port, 5002);
	T_ASSERT_EQ_U64(r.m[1].leg.local_port, 0);
	T_ASSERT_EQ_U64(r.m[1].leg.timeout_ms, 5000);
	/* at 17 connect 3 4: wrapped, packet number in req_id */
	T_ASSERT_EQ_U64(r.m[2].h.type, SB_CMD_PRELOAD_AT);
	T_ASSERT_EQ_U64(r.m[2].h.req_id, 17);
	T_ASSERT_EQ_U64(r.m[2].h.leg, 3);
	in = (const union sb_msg *)(const void *)(r.m[2].raw + sizeof(r.m[2].h));
	T_ASSERT_EQ_U64(r.m[2].h.len, sizeof(struct sb_msg_hdr) + sizeof(struct sb_cmd_connect));
	T_ASSERT_EQ_U64(in->h.type, SB_CMD_LEG_CONNECT);
	T_ASSERT_EQ_U64(in->h.len, sizeof(struct sb_cmd_connect));
	T_ASSERT_EQ_U64(in->h.req_id, 3); /* its line */
	T_ASSERT_EQ_U64(in->h.leg, 3);
	T_ASSERT_EQ_U64(in->connect.leg_b, 4);
	/* at 2 mod: the generation is left 0 (the leg's current one when run) */
	in = (const union sb_msg *)(const void *)(r.m[3].raw + sizeof(r.m[3].h));
	T_ASSERT_EQ_U64(r.m[3].h.req_id, 2);
	T_ASSERT_EQ_U64(in->h.type, SB_CMD_LEG_MOD);
	T_ASSERT_EQ_U64(in->h.leg_gen, 0);
	T_ASSERT_EQ_U64(in->leg.n_pt_map, 1);
	T_ASSERT_EQ_U64(in->leg.pt_map[0].pt_in, 8);
	T_ASSERT_EQ_U64(in->leg.peer_ip, 0);

	T_ASSERT(parse("at 3 sleep 250\n", &r, why, sizeof(why)) == 0);
	in = (const union sb_msg *)(const void *)(r.m[0].raw + sizeof(r.m[0].h));
	T_ASSERT_EQ_U64(r.m[0].h.type, SB_CMD_PRELOAD_AT);
	T_ASSERT_EQ_U64(r.m[0].h.req_id, 3);
	T_ASSERT_EQ_U64(in->h.type, SB_CMD_PRELOAD_SLEEP);
	T_ASSERT_EQ_U64(in->h.len, sizeof(struct sb_msg_hdr));
	T_ASSERT_EQ_U64(in->h.leg_gen, 250);
}

static void test_errors(void)
{
	char long_line[400];
	char nul_text[] = "leg 0 20000 -\nleg 1 2\0 -\n";
	struct rec r;
	char why[128];

	expect_error("leg 0 20000\n", "1: usage: leg <idx> <local_port> <peer_ip>:<peer_port>|- "
		     "[latch] [strict] [mux] [gen=N] [timeout=MS] [rtcp=PORT] [pt=IN:OUT[/HZ]]...");
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
	expect_error("# ok\nbridge 1 2\n",
		     "2: unknown directive 'bridge' (want leg, mod, connect or at)");
	expect_error("leg 1 2 - a b c d e f g h i j k l m n o\n", "1: too many words");
	/* ABI 2 options */
	expect_error("leg 1 2 - timeout=0\n", "1: timeout must be 1..86400000 ms");
	expect_error("leg 1 2 - timeout=x\n", "1: timeout must be 1..86400000 ms");
	expect_error("leg 1 2 - rtcp=70000\n", "1: rtcp port must be 1..65535");
	expect_error("leg 1 2 - pt=128:0\n",
		     "1: pt= wants IN:OUT or IN:OUT/CLOCK (types 0..127, clock in Hz)");
	expect_error("leg 1 2 - pt=96\n",
		     "1: pt= wants IN:OUT or IN:OUT/CLOCK (types 0..127, clock in Hz)");
	expect_error("leg 1 2 - pt=96:97/0\n",
		     "1: pt= wants IN:OUT or IN:OUT/CLOCK (types 0..127, clock in Hz)");
	expect_error("leg 1 2 - pt=1:1 pt=2:2 pt=3:3 pt=4:4 pt=5:5\n", "1: at most 4 pt= maps");
	expect_error("mod 1\n", "1: usage: mod <idx> <peer_ip>:<peer_port>|- "
		     "[latch] [strict] [mux] [gen=N] [timeout=MS] [rtcp=PORT] [pt=IN:OUT[/HZ]]...");
	expect_error("at 0 connect 1 2\n",
		     "1: usage: at <packet number, from 1> <leg|mod|connect|sleep ...>");
	expect_error("at 5\n", "1: usage: at <packet number, from 1> <leg|mod|connect|sleep ...>");
	expect_error("at 5 sleep 0\n", "1: usage: at <N> sleep <1..10000 ms>");
	expect_error("at 5 sleep 10001\n", "1: usage: at <N> sleep <1..10000 ms>");
	expect_error("sleep 5\n", "1: unknown directive 'sleep' (want leg, mod, connect or at)");
	expect_error("at 5 at 6 connect 1 2\n",
		     "1: unknown directive 'at' (want leg, mod, connect or at)");
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
	test_good_v2();
	test_errors();
	if (argc > 1)
		test_file(argv[1]);
	for (int i = 2; i < argc; i++)
		replay(argv[i]);
	printf("preload_t: ok (%d seeds replayed)\n", argc > 2 ? argc - 2 : 0);
	return 0;
}
