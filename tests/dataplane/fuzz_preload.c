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

static int check_cmd(void *ctx, unsigned line, const union sb_msg *cmd, char *why,
		     size_t why_len)
{
	unsigned *count = ctx;
	const union sb_msg *m = cmd;

	(void)why;
	(void)why_len;
	if (cmd->h.type == SB_CMD_PRELOAD_AT) { /* "at N": a whole command inside */
		m = (const union sb_msg *)(const void *)(cmd->raw + sizeof(cmd->h));
		if (cmd->h.req_id == 0 || cmd->h.len != sizeof(cmd->h) + m->h.len ||
		    m->h.type == SB_CMD_PRELOAD_AT || cmd->h.leg != m->h.leg)
			abort();
		if (m->h.type == SB_CMD_PRELOAD_SLEEP) {
			if (m->h.len != sizeof(m->h) || m->h.leg_gen == 0 || m->h.leg_gen > 10000)
				abort();
			return 0;
		}
	}
	if (line == 0 || m->h.type >= SB_CMD_N || m->h.len != sb_cmd_size[m->h.type])
		abort();
	if (m->h.leg >= FUZZ_MAX_LEGS)
		abort();
	if (m->h.type == SB_CMD_LEG_ADD && m->leg.local_port == 0)
		abort();
	if ((m->h.type == SB_CMD_LEG_ADD || m->h.type == SB_CMD_LEG_MOD) &&
	    ((m->leg.flags & ~(uint32_t)SB_LEG_F_KNOWN) != 0 || m->leg.n_pt_map > SB_PT_MAP_MAX))
		abort();
	for (unsigned i = 0; m->h.type == SB_CMD_LEG_ADD && i < m->leg.n_pt_map; i++)
		if (m->leg.pt_map[i].pt_in > 127 || m->leg.pt_map[i].pt_out > 127)
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
