/* SPDX-License-Identifier: MIT */
/*
 * b2bua/overload.c — 503 above max_cps / max_calls, per-source bans,
 * scanner user agents (overload.h says what and why).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call.h"
#include "b2bua/call_priv.h"
#include "b2bua/cp.h"
#include "b2bua/overload.h"
#include "log.h"
#include "sip/hdr.h"

static bool ua_is_scanner(const struct sb_cfg_overload *o, struct sb_str ua)
{
	for (unsigned i = 0; i < o->n_scanners; i++) {
		const char *s = o->scanners[i];
		uint32_t n = (uint32_t)strlen(s);

		for (uint32_t at = 0; n && at + n <= ua.len; at++) {
			uint32_t j = 0;

			while (j < n && tolower((unsigned char)ua.p[at + j]) ==
					tolower((unsigned char)s[j]))
				j++;
			if (j == n)
				return true;
		}
	}
	return false;
}

/* The slot for ip: its own, a free one, or the least recently seen
 * unbanned one in the probe (evicted).  NULL when every probed entry is
 * banned: the request is then let through uncounted. */
static struct sb_ovl_src *src_slot(struct sb_ovl *ov, uint32_t ip, uint64_t now)
{
	uint32_t h = (ip * 2654435761u) >> 16;
	struct sb_ovl_src *free_e = NULL, *old = NULL, *victim;

	for (unsigned i = 0; i < SB_OVL_PROBE; i++) {
		struct sb_ovl_src *e = &ov->src[(h + i) & (SB_OVL_SRC_SLOTS - 1)];

		if (e->ip == ip)
			return e;
		if (e->ip == 0) {
			if (free_e == NULL)
				free_e = e;
		} else if (e->banned_until_ms <= now && (old == NULL || e->seen_ms < old->seen_ms)) {
			old = e;
		}
	}
	victim = free_e ? free_e : old;
	if (victim == NULL)
		return NULL;
	if (victim->ip != 0)
		ov->cnt.src_evicted++;
	*victim = (struct sb_ovl_src){ .ip = ip, .win_ms = now };
	return victim;
}

/* In a live call's dialog (or cancelling its INVITE): never counted, never
 * dropped, so a call can always be ended. */
static bool in_live_call(struct sb_cp *cp, const struct sb_sip_msg *m)
{
	enum call_side side;

	if (m->method != SB_SIP_CANCEL && sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_TO)).len == 0)
		return false;
	return cp->calls && calltab_find(cp, m->call_id, &side) != NULL;
}

bool sb_ovl_admit(struct sb_cp *cp, const struct sb_sip_msg *m, const struct sb_sip_addr *src)
{
	const struct sb_cfg_overload *o = &cp->cfg->overload;
	struct sb_ovl *ov = &cp->ovl;
	struct sb_ovl_src *e;
	const uint8_t *ipb;
	uint64_t now;

	if (!m->is_request)
		return true;
	if (o->n_scanners && ua_is_scanner(o, sb_sip_msg_hdr(m, SB_HDR_USER_AGENT))) {
		ov->cnt.drop_scanner++;
		return false;
	}
	if (o->source_rps == 0 || in_live_call(cp, m))
		return true;
	now = sb_loop_now_ms(cp->loop);
	e = src_slot(ov, src->ip, now);
	if (e == NULL)
		return true;
	e->seen_ms = now;
	if (e->banned_until_ms > now) {
		ov->cnt.drop_banned++;
		return false;
	}
	if (now - e->win_ms >= 1000) {
		e->win_ms = now;
		e->count = 0;
	}
	if (++e->count <= o->source_rps)
		return true;
	e->banned_until_ms = now + (uint64_t)o->ban_s * 1000u;
	e->count = 0;
	ov->cnt.bans++;
	ov->cnt.drop_banned++;
	/* once per ban, not per packet */
	ipb = (const uint8_t *)&src->ip; /* network order: a.b.c.d in memory */
	sb_info("overload: %u.%u.%u.%u sent more than %u requests in a second: banned for %u s",
		ipb[0], ipb[1], ipb[2], ipb[3], o->source_rps, o->ban_s);
	return false;
}

bool sb_ovl_reject_invite(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			  const struct sb_sip_addr *src)
{
	const struct sb_cfg_overload *o = &cp->cfg->overload;
	struct sb_ovl *ov = &cp->ovl;
	char hdr[48];
	uint32_t ra;

	if (o->max_calls && sb_calls_active(cp->calls) >= o->max_calls) {
		ov->cnt.rej_calls++;
	} else if (o->max_cps) {
		uint64_t now = sb_loop_now_ms(cp->loop), cap = (uint64_t)o->max_cps * 1000u;

		/* refill max_cps per second, in milli-calls; burst = one second */
		if (!ov->started) {
			ov->started = true;
			ov->tokens_mc = cap;
		} else {
			ov->tokens_mc += (now - ov->last_ms) * o->max_cps;
			if (ov->tokens_mc > cap)
				ov->tokens_mc = cap;
		}
		ov->last_ms = now;
		if (ov->tokens_mc >= 1000) {
			ov->tokens_mc -= 1000;
			return false;
		}
		ov->cnt.rej_cps++;
	} else {
		return false;
	}
	/* base..2*base: refused callers do not all come back in the same second */
	ra = o->retry_after_s + (uint32_t)(sb_rand_next(&cp->rnd) % (o->retry_after_s + 1u));
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", ra);
	sb_cp_reply(cp, m, sock, src, 503, "Service Unavailable", hdr);
	return true;
}

void sb_ovl_log_counters(const struct sb_cp *cp)
{
	const struct sb_ovl_cnt *c = &cp->ovl.cnt;

	sb_info("overload: %llu INVITEs refused above max_cps, %llu at max_calls; %llu sources "
		"banned, %llu requests dropped from banned sources, %llu from scanners; "
		"%llu source entries evicted",
		(unsigned long long)c->rej_cps, (unsigned long long)c->rej_calls,
		(unsigned long long)c->bans, (unsigned long long)c->drop_banned,
		(unsigned long long)c->drop_scanner, (unsigned long long)c->src_evicted);
}
