/* SPDX-License-Identifier: MIT */
/*
 * config.h — sb-control's YAML configuration, validated and turned into
 * plain structs (no strings are looked up again after loading, except agent
 * users and hotline numbers that SIP carries as text).
 *
 *   instance: demo
 *   sip:
 *     listen: [192.0.2.1:5060, 198.51.100.1:5060]
 *     ring_timeout: 30          # optional, seconds
 *     t1_ms: 500                # RFC 3261 timers T1, T2, T4 (optional)
 *     t2_ms: 4000
 *     t4_ms: 5000
 *     tcp: true                 # also TCP on every listen address (default)
 *     tcp_max_connections: 1024
 *     tcp_idle_timeout: 3700    # seconds (default: above the longest registration)
 *     session_expires: 1800     # RFC 4028 session interval we ask for, seconds
 *                               # (default 1800; 0 = no session timers)
 *     min_se: 90                # smallest interval accepted (422 below), default 90;
 *                               # RFC 4028 wants >= 90: smaller values are for tests
 *     options_interval: 30      # OPTIONS keep-alive to every registered contact,
 *                               # seconds (default 0 = off)
 *     options_failures: 3       # that many unanswered in a row: contact dropped
 *     overload:                 # optional (b2bua/overload.h)
 *       max_cps: 50             # new INVITEs per second, then 503 (default 0 = no limit)
 *       max_calls: 5000         # concurrent calls, then 503 (default 0 = the table's)
 *       retry_after: 5          # 503 Retry-After base..2*base seconds (default 5)
 *       source_rps: 100         # requests per second from one IP (default 0 = no limit)
 *       ban_seconds: 60         # ... above it: dropped silently that long (default 60)
 *       scanners: [friendly-scanner, sipvicious, sipcli, VaxSIPUserAgent]
 *                               # User-Agent substrings (any case) dropped silently;
 *                               # default this list, [] = none
 *   store:
 *     sqlite: /tmp/sb/switchboard.db
 *   auth:                       # optional; digest for agents (sip/auth.h)
 *     realm: switchboard        # default "switchboard"
 *     nonce_ttl: 300            # seconds, 1..300 (default 300)
 *     algorithms: [SHA-256, MD5] # challenge order (default both, SHA-256 first)
 *     md5_without_qop: false    # accept RFC 2069 MD5 (old phones); default false
 *   registrar:                  # optional
 *     min_expires: 60           # shorter non-zero expiry: 423 (default 60)
 *     max_expires: 3600         # longer: capped (default 3600)
 *     default_expires: 3600     # no Expires at all (default 3600)
 *     max_contacts: 4           # bindings per agent, 1..16 (default 4)
 *   media:                      # optional
 *     timeout: 60               # seconds without media before a call is
 *                               # hung up, 1..86400 (default: the dataplane's, 60)
 *     backend: dpdk             # dpdk (default): sb-dataplane; kernel: sb_relay.ko
 *                               # carries every call (media/kernel.h); the rule
 *                               # for later: calls that need recording, mixing
 *                               # or transcoding go to the DPDK backend
 *     address: 192.0.2.1        # kernel only, required: local address for media
 *     port_min: 20000           # kernel only: RTP/RTCP ports (default 20000..29999)
 *     port_max: 29999
 *     poll_ms: 1000             # kernel only: how often events are looked for
 *     codecs: [PCMU, PCMA, opus, telephone-event]  # SDP preference order (default
 *                               # this); telephone-event listed = DTMF allowed
 *     transcode: false          # true (DPDK backend): offer agents every codec
 *                               # above, not only the caller's; when the two end up
 *                               # with none in common the dataplane transcodes
 *     opus_complexity: 5        # Opus encoder complexity 0..10 on the dataplane
 *                               # (default: the dataplane's, 5); lower = more
 *                               # transcoded legs per core, less quality
 *   prompts:                    # optional: name -> WAV on the dataplane's host
 *     moh: /var/lib/switchboard/moh.wav    # (absolute; loaded at attach/restart)
 *     num-0: /var/lib/switchboard/num/0.wav  # spoken numbers: num-N is N's own file
 *                               # (N < 100), else N digit by digit with num-0..num-9
 *   skills: [billing, french]   # optional: skill names (ids in this order, then
 *                               # those agents name first); at most 32
 *   supervision:                # optional (b2bua/supervise.h); defaults shown
 *     listen: "*51"             # dial *51agent1: listen to agent1's call
 *     whisper: "*52"            # coach agent1 (the caller hears nothing)
 *     barge: "*53"              # three-way; DTMF 4/5/6 switch modes during it
 *     supervisors: [boss]       # or `supervisor: true` on the agent
 *   agents:
 *     - user: agent1
 *       password: secret
 *       srtp: false             # true: offered RTP/SAVP + our SDES key (DPDK)
 *       supervisor: false       # true: may dial the supervision codes
 *       tenant: acme            # optional (default "default"): API visibility
 *       wrap_up: 10             # seconds after each call; default: the queue's
 *       max_noanswer: 3         # unanswered offers in a row -> paused with
 *                               # reason "noanswer" (default 0 = never)
 *       noanswer_delay: 5       # seconds before it is offered again after
 *       reject_delay: 5         # not answering / answering 603 / answering
 *       busy_delay: 5           # 486 or 600 (defaults 5 s each)
 *       skills: {billing: 5, french: 3}  # skill: level 1..255 (skills-based routing)
 *     - user: agent2            # or precomputed H(user:realm:password), hex:
 *       ha1_md5: 0123...        #   32 digits, and/or
 *       ha1_sha256: 0123...     #   64 digits (only valid for the realm above)
 *   queues:                     # optional: the distribution engine (acd/acd.h)
 *     - name: support
 *       strategy: longest-idle  # ring-all (every free member at once, first 2xx wins),
 *                               # longest-idle, round-robin, fewest-calls,
 *                               # least-talk-time, random, linear (default)
 *       members: [agent1, agent2]  # agent users, join order (ties, linear)
 *       ring_timeout: 15        # seconds an offer rings (default: sip ring_timeout)
 *       wrap_up: 5              # seconds after a call before the next (default 0)
 *       max_len: 10             # callers waiting or ringing (default 0 = unlimited)
 *       max_wait: 300           # seconds (default 0 = unlimited) ...
 *       overflow: other         # ... then (and when full) to this queue, else 480
 *       moh: moh                # a prompt looped to waiting callers (DPDK backend)
 *       early_media: true       # 183 + SDP at once: music and announcements before
 *                               # any answer, the 200 (same SDP) when an agent
 *                               # answers (default false; b2bua/early.c)
 *       join_empty: false       # join with no member registered (default true)
 *       leave_empty: false      # waiting callers leave when the last member
 *                               # unregisters (default false)
 *       tenant: acme            # optional (default "default"): API visibility
 *       priority_header: X-Priority  # caller priority 0..255 from this header of
 *                               # the INVITE (higher first; default: none)
 *       service_level: 20       # seconds: answered within it count for the
 *                               # service level figures (default 20)
 *       short_abandon: 5        # seconds: abandons quicker than this are
 *                               # "short" (default 5)
 *       skills: {billing: 4}    # only members with these minimum levels (up to 4
 *                               # skills; each declared in `skills:` or held by an agent)
 *       steps:                  # ... widening as the caller waits (seconds, increasing):
 *         - {after: 20, level: 2}   # every minimum lowered to (at most) 2; or drop: N
 *         - {after: 60, any: true}  # then any member (last)
 *       announce_every: 30      # seconds: "you are number N", "estimated wait M minutes"
 *       announce_position: you-are  # prompts: before the position,
 *       announce_wait: wait         # before the minutes,
 *       announce_minutes: minutes   # after them (numbers: prompts num-N, see prompts:)
 *       comfort: comfort        # a prompt every comfort_every seconds
 *       comfort_every: 45
 *       aht: 180                # seconds: handle time for the Erlang C estimate
 *                               # before the queue has any (default 180)
 *       transfer_priority: 5    # a caller an agent transfers into this queue (REFER
 *                               # or *2 to its hotline or its name) waits with at
 *                               # least this priority (0..255, default 0; a higher
 *                               # one of its own is kept; b2bua/xfer.c)
 *       callback_digit: "5"     # a waiting caller presses it to leave and be
 *                               # called back: the place is kept (b2bua/queue.c);
 *                               # dialled back through `outbound:` (without one
 *                               # a due callback fails with reason 501)
 *       callback_mode: agent-first  # agent-first (default): the free agent is rung,
 *                               # hears the queue's moh while the customer is
 *                               # dialled; customer-first: the customer is dialled,
 *                               # hears moh while the reserved agent is rung
 *                               # (b2bua/callback.c)
 *       callback_retries: 2     # customer no answer/busy/failure: tried again
 *                               # this many times (0..10, default 2), ...
 *       callback_retry_after: 60  # ... seconds later (1..86400, default 60), the
 *                               # place keeping its first entry and priority
 *       callback_ring_timeout: 30 # seconds the customer's phone rings (default:
 *                               # the queue's ring_timeout)
 *   outbound:                   # optional: an outside SIP trunk (b2bua/callback.c):
 *     proxy: 192.0.2.50:5060    # required; INVITEs to outside numbers are sent here
 *                               # (UDP) with Request-URI sip:NUMBER@192.0.2.50:5060
 *     from_user: "800100"       # From user of those INVITEs (default: the instance)
 *     prefix: "0"               # put before every dialled number (default none)
 *                               # Used by callbacks and by transfers (REFER, IVR
 *                               # `transfer N`, consultation *2 N #) to a number
 *                               # that is neither an agent nor a hotline.
 *   hotlines:
 *     - number: "800100"
 *       agents: [agent1, agent2]  # first registered idle agent, else 480 (as before)
 *       tenant: acme            # optional (default "default"): API visibility
 *     - number: "800200"
 *       queue: support          # or: the caller waits in that queue
 *     - number: "800300"
 *       ivr: main               # or: an IVR menu first (ivrs: below)
 *       priority: 5             # callers of this number: priority 0..255
 *                               # (default 0; a priority_header overrides it)
 *   hours:                      # business hours (config_ivr.c has the details)
 *     office:
 *       utc_offset: "+01:00"   # or time_zone: Europe/Paris (with DST)
 *       open: [{days: mon-fri, times: ["09:00-17:00"]}]
 *       holidays: ["2026-12-25"]
 *       tenant: acme            # optional (default "default"): API visibility
 *   ivrs:                       # IVR menus by name (b2bua/ivr.h, config_ivr.c)
 *     main:
 *       prompt: welcome         # a name from prompts:
 *       hours: office           # closed: this action instead
 *       closed: menu closed
 *       options: {"1": queue support, "2": menu billing, "0": agent agent1,
 *                 "9": repeat, "#": hangup}   # also: transfer NUMBER (a hotline; else,
 *                               # with `outbound:`, an outside number dialled there)
 *   feature_codes:              # dialled by a registered agent (b2bua/queue.c);
 *     login: "*20"              # these are the defaults; answered without media
 *     logout: "*21"             # by a final response (200 is impossible without
 *     pause: "*22"              # an SDP answer): 480 + Reason cause=200 = done,
 *     unpause: "*23"            # 403 = not allowed now (404: no such code).
 *                               # pause takes a reason code: *22<digits>
 *     consult: "*2"             # in-call codes (b2bua/consult.h), "" = off
 *     conference: "*3"          # (the default: all four off): *2 TARGET #,
 *     complete: "*4"            # three-way, attended transfer, cancel
 *     cancel: "*5"
 *     agent_hangup: complete    # or end: the agent's BYE during a consultation
 *   recording:                  # optional (issue 7); hotlines and queues say
 *     dir: /var/spool/sb/rec    # `record: true` (calls recorded from answer to
 *     format: g711              # hang-up, transfers included: same file):
 *                               # g711 (wav-g711), pcm16 (wav-pcm16), wav-mono,
 *                               # ogg-opus, ogg-opus-mono, pcap (pcapng)
 *     mask_dtmf: false          # silence DTMF digits (RFC 4733, in-band); not pcap
 *     supervisor: false         # a whispering/barging supervisor in the file too
 *                               # (summed into the agent's side; pcap: interface 2)
 *     segment_s: 60             # durability segment (dataplane default if unset)
 *     retention_days: 90        # every tenant not listed below (0 = forever)
 *     retention: {acme: 30}     # per tenant, days
 *     sweep_s: 3600             # how often expired recordings are deleted
 *   limits:                     # optional: room for objects the API adds at run
 *     agents: 300               # time (api/objects.c); default: the file's count
 *     queues: 100               # + 256 agents, + 64 queues, + 256 hotlines,
 *     hotlines: 300             # + 64 IVR menus, + 32 hours sets
 *     ivrs: 100
 *     hours: 40
 *   tenants: [acme, other]      # optional: then every object names one of these or
 *                               # "default"; admin tokens add/delete them at run
 *                               # time; a token of an unlisted tenant creates nothing
 *   api:                        # optional: HTTP/JSON API (api/api.h)
 *     listen: 127.0.0.1:8080
 *     tokens:
 *       - token: s3cret
 *         tenant: default
 *         admin: true           # may create and delete tenants (default false)
 *
 * After sb_config_load() only the loop thread changes it, and only agents,
 * queues, hotlines, IVR menus and hours sets in place through the API (store/ccobj.h: added in
 * reserved slots, replaced in theirs, deleted ones marked; no index
 * moves); the rest is fixed until a restart.
 */
#ifndef SB_CP_CONFIG_H
#define SB_CP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/codec.h"
#include "sip/auth.h"
#include "sip/tx.h"

#define SB_CFG_NAME_MAX 64
#define SB_CFG_HOTLINE_AGENTS 32

#define SB_CFG_WRAPUP_QUEUE UINT32_MAX

/* skills-based routing (acd/acd.h: the same limits, checked in queue.c) */
#define SB_CFG_SKILLS 32         /* skill ids 0..31 = SB_ACD_NSKILLS */
#define SB_CFG_SKILL_REQ 4       /* skills one queue requires = SB_ACD_MAX_REQ */
#define SB_CFG_SKILL_STEPS 4     /* = SB_ACD_MAX_STEPS */

/* What a queue asks of its agents' skills, and how that widens as a caller
 * waits: after steps[i].after_ms every minimum level is lowered by
 * steps[i].drop (the largest one earned), after any_after_ms (0 = never)
 * every member qualifies. */
struct sb_cfg_skills {
	unsigned n_req;
	struct { uint8_t skill, level; } req[SB_CFG_SKILL_REQ]; /* level 1..255 */
	unsigned n_steps;        /* increasing after_ms */
	struct { uint32_t after_ms; uint8_t drop; } steps[SB_CFG_SKILL_STEPS];
	uint32_t any_after_ms;
};

struct sb_cfg_agent {
	char user[SB_CFG_NAME_MAX];
	char password[128];      /* "" = none */
	char ha1_md5[33];        /* lower-case hex; "" = none */
	char ha1_sha256[65];     /* lower-case hex; "" = none */
	char tenant[SB_CFG_NAME_MAX]; /* "default" unless set */
	uint32_t wrapup_ms;      /* SB_CFG_WRAPUP_QUEUE: the queue's */
	uint32_t max_noanswer;   /* 0 = never auto-paused */
	uint32_t noanswer_delay_ms, reject_delay_ms, busy_delay_ms;
	bool supervisor;         /* may listen/whisper/barge (b2bua/supervise.h) */
	bool srtp;               /* offered RTP/SAVP with our SDES key (DPDK backend) */
	uint8_t skills[SB_CFG_SKILLS]; /* level per skill id (sb_config.skills); 0 = lacks it */
	bool deleted;            /* removed at run time (api/objects.c): lookups skip it */
};

#define SB_CFG_MAX_CONTACTS 16

enum sb_cfg_media_backend { SB_CFG_MEDIA_DPDK = 0, SB_CFG_MEDIA_KERNEL = 1 };
#define SB_CFG_OPUS_COMPLEXITY_DP 0xffu /* media: opus_complexity unset (LEG_MEDIA's 0xff) */

struct sb_cfg_registrar {
	uint32_t min_expires_s, max_expires_s, default_expires_s;
	unsigned max_contacts;   /* 1..SB_CFG_MAX_CONTACTS */
};

#define SB_CFG_QUEUE_MEMBERS 64

/* strategy: enum sb_acd_strategy (acd/acd.h); times in milliseconds */
struct sb_cfg_queue {
	char name[SB_CFG_NAME_MAX];
	unsigned strategy;
	uint32_t ring_ms, wrapup_ms, max_len, max_wait_ms;
	int overflow;            /* queue index, -1 none */
	bool join_empty, leave_empty;
	char tenant[SB_CFG_NAME_MAX];    /* "default" unless set */
	char priority_header[SB_CFG_NAME_MAX]; /* "" = none */
	uint32_t sl_ms;          /* service level threshold */
	int moh;                 /* prompt index played (loop) while waiting; -1 none */
	uint32_t short_abandon_ms;
	bool record;             /* record every answered call (recording:) */
	bool early_media;        /* 183 with our answer while waiting (b2bua/early.c) */
	uint8_t transfer_priority; /* a caller an agent transferred in: at least this */
	unsigned n_members;
	uint16_t members[SB_CFG_QUEUE_MEMBERS]; /* indexes into sb_config.agents */
	struct sb_cfg_skills skills; /* n_req 0: every member qualifies */
	/* while waiting (b2bua/queue.c): every announce_every_ms "you are
	 * number N" (ann_position, the number) and "estimated wait M
	 * (ann_wait, the number, ann_minutes)", music on hold paused for it;
	 * every comfort_every_ms the comfort prompt.  Prompt indexes, -1 none;
	 * 0 ms = off.  Numbers: sb_config.num_prompt. */
	uint32_t announce_every_ms, comfort_every_ms;
	int ann_position, ann_wait, ann_minutes, comfort;
	uint32_t aht_ms;         /* handle time for Erlang C before any history */
	char callback_digit;     /* '0'-'9', '*', '#'; '\0' = no callbacks */
	bool deleted;            /* removed at run time (api/objects.c): lookups skip it */
	bool callback_customer_first; /* callback_mode (b2bua/callback.c) */
	uint32_t callback_retries;
	uint32_t callback_retry_ms, callback_ring_ms;
};

/* outbound: the trunk to outside numbers; on = configured */
struct sb_cfg_outbound {
	bool on;
	struct sb_sip_addr proxy;
	char from_user[SB_CFG_NAME_MAX];
	char prefix[16];
};

struct sb_cfg_hotline {
	char number[SB_CFG_NAME_MAX];
	int queue;               /* `queue:` index into sb_config.queues; -1: agents list */
	int ivr;                 /* `ivr:` entry menu (sb_config.ivr_menus); -1 none */
	uint8_t priority;        /* queue callers' priority */
	bool record;             /* record every answered call (recording:) */
	unsigned n_agents;
	uint16_t agents[SB_CFG_HOTLINE_AGENTS]; /* indexes into sb_config.agents */
	char tenant[SB_CFG_NAME_MAX]; /* "default" unless set: API visibility */
	bool deleted;            /* removed at run time (api/objects.c): lookups skip it */
};

/* IVR (config_ivr.c parses, b2bua/ivr.c runs it): menus as a graph of
 * indexes, business hours as minute ranges; nothing is looked up by name
 * at run time.  An action: what a digit, a timeout, too many retries or
 * closed hours do. */
enum sb_cfg_ivr_act_type {
	SB_IVR_ACT_NONE = 0,     /* (a digit with no option: invalid input) */
	SB_IVR_ACT_QUEUE,        /* arg: queue index */
	SB_IVR_ACT_MENU,         /* arg: menu index (the retry count starts again) */
	SB_IVR_ACT_REPEAT,       /* the current menu's prompt again */
	SB_IVR_ACT_NUMBER,       /* transfer: arg = hotline index, routed as a call to it */
	SB_IVR_ACT_AGENT,        /* transfer: arg = agent index (registered, free) */
	SB_IVR_ACT_HANGUP,       /* BYE */
	SB_IVR_ACT_OUTSIDE,      /* transfer to an outside number through `outbound:`:
				  * arg = index into sb_config.outside */
};
struct sb_cfg_ivr_act {
	uint8_t type;            /* enum sb_cfg_ivr_act_type */
	uint16_t arg;
};
#define SB_CFG_IVR_KEYS 12       /* 0-9, '*' (10), '#' (11): sb_cfg_ivr_key() */
struct sb_cfg_ivr_menu {
	char name[SB_CFG_NAME_MAX];
	char tenant[SB_CFG_NAME_MAX]; /* "default" unless set: API visibility */
	int16_t prompt, invalid; /* prompt indexes; -1 none */
	int16_t hours;           /* sb_config.hours index checked on entry; -1 always open */
	uint8_t retries;         /* failed tries (timeout, invalid) before giving up */
	uint32_t timeout_ms;     /* after the prompt ends; 0 = at once */
	struct sb_cfg_ivr_act key[SB_CFG_IVR_KEYS];
	struct sb_cfg_ivr_act on_timeout, on_max_retries, closed;
	bool deleted;            /* removed at run time (api/objects.c): lookups skip it */
};
#define SB_CFG_HOURS_RULES 16
struct sb_tz;
#define SB_CFG_HOURS_HOLIDAYS 64
struct sb_cfg_hours {
	char name[SB_CFG_NAME_MAX];
	int32_t utc_offset_s;    /* local time = UTC + this (no DST rules) */
	struct sb_tz *tz;        /* time_zone: (control/tz.h) instead; NULL none */
	unsigned n_rules, n_holidays;
	struct {
		uint8_t days;        /* bit 0 = Monday .. bit 6 = Sunday */
		uint16_t from_min, to_min; /* local minutes of the day, from < to <= 1440 */
	} rule[SB_CFG_HOURS_RULES];
	int32_t holiday[SB_CFG_HOURS_HOLIDAYS]; /* local days since 1970-01-01 */
	char tenant[SB_CFG_NAME_MAX]; /* "default" unless set: API visibility */
	bool deleted;            /* removed at run time (api/objects.c): lookups skip it */
};

#define SB_CFG_MAX_SCANNERS 16
#define SB_CFG_API_TOKENS 32
#define SB_CFG_FC_LEN 16

/* feature codes dialled from an agent phone ("" = off); consult ..
 * cancel are keyed during a call (b2bua/consult.h, off by default) */
struct sb_cfg_fcodes {
	char login[SB_CFG_FC_LEN], logout[SB_CFG_FC_LEN], pause[SB_CFG_FC_LEN],
	     unpause[SB_CFG_FC_LEN];
	char consult[SB_CFG_FC_LEN], conference[SB_CFG_FC_LEN], complete[SB_CFG_FC_LEN],
	     cancel[SB_CFG_FC_LEN];
	bool hangup_ends;        /* agent_hangup: end (default complete) */
};

struct sb_cfg_api {
	bool enabled;
	char addr[48];           /* IPv4 literal */
	uint16_t port;
	unsigned n_tokens;
	struct {
		char token[128];
		char tenant[SB_CFG_NAME_MAX];
		bool admin;      /* may create and delete tenants (api/objects.c) */
	} tokens[SB_CFG_API_TOKENS];
};

struct sb_cfg_overload {
	uint32_t max_cps;        /* 0 = no limit */
	uint32_t max_calls;      /* 0 = no limit but the call table's */
	uint32_t retry_after_s;  /* 1..3600 */
	uint32_t source_rps;     /* 0 = no per-source limit */
	uint32_t ban_s;          /* 1..86400 */
	unsigned n_scanners;
	char scanners[SB_CFG_MAX_SCANNERS][48];
};

#define SB_CFG_PROMPTS_MAX 64

/* prompts: the dataplane loads each (prompt id = index) at attach and
 * after a restart. */
struct sb_cfg_prompt {
	char name[SB_CFG_NAME_MAX];
	char path[96];           /* absolute; SB_PROMPT_PATH_MAX of the dataplane ABI */
};

/* supervision: feature-code prefixes (digits, * and #) followed by the
 * supervised agent's user; supervisors: agents with `supervisor: true`
 * or listed in `supervisors:`. */
struct sb_cfg_supervision {
	char listen[16], whisper[16], barge[16]; /* default *51, *52, *53 */
};

#define SB_CFG_RETENTION_MAX 64

struct sb_cfg_retention {
	char tenant[SB_CFG_NAME_MAX];
	uint32_t days;           /* 0 = keep forever */
};

/* recording: files under dir (= sb-dataplane --rec-dir); retention
 * sweeps every sweep_s. */
struct sb_cfg_recording {
	char dir[160];           /* "" = not configured (no retention sweeps) */
	bool pcm16;              /* format is SB_MEDIA_REC_PCM16 (kept for older readers) */
	uint8_t format;          /* enum sb_media_rec_fmt (= sb_dp_rec_fmt); default stereo G.711 */
	bool mask_dtmf;          /* silence DTMF digits in the recording */
	bool supervisor;         /* tap a whispering/barging supervisor's leg too */
	uint32_t segment_s;      /* 0 = the dataplane's default */
	uint32_t retention_days; /* tenants not listed; 0 = keep forever */
	uint32_t sweep_s;        /* default 3600 */
	unsigned n_tenants;
	struct sb_cfg_retention tenants[SB_CFG_RETENTION_MAX];
};

/* tenants: the names API tokens and objects use.  None listed: any name
 * goes (as before); listed: every object names one of them or "default"
 * (always there), and a token's PUTs need its tenant listed.  The API adds
 * and deletes them (admin tokens). */
#define SB_CFG_TENANTS 256
struct sb_cfg_tenant {
	char name[SB_CFG_NAME_MAX];
	bool deleted;
};

struct sb_config {
	char instance[48];
	unsigned n_tenants;        /* 0: no `tenants:` list, any name goes */
	struct sb_cfg_tenant tenants[SB_CFG_TENANTS];
	unsigned n_listen;
	struct sb_sip_addr listen[SB_SIP_MAX_SOCKS];
	uint32_t ring_timeout_s;
	uint32_t t1_ms, t2_ms, t4_ms;
	bool tcp;
	uint32_t tcp_max_conns, tcp_idle_s;
	uint32_t session_expires_s, min_se_s; /* RFC 4028; 0 = no session timers */
	uint32_t options_interval_s;          /* keep-alive; 0 = off */
	uint32_t options_failures;
	struct sb_cfg_overload overload;
	char sqlite[256]; /* "" = no store */
	unsigned n_skills;         /* skill id = index: `skills:`, then first use */
	char skills[SB_CFG_SKILLS][SB_CFG_NAME_MAX];
	/* agents, queues, hotlines: n_* used (deleted slots included), cap_*
	 * allocated (`limits:`); the API adds at index n_* so that no index
	 * held by a call, the registrar or the engine ever moves */
	unsigned n_agents, cap_agents;
	struct sb_cfg_agent *agents;
	unsigned n_queues, cap_queues;
	struct sb_cfg_queue *queues;
	unsigned n_hotlines, cap_hotlines;
	struct sb_cfg_hotline *hotlines;
	unsigned n_ivr_menus, n_hours;           /* ivrs:, hours: (config_ivr.c) */
	unsigned cap_ivr_menus, cap_hours;       /* allocated (`limits:`), as above */
	struct sb_cfg_ivr_menu *ivr_menus;
	struct sb_cfg_hours *hours;
	struct sb_auth_cfg auth;
	struct sb_cfg_registrar registrar;
	uint32_t media_timeout_s;  /* 0 = the dataplane's default */
	enum sb_cfg_media_backend media_backend;
	uint32_t media_ip;         /* kernel: network order */
	uint16_t media_port_min, media_port_max; /* kernel: inclusive */
	uint32_t media_poll_ms;    /* kernel: 0 = its default */
	unsigned n_media_codecs;   /* 0 = the default list (sip/sdp_oa.h) */
	uint8_t media_codecs[SB_CODEC_N]; /* enum sb_codec, preference order */
	bool media_transcode;      /* offer agents every codec we have; transcode (DPDK) */
	uint8_t media_opus_complexity; /* Opus encoder 0..10 on the DPDK workers;
					* SB_CFG_OPUS_COMPLEXITY_DP = the dataplane's */
	unsigned n_prompts;
	struct sb_cfg_prompt prompts[SB_CFG_PROMPTS_MAX];
	/* spoken numbers: prompt "num-N" for N < SB_CFG_NUM_PROMPTS when there
	 * is one, else N digit by digit with "num-0".."num-9"; -1 = none */
#define SB_CFG_NUM_PROMPTS 100
	int16_t num_prompt[SB_CFG_NUM_PROMPTS];
	struct sb_cfg_supervision supervision;
	struct sb_cfg_fcodes fcodes;
	struct sb_cfg_api api;
	struct sb_cfg_recording recording;
	struct sb_cfg_outbound outbound;
	/* IVR `transfer NUMBER` where NUMBER is no hotline and a trunk is
	 * configured: the numbers dialled through it (config_ivr.c) */
#define SB_CFG_OUTSIDE_MAX 32
	unsigned n_outside;
	char outside[SB_CFG_OUTSIDE_MAX][32];
};

/* Load and validate.  Returns 0, or -EINVAL with err = "FILE:LINE: message"
 * (the line of the offending key or value), or -errno when the file cannot
 * be opened.  On error nothing needs freeing. */
int sb_config_load(struct sb_config *c, const char *path, char *err, size_t err_len);
void sb_config_free(struct sb_config *c);

/* Index or -1. */
int sb_config_agent_find(const struct sb_config *c, const char *user, size_t len);
int sb_config_hotline_find(const struct sb_config *c, const char *number, size_t len);
int sb_config_queue_find(const struct sb_config *c, const char *name, size_t len);
int sb_config_prompt_find(const struct sb_config *c, const char *name, size_t len);
int sb_config_ivr_find(const struct sb_config *c, const char *name, size_t len);

/* IVR key index of a DTMF digit ('0'-'9', '*', '#'), -1 for others. */
int sb_cfg_ivr_key(char digit);
/* Is h open at unix time now_s (seconds, UTC)?  Holidays are closed all
 * day; otherwise open when a rule covers the local weekday and minute. */
bool sb_cfg_hours_open(const struct sb_cfg_hours *h, int64_t now_s);
/* The clock business hours are checked against (IVR, API open_now): UTC
 * seconds.  A test hook: with SB_TEST_HOURS_AT=<unix seconds> in the
 * environment, this clock starts at that instant (then advances with the
 * real one), so that a real sb-control can be run "in July". */
int64_t sb_cfg_hours_now(void);
int sb_config_skill_find(const struct sb_config *c, const char *name, size_t len);

/* One object of agents:, queues: or hotlines: alone (the API's PUT body,
 * JSON or YAML: a mapping with that entry's fields), checked with the
 * file's own parsers against c for cross-references (members, overflow,
 * skills, prompts, menus).  name: the user/name/number (the body may omit
 * it; if it gives one it must be this); tenant: used when the body names
 * none.  An object of that name already in c is being replaced (not a
 * duplicate).  0 with *out filled (out->n_skills/skills: c's skill table
 * with the ones a new agent brings), or -EINVAL with err = the message and
 * field = the key's path in the body ("strategy", "skills.billing"; ""
 * for the object as a whole), or -ENOMEM. */
enum sb_cfg_kind { SB_CFG_AGENT, SB_CFG_QUEUE, SB_CFG_HOTLINE,
		   SB_CFG_HOURS, SB_CFG_IVR /* config_ivr.c: sb_config_ivr_object_parse */ };
struct sb_cfg_object {
	union {
		struct sb_cfg_agent agent;
		struct sb_cfg_queue queue;
		struct sb_cfg_hotline hotline;
	} u;
	unsigned n_skills;
	char skills[SB_CFG_SKILLS][SB_CFG_NAME_MAX];
};
int sb_config_object_parse(const struct sb_config *c, enum sb_cfg_kind kind, const char *name,
			   const char *tenant, const char *text, size_t len,
			   struct sb_cfg_object *out, char *err, size_t err_len, char *field,
			   size_t field_len);
/* tenants: index of a listed (not deleted) tenant, or -1; _ok: may an
 * object or token name it ("default" always; anything without a list). */
int sb_config_tenant_find(const struct sb_config *c, const char *name);
bool sb_config_tenant_ok(const struct sb_config *c, const char *name);
/* A tenant name: 1..63 letters, digits, '-', '_', '.' */
bool sb_config_tenant_name_ok(const char *name);

/* One IVR menu (ivrs: NAME's fields; kind SB_CFG_IVR) or one hours set
 * (hours: NAME's fields; SB_CFG_HOURS) alone, as sb_config_object_parse
 * does for the others (config_ivr.c): checked by the file's own parsers
 * against c (prompts, queues, agents, hotlines, hours, menus; the menu may
 * name itself).  tenant: used when the body names none.  0 with *out
 * filled (a menu's `transfer` to an outside number: out->outside is c's
 * table with the ones it adds, n_outside its length; hours: out->u.hours.tz
 * is the caller's to free unless committed), or -EINVAL with err and field
 * ("options.1", "open.0.times.1"), or -ENOMEM. */
struct sb_cfg_ivr_object {
	union {
		struct sb_cfg_ivr_menu menu;
		struct sb_cfg_hours hours;
	} u;
	unsigned n_outside;
	char outside[SB_CFG_OUTSIDE_MAX][32];
};
int sb_config_ivr_object_parse(const struct sb_config *c, enum sb_cfg_kind kind, const char *name,
			       const char *tenant, const char *text, size_t len,
			       struct sb_cfg_ivr_object *out, char *err, size_t err_len,
			       char *field, size_t field_len);
int sb_config_hours_find(const struct sb_config *c, const char *name, size_t len);

/* The index of an object of that name, deleted ones included (a PUT
 * after a DELETE takes its old slot back), or -1. */
int sb_config_slot_find(const struct sb_config *c, enum sb_cfg_kind kind, const char *name);

#endif
