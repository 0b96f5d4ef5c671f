/* SPDX-License-Identifier: MIT */
/*
 * ring_bench — throughput of the control/dataplane SP/SC ring (sb/ring.h),
 * side by side in one run with DPDK's rte_ring in SP/SC mode as the
 * reference, carrying the real 128-byte ABI message (union sb_msg).
 *
 *   sb ring, two threads       (same process, producer and consumer pinned
 *                               to different CPUs when there are two)
 *   rte_ring SP/SC, two threads (rte_ring_init on plain memory, no EAL)
 *   sb ring, two processes     (POSIX shm + fork: the real deployment)
 *
 * Bursts of 1 and 32.  Each figure is the median of --reps runs.  Prints a
 * table, then one JSON object on the last line.
 * Usage: ring_bench [--msgs N] [--reps R]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sb/dp_abi.h"
#include "sb/ring.h"

#define SLOTS 1024u
#define MSG   SB_MSG_SIZE

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % n, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

enum kind { K_SB, K_RTE };

struct run {
	enum kind kind;
	void *ring;
	uint64_t n;
	unsigned burst;
	uint64_t bad;
};

static unsigned enq(struct run *r, const void *objs, unsigned n)
{
	if (r->kind == K_SB)
		return sb_ring_enqueue_burst(r->ring, objs, n);
	return rte_ring_sp_enqueue_burst_elem(r->ring, objs, MSG, n, NULL);
}

static unsigned deq(struct run *r, void *objs, unsigned n)
{
	if (r->kind == K_SB)
		return sb_ring_dequeue_burst(r->ring, objs, n);
	return rte_ring_sc_dequeue_burst_elem(r->ring, objs, MSG, n, NULL);
}

static void producer(struct run *r)
{
	static _Thread_local union sb_msg buf[32];
	uint64_t seq = 0;

	while (seq < r->n) {
		unsigned want = r->burst;
		if (want > r->n - seq)
			want = (unsigned)(r->n - seq);
		for (unsigned i = 0; i < want; i++)
			buf[i].h.req_id = (uint32_t)(seq + i);
		unsigned done = 0;
		while (done < want)
			done += enq(r, buf + done, want - done);
		seq += want;
	}
}

static void consumer(struct run *r)
{
	static _Thread_local union sb_msg buf[32];
	uint64_t seq = 0;

	while (seq < r->n) {
		unsigned k = deq(r, buf, r->burst);
		for (unsigned i = 0; i < k; i++, seq++)
			if (buf[i].h.req_id != (uint32_t)seq)
				r->bad++;
	}
}

static void *producer_thread(void *arg)
{
	pin(1);
	producer(arg);
	return NULL;
}

static double run_threads(enum kind kind, uint64_t n, unsigned burst)
{
	struct run r = { .kind = kind, .n = n, .burst = burst };
	pthread_t t;
	void *mem;

	if (kind == K_SB) {
		mem = aligned_alloc(64, sb_ring_memsize(SLOTS, MSG));
		sb_ring_init(mem, SLOTS, MSG);
	} else {
		ssize_t sz = rte_ring_get_memsize_elem(MSG, SLOTS);
		mem = aligned_alloc(64, (size_t)((sz + 63) & ~63));
		/* the ring stores no element size: the *_elem verbs take it */
		if (rte_ring_init(mem, "bench", SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ) < 0) {
			fprintf(stderr, "rte_ring_init failed\n");
			exit(1);
		}
	}
	r.ring = mem;
	pin(0);
	uint64_t t0 = now_ns();
	pthread_create(&t, NULL, producer_thread, &r);
	consumer(&r);
	pthread_join(t, NULL);
	uint64_t dt = now_ns() - t0;
	free(mem);
	if (r.bad) {
		fprintf(stderr, "order check failed: %llu\n", (unsigned long long)r.bad);
		exit(1);
	}
	return (double)n * 1e3 / (double)dt; /* Mmsg/s */
}

static double run_procs(uint64_t n, unsigned burst)
{
	size_t sz = sb_ring_memsize(SLOTS, MSG);
	struct run r = { .kind = K_SB, .n = n, .burst = burst };
	char name[64];
	int fd, st;

	snprintf(name, sizeof(name), "/sb-ring-bench.%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)sz) < 0) {
		perror("shm");
		exit(1);
	}
	shm_unlink(name);
	r.ring = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	sb_ring_init(r.ring, SLOTS, MSG);
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		pin(1);
		producer(&r);
		_exit(0);
	}
	pin(0);
	consumer(&r);
	waitpid(pid, &st, 0);
	uint64_t dt = now_ns() - t0;
	munmap(r.ring, sz);
	if (r.bad) {
		fprintf(stderr, "order check failed\n");
		exit(1);
	}
	return (double)n * 1e3 / (double)dt;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	uint64_t n = 5000000;
	int reps = 5;
	double v[3][2][16]; /* [sb, rte, xproc][b1, b32][rep] */
	double med[3][2];
	const unsigned bursts[2] = {1, 32};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--msgs") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--msgs N] [--reps R]\n", argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > 16)
		reps = 5;

	/* interleave the contenders so drift on a shared box hits all alike */
	for (int k = 0; k < reps; k++)
		for (int b = 0; b < 2; b++) {
			v[0][b][k] = run_threads(K_SB, n, bursts[b]);
			v[1][b][k] = run_threads(K_RTE, n, bursts[b]);
			v[2][b][k] = run_procs(n, bursts[b]);
		}
	for (int s = 0; s < 3; s++)
		for (int b = 0; b < 2; b++)
			med[s][b] = median(v[s][b], reps);

	printf("ring_bench: %llu messages of %u bytes, %d runs each, medians\n",
	       (unsigned long long)n, MSG, reps);
	printf("%-28s %12s %12s %12s\n", "", "Mmsg/s b=1", "Mmsg/s b=32", "ns/msg b=32");
	const char *names[3] = {"sb ring (threads)", "rte_ring SP/SC (threads)",
				"sb ring (two processes)"};
	for (int s = 0; s < 3; s++)
		printf("%-28s %12.2f %12.2f %12.1f\n", names[s], med[s][0], med[s][1],
		       1e3 / med[s][1]);
	printf("{\"bench\":\"ring\",\"msg_bytes\":%u,\"msgs\":%llu,"
	       "\"sb_mmsg_s_b1\":%.3f,\"sb_mmsg_s_b32\":%.3f,\"sb_ns_per_msg_b32\":%.2f,"
	       "\"rte_ring_mmsg_s_b1\":%.3f,\"rte_ring_mmsg_s_b32\":%.3f,"
	       "\"ratio_vs_rte_ring_b1\":%.3f,\"ratio_vs_rte_ring_b32\":%.3f,"
	       "\"xproc_mmsg_s_b1\":%.3f,\"xproc_mmsg_s_b32\":%.3f,\"xproc_ns_per_msg_b32\":%.2f}\n",
	       MSG, (unsigned long long)n, med[0][0], med[0][1], 1e3 / med[0][1], med[1][0],
	       med[1][1], med[0][0] / med[1][0], med[0][1] / med[1][1], med[2][0], med[2][1],
	       1e3 / med[2][1]);
	return 0;
}
