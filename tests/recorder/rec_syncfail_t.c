/* SPDX-License-Identifier: MIT */
/*
 * rec_syncfail: the disk refuses data the page cache already took — the
 * failure a segment flush exists to catch.  An ext4 file system of 64 MiB
 * on a loop device whose backing file lives in a 3 MiB tmpfs: writes into
 * the page cache succeed, writeback (the fdatasync of a segment flush)
 * fails once the tmpfs is full.  One call records 120 s (3.8 MB) there,
 * another call into an ordinary directory at the same time.
 * Checked: a SYNC_FAILED event with an error and its counter; the failing
 * call closes incomplete with a share no larger than what its last good
 * sync covered (not what the page cache took); the other call complete.
 * Runs in a private mount namespace (root, losetup and mkfs.ext4 needed;
 * skips otherwise), so even a killed test leaves no mount or loop device
 * behind (the loop device is mounted with autoclear).
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "rec_test.h"

#define FRAMES 6000 /* 120 s */

static char back[300], fsdir[300];

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void unmount_all(void)
{
	umount2(fsdir, MNT_DETACH);
	umount2(back, MNT_DETACH);
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 1024, .max_calls = 4,
		.nbufs = 16, .buf_size = 64 * 1024, .segment_ms = 2000,
	};
	char cmd[1200], pa[400], pb[400];
	struct sb_rec_event ev[32], *ca = NULL, *cb = NULL;
	unsigned nev, sfail = 0;
	struct sb_rec *r;
	struct wav w;

	if (geteuid() != 0 || sh("command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null") != 0) {
		printf("rec_syncfail: needs root, losetup and mkfs.ext4\n");
		return T_SKIP;
	}
	/* mounts made here vanish with the process */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("rec_syncfail: private mount namespace: %s\n", strerror(errno));
		return T_SKIP;
	}
	if (t_dir_make("/var/tmp/sb-rec-sync.XXXXXX") < 0)
		return T_SKIP;
	snprintf(back, sizeof(back), "%s/back", t_dir);
	snprintf(fsdir, sizeof(fsdir), "%s/fs", t_dir);
	T_ASSERT(mkdir(back, 0755) == 0 && mkdir(fsdir, 0755) == 0);
	if (mount("sbrec-sync", back, "tmpfs", 0, "size=3m") < 0) {
		printf("rec_syncfail: mount tmpfs: %s\n", strerror(errno));
		return T_SKIP;
	}
	atexit(unmount_all);
	if ((size_t)snprintf(cmd, sizeof(cmd),
		 "truncate -s 64M %s/img && mkfs.ext4 -q -F -O ^has_journal "
		 "-E nodiscard,lazy_itable_init=1 %s/img && "
		 "mount -o loop,errors=continue %s/img %s", back, back, back, fsdir) >= sizeof(cmd) ||
	    sh(cmd) != 0) {
		printf("rec_syncfail: could not build ext4 on a loop device\n");
		return T_SKIP;
	}
	snprintf(pa, sizeof(pa), "%s/a.wav", fsdir);
	snprintf(pb, sizeof(pb), "%s/b.wav", t_dir);

	r = sb_rec_create(&cfg);
	T_ASSERT(r != NULL);
	T_ASSERT(sb_rec_start(r, 1, pa, SB_REC_FMT_PCM16) == 0);
	T_ASSERT(sb_rec_start(r, 2, pb, SB_REC_FMT_PCM16) == 0);
	sb_rec_poll(r);
	for (unsigned k = 0; k < FRAMES; k++) {
		struct sb_rec_frame f[4];

		for (unsigned c = 0; c < 2; c++) {
			tone_frame(&f[2 * c], c + 1, SB_REC_CALLER, SB_REC_PCMU, 440, 0, k);
			tone_frame(&f[2 * c + 1], c + 1, SB_REC_AGENT, SB_REC_PCMA, 1000, 0, k);
		}
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), f, 4) == 4);
		sb_rec_poll(r);
		if (k % 100 == 99) /* every 2 s of audio: the segment flush runs */
			T_ASSERT(sb_rec_drain(r, 10000) == 0);
	}
	T_ASSERT(sb_rec_stop(r, 1) == 0 && sb_rec_stop(r, 2) == 0);
	T_ASSERT(sb_rec_drain(r, 10000) == 0);
	nev = sb_rec_event_poll(r, ev, 32);
	for (unsigned i = 0; i < nev; i++) {
		printf("event %-14s call %u err %d complete %u share %u file_ms %llu\n",
		       sb_rec_ev_desc(ev[i].type), ev[i].call_id, ev[i].err, ev[i].complete,
		       ev[i].share_pm, (unsigned long long)ev[i].file_ms);
		if (ev[i].type == SB_REC_EV_SYNC_FAILED) {
			T_ASSERT(ev[i].call_id == 1 && ev[i].err < 0);
			sfail++;
		}
		T_ASSERT(ev[i].type != SB_REC_EV_WRITE_FAILED || ev[i].call_id == 1);
		if (ev[i].type == SB_REC_EV_CLOSED)
			*(ev[i].call_id == 1 ? &ca : &cb) = &ev[i];
	}
	for (unsigned c = 0; c < SB_REC_C_N; c++)
		if (sb_rec_counter(r, c))
			printf("  %-16s %llu\n", sb_rec_cnt_name(c),
			       (unsigned long long)sb_rec_counter(r, c));
	T_ASSERT(ca != NULL && cb != NULL);
	/* the loop device may report the backing store's ENOSPC or EIO */
	T_ASSERT(sb_rec_counter(r, SB_REC_C_ERR_ENOSPC) + sb_rec_counter(r, SB_REC_C_ERR_EIO) >= 1);
	T_ASSERT(sfail == 1 || ca->err != 0);
	/* 3 MiB of backing store (less mkfs's metadata) holds at most
	 * ~95 s of the 120: the share is what the syncs covered */
	T_ASSERT(ca->complete == 0 && ca->share_pm < 800 && ca->call_ms == 120000);
	T_ASSERT(cb->complete == 1 && cb->share_pm == 1000 && cb->file_ms == 120000);
	sb_rec_free(r);
	T_ASSERT(wav_read(pb, &w) == 0);
	T_ASSERT_EQ_U64(w.frames, FRAMES * 160);
	wav_free(&w);
	printf("rec_syncfail: ok (A holds %u per mille)\n", ca->share_pm);
	return 0;
}
