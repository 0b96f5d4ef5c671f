/* SPDX-License-Identifier: MIT */
/*
 * sb/rec.h — call recorder: dataplane workers push the audio of recorded
 * calls onto bounded per-worker rings without ever waiting; one recorder
 * thread (not a worker lcore) drains them, assembles one file per call
 * (stereo WAV by default, caller left, agent right; or mono WAV, Ogg
 * Opus, pcapng: see "Layout" below) and writes it with io_uring.
 *
 * Threads and ownership:
 *   - producer i (a worker): sb_rec_prod(r, i), then sb_rec_push_burst()
 *     only from that one thread (the ring is SP/SC, sb/ring.h).  No
 *     allocation, lock, log or system call; a full ring drops the frame
 *     and counts it (struct sb_rec_prod.drop_full), forwarding never waits.
 *   - control (one thread): sb_rec_start()/sb_rec_stop() enqueue on a
 *     command ring; sb_rec_event_poll() reads the event ring.
 *   - recorder (one thread): sb_rec_poll() in a loop, or
 *     sb_rec_thread_start() which runs that loop in its own pthread.
 *
 * Files: PATH.part while recording; at stop the header is completed,
 * the data made durable (fdatasync through io_uring) and the file renamed
 * to PATH.  Every segment (cfg.segment_ms of audio, 60 s by default) the
 * data written so far is fdatasync'ed and the header rewritten to cover
 * it, so a .part left by a crash plays; sb_rec_recover_dir() repairs every
 * .part of a directory at start-up (header sizes from the file length).
 *
 * Layout of a file (all formats): a 4096-byte header block then the data
 * from offset 4096, so that O_DIRECT writes are block aligned:
 *   - WAV (stereo PCM16/A-law/mu-law, mono PCM16 mix): RIFF, fmt, a JUNK
 *     pad, data chunk header at 4088, interleaved samples;
 *   - Ogg Opus (RFC 7845): the OpusHead page and the OpusTags page, whose
 *     packet is padded (zeros after the comment list, 5.2) so the two end
 *     at 4096; then audio pages, 20 ms packets encoded at 8 kHz on the
 *     recorder thread, granule positions in 48 kHz units.  At every
 *     segment close the stream is flushed (every packet so far in whole
 *     pages) before the fdatasync; a crash loses what followed the last
 *     flush (the open segment plus < 20 ms); the recovery cuts the file
 *     after its last page with a good CRC and sets EOS on it;
 *   - pcapng: a Section Header Block (its comment pads it) and three
 *     Interface Description Blocks (0: packets the caller leg received,
 *     1: the agent leg's, 2: a supervisor's; LINKTYPE_IPV4 with an IPv4/UDP header rebuilt
 *     from the addresses the tap saw), then one Enhanced Packet Block per
 *     RTP packet (microsecond timestamps, up to SB_REC_SNAPLEN bytes of
 *     RTP).  Segments by capture time; the recovery cuts after the last
 *     whole block.
 *
 * Inputs: G.711 frames go into the timeline as they are; Opus packets
 * (SB_REC_OPUS) are decoded on the recorder thread (one decoder per
 * channel, made at the channel's first Opus packet), never on a worker.
 * DTMF masking (SB_REC_OPT_MASK_DTMF): an RFC 4733 event (SB_REC_TEV)
 * silences its channel from the event's timestamp to its duration plus
 * SB_REC_MASK_GUARD_MS on each side (60 ms more while it has not ended);
 * every 12.75 ms block of decoded audio in which the in-band detector
 * (media/dtmf_inband.c) finds a DTMF pair silences that block plus the
 * guard.  Both act inside the reorder window (hold_ms), before a sample
 * reaches the file, so hold_ms must exceed the guard plus a block (the
 * default 200 ms does); what had already left is counted (MASK_LATE).
 *
 * Timeline: frames carry the RTP timestamp of their stream (8 kHz units).
 * A channel is anchored at its first frame: at the call's start (both at 0)
 * or, for a channel that starts later, where the other channel's latest
 * sample ends (arrival order).  Gaps inside the timeline are silence; a
 * frame older than the reorder window (cfg.hold_ms behind the newest) is
 * dropped and counted (late); a jump over SB_REC_MAX_JUMP_S, or back to
 * more than 2 s behind what is already written (a clock restarted without
 * a new SSRC), re-anchors where the channel is.
 */
#ifndef SB_REC_H
#define SB_REC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb/ring.h"

#define SB_REC_PAYLOAD_MAX 160 /* one 20 ms G.711 frame at 8 kHz */
#define SB_REC_PATH_MAX 200    /* PATH without ".part", bytes incl. NUL */
#define SB_REC_RATE 8000
#define SB_REC_HDR_SIZE 4096   /* data starts here */
#define SB_REC_MAX_JUMP_S 10

/* SB_REC_SUPER (issue 7, `recording: supervisor: true`): what a
 * whispering or barging supervisor says.  Its own timeline (anchored like
 * a channel that starts later, again at every new stream) in its own
 * PCM16 plane; on the way out of the window it is summed (saturating)
 * into the agent's side: the right channel of the stereo formats, hence
 * also the mono mixes (WAV mono, Ogg Opus mono); in pcapng its packets
 * are interface 2.  The agent hears the whisper, the caller does not:
 * the agent's side is where it belongs. */
enum sb_rec_chan { SB_REC_CALLER = 0, SB_REC_AGENT = 1, SB_REC_SUPER = 2 };
#define SB_REC_CHANS 3

/* codec of a frame's payload: the RTP payload type for G.711; the others
 * are our own numbers (above 127: never an RTP payload type). */
enum sb_rec_codec {
	SB_REC_PCMU = 0,
	SB_REC_PCMA = 8,
	SB_REC_OPUS = 200, /* one Opus packet (RFC 7587), ts in 48 kHz units;
			    * decoded (mono, 8 kHz) on the recorder thread */
	SB_REC_TEV = 201,  /* an RFC 4733 telephone-event payload (4+ bytes):
			    * masks its interval when the call masks DTMF,
			    * else ignored; ts in the channel's audio clock */
	SB_REC_PKT = 202,  /* pcap recordings: a struct sb_rec_pkt followed by
			    * the packet's first bytes (SB_REC_FRAME_MORE chunks) */
};

/* file format: the WAV format tag for the stereo WAV files; the others
 * are our own numbers (sb_rec_fmt_name gives the index's word). */
enum sb_rec_fmt {
	SB_REC_FMT_PCM16 = 1,      /* WAV, stereo 16-bit linear */
	SB_REC_FMT_ALAW = 6,       /* WAV, stereo A-law */
	SB_REC_FMT_ULAW = 7,       /* WAV, stereo mu-law */
	SB_REC_FMT_MONO = 0x101,   /* WAV, mono 16-bit: both sides summed (saturating) */
	SB_REC_FMT_OPUS = 0x102,   /* Ogg Opus, stereo (caller left, agent right) */
	SB_REC_FMT_OPUS_MONO = 0x103, /* Ogg Opus, mono mix */
	SB_REC_FMT_PCAP = 0x104,   /* pcapng: the call's RTP packets as received */
};
const char *sb_rec_fmt_name(unsigned fmt); /* "wav-pcm16", ..., "pcap"; NULL: unknown */

/* sb_rec_start_opts() flags */
#define SB_REC_OPT_MASK_DTMF 1u /* silence DTMF (RFC 4733 events, in-band tones) */
/* masking guard around a detected tone or an event: what the detector's
 * 12.75 ms blocks can miss at each edge, with margin */
#define SB_REC_MASK_GUARD_MS 30

/* What precedes a captured packet in its SB_REC_PKT frames: the packet
 * was received from src by dst (addresses in network order). */
struct sb_rec_pkt {
	uint64_t time_ns;  /* CLOCK_REALTIME of arrival */
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	uint16_t orig_len; /* the RTP packet's length */
	uint16_t cap_len;  /* bytes that follow (<= SB_REC_SNAPLEN) */
};
_Static_assert(sizeof(struct sb_rec_pkt) == 24, "packet prefix layout");
/* bytes of a packet kept (the rest is cut, orig_len says how much) and of
 * an Opus payload accepted: bounds the recorder's reassembly buffer */
#define SB_REC_SNAPLEN 1000
#define SB_REC_ASM_MAX (sizeof(struct sb_rec_pkt) + SB_REC_SNAPLEN)

/* One ring element (copied by value).  len samples = len bytes (G.711). */
struct sb_rec_frame {
	uint32_t call_id;
	uint32_t ts;      /* RTP timestamp of the first sample, 8 kHz units */
	uint8_t chan;     /* enum sb_rec_chan */
	uint8_t codec;    /* enum sb_rec_codec */
	uint16_t len;     /* payload bytes, 1..SB_REC_PAYLOAD_MAX */
	uint32_t flags;   /* SB_REC_FRAME_* */
	uint8_t payload[SB_REC_PAYLOAD_MAX];
};
_Static_assert(sizeof(struct sb_rec_frame) == 176, "record ring element layout");

/* sb_rec_frame.flags: the frame's len samples are silence (pause, DTMF
 * masking): the timeline advances, payload is not read (need not be
 * copied). */
#define SB_REC_FRAME_SILENT 1u
/* another element of the same payload follows (Opus packets over
 * SB_REC_PAYLOAD_MAX bytes, SB_REC_PKT captures): the producer pushes all
 * the elements of a payload in one burst, so they are adjacent in its
 * ring; a payload cut short by a full ring is dropped whole (DROP_BAD). */
#define SB_REC_FRAME_MORE 2u
/* SB_REC_TEV: the event's clock is 48 kHz (an Opus leg's) */
#define SB_REC_FRAME_CLK48 4u
/* this element continues the payload of the previous one (MORE set on it) */
#define SB_REC_FRAME_CONT 8u

/* Producer handle: the ring and the counters only its worker writes. */
struct sb_rec_prod {
	struct sb_ring *ring;
	alignas(SB_CACHE_LINE) _Atomic uint64_t pushed;
	_Atomic uint64_t drop_full; /* ring full: frame dropped */
};

/* Push up to n frames; returns how many were queued.  The rest are dropped
 * and counted in p->drop_full: the caller does not retry. */
static inline unsigned sb_rec_push_burst(struct sb_rec_prod *p,
					 const struct sb_rec_frame *f, unsigned n)
{
	unsigned k = sb_ring_enqueue_burst(p->ring, f, n);

	/* single writer: a relaxed load + store, not a locked add */
	atomic_store_explicit(&p->pushed,
			      atomic_load_explicit(&p->pushed, memory_order_relaxed) + k,
			      memory_order_relaxed);
	if (k < n)
		atomic_store_explicit(&p->drop_full,
				      atomic_load_explicit(&p->drop_full, memory_order_relaxed) + (n - k),
				      memory_order_relaxed);
	return k;
}

/* Events (recorder -> control), fixed layout for an event ring. */
#define SB_REC_EVENTS(_)                                                        \
	_(OPENED,       "recording started (.part created)")                     \
	_(CLOSED,       "recording closed and renamed; see complete/share_pm")   \
	_(OPEN_FAILED,  "could not create the file (err: ENOENT: no directory)")  \
	_(WRITE_FAILED, "a write failed (err: ENOSPC, EIO, ...): call goes on unrecorded") \
	_(SYNC_FAILED,  "fdatasync at a segment or at close failed")             \
	_(DEGRADED,     "I/O buffer pool exhausted: audio of this call lost")    \
	_(RECOVERED,    "a .part left by a crash was repaired (incomplete)")     \
	_(RECOVER_FAILED, "a .part could not be repaired (err)")
enum sb_rec_ev_type {
	SB_REC_EV_NONE = 0,
#define _(s, d) SB_REC_EV_##s,
	SB_REC_EVENTS(_)
#undef _
	SB_REC_EV_N
};
const char *sb_rec_ev_desc(unsigned type);

struct sb_rec_event {
	uint32_t type;     /* enum sb_rec_ev_type */
	uint32_t call_id;  /* 0 for RECOVERED* (not known after a crash) */
	int32_t err;       /* -errno, 0 if none */
	uint32_t complete; /* CLOSED/RECOVERED: 1 = every sample of the call is in the file */
	uint32_t share_pm; /* CLOSED: per mille of the call's audio held in the file */
	uint32_t rsvd;
	uint64_t file_ms;  /* audio duration in the file */
	uint64_t call_ms;  /* audio duration of the call (CLOSED) */
	char path[SB_REC_PATH_MAX]; /* final path (no .part), NUL-terminated */
};
_Static_assert(sizeof(struct sb_rec_event) % 8 == 0, "event ring element");

/* Counters (recorder thread writes, anyone reads approximately). */
#define SB_REC_COUNTERS(_)                                                      \
	_(FRAMES,        "frames drained from the producer rings")                \
	_(DROP_NO_CALL,  "frame for a call not being recorded")                   \
	_(DROP_BAD,      "frame with a bad channel, codec or length")             \
	_(DROP_LATE,     "frame older than the reorder window")                   \
	_(REANCHOR,      "timestamp jump: channel re-anchored")                   \
	_(SAMPLES_LOST,  "stereo samples not written (no buffer, failed file)")   \
	_(POOL_EXHAUSTED,"a call found the I/O buffer pool empty")                \
	_(WRITES,        "write requests completed")                              \
	_(WRITE_BYTES,   "bytes written")                                         \
	_(SUBMITS,       "io_uring_submit calls")                                 \
	_(SYNCS,         "fdatasync completed")                                   \
	_(ERR_ENOSPC,    "writes failed with ENOSPC (disk full)")                 \
	_(ERR_EIO,       "writes or syncs failed with EIO")                       \
	_(ERR_OTHER,     "writes or syncs failed otherwise")                      \
	_(OPEN_FAILED,   "files that could not be created")                       \
	_(CALLS_OPENED,  "recordings started")                                    \
	_(CALLS_CLOSED,  "recordings closed")                                     \
	_(CALLS_INCOMPLETE, "recordings closed incomplete")                       \
	_(CALL_TABLE_FULL, "start refused: max_calls recordings open")            \
	_(EV_DROPPED,    "events lost: event ring full")                          \
	_(DIRECT_FALLBACK, "O_DIRECT refused by the file system: buffered")      \
	_(OPUS_DECODED,  "Opus packets decoded")                                  \
	_(OPUS_BAD,      "Opus packets the decoder refused (the frame is silence)") \
	_(MASK_TEV,      "RFC 4733 event packets that masked audio")              \
	_(MASK_INBAND,   "in-band DTMF blocks that masked audio")                 \
	_(MASK_LATE,     "masked samples already written (outside the window)")   \
	_(PKTS,          "packets written to pcap recordings")
enum sb_rec_cnt {
#define _(s, d) SB_REC_C_##s,
	SB_REC_COUNTERS(_)
#undef _
	SB_REC_C_N
};
const char *sb_rec_cnt_name(unsigned c);

struct sb_rec_cfg {
	unsigned nprod;       /* producer rings (one per worker), >= 1 */
	unsigned ring_slots;  /* frames per producer ring, power of two */
	unsigned max_calls;   /* recordings open at once */
	unsigned nbufs;       /* I/O buffer pool: buffers ... */
	unsigned buf_size;    /* ... of this many bytes (multiple of 4096) */
	unsigned segment_ms;  /* durability segment (audio time); 0 = 60000 */
	unsigned hold_ms;     /* reorder window; 0 = 200 */
	unsigned sq_entries;  /* io_uring SQ size; 0 = 256 */
	bool o_direct;        /* open with O_DIRECT (falls back if refused) */
	bool no_fixed;        /* do not register the buffers (comparison) */
};

struct sb_rec;

void sb_rec_free(struct sb_rec *r); /* NULL ok; abandons open calls as .part */
/* NULL + errno (EINVAL bad cfg, ENOMEM, or io_uring_queue_init's error). */
#if defined(__clang__) /* no deallocator argument (the fuzz build is clang) */
struct sb_rec *sb_rec_create(const struct sb_rec_cfg *cfg) __attribute__((malloc));
#else
struct sb_rec *sb_rec_create(const struct sb_rec_cfg *cfg)
	__attribute__((malloc, malloc(sb_rec_free, 1)));
#endif

/* Producer handle of worker i (< cfg.nprod). */
struct sb_rec_prod *sb_rec_prod(struct sb_rec *r, unsigned i);

/* Control side (one thread).  0, -ENAMETOOLONG (path), -EINVAL (fmt),
 * -EAGAIN (command ring full: retry later). */
int sb_rec_start(struct sb_rec *r, uint32_t call_id, const char *path,
		 enum sb_rec_fmt fmt);
int sb_rec_stop(struct sb_rec *r, uint32_t call_id);
/* sb_rec_start with this call's own durability segment (audio ms;
 * 0 = cfg.segment_ms; else >= 100). */
int sb_rec_start_seg(struct sb_rec *r, uint32_t call_id, const char *path,
		     enum sb_rec_fmt fmt, unsigned segment_ms);
/* The same with flags (SB_REC_OPT_*).  -EINVAL also for MASK_DTMF with
 * SB_REC_FMT_PCAP (raw packets keep their tones). */
int sb_rec_start_opts(struct sb_rec *r, uint32_t call_id, const char *path,
		      enum sb_rec_fmt fmt, unsigned segment_ms, unsigned flags);
/* Up to n events; returns how many. */
unsigned sb_rec_event_poll(struct sb_rec *r, struct sb_rec_event *ev, unsigned n);

/* Recorder side.  One pass: commands, frames, completions, submission.
 * Returns the amount of work done (0 = idle). */
unsigned sb_rec_poll(struct sb_rec *r);
/* The same, taking at most limit[p] frames from producer p (limit has
 * cfg.nprod entries).  A caller that issues sb_rec_start() on behalf of
 * producers snapshots sb_rec_prod_count() first, then starts what they
 * asked, then polls with the snapshot: every frame taken was pushed after
 * its start was seen (no frame of a new call dropped as unknown). */
unsigned sb_rec_poll_bounded(struct sb_rec *r, const uint32_t *limit);
/* Frames waiting on producer p's ring (acquire: what the producer wrote
 * before them is visible). */
unsigned sb_rec_prod_count(struct sb_rec *r, unsigned p);
/* Poll until every stopped call is closed and no I/O is in flight, at most
 * timeout_ms (the recorder side: not while sb_rec_thread_start() runs).
 * 0 or -ETIMEDOUT. */
int sb_rec_drain(struct sb_rec *r, unsigned timeout_ms);
/* Run sb_rec_poll in a thread (sleeps 1 ms when idle).  0 or -errno. */
int sb_rec_thread_start(struct sb_rec *r);
void sb_rec_thread_stop(struct sb_rec *r); /* joins; no-op if not running */

uint64_t sb_rec_counter(const struct sb_rec *r, enum sb_rec_cnt c);
unsigned sb_rec_calls_open(const struct sb_rec *r);
/* Whether the I/O buffers are registered with io_uring (fixed buffers);
 * false when the kernel refused to pin them (RLIMIT_MEMLOCK) or cfg.no_fixed. */
bool sb_rec_fixed_buffers(const struct sb_rec *r);

/* Start-up recovery: every NAME.part in dir gets its RIFF and data sizes
 * set from the file length (whole sample frames), is fdatasync'ed and
 * renamed to NAME; cb receives a RECOVERED event (complete = 0, file_ms =
 * recovered duration) or RECOVER_FAILED.  Returns the number repaired or
 * -errno (opendir). */
int sb_rec_recover_dir(const char *dir,
		       void (*cb)(void *arg, const struct sb_rec_event *ev), void *arg);

/* WAV header block (SB_REC_HDR_SIZE bytes) for data_bytes of audio. */
void sb_rec_wav_header(uint8_t *hdr, enum sb_rec_fmt fmt, uint64_t data_bytes);

/* Crash repair of the stream formats, on a file image buf[0..len): the
 * length of the longest prefix that is whole (Ogg: pages with a good
 * CRC; pcapng: blocks whose two lengths agree), at least SB_REC_HDR_SIZE,
 * or -EBADMSG when the header block itself is not ours.  *ms: the audio
 * (Ogg: last granule position less the pre-skip) or capture (pcapng:
 * first to last packet) duration; *last_page: offset of the last whole
 * Ogg page (its EOS flag is set by the recovery), 0 for pcapng.  Input is
 * any bytes (a torn file): never reads outside buf (fuzzed). */
long sb_rec_scan_ogg(const uint8_t *buf, size_t len, uint64_t *ms, size_t *last_page);
long sb_rec_scan_pcapng(const uint8_t *buf, size_t len, uint64_t *ms, uint64_t *pkts);
/* Ogg CRC (the page's CRC field must be zero while computing). */
uint32_t sb_rec_ogg_crc(const uint8_t *p, size_t n);

#endif /* SB_REC_H */
