/* SPDX-License-Identifier: MIT */
/*
 * dpmedia.h — the worker's media path (issue 5): legs with SB_LEGI_MEDIA.
 * dpmedia.c: contexts, commands, SRTP/SRTCP, DTMF (RFC 4733 and in-band
 * detection, RFC 4733 or tone generation), transcoding (sb_xcode; PCMU <->
 * PCMA by table), origination; dpprompt.c: prompt store, loader thread,
 * players; dpconf.c: conferences (mix-minus, talk/listen/whisper).
 *
 * Seams with the relay (relay.c):
 *  - "HOOK(media)": every packet received on a media leg, RTP or RTCP, is
 *    shown to sb_dpm_rx() before the source check: an SRTP/SRTCP packet is
 *    unprotected in place there (its tag verified, so a forged packet never
 *    latches a peer nor reaches the relay) and the relay carries on with
 *    the plain packet (source check, statistics, recording tap);
 *  - "HOOK(media-out)": an accepted RTP packet of a media leg, or one that
 *    a plain leg forwards to a media leg, goes to sb_dpm_fwd() instead of
 *    the relay's forward step (DTMF detection and stripping, prompt or
 *    DTMF generator owning the output, SRTP protect); RTCP towards a media
 *    leg goes through sb_dpm_rtcp_out() (SRTCP protect).
 * Packets the media path makes itself (prompts, RFC 4733 digits) leave
 * through sb_dpm_originate(), which keeps the output leg's SSRC, sequence
 * and timestamp continuous with the relayed packets (struct sb_leg's
 * re-anchoring state).
 *
 * Per-leg media state comes from a pool sized at start-up
 * (sb-dataplane --media-legs), never allocated per packet.  What commands
 * allocate: the SRTP contexts (OpenSSL, at LEG_MEDIA), a prompt reference
 * (PROMPT_PLAY, the store's mutex).  Prompt files are read by a loader
 * thread (struct sb_dpm_shared), never by a worker.
 */
#ifndef SB_DP_DPMEDIA_H
#define SB_DP_DPMEDIA_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct sb_worker;
struct sb_dpm;
struct sb_dpm_shared;
struct sb_prompt_store;

#define SB_DPM_DEF_LEGS    256u /* --media-legs default, per worker */
#define SB_DPM_DEF_CONFS   16u  /* --confs default, per worker */
#define SB_DPM_DEF_PROMPTS 64u  /* --prompts default (ids 0..N-1) */

/* Per-worker media state (pool of n_legs contexts); sh may be NULL (no
 * prompts: PROMPT_* answered -ENOTSUP).  NULL on allocation failure. */
struct sb_dpm *sb_dpm_create(struct sb_worker *w, uint32_t n_legs, uint32_t n_confs,
			     struct sb_dpm_shared *sh);
void sb_dpm_free(struct sb_dpm *m); /* NULL is a no-op; releases every context */

/* HOOK(media).  A packet for leg idx (idx | SB_PORT_RTCP when it came to
 * the leg's RTCP port), checked up to the UDP header; *payload bytes of UDP
 * payload start at rtp.  Returns 1 when it consumed m (dropped and
 * counted: SRTP refused), 0 when the relay goes on with it (*payload is
 * then the plain length, lengths and checksums fixed). */
int sb_dpm_rx(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
	      uint32_t *payload, uint64_t now);

/* HOOK(media-out).  An RTP packet of leg idx that passed the source check
 * and the receive statistics; the callee owns m. */
void sb_dpm_fwd(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
		uint32_t payload, uint64_t now);

/* RTCP rewritten for media leg t_idx (b: its first byte): SRTCP protect
 * when t sends SRTP.  Returns the new payload length, or 0 when m was
 * dropped (counted). */
uint32_t sb_dpm_rtcp_out(struct sb_worker *w, struct rte_mbuf *m, uint32_t t_idx, uint8_t *b,
			 uint32_t payload);

/* RTCP from the peer of leg l_idx, to be relayed to t_idx (a media leg),
 * compound already walked (p[0..n)).  When l and t are transcoded into
 * each other (different codecs, not PCMU<->PCMA) the relay's rewrite would
 * describe the wrong stream, so this rewrites it in place for what we
 * send on t (see dpmedia.c) and returns 1 (the caller then recomputes the
 * UDP checksum); 0 when the pair is not transcoded (the relay rewrites as
 * usual); -1 when nothing has been sent on t yet (drop, count MEDIA). */
struct sb_rtcp_pkt;
int sb_dpm_rtcp_xcode(struct sb_worker *w, uint32_t l_idx, uint32_t t_idx, uint8_t *b,
		      const struct sb_rtcp_pkt *p, int n, uint64_t now);

/* An ABI 4 media command (SB_CMD_LEG_MEDIA .. SB_CMD_CONF_LEAVE), its
 * size already checked.  0 or -errno for the result event; -EINPROGRESS
 * for PROMPT_LOAD handed to the loader (the result follows when it is
 * done, from the worker's timer). */
union sb_msg;
int sb_dpm_cmd(struct sb_worker *w, const union sb_msg *m);

/* Legs a and b were connected (LEG_CONNECT, legs.c): (re)build their
 * transcoders when both are media legs with different codecs.  0 or
 * -ENOMEM / -EPROTO (libopus refused) for the result. */
int sb_dpm_connect(struct sb_worker *w, uint32_t a, uint32_t b);

/* Leg idx is being deleted: stop its generators (PROMPT_DONE stopped),
 * release its media state and clear SB_LEGI_MEDIA.  No-op for a plain leg. */
void sb_dpm_leg_reset(struct sb_worker *w, uint32_t idx);

/* Worker timer, every loop iteration (cheap when nothing is due): frame
 * ticks of prompts and DTMF generation, lost RFC 4733 ends, finished
 * prompt loads. */
void sb_dpm_timer(struct sb_worker *w, uint64_t now);

/* Send one generated RTP packet on leg t_idx to its peer: pt, marker and
 * timestamp given, SSRC and sequence number the leg's output stream's
 * (SRTP protected when the leg sends SRTP).  last_ts: the timestamp the
 * output is at after this packet (re-anchoring of what is relayed next).
 * 0, or -errno after counting the drop (-ENOTCONN no peer, -EHOSTUNREACH
 * ARP pending, -ENOMEM no mbuf, -EIO SRTP). */
int sb_dpm_originate(struct sb_worker *w, uint32_t t_idx, uint8_t pt, bool marker, uint32_t ts,
		     uint32_t last_ts, const uint8_t *pl, unsigned len, uint64_t now);

/* ---- shared by every worker: prompt store and its loader thread ---- */

/* max_prompts ids; n_workers completion rings.  Starts the loader thread.
 * NULL + errno. */
struct sb_dpm_shared *sb_dpm_shared_create(uint32_t max_prompts, unsigned n_workers);
void sb_dpm_shared_free(struct sb_dpm_shared *sh); /* joins the thread; NULL ok */
struct sb_prompt_store *sb_dpm_shared_store(struct sb_dpm_shared *sh);

/* Counters of one worker's media path (tests, telemetry). */
struct sb_dpm_counters {
	uint64_t srtp_unprotected, srtp_protected, srtp_refused;
	uint64_t dtmf_events, gen_pkts, stripped, prompt_frames;
	uint64_t xc_in, xc_out, g711_converted;
};
void sb_dpm_counters(const struct sb_dpm *m, struct sb_dpm_counters *out);

#endif /* SB_DP_DPMEDIA_H */
