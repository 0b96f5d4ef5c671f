/* SPDX-License-Identifier: MIT */
/*
 * b2bua/dlg_parse.h — the header values the dialog layer reads from
 * untrusted messages: Max-Forwards, Session-Expires / Min-SE (RFC 4028),
 * the "timer" option tag, Record-Route lists.  Zero-copy, bounded by the
 * parsed message; no b2bua state (fuzzed alone: tests/fuzz/fuzz_dlg_hdr.c).
 */
#ifndef SB_B2BUA_DLG_PARSE_H
#define SB_B2BUA_DLG_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"

#define SB_DLG_MAX_ROUTES 8

/* Max-Forwards: 70 when missing, -1 when malformed (not 0..255). */
int sb_dlg_max_forwards(const struct sb_sip_msg *m);

/* First header called name or compact (those the parser does not index);
 * empty when none. */
struct sb_str sb_dlg_hdr_named(const struct sb_sip_msg *m, const char *name,
			       const char *compact);

/* delta-seconds of a Session-Expires / Min-SE value and its ;refresher=
 * (refresher may be NULL); 0 when empty or malformed. */
uint32_t sb_dlg_se_value(struct sb_str v, struct sb_str *refresher);

/* "timer" among the option tags of Supported or Require. */
bool sb_dlg_supports_timer(const struct sb_sip_msg *m);

/* The Record-Route entries of m (each a name-addr with its params), in
 * message order, at most SB_DLG_MAX_ROUTES.  Returns how many. */
unsigned sb_dlg_record_routes(const struct sb_sip_msg *m, struct sb_str out[SB_DLG_MAX_ROUTES]);

#endif
