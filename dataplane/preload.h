/* SPDX-License-Identifier: MIT */
/*
 * preload.h — legs from a text file, applied before RX starts (golden pcap
 * tests and benchmarks run without control).  Plain C, no DPDK, so the
 * parser is fuzzed on its own.
 *
 * Format, one directive a line, '#' starts a comment, blank lines ignored:
 *   leg <idx> <local_port> <peer_ip>:<peer_port>|- [latch] [strict] [gen=N]
 *   connect <a> <b>
 * "-" (or 0.0.0.0:0) means the peer is unknown and will be latched.
 * Preloaded legs get generation 1 unless gen= says otherwise.  "connect"
 * commands carry leg_gen = leg_b_gen = 0: the parser keeps no table, so the
 * callback connects whatever generation the two legs have.
 */
#ifndef SB_DP_PRELOAD_H
#define SB_DP_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sb/dp_abi.h"

#define SB_PRELOAD_LINE_MAX 256u

/* Called with each command built from the file; returns 0 or -errno and
 * may write a message into why (left empty: strerror is used). */
typedef int (*sb_preload_fn)(void *ctx, unsigned line, const union sb_msg *cmd,
			     char *why, size_t why_len);

/* Parse buf[0, len) (need not be NUL-terminated; a NUL byte is an error).
 * Returns 0 when every line parsed and every callback returned 0, else the
 * first error: -EINVAL for syntax, or the callback's value; why holds
 * "LINE: message". */
int sb_preload_parse(const char *buf, size_t len, uint32_t max_legs, sb_preload_fn fn,
		     void *ctx, char *why, size_t why_len);

/* Read a whole file and parse it; why holds "FILE:LINE: message" (or
 * "FILE: <errno text>" when it cannot be read). */
int sb_preload_file(const char *path, uint32_t max_legs, sb_preload_fn fn, void *ctx,
		    char *why, size_t why_len);

#endif /* SB_DP_PRELOAD_H */
