/* SPDX-License-Identifier: MIT */
/*
 * sb/srtp.h — SRTP and SRTCP (RFC 3711, RFC 7714) for SDES keys (RFC 4568),
 * on OpenSSL's EVP AES (AES-NI) and SHA-1.  Per-packet primitives for the
 * dataplane workers; nothing here knows about mbufs or rings.
 *
 * Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 (SRTCP keeps an
 * 80-bit tag, RFC 4568 6.2) and AEAD_AES_128_GCM (16-byte tag).  Session
 * keys are derived once, at create, with key derivation rate 0.  No MKI.
 *
 * One struct sb_srtp is one direction of one leg: either protect (what we
 * send) or unprotect (what we receive), never both, for RTP and RTCP under
 * the same master key.  It keeps the state of up to SB_SRTP_MAX_SSRC SSRCs
 * (rollover counter, replay window of SB_SRTP_WINDOW packets, SRTCP index);
 * a further SSRC is refused (-ENOBUFS) until the context is re-created,
 * because forgetting an SSRC's index would let a sender re-use keystream or
 * a receiver accept replays.  The byte behaviour (index estimation, first
 * SRTCP index 1, windows) is libsrtp 2's, and tests prove it byte for byte.
 *
 * Fast path contract: sb_srtp_protect/unprotect and the srtcp pair do no
 * allocation, lock, log or system call.  All OpenSSL contexts are made in
 * sb_srtp_create(); per packet only the IV is reset on them (EVP AES) or a
 * precomputed SHA-1 state is copied (HMAC; OpenSSL 3.0's EVP_MAC and
 * EVP_Digest re-init allocate, tests/media/srtp_alloc_t.c proves the path
 * does not).  A context is used by one thread at a time (the owning
 * worker); its counters are plain integers written only by that thread.
 *
 * Unprotect order (libsrtp's): header bounds, stream slot, replay window
 * (no crypto spent on a replayed or too-old index, so a forged packet with
 * an old index counts as REPLAY/OLD), then the tag (constant time), and
 * only then is anything decrypted or any state changed.  On an error the
 * packet must be dropped: its payload bytes are unspecified (AEAD decrypts
 * in place while it checks the tag).
 */
#ifndef SB_SRTP_H
#define SB_SRTP_H

#include <stdint.h>

/* Values equal control's enum sb_srtp_suite (control/media/codec.h), so a
 * suite crosses the ring ABI as one byte; tests/media/srtp_t.c asserts it. */
enum sb_srtp_prof {
	SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80 = 1,
	SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32 = 2,
	SB_SRTP_PROF_AEAD_AES_128_GCM = 3,
};

#define SB_SRTP_MAX_SSRC   4   /* SSRCs tracked per context */
#define SB_SRTP_WINDOW     128 /* replay window, packets (RTP and SRTCP) */
#define SB_SRTP_MAX_KEY    30  /* key || salt bytes of the longest suite */
#define SB_SRTP_MAX_LEN    (1u << 24) /* longer packets are refused (HDR): keeps
				      * every length inside an int */
/* Bytes protect may add: RTP at most 16 (GCM tag); RTCP at most 4 + 16. */
#define SB_SRTP_MAX_TRAILER  16
#define SB_SRTCP_MAX_TRAILER 20

/* Why a packet was refused: name, errno returned, description.  The same
 * macro builds the enum and the text table, so they cannot drift. */
#define SB_SRTP_ERRS(_)                                                          \
	_(HDR,    EINVAL,      "malformed or truncated RTP/RTCP header")         \
	_(AUTH,   EBADMSG,     "authentication tag mismatch")                    \
	_(REPLAY, EALREADY,    "replayed packet (index already seen)")           \
	_(OLD,    ESTALE,      "index older than the replay window")             \
	_(SSRC,   ENOBUFS,     "more SSRCs than SB_SRTP_MAX_SSRC")                \
	_(ROOM,   ENOSPC,      "buffer too small for the trailer")               \
	_(INDEX,  EKEYEXPIRED, "SRTCP index space exhausted (re-key)")           \
	_(CIPHER, EIO,         "OpenSSL cipher failure")

enum sb_srtp_err {
#define _(n, e, d) SB_SRTP_E_##n,
	SB_SRTP_ERRS(_)
#undef _
	SB_SRTP_E_N
};

struct sb_srtp_stats {
	uint64_t ok;                    /* packets protected / unprotected */
	uint64_t err[SB_SRTP_E_N];      /* refused, by reason */
};

struct sb_srtp;

/* key || salt length of a profile (30 for AES-CM, 28 for GCM); 0 unknown. */
unsigned sb_srtp_key_len(enum sb_srtp_prof p);
/* Tag bytes a protected RTP / RTCP packet carries (10, 4, 16 / 10, 10, 16). */
unsigned sb_srtp_tag_len(enum sb_srtp_prof p);
unsigned sb_srtcp_tag_len(enum sb_srtp_prof p);
const char *sb_srtp_err_name(enum sb_srtp_err e);   /* "AUTH"; NULL out of range */
const char *sb_srtp_err_desc(enum sb_srtp_err e);
/* The reason for a negative return of the calls below; SB_SRTP_E_N if none. */
enum sb_srtp_err sb_srtp_err_of(int rc);

void sb_srtp_free(struct sb_srtp *s);            /* NULL is a no-op; wipes keys */
/* A context for one direction, with the SDES master key || salt (as
 * control/sip/sdp.c decodes from a=crypto inline:).  Set-up time only:
 * allocates and derives the session keys.  NULL + errno: EINVAL (unknown
 * profile or key_len != sb_srtp_key_len()), ENOMEM, EIO (OpenSSL). */
struct sb_srtp *sb_srtp_create(enum sb_srtp_prof p, const uint8_t *key, unsigned key_len)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_srtp_free, 1)))  /* gcc checks the pairing */
#endif
	;

/* Protect an RTP packet in place: [pkt, pkt+len) is the RTP packet, cap the
 * buffer size (>= len + sb_srtp_tag_len()).  Returns the SRTP length, or
 * -EINVAL (not RTP v2 / header past len), -ENOSPC, -ENOBUFS, -EALREADY (this
 * SSRC already sent this index: re-protecting would re-use keystream),
 * -ESTALE, -EIO. */
int sb_srtp_protect(struct sb_srtp *s, uint8_t *pkt, unsigned len, unsigned cap);
/* Unprotect an SRTP packet in place.  Returns the RTP length, or -EINVAL,
 * -EBADMSG (tag), -EALREADY (replay), -ESTALE (behind the window),
 * -ENOBUFS, -EIO.  State changes only on success. */
int sb_srtp_unprotect(struct sb_srtp *s, uint8_t *pkt, unsigned len);
/* The same for a compound RTCP packet (>= 8 bytes: header and sender SSRC);
 * protect always encrypts (E=1), unprotect also accepts E=0.  Protect may
 * fail -EKEYEXPIRED after 2^31-1 packets of one SSRC. */
int sb_srtcp_protect(struct sb_srtp *s, uint8_t *pkt, unsigned len, unsigned cap);
int sb_srtcp_unprotect(struct sb_srtp *s, uint8_t *pkt, unsigned len);

/* Counters of this context (the owning worker's; read them from another
 * thread only as a statistic). */
void sb_srtp_stats(const struct sb_srtp *s, struct sb_srtp_stats *out);
/* The RTP rollover counter and highest sequence number of an SSRC; -ENOENT
 * when the context has not seen it. */
int sb_srtp_roc(const struct sb_srtp *s, uint32_t ssrc, uint32_t *roc, uint16_t *seq);

#endif
