/* SPDX-License-Identifier: MIT */
/*
 * sip/sdp.h — the part of SDP (RFC 4566/3264) a media anchor needs: the
 * connection address, the first m=audio line (port, RTP/AVP payload types),
 * a=rtpmap, a=ptime and the direction.  Zero-copy: encoding names are slices
 * into the body, which must outlive the struct.
 */
#ifndef SB_SIP_SDP_H
#define SB_SIP_SDP_H

#include <stdint.h>

#include "buf.h"
#include "str.h"

#define SB_SDP_MAX_PT 16

enum sb_sdp_dir { SB_SDP_SENDRECV = 0, SB_SDP_SENDONLY, SB_SDP_RECVONLY, SB_SDP_INACTIVE };

struct sb_sdp_rtpmap {
	uint8_t pt;
	uint8_t channels;  /* 0 when not given */
	struct sb_str enc; /* "PCMU" */
	uint32_t rate;
};

struct sb_sdp {
	uint32_t c_ip;      /* network order; media-level c= wins over session-level */
	uint8_t has_c;
	uint8_t has_audio;
	uint16_t audio_port;
	uint8_t n_pts;
	uint8_t n_rtpmap;
	uint8_t pts[SB_SDP_MAX_PT];          /* m= order */
	struct sb_sdp_rtpmap rtpmap[SB_SDP_MAX_PT];
	uint16_t ptime;     /* 0 when absent */
	enum sb_sdp_dir dir;
};

/* Parse [buf, end).  Returns 0 or -EBADMSG with *why set.  Requires v=0,
 * an m=audio line with RTP/AVP (or RTP/AVPF/SAVP) and an IPv4 c= for it. */
int sb_sdp_parse(const char *buf, const char *end, struct sb_sdp *s, const char **why);

/* rtpmap for a payload type, or NULL. */
const struct sb_sdp_rtpmap *sb_sdp_rtpmap_find(const struct sb_sdp *s, uint8_t pt);

/* Write an SDP body with our address/port and the payload types, rtpmaps,
 * ptime and direction of codecs.  sess_id/sess_ver go to o=.  Check
 * sb_buf_ok() afterwards. */
void sb_sdp_write(struct sb_buf *b, const struct sb_sdp *codecs, uint32_t ip_be, uint16_t port,
		  uint64_t sess_id, uint64_t sess_ver);

#endif
