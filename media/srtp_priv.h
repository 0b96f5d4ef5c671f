/* SPDX-License-Identifier: MIT */
/*
 * srtp_priv.h — entry points for the known-answer tests only (RFC 3711
 * B.2/B.3, RFC 7714 16/17 give session keys, not master keys).  The
 * dataplane uses sb/srtp.h.
 */
#ifndef SB_SRTP_PRIV_H
#define SB_SRTP_PRIV_H

#include <stdint.h>

#include "sb/srtp.h"

struct sb_srtp_session_keys {
	uint8_t rtp_key[16], rtp_salt[14], rtp_auth[20]; /* GCM: 12-byte salt, no auth */
	uint8_t rtcp_key[16], rtcp_salt[14], rtcp_auth[20];
};

/* RFC 3711 4.3.1 PRF with KDR 0: n bytes for a label from the master key
 * and a salt of salt_len (<= 14; shorter salts are zero-padded on the
 * right, as RFC 7714 11 does).  0, -EINVAL, -ENOMEM or -EIO. */
int sb_srtp_derive(const uint8_t *master_key, const uint8_t *master_salt, unsigned salt_len,
		   unsigned label, uint8_t *out, unsigned n);
/* A context from session keys (no derivation).  NULL + errno. */
struct sb_srtp *sb_srtp_create_session(enum sb_srtp_prof p, const struct sb_srtp_session_keys *k);

#endif
