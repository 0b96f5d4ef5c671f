/* SPDX-License-Identifier: MIT */
/*
 * rec_diskfull: three calls recorded at once for 40 s of audio (1.28 MB
 * each as PCM16 stereo):
 *   A into a 1 MiB tmpfs (mounted here: root only, skips otherwise), which
 *     fills up part way;
 *   B into an ordinary directory;
 *   C into a directory that does not exist.
 * Checked: A gives one WRITE_FAILED event with -ENOSPC and the ENOSPC
 * counter, and closes incomplete with the share of the call its file holds
 * (consistent with the file's length, which plays); C gives OPEN_FAILED
 * -ENOENT and closes with share 0; B is complete, 40 s, both tones; the
 * recorder took every frame (nothing waited).  Root only (the mount, in a
 * private mount namespace); skips otherwise.
 */
#include <sched.h>
#include <sys/mount.h>

#include "rec_test.h"

#define FRAMES 2000 /* 40 s */

static char mnt[300];
static bool mounted;

static void unmount(void)
{
	if (mounted && umount2(mnt, MNT_DETACH) == 0)
		mounted = false;
}

int main(void)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 1024, .max_calls = 8,
		.nbufs = 16, .buf_size = 64 * 1024, .segment_ms = 5000,
	};
	char pa[400], pb[400], pc[400];
	struct sb_rec_event ev[32];
	struct sb_rec_event *ca = NULL, *cb = NULL, *cc = NULL;
	unsigned nev, wfail = 0, ofail = 0;
	struct sb_rec *r;
	struct wav w;

	if (geteuid() != 0) {
		printf("rec_diskfull: needs root (tmpfs mount)\n");
		return T_SKIP;
	}
	/* a private mount namespace: the tmpfs goes away with the process
	 * even if the test is killed */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("rec_diskfull: private mount namespace: %s\n", strerror(errno));
		return T_SKIP;
	}
	if (t_dir_make("/var/tmp/sb-rec-full.XXXXXX") < 0)
		return T_SKIP;
	snprintf(mnt, sizeof(mnt), "%s/full", t_dir);
	T_ASSERT(mkdir(mnt, 0755) == 0);
	if (mount("sbrec", mnt, "tmpfs", 0, "size=1m") < 0) {
		printf("rec_diskfull: mount tmpfs: %s\n", strerror(errno));
		return T_SKIP;
	}
	mounted = true;
	atexit(unmount); /* runs before the temp dir is removed */
	snprintf(pa, sizeof(pa), "%s/a.wav", mnt);
	snprintf(pb, sizeof(pb), "%s/b.wav", t_dir);
	snprintf(pc, sizeof(pc), "%s/nodir/c.wav", t_dir);

	r = sb_rec_create(&cfg);
	T_ASSERT(r != NULL);
	T_ASSERT(sb_rec_start(r, 1, pa, SB_REC_FMT_PCM16) == 0);
	T_ASSERT(sb_rec_start(r, 2, pb, SB_REC_FMT_PCM16) == 0);
	T_ASSERT(sb_rec_start(r, 3, pc, SB_REC_FMT_PCM16) == 0);
	sb_rec_poll(r);
	for (unsigned k = 0; k < FRAMES; k++) {
		struct sb_rec_frame f[6];

		for (unsigned c = 0; c < 3; c++) {
			tone_frame(&f[2 * c], c + 1, SB_REC_CALLER, SB_REC_PCMU, 440, 0, k);
			tone_frame(&f[2 * c + 1], c + 1, SB_REC_AGENT, SB_REC_PCMA, 1000, 0, k);
		}
		T_ASSERT(sb_rec_push_burst(sb_rec_prod(r, 0), f, 6) == 6);
		sb_rec_poll(r);
		if (k % 250 == 249)
			T_ASSERT(sb_rec_drain(r, 5000) == 0);
	}
	for (unsigned c = 1; c <= 3; c++)
		T_ASSERT(sb_rec_stop(r, c) == 0);
	T_ASSERT(sb_rec_drain(r, 5000) == 0);
	nev = sb_rec_event_poll(r, ev, 32);
	for (unsigned i = 0; i < nev; i++) {
		printf("event %-14s call %u err %d complete %u share %u file_ms %llu call_ms %llu\n",
		       sb_rec_ev_desc(ev[i].type), ev[i].call_id, ev[i].err, ev[i].complete,
		       ev[i].share_pm, (unsigned long long)ev[i].file_ms,
		       (unsigned long long)ev[i].call_ms);
		if (ev[i].type == SB_REC_EV_WRITE_FAILED) {
			T_ASSERT(ev[i].call_id == 1 && ev[i].err == -ENOSPC);
			wfail++;
		}
		if (ev[i].type == SB_REC_EV_OPEN_FAILED) {
			T_ASSERT(ev[i].call_id == 3 && ev[i].err == -ENOENT);
			ofail++;
		}
		if (ev[i].type == SB_REC_EV_CLOSED)
			*(ev[i].call_id == 1 ? &ca : ev[i].call_id == 2 ? &cb : &cc) = &ev[i];
	}
	T_ASSERT(wfail == 1 && ofail == 1);
	T_ASSERT(ca != NULL && cb != NULL && cc != NULL);
	for (unsigned c = 0; c < SB_REC_C_N; c++)
		if (sb_rec_counter(r, c))
			printf("  %-16s %llu\n", sb_rec_cnt_name(c),
			       (unsigned long long)sb_rec_counter(r, c));
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_ERR_ENOSPC), 1);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_OPEN_FAILED), 1);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_CALLS_INCOMPLETE), 2);
	T_ASSERT_EQ_U64(sb_rec_counter(r, SB_REC_C_FRAMES), 6 * FRAMES);
	T_ASSERT_EQ_U64(sb_rec_prod(r, 0)->drop_full, 0);
	sb_rec_free(r);

	/* B: the disk-full call next to it did not disturb it */
	T_ASSERT(cb->complete == 1 && cb->share_pm == 1000 && cb->file_ms == 40000);
	T_ASSERT(wav_read(pb, &w) == 0);
	T_ASSERT_EQ_U64(w.frames, FRAMES * 160);
	T_ASSERT(tone_is(w.l + 300000, 8000, 440, 1000));
	T_ASSERT(tone_is(w.r + 300000, 8000, 1000, 440));
	wav_free(&w);

	/* C: nothing on disk, share 0 of a 40 s call */
	T_ASSERT(cc->complete == 0 && cc->share_pm == 0 && cc->call_ms == 40000);
	T_ASSERT(cc->err == -ENOENT);

	/* A: part of the call, renamed, plays, and says how much */
	T_ASSERT(ca->complete == 0 && ca->err == -ENOSPC && ca->call_ms == 40000);
	T_ASSERT(ca->share_pm > 100 && ca->share_pm < 900);
	T_ASSERT(wav_read(pa, &w) == 0);
	T_ASSERT_EQ_U64(w.file_size, SB_REC_HDR_SIZE + w.data_size);
	T_ASSERT_EQ_U64(w.frames * 1000 / 8000, ca->file_ms);
	T_ASSERT_EQ_U64(w.frames * 1000 / (FRAMES * 160), ca->share_pm);
	T_ASSERT(tone_is(w.l, 8000, 440, 1000));
	T_ASSERT(tone_is(w.r + w.frames - 8000, 8000, 1000, 440));
	wav_free(&w);
	printf("rec_diskfull: ok (A holds %u per mille, %llu ms of 40000)\n", ca->share_pm,
	       (unsigned long long)ca->file_ms);
	return 0;
}
