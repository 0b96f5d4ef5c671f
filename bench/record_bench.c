/* SPDX-License-Identifier: MIT */
/*
 * record_bench — concurrent recorded calls per recorder thread (issue 7).
 *
 * N calls, each a caller and an agent G.711 stream (20 ms frames), S
 * seconds of audio, pushed as fast as the recorder takes them (not in real
 * time), in the same run against two references writing the same audio:
 *
 *   recorder    libsbrec: rings -> stereo PCM16 WAV, io_uring, registered
 *               64 KiB buffers (1.25 per call), batched submissions;
 *               the calls start staggered over 2 s
 *   write_loop  a plain sequential write(2) loop, 64 KiB per call, writing
 *               the same bytes into the same number of files, fdatasync at
 *               each file's end as the recorder does at close (bandwidth)
 *   per_packet  a recorder making one pwrite(2) per packet (decode, then
 *               write 320 bytes into a per-channel file; fdatasync each)
 *
 * CPU is the process's user+system time (getrusage; io_uring's workers
 * are threads of the process, so they count).  Capacity = N * S / CPU
 * seconds: calls one recorder core keeps up with in real time, with no
 * frame dropped (checked: the run fails if a frame or sample was lost).
 * Buffered writes into the page cache (O_DIRECT off), files deleted after
 * each run; medians of --reps.
 *
 * Formats (--fmt-calls N --fmt-secs S, 0 calls = skip): the same
 * recorder writing each file format in turn, N calls x S s, medians of
 * --reps: wav-pcm16, wav-g711, wav-mono, ogg-opus (encoded on the
 * recorder thread), ogg-opus-mono, pcap (2 ring elements per packet),
 * wav-pcm16 with DTMF masking (in-band detector on both channels), and
 * wav-pcm16 whose caller is an Opus leg (decoded on the recorder thread).
 * Bytes per call-minute and recorder cores per 1000 calls, each also as a
 * ratio to wav-pcm16 of the same run.
 *
 * Output: tables, then one JSON line with calls, mb_per_s,
 * ratio_vs_write_loop, cpu_per_1000_calls (recorder cores per 1000
 * calls), ratio_vs_write_per_packet (CPU of per_packet / recorder), and
 * formats: {name: {bytes_per_min, cpu_per_1000_calls}}.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <opus/opus.h>

#include "sb/g711.h"
#include "sb/rec.h"

static unsigned ncalls = 200, secs = 15, reps = 3, fcalls = 20, fsecs = 10;
static uint8_t opus_pkt[50][200]; /* 1 s of a 440 Hz Opus leg (16 kbit/s) */
static int opus_len[50];

/* One recording mode of the format table. */
struct mode {
	const char *name;
	unsigned fmt, flags;
	bool opus_in; /* the caller is an Opus leg */
};

static const struct mode modes[] = {
	{"wav-pcm16", SB_REC_FMT_PCM16, 0, false},
	{"wav-g711", SB_REC_FMT_ULAW, 0, false},
	{"wav-mono", SB_REC_FMT_MONO, 0, false},
	{"ogg-opus", SB_REC_FMT_OPUS, 0, false},
	{"ogg-opus-mono", SB_REC_FMT_OPUS_MONO, 0, false},
	{"pcap", SB_REC_FMT_PCAP, 0, false},
	{"pcm16+mask", SB_REC_FMT_PCM16, SB_REC_OPT_MASK_DTMF, false},
	{"pcm16+opus_in", SB_REC_FMT_PCM16, 0, true},
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))
static char dir[] = "/var/tmp/sb-rec-bench.XXXXXX";
static uint8_t tone[2][8000]; /* 1 s of µ-law: 440 Hz and 1000 Hz */

struct res {
	double wall, cpu;
	uint64_t bytes;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void frame(struct sb_rec_frame *f, uint32_t call, unsigned chan, unsigned k)
{
	f->call_id = call;
	f->chan = chan;
	f->codec = SB_REC_PCMU;
	f->len = 160;
	f->ts = k * 160;
	memcpy(f->payload, tone[chan] + (k % 50) * 160, 160);
}

/* The frames of call c at 20 ms frame k in mode m; returns how many. */
static unsigned mode_frames(struct sb_rec_frame *f, const struct mode *m, uint32_t c, unsigned k)
{
	if (m->fmt == SB_REC_FMT_PCAP) {
		unsigned n = 0;

		for (unsigned ch = 0; ch < 2; ch++) {
			struct sb_rec_pkt pk = {.time_ns = 1700000000000000000ull + k * 20000000ull,
						.orig_len = 172, .cap_len = 172,
						.src_port = (uint16_t)(4000 + ch), .dst_port = 30000};
			uint8_t b[sizeof(pk) + 172];

			memcpy(b, &pk, sizeof(pk));
			memset(b + sizeof(pk), 0x80, 12);
			memcpy(b + sizeof(pk) + 12, tone[ch] + (k % 50) * 160, 160);
			for (unsigned off = 0; off < sizeof(b); n++) {
				unsigned l = sizeof(b) - off < SB_REC_PAYLOAD_MAX ? sizeof(b) - off
										   : SB_REC_PAYLOAD_MAX;

				memset(&f[n], 0, offsetof(struct sb_rec_frame, payload));
				f[n].call_id = c;
				f[n].chan = (uint8_t)ch;
				f[n].codec = SB_REC_PKT;
				f[n].len = (uint16_t)l;
				f[n].flags = (off ? SB_REC_FRAME_CONT : 0) |
					     (off + l < sizeof(b) ? SB_REC_FRAME_MORE : 0);
				memcpy(f[n].payload, b + off, l);
				off += l;
			}
		}
		return n;
	}
	frame(&f[0], c, SB_REC_CALLER, k);
	frame(&f[1], c, SB_REC_AGENT, k);
	if (m->opus_in) {
		f[0].codec = SB_REC_OPUS;
		f[0].ts = k * 960;
		f[0].len = (uint16_t)opus_len[k % 50];
		memcpy(f[0].payload, opus_pkt[k % 50], f[0].len);
	}
	return 2;
}

static void path_of(char *p, size_t n, const char *kind, unsigned c)
{
	snprintf(p, n, "%s/%s%u", dir, kind, c);
}

static void unlink_all(const char *kind, unsigned nfiles)
{
	char p[256];

	for (unsigned c = 0; c < nfiles; c++) {
		path_of(p, sizeof(p), kind, c);
		unlink(p);
	}
}

static int run_recorder_mode(struct res *o, const struct mode *m, unsigned nc, unsigned ns)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 8192, .max_calls = nc,
		.nbufs = nc + nc / 4 + 64, .buf_size = 64 * 1024,
	};
	struct sb_rec_frame f[4];
	struct sb_rec *r = sb_rec_create(&cfg);
	struct sb_rec_prod *p;
	double t0, c0;
	char path[256];
	int rc = 0;

	if (r == NULL)
		return -errno;
	p = sb_rec_prod(r, 0);
	for (unsigned c = 0; c < nc; c++) {
		path_of(path, sizeof(path), "rec", c);
		while (sb_rec_start_opts(r, c, path, (enum sb_rec_fmt)m->fmt, 0, m->flags) == -EAGAIN)
			sb_rec_poll(r);
	}
	t0 = now_s();
	c0 = cpu_s();
	/* calls start staggered over 2 s (as real calls do), so their
	 * buffers do not all fill in the same poll */
	for (unsigned k = 0; k < ns * 50 + 100; k++) {
		for (unsigned c = 0; c < nc; c++) {
			unsigned kc = k - c % 100;

			if (k < c % 100 || kc >= ns * 50)
				continue;
			unsigned nf = mode_frames(f, m, c, kc);

			/* the bench is not a worker: make room rather than drop */
			while (sb_ring_count(p->ring) > cfg.ring_slots - nf)
				sb_rec_poll(r);
			sb_rec_push_burst(p, f, nf);
		}
		sb_rec_poll(r);
	}
	for (unsigned c = 0; c < nc; c++)
		while (sb_rec_stop(r, c) == -EAGAIN)
			sb_rec_poll(r);
	if (sb_rec_drain(r, 120000) != 0)
		rc = -ETIMEDOUT;
	o->wall = now_s() - t0;
	o->cpu = cpu_s() - c0;
	o->bytes = sb_rec_counter(r, SB_REC_C_WRITE_BYTES);
	if (p->drop_full || sb_rec_counter(r, SB_REC_C_SAMPLES_LOST) ||
	    sb_rec_counter(r, SB_REC_C_CALLS_INCOMPLETE)) {
		fprintf(stderr, "recorder lost audio: drop_full %llu lost %llu incomplete %llu\n",
			(unsigned long long)p->drop_full,
			(unsigned long long)sb_rec_counter(r, SB_REC_C_SAMPLES_LOST),
			(unsigned long long)sb_rec_counter(r, SB_REC_C_CALLS_INCOMPLETE));
		rc = -EIO;
	}
	if (!sb_rec_fixed_buffers(r))
		fprintf(stderr, "note: buffers not registered (RLIMIT_MEMLOCK?)\n");
	sb_rec_free(r);
	unlink_all("rec", nc);
	return rc;
}

static int run_recorder(struct res *o)
{
	return run_recorder_mode(o, &modes[0], ncalls, secs);
}

/* The same bytes per file as the recorder wrote, in 64 KiB write(2)s. */
static int run_write_loop(struct res *o, uint64_t per_file)
{
	static uint8_t buf[64 * 1024];
	double t0 = now_s(), c0 = cpu_s();
	char path[256];

	memset(buf, 0x55, sizeof(buf));
	o->bytes = 0;
	for (unsigned c = 0; c < ncalls; c++) {
		int fd;

		path_of(path, sizeof(path), "loop", c);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		for (uint64_t left = per_file; left > 0;) {
			size_t k = left < sizeof(buf) ? left : sizeof(buf);

			if (write(fd, buf, k) != (ssize_t)k) {
				close(fd);
				return -EIO;
			}
			left -= k;
			o->bytes += k;
		}
		/* as durable as the recorder's files at close */
		fdatasync(fd);
		close(fd);
	}
	o->wall = now_s() - t0;
	o->cpu = cpu_s() - c0;
	unlink_all("loop", ncalls);
	return 0;
}

/* One pwrite(2) per packet: decode and write 320 bytes at its place. */
static int run_per_packet(struct res *o)
{
	int *fd = calloc(2 * ncalls, sizeof(int));
	struct sb_rec_frame f;
	int16_t pcm[160];
	double t0, c0;
	char path[256];
	int rc = 0;

	if (fd == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < 2 * ncalls; i++) {
		path_of(path, sizeof(path), "pkt", i);
		fd[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd[i] < 0) {
			rc = -errno;
			ncalls = i / 2;
			goto out;
		}
	}
	t0 = now_s();
	c0 = cpu_s();
	o->bytes = 0;
	for (unsigned k = 0; k < secs * 50 && rc == 0; k++)
		for (unsigned c = 0; c < ncalls; c++)
			for (unsigned ch = 0; ch < 2; ch++) {
				frame(&f, c, ch, k);
				sb_g711_ulaw_decode(pcm, f.payload, f.len);
				if (pwrite(fd[2 * c + ch], pcm, sizeof(pcm),
					   (off_t)f.ts * 2) != sizeof(pcm)) {
					rc = -EIO;
					break;
				}
				o->bytes += sizeof(pcm);
			}
	for (unsigned i = 0; i < 2 * ncalls; i++)
		fdatasync(fd[i]);
	o->wall = now_s() - t0;
	o->cpu = cpu_s() - c0;
out:
	for (unsigned i = 0; i < 2 * ncalls; i++)
		if (fd[i] > 0)
			close(fd[i]);
	unlink_all("pkt", 2 * ncalls);
	free(fd);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double rw[16], rc_[16], lw[16], lc[16], pw[16], pc[16];
	struct rlimit rl;
	uint64_t rec_bytes = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--calls"))
			ncalls = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--secs"))
			secs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reps"))
			reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--fmt-calls"))
			fcalls = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--fmt-secs"))
			fsecs = atoi(argv[i + 1]);
	}
	if (ncalls == 0 || secs == 0 || reps == 0 || reps > 16) {
		fprintf(stderr, "usage: record_bench [--calls N] [--secs S] [--reps R<=16] "
			"[--fmt-calls N (0: no format table)] [--fmt-secs S]\n");
		return 2;
	}
	/* the per-packet reference keeps two files per call open */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * ncalls + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (unsigned i = 0; i < 8000; i++) {
		tone[0][i] = sb_g711_ulaw_enc1((int16_t)lrint(8000 * sin(2 * M_PI * 440 * i / 8000.0)));
		tone[1][i] = sb_g711_ulaw_enc1((int16_t)lrint(8000 * sin(2 * M_PI * 1000 * i / 8000.0)));
	}
	{
		int err;
		OpusEncoder *e = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);
		int16_t pcm[160];

		if (e == NULL || opus_encoder_ctl(e, OPUS_SET_BITRATE(16000)) != OPUS_OK)
			return 1;
		for (unsigned k = 0; k < 50; k++) {
			for (unsigned i = 0; i < 160; i++)
				pcm[i] = sb_g711_ulaw_dec1(tone[0][k * 160 + i]);
			opus_len[k] = opus_encode(e, pcm, 160, opus_pkt[k], SB_REC_PAYLOAD_MAX);
			if (opus_len[k] <= 0)
				return 1;
		}
		opus_encoder_destroy(e);
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (unsigned i = 0; i < reps; i++) {
		struct res r = { 0 }, l = { 0 }, p = { 0 };
		int e;

		if ((e = run_recorder(&r)) < 0 ||
		    (e = run_write_loop(&l, r.bytes / ncalls)) < 0 ||
		    (e = run_per_packet(&p)) < 0) {
			fprintf(stderr, "record_bench: %s\n", strerror(-e));
			unlink_all("rec", ncalls);
			unlink_all("loop", ncalls);
			unlink_all("pkt", 2 * ncalls);
			rmdir(dir);
			return 1;
		}
		rw[i] = r.wall; rc_[i] = r.cpu;
		lw[i] = l.wall; lc[i] = l.cpu;
		pw[i] = p.wall; pc[i] = p.cpu;
		rec_bytes = r.bytes;
		printf("rep %u: recorder %.3f s wall %.3f s cpu | write_loop %.3f / %.3f | "
		       "per_packet %.3f / %.3f\n", i, r.wall, r.cpu, l.wall, l.cpu, p.wall, p.cpu);
	}
	double fbytes[NMODES], fcpu[NMODES];

	for (unsigned m = 0; fcalls > 0 && m < NMODES; m++) {
		double c[16];
		struct res r = { 0 };
		int e;

		for (unsigned i = 0; i < reps; i++) {
			if ((e = run_recorder_mode(&r, &modes[m], fcalls, fsecs)) < 0) {
				fprintf(stderr, "record_bench: %s: %s\n", modes[m].name, strerror(-e));
				rmdir(dir);
				return 1;
			}
			c[i] = r.cpu;
		}
		fbytes[m] = (double)r.bytes / fcalls / (fsecs / 60.0);
		fcpu[m] = median(c, reps) / fsecs * 1000.0 / fcalls;
	}
	rmdir(dir);
	if (fcalls > 0) {
		printf("\nformats: %u calls x %u s, medians of %u runs (cpu: recorder cores per 1000 calls)\n",
		       fcalls, fsecs, reps);
		printf("%-16s %14s %10s %10s %10s\n", "", "bytes/call-min", "vs pcm16", "cpu/1000",
		       "vs pcm16");
		for (unsigned m = 0; m < NMODES; m++)
			printf("%-16s %14.0f %10.3f %10.3f %10.2f\n", modes[m].name, fbytes[m],
			       fbytes[m] / fbytes[0], fcpu[m], fcpu[m] / fcpu[0]);
	}
	{
		double mrw = median(rw, reps), mrc = median(rc_, reps), mlw = median(lw, reps);
		double mlc = median(lc, reps), mpw = median(pw, reps), mpc = median(pc, reps);
		double mb = rec_bytes / mrw / 1e6, mb_loop = rec_bytes / mlw / 1e6;
		double audio = (double)ncalls * secs;
		unsigned calls = (unsigned)(audio / mrc);
		double cpu1000 = mrc / secs * 1000.0 / ncalls;

		printf("\n%u calls x %u s of stereo audio (%.1f MB PCM16), medians of %u runs\n",
		       ncalls, secs, rec_bytes / 1e6, reps);
		printf("%-12s %10s %10s %10s %16s\n", "", "wall s", "cpu s", "MB/s", "cores/1000 calls");
		printf("%-12s %10.3f %10.3f %10.1f %16.3f\n", "recorder", mrw, mrc, mb, cpu1000);
		printf("%-12s %10.3f %10.3f %10.1f %16s\n", "write_loop", mlw, mlc, mb_loop, "-");
		printf("%-12s %10.3f %10.3f %10.1f %16.3f\n", "per_packet", mpw, mpc,
		       rec_bytes / mpw / 1e6, mpc / secs * 1000.0 / ncalls);
		printf("capacity: %u calls per recorder core in real time (no audio lost)\n", calls);
		printf("{\"bench\":\"record\",\"calls\":%u,\"mb_per_s\":%.1f,\"ratio_vs_write_loop\":%.3f,"
		       "\"cpu_per_1000_calls\":%.4f,\"ratio_vs_write_per_packet\":%.2f,"
		       "\"calls_run\":%u,\"secs\":%u,\"reps\":%u,\"formats\":{",
		       calls, mb, mb / mb_loop, cpu1000, mpc / mrc, ncalls, secs, reps);
		for (unsigned m = 0; fcalls > 0 && m < NMODES; m++)
			printf("%s\"%s\":{\"bytes_per_min\":%.0f,\"cpu_per_1000_calls\":%.4f}",
			       m ? "," : "", modes[m].name, fbytes[m], fcpu[m]);
		printf("}}\n");
	}
	return 0;
}
