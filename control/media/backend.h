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
	uint64_t epoch;  /* backend pools it came from; survives carrier restarts */
	struct sb_media_sdp sdp;
};

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
	void (*destroy)(struct sb_media *m);
};

struct sb_media {
	const struct sb_media_ops *ops;
	sb_media_done_cb *done;
	void *done_arg;
	sb_media_event_cb *event; /* NULL: events are logged only */
	void *event_arg;
	sb_media_latch_cb *latched; /* NULL: not reported (kernel backend only, for now) */
	uint32_t timeout_ms;      /* media timeout of new legs; 0 = the carrier's default */
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

static inline void sb_media_destroy(struct sb_media *m)
{
	if (m)
		m->ops->destroy(m);
}

#endif
