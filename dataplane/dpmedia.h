/* SPDX-License-Identifier: MIT */
/*
 * dpmedia.h — the worker's media path (issue 5): legs with SB_LEGI_MEDIA
 * (SRTP, transcoding, DTMF, prompts, conferences).
 *
 * Seam with the relay (relay.c, "HOOK(media)"): every packet received on
 * such a leg, RTP or RTCP, is handed over before the source check (an
 * SRTP packet must pass its authentication tag before it may latch a
 * peer) and the relay forgets it.  Per-leg media state is taken from pools
 * sized at start-up, never allocated per packet.
 */
#ifndef SB_DP_DPMEDIA_H
#define SB_DP_DPMEDIA_H

#include <stdint.h>

struct rte_mbuf;
struct sb_worker;

/* A packet for leg idx (idx | SB_PORT_RTCP when it came to the leg's RTCP
 * port), already checked up to the UDP header; payload bytes of UDP
 * payload start at rtp.  The callee owns m (forwards, queues or drops and
 * counts it). */
void sb_dpm_rx(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
	       uint32_t payload, uint64_t now);

/* An ABI 4 media command (SB_CMD_LEG_MEDIA .. SB_CMD_CONF_LEAVE), its
 * size already checked; 0 or -errno for the result event. */
union sb_msg;
int sb_dpm_cmd(struct sb_worker *w, const union sb_msg *m);

/* Leg idx is being deleted or re-added: release its media state and clear
 * SB_LEGI_MEDIA.  No-op for a plain leg. */
void sb_dpm_leg_reset(struct sb_worker *w, uint32_t idx);

#endif /* SB_DP_DPMEDIA_H */
