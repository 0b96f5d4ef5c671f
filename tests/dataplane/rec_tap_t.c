/* SPDX-License-Identifier: MIT */
/*
 * dp_rec_tap — recording through the real worker (issue 7): a ring ethdev
 * (rte_eth_from_rings), the worker's own loop iteration (sb_worker_poll:
 * commands from the command ring, RX, relay, timers, TX) and the real
 * recorder thread (sb_dprec_start: libsbrec, io_uring).
 *
 * Part 1: a connected leg pair recorded in PCM16; the caller sends a
 * 1 kHz tone (PCMU), the agent 2 kHz (PCMA), 100 packets of 20 ms each.
 * Asserts: every packet relayed; REC_STOP answered and SB_EVT_REC_DONE on
 * the worker's event ring with status 0, complete, share 1000, 2000 ms,
 * bytes = the file's size; the file (in a subdirectory made on demand)
 * has 1 kHz on the left, 2 kHz on the right (Goertzel), 16000 frames; no
 * .part left; PAUSE for 25 packets in the middle gives silence there and
 * keeps the length.
 *
 * Part 2: ring full.  A recorder whose thread is not running yet and a
 * 16-frame ring: 50 caller packets -> 16 frames queued, 34 dropped and
 * counted (worker rec_drop_full, and the recording's drop_full in DONE),
 * all 50 relayed (forwarding unaffected, no drop counter moves); DONE
 * then says incomplete, share 320 per mille, 320 ms in the file.
 *
 * Part 3: formats.  A pcapng recording of 20 packets per side: libpcap
 * reads 40 packets, each with the peer's address and port as source, the
 * media address and leg port as destination, the RTP bytes as received,
 * a wall-clock time.  Then the caller leg declares PT 111 at 48 kHz (an
 * Opus leg) and sends Opus; the agent sends 2 kHz PCMA with 4 DTMF
 * digits in band; recorded as masked Ogg Opus: 1 kHz decoded on the left
 * (the Opus leg is audio, not silence), 2 kHz right, the in-band detector
 * finds no digit in the file, the digits' row tone is gone.
 *
 * Part 4: a supervisor (issue 7, `recording: supervisor: true`).  A third
 * leg sends 3 kHz all along; REC_LEG attaches it from packet 30 to 59:
 * the recorder gets its frames only then; the file's right side holds
 * 2 kHz + 3 kHz there and 2 kHz alone before and after, the left 1 kHz
 * only.  Errors (unknown rec_id, channel, the caller's own leg, stale
 * generation, detaching what is not attached); deleting an attached
 * supervisor leg leaves the recording running.
 *
 * Exit 0 pass, 1 fail, 77 skip (EAL cannot initialise, e.g. not root).
 */
#include <stdatomic.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sb/dp_shm.h"

#include "legs.h"
#include "pktbuild.h"
#include "port.h"
#include "rec_fmt_test.h" /* tests/recorder: wav_read, ogg_read, tone_is, t_dir_make */
#include "sb/dtmf.h"
#include "rectap.h"
#include "worker.h"

#define PORT_MIN 30000u
#define SPAN     16u
#define PKTS     100u
#define PAUSE_AT 40u /* packets 40..64 of the caller are paused */
#define PAUSE_N  25u
#define SUP_PKTS 90u /* part 4: a supervisor tapped for packets 30..59 */
#define SUP_ON   30u
#define SUP_OFF  60u

static const struct rte_ether_addr PEER_MAC = {{0x02, 0x5c, 0, 0, 0, 0x02}};
#define MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define NETMASK  RTE_BE32(0xffffff00)

static struct sb_dp_shm shm;
static struct sb_worker *w;
static struct rte_ring *rx, *tx;
static struct rte_mempool *mp;
static uint32_t req_id = 1;
static uint64_t tx_rtp; /* relayed packets seen on the TX ring */
static union sb_msg stash[64]; /* events seen while waiting for a result */
static unsigned n_stash;

static uint32_t peer_ip(unsigned leg)
{
	return rte_cpu_to_be_32(0xcb007114u + leg); /* 203.0.113.20 + leg */
}

static void pump(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m;

		sb_worker_poll(w, rte_rdtsc());
		while (rte_ring_dequeue(tx, (void **)&m) == 0) {
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

			if (p[12] == 0x08 && p[13] == 0x00)
				tx_rtp++;
			rte_pktmbuf_free(m);
		}
	}
}

/* A command through the ring, answered through the event ring; other
 * events seen meanwhile are kept for wait_evt(). */
static int32_t command(union sb_msg *m)
{
	union sb_msg ev;

	m->h.req_id = req_id++;
	T_ASSERT(sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&shm, 0), m, 1) == 1);
	for (int i = 0; i < 100000; i++) {
		pump(1);
		if (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&shm, 0), &ev, 1) == 0)
			continue;
		if (ev.h.type == SB_EVT_RESULT && ev.h.req_id == m->h.req_id)
			return ev.result.status;
		if (ev.h.type != SB_EVT_RESULT && n_stash < RTE_DIM(stash))
			stash[n_stash++] = ev;
	}
	T_ASSERT(!"no answer");
	return 0;
}

static union sb_msg wait_evt(uint16_t type, unsigned ms)
{
	union sb_msg ev;
	double t0 = now_ms();

	for (unsigned i = 0; i < n_stash; i++)
		if (stash[i].h.type == type) {
			ev = stash[i];
			stash[i] = stash[--n_stash];
			return ev;
		}
	while (now_ms() - t0 < ms) {
		pump(1);
		if (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&shm, 0), &ev, 1) == 1 &&
		    ev.h.type == type)
			return ev;
		usleep(200);
	}
	T_ASSERT(!"event did not come");
	return ev;
}

/* Until n relayed packets came out (the TX batch drains every 100 us). */
static void pump_tx(uint64_t n)
{
	double t0 = now_ms();

	while (tx_rtp < n && now_ms() - t0 < 2000)
		pump(1);
	pump(10);
}

static void leg_add(unsigned leg)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.leg = leg;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = peer_ip(leg);
	m.leg.peer_port = (uint16_t)(7000 + 2 * leg);
	m.leg.local_port = (uint16_t)(PORT_MIN + 2 * leg);
	T_ASSERT_EQ_U64(command(&m), 0);
}

static int32_t rec_cmd(uint16_t type, uint32_t rec_id)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.rec.h.type = type;
	m.rec.h.len = sizeof(m.rec);
	m.rec.rec_id = rec_id;
	return command(&m);
}

/* REC_LEG: leg (gen) on/off channel chan of rec_id */
static int32_t rec_leg(uint32_t rec_id, uint32_t leg, uint32_t gen, uint8_t chan, uint8_t on)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.rec_leg.h.type = SB_CMD_REC_LEG;
	m.rec_leg.h.len = sizeof(m.rec_leg);
	m.rec_leg.h.leg = leg;
	m.rec_leg.h.leg_gen = gen;
	m.rec_leg.rec_id = rec_id;
	m.rec_leg.chan = chan;
	m.rec_leg.on = on;
	return command(&m);
}

static int32_t rec_start_f(uint32_t rec_id, uint8_t fmt, uint8_t flags, const char *path)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.rec_start.h.type = SB_CMD_REC_START;
	m.rec_start.h.len = sizeof(m.rec_start);
	m.rec_start.h.leg = 0;
	m.rec_start.h.leg_gen = 1;
	m.rec_start.rec_id = rec_id;
	m.rec_start.agent_leg = 1;
	m.rec_start.agent_leg_gen = 1;
	m.rec_start.fmt = fmt;
	m.rec_start.flags = flags;
	m.rec_start.segment_s = 1;
	snprintf(m.rec_start.path, sizeof(m.rec_start.path), "%s", path);
	return command(&m);
}

static int32_t rec_start(uint32_t rec_id, uint8_t fmt, const char *path)
{
	return rec_start_f(rec_id, fmt, 0, path);
}

/* LEG_MOD: the same peer, PT 111 declared with a 48 kHz clock (Opus) */
static void leg_mod_opus(unsigned leg)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_MOD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.leg = leg;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = peer_ip(leg);
	m.leg.peer_port = (uint16_t)(7000 + 2 * leg);
	m.leg.local_port = (uint16_t)(PORT_MIN + 2 * leg);
	m.leg.n_pt_map = 1;
	m.leg.pt_map[0] = (struct sb_pt_map){.pt_in = 111, .pt_out = 111, .clock_hz = 48000};
	T_ASSERT_EQ_U64(command(&m), 0);
}

/* One 20 ms RTP packet from leg's peer: hz tone (0 = none) in G.711 pt. */
static void send_rtp(unsigned leg, uint8_t pt, uint16_t seq, uint32_t ts, double hz)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *rtp;

	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &w->mac, peer_ip(leg), MEDIA_IP,
				(uint16_t)(7000 + 2 * leg), (uint16_t)(PORT_MIN + 2 * leg), seq,
				160) == 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	rtp = (uint8_t *)(udp + 1);
	rtp[1] = pt;
	rtp[4] = (uint8_t)(ts >> 24);
	rtp[5] = (uint8_t)(ts >> 16);
	rtp[6] = (uint8_t)(ts >> 8);
	rtp[7] = (uint8_t)ts;
	rtp[8] = (uint8_t)leg; /* SSRC */
	for (unsigned i = 0; i < 160; i++) {
		int16_t s = (int16_t)(hz > 0 ? 12000 * sin(2 * M_PI * hz * (ts + i) / 8000.0) : 0);

		rtp[12 + i] = pt == 0 ? sb_g711_ulaw_enc1(s) : sb_g711_alaw_enc1(s);
	}
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	while (rte_ring_enqueue(rx, m) != 0)
		pump(1);
}

/* One RTP packet from leg's peer with payload pl[0..len) of type pt. */
static void send_raw(unsigned leg, uint8_t pt, uint16_t seq, uint32_t ts, const uint8_t *pl,
		     unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *rtp;

	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &w->mac, peer_ip(leg), MEDIA_IP,
				(uint16_t)(7000 + 2 * leg), (uint16_t)(PORT_MIN + 2 * leg), seq,
				(uint16_t)len) == 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	rtp = (uint8_t *)(udp + 1);
	rtp[1] = pt;
	rtp[4] = (uint8_t)(ts >> 24);
	rtp[5] = (uint8_t)(ts >> 16);
	rtp[6] = (uint8_t)(ts >> 8);
	rtp[7] = (uint8_t)ts;
	rtp[8] = (uint8_t)leg; /* SSRC */
	memcpy(rtp + 12, pl, len);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	while (rte_ring_enqueue(rx, m) != 0)
		pump(1);
}

/* A 20 ms PCMA frame of DTMF digit row 0 (697 Hz) x column c (1209 +) */
static void send_dtmf(unsigned leg, uint16_t seq, uint32_t ts, unsigned c)
{
	static const double col[4] = {1209, 1336, 1477, 1633};
	uint8_t pl[160];

	for (unsigned i = 0; i < 160; i++) {
		double t = (ts + i) / 8000.0;

		pl[i] = sb_g711_alaw_enc1((int16_t)(10000 * sin(2 * M_PI * 697 * t) +
						    10000 * sin(2 * M_PI * col[c % 4] * t)));
	}
	send_raw(leg, 8, seq, ts, pl, sizeof(pl));
}

static uint64_t drops_total(const struct sb_worker_stats *st)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < SB_DROP_N; r++)
		n += st->drop[r];
	return n;
}

static double rms(const int16_t *x, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return sqrt(s / (double)n);
}

int main(int argc, char **argv)
{
	char prefix[64], inst[64], path[512];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci",
		       "--no-telemetry", "--log-level=lib.eal:error", prefix, NULL};
	struct sb_dp_shm_params sp;
	struct sb_worker_params wp;
	struct sb_dprec_cfg rc;
	struct sb_leg_tbl tbl;
	struct sb_port port;
	struct sb_dprec *d;
	const struct sb_worker_stats *st;
	_Atomic int stop = 0;
	union sb_msg ev;
	struct wav wv;
	struct stat sst;
	char why[256];
	uint64_t drops0;
	int id;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sb-rc-rectap-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("SKIP: EAL: %s\n", rte_strerror(rte_errno));
		return T_SKIP;
	}
	T_ASSERT(t_dir_make("/tmp/sb-rc-rectap-XXXXXX") == 0);
	mp = rte_pktmbuf_pool_create("rt_gen", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx = rte_ring_create("rt_rx", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("rt_tx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	T_ASSERT(mp != NULL && rx != NULL && tx != NULL);
	id = rte_eth_from_rings("rt_ring0", &rx, 1, &tx, 1, 0);
	T_ASSERT(id >= 0);
	T_ASSERT(sb_port_up(&port, (uint16_t)id, 1, 1) == 0);

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = 8;
	sp.cmd_slots = 64;
	sp.evt_slots = 256;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, port.mac.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = SPAN;
	snprintf(inst, sizeof(inst), "sb-rc-rectap-%d", (int)getpid());
	T_ASSERT(sb_dp_shm_create(&shm, inst, &sp) == 0);
	T_ASSERT(sb_leg_tbl_init(&tbl, 8, sb_dp_shm_leg_stats(&shm, 0), 0) == 0);
	memset(&wp, 0, sizeof(wp));
	wp.port_id = (uint16_t)id;
	wp.poll_port = 1;
	wp.pool = port.pool;
	wp.mac = port.mac;
	wp.media_ip = MEDIA_IP;
	wp.netmask = NETMASK;
	wp.port_base = PORT_MIN;
	wp.port_span = SPAN;
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 300;
	wp.cmd = sb_dp_shm_cmd_ring(&shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&shm, 0);
	wp.st = sb_dp_shm_worker_stats(&shm, 0);
	wp.legs = &tbl;
	wp.stop = &stop;
	w = sb_worker_create(&wp);
	T_ASSERT(w != NULL);
	st = wp.st;
	sb_worker_start(w, rte_rdtsc());

	/* without --rec-dir recording is refused */
	T_ASSERT_EQ_U64(-rec_cmd(SB_CMD_REC_STOP, 1), ENOTSUP);

	memset(&rc, 0, sizeof(rc));
	rc.dir = t_dir;
	rc.n_workers = 1;
	rc.max_legs = 8;
	rc.ring_slots = 4096;
	rc.max_recs = 4;
	rc.segment_s = 60;
	d = sb_dprec_create(&rc, why, sizeof(why));
	if (d == NULL)
		fprintf(stderr, "%s\n", why);
	T_ASSERT(d != NULL);
	sb_dprec_attach(d, w);
	T_ASSERT(sb_dprec_start(d) == 0);

	leg_add(0);
	leg_add(1);
	memset(&ev, 0, sizeof(ev));
	ev.connect.h.type = SB_CMD_LEG_CONNECT;
	ev.connect.h.len = sizeof(ev.connect);
	ev.connect.h.leg = 0;
	ev.connect.h.leg_gen = 1;
	ev.connect.leg_b = 1;
	ev.connect.leg_b_gen = 1;
	T_ASSERT_EQ_U64(command(&ev), 0);
	for (unsigned leg = 0; leg < 2; leg++) { /* peers on-link: resolve them */
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		T_ASSERT(sb_pkt_arp_reply(m, &PEER_MAC, peer_ip(leg), &w->mac, MEDIA_IP) == 0);
		T_ASSERT(rte_ring_enqueue(rx, m) == 0);
	}
	pump(10);

	/* bad requests: path escaping --rec-dir, unknown format, stale leg */
	T_ASSERT_EQ_U64(-rec_start(9, SB_DP_REC_PCM16, "../x.wav"), EINVAL);
	T_ASSERT_EQ_U64(-rec_start(9, SB_DP_REC_PCM16, "/abs.wav"), EINVAL);
	T_ASSERT_EQ_U64(-rec_start(9, 9, "x.wav"), EINVAL);
	T_ASSERT_EQ_U64(-rec_cmd(SB_CMD_REC_PAUSE, 9), ENOENT);

	/* ---- part 1: tones ---- */
	T_ASSERT_EQ_U64(rec_start(77, SB_DP_REC_PCM16, "t1/call77.wav"), 0);
	T_ASSERT_EQ_U64(-rec_start(78, SB_DP_REC_PCM16, "other.wav"), EBUSY); /* legs taken */
	drops0 = drops_total(st);
	tx_rtp = 0;
	for (unsigned i = 0; i < PKTS; i++) {
		if (i == PAUSE_AT)
			T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_PAUSE, 77), 0);
		if (i == PAUSE_AT + PAUSE_N)
			T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_RESUME, 77), 0);
		send_rtp(0, 0, (uint16_t)(100 + i), 1000u + 160u * i, 1000);
		send_rtp(1, 8, (uint16_t)(900 + i), 50000u + 160u * i, 2000);
		pump(2);
	}
	pump_tx(2 * PKTS);
	for (unsigned r = 0; r < SB_DROP_N; r++)
		if (st->drop[r] != 0)
			printf("drop %s: %llu\n", sb_drop_name(r), (unsigned long long)st->drop[r]);
	T_ASSERT_EQ_U64(tx_rtp, 2 * PKTS);
	T_ASSERT_EQ_U64(st->relayed, 2 * PKTS);
	T_ASSERT_EQ_U64(drops_total(st), drops0);
	T_ASSERT_EQ_U64(st->rec_frames, 2 * PKTS);
	T_ASSERT_EQ_U64(st->rec_drop_full, 0);
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_STOP, 77), 0);
	T_ASSERT_EQ_U64(-rec_cmd(SB_CMD_REC_STOP, 77), ENOENT); /* not twice */
	ev = wait_evt(SB_EVT_REC_DONE, 5000);
	printf("DONE: rec %u status %d %u ms of %u, share %u, complete %u, %llu bytes, %s\n",
	       ev.rec_evt.rec_id, ev.rec_evt.status, ev.rec_evt.file_ms, ev.rec_evt.call_ms,
	       ev.rec_evt.share_pm, ev.rec_evt.complete, (unsigned long long)ev.rec_evt.bytes,
	       ev.rec_evt.path);
	T_ASSERT_EQ_U64(ev.rec_evt.rec_id, 77);
	T_ASSERT_EQ_U64(ev.rec_evt.h.leg, 0);
	T_ASSERT_EQ_U64(ev.rec_evt.status, 0);
	T_ASSERT_EQ_U64(ev.rec_evt.complete, 1);
	T_ASSERT_EQ_U64(ev.rec_evt.share_pm, 1000);
	T_ASSERT_EQ_U64(ev.rec_evt.file_ms, PKTS * 20);
	T_ASSERT_EQ_U64(ev.rec_evt.drop_full, 0);
	T_ASSERT(strcmp(ev.rec_evt.path, "t1/call77.wav") == 0);
	snprintf(path, sizeof(path), "%s/t1/call77.wav", t_dir);
	T_ASSERT(stat(path, &sst) == 0);
	T_ASSERT_EQ_U64(ev.rec_evt.bytes, (uint64_t)sst.st_size);
	T_ASSERT_EQ_U64(sst.st_size, SB_REC_HDR_SIZE + PKTS * 160 * 4);
	snprintf(path, sizeof(path), "%s/t1/call77.wav.part", t_dir);
	T_ASSERT(stat(path, &sst) < 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/t1/call77.wav", t_dir);
	T_ASSERT_EQ_U64(wav_read(path, &wv), 0);
	T_ASSERT_EQ_U64(wv.fmt, 1);
	T_ASSERT_EQ_U64(wv.channels, 2);
	T_ASSERT_EQ_U64(wv.frames, PKTS * 160);
	/* before the pause: 1 kHz left, 2 kHz right */
	T_ASSERT(tone_is(wv.l + 160, (PAUSE_AT - 2) * 160, 1000, 2000));
	T_ASSERT(tone_is(wv.r + 160, (PAUSE_AT - 2) * 160, 2000, 1000));
	/* paused (both channels): silence, in place */
	T_ASSERT(rms(wv.l + (PAUSE_AT + 1) * 160, (PAUSE_N - 2) * 160) < 10);
	T_ASSERT(rms(wv.r + (PAUSE_AT + 1) * 160, (PAUSE_N - 2) * 160) < 10);
	/* after it: the tones again */
	T_ASSERT(tone_is(wv.l + (PAUSE_AT + PAUSE_N + 1) * 160, 30 * 160, 1000, 2000));
	T_ASSERT(tone_is(wv.r + (PAUSE_AT + PAUSE_N + 1) * 160, 30 * 160, 2000, 1000));
	wav_free(&wv);
	/* the legs are no longer recorded */
	T_ASSERT((tbl.leg[0].flags & SB_LEGI_REC) == 0 && (tbl.leg[1].flags & SB_LEGI_REC) == 0);

	/* ---- part 4: a supervisor's leg (REC_LEG) ---- */
	leg_add(2);
	T_ASSERT_EQ_U64(rec_start(82, SB_DP_REC_PCM16, "sup/c82.wav"), 0);
	T_ASSERT_EQ_U64(-rec_leg(83, 2, 1, SB_DP_REC_CH_SUPER, 1), ENOENT); /* no such recording */
	T_ASSERT_EQ_U64(-rec_leg(82, 2, 1, 1, 1), EINVAL);    /* not the supervisor's channel */
	T_ASSERT_EQ_U64(-rec_leg(82, 0, 1, SB_DP_REC_CH_SUPER, 1), EINVAL); /* the caller's leg */
	T_ASSERT_EQ_U64(-rec_leg(82, 2, 2, SB_DP_REC_CH_SUPER, 1), ESTALE);
	T_ASSERT_EQ_U64(-rec_leg(82, 2, 1, SB_DP_REC_CH_SUPER, 0), ENOENT); /* not attached */
	{
		uint64_t frames0 = st->rec_frames;

		for (unsigned i = 0; i < SUP_PKTS; i++) {
			if (i == SUP_ON)
				T_ASSERT_EQ_U64(rec_leg(82, 2, 1, SB_DP_REC_CH_SUPER, 1), 0);
			if (i == SUP_OFF)
				T_ASSERT_EQ_U64(rec_leg(82, 2, 1, SB_DP_REC_CH_SUPER, 0), 0);
			send_rtp(0, 0, (uint16_t)(1100 + i), 3000u + 160u * i, 1000);
			send_rtp(1, 8, (uint16_t)(1900 + i), 70000u + 160u * i, 2000);
			/* the supervisor talks before, while and after it is tapped;
			 * its own timestamps */
			send_rtp(2, 0, (uint16_t)(2900 + i), 555000u + 160u * i, 3000);
			pump(2);
			if (i == SUP_ON)
				T_ASSERT(tbl.leg[2].flags & SB_LEGI_REC);
		}
		pump(20);
		T_ASSERT((tbl.leg[2].flags & SB_LEGI_REC) == 0);
		/* caller and agent all along, the supervisor while attached */
		T_ASSERT_EQ_U64(st->rec_frames - frames0, 2 * SUP_PKTS + (SUP_OFF - SUP_ON));
	}
	/* attached again, then its leg deleted: the recording goes on */
	T_ASSERT_EQ_U64(rec_leg(82, 2, 1, SB_DP_REC_CH_SUPER, 1), 0);
	T_ASSERT_EQ_U64(rec_leg(82, 2, 1, SB_DP_REC_CH_SUPER, 1), 0); /* again: no-op */
	memset(&ev, 0, sizeof(ev));
	ev.h.type = SB_CMD_LEG_DEL;
	ev.h.len = sizeof(ev.h);
	ev.h.leg = 2;
	ev.h.leg_gen = 1;
	T_ASSERT_EQ_U64(command(&ev), 0);
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_PAUSE, 82), 0); /* still recording */
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_RESUME, 82), 0);
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_STOP, 82), 0);
	ev = wait_evt(SB_EVT_REC_DONE, 5000);
	T_ASSERT_EQ_U64(ev.rec_evt.rec_id, 82);
	T_ASSERT_EQ_U64(ev.rec_evt.complete, 1);
	T_ASSERT_EQ_U64(ev.rec_evt.file_ms, SUP_PKTS * 20);
	snprintf(path, sizeof(path), "%s/sup/c82.wav", t_dir);
	T_ASSERT_EQ_U64(wav_read(path, &wv), 0);
	T_ASSERT_EQ_U64(wv.frames, SUP_PKTS * 160);
	/* before: 2 kHz right, no 3 kHz anywhere */
	T_ASSERT(tone_is(wv.r + 160, (SUP_ON - 2) * 160, 2000, 3000));
	/* while tapped: 2 kHz + 3 kHz right; left 1 kHz only */
	T_ASSERT(goertzel(wv.r + (SUP_ON + 2) * 160, (SUP_OFF - SUP_ON - 4) * 160, 3000) > 1e5);
	T_ASSERT(goertzel(wv.r + (SUP_ON + 2) * 160, (SUP_OFF - SUP_ON - 4) * 160, 2000) > 1e5);
	T_ASSERT(tone_is(wv.l + (SUP_ON + 2) * 160, (SUP_OFF - SUP_ON - 4) * 160, 1000, 3000));
	/* after: 2 kHz alone again */
	T_ASSERT(tone_is(wv.r + (SUP_OFF + 2) * 160, (SUP_PKTS - SUP_OFF - 4) * 160, 2000, 3000));
	T_ASSERT(tone_is(wv.l + (SUP_OFF + 2) * 160, (SUP_PKTS - SUP_OFF - 4) * 160, 1000, 3000));
	wav_free(&wv);
	sb_dprec_destroy(d, &w, 1, 2000);

	/* ---- part 2: ring full, forwarding unaffected ---- */
	rc.ring_slots = 16;
	d = sb_dprec_create(&rc, why, sizeof(why));
	T_ASSERT(d != NULL);
	sb_dprec_attach(d, w);
	T_ASSERT_EQ_U64(rec_start(79, SB_DP_REC_G711, "full.wav"), 0);
	drops0 = drops_total(st);
	tx_rtp = 0;
	{
		uint64_t relayed0 = st->relayed, frames0 = st->rec_frames;

		for (unsigned i = 0; i < 50; i++) {
			send_rtp(0, 0, (uint16_t)(300 + i), 90000u + 160u * i, 1000);
			pump(2);
		}
		pump_tx(50);
		T_ASSERT_EQ_U64(tx_rtp, 50);
		T_ASSERT_EQ_U64(st->relayed - relayed0, 50);
		T_ASSERT_EQ_U64(st->rec_frames - frames0, 16);
	}
	T_ASSERT_EQ_U64(st->rec_drop_full, 34);
	T_ASSERT_EQ_U64(drops_total(st), drops0);
	T_ASSERT(sb_dprec_start(d) == 0); /* the recorder catches up now */
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_STOP, 79), 0);
	ev = wait_evt(SB_EVT_REC_DONE, 5000);
	printf("DONE: rec %u status %d %u ms of %u, share %u, complete %u, drop_full %u\n",
	       ev.rec_evt.rec_id, ev.rec_evt.status, ev.rec_evt.file_ms, ev.rec_evt.call_ms,
	       ev.rec_evt.share_pm, ev.rec_evt.complete, ev.rec_evt.drop_full);
	T_ASSERT_EQ_U64(ev.rec_evt.rec_id, 79);
	T_ASSERT_EQ_U64(ev.rec_evt.drop_full, 34);
	T_ASSERT_EQ_U64(ev.rec_evt.complete, 0);
	T_ASSERT_EQ_U64(ev.rec_evt.share_pm, 16 * 1000 / 50);
	T_ASSERT_EQ_U64(ev.rec_evt.file_ms, 16 * 20);
	snprintf(path, sizeof(path), "%s/full.wav", t_dir);
	T_ASSERT_EQ_U64(wav_read(path, &wv), 0);
	T_ASSERT_EQ_U64(wv.fmt, 7); /* the default: G.711 mu-law stereo */
	T_ASSERT_EQ_U64(wv.frames, 16 * 160);
	T_ASSERT(tone_is(wv.l, 16 * 160, 1000, 2000));
	wav_free(&wv);
	sb_dprec_destroy(d, &w, 1, 2000);

	/* ---- part 3: pcapng, and an Opus leg in a masked Ogg Opus file ---- */
	rc.ring_slots = 4096;
	d = sb_dprec_create(&rc, why, sizeof(why));
	T_ASSERT(d != NULL);
	sb_dprec_attach(d, w);
	T_ASSERT(sb_dprec_start(d) == 0);
	/* masking a capture is refused: raw packets keep their tones */
	T_ASSERT_EQ_U64(-rec_start_f(9, SB_DP_REC_PCAP, SB_DP_REC_F_MASK_DTMF, "x.pcapng"), EINVAL);
	T_ASSERT_EQ_U64(-rec_start_f(9, SB_DP_REC_OPUS, 0x80, "x.opus"), EINVAL);
	T_ASSERT_EQ_U64(rec_start_f(80, SB_DP_REC_PCAP, 0, "cap/c80.pcapng"), 0);
	tx_rtp = 0;
	for (unsigned i = 0; i < 20; i++) {
		send_rtp(0, 0, (uint16_t)(500 + i), 7000u + 160u * i, 1000);
		send_rtp(1, 8, (uint16_t)(700 + i), 9000u + 160u * i, 2000);
		pump(2);
	}
	pump_tx(40);
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_STOP, 80), 0);
	ev = wait_evt(SB_EVT_REC_DONE, 5000);
	printf("DONE pcap: status %d %u ms, complete %u, %llu bytes\n", ev.rec_evt.status,
	       ev.rec_evt.file_ms, ev.rec_evt.complete, (unsigned long long)ev.rec_evt.bytes);
	T_ASSERT_EQ_U64(ev.rec_evt.rec_id, 80);
	T_ASSERT_EQ_U64(ev.rec_evt.complete, 1);
	snprintf(path, sizeof(path), "%s/cap/c80.pcapng", t_dir);
	{
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(path, err);
		struct pcap_pkthdr *h;
		const u_char *b;
		unsigned n = 0, per[2] = {0, 0};
		time_t now = time(NULL);

		T_ASSERT(pc != NULL);
		T_ASSERT(pcap_datalink(pc) == DLT_IPV4);
		while (pcap_next_ex(pc, &h, &b) == 1) {
			uint32_t src, dst;
			unsigned leg;

			memcpy(&src, b + 12, 4);
			memcpy(&dst, b + 16, 4);
			leg = src == peer_ip(0) ? 0 : 1;
			T_ASSERT(src == peer_ip(leg) && dst == MEDIA_IP);
			T_ASSERT((unsigned)(b[20] << 8 | b[21]) == 7000 + 2 * leg);
			T_ASSERT((unsigned)(b[22] << 8 | b[23]) == PORT_MIN + 2 * leg);
			T_ASSERT(h->caplen == 28 + 12 + 160 && h->len == h->caplen);
			T_ASSERT(b[28 + 1] == (leg ? 8 : 0)); /* the RTP header as received */
			T_ASSERT(h->ts.tv_sec > now - 60 && h->ts.tv_sec <= now + 1);
			per[leg]++;
			n++;
		}
		pcap_close(pc);
		printf("pcap: %u packets (%u + %u)\n", n, per[0], per[1]);
		T_ASSERT(n == 40 && per[0] == 20 && per[1] == 20);
	}

	/* the caller leg speaks Opus (PT 111, 48 kHz in its payload map); the
	 * agent sends 2 kHz with 4 DTMF digits in band; masked Ogg Opus */
	leg_mod_opus(0);
	T_ASSERT_EQ_U64(rec_start_f(81, SB_DP_REC_OPUS, SB_DP_REC_F_MASK_DTMF, "c81.opus"), 0);
	{
		OpusEncoder *enc = opus_leg_enc(16000, false);
		uint64_t frames0 = st->rec_frames;

		T_ASSERT(enc != NULL);
		tx_rtp = 0;
		for (unsigned i = 0; i < PKTS; i++) {
			uint8_t op[400];
			int ol = opus_tone_pkt(enc, 1000, i, op, sizeof(op));

			T_ASSERT(ol > 0);
			send_raw(0, 111, (uint16_t)(1000 + i), 48000u * 7 + 960u * i, op, (unsigned)ol);
			/* digits at packets 20-24, 40-44, 60-64, 80-84 */
			if (i % 20 < 5 && i >= 20)
				send_dtmf(1, (uint16_t)(2000 + i), 30000u + 160u * i, i / 20);
			else
				send_rtp(1, 8, (uint16_t)(2000 + i), 30000u + 160u * i, 2000);
			pump(2);
		}
		pump_tx(2 * PKTS);
		T_ASSERT_EQ_U64(st->rec_frames - frames0, 2 * PKTS);
		opus_encoder_destroy(enc);
	}
	T_ASSERT_EQ_U64(rec_cmd(SB_CMD_REC_STOP, 81), 0);
	ev = wait_evt(SB_EVT_REC_DONE, 5000);
	printf("DONE opus: status %d %u ms, complete %u, %llu bytes\n", ev.rec_evt.status,
	       ev.rec_evt.file_ms, ev.rec_evt.complete, (unsigned long long)ev.rec_evt.bytes);
	T_ASSERT_EQ_U64(ev.rec_evt.complete, 1);
	T_ASSERT_EQ_U64(ev.rec_evt.file_ms, PKTS * 20);
	printf("recorder: opus decoded %llu, in-band blocks masked %llu\n",
	       (unsigned long long)sb_dprec_counter(d, "OPUS_DECODED"),
	       (unsigned long long)sb_dprec_counter(d, "MASK_INBAND"));
	T_ASSERT_EQ_U64(sb_dprec_counter(d, "OPUS_DECODED"), PKTS);
	T_ASSERT(sb_dprec_counter(d, "MASK_INBAND") >= 4 * 5);
	snprintf(path, sizeof(path), "%s/c81.opus", t_dir);
	{
		struct oggf o;
		struct sb_dtmf_ib det;
		struct sb_dtmf_ev dev[8];
		unsigned found = 0;

		T_ASSERT(ogg_read(path, &o) == 0);
		T_ASSERT(o.channels == 2 && o.eos);
		T_ASSERT_EQ_U64(o.frames, PKTS * 160);
		/* the Opus leg recorded as audio, not silence */
		T_ASSERT(tone_is(o.l + 160, 18 * 160, 1000, 2000));
		T_ASSERT(tone_is(o.r + 160, 18 * 160, 2000, 1000));
		sb_dtmf_ib_init(&det);
		for (unsigned i = 0; i + 160 <= o.frames; i += 160) {
			unsigned k = sb_dtmf_ib_process(&det, o.r + i, 160, i, dev, 8);

			for (unsigned j = 0; j < k; j++)
				found += dev[j].kind == SB_DTMF_BEGIN;
		}
		printf("digits found in the masked file: %u\n", found);
		T_ASSERT(found == 0);
		for (unsigned k = 1; k <= 4; k++) /* the digit's rows are gone */
			T_ASSERT(goertzel(o.r + k * 20 * 160, 5 * 160, 697) <
				 1e-3 * goertzel(o.r + 160, 18 * 160, 2000));
		ogg_free(&o);
	}
	sb_dprec_destroy(d, &w, 1, 2000);

	sb_worker_free(w);
	sb_leg_tbl_free(&tbl);
	sb_dp_shm_detach(&shm, 1);
	sb_port_down(&port);
	rte_eal_cleanup();
	snprintf(path, sizeof(path), "rm -rf /var/run/dpdk/sb-rc-rectap-%d", (int)getpid());
	if (system(path) != 0) { /* best effort */
	}
	printf("PASS\n");
	return 0;
}
