/* SPDX-License-Identifier: MIT */
/*
 * rectap.h — recording tap of the worker (issue 7): legs with SB_LEGI_REC
 * copy the payload of every accepted RTP packet to the worker's bounded
 * record ring, drained by the recorder thread (never a worker lcore).
 * A full ring drops the copy and counts it; forwarding never waits.
 */
#ifndef SB_DP_RECTAP_H
#define SB_DP_RECTAP_H

#include <stdint.h>

struct sb_worker;

/* An accepted RTP packet of leg idx (plain RTP: after SRTP unprotect on a
 * media leg), rtp .. rtp + len, before any rewrite.  Seam with the relay:
 * relay.c "HOOK(rec)" and the media path. */
void sb_dprec_tap(struct sb_worker *w, uint32_t idx, const uint8_t *rtp, uint32_t len,
		  uint64_t now);

/* Leg idx is being deleted or re-added: stop its recording tap and clear
 * SB_LEGI_REC.  No-op for a leg that is not recorded. */
void sb_dprec_leg_reset(struct sb_worker *w, uint32_t idx);

#endif /* SB_DP_RECTAP_H */
