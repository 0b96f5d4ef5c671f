/* SPDX-License-Identifier: MIT */
/*
 * dtmf_inband_t — sb/dtmf.h in-band detection on decoded G.711.
 *
 * Signals are made here: each digit is its two sines (low group -9 dBm0,
 * high group -7 dBm0, i.e. 2 dB normal twist, random phases), white
 * Gaussian noise added over the whole signal at 20 dB SNR (noise power
 * 1/100 of the two tones' power), then encoded and decoded with G.711
 * (µ-law and A-law, media/g711.h) and fed in 20 ms frames.
 *   - all 16 digits, 40..150 ms each with 40..120 ms pauses, exact and at
 *     +-1.5 % frequency error (Q.23): each detected exactly once, in
 *     order, BEGIN then END, duration within -26/+13 ms (blocks at least
 *     70 % filled with tone are counted) and timestamp within -0.5/+2
 *     blocks of truth; once more at 10 dB SNR for the margin;
 *   - the same key twice with a 50 ms pause: two digits;
 *   - a 1-block dropout inside a 200 ms tone: still one digit;
 *   - 15 ms tones, at 16 alignments to the blocks: none;
 *   - no digit on noise alone (-20 dBm0, 10 s), a 1 kHz tone (-10 dBm0),
 *     a synthetic vowel-like signal (harmonics of a gliding 90-260 Hz
 *     fundamental under formant peaks near the DTMF rows and columns,
 *     syllable envelope, 30 s), and, when espeak-ng and sox are installed,
 *     real speech (espeak-ng, resampled by sox to 8 kHz; about 40 s).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb/dtmf.h"
#include "sb/g711.h"
#include "test.h"

#define FS 8000
#define A0 22662.0   /* 0 dBm0 sine amplitude, 16-bit */
#define MAXS (FS * 60)

static const double lowf[4] = { 697, 770, 852, 941 };
static const double highf[4] = { 1209, 1336, 1477, 1633 };
/* event -> row, column */
static const uint8_t ev_row[16] = { 3, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 0, 1, 2, 3 };
static const uint8_t ev_col[16] = { 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2, 3, 3, 3, 3 };

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double urand(void)   /* (0, 1) */
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

static double dbm0(double db)
{
	return A0 * pow(10, db / 20);
}

static double sig[MAXS];
static int16_t pcm[MAXS];

struct tone { unsigned ev; unsigned start, len; };  /* samples */

/* digits into sig[] (which holds 0 or something already) */
static void add_digit(unsigned ev, unsigned start, unsigned len, double ferr)
{
	double a = dbm0(-9), b = dbm0(-7);
	double fa = lowf[ev_row[ev]] * (1 + ferr), fb = highf[ev_col[ev]] * (1 + ferr);
	double pa = 2 * M_PI * urand(), pb = 2 * M_PI * urand();

	for (unsigned i = 0; i < len; i++)
		sig[start + i] += a * sin(2 * M_PI * fa * i / FS + pa) + b * sin(2 * M_PI * fb * i / FS + pb);
}

static void add_noise(unsigned n, double sigma)
{
	for (unsigned i = 0; i < n; i++)
		sig[i] += sigma * gauss();
}

/* through G.711 (law 0 µ, 1 A) into pcm[] */
static void codec(unsigned n, int law)
{
	for (unsigned i = 0; i < n; i++) {
		double v = sig[i] > 32767 ? 32767 : sig[i] < -32768 ? -32768 : sig[i];
		int16_t x = (int16_t)lrint(v);

		pcm[i] = law ? sb_g711_alaw_dec1(sb_g711_alaw_enc1(x))
			     : sb_g711_ulaw_dec1(sb_g711_ulaw_enc1(x));
	}
}

struct res { struct sb_dtmf_ev ev[512]; unsigned n; struct sb_dtmf_ib d; };

/* 20 ms frames from RTP timestamp ts0 */
static void detect(struct res *r, const int16_t *x, unsigned n, uint32_t ts0)
{
	sb_dtmf_ib_init(&r->d);
	r->n = 0;
	for (unsigned s = 0; s < n; s += 160) {
		unsigned k = n - s < 160 ? n - s : 160;

		r->n += sb_dtmf_ib_process(&r->d, x + s, k, ts0 + s, r->ev + r->n, 512 - r->n);
		T_ASSERT(r->n < 500);
	}
	T_ASSERT_EQ_U64(r->d.st.ev_lost, 0);
}

static void dump(const struct res *r)
{
	for (unsigned i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %c ts %u dur %u ms\n",
			r->ev[i].kind == SB_DTMF_BEGIN ? "BEGIN" : "END  ",
			sb_dtmf_char(r->ev[i].event), r->ev[i].ts, r->ev[i].dur_ms);
}

/* r holds exactly BEGIN/END of t[0..n), each within tolerance */
static void check(const struct res *r, const struct tone *t, unsigned n, uint32_t ts0)
{
	if (r->n != 2 * n)
		dump(r);
	T_ASSERT_EQ_U64(r->n, 2 * n);
	for (unsigned i = 0; i < n; i++) {
		const struct sb_dtmf_ev *b = &r->ev[2 * i], *e = &r->ev[2 * i + 1];
		int dts = (int)(b->ts - (ts0 + t[i].start));
		int ddur = (int)e->dur_ts - (int)t[i].len;

		if (b->event != t[i].ev || e->event != t[i].ev || b->kind != SB_DTMF_BEGIN ||
		    e->kind != SB_DTMF_END || dts < -SB_DTMF_IB_BLOCK / 2 ||
		    dts > 2 * SB_DTMF_IB_BLOCK ||
		    ddur < -2 * SB_DTMF_IB_BLOCK || ddur > SB_DTMF_IB_BLOCK) {
			fprintf(stderr, "digit %u: want %c at %u for %u; ts off %d, dur off %d\n", i,
				sb_dtmf_char(t[i].ev), t[i].start, t[i].len, dts, ddur);
			dump(r);
			T_ASSERT(0);
		}
		T_ASSERT(b->src == SB_DTMF_FROM_INBAND && e->ts == b->ts);
		T_ASSERT_EQ_U64(e->dur_ms, e->dur_ts / 8);
	}
}

/* all 16 digits, lengths and pauses varied, 20 dB SNR */
static void test_digits(int law, double ferr, double snr_db)
{
	static struct res r;
	struct tone t[16];
	unsigned pos = 800, n;
	double psig = (pow(dbm0(-9), 2) + pow(dbm0(-7), 2)) / 2;
	int maxdur = 0, mindur = 1 << 30;

	memset(sig, 0, sizeof(sig));
	for (unsigned i = 0; i < 16; i++) {
		t[i].ev = (i * 5 + 1) % 16;
		t[i].start = pos;
		t[i].len = 320 + 80 * ((i * 3) % 12);        /* 40 .. 150 ms */
		add_digit(t[i].ev, t[i].start, t[i].len, ferr);
		pos += t[i].len + 320 + 160 * (i % 4);       /* pauses 40 .. 100 ms */
	}
	n = pos + 800;
	add_noise(n, sqrt(psig / pow(10, snr_db / 10)));
	codec(n, law);
	detect(&r, pcm, n, 0x7ffffff0u);
	check(&r, t, 16, 0x7ffffff0u);
	for (unsigned i = 0; i < 16; i++) {
		int d = (int)r.ev[2 * i + 1].dur_ts - (int)t[i].len;

		maxdur = d > maxdur ? d : maxdur;
		mindur = d < mindur ? d : mindur;
	}
	printf("16 digits, %s, f %+.1f %%, SNR %.0f dB: all once; duration error %+.1f..%+.1f ms\n",
	       law ? "A-law" : "u-law", ferr * 100, snr_db, mindur / 8.0, maxdur / 8.0);
}

static void test_timing(void)
{
	static struct res r;
	unsigned n = 8000;
	struct tone two[2] = { { 5, 800, 800 }, { 5, 800 + 800 + 400, 800 } };

	/* the same key twice, 50 ms apart: two digits */
	memset(sig, 0, sizeof(sig));
	add_digit(5, two[0].start, two[0].len, 0);
	add_digit(5, two[1].start, two[1].len, 0);
	add_noise(n, dbm0(-40));
	codec(n, 0);
	detect(&r, pcm, n, 0);
	check(&r, two, 2, 0);

	/* a 10 ms dropout inside a 200 ms tone: one digit */
	memset(sig, 0, sizeof(sig));
	add_digit(9, 800, 1600, 0);
	for (unsigned i = 1600; i < 1680; i++)
		sig[i] = 0;
	add_noise(n, dbm0(-40));
	codec(n, 0);
	detect(&r, pcm, n, 0);
	T_ASSERT_EQ_U64(r.n, 2);
	T_ASSERT(r.ev[0].event == 9 && r.ev[1].dur_ts >= 1600 - 2 * SB_DTMF_IB_BLOCK);

	/* 15 ms tones at every alignment to the blocks, 80 ms apart: too
	 * short, nothing (2 blocks at least 70 % full need 17.8 ms) */
	memset(sig, 0, sizeof(sig));
	for (unsigned i = 0; i < 16; i++)
		add_digit(i, 400 + i * 807, 120, 0);
	add_noise(16 * 800 + 800, dbm0(-40));
	codec(16 * 800 + 800, 0);
	detect(&r, pcm, 16 * 800 + 800, 0);
	if (r.n)
		dump(&r);
	T_ASSERT_EQ_U64(r.n, 0);
	printf("same key twice 50 ms apart: 2; 10 ms dropout: 1; 15 ms tones: 0\n");
}

static void no_digit(const char *what, unsigned n)
{
	static struct res r;

	codec(n, 0);
	detect(&r, pcm, n, 0);
	printf("%-40s %5.1f s: %u digits (%llu blocks, %llu lone hits; rejected: twist %llu, "
	       "peak %llu, harmonic %llu, energy %llu)\n", what, n / 8000.0, r.n / 2,
	       (unsigned long long)r.d.st.blocks, (unsigned long long)r.d.st.hits,
	       (unsigned long long)r.d.st.rej_twist,
	       (unsigned long long)r.d.st.rej_peak, (unsigned long long)r.d.st.rej_harm,
	       (unsigned long long)r.d.st.rej_energy);
	if (r.n)
		dump(&r);
	T_ASSERT_EQ_U64(r.n, 0);
}

/* voiced-speech stand-in: harmonics of a gliding fundamental, shaped by
 * three formants that wander across the DTMF bands, in syllables */
static void synth_speech(unsigned n)
{
	double ph[40] = { 0 }, f0 = 120;

	for (unsigned i = 0; i < n; i++) {
		double t = (double)i / FS, v = 0;
		double f1 = 650 + 250 * sin(2 * M_PI * 0.7 * t);
		double f2 = 1300 + 400 * sin(2 * M_PI * 0.43 * t + 1);
		double f3 = 2500 + 300 * sin(2 * M_PI * 0.31 * t);
		double env = pow(fabs(sin(2 * M_PI * 2.5 * t)), 0.5);  /* ~5 syllables/s */

		f0 = 175 + 85 * sin(2 * M_PI * 0.9 * t) * sin(2 * M_PI * 0.13 * t);
		for (unsigned h = 1; h <= 40 && h * f0 < 3600; h++) {
			double f = h * f0;
			double g = 1 / (1 + pow((f - f1) / 90, 2)) + 0.6 / (1 + pow((f - f2) / 110, 2)) +
				   0.3 / (1 + pow((f - f3) / 150, 2));

			ph[h - 1] += 2 * M_PI * f / FS;
			v += g * sin(ph[h - 1]);
		}
		sig[i] = dbm0(-12) * env * v;
	}
}

/* espeak-ng -> sox -> 8 kHz s16; 0 when either is missing */
static unsigned real_speech(void)
{
	static const char *cmd =
		"command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1 && "
		"espeak-ng -v en-us -s 150 --stdout 'Thank you for calling. All of our agents are "
		"busy helping other customers. Please stay on the line and your call will be "
		"answered in the order it was received. For billing, press one. For technical "
		"support, press two. To hear these options again, press the star key. "
		"Good morning, my account number is four five nine two, and I would like to "
		"ask about a charge on my last invoice from October.' 2>/dev/null | "
		"sox -q -t wav - -t raw -r 8000 -e signed -b 16 -c 1 - 2>/dev/null";
	FILE *f = popen(cmd, "r");
	unsigned n = 0;

	if (f == NULL)
		return 0;
	n = (unsigned)fread(pcm, 2, MAXS, f);
	pclose(f);
	return n > FS ? n : 0;
}

static void test_talk_off(void)
{
	unsigned n;
	double peak = 0;

	memset(sig, 0, sizeof(sig));
	add_noise(10 * FS, dbm0(-20));
	no_digit("white noise -20 dBm0", 10 * FS);

	for (unsigned i = 0; i < 5 * FS; i++)
		sig[i] = dbm0(-10) * sin(2 * M_PI * 1000.0 * i / FS);
	no_digit("1 kHz tone -10 dBm0", 5 * FS);

	synth_speech(30 * FS);
	no_digit("synthetic vowels (harmonics, formants)", 30 * FS);

	n = real_speech();
	if (n == 0) {
		printf("real speech: espeak-ng or sox not installed, synthetic only\n");
		return;
	}
	/* twice: as spoken (about -15 dBm0) and 10 dB hotter */
	for (unsigned i = 0; i < n; i++)
		peak = fabs((double)pcm[i]) > peak ? fabs((double)pcm[i]) : peak;
	for (unsigned rep = 0; rep < 2; rep++) {
		double g = (rep ? 3.16 : 1.0) * 16000 / (peak > 0 ? peak : 1);
		static int16_t keep[MAXS];

		if (rep == 0)
			memcpy(keep, pcm, n * sizeof(*pcm));
		for (unsigned i = 0; i < n; i++)
			sig[i] = keep[i] * g;
		no_digit(rep ? "espeak-ng speech via sox, +10 dB (clips)" : "espeak-ng speech via sox",
			 n);
	}
}

int main(void)
{
	test_digits(0, 0, 20);
	test_digits(1, 0, 20);
	test_digits(0, 0.015, 20);
	test_digits(1, -0.015, 20);
	test_digits(0, 0, 10);   /* margin: still exact at 10 dB (fails near 6) */
	test_timing();
	test_talk_off();
	printf("dtmf_inband: ok\n");
	return 0;
}
