/* SPDX-License-Identifier: MIT */
/*
 * sip/uri.h — zero-copy sip:/sips: URI parser (RFC 3261 §19.1):
 *   sip:user:password@host:port;uri-parameters?headers
 */
#ifndef SB_SIP_URI_H
#define SB_SIP_URI_H

#include <stdint.h>

#include "str.h"

enum sb_uri_scheme { SB_URI_SIP = 1, SB_URI_SIPS = 2 };

struct sb_sip_uri {
	enum sb_uri_scheme scheme;
	struct sb_str user;     /* empty when no userinfo */
	struct sb_str password;
	struct sb_str host;     /* IPv6 references keep their [ ] */
	uint16_t port;          /* 0 when absent */
	struct sb_str params;   /* ";transport=udp;lr" (leading ';' kept) */
	struct sb_str headers;  /* after '?', without it */
	uint8_t host_is_ipv4;
	uint32_t ipv4;          /* network order, when host_is_ipv4 */
};

/* Returns 0 or -EBADMSG with *why (may be NULL) naming the problem. */
int sb_sip_uri_parse(struct sb_str s, struct sb_sip_uri *u, const char **why);

#endif
