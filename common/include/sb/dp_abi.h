/* SPDX-License-Identifier: MIT */
/*
 * sb/dp_abi.h — the control ⇄ dataplane contract, version 4.
 *
 * One header, included by both sides.  Everything here is fixed-layout
 * binary: fixed-width integers only, no pointers, no size_t, no bool.
 * Addresses are IPv4 in network byte order (uint32_t); UDP ports are in
 * host byte order.  Any change to a struct below changes its size or
 * meaning: bump SB_DP_ABI, and the _Static_asserts make sure nobody
 * forgets.  Control checks magic, ABI number and every size in the segment
 * header when it attaches and refuses a mismatch (sb_dp_shm_attach()).
 *
 * Segment: /dev/shm/switchboard.<instance>, created by the dataplane:
 *   struct sb_dp_shm_hdr                       (header, offsets below)
 *   per worker: command ring (control → worker), SP/SC, SB_MSG_SIZE slots
 *   per worker: event ring   (worker → control), SP/SC, SB_MSG_SIZE slots
 *   struct sb_worker_stats[n_workers]          (written by that worker only)
 *   struct sb_leg_stats[max_legs]              (written by the owning worker only)
 *
 * Every command carries a req_id and is answered by exactly one
 * SB_EVT_RESULT with the same req_id (status 0 or -errno).
 *
 * Version 2 (media security, RTCP, re-anchoring, statistics):
 *  - strict source is the default: a leg accepts media from its SDP peer
 *    only; with SB_LEG_F_LATCH (or without an SDP peer) it learns the peer
 *    from the first SB_LATCH_PKTS packets within SB_LATCH_MS of the first
 *    (a packet from the SDP address latches at once and locks), then locks.
 *    SB_LEG_F_STRICT is accepted and means nothing more;
 *  - RTCP on local_port + 1 (the worker maps both ports) or, with
 *    SB_LEG_F_RTCP_MUX, on local_port (RFC 5761);
 *  - struct sb_cmd_leg grew: media timeout, peer RTCP port, payload-type
 *    map with clock rates; SB_EVT_MEDIA_TIMEOUT carries struct
 *    sb_evt_timeout; struct sb_leg_stats grew to 256 bytes (RFC 3550
 *    receive statistics, RTCP-reported figures, re-anchoring).
 *
 * Version 3 (100k legs, cheaper fast path):
 *  - several media addresses: the dataplane owns the n_media_addrs
 *    consecutive addresses from media_ip (sb-dataplane --media-addrs N);
 *    a leg is (local_addr, local_port), so one worker's port range holds
 *    port_span legs per address (sb_cmd_leg.local_addr, was reserved0;
 *    0 = media_ip, as before);
 *  - per-leg packet/byte counters and last_rx_ns are published lazily,
 *    like the RFC 3550 figures (struct sb_leg_stats: freshness contract);
 *  - the media timeout counts from the last RTP *or RTCP* packet, and
 *    restarts on LEG_CONNECT.
 *
 * Version 4 (media and recording on the workers, issues 5 and 7):
 *  - SB_CMD_LEG_MEDIA .. SB_CMD_CONF_LEAVE, SB_EVT_DTMF, SB_EVT_PROMPT_DONE
 *    (below: "ABI 4: media"); recording commands and events 12.. / 8..
 */
#ifndef SB_DP_ABI_H
#define SB_DP_ABI_H

#include <stdint.h>

#include "sb/ring.h"

#define SB_DP_MAGIC    0x50444253u /* "SBDP" little-endian */
#define SB_DP_ABI      4u
#define SB_MAX_WORKERS 16u
#define SB_MSG_SIZE    128u
#define SB_LEG_NONE    UINT32_MAX

/* ---- drop reasons: one X-macro makes the enum and the text table ---- */
#define SB_DROP_REASONS(_)                                                     \
	_(SHORT, "shorter than Ethernet/IPv4/UDP headers")                    \
	_(NOT_IPV4, "ethertype neither IPv4 nor ARP")                          \
	_(BAD_IP, "bad IPv4 header (version, length or checksum)")             \
	_(FRAG, "IPv4 fragment")                                               \
	_(IP_OPTS, "IPv4 options present")                                     \
	_(NOT_MINE, "destination is not the media address")                    \
	_(NOT_UDP, "IPv4 but not UDP or ICMP")                                 \
	_(NO_LEG, "no leg on that UDP port")                                   \
	_(BAD_SRC, "source is not the leg's peer (strict source)")             \
	_(BAD_RTP, "not RTP/RTCP (version != 2, too short, bad RTCP)")         \
	_(NO_FWD, "leg has no forward target")                                 \
	_(NO_ARP, "next hop not resolved (ARP pending)")                       \
	_(TX_FULL, "transmit queue full")                                      \
	_(PUNT_FULL, "punt ring full")                                         \
	_(ARP_OTHER, "ARP not for us or not a request/reply")                  \
	_(SRTP, "SRTP/SRTCP refused (auth tag, replay, too old, malformed)")   \
	_(MEDIA, "media leg: stripped DTMF, no media state or generator busy")

enum sb_drop {
#define SB_X_(s, d) SB_DROP_##s,
	SB_DROP_REASONS(SB_X_)
#undef SB_X_
	SB_DROP_N
};
#define SB_DROP_MAX 32u
_Static_assert(SB_DROP_N <= SB_DROP_MAX, "grow SB_DROP_MAX and bump SB_DP_ABI");

/* Name and description of a drop reason; "?" for out-of-range values. */
const char *sb_drop_name(unsigned reason);
const char *sb_drop_desc(unsigned reason);

/* ---- messages ---- */
enum sb_cmd_type {
	SB_CMD_NOP = 0,         /* answered with status 0: a ping */
	SB_CMD_LEG_ADD = 1,     /* struct sb_cmd_leg */
	SB_CMD_LEG_MOD = 2,     /* struct sb_cmd_leg: new peer/flags; counters kept */
	SB_CMD_LEG_DEL = 3,     /* struct sb_msg_hdr: leg, leg_gen */
	SB_CMD_LEG_CONNECT = 4, /* struct sb_cmd_connect: both directions */
	/* ABI 4, media (dataplane/dpmedia.c) */
	SB_CMD_LEG_MEDIA = 5,   /* struct sb_cmd_media: set/replace a leg's media processing */
	SB_CMD_DTMF_SEND = 6,   /* struct sb_cmd_dtmf: generate RFC 4733 digits on a leg */
	SB_CMD_PROMPT_LOAD = 7, /* struct sb_cmd_prompt_load: load a WAV file as a prompt id */
	SB_CMD_PROMPT_PLAY = 8, /* struct sb_cmd_prompt: play to a leg or a conference */
	SB_CMD_PROMPT_STOP = 9, /* struct sb_cmd_prompt: stop what plays there */
	SB_CMD_CONF_JOIN = 10,  /* struct sb_cmd_conf: join, or change mode in, a conference */
	SB_CMD_CONF_LEAVE = 11, /* struct sb_msg_hdr: leave the leg's conference */
	/* 12..15: recording (issue 7, dataplane/rectap.c).  Numbers are
	 * reserved so both can grow at once; an unknown type is -EINVAL. */
	SB_CMD_REC_START = 12,  /* struct sb_cmd_rec_start: record a leg pair (or re-attach legs) */
	SB_CMD_REC_STOP = 13,   /* struct sb_cmd_rec: close; SB_EVT_REC_DONE follows */
	SB_CMD_REC_PAUSE = 14,  /* struct sb_cmd_rec: silence instead of audio until RESUME */
	SB_CMD_REC_RESUME = 15, /* struct sb_cmd_rec */
	/* appended without an ABI bump (an older dataplane: -ENOTSUP) */
	SB_CMD_REC_LEG = 16,    /* struct sb_cmd_rec_leg: tap a supervisor leg into a recording */
	SB_CMD_N
};

enum sb_evt_type {
	SB_EVT_RESULT = 1,        /* struct sb_evt_result */
	SB_EVT_PEER_LATCHED = 2,  /* struct sb_evt_peer: leg learned its peer */
	SB_EVT_MEDIA_TIMEOUT = 3, /* struct sb_evt_timeout: no media within the timeout */
	SB_EVT_DTMF = 4,          /* struct sb_evt_dtmf: a digit ended on a leg */
	SB_EVT_PROMPT_DONE = 5,   /* struct sb_evt_prompt: a prompt ended or was stopped */
	/* 6..7: media; 8..11: recording (issue 7) */
	SB_EVT_REC_DONE = 8,      /* struct sb_evt_rec: file closed and renamed */
	SB_EVT_REC_ERR = 9,       /* struct sb_evt_rec: disk full, EIO, no directory... */
	SB_EVT_REC_RECOVERED = 10, /* struct sb_evt_rec: a crash's .part repaired at start-up */
	SB_EVT_N
};

/* Leg flags */
#define SB_LEG_F_LATCH    (1u << 0) /* may learn the peer (NAT) in the latch window */
#define SB_LEG_F_STRICT   (1u << 1) /* ABI 1 compatibility: strict is the default */
#define SB_LEG_F_RTCP_MUX (1u << 2) /* RTCP on the RTP port (RFC 5761), ours and the peer's */
#define SB_LEG_F_KNOWN    (SB_LEG_F_LATCH | SB_LEG_F_STRICT | SB_LEG_F_RTCP_MUX)

#define SB_LATCH_PKTS        5u     /* learning window: first packets ... */
#define SB_LATCH_MS          3000u  /* ... within this time of the first one */
#define SB_MEDIA_TIMEOUT_MS  60000u /* default when sb_cmd_leg.timeout_ms is 0 */
#define SB_PT_MAP_MAX        4u

struct sb_msg_hdr {
	uint16_t type;    /* enum sb_cmd_type or enum sb_evt_type */
	uint16_t len;     /* sizeof the full typed struct */
	uint32_t req_id;  /* echoed in the result; 0 for unsolicited events */
	uint32_t leg;     /* leg index, < max_legs; chosen by control */
	uint32_t leg_gen; /* control's generation of that index (reuse guard) */
};
_Static_assert(sizeof(struct sb_msg_hdr) == 16, "bump SB_DP_ABI");

/* One payload-type mapping of a leg: packets received on the leg with
 * payload type pt_in leave the connected leg with pt_out; clock_hz is the
 * RTP clock of that payload (jitter, re-anchoring).  An entry with
 * pt_in == pt_out only declares a clock (dynamic types such as opus). */
struct sb_pt_map {
	uint8_t pt_in;     /* 0..127 */
	uint8_t pt_out;    /* 0..127 */
	uint16_t reserved;
	uint32_t clock_hz; /* 0 = the static type's rate (RFC 3551), else 8000 */
};
_Static_assert(sizeof(struct sb_pt_map) == 8, "bump SB_DP_ABI");

/* LEG_ADD and LEG_MOD.  LEG_MOD replaces everything but local_port (0 or
 * the same) and the counters: peer, flags, timeout, payload map. */
struct sb_cmd_leg {
	struct sb_msg_hdr h;
	uint32_t peer_ip;    /* expected peer (from SDP); 0 = unknown, latch */
	uint16_t peer_port;  /* expected peer port; 0 = unknown */
	uint16_t local_port; /* our UDP port on the media address (RTCP: +1 unless mux) */
	uint32_t flags;      /* SB_LEG_F_* */
	uint32_t worker;     /* owning worker; must own local_port (and local_port + 1) */
	uint32_t call_id;    /* control's call number, for logs and stats */
	uint32_t timeout_ms; /* media timeout; 0 = SB_MEDIA_TIMEOUT_MS (longer on hold) */
	uint16_t peer_rtcp_port; /* SDP a=rtcp (RFC 3605); 0 = peer_port + 1 (or peer_port if mux) */
	uint8_t n_pt_map;    /* entries used in pt_map, <= SB_PT_MAP_MAX */
	uint8_t local_addr;  /* ABI 3: our address media_ip + local_addr, < n_media_addrs */
	struct sb_pt_map pt_map[SB_PT_MAP_MAX];
	uint32_t reserved[1];
};
_Static_assert(sizeof(struct sb_cmd_leg) == 80, "bump SB_DP_ABI");

struct sb_cmd_connect {
	struct sb_msg_hdr h; /* h.leg = a */
	uint32_t leg_b;
	uint32_t leg_b_gen;
};
_Static_assert(sizeof(struct sb_cmd_connect) == 24, "bump SB_DP_ABI");

struct sb_evt_result {
	struct sb_msg_hdr h;
	int32_t status; /* 0 or -errno */
	uint32_t cmd_type;
};
_Static_assert(sizeof(struct sb_evt_result) == 24, "bump SB_DP_ABI");

struct sb_evt_peer {
	struct sb_msg_hdr h;
	uint32_t peer_ip;
	uint16_t peer_port;
	uint16_t reserved;
};
_Static_assert(sizeof(struct sb_evt_peer) == 24, "bump SB_DP_ABI");

/* Sent once per silence period: again only after media resumed and
 * stopped again.  idle_ms counts from the last accepted RTP or RTCP packet
 * (RTCP keeps a leg alive, RFC 3550 6.3.5: a call on hold may send only
 * RTCP) or from the last LEG_ADD/LEG_CONNECT of the leg, the latest. */
struct sb_evt_timeout {
	struct sb_msg_hdr h;
	uint32_t idle_ms;
	uint32_t timeout_ms; /* the leg's timeout that expired */
};
_Static_assert(sizeof(struct sb_evt_timeout) == 24, "bump SB_DP_ABI");

/* ---- ABI 4: media (issue 5) ----
 *
 * A leg becomes a media leg (SRTP, transcoding, DTMF, prompts,
 * conferences) with SB_CMD_LEG_MEDIA after its LEG_ADD; LEG_MEDIA with
 * every field zero makes it a plain relay leg again; LEG_DEL frees its
 * media state.  The dataplane keeps the media state in pools sized at
 * start-up: -ENOSPC when they are full, -ENOTSUP for a codec or suite it
 * lacks.  Transcoding is implied: a packet forwarded from leg a to leg b
 * is decoded and re-encoded when a's codec differs from b's (both
 * declared with LEG_MEDIA); telephone-event is passed through (pt mapped),
 * or dropped when the other side has none;
 * detected digits are reported as SB_EVT_DTMF either way.
 */

/* Codecs, as the ABI numbers them (control maps its own enums). */
enum sb_dp_codec {
	SB_DP_CODEC_NONE = 0, /* not declared: payload relayed untouched */
	SB_DP_CODEC_PCMU = 1, /* G.711 µ-law, 8000 Hz */
	SB_DP_CODEC_PCMA = 2, /* G.711 A-law, 8000 Hz */
	SB_DP_CODEC_OPUS = 3, /* Opus (RFC 7587), RTP clock 48000 */
};

/* SRTP suites (RFC 4568 / RFC 7714 names). */
enum sb_dp_srtp {
	SB_DP_SRTP_NONE = 0,
	SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80 = 1, /* 16-byte key + 14-byte salt */
	SB_DP_SRTP_AES_CM_128_HMAC_SHA1_32 = 2,
	SB_DP_SRTP_AEAD_AES_128_GCM = 3,        /* 16-byte key + 12-byte salt */
};

/* sb_cmd_media.flags */
#define SB_MEDIA_DTMF_4733   (1u << 0) /* detect RFC 4733 events (dtmf_pt) -> SB_EVT_DTMF */
#define SB_MEDIA_DTMF_INBAND (1u << 1) /* detect in-band tones (decoded legs) -> SB_EVT_DTMF */
#define SB_MEDIA_DTMF_STRIP  (1u << 2) /* do not forward telephone-event packets (IVR owns them) */
#define SB_MEDIA_OPUS_FEC    (1u << 3) /* encode Opus with in-band FEC */
#define SB_MEDIA_OPUS_DTX    (1u << 4) /* encode Opus with DTX */
#define SB_MEDIA_F_KNOWN     0x1fu

struct sb_cmd_media {
	struct sb_msg_hdr h;      /* leg, leg_gen */
	uint8_t srtp_rx;          /* enum sb_dp_srtp: unprotect what the peer sends */
	uint8_t srtp_tx;          /* enum sb_dp_srtp: protect what we send the peer */
	uint8_t rx_key_len;       /* key || salt bytes used in rx_key */
	uint8_t tx_key_len;
	uint8_t rx_key[30];       /* the peer's SDES master key || salt */
	uint8_t tx_key[30];       /* ours */
	uint8_t codec;            /* enum sb_dp_codec the peer sends and receives */
	uint8_t pt;               /* its payload type on this leg */
	uint8_t dtmf_pt;          /* telephone-event payload type on this leg; 0 = none */
	uint8_t channels;         /* 1, or 2 for stereo Opus */
	uint32_t clock_hz;        /* RTP clock of codec (Opus 48000) */
	uint32_t dtmf_clock_hz;   /* RTP clock of telephone-event (8000 or 48000) */
	uint16_t ptime_ms;        /* packet time we send with; 0 = 20 */
	uint8_t opus_complexity;  /* 0..10; 0xff = the dataplane's default */
	uint8_t reserved0;
	uint32_t flags;           /* SB_MEDIA_* */
	uint32_t opus_bitrate;    /* bits/s; 0 = libopus default */
	uint32_t reserved[2];
};
_Static_assert(sizeof(struct sb_cmd_media) == 112, "bump SB_DP_ABI");

/* Generate digits (RFC 4733 events, or tones on a G.711 leg without a
 * telephone-event payload type) to the leg's peer, in its own stream. */
struct sb_cmd_dtmf {
	struct sb_msg_hdr h;      /* leg */
	char digits[24];          /* 0-9 * # A-D, NUL-terminated unless all 24 used */
	uint16_t duration_ms;     /* per digit; 0 = 100 */
	uint16_t gap_ms;          /* between digits; 0 = 50 */
	uint8_t volume;           /* RFC 4733 volume (dBm0 below 0); 0 = 10 */
	uint8_t reserved[11];
};
_Static_assert(sizeof(struct sb_cmd_dtmf) == 56, "bump SB_DP_ABI");

#define SB_PROMPT_PATH_MAX 96

/* Load (or replace) prompt id from a WAV file (PCM16 8/16/48 kHz, or
 * G.711) on the dataplane's host; converted once to each codec in use.
 * Sent to any worker; the file is read off the packet path.  Prompts are
 * shared by every worker and every call (no copies). */
struct sb_cmd_prompt_load {
	struct sb_msg_hdr h;      /* leg unused (SB_LEG_NONE) */
	uint32_t prompt;          /* control's id, < the dataplane's prompt table size */
	uint32_t flags;           /* 0 */
	char path[SB_PROMPT_PATH_MAX]; /* absolute, NUL-terminated */
};
_Static_assert(sizeof(struct sb_cmd_prompt_load) == 120, "bump SB_DP_ABI");

/* sb_cmd_prompt.flags */
#define SB_PROMPT_LOOP (1u << 0) /* music on hold: until PROMPT_STOP */

/* PROMPT_PLAY: to leg h.leg (what the leg would have forwarded to its
 * peer is replaced while it plays; relaying resumes after) in the codec
 * its LEG_MEDIA declared (G.711 as stored; Opus encoded on the worker,
 * 20 ms packets only, else -ENOTSUP), or, with
 * h.leg == SB_LEG_NONE, to every member of conference conf on worker.
 * PROMPT_STOP: the same addressing; answered 0 even if nothing played. */
struct sb_cmd_prompt {
	struct sb_msg_hdr h;      /* leg, leg_gen; or leg = SB_LEG_NONE */
	uint32_t prompt;
	uint32_t flags;           /* SB_PROMPT_* */
	uint32_t conf;            /* when h.leg == SB_LEG_NONE */
	uint32_t reserved;
};
_Static_assert(sizeof(struct sb_cmd_prompt) == 32, "bump SB_DP_ABI");

/* Conference membership modes (mixer, mix-minus: nobody hears themselves). */
enum sb_conf_mode {
	SB_CONF_TALK = 1,    /* hears everyone, heard by everyone */
	SB_CONF_LISTEN = 2,  /* hears everyone, heard by nobody (supervisor listen) */
	SB_CONF_WHISPER = 3, /* hears everyone, heard only by leg `target` (coach) */
};

/* Join conference conf (control's number, < the worker's conference
 * table; all members on the same worker), or change the member's mode.
 * A member's received audio goes to the mixer and nowhere else; what it
 * is sent is its mix-minus.  Supervision of a call caller—agent: listen =
 * {caller TALK, agent TALK, supervisor LISTEN}; whisper = supervisor
 * WHISPER with target agent; barge = all TALK. */
struct sb_cmd_conf {
	struct sb_msg_hdr h;      /* the member leg */
	uint32_t conf;
	uint32_t mode;            /* enum sb_conf_mode */
	uint32_t target;          /* WHISPER: the leg that hears the member */
	uint32_t target_gen;
};
_Static_assert(sizeof(struct sb_cmd_conf) == 32, "bump SB_DP_ABI");

/* sb_evt_dtmf.source */
#define SB_DTMF_SRC_4733   1u
#define SB_DTMF_SRC_INBAND 2u

/* One per digit (not per packet), when it ends. */
struct sb_evt_dtmf {
	struct sb_msg_hdr h;      /* leg */
	uint8_t digit;            /* '0'-'9', '*', '#', 'A'-'D' */
	uint8_t source;           /* SB_DTMF_SRC_* */
	uint8_t volume;           /* RFC 4733 volume; 0 for in-band */
	uint8_t reserved;
	uint32_t duration_ms;
	uint32_t rtp_ts;          /* RTP timestamp where it started */
	uint32_t reserved2;
};
_Static_assert(sizeof(struct sb_evt_dtmf) == 32, "bump SB_DP_ABI");

/* sb_evt_prompt.reason */
#define SB_PROMPT_END_DONE    1u /* played to the end (not for loops) */
#define SB_PROMPT_END_STOPPED 2u /* PROMPT_STOP, another PLAY, LEG_DEL or CONF_LEAVE */
#define SB_PROMPT_END_ERROR   3u /* prompt unloaded or not in the leg's codec */

struct sb_evt_prompt {
	struct sb_msg_hdr h;      /* leg (SB_LEG_NONE for a conference) */
	uint32_t prompt;
	uint32_t conf;
	uint32_t reason;          /* SB_PROMPT_END_* */
	uint32_t frames;          /* 20 ms frames played */
};
_Static_assert(sizeof(struct sb_evt_prompt) == 32, "bump SB_DP_ABI");

/* ---- ABI 4: recording (issue 7, dataplane/rectap.c, recorder/) ----
 *
 * One recording = one stereo file: leg h.leg (the caller) on the left,
 * agent_leg on the right, both on the same worker.  Audio is the RTP
 * payload each leg receives from its peer (after SRTP unprotect): G.711
 * (PT 0/8), and Opus on a leg whose media context (or payload map clock
 * of 48000) says so, decoded on the recorder thread; other payload types
 * are skipped and counted.  Formats 4..7 and the flags were appended
 * without an ABI bump: a dataplane that predates them answers -EINVAL.
 * The file is
 * --rec-dir/path, written as path.part and renamed at close; every
 * segment_s of audio it is made durable (fdatasync + header), so a crash
 * loses at most the open segment.  Timeline: RTP timestamps; gaps are
 * silence.  PAUSE keeps the timeline and writes silence (the paused time
 * stays in the file, its length is the call's length).
 *
 * REC_START with a rec_id this worker already records re-attaches legs
 * (transfer: a new agent leg continues the same file); SB_LEG_NONE keeps
 * a side as it is.  LEG_DEL of a recorded leg detaches it (its channel
 * goes silent); when both sides are detached the recording stops by
 * itself.  Errors: -EINVAL (bad format, path empty/absolute/"..", leg
 * index), -ENOENT/-ESTALE (legs), -EXDEV (other worker), -ENOSPC (too
 * many recordings), -ENOTSUP (dataplane without --rec-dir), -EBUSY (a leg
 * already recorded by another rec_id), -EAGAIN (recorder queue full).
 */
#define SB_REC_REL_PATH_MAX 80 /* bytes with the NUL */

enum sb_dp_rec_fmt {
	SB_DP_REC_G711 = 0,  /* default: G.711 mu-law stereo (A-law input converted per sample) */
	SB_DP_REC_PCM16 = 1, /* 16-bit linear stereo (twice the bytes) */
	SB_DP_REC_ALAW = 2,
	SB_DP_REC_ULAW = 3,
	SB_DP_REC_MONO = 4,      /* WAV mono 16-bit: both sides summed (saturating) */
	SB_DP_REC_OPUS = 5,      /* Ogg Opus stereo (recorder/: format in sb/rec.h) */
	SB_DP_REC_OPUS_MONO = 6, /* Ogg Opus, mono mix */
	SB_DP_REC_PCAP = 7,      /* pcapng of the RTP packets both legs received */
};

/* sb_cmd_rec_start.flags */
#define SB_DP_REC_F_MASK_DTMF 0x01u /* silence DTMF (RFC 4733 on a media leg's
				     * dtmf_pt, in-band tones); not with PCAP */

struct sb_cmd_rec_start {
	struct sb_msg_hdr h;       /* leg, leg_gen: the caller (left) */
	uint32_t rec_id;           /* control's id, unique while the recording lives */
	uint32_t agent_leg;        /* right channel */
	uint32_t agent_leg_gen;
	uint8_t fmt;               /* enum sb_dp_rec_fmt */
	uint8_t flags;             /* SB_DP_REC_F_* */
	uint16_t segment_s;        /* durability segment; 0 = the dataplane's (60 s) */
	char path[SB_REC_REL_PATH_MAX]; /* relative to --rec-dir, NUL-terminated */
	uint32_t reserved[4];
};
_Static_assert(sizeof(struct sb_cmd_rec_start) == 128, "bump SB_DP_ABI");

/* STOP, PAUSE, RESUME: h.leg/leg_gen unused (0); the worker is the one
 * that got REC_START.  -ENOENT for an unknown rec_id. */
struct sb_cmd_rec {
	struct sb_msg_hdr h;
	uint32_t rec_id;
	uint32_t reserved;
};
_Static_assert(sizeof(struct sb_cmd_rec) == 24, "bump SB_DP_ABI");

/* REC_LEG (`recording: supervisor: true`): h.leg/leg_gen, a supervisor's
 * leg on the recording's worker, is tapped (on = 1) into recording rec_id
 * as a third source, or no longer (on = 0; deleting the leg does the
 * same).  What it receives (what the supervisor says) is summed into the
 * agent's (right) side: the agent hears a whisper, the caller does not;
 * the mono formats hold it in the mix, pcapng as interface 2.  One
 * supervisor leg per recording: attaching another replaces it.  The
 * recording goes on when it leaves, and does not stop by itself while
 * only the supervisor is left.  Errors: -ENOENT (rec_id, leg),
 * -ESTALE, -EXDEV, -EINVAL (chan, on, a leg that is the call's own),
 * -EBUSY (the leg is recorded by another rec_id), -ENOTSUP (no
 * --rec-dir). */
#define SB_DP_REC_CH_SUPER 2 /* = enum sb_rec_chan SB_REC_SUPER (recorder/) */
struct sb_cmd_rec_leg {
	struct sb_msg_hdr h;       /* leg, leg_gen: the supervisor's */
	uint32_t rec_id;
	uint8_t chan;              /* SB_DP_REC_CH_SUPER */
	uint8_t on;                /* 1 attach, 0 detach */
	uint16_t reserved;
};
_Static_assert(sizeof(struct sb_cmd_rec_leg) == 24, "bump SB_DP_ABI");

/* sb_evt_rec.kind for SB_EVT_REC_ERR */
#define SB_REC_ERR_OPEN   1u /* file not created (status: -ENOENT no directory, -EACCES, -EMFILE) */
#define SB_REC_ERR_WRITE  2u /* a write failed (-ENOSPC, -EIO): the rest is lost, the call goes on */
#define SB_REC_ERR_SYNC   3u /* fdatasync failed */
#define SB_REC_ERR_DEGRADED 4u /* recorder too slow (buffers): audio of this call lost */

/* DONE (status 0 or the first error), ERR, RECOVERED (rec_id 0: not known
 * after a crash; match by path).  h.leg = the caller leg (SB_LEG_NONE for
 * RECOVERED).  Sent on the event ring of the worker that owns the
 * recording (RECOVERED: worker 0). */
struct sb_evt_rec {
	struct sb_msg_hdr h;
	uint32_t rec_id;
	int32_t status;            /* 0 or -errno */
	uint64_t bytes;            /* file size (header included) */
	uint32_t file_ms;          /* audio in the file */
	uint32_t call_ms;          /* audio of the call (DONE) */
	uint16_t share_pm;         /* DONE: per mille of the call held in the file */
	uint8_t complete;          /* DONE: 1 = nothing missing */
	uint8_t kind;              /* ERR: SB_REC_ERR_* */
	uint32_t drop_full;        /* DONE: frames the worker dropped (record ring full) */
	char path[SB_REC_REL_PATH_MAX]; /* relative to --rec-dir */
};
_Static_assert(sizeof(struct sb_evt_rec) == 128, "bump SB_DP_ABI");

/* One ring slot. */
union sb_msg {
	struct sb_msg_hdr h;
	struct sb_cmd_leg leg;
	struct sb_cmd_connect connect;
	struct sb_evt_result result;
	struct sb_evt_peer peer;
	struct sb_evt_timeout timeout;
	struct sb_cmd_media media;
	struct sb_cmd_dtmf dtmf;
	struct sb_cmd_prompt_load prompt_load;
	struct sb_cmd_prompt prompt;
	struct sb_cmd_conf conf;
	struct sb_evt_dtmf dtmf_evt;
	struct sb_evt_prompt prompt_evt;
	struct sb_cmd_rec_start rec_start;
	struct sb_cmd_rec rec;
	struct sb_cmd_rec_leg rec_leg;
	struct sb_evt_rec rec_evt;
	uint8_t raw[SB_MSG_SIZE];
};
_Static_assert(sizeof(union sb_msg) == SB_MSG_SIZE, "bump SB_DP_ABI");

/* Expected length of each command; 0 = unknown type (H12: designated init). */
static const uint16_t sb_cmd_size[SB_CMD_N] = {
	[SB_CMD_NOP] = sizeof(struct sb_msg_hdr),
	[SB_CMD_LEG_ADD] = sizeof(struct sb_cmd_leg),
	[SB_CMD_LEG_MOD] = sizeof(struct sb_cmd_leg),
	[SB_CMD_LEG_DEL] = sizeof(struct sb_msg_hdr),
	[SB_CMD_LEG_CONNECT] = sizeof(struct sb_cmd_connect),
	[SB_CMD_REC_START] = sizeof(struct sb_cmd_rec_start),
	[SB_CMD_REC_STOP] = sizeof(struct sb_cmd_rec),
	[SB_CMD_REC_PAUSE] = sizeof(struct sb_cmd_rec),
	[SB_CMD_REC_RESUME] = sizeof(struct sb_cmd_rec),
	[SB_CMD_REC_LEG] = sizeof(struct sb_cmd_rec_leg),
	[SB_CMD_LEG_MEDIA] = sizeof(struct sb_cmd_media),
	[SB_CMD_DTMF_SEND] = sizeof(struct sb_cmd_dtmf),
	[SB_CMD_PROMPT_LOAD] = sizeof(struct sb_cmd_prompt_load),
	[SB_CMD_PROMPT_PLAY] = sizeof(struct sb_cmd_prompt),
	[SB_CMD_PROMPT_STOP] = sizeof(struct sb_cmd_prompt),
	[SB_CMD_CONF_JOIN] = sizeof(struct sb_cmd_conf),
	[SB_CMD_CONF_LEAVE] = sizeof(struct sb_msg_hdr),
	/* ABI 4 media: every command above is implemented (dataplane/dpmedia.c,
	 * dpprompt.c, dpconf.c); PROMPT_LOAD's result comes later, when the
	 * loader thread has read the file */
};

/* ---- counters in the segment ---- */

/* Per leg: written by the owning worker only, read by anyone (plain
 * loads: a reader may see a packet's fields half updated, never torn
 * words).  Freshness (ABI 3): rx_pkts, rx_bytes and last_rx_ns (RTP) are
 * added from the worker's own leg state on every 16th RTP packet accepted
 * on the leg and at once on a new source; tx_pkts and tx_bytes on every
 * 16th packet sent; all of them, and the RFC 3550 figures below, also on
 * every visit of the timer sweep (each port at least every
 * n_media_addrs * port_span / 256 ms), on LEG_DEL and when the worker
 * exits: so they may lag by up to 15 packets or one sweep, and are final
 * after LEG_DEL.  last_rx_ns is exact when published by a packet, to the
 * millisecond when published by the sweep.  The other counters (rej_src,
 * drops, RTCP) are updated per packet.  RTP receive figures follow RFC 3550 A.1/A.3/A.8 for the
 * current source (a new SSRC restarts them, with probation); "remote_"
 * figures are what the peer reported about the stream we send it. */
struct sb_leg_stats {
	uint64_t rx_pkts;     /* RTP + RTCP accepted from the peer */
	uint64_t rx_bytes;    /* UDP payload bytes */
	uint64_t tx_pkts;     /* RTP + RTCP sent out of this leg to its peer */
	uint64_t tx_bytes;    /* UDP payload bytes */
	uint64_t rej_src;     /* dropped: wrong source (BAD_SRC) */
	uint64_t drops;       /* dropped for any other reason */
	uint64_t last_rx_ns;  /* CLOCK_MONOTONIC of the last accepted RTP packet (timeout; lazy) */
	uint32_t peer_ip;     /* current peer (after latching) */
	uint16_t peer_port;
	uint16_t local_port;
	uint32_t leg_gen;     /* generation these counters belong to */
	uint32_t active;      /* 1 while the leg exists */
	/* ---- ABI 2 ---- */
	uint64_t rtcp_rx_pkts;   /* RTCP accepted (also in rx_pkts) */
	uint64_t rtcp_last_ns;   /* CLOCK_MONOTONIC of the last accepted RTCP */
	uint64_t timeouts;       /* SB_EVT_MEDIA_TIMEOUT events sent */
	uint64_t reanchors;      /* output streams re-anchored (new source or SSRC) */
	/* Freshness of ssrc .. jitter (this cache line): published together
	 * with rx_pkts (see above: every 16th packet, a new source, the sweep,
	 * LEG_DEL, worker exit); at 50 packets/s they may lag by 300 ms or
	 * one sweep, and are final after LEG_DEL. */
	uint32_t ssrc;           /* SSRC of the source we receive */
	uint32_t ext_max_seq;    /* extended highest sequence number received */
	uint32_t cycles;         /* sequence number wraps (A.1 cycles >> 16) */
	uint32_t base_seq;       /* first valid sequence number */
	uint32_t expected;       /* ext_max_seq - base_seq + 1 */
	uint32_t received;       /* valid packets received (after probation) */
	int32_t lost;            /* expected - received, clamped to 24 bits (A.3) */
	uint32_t jitter;         /* interarrival jitter, timestamp units (A.8) */
	uint32_t clock_hz;       /* RTP clock used for the jitter */
	uint8_t fraction_lost;   /* over the last stats interval, 1/256 (A.3) */
	uint8_t remote_fraction_lost; /* last report block about our stream */
	uint8_t latch_state;     /* 0 idle, 1 learning, 2 locked */
	uint8_t rtcp_mux;        /* 1: RTCP on the RTP port */
	int32_t remote_lost;     /* cumulative lost the peer reports */
	uint32_t remote_jitter;  /* jitter the peer reports, timestamp units */
	uint32_t rtt_us;         /* round trip to the peer from LSR/DLSR (>= 1); 0 = unknown */
	uint32_t out_ssrc;       /* SSRC we send on this leg (kept across re-anchoring) */
	uint64_t remote_report_ns; /* CLOCK_MONOTONIC of that report block */
	uint16_t rtcp_peer_port; /* where this leg's RTCP goes */
	uint8_t out_pt_last;     /* payload type of the last packet sent */
	uint8_t reserved0;
	uint32_t sr_rx;          /* sender reports received */
	uint32_t rr_blocks_rx;   /* report blocks about our stream received */
	uint64_t srtp_drops;     /* ABI 4: SRTP/SRTCP packets refused (tag, replay; also in drops) */
	uint64_t reserved[8];
};
_Static_assert(sizeof(struct sb_leg_stats) == 256, "bump SB_DP_ABI");

/* Per worker: written by that worker only. */
struct sb_worker_stats {
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t relayed;        /* RTP/RTCP packets forwarded leg to leg */
	uint64_t arp_replies;    /* ARP requests for the media address answered */
	uint64_t arp_requests;   /* ARP requests we sent for next hops */
	uint64_t cmds;           /* commands applied */
	uint64_t evts_dropped;   /* events lost because the event ring was full */
	uint64_t busy_cycles;    /* TSC cycles spent in iterations that did work */
	uint64_t loops;
	uint64_t legs_active;
	/* Ring depths (entries waiting), sampled by the worker every ~10 ms;
	 * cycles per packet is busy_cycles / rx_pkts (tsc_hz in the header). */
	uint32_t depth_dispatch;  /* dispatcher -> worker mbuf ring */
	uint32_t depth_cmd;       /* control -> worker command ring */
	uint32_t depth_evt;       /* worker -> control event ring */
	uint32_t depth_punt;      /* worker -> main lcore punt ring */
	uint64_t punted;          /* packets handed to the main lcore (slow path) */
	uint64_t tx_flushes;      /* rte_eth_tx_burst() calls (timer or full batch) */
	uint64_t rec_frames;      /* frames pushed to the record ring (issue 7) */
	uint64_t rec_drop_full;   /* frames dropped: record ring full (forwarding unaffected) */
	uint64_t drop[SB_DROP_MAX];
};
_Static_assert(sizeof(struct sb_worker_stats) == 384, "bump SB_DP_ABI");

/* ---- segment header ---- */
enum sb_dp_state { SB_DP_INIT = 0, SB_DP_READY = 1, SB_DP_STOPPED = 2 };

/* How received packets reach the worker that owns their UDP port. */
enum sb_dp_steer {
	SB_DP_STEER_DIRECT = 0,   /* one worker polls the port itself */
	SB_DP_STEER_DISPATCH = 1, /* main lcore receives, rings to the owner */
	SB_DP_STEER_FLOW = 2,     /* rte_flow rules: port range -> worker's RX queue */
};

struct sb_dp_shm_hdr {
	uint32_t magic;         /* SB_DP_MAGIC, written last at creation */
	uint32_t abi;           /* SB_DP_ABI */
	uint32_t hdr_size;      /* sizeof(struct sb_dp_shm_hdr) */
	uint32_t msg_size;      /* SB_MSG_SIZE */
	uint32_t leg_stats_size;    /* sizeof(struct sb_leg_stats) */
	uint32_t worker_stats_size; /* sizeof(struct sb_worker_stats) */
	uint32_t n_workers;
	uint32_t max_legs;
	uint32_t cmd_slots;
	uint32_t evt_slots;
	uint64_t generation;    /* new value at every dataplane start */
	_Atomic uint32_t state; /* enum sb_dp_state */
	uint32_t dp_pid;
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC, refreshed ~10 times/s */
	uint32_t media_ip;      /* network order */
	uint8_t media_mac[6];
	uint16_t n_media_addrs; /* ABI 3: media_ip .. media_ip + n - 1 (host-order increment); 0 = 1 */
	uint16_t port_min;      /* worker w owns [port_min + w*port_span, +port_span) */
	uint16_t port_span;
	uint64_t tsc_hz;        /* TSC ticks per second (busy_cycles -> ns) */
	uint64_t total_size;
	uint64_t off_cmd[SB_MAX_WORKERS];
	uint64_t off_evt[SB_MAX_WORKERS];
	uint64_t off_worker_stats;
	uint64_t off_leg_stats;
	/* Written by the main lcore only (dispatcher and punt handler). */
	uint64_t disp_rx;        /* packets the dispatcher received (dispatch mode) */
	uint64_t disp_ring_full; /* dropped: the owning worker's dispatch ring was full */
	uint64_t punt_rx;        /* punted packets taken off the workers' punt rings */
	uint64_t punt_unhandled; /* of those, freed because no slow handler exists yet */
	uint32_t steer_mode;     /* enum sb_dp_steer: how packets reach their worker */
	uint32_t reserved2;
	uint64_t reserved3;
};
_Static_assert(sizeof(struct sb_dp_shm_hdr) == 416, "bump SB_DP_ABI");

#endif /* SB_DP_ABI_H */
