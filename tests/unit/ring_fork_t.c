/* SPDX-License-Identifier: MIT */
/* ring_fork_t — two processes, one POSIX shared-memory ring.
 *
 * The child produces N messages (default 10 million) in bursts of varying
 * size; the parent consumes them in bursts of another size and checks that
 * every message arrives exactly once and in order (sequence number plus a
 * check word derived from it, so a torn or stale slot is caught too).
 * Usage: ring_fork_t [N]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb/ring.h"
#include "test.h"

struct msg {
	uint64_t seq;
	uint64_t check;
	uint64_t pad[2]; /* 32-byte messages: more than one word per slot */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static void produce(struct sb_ring *r, uint64_t n)
{
	struct msg batch[64];
	uint64_t seq = 0;
	unsigned spins = 0;

	while (seq < n) {
		unsigned want = 1 + (unsigned)(mix(seq) % 64);
		if (want > n - seq)
			want = (unsigned)(n - seq);
		for (unsigned i = 0; i < want; i++) {
			batch[i].seq = seq + i;
			batch[i].check = mix(seq + i);
			batch[i].pad[0] = ~(seq + i);
			batch[i].pad[1] = seq + i;
		}
		/* Alternate bulk and burst so both verbs are exercised. */
		unsigned done = 0;
		while (done < want) {
			unsigned k = (seq & 1) ? sb_ring_enqueue_bulk(r, batch + done, want - done)
					       : sb_ring_enqueue_burst(r, batch + done, want - done);
			done += k;
			if (k == 0 && ++spins % 64 == 0)
				sched_yield();
		}
		seq += want;
	}
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000ull;
	char name[64];
	size_t sz = sb_ring_memsize(1024, sizeof(struct msg));
	int fd, status;
	pid_t pid;

	snprintf(name, sizeof(name), "/sb-ring-fork-t.%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		perror("shm_open");
		return T_SKIP;
	}
	shm_unlink(name); /* the mapping keeps it alive; nothing left behind */
	T_ASSERT(ftruncate(fd, (off_t)sz) == 0);
	struct sb_ring *r = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(r != MAP_FAILED);
	close(fd);
	T_ASSERT(sb_ring_init(r, 1024, sizeof(struct msg)) == 0);

	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		produce(r, n);
		_exit(0);
	}

	struct msg out[48];
	uint64_t expect = 0;
	unsigned spins = 0;
	while (expect < n) {
		unsigned want = 1 + (unsigned)(expect % 48);
		unsigned k = (expect & 2) ? sb_ring_dequeue_burst(r, out, want)
					  : sb_ring_dequeue_bulk(r, out, want);
		if (k == 0) {
			if (++spins % 64 == 0)
				sched_yield();
			if (spins % (1u << 20) == 0 && waitpid(pid, &status, WNOHANG) == pid) {
				fprintf(stderr, "producer exited early at %llu\n",
					(unsigned long long)expect);
				return 1;
			}
			continue;
		}
		for (unsigned i = 0; i < k; i++, expect++) {
			if (out[i].seq != expect || out[i].check != mix(expect) ||
			    out[i].pad[0] != ~expect || out[i].pad[1] != expect) {
				fprintf(stderr, "message %llu: got seq %llu check %llx\n",
					(unsigned long long)expect,
					(unsigned long long)out[i].seq,
					(unsigned long long)out[i].check);
				kill(pid, 9);
				return 1;
			}
		}
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Nothing extra: the ring is empty after exactly n messages. */
	T_ASSERT(sb_ring_count(r) == 0);
	printf("ring_fork_t: %llu messages in order, none lost or duplicated\n",
	       (unsigned long long)n);
	return 0;
}
