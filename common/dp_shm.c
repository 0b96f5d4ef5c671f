/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb/dp_shm.h"

static const char *const drop_names[] = {
#define SB_X_(s, d) #s,
	SB_DROP_REASONS(SB_X_)
#undef SB_X_
};
static const char *const drop_descs[] = {
#define SB_X_(s, d) d,
	SB_DROP_REASONS(SB_X_)
#undef SB_X_
};

const char *sb_drop_name(unsigned reason)
{
	return reason < SB_DROP_N ? drop_names[reason] : "?";
}

const char *sb_drop_desc(unsigned reason)
{
	return reason < SB_DROP_N ? drop_descs[reason] : "?";
}

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int shm_name(char *out, size_t len, const char *instance)
{
	size_t n = strlen(instance);

	if (n == 0 || n > 40)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = instance[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
	}
	snprintf(out, len, "/switchboard.%s", instance);
	return 0;
}

static uint64_t align_up(uint64_t x)
{
	return (x + SB_CACHE_LINE - 1) & ~(uint64_t)(SB_CACHE_LINE - 1);
}

static uint64_t layout(struct sb_dp_shm_hdr *h)
{
	size_t cmd = sb_ring_memsize(h->cmd_slots, SB_MSG_SIZE);
	size_t evt = sb_ring_memsize(h->evt_slots, SB_MSG_SIZE);
	uint64_t off = align_up(sizeof(*h));

	if (cmd == 0 || evt == 0)
		return 0;
	for (unsigned w = 0; w < h->n_workers; w++) {
		h->off_cmd[w] = off;
		off = align_up(off + cmd);
		h->off_evt[w] = off;
		off = align_up(off + evt);
	}
	h->off_worker_stats = off;
	off = align_up(off + (uint64_t)h->n_workers * sizeof(struct sb_worker_stats));
	h->off_leg_stats = off;
	off = align_up(off + (uint64_t)h->max_legs * sizeof(struct sb_leg_stats));
	return off;
}

int sb_dp_shm_create(struct sb_dp_shm *s, const char *instance,
		     const struct sb_dp_shm_params *p)
{
	struct sb_dp_shm_hdr tmp;
	int fd, rc;
	void *m;

	memset(s, 0, sizeof(*s));
	if (p->n_workers == 0 || p->n_workers > SB_MAX_WORKERS || p->max_legs < 2 ||
	    p->port_span == 0 ||
	    (uint32_t)p->port_min + (uint32_t)p->port_span * p->n_workers > 65536u)
		return -EINVAL;
	rc = shm_name(s->name, sizeof(s->name), instance);
	if (rc < 0)
		return rc;

	memset(&tmp, 0, sizeof(tmp));
	tmp.n_workers = p->n_workers;
	tmp.max_legs = p->max_legs;
	tmp.cmd_slots = p->cmd_slots;
	tmp.evt_slots = p->evt_slots;
	tmp.total_size = layout(&tmp);
	if (tmp.total_size == 0)
		return -EINVAL;

	/* A new inode at every start: a control process still mapping the old
	 * one sees state STOPPED there and re-attaches (generation changes). */
	shm_unlink(s->name);
	fd = shm_open(s->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)tmp.total_size) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	m = mmap(NULL, tmp.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto out_unlink;
	}
	close(fd);
	s->hdr = m;
	s->size = tmp.total_size;

	struct sb_dp_shm_hdr *h = s->hdr;
	*h = tmp; /* magic still 0: attachers wait */
	h->abi = SB_DP_ABI;
	h->hdr_size = sizeof(*h);
	h->msg_size = SB_MSG_SIZE;
	h->leg_stats_size = sizeof(struct sb_leg_stats);
	h->worker_stats_size = sizeof(struct sb_worker_stats);
	h->generation = sb_now_ns() ^ ((uint64_t)getpid() << 40);
	h->dp_pid = (uint32_t)getpid();
	h->media_ip = p->media_ip;
	memcpy(h->media_mac, p->media_mac, 6);
	h->port_min = p->port_min;
	h->port_span = p->port_span;
	atomic_store_explicit(&h->state, SB_DP_INIT, memory_order_relaxed);
	atomic_store_explicit(&h->heartbeat_ns, sb_now_ns(), memory_order_relaxed);
	for (unsigned w = 0; w < h->n_workers; w++) {
		sb_ring_init(sb_dp_shm_cmd_ring(s, w), h->cmd_slots, SB_MSG_SIZE);
		sb_ring_init(sb_dp_shm_evt_ring(s, w), h->evt_slots, SB_MSG_SIZE);
	}
	atomic_thread_fence(memory_order_release);
	h->magic = SB_DP_MAGIC;
	return 0;

out_unlink:
	close(fd);
	shm_unlink(s->name);
	return rc;
}

#define WHY(...) do { if (why) snprintf(why, why_len, __VA_ARGS__); } while (0)

int sb_dp_shm_attach(struct sb_dp_shm *s, const char *instance, char *why, size_t why_len)
{
	struct stat st;
	struct sb_dp_shm_hdr *h;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	rc = shm_name(s->name, sizeof(s->name), instance);
	if (rc < 0) {
		WHY("bad instance name '%s'", instance);
		return rc;
	}
	fd = shm_open(s->name, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		WHY("shm_open %s: %s", s->name, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		WHY("segment %s not sized yet", s->name);
		return -EAGAIN;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		rc = -errno;
		WHY("mmap %s: %s", s->name, strerror(errno));
		return rc;
	}
	s->hdr = h;
	s->size = (size_t)st.st_size;

	if (h->magic != SB_DP_MAGIC) {
		WHY("segment %s not initialised yet", s->name);
		rc = -EAGAIN;
		goto out_unmap;
	}
	atomic_thread_fence(memory_order_acquire);
	if (h->abi != SB_DP_ABI || h->hdr_size != sizeof(*h) || h->msg_size != SB_MSG_SIZE ||
	    h->leg_stats_size != sizeof(struct sb_leg_stats) ||
	    h->worker_stats_size != sizeof(struct sb_worker_stats)) {
		WHY("ABI mismatch: dataplane abi %u hdr %u msg %u leg %u worker %u, "
		    "control abi %u hdr %zu msg %u leg %zu worker %zu",
		    h->abi, h->hdr_size, h->msg_size, h->leg_stats_size, h->worker_stats_size,
		    SB_DP_ABI, sizeof(*h), SB_MSG_SIZE, sizeof(struct sb_leg_stats),
		    sizeof(struct sb_worker_stats));
		rc = -EPROTO;
		goto out_unmap;
	}
	if (h->total_size != s->size || h->n_workers == 0 || h->n_workers > SB_MAX_WORKERS) {
		WHY("segment layout inconsistent (size %zu, header says %llu, %u workers)",
		    s->size, (unsigned long long)h->total_size, h->n_workers);
		rc = -EPROTO;
		goto out_unmap;
	}
	for (unsigned w = 0; w < h->n_workers; w++) {
		if (sb_ring_check(sb_dp_shm_cmd_ring(s, w), h->cmd_slots, SB_MSG_SIZE) ||
		    sb_ring_check(sb_dp_shm_evt_ring(s, w), h->evt_slots, SB_MSG_SIZE)) {
			WHY("ring %u of %s does not match its header", w, s->name);
			rc = -EPROTO;
			goto out_unmap;
		}
	}
	if (atomic_load_explicit(&h->state, memory_order_acquire) != SB_DP_READY) {
		WHY("dataplane not ready (state %u)", (unsigned)h->state);
		rc = -EAGAIN;
		goto out_unmap;
	}
	return 0;

out_unmap:
	munmap(s->hdr, s->size);
	s->hdr = NULL;
	return rc;
}

void sb_dp_shm_detach(struct sb_dp_shm *s, int unlink_it)
{
	if (s->hdr == NULL)
		return;
	if (unlink_it) {
		atomic_store_explicit(&s->hdr->state, SB_DP_STOPPED, memory_order_release);
		shm_unlink(s->name);
	}
	munmap(s->hdr, s->size);
	s->hdr = NULL;
}

void sb_dp_shm_set_state(struct sb_dp_shm *s, enum sb_dp_state st)
{
	atomic_store_explicit(&s->hdr->state, (uint32_t)st, memory_order_release);
}

struct sb_ring *sb_dp_shm_cmd_ring(const struct sb_dp_shm *s, unsigned worker)
{
	return (struct sb_ring *)((char *)s->hdr + s->hdr->off_cmd[worker]);
}

struct sb_ring *sb_dp_shm_evt_ring(const struct sb_dp_shm *s, unsigned worker)
{
	return (struct sb_ring *)((char *)s->hdr + s->hdr->off_evt[worker]);
}

struct sb_worker_stats *sb_dp_shm_worker_stats(const struct sb_dp_shm *s, unsigned worker)
{
	return (struct sb_worker_stats *)((char *)s->hdr + s->hdr->off_worker_stats) + worker;
}

struct sb_leg_stats *sb_dp_shm_leg_stats(const struct sb_dp_shm *s, uint32_t leg)
{
	return (struct sb_leg_stats *)((char *)s->hdr + s->hdr->off_leg_stats) + leg;
}

int sb_dp_port_worker(const struct sb_dp_shm_hdr *h, uint16_t port)
{
	if (port < h->port_min)
		return -1;
	uint32_t w = (uint32_t)(port - h->port_min) / h->port_span;
	return w < h->n_workers ? (int)w : -1;
}
