/* SPDX-License-Identifier: MIT */
/*
 * sip/frame.h — where one SIP message ends in a byte stream (RFC 3261
 * §18.3): the header block ends at the first empty line, and the body is
 * exactly Content-Length bytes.  Pure and bounded: reads only [buf, buf+len).
 */
#ifndef SB_SIP_FRAME_H
#define SB_SIP_FRAME_H

#include <stdint.h>

/* Leading CRLFs (RFC 5626 keep-alives) are the caller's to skip.
 * Returns the length of the first complete message (header block + body),
 * 0 when more bytes are needed, -EBADMSG (missing or bad Content-Length;
 * *why names it, *hdr_len is the header block's length so a 400 can be
 * formed) or -EMSGSIZE (the message would exceed max). */
int sb_sip_frame(const char *buf, uint32_t len, uint32_t max, uint32_t *hdr_len,
		 const char **why);

#endif
