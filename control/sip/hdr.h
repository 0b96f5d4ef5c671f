/* SPDX-License-Identifier: MIT */
/*
 * sip/hdr.h — parsers for the structured header values the core needs:
 * Via, name-addr (From/To/Contact), generic ;params.  Zero-copy, bounded by
 * the slice they are given; all return 0 or -EBADMSG.
 */
#ifndef SB_SIP_HDR_H
#define SB_SIP_HDR_H

#include <stdint.h>

#include "str.h"

struct sb_sip_via {
	struct sb_str transport; /* "UDP", "TCP", ... */
	struct sb_str host;
	uint16_t port;           /* 0 when absent */
	struct sb_str params;    /* ";branch=...;rport" (leading ';' included) */
	struct sb_str branch;
	uint8_t has_rport;
	struct sb_str text;      /* the whole via-parm, trimmed */
};

/* First via-parm of a Via value; *rest gets what follows its comma (may be
 * empty).  Quoted strings in params are honoured when looking for the comma. */
int sb_sip_via_parse(struct sb_str v, struct sb_sip_via *out, struct sb_str *rest);

struct sb_sip_nameaddr {
	struct sb_str display; /* may be quoted; empty when absent */
	struct sb_str uri;     /* without < > */
	struct sb_str params;  /* header params after the URI (";tag=..;expires=..") */
	uint8_t star;          /* Contact: * */
};

/* One name-addr or addr-spec; *rest (may be NULL) gets what follows a
 * top-level comma (Contact lists). */
int sb_sip_nameaddr_parse(struct sb_str v, struct sb_sip_nameaddr *out, struct sb_str *rest);

/* Look up name in ";a=1;b;c=x" (case-insensitive).  Returns 1 and the value
 * (empty for a bare flag), or 0 when absent. */
int sb_sip_param_get(struct sb_str params, const char *name, struct sb_str *value);

/* The tag= of a From/To value; empty when none. */
struct sb_str sb_sip_tag(struct sb_str from_or_to);

#endif
