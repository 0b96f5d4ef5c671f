/* SPDX-License-Identifier: MIT */
/*
 * sip/msg.h — zero-copy SIP message parser (RFC 3261 §7).
 *
 * Every slice points into the caller's buffer [buf, end), which must outlive
 * the message.  The parser never reads at or past end and never writes to the
 * buffer.  Header names become enum sb_sip_hdr_id here, methods become enum
 * sb_sip_method: past the parser nobody compares header or method names.
 *
 * Folded header lines (continuation lines starting with SP/HT) stay inside the
 * header's value slice: consumers treat CR/LF as linear white space.
 */
#ifndef SB_SIP_MSG_H
#define SB_SIP_MSG_H

#include <stdint.h>

#include "str.h"

#define SB_SIP_METHODS(_)                                                      \
	_(INVITE) _(ACK) _(BYE) _(CANCEL) _(REGISTER) _(OPTIONS) _(INFO)       \
	_(UPDATE) _(PRACK) _(SUBSCRIBE) _(NOTIFY) _(REFER) _(MESSAGE) _(PUBLISH)

enum sb_sip_method_bit {
#define SB_X_(m) SB_SIP_BIT_##m,
	SB_SIP_METHODS(SB_X_)
#undef SB_X_
	SB_SIP_METHOD_N
};

/* Bit flags so that sets of methods (Allow:, what a state accepts) are masks. */
enum sb_sip_method {
	SB_SIP_UNKNOWN = 0,
#define SB_X_(m) SB_SIP_##m = 1u << SB_SIP_BIT_##m,
	SB_SIP_METHODS(SB_X_)
#undef SB_X_
};

/* Headers the core looks at; everything else is SB_HDR_OTHER and is kept. */
#define SB_SIP_HDRS(_)                                                         \
	_(VIA, "Via", 'v') _(FROM, "From", 'f') _(TO, "To", 't')               \
	_(CALL_ID, "Call-ID", 'i') _(CSEQ, "CSeq", 0)                          \
	_(CONTACT, "Contact", 'm') _(CONTENT_LENGTH, "Content-Length", 'l')    \
	_(CONTENT_TYPE, "Content-Type", 'c') _(EXPIRES, "Expires", 0)          \
	_(MAX_FORWARDS, "Max-Forwards", 0) _(ROUTE, "Route", 0)                \
	_(RECORD_ROUTE, "Record-Route", 0) _(SUPPORTED, "Supported", 'k')      \
	_(REQUIRE, "Require", 0) _(USER_AGENT, "User-Agent", 0)                \
	_(AUTHORIZATION, "Authorization", 0)

enum sb_sip_hdr_id {
	SB_HDR_OTHER = 0,
#define SB_X_(id, name, compact) SB_HDR_##id,
	SB_SIP_HDRS(SB_X_)
#undef SB_X_
	SB_HDR_N
};

#define SB_SIP_MAX_HDRS 64
#define SB_SIP_MAX_CONTENT_LENGTH (1u << 24)

struct sb_sip_hdr {
	uint8_t id;         /* enum sb_sip_hdr_id */
	struct sb_str name; /* as written (may be compact) */
	struct sb_str value;/* trimmed; may contain folded CRLF+WS */
};

struct sb_sip_msg {
	uint8_t is_request;
	/* request line */
	enum sb_sip_method method;
	struct sb_str method_name;
	struct sb_str ruri;
	/* status line */
	uint16_t status;
	struct sb_str reason;

	uint16_t n_hdrs;
	int16_t first[SB_HDR_N]; /* index into hdrs of the first of each id; -1 */
	struct sb_sip_hdr hdrs[SB_SIP_MAX_HDRS];

	struct sb_str call_id;
	uint32_t cseq;
	enum sb_sip_method cseq_method;
	uint8_t has_content_length;
	uint32_t content_length;
	struct sb_str body;

	const char *why; /* first problem found; NULL when the message is good */
	uint16_t why_code; /* status for it: 400, or 505 when the first problem
			    * is a well-formed SIP-Version other than 2.0 */
	const char *buf, *end;
};

/* Parse [buf, end).  Returns 0, or -EBADMSG with m->why set to a short
 * human-readable reason usable as a 400 reason phrase.  On -EBADMSG the
 * parser still fills in what it could (start line, headers before and after
 * a bad line), so the caller can decide whether a response can be formed.
 * Checks: start line syntax, header syntax, Content-Length (digits, not
 * larger than the body; absent means the rest of the datagram), and the
 * mandatory Via, From, To, Call-ID and CSeq (method must match).  Also the
 * RFC 4475 §3.1.2 cases (tests/control/torture): Request-URI with a scheme,
 * no ?headers in a sip(s) one, single SPs in the request line, every Via
 * entry well-formed (no empty entry or parameter, no bare "z9hG4bK"
 * branch), From/To one name-addr/addr-spec, Contact well-formed, Date in
 * GMT.  A bad Request-URI or version still gets the headers parsed, so
 * that the 400 (505 for "SIP/x.y" other than 2.0, RFC 3261 §21.5.7) can be
 * formed. */
int sb_sip_msg_parse(struct sb_sip_msg *m, const char *buf, const char *end);

/* Value of the first header with this id; SB_STR_EMPTY when absent. */
struct sb_str sb_sip_msg_hdr(const struct sb_sip_msg *m, enum sb_sip_hdr_id id);

enum sb_sip_method sb_sip_method_parse(struct sb_str s);
const char *sb_sip_method_name(enum sb_sip_method m); /* "?" for unknown */
const char *sb_sip_hdr_name(enum sb_sip_hdr_id id);   /* canonical long form */

#endif
