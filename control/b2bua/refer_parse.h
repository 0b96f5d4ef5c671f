/* SPDX-License-Identifier: MIT */
/*
 * b2bua/refer_parse.h — the transfer headers, from untrusted messages:
 * Refer-To (RFC 3515 §2.1, with escaped headers in its URI), Replaces
 * (RFC 3891 §6.1, as a header and as the %-escaped value of a Refer-To
 * URI's ?Replaces=) and Referred-By (RFC 3892).  Zero-copy slices into the
 * value given, except the %-unescaping of an embedded Replaces, which goes
 * into a bounded buffer of the caller's; never reads past a slice's end;
 * no b2bua state (fuzzed alone: tests/fuzz/fuzz_refer.c).
 */
#ifndef SB_B2BUA_REFER_PARSE_H
#define SB_B2BUA_REFER_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

struct sb_refer_to {
	struct sb_str uri;      /* the whole URI, without < > */
	struct sb_str user;     /* its user part (the transfer target); may be empty */
	struct sb_str host;
	struct sb_str replaces; /* value of its ?Replaces= header, still %-escaped;
				 * empty when none */
};

/* A Refer-To value: one name-addr or addr-spec with a sip: or sips: URI.
 * 0, or -EBADMSG with *why (may be NULL) naming the problem. */
int sb_refer_to_parse(struct sb_str v, struct sb_refer_to *out, const char **why);

struct sb_replaces {
	struct sb_str call_id;  /* the dialog to replace, as the sender sees it: */
	struct sb_str to_tag;   /*   its remote tag */
	struct sb_str from_tag; /*   its local tag */
	bool early_only;
};

/* A Replaces value: callid *(;param), to-tag and from-tag both required
 * (RFC 3891 §6.1), other params ignored.  0 or -EBADMSG with *why. */
int sb_replaces_parse(struct sb_str v, struct sb_replaces *out, const char **why);

/* %HH-unescaping (RFC 3986 §2.1) of in into out (cap bytes).  Returns the
 * length, -EBADMSG for a bad or truncated escape, -ENOSPC when it does not
 * fit.  out is not NUL-terminated. */
int sb_uri_unescape(struct sb_str in, char *out, size_t cap);

/* A Referred-By value: the referrer's name-addr; *uri gets its URI.
 * 0 or -EBADMSG. */
int sb_referred_by_parse(struct sb_str v, struct sb_str *uri);

#endif
