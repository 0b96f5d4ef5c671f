/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the --preload parser (dataplane/preload.c).
 * Built with clang -fsanitize=fuzzer when -Dfuzz=true; preload_t links the
 * same entry point without libFuzzer to replay the seeds under meson test.
 *
 * Invariants checked on every command the parser emits: a known type, the
 * length sb_cmd_size[] wants, leg indexes below max_legs, a non-zero local
 * port, and only known flag bits.  Errors must come with "LINE: message".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LEGS 1000u

static int check_cmd(void *ctx, unsigned line, const union sb_msg *m, char *why, size_t why_len)
{
	unsigned *count = ctx;

	(void)why;
	(void)why_len;
	if (line == 0 || m->h.type >= SB_CMD_N || m->h.len != sb_cmd_size[m->h.type])
		abort();
	if (m->h.leg >= FUZZ_MAX_LEGS)
		abort();
	if (m->h.type == SB_CMD_LEG_ADD &&
	    (m->leg.local_port == 0 ||
	     (m->leg.flags & ~(uint32_t)(SB_LEG_F_LATCH | SB_LEG_F_STRICT)) != 0))
		abort();
	if (m->h.type == SB_CMD_LEG_CONNECT &&
	    (m->connect.leg_b >= FUZZ_MAX_LEGS || m->connect.leg_b == m->h.leg))
		abort();
	/* Exercise the callback-error path now and then. */
	if (++*count % 5 == 0)
		return -EEXIST;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[128];
	unsigned count = 0;
	int rc;

	rc = sb_preload_parse((const char *)data, size, FUZZ_MAX_LEGS, check_cmd, &count, why,
			      sizeof(why));
	if (rc < 0 && (why[0] < '1' || why[0] > '9' || strchr(why, ':') == NULL))
		abort();
	if (rc == 0 && why[0] != '\0')
		abort();
	return 0;
}
