/* SPDX-License-Identifier: MIT */
/*
 * b2bua/overload.h — shedding load before it costs anything (config
 * `sip: overload:`, config.h):
 *
 *  - new INVITEs (no To tag) above max_cps (token bucket, burst = one
 *    second's worth) or with max_calls calls up get 503 + Retry-After
 *    base..2*base seconds (jitter, so refused callers do not come back in
 *    step); in-dialog requests and responses are never refused;
 *  - more than source_rps requests in one second from one IPv4 address bans
 *    it for ban_seconds: its requests are dropped without a response;
 *  - requests whose User-Agent contains a configured scanner name
 *    (case-insensitive) are dropped without a response.
 *
 * A request whose Call-ID belongs to a call in the table and that is in a
 * dialog (To tag) or a CANCEL is neither counted nor dropped by source: a
 * caller or agent with a live call can always hang up.  Responses are never
 * looked at here (they match our own client transactions).
 *
 * Sources live in a fixed table (SB_OVL_SRC_SLOTS, open addressing with a
 * short probe): no allocation, memory bounded whatever the number of
 * sources; when the probe is full the least recently seen unbanned entry is
 * evicted.  Zeroed state is valid (struct sb_cp is memset at start).
 */
#ifndef SB_B2BUA_OVERLOAD_H
#define SB_B2BUA_OVERLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"
#include "sip/tx.h"

#define SB_OVL_SRC_SLOTS 1024u /* power of two */
#define SB_OVL_PROBE 8u

struct sb_ovl_src {
	uint32_t ip;            /* network order; 0 = free */
	uint32_t count;         /* requests in the window starting at win_ms */
	uint64_t win_ms;
	uint64_t seen_ms;
	uint64_t banned_until_ms;
};

struct sb_ovl_cnt {
	uint64_t rej_cps;       /* 503: above max_cps */
	uint64_t rej_calls;     /* 503: max_calls up */
	uint64_t bans;          /* sources banned */
	uint64_t drop_banned;   /* requests dropped from banned sources */
	uint64_t drop_scanner;  /* requests dropped for their User-Agent */
	uint64_t src_evicted;   /* table entries reused for another source */
};

struct sb_ovl {
	uint64_t tokens_mc;     /* token bucket, milli-calls */
	uint64_t last_ms;
	bool started;
	struct sb_ovl_src src[SB_OVL_SRC_SLOTS];
	struct sb_ovl_cnt cnt;
};

struct sb_cp;

/* Before the transaction layer, for every parsed message: false = drop it
 * silently (counted). */
bool sb_ovl_admit(struct sb_cp *cp, const struct sb_sip_msg *m, const struct sb_sip_addr *src);
/* For a new INVITE (no To tag) in its server transaction: true = it was
 * answered 503 and must go no further. */
bool sb_ovl_reject_invite(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			  const struct sb_sip_addr *src);
void sb_ovl_log_counters(const struct sb_cp *cp);

#endif
