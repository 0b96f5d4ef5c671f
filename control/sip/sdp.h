/* SPDX-License-Identifier: MIT */
/*
 * sip/sdp.h — SDP (RFC 4566) parse and write, for untrusted bodies.
 *
 * The parser checks structure only (v= first, type=value lines, c= for
 * every live m= line, well-formed attributes we read) and records what
 * offer/answer (sip/sdp_oa.h) needs: the origin, session and media c=
 * (IPv4 or IPv6), every m= line (up to SB_SDP_MAX_MEDIA), and per media
 * a=rtpmap, a=fmtp, a=ptime, a=maxptime, a=rtcp (RFC 3605), a=rtcp-mux,
 * the direction, and a=crypto (RFC 4568, key decoded and length-checked).
 * Whether a line is usable (transport, codecs) is offer/answer's call.
 *
 * Zero-copy: every struct sb_str is a slice of the body, which must
 * outlive the struct.  Nothing is read at or past end.
 */
#ifndef SB_SIP_SDP_H
#define SB_SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "media/codec.h"
#include "str.h"

#define SB_SDP_MAX_MEDIA  8  /* more m= lines: parse error (we could not answer them) */
#define SB_SDP_MAX_PT     16 /* payload types kept per m= line (more are ignored) */
#define SB_SDP_MAX_CRYPTO 4  /* a=crypto lines kept per m= line */

enum sb_sdp_dir { SB_SDP_SENDRECV = 0, SB_SDP_SENDONLY, SB_SDP_RECVONLY, SB_SDP_INACTIVE };

enum sb_sdp_proto {
	SB_SDP_PROTO_OTHER = 0, /* anything else (UDP/BFCP, TCP/MSRP, ...) */
	SB_SDP_RTP_AVP,
	SB_SDP_RTP_AVPF,
	SB_SDP_RTP_SAVP,
	SB_SDP_RTP_SAVPF,
	SB_SDP_UDP_TLS_RTP_SAVP,  /* DTLS-SRTP (RFC 5764) */
	SB_SDP_UDP_TLS_RTP_SAVPF,
};

enum sb_sdp_media_type { SB_SDP_MEDIA_OTHER = 0, SB_SDP_AUDIO, SB_SDP_VIDEO };

struct sb_sdp_addr {
	uint8_t family;  /* 0 none, 4, 6 */
	uint8_t ip6[16]; /* family 6 */
	uint32_t ip4;    /* family 4, network order */
};

struct sb_sdp_rtpmap {
	uint8_t pt;
	uint8_t channels;   /* 0 when not given */
	uint8_t codec;      /* enum sb_codec from enc/rate/channels */
	uint32_t rate;
	struct sb_str enc;  /* "PCMU" */
	struct sb_str fmtp; /* a=fmtp parameters of this pt; empty when none */
};

struct sb_sdp_crypto {
	uint32_t tag;             /* 1..999999999 */
	uint8_t suite;            /* enum sb_srtp_suite */
	uint8_t key_len;          /* decoded key || salt bytes (suite's length) */
	uint8_t mki_len;          /* 0: no MKI; else bytes on the wire, 1..4 */
	uint8_t lifetime_log2;    /* 0: not given; else lifetime = 2^n packets */
	uint64_t lifetime;        /* packets; 0 = not given (suite default) */
	uint32_t mki;
	uint8_t key[SB_SRTP_KEY_SALT_MAX];
	struct sb_str suite_name; /* as written */
	struct sb_str session_params; /* after the key params; empty when none */
};

struct sb_sdp_media {
	uint8_t type;        /* enum sb_sdp_media_type */
	uint8_t proto;       /* enum sb_sdp_proto */
	uint8_t dir;         /* enum sb_sdp_dir: media attribute, else the session's */
	bool rtcp_mux;
	uint16_t port;       /* 0: rejected / disabled stream */
	uint16_t n_ports;    /* port/count; 1 when absent */
	uint16_t rtcp_port;  /* a=rtcp; 0 when absent */
	uint16_t ptime, maxptime; /* ms; 0 when absent */
	struct sb_sdp_addr c;     /* media c=, else the session's */
	struct sb_sdp_addr rtcp_addr; /* a=rtcp with an address; family 0 when none */
	struct sb_str media;      /* "audio" as written */
	struct sb_str proto_name; /* "RTP/AVP" as written */
	struct sb_str fmts;       /* the whole format list as written */
	uint8_t n_pts;
	uint8_t n_rtpmap;
	uint8_t n_crypto;
	uint8_t pts[SB_SDP_MAX_PT];                 /* m= order (RTP transports) */
	struct sb_sdp_rtpmap rtpmap[SB_SDP_MAX_PT]; /* static types get an implicit entry */
	struct sb_sdp_crypto crypto[SB_SDP_MAX_CRYPTO];
};

struct sb_sdp {
	uint64_t sess_id, sess_ver;  /* o= */
	struct sb_str o_user;
	struct sb_sdp_addr o_addr;
	struct sb_sdp_addr c;        /* session-level c=; family 0 when none */
	uint8_t dir;                 /* session-level direction (default sendrecv) */
	uint8_t n_media;
	struct sb_sdp_media m[SB_SDP_MAX_MEDIA];
};

/* Parse [buf, end).  Returns 0 or -EBADMSG with *why (static text naming
 * what is wrong).  why may be NULL. */
int sb_sdp_parse(const char *buf, const char *end, struct sb_sdp *s, const char **why);

/* The first audio m= line with a port and an RTP transport, or NULL. */
const struct sb_sdp_media *sb_sdp_audio(const struct sb_sdp *s);

/* rtpmap of a payload type in a media section, or NULL. */
const struct sb_sdp_rtpmap *sb_sdp_rtpmap_find(const struct sb_sdp_media *m, uint8_t pt);

/* Map a crypto suite name; SB_SRTP_UNKNOWN for others. */
enum sb_srtp_suite sb_sdp_srtp_suite(struct sb_str name);
const char *sb_sdp_srtp_suite_name(enum sb_srtp_suite s);  /* NULL for NONE/UNKNOWN */
unsigned sb_sdp_srtp_key_len(enum sb_srtp_suite s);        /* key||salt bytes; 0 unknown */
const char *sb_sdp_dir_name(enum sb_sdp_dir d);
const char *sb_sdp_proto_name(enum sb_sdp_proto p);        /* NULL for OTHER */

/* Decode base64 (RFC 4648, padding optional) of [p, p+n) into out (cap
 * bytes).  Returns decoded length, or -1 on a bad character, bad padding
 * or overflow of cap. */
int sb_base64_decode(const char *p, uint32_t n, uint8_t *out, unsigned cap);
/* Encode n bytes with padding; writes into b (check sb_buf_ok()). */
void sb_base64_put(struct sb_buf *b, const uint8_t *in, unsigned n);

/* Writers.  Everything goes through sb_buf, which never writes past its
 * capacity (check sb_buf_ok() once at the end). */
void sb_sdp_put_addr(struct sb_buf *b, const struct sb_sdp_addr *a); /* "IN IP4 x" */
void sb_sdp_put_crypto(struct sb_buf *b, const struct sb_sdp_crypto *k); /* "a=crypto:...\r\n" */

/* Write a whole parsed SDP back (what the parser recorded, in canonical
 * form): parse(write(parse(x))) == parse(x) for every field above. */
void sb_sdp_write(struct sb_buf *b, const struct sb_sdp *s);

#endif
