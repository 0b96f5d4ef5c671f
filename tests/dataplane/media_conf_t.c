/* SPDX-License-Identifier: MIT */
/*
 * dp_media_conf — conferences on a real worker, programmed through its
 * command ring (LEG_MEDIA, CONF_JOIN, CONF_LEAVE, PROMPT_PLAY to a
 * conference):
 *   1. mix-minus, sample by sample: three PCMU parties send known signals;
 *      the packets each party receives are exactly G.711(sat(other two,
 *      decoded)) of one frame index, the index advancing by one from
 *      packet to packet (at least 90 of the 100 frames; the others are
 *      the jitter buffers' start and concealment while they grow): nobody
 *      hears themselves, nothing is skipped or repeated;
 *   2. supervision of a call caller (500 Hz) - agent (1000 Hz) by a
 *      supervisor (1500 Hz), switched during the call with CONF_JOIN:
 *      listen: supervisor hears both, nobody hears the supervisor;
 *      whisper: the agent hears the supervisor, the caller does not;
 *      barge: everyone hears everyone;
 *   3. a prompt played to the conference (2000 Hz) reaches every member,
 *      then SB_EVT_PROMPT_DONE with leg SB_LEG_NONE and the conference;
 *   4. CONF_LEAVE: the member's output is the relay's again.
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>

#include "sb/g711.h"
#include "sb/wav.h"

#include "dpm_harness.h"

#define N_FR 100u
static uint64_t now;

static void media_pcmu(uint32_t leg)
{
	union sb_msg m;

	h_media_init(&m, leg);
	m.media.codec = SB_DP_CODEC_PCMU;
	m.media.pt = 0;
	m.media.clock_hz = 8000;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

static int32_t join(uint32_t leg, uint32_t conf, uint32_t mode, uint32_t target)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.conf.h.type = SB_CMD_CONF_JOIN;
	m.conf.h.leg = leg;
	m.conf.h.leg_gen = 1;
	m.conf.conf = conf;
	m.conf.mode = mode;
	m.conf.target = target;
	m.conf.target_gen = 1;
	return h_cmd(&m);
}

static int16_t sig(unsigned p, unsigned n)
{
	static const double f[3] = {410, 730, 1130};
	double env = 0.6 + 0.4 * sin(2 * M_PI * n / 5000.0); /* no two frames alike */

	return (int16_t)lrint((6000.0 + 3000.0 * p) * env * sin(2 * M_PI * f[p] * n / 8000.0 + p));
}

static uint8_t in_code[3][N_FR][160];
static struct h_pkt cap[3][N_FR + 40];

static void test_mix_minus(void)
{
	unsigned n[3] = {0, 0, 0};
	static const uint32_t leg[3] = {0, 1, 2};

	for (unsigned p = 0; p < 3; p++) {
		media_pcmu(leg[p]);
		T_ASSERT_EQ_U64(join(leg[p], 0, SB_CONF_TALK, 0), 0);
		for (unsigned k = 0; k < N_FR; k++)
			for (unsigned s = 0; s < 160; s++)
				in_code[p][k][s] = sb_g711_ulaw_enc1(sig(p, k * 160 + s));
	}
	for (unsigned k = 0; k < N_FR + 20; k++) {
		for (unsigned p = 0; p < 3 && k < N_FR; p++) {
			uint8_t b[200];

			h_feed(h_udp(H_IP(20 + p), 4000, (uint16_t)(H_PORT_MIN + 2 * p), b,
				     h_rtp(b, 0, (uint16_t)(k + 7 * p), 160 * k, 0x100 + p, in_code[p][k],
					   160)),
			       now);
		}
		for (unsigned t = 0; t < 4; t++) {
			struct h_pkt tmp[8];
			unsigned got;

			now += h_ms(5);
			sb_dpm_timer(H.w, now);
			got = h_take(tmp, 8);
			for (unsigned i = 0; i < got; i++) {
				unsigned p = tmp[i].dst_ip == H_IP(20) ? 0 : tmp[i].dst_ip == H_IP(21) ? 1 : 2;

				T_ASSERT(tmp[i].dst_ip == H_IP(20 + p) && tmp[i].dport == 4000);
				if (n[p] < N_FR + 40)
					cap[p][n[p]++] = tmp[i];
			}
		}
	}
	for (unsigned p = 0; p < 3; p++) {
		int last = -1;
		unsigned matched = 0;

		T_ASSERT(n[p] >= N_FR);
		for (unsigned i = 0; i < n[p]; i++) {
			const uint8_t *pl = cap[p][i].b + 12;
			int hit = -1;

			T_ASSERT_EQ_U64(cap[p][i].len, 172);
			if (i > 0)
				T_ASSERT_EQ_U64(sb_be16(cap[p][i].b + 2),
						(uint16_t)(sb_be16(cap[p][i - 1].b + 2) + 1));
			for (unsigned k = 0; k < N_FR && hit < 0; k++) {
				unsigned s;

				for (s = 0; s < 160; s++) {
					int32_t v = 0;

					for (unsigned q = 0; q < 3; q++)
						if (q != p)
							v += sb_g711_ulaw_dec1(in_code[q][k][s]);
					v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
					if (pl[s] != sb_g711_ulaw_enc1((int16_t)v))
						break;
				}
				if (s == 160)
					hit = (int)k;
			}
			if (hit >= 0) {
				if (last >= 0)
					T_ASSERT_EQ_U64(hit, last + 1);
				last = hit;
				matched++;
			} /* else: before the jitter buffers start, a frame they conceal
			   * while growing their delay, or after the talkers stop */
		}
		printf("party %u: %u packets, %u exact mix-minus frames\n", p, n[p], matched);
		T_ASSERT(matched >= N_FR - 10);
	}
}

/* Amplitude of f in x (Goertzel, n samples). */
static double amp(const int16_t *x, unsigned n, double f)
{
	double w = 2 * cos(2 * M_PI * f / 8000.0), q1 = 0, q2 = 0;

	for (unsigned i = 0; i < n; i++) {
		double q0 = w * q1 - q2 + x[i];

		q2 = q1;
		q1 = q0;
	}
	return 2.0 * sqrt(fabs(q1 * q1 + q2 * q2 - w * q1 * q2)) / n;
}

static const double TONE[4] = {500, 1000, 1500, 2000}; /* caller, agent, supervisor, prompt */
#define K 3u
#define G 4u
#define S 5u

/* Run the call for ms; returns, per party, the amplitude each tone has in
 * what that party received during the second half. */
static void run_call(unsigned ms, double heard[3][4])
{
	static int16_t pcm[3][8000];
	unsigned got[3] = {0, 0, 0};
	static unsigned phase;

	for (unsigned k = 0; k < ms / 20; k++) {
		for (unsigned p = 0; p < 3; p++) {
			uint8_t b[200], pl[160];

			for (unsigned s = 0; s < 160; s++)
				pl[s] = sb_g711_ulaw_enc1((int16_t)lrint(
					4000.0 * sin(2 * M_PI * TONE[p] * (phase + s) / 8000.0)));
			h_feed(h_udp(H_IP(30 + p), 4000, (uint16_t)(H_PORT_MIN + 2 * (K + p)), b,
				     h_rtp(b, 0, (uint16_t)(phase / 160), phase, 0x200 + p, pl, 160)),
			       now);
		}
		phase += 160;
		for (unsigned t = 0; t < 4; t++) {
			struct h_pkt tmp[8];
			unsigned n;

			now += h_ms(5);
			sb_dpm_timer(H.w, now);
			n = h_take(tmp, 8);
			for (unsigned i = 0; i < n; i++) {
				unsigned p = tmp[i].dst_ip == H_IP(30) ? 0 : tmp[i].dst_ip == H_IP(31) ? 1
					   : tmp[i].dst_ip == H_IP(32) ? 2 : 3;

				if (p < 3 && k >= ms / 40 && got[p] + 160 <= 8000) { /* second half */
					sb_g711_ulaw_decode(&pcm[p][got[p]], tmp[i].b + 12, 160);
					got[p] += 160;
				}
			}
		}
	}
	for (unsigned p = 0; p < 3; p++) {
		T_ASSERT(got[p] >= 160 * 10);
		for (unsigned f = 0; f < 4; f++)
			heard[p][f] = amp(pcm[p], got[p], TONE[f]);
	}
}

/* who[p]: bit f set = party p must hear tone f. */
static void expect(const char *what, double heard[3][4], const unsigned who[3])
{
	static const char *name[3] = {"caller", "agent", "supervisor"};
	if (getenv("MD_DEBUG"))
		for (unsigned p = 0; p < 3; p++)
			printf("%s p%u: %.0f %.0f %.0f %.0f\n", what, p, heard[p][0], heard[p][1], heard[p][2], heard[p][3]);

	for (unsigned p = 0; p < 3; p++)
		for (unsigned f = 0; f < 3; f++) {
			bool must = (who[p] >> f) & 1;

			if (must ? heard[p][f] < 2000 : heard[p][f] > 100) {
				fprintf(stderr, "%s: %s hears %s at amplitude %.0f\n", what, name[p], name[f],
					heard[p][f]);
				T_ASSERT(0);
			}
		}
	printf("%s: who hears whom as expected\n", what);
}

static void test_supervision(void)
{
	double heard[3][4];
	/* bits: 1 caller, 2 agent, 4 supervisor */
	static const unsigned listen[3] = {2, 1, 3}, whisper[3] = {2, 5, 3}, barge[3] = {6, 5, 3};

	for (uint32_t l = K; l <= S; l++)
		media_pcmu(l);
	T_ASSERT_EQ_U64(join(K, 1, SB_CONF_TALK, 0), 0);
	T_ASSERT_EQ_U64(join(G, 1, SB_CONF_TALK, 0), 0);
	T_ASSERT_EQ_U64(join(S, 1, SB_CONF_WHISPER, 0), -EINVAL); /* leg 0: not in conference 1 */
	T_ASSERT_EQ_U64(join(S, 1, SB_CONF_LISTEN, 0), 0);
	T_ASSERT_EQ_U64(join(S, 1, 9, 0), -EINVAL);
	run_call(1000, heard);
	expect("listen", heard, listen);
	T_ASSERT_EQ_U64(join(S, 1, SB_CONF_WHISPER, G), 0);
	run_call(1000, heard);
	expect("whisper", heard, whisper);
	T_ASSERT_EQ_U64(join(S, 1, SB_CONF_TALK, 0), 0);
	run_call(1000, heard);
	expect("barge", heard, barge);
	T_ASSERT_EQ_U64(join(S, 1, SB_CONF_LISTEN, 0), 0);
	run_call(1000, heard);
	expect("listen again", heard, listen);
}

static void test_conf_prompt(void)
{
	static int16_t pcm[8000];
	static uint8_t wav[44 + sizeof(pcm)];
	char path[96];
	union sb_msg m;
	double heard[3][4];
	size_t wl;
	FILE *f;
	unsigned ev0;

	for (unsigned i = 0; i < 8000; i++)
		pcm[i] = (int16_t)lrint(3000.0 * sin(2 * M_PI * 2000.0 * i / 8000.0));
	wl = sb_wav_write(wav, sizeof(wav), SB_WAV_PCM16, 8000, pcm, 8000);
	snprintf(path, sizeof(path), "/tmp/md-conf-%d.wav", (int)getpid());
	f = fopen(path, "wb");
	T_ASSERT(f != NULL && fwrite(wav, 1, wl, f) == wl && fclose(f) == 0);
	memset(&m, 0, sizeof(m));
	m.prompt_load.h.type = SB_CMD_PROMPT_LOAD;
	m.prompt_load.h.leg = SB_LEG_NONE;
	m.prompt_load.prompt = 1;
	snprintf(m.prompt_load.path, sizeof(m.prompt_load.path), "%s", path);
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	unlink(path);

	memset(&m, 0, sizeof(m));
	m.prompt.h.type = SB_CMD_PROMPT_PLAY;
	m.prompt.h.leg = SB_LEG_NONE;
	m.prompt.prompt = 1;
	m.prompt.conf = 1;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	ev0 = H.n_ev;
	run_call(1000, heard); /* the 1 s prompt covers the measured half */
	for (unsigned p = 0; p < 3; p++)
		T_ASSERT(heard[p][3] > 2000);
	run_call(600, heard);
	h_drain_events(0, NULL, NULL);
	{
		unsigned done = 0;

		for (unsigned i = ev0; i < H.n_ev; i++)
			if (H.ev[i].h.type == SB_EVT_PROMPT_DONE) {
				T_ASSERT_EQ_U64(H.ev[i].h.leg, SB_LEG_NONE);
				T_ASSERT_EQ_U64(H.ev[i].prompt_evt.conf, 1);
				T_ASSERT_EQ_U64(H.ev[i].prompt_evt.reason, SB_PROMPT_END_DONE);
				T_ASSERT_EQ_U64(H.ev[i].prompt_evt.frames, 50);
				done++;
			}
		T_ASSERT_EQ_U64(done, 1);
	}
	printf("conference prompt: heard by all three, done event\n");
}

int main(int argc, char **argv)
{
	union sb_msg m;
	struct h_pkt out[4];
	uint8_t b[200], pl[160];
	int rc;

	(void)argc;
	(void)argv;
	rc = h_init("conf", 16, 1);
	if (rc != 0)
		return rc;
	now = rte_rdtsc();
	for (uint32_t l = 0; l < 3; l++)
		h_leg_add(l, H_IP(20 + l), 4000, (uint16_t)(H_PORT_MIN + 2 * l), 0);
	for (uint32_t l = K; l <= S; l++)
		h_leg_add(l, H_IP(30 + l - K), 4000, (uint16_t)(H_PORT_MIN + 2 * l), 0);
	for (uint32_t l = 0; l < 3; l++) {
		h_arp(H_IP(20 + l), now);
		h_arp(H_IP(30 + l), now);
	}
	h_leg_add(6, H_IP(40), 4000, H_PORT_MIN + 12, 0);
	T_ASSERT_EQ_U64(join(6, 0, SB_CONF_TALK, 0), -ENOTSUP); /* no LEG_MEDIA */
	sb_dpm_timer(H.w, now);
	test_mix_minus();
	test_supervision();
	test_conf_prompt();

	/* 4: leave: relaying resumes for a connected member */
	memset(&m, 0, sizeof(m));
	m.h.type = SB_CMD_CONF_LEAVE;
	m.h.leg = 0;
	m.h.leg_gen = 1;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	h_connect(0, 1);
	memset(pl, 0x44, sizeof(pl));
	now += h_ms(20);
	sb_dpm_timer(H.w, now);
	h_take(out, 4);
	h_feed(h_udp(H_IP(21), 4000, H_PORT_MIN + 2, b, h_rtp(b, 0, 1, 1, 9, pl, 160)), now);
	T_ASSERT_EQ_U64(h_take(out, 4), 0); /* 1 is still a member: to the mixer */
	h_feed(h_udp(H_IP(20), 4000, H_PORT_MIN, b, h_rtp(b, 0, 1, 1, 9, pl, 160)), now);
	T_ASSERT_EQ_U64(h_take(out, 4), 0); /* to 1, a member: its output is the mixer's */
	m.h.leg = 1;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	h_feed(h_udp(H_IP(20), 4000, H_PORT_MIN, b, h_rtp(b, 0, 2, 161, 9, pl, 160)), now);
	T_ASSERT_EQ_U64(h_take(out, 4), 1);
	T_ASSERT(out[0].dst_ip == H_IP(21) && out[0].b[12] == 0x44);
	h_fini();
	printf("dp_media_conf: ok\n");
	return 0;
}
