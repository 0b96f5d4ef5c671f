/* SPDX-License-Identifier: MIT */
/*
 * media/backend.h — how the B2BUA programs media, without knowing who
 * carries it (DPDK dataplane over shm rings, or sb_relay.ko: media/kernel.h).
 *
 * Commands are asynchronous: a submitting call returns 0 when the command is
 * on its way, and the backend later calls the done callback exactly once
 * with the cookie the caller gave and a status (0 or -errno).  A submitting
 * call that fails returns -errno and never calls back.  Callbacks run on the
 * loop thread, never from inside a submitting call.
 *
 * The backend remembers every leg it carries (local port, expected and
 * learned peer, flags, connection).  When the carrier restarts (a new
 * dataplane generation) it re-creates those legs on its own: the B2BUA
 * keeps its calls and is told only about legs it could not bring back
 * (SB_MEDIA_EV_LOST).  Counters of a leg add up across restarts.
 */
#ifndef SB_MEDIA_BACKEND_H
#define SB_MEDIA_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#define SB_MEDIA_F_LATCH  (1u << 0) /* learn the peer from the first packets */
#define SB_MEDIA_F_STRICT (1u << 1) /* after latching, drop other sources */

struct sb_media;

#define SB_MEDIA_CAP_SRTP (1u << 0) /* struct sb_media.caps: SDES SRTP on legs */
/* Media processing beyond relaying (ABI 4, the DPDK dataplane only): a
 * call that needs one of these is placed on the DPDK backend (DESIGN.md,
 * "Media backend interface"); the kernel backend has none of them and
 * answers their ops -ENOTSUP. */
#define SB_MEDIA_CAP_XCODE  (1u << 1) /* leg_media: codec per leg, transcoding */
#define SB_MEDIA_CAP_DTMF   (1u << 2) /* leg_media DTMF detection (dtmf event), dtmf_send */
#define SB_MEDIA_CAP_PROMPT (1u << 3) /* prompt_load / prompt_play / prompt_stop */
#define SB_MEDIA_CAP_MIX    (1u << 4) /* conf_join / conf_leave (supervision) */
#define SB_MEDIA_CAP_PROC   (SB_MEDIA_CAP_XCODE | SB_MEDIA_CAP_DTMF | SB_MEDIA_CAP_PROMPT | \
			     SB_MEDIA_CAP_MIX)

/* Recording (issue 7, the DPDK dataplane with --rec-dir): rec_start /
 * rec_stop / rec_pause and the rec_event callback.  The kernel backend
 * answers them -ENOTSUP. */
#define SB_MEDIA_CAP_REC (1u << 5)

#define SB_MEDIA_MAX_PT 4 /* = SB_PT_MAP_MAX of the dataplane ABI */

/* One negotiated payload type of a leg: RTP received on the leg with pt_in
 * leaves the connected leg with pt_out (the two sides may number the same
 * codec differently); pt_in == pt_out only declares the clock. */
struct sb_media_pt {
	uint8_t pt_in, pt_out;
	uint8_t codec;    /* enum sb_codec (media/codec.h) */
	uint8_t channels; /* 0/1 mono, 2 for opus */
	uint32_t clock_hz;
};

/* An SDES master key (RFC 4568): suite NONE = plain RTP. */
struct sb_media_srtp {
	uint8_t suite;    /* enum sb_srtp_suite (media/codec.h) */
	uint8_t key_len;  /* key || salt bytes */
	uint8_t mki_len;  /* 0 = no MKI */
	uint8_t reserved;
	uint32_t mki;
	uint8_t key[30];  /* SB_SRTP_KEY_SALT_MAX */
};

/* What SDP offer/answer agreed for a leg (sip/sdp_oa.h fills it).  All
 * zero: plain RTP, RTCP on port + 1, payload types passed unchanged. */
struct sb_media_sdp {
	uint8_t n_pt;            /* entries in pt; 0 = no map */
	bool rtcp_mux;           /* RTCP on the RTP port, ours and the peer's (RFC 5761) */
	uint16_t ptime;          /* ms; 0 = not negotiated */
	uint16_t peer_rtcp_port; /* peer's a=rtcp (RFC 3605); 0 = peer port + 1 (or mux) */
	struct sb_media_pt pt[SB_MEDIA_MAX_PT]; /* [0] = the audio codec in use */
	struct sb_media_srtp rx; /* the peer's key: unprotect what it sends */
	struct sb_media_srtp tx; /* our key: protect what we send it */
};

/* One leg: an index on the backend, a generation for that index, a local
 * RTP port (even; RTCP is port + 1) on the media address.  leg_alloc
 * clears sdp; leg_add and leg_mod read it: set it in between. */
struct sb_media_leg {
	uint32_t idx;    /* UINT32_MAX when none */
	uint32_t gen;
	uint16_t port;
	uint16_t worker; /* all legs of a call share one worker */
	uint32_t ip;     /* network order: the local address of port (SDP c=; the
			  * DPDK backend spreads legs over --media-addrs); 0 = media_ip() */
	uint64_t epoch;  /* backend pools it came from; survives carrier restarts */
	struct sb_media_sdp sdp;
};

/* What a leg's worker does to its media beyond relaying (leg_media).
 * SRTP keys are the leg's own sdp.rx / sdp.tx; the codec is what the
 * leg's peer sends and receives.  Two connected legs with different
 * codecs are transcoded; with the same codec, relayed (pt mapped). */
#define SB_MEDIA_P_DTMF       (1u << 0) /* report RFC 4733 digits (dtmf event) */
#define SB_MEDIA_P_DTMF_STRIP (1u << 1) /* do not forward telephone-event (IVR, supervisor) */
#define SB_MEDIA_P_INBAND     (1u << 2) /* also detect in-band tones (G.711 legs) */

struct sb_media_proc {
	uint8_t codec;      /* enum sb_codec; NONE = payload untouched (keys only) */
	uint8_t pt;         /* its payload type on this leg */
	uint8_t channels;   /* 1, or 2 for opus */
	uint8_t dtmf_pt;    /* telephone-event on this leg; 0 = none */
	uint32_t clock_hz;
	uint32_t dtmf_clock_hz;
	uint16_t ptime;     /* ms; 0 = 20 */
	uint32_t flags;     /* SB_MEDIA_P_* */
};

/* Conference membership (sb/dp_abi.h enum sb_conf_mode, same numbers). */
enum sb_media_conf_mode {
	SB_MEDIA_CONF_TALK = 1,    /* hears all, heard by all */
	SB_MEDIA_CONF_LISTEN = 2,  /* hears all, heard by nobody */
	SB_MEDIA_CONF_WHISPER = 3, /* hears all, heard by the target leg only */
};

#define SB_MEDIA_PROMPT_LOOP (1u << 0) /* until prompt_stop (music on hold) */
#define SB_MEDIA_PROMPTS_MAX 256u      /* prompt ids 0..255 */

/* Why a prompt ended (sb/dp_abi.h SB_PROMPT_END_*, same numbers). */
enum sb_media_prompt_end {
	SB_MEDIA_PROMPT_DONE = 1,    /* played to the end */
	SB_MEDIA_PROMPT_STOPPED = 2, /* prompt_stop, another play, leg deleted, conf left */
	SB_MEDIA_PROMPT_ERROR = 3,   /* not loaded, or not in the leg's codec */
};

/* Recording formats (sb/dp_abi.h enum sb_dp_rec_fmt, same numbers). */
enum sb_media_rec_fmt {
	SB_MEDIA_REC_G711 = 0,  /* stereo G.711 (mu-law): the default */
	SB_MEDIA_REC_PCM16 = 1, /* stereo 16-bit linear */
	SB_MEDIA_REC_MONO = 4,  /* WAV mono 16-bit mix */
	SB_MEDIA_REC_OPUS = 5,  /* Ogg Opus stereo */
	SB_MEDIA_REC_OPUS_MONO = 6, /* Ogg Opus mono mix */
	SB_MEDIA_REC_PCAP = 7,  /* pcapng of the call's RTP */
	/* or'ed into the format given to rec_start: silence DTMF (not PCAP) */
	SB_MEDIA_REC_F_MASK_DTMF = 0x100,
};

/* What the carrier says about a recording (rec_event). */
enum sb_media_rec_ev {
	SB_MEDIA_REC_DONE = 1,      /* closed and renamed: figures final */
	SB_MEDIA_REC_ERROR = 2,     /* disk full, EIO, no directory: degraded, the call goes on */
	SB_MEDIA_REC_RECOVERED = 3, /* a crash's .part repaired at carrier start (rec_id 0) */
};

struct sb_media_rec_info {
	enum sb_media_rec_ev ev;
	uint32_t rec_id;     /* 0 for RECOVERED: match by path */
	int32_t status;      /* 0 or -errno */
	uint64_t bytes;      /* file size */
	uint32_t file_ms;    /* audio in the file */
	uint32_t call_ms;    /* audio of the call (DONE) */
	uint32_t share_pm;   /* DONE: per mille of the call the file holds */
	uint32_t drop_full;  /* DONE: frames the carrier could not queue (recorder behind) */
	bool complete;       /* DONE: nothing missing */
	char path[80];       /* relative to the carrier's recording directory */
};

typedef void sb_media_rec_cb(void *arg, const struct sb_media_rec_info *info);

struct sb_media_counters {
	uint64_t rx_pkts, rx_bytes; /* received from the leg's peer */
	uint64_t tx_pkts, tx_bytes; /* sent to the leg's peer */
	uint64_t rej_src;
};

typedef void sb_media_done_cb(void *arg, uint64_t cookie, int status);

enum sb_media_event {
	SB_MEDIA_EV_TIMEOUT = 1, /* no media from the leg's peer within the carrier's timeout */
	SB_MEDIA_EV_LOST = 2,    /* the carrier restarted and the leg could not be re-created */
};

/* Unsolicited news about a leg.  owner is the cookie given to leg_add for
 * that leg; runs on the loop thread, never from inside an ops call. */
typedef void sb_media_event_cb(void *arg, uint64_t owner, enum sb_media_event ev);

/* The carrier learned (latched) a leg's peer: peer_ip network order,
 * peer_port host order.  Told once per peer; arg is event_arg. */
typedef void sb_media_latch_cb(void *arg, uint64_t owner, uint32_t peer_ip, uint16_t peer_port);

/* A digit ended on a leg (detected by its worker): '0'-'9', '*', '#',
 * 'A'-'D', how long it lasted.  owner as for sb_media_event_cb. */
typedef void sb_media_dtmf_cb(void *arg, uint64_t owner, char digit, uint32_t duration_ms);

/* A prompt played to a leg ended (enum sb_media_prompt_end).  owner as
 * for sb_media_event_cb. */
typedef void sb_media_prompt_cb(void *arg, uint64_t owner, uint32_t prompt, unsigned reason);

struct sb_media_ops {
	const char *name;
	bool (*is_ready)(struct sb_media *m);
	uint32_t (*media_ip)(struct sb_media *m); /* network order; 0 when not ready */
	/* Reserve an index and a port (and clear out->sdp).  worker < 0: the
	 * backend picks one.  0, -ENOTCONN (not ready) or -ENOSPC. */
	int (*leg_alloc)(struct sb_media *m, int worker, struct sb_media_leg *out);
	/* Give back a leg that was never added (or whose add failed). */
	void (*leg_free)(struct sb_media *m, struct sb_media_leg *leg);
	/* peer_ip network order, 0 = unknown. */
	int (*leg_add)(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		       uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie);
	int (*leg_mod)(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		       uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie);
	/* Delete and release.  0: command sent, the leg is released when the
	 * backend answers (then done is called).  <0: no command could be sent
	 * (backend gone or ring full); the leg is released now, no callback. */
	int (*leg_del)(struct sb_media *m, struct sb_media_leg *leg, uint64_t cookie);
	int (*connect)(struct sb_media *m, const struct sb_media_leg *a,
		       const struct sb_media_leg *b, uint64_t cookie);
	/* Counters of a live leg, summed over every carrier generation it lived
	 * in (while the carrier is away: as of its last sighting).
	 * 0 or -ESTALE / -ENOTCONN / -EINVAL. */
	int (*leg_counters)(struct sb_media *m, const struct sb_media_leg *leg,
			    struct sb_media_counters *out);
	/* ---- media processing (caps SB_MEDIA_CAP_*; NULL or -ENOTSUP
	 * without).  Asynchronous like the ops above (done callback).  The
	 * backend remembers what is set and sets it again after a carrier
	 * restart: a leg's processing, its conference membership, a looping
	 * prompt, every loaded prompt. ---- */
	/* Set (replace) a live leg's processing: p, and the SRTP keys of
	 * leg->sdp.rx (the peer's) and leg->sdp.tx (ours).  p == NULL: keys
	 * only.  0, -EINVAL, -ENOTCONN, -EBUSY, -ENOTSUP. */
	int (*leg_media)(struct sb_media *m, const struct sb_media_leg *leg,
			 const struct sb_media_proc *p, uint64_t cookie);
	/* RFC 4733 digits to the leg's peer (at most 23). */
	int (*dtmf_send)(struct sb_media *m, const struct sb_media_leg *leg, const char *digits,
			 uint16_t duration_ms, uint64_t cookie);
	/* Load (replace) prompt id (< SB_MEDIA_PROMPTS_MAX) from a WAV file
	 * on the carrier's host; kept and loaded again into every new carrier
	 * generation.  Works before the carrier is attached (sent when it
	 * is).  No done callback: a load the carrier refuses is logged (the
	 * plays of that prompt then end with SB_MEDIA_PROMPT_ERROR).  0,
	 * -EINVAL (path not absolute or too long, id too big), -ENOMEM. */
	int (*prompt_load)(struct sb_media *m, uint32_t prompt, const char *path);
	/* Play / stop a prompt on a live leg (flags SB_MEDIA_PROMPT_*). */
	int (*prompt_play)(struct sb_media *m, const struct sb_media_leg *leg, uint32_t prompt,
			   uint32_t flags, uint64_t cookie);
	int (*prompt_stop)(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie);
	/* Join conference conf (every member on the same worker), or change
	 * the member's mode; target: the leg that hears a WHISPER member
	 * (NULL otherwise).  A member's media goes to the mixer only: its
	 * connection (connect) is superseded until conf_leave + connect. */
	int (*conf_join)(struct sb_media *m, const struct sb_media_leg *leg, uint32_t conf,
			 enum sb_media_conf_mode mode, const struct sb_media_leg *target,
			 uint64_t cookie);
	int (*conf_leave)(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie);
	/* ---- recording (SB_MEDIA_CAP_REC) ----
	 * Record caller (left) and agent (right, NULL = none yet) into path
	 * (relative to the carrier's directory, < 80 bytes, no ".."), rec_id
	 * chosen by the caller of the op (unique while it lives).  The same
	 * rec_id again with another agent leg re-attaches it: a transfer goes
	 * on in the same file.  segment_s 0 = the carrier's default.  The
	 * file's fate comes through rec_event (DONE once, after rec_stop or
	 * once both legs are deleted).  A carrier restart ends the recording
	 * (its .part comes back as RECOVERED).  0, -EINVAL, -ENOTCONN,
	 * -EBUSY, -ENOTSUP. */
	int (*rec_start)(struct sb_media *m, const struct sb_media_leg *caller,
			 const struct sb_media_leg *agent, uint32_t rec_id,
			 enum sb_media_rec_fmt fmt, const char *path, unsigned segment_s,
			 uint64_t cookie);
	int (*rec_stop)(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
			uint64_t cookie);
	/* pause: silence is written instead (the file keeps the call's length) */
	int (*rec_pause)(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
			 bool pause, uint64_t cookie);
	/* `recording: supervisor: true`: a supervisor's leg (on the recorded
	 * call's worker) tapped into recording rec_id (on), summed into the
	 * agent's side, or no longer (off; deleting the leg does the same).
	 * NULL: the carrier cannot.  0, -EINVAL, -ENOTCONN. */
	int (*rec_leg)(struct sb_media *m, const struct sb_media_leg *sup, uint32_t rec_id,
		       bool on, uint64_t cookie);
	void (*destroy)(struct sb_media *m);
};

struct sb_media {
	const struct sb_media_ops *ops;
	sb_media_done_cb *done;
	void *done_arg;
	sb_media_event_cb *event; /* NULL: events are logged only */
	void *event_arg;
	sb_media_latch_cb *latched; /* NULL: not reported (kernel backend only, for now) */
	sb_media_dtmf_cb *dtmf;     /* NULL: digits are logged only (arg: event_arg) */
	sb_media_prompt_cb *prompt_done; /* NULL: logged only (arg: event_arg) */
	sb_media_rec_cb *rec_event;      /* NULL: logged only (arg: event_arg) */
	uint32_t timeout_ms;      /* media timeout of new legs; 0 = the carrier's default */
	uint8_t opus_complexity;  /* Opus encoder 0..10 of every LEG_MEDIA; 0xff (as the
				   * DPDK backend is created) = the carrier's default */
	uint32_t caps;            /* SB_MEDIA_CAP_*: what the carrier can do beyond RTP relay */
};

struct sb_loop;

/* DPDK dataplane over /dev/shm/switchboard.<instance>: attaches (retrying
 * every 200 ms), polls event rings from the loop.  The dataplane is lost
 * when its segment says STOPPED, its heartbeat is older than 2 s, its pid
 * is gone or another segment took the name; control then re-attaches and,
 * for a new generation, re-programs every live leg (LEG_ADD with the
 * learned peer, else the expected one; then LEG_CONNECT).  NULL + errno. */
struct sb_media *sb_media_dpdk_create(struct sb_loop *loop, const char *instance,
				      sb_media_done_cb *done, void *done_arg);

/* The address our SDP gives for leg l (c= line): its own, else the
 * backend's one media address. */
static inline uint32_t sb_media_leg_ip(struct sb_media *m, const struct sb_media_leg *l)
{
	return l->ip != 0 ? l->ip : m->ops->media_ip(m);
}

/* Can this backend do all of caps (SB_MEDIA_CAP_*)?  The B2BUA asks
 * before it programs processing: a call that needs it and lands on a
 * backend without it is refused as before (488/503), never half-served. */
static inline bool sb_media_has(const struct sb_media *m, uint32_t caps)
{
	return (m->caps & caps) == caps;
}

static inline void sb_media_destroy(struct sb_media *m)
{
	if (m)
		m->ops->destroy(m);
}

#endif
