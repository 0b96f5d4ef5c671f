/* SPDX-License-Identifier: MIT */
/*
 * media/codec.h — the media vocabulary SDP negotiation and the media layer
 * share: codecs switchboard can carry and the SRTP suites of SDES
 * (RFC 4568).  Plain enums, no text: sip/sdp.c maps names to them once.
 */
#ifndef SB_MEDIA_CODEC_H
#define SB_MEDIA_CODEC_H

enum sb_codec {
	SB_CODEC_NONE = 0, /* not one we know */
	SB_CODEC_PCMU,     /* G.711 µ-law, static PT 0, 8000 Hz */
	SB_CODEC_PCMA,     /* G.711 A-law, static PT 8, 8000 Hz */
	SB_CODEC_OPUS,     /* opus/48000/2 (RFC 7587) */
	SB_CODEC_TEL_EVENT,/* telephone-event (RFC 4733), 8000 or 48000 Hz */
	SB_CODEC_N
};

enum sb_srtp_suite {
	SB_SRTP_NONE = 0,
	SB_SRTP_AES_CM_128_HMAC_SHA1_80, /* RFC 4568: 16-byte key, 14-byte salt */
	SB_SRTP_AES_CM_128_HMAC_SHA1_32,
	SB_SRTP_AEAD_AES_128_GCM,        /* RFC 7714: 16-byte key, 12-byte salt */
	SB_SRTP_UNKNOWN,                 /* a suite we do not implement: never chosen */
	SB_SRTP_N
};

#define SB_SRTP_KEY_SALT_MAX 30 /* bytes of key || salt, the longest suite */

#endif
