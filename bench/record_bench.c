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
 * Output: a table, then one JSON line with calls, mb_per_s,
 * ratio_vs_write_loop, cpu_per_1000_calls (recorder cores per 1000
 * calls), ratio_vs_write_per_packet (CPU of per_packet / recorder).
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

#include "sb/g711.h"
#include "sb/rec.h"

static unsigned ncalls = 200, secs = 15, reps = 3;
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

static int run_recorder(struct res *o)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 8192, .max_calls = ncalls,
		.nbufs = ncalls + ncalls / 4 + 64, .buf_size = 64 * 1024,
	};
	struct sb_rec_frame f[2];
	struct sb_rec *r = sb_rec_create(&cfg);
	struct sb_rec_prod *p;
	double t0, c0;
	char path[256];
	int rc = 0;

	if (r == NULL)
		return -errno;
	p = sb_rec_prod(r, 0);
	for (unsigned c = 0; c < ncalls; c++) {
		path_of(path, sizeof(path), "rec", c);
		while (sb_rec_start(r, c, path, SB_REC_FMT_PCM16) == -EAGAIN)
			sb_rec_poll(r);
	}
	t0 = now_s();
	c0 = cpu_s();
	/* calls start staggered over 2 s (as real calls do), so their
	 * buffers do not all fill in the same poll */
	for (unsigned k = 0; k < secs * 50 + 100; k++) {
		for (unsigned c = 0; c < ncalls; c++) {
			unsigned kc = k - c % 100;

			if (k < c % 100 || kc >= secs * 50)
				continue;
			frame(&f[0], c, SB_REC_CALLER, kc);
			frame(&f[1], c, SB_REC_AGENT, kc);
			/* the bench is not a worker: make room rather than drop */
			while (sb_ring_count(p->ring) > cfg.ring_slots - 2)
				sb_rec_poll(r);
			sb_rec_push_burst(p, f, 2);
		}
		sb_rec_poll(r);
	}
	for (unsigned c = 0; c < ncalls; c++)
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
	unlink_all("rec", ncalls);
	return rc;
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
	}
	if (ncalls == 0 || secs == 0 || reps == 0 || reps > 16) {
		fprintf(stderr, "usage: record_bench [--calls N] [--secs S] [--reps R<=16]\n");
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
	rmdir(dir);
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
		       "\"calls_run\":%u,\"secs\":%u,\"reps\":%u}\n",
		       calls, mb, mb / mb_loop, cpu1000, mpc / mrc, ncalls, secs, reps);
	}
	return 0;
}
