/* SPDX-License-Identifier: MIT */
/*
 * preload.h — legs from a text file, applied before RX starts (golden pcap
 * tests and benchmarks run without control).  Plain C, no DPDK, so the
 * parser is fuzzed on its own.
 *
 * Format, one directive a line, '#' starts a comment, blank lines ignored:
 *   leg <idx> <local_port> <peer_ip>:<peer_port>|- [OPTIONS]     LEG_ADD
 *   mod <idx> <peer_ip>:<peer_port>|- [OPTIONS]                  LEG_MOD
 *   connect <a> <b>                                             LEG_CONNECT
 *   at <N> <leg|mod|connect ...>     the same, applied before the worker
 *                                    handles its Nth packet (N from 1)
 *   at <N> sleep <MS>                the worker stalls MS (1..10000) ms
 *                                    there: wall time inside a pcap replay
 *                                    (latching window, re-anchoring clock)
 * OPTIONS: latch  strict  mux (RTCP on the RTP port)  gen=N
 *          timeout=MS (media timeout)  rtcp=PORT (the peer's RTCP port)
 *          pt=IN:OUT[/HZ] (payload map + clock, up to SB_PT_MAP_MAX)
 * "-" (or 0.0.0.0:0) means the peer is unknown and will be latched.
 * Preloaded legs get generation 1 unless gen= says otherwise; "mod" uses
 * gen=1 by default too.  "connect" commands carry leg_gen = leg_b_gen = 0:
 * the parser keeps no table, so the callback connects whatever generation
 * the two legs have; "at" commands get the legs' current generations when
 * they run.  An "at" command reaches the callback wrapped in
 * SB_CMD_PRELOAD_AT (legs.h: h.req_id = N, the command after the header).
 */
#ifndef SB_DP_PRELOAD_H
#define SB_DP_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sb/dp_abi.h"

#define SB_CMD_PRELOAD_AT    0x7f00u /* see above; never valid on the ring */
#define SB_CMD_PRELOAD_SLEEP 0x7f01u /* inside an "at" only: struct sb_msg_hdr,
				      * h.leg_gen = milliseconds (test-only stall) */

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
