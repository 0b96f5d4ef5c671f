/* SPDX-License-Identifier: MIT */
/*
 * rec_formats: one recording per format through the real recorder and
 * io_uring, each file read back the way a player (or Wireshark) reads it:
 *   1 wav-mono   440 Hz caller (mu-law) + 1000 Hz agent (A-law), 3 s:
 *                both tones in the mix, 24000 samples;
 *   2 ogg-opus   440 Hz caller (mu-law) left, 1000 Hz agent as an Opus
 *                leg at 96 kbit/s CBR (240-byte packets: two ring
 *                elements each) right; libogg (CRC of every page),
 *                OpusHead/OpusTags, granule positions, EOS, decoded
 *                length exactly 3 s, each channel by frequency; opusinfo
 *                accepts it (opus-tools);
 *   3 ogg-opus-mono  440 Hz A-law caller alone;
 *   4 wav-pcm16  caller an Opus leg (440 Hz, VBR 16 kbit/s), agent
 *                1000 Hz mu-law: the Opus leg decoded on the recorder;
 *   5 pcap       100 RTP packets per side and one 1200-byte packet (cut
 *                at the snap length): libpcap's pcap_open_offline, packet
 *                count, lengths, addresses, payload bytes, timestamps;
 *   6 wav-mono   two loud in-phase tones: the sum saturates, never wraps.
 */
#include <sys/wait.h>

#include "rec_fmt_test.h"

#define SECS 3
#define NFR (SECS * 50)

static char dir[256];

static void pathf(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static void loud_frame(struct sb_rec_frame *f, uint32_t call, unsigned chan, unsigned k)
{
	memset(f, 0, sizeof(*f));
	f->call_id = call;
	f->chan = (uint8_t)chan;
	f->codec = SB_REC_PCMU;
	f->len = 160;
	f->ts = k * 160;
	for (unsigned i = 0; i < 160; i++)
		f->payload[i] = sb_g711_ulaw_enc1(
			(int16_t)lrint(30000.0 * sin(2 * M_PI * 200 * (k * 160 + i) / 8000.0)));
}

/* An RTP packet of len bytes for pcap call 5, its prefix in front. */
static unsigned pcap_pkt(uint8_t *buf, unsigned chan, unsigned k, unsigned len, uint64_t t_ns)
{
	struct sb_rec_pkt pk = {
		.time_ns = t_ns, .src_ip = htonl(0x0a000001u + chan), .dst_ip = htonl(0xc0a80001u),
		.src_port = (uint16_t)(4000 + chan), .dst_port = 30000, .orig_len = (uint16_t)len,
		.cap_len = (uint16_t)(len < SB_REC_SNAPLEN ? len : SB_REC_SNAPLEN),
	};
	uint8_t *rtp = buf + sizeof(pk);

	memcpy(buf, &pk, sizeof(pk));
	for (unsigned i = 0; i < pk.cap_len; i++)
		rtp[i] = (uint8_t)(i * 7 + k + chan);
	rtp[0] = 0x80;
	rtp[1] = 0;
	return (unsigned)sizeof(pk) + pk.cap_len;
}

static int check_pcap(const char *path, uint64_t t0)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0, per[2] = {0, 0};
	uint64_t bytes = 0;

	if (p == NULL) {
		fprintf(stderr, "pcap_open_offline: %s\n", err);
		return 0;
	}
	T_ASSERT(pcap_datalink(p) == DLT_IPV4);
	while (pcap_next_ex(p, &h, &d) == 1) {
		unsigned long long us = (unsigned long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		unsigned chan = d[15] - 1; /* 10.0.0.1 caller, .2 agent */
		uint8_t want[SB_REC_SNAPLEN + 64];

		T_ASSERT(chan < 2 && d[0] == 0x45 && d[9] == 17);
		T_ASSERT((unsigned)(d[20] << 8 | d[21]) == 4000 + chan && (d[22] << 8 | d[23]) == 30000);
		if (n == 200) { /* the long one: cut */
			T_ASSERT(h->len == 28 + 1200 && h->caplen == 28 + SB_REC_SNAPLEN);
			pcap_pkt(want, chan, 999, 1200, 0);
		} else {
			T_ASSERT(h->len == 28 + 172 && h->caplen == h->len);
			T_ASSERT(us == (t0 + (uint64_t)(n / 2) * 20000000) / 1000);
			pcap_pkt(want, chan, n / 2, 172, 0);
		}
		T_ASSERT(memcmp(d + 28, want + sizeof(struct sb_rec_pkt), h->caplen - 28) == 0);
		bytes += h->caplen;
		per[chan]++;
		n++;
	}
	pcap_close(p);
	printf("pcap: %u packets (%u caller, %u agent), %llu bytes captured\n", n, per[0], per[1],
	       (unsigned long long)bytes);
	T_ASSERT(n == 201 && per[0] == 101 && per[1] == 100);
	T_ASSERT_EQ_U64(bytes, 200 * (28 + 172) + 28 + SB_REC_SNAPLEN);
	return 1;
}

static int opusinfo_ok(const char *path)
{
	char cmd[600];
	int st;

	if (system("command -v opusinfo >/dev/null 2>&1") != 0) {
		printf("opusinfo: not installed (scripts/setup installs opus-tools); libogg check only\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "opusinfo '%s' > '%s.info' 2>&1", path, path);
	st = system(cmd);
	snprintf(cmd, sizeof(cmd), "cat '%s.info'; grep -qi 'warning\\|error' '%s.info' && exit 1; exit 0",
		 path, path);
	return st == 0 && system(cmd) == 0;
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 4096, .max_calls = 8,
		.nbufs = 32, .buf_size = 64 * 1024, .segment_ms = 1000,
	};
	char p[7][300];
	const char *names[7] = {NULL, "mono.wav", "stereo.opus", "mono.opus", "opusin.wav",
				"call.pcapng", "loud.wav"};
	const unsigned fmts[7] = {0, SB_REC_FMT_MONO, SB_REC_FMT_OPUS, SB_REC_FMT_OPUS_MONO,
				  SB_REC_FMT_PCM16, SB_REC_FMT_PCAP, SB_REC_FMT_MONO};
	struct sb_rec_event ev[32];
	OpusEncoder *e96 = opus_leg_enc(96000, true), *e16 = opus_leg_enc(16000, false);
	struct sb_rec_prod *pr;
	uint64_t t0 = 1700000000ull * 1000000000ull;
	struct sb_rec *r;
	unsigned nev, closed = 0;

	if (t_dir_make("/var/tmp/sb-rec-fmt.XXXXXX") < 0)
		return T_SKIP;
	snprintf(dir, sizeof(dir), "%s", t_dir);
	T_ASSERT(e96 != NULL && e16 != NULL);
	r = sb_rec_create(&cfg);
	if (r == NULL) {
		fprintf(stderr, "sb_rec_create: %s\n", strerror(errno));
		return errno == ENOSYS || errno == EPERM ? T_SKIP : 1;
	}
	pr = sb_rec_prod(r, 0);
	for (unsigned i = 1; i <= 6; i++) {
		pathf(p[i], sizeof(p[i]), names[i]);
		T_ASSERT(sb_rec_start(r, i, p[i], (enum sb_rec_fmt)fmts[i]) == 0);
	}
	/* bad requests */
	T_ASSERT(sb_rec_start(r, 9, p[1], (enum sb_rec_fmt)0x1ff) == -EINVAL);
	T_ASSERT(sb_rec_start_opts(r, 9, p[5], SB_REC_FMT_PCAP, 0, SB_REC_OPT_MASK_DTMF) == -EINVAL);
	sb_rec_poll(r);

	for (unsigned k = 0; k < NFR; k++) {
		struct sb_rec_frame f[8];
		uint8_t pkt[1400];
		unsigned n = 0;
		int len;

		tone_frame(&f[n++], 1, SB_REC_CALLER, SB_REC_PCMU, 440, 10, k);
		tone_frame(&f[n++], 1, SB_REC_AGENT, SB_REC_PCMA, 1000, 20, k);
		tone_frame(&f[n++], 2, SB_REC_CALLER, SB_REC_PCMU, 440, 30, k);
		tone_frame(&f[n++], 3, SB_REC_CALLER, SB_REC_PCMA, 440, 40, k);
		tone_frame(&f[n++], 4, SB_REC_AGENT, SB_REC_PCMU, 1000, 50, k);
		loud_frame(&f[n++], 6, SB_REC_CALLER, k);
		loud_frame(&f[n++], 6, SB_REC_AGENT, k);
		T_ASSERT(sb_rec_push_burst(pr, f, n) == n);
		/* Opus legs: 48 kHz timestamps */
		len = opus_tone_pkt(e96, 1000, k, pkt, sizeof(pkt));
		T_ASSERT(len == 240);
		T_ASSERT(push_payload(pr, 2, SB_REC_AGENT, SB_REC_OPUS, 7 + k * 960, 0, pkt,
				      (unsigned)len) == 2);
		len = opus_tone_pkt(e16, 440, k, pkt, sizeof(pkt));
		T_ASSERT(len > 0 && len <= SB_REC_PAYLOAD_MAX);
		T_ASSERT(push_payload(pr, 4, SB_REC_CALLER, SB_REC_OPUS, 0xfffff000u + k * 960, 0,
				      pkt, (unsigned)len) == 1);
		if (k < 100) {
			for (unsigned ch = 0; ch < 2; ch++) {
				len = (int)pcap_pkt(pkt, ch, k, 172, t0 + (uint64_t)k * 20000000);
				T_ASSERT(push_payload(pr, 5, ch, SB_REC_PKT, 0, 0, pkt, (unsigned)len) == 2);
			}
		}
		if (k == 100) {
			len = (int)pcap_pkt(pkt, 0, 999, 1200, t0 + 100ull * 20000000);
			T_ASSERT(push_payload(pr, 5, 0, SB_REC_PKT, 0, 0, pkt, (unsigned)len) == 7);
		}
		if (k % 4 == 0)
			sb_rec_poll(r);
		if (k % 50 == 49)
			T_ASSERT(sb_rec_drain(r, 5000) == 0);
	}
	for (unsigned i = 1; i <= 6; i++)
		T_ASSERT(sb_rec_stop(r, i) == 0);
	T_ASSERT(sb_rec_drain(r, 5000) == 0);
	nev = sb_rec_event_poll(r, ev, 32);
	for (unsigned i = 0; i < nev; i++) {
		if (ev[i].type != SB_REC_EV_CLOSED)
			continue;
		printf("closed %u (%s): complete %u share %u file_ms %llu call_ms %llu\n",
		       ev[i].call_id, names[ev[i].call_id], ev[i].complete, ev[i].share_pm,
		       (unsigned long long)ev[i].file_ms, (unsigned long long)ev[i].call_ms);
		T_ASSERT(ev[i].complete == 1 && ev[i].share_pm == 1000 && ev[i].err == 0);
		if (ev[i].call_id == 5)
			T_ASSERT_EQ_U64(ev[i].file_ms, 2000); /* first to last packet */
		else
			T_ASSERT_EQ_U64(ev[i].file_ms, SECS * 1000);
		closed++;
	}
	T_ASSERT(closed == 6);
	printf("counters: opus decoded %llu bad %llu pkts %llu drop_bad %llu\n",
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_OPUS_DECODED),
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_OPUS_BAD),
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_PKTS),
	       (unsigned long long)sb_rec_counter(r, SB_REC_C_DROP_BAD));
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_OPUS_DECODED), 2 * NFR);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_PKTS), 201);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_DROP_BAD), 0);
	sb_rec_free(r);

	{ /* 1: mono mix */
		int16_t *m;
		uint64_t fr;

		T_ASSERT(wav_read_mono(p[1], &m, &fr) == 0);
		T_ASSERT_EQ_U64(fr, SECS * 8000);
		T_ASSERT(goertzel(m + 4000, 16000, 440) > 1e6 && goertzel(m + 4000, 16000, 1000) > 1e6);
		T_ASSERT(goertzel(m + 4000, 16000, 440) > 100 * goertzel(m + 4000, 16000, 700));
		free(m);
	}
	{ /* 6: saturation, not wrap-around */
		int16_t *m, mx = 0, mn = 0;
		uint64_t fr;

		T_ASSERT(wav_read_mono(p[6], &m, &fr) == 0);
		for (uint64_t i = 0; i < fr; i++) {
			double s = sin(2 * M_PI * 200 * (double)i / 8000.0);

			mx = m[i] > mx ? m[i] : mx;
			mn = m[i] < mn ? m[i] : mn;
			if (s > 0.3)
				T_ASSERT(m[i] > 0);
			if (s < -0.3)
				T_ASSERT(m[i] < 0);
		}
		T_ASSERT(mx == 32767 && mn == -32768);
		free(m);
	}
	{ /* 2, 3: Ogg Opus */
		struct oggf o;
		struct stat st;

		T_ASSERT(ogg_read(p[2], &o) == 0);
		printf("stereo.opus: %u pages %u packets preskip %u frames %llu eos %d\n", o.pages,
		       o.packets, o.preskip, (unsigned long long)o.frames, o.eos);
		T_ASSERT(o.channels == 2 && o.eos && o.bad == 0);
		T_ASSERT_EQ_U64(o.frames, SECS * 8000);
		T_ASSERT(tone_is(o.l + 2000, 16000, 440, 1000));
		T_ASSERT(tone_is(o.r + 2000, 16000, 1000, 440));
		T_ASSERT(stat(p[2], &st) == 0);
		/* 48 kbit/s stereo: under half the bytes of mu-law stereo */
		printf("stereo.opus: %lld bytes (mu-law stereo: %u)\n", (long long)st.st_size,
		       SB_REC_HDR_SIZE + SECS * 16000);
		T_ASSERT(st.st_size < SB_REC_HDR_SIZE + SECS * 16000 / 2);
		ogg_free(&o);
		T_ASSERT(opusinfo_ok(p[2]));

		T_ASSERT(ogg_read(p[3], &o) == 0);
		T_ASSERT(o.channels == 1 && o.eos && o.bad == 0);
		T_ASSERT_EQ_U64(o.frames, SECS * 8000);
		T_ASSERT(tone_is(o.l + 2000, 16000, 440, 1000));
		ogg_free(&o);
		T_ASSERT(opusinfo_ok(p[3]));
	}
	{ /* 4: Opus leg decoded into a WAV */
		struct wav w;

		T_ASSERT(wav_read(p[4], &w) == 0);
		T_ASSERT_EQ_U64(w.frames, SECS * 8000);
		T_ASSERT(tone_is(w.l + 2000, 16000, 440, 1000));
		T_ASSERT(tone_is(w.r + 2000, 16000, 1000, 440));
		wav_free(&w);
	}
	T_ASSERT(check_pcap(p[5], t0)); /* 5 */
	opus_encoder_destroy(e96);
	opus_encoder_destroy(e16);
	printf("rec_formats: ok\n");
	return 0;
}
