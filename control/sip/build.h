/* SPDX-License-Identifier: MIT */
/*
 * sip/build.h — writing SIP messages: responses built from a parsed request
 * (RFC 3261 §8.2.6), Via lines, tags/branches, and where a response goes
 * (RFC 3261 §18.2.2 with RFC 3581 rport).
 */
#ifndef SB_SIP_BUILD_H
#define SB_SIP_BUILD_H

#include <stdint.h>

#include "buf.h"
#include "sip/msg.h"
#include "sip/tx.h"

#define SB_SIP_BRANCH_MAGIC "z9hG4bK"
#define SB_SIP_TOKEN_LEN 16

struct sb_rand {
	uint64_t s;
};

void sb_rand_seed(struct sb_rand *r);
uint64_t sb_rand_next(struct sb_rand *r);
/* n random [a-z0-9] chars + NUL into out (cap > n). */
void sb_rand_token(struct sb_rand *r, char *out, unsigned n);

/* Response to req: status line, Via (top one with received=/rport= from
 * src), From, To (with ;tag=to_tag appended when To has none and to_tag is
 * not NULL), Call-ID, CSeq, extra_hdrs (CRLF-terminated lines, may be NULL),
 * Content-Type/Length and body (content_type NULL = no body). */
void sb_sip_write_response(struct sb_buf *b, const struct sb_sip_msg *req,
			   const struct sb_sip_addr *src, unsigned code, const char *reason,
			   const char *to_tag, const char *extra_hdrs, const char *content_type,
			   struct sb_str body);

/* Where a UDP response to req (received from src) goes: the source address
 * when the top Via has rport, else the source IP and the Via port (5060). */
void sb_sip_response_dest(const struct sb_sip_msg *req, const struct sb_sip_addr *src,
			  struct sb_sip_addr *dst);

/* "Via: SIP/2.0/UDP a.b.c.d:port;branch=<branch>;rport\r\n" */
void sb_sip_write_via(struct sb_buf *b, const struct sb_sip_addr *local, const char *branch);
/* The same for a transport named as in Via ("UDP", "TCP", "TLS"). */
void sb_sip_write_via_proto(struct sb_buf *b, const char *proto, const struct sb_sip_addr *local,
			    const char *branch);

/* Default reason phrase for a status code. */
const char *sb_sip_reason(unsigned code);

#endif
