/*
 * NAME
 *	cam_media.h - vigil-cam's media side: pictures, sources, encoders
 *
 * DESCRIPTION
 *	cam_testsrc.c draws the synthetic test picture (frame number and
 *	capture time burned in as a bar code and as digits), cam_src.c
 *	opens a source (testsrc, file:PATH, v4l2:/dev/videoN), cam_v4l2.c
 *	captures from a V4L2 device, cam_enc.c encodes pictures with x264
 *	or libturbojpeg, cam_feed.c ties a source to its encoder,
 *	cam_tele.c samples telemetry, cam_abr.c adapts bitrate, size and
 *	codec to the receiver reports, cam_run.c runs a camera's loop.
 *
 *	The bar code (docs/PROTOCOL.md does not depend on it; tests read it
 *	back from decoded pixels): the top 48 rows of the luma plane are
 *	three bands of 16 rows, each band 32 blocks of width/32 pixels, most
 *	significant bit on the left, black (16) for 0 and white (235) for 1.
 *	Band 0 holds the frame number, band 1 the high 32 bits of the
 *	capture time (ms since the epoch), band 2 its low 32 bits.
 */
#ifndef VIGIL_CAM_MEDIA_H
#define VIGIL_CAM_MEDIA_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "proto.h"

#define CAM_BAR_BANDS 3
#define CAM_BAR_BITS 32
#define CAM_BAR_ROWS 16 /* rows per band */

/* An I420 picture; the planes belong to whoever filled in the struct. */
typedef struct cam_pic {
	int w, h;
	uint8_t *plane[3];
	int stride[3];
} cam_pic_t;

/* Draw the test picture of frame `frame` captured at capture_ms. */
void cam_testsrc_draw(cam_pic_t *p, uint32_t frame, uint64_t capture_ms);
/* Width a multiple of 32, at least 160; height even, at least 96. */
int cam_testsrc_size_ok(int w, int h);

/* An encoded frame, ready to be sealed. */
typedef struct cam_coded {
	uint8_t codec; /* PROTO_C_H264 or PROTO_C_JPEG */
	int keyframe;
	const uint8_t *data; /* owned by the encoder or source, valid until its next call */
	size_t len;
} cam_coded_t;

typedef struct cam_enc {
	uint8_t codec;
	int w, h, fps, kbps, keyint, quality;
	void *x264;    /* x264_t */
	void *pic_in;  /* x264_picture_t */
	void *tj;      /* tjhandle */
	uint8_t *jpeg; /* tjBufSize() bytes */
	unsigned long jpeg_cap;
	uint8_t *yuv;  /* the input picture's planes when x264 does not own them */
	cam_pic_t pic; /* where the source draws the next picture */
	uint8_t *out;  /* concatenated NAL units of the last frame */
	size_t out_cap;
	int force_key;
} cam_enc_t;

/*
 * Open an encoder for w x h pictures at fps: codec PROTO_C_H264 (x264,
 * zero-latency tune, a keyframe every keyint frames, kbps average with a
 * one-second VBV) or PROTO_C_JPEG (quality 1..100). Returns 0 or -1 with
 * a message on stderr.
 */
int cam_enc_open(cam_enc_t *e, uint8_t codec, int w, int h, int fps, int kbps, int keyint,
		 int quality);
/* Encode e->pic; out points into e until the next call. */
int cam_enc_frame(cam_enc_t *e, cam_coded_t *out);
/* Change the H.264 bitrate in place (no new keyframe). */
int cam_enc_set_kbps(cam_enc_t *e, int kbps);
void cam_enc_close(cam_enc_t *e);

/* Sources. */
enum cam_src_kind { CAM_SRC_TESTSRC, CAM_SRC_H264_FILE, CAM_SRC_JPEG_FILE, CAM_SRC_V4L2 };

typedef struct cam_src {
	enum cam_src_kind kind;
	/* file: the whole file, read once, replayed in a loop */
	uint8_t *buf;
	size_t len, pos;
	/* v4l2 */
	int fd;
	int w, h;
	void *map[4];
	size_t map_len[4];
	int nbufs;
	uint32_t fourcc;
} cam_src_t;

/*
 * spec: "testsrc", "file:PATH" (H.264 Annex-B or concatenated JPEG
 * images, told apart by their first bytes) or "v4l2:/dev/videoN".
 * w, h, fps: the size and rate asked of a camera device.
 */
int cam_src_open(cam_src_t *s, const char *spec, int w, int h, int fps);
/* Pictures (testsrc, v4l2) go through an encoder; files hold coded frames. */
int cam_src_is_coded(const cam_src_t *s);
/* Draw or capture the next picture into p (size p->w x p->h). */
int cam_src_picture(cam_src_t *s, cam_pic_t *p, uint32_t frame, uint64_t capture_ms);
/* The next coded frame of a file source (loops at the end). */
int cam_src_coded(cam_src_t *s, cam_coded_t *out);
void cam_src_close(cam_src_t *s);

/* cam_v4l2.c */
int cam_v4l2_open(cam_src_t *s, const char *dev, int w, int h, int fps);
int cam_v4l2_read(cam_src_t *s, cam_pic_t *p);
void cam_v4l2_close(cam_src_t *s);

/*
 * The feed: a source and, for pictures, an encoder; one per process, so
 * that in fleet mode every camera sends the same coded frames.
 */
typedef struct cam_feed_conf {
	const char *source; /* "testsrc", "file:PATH", "v4l2:DEV" */
	uint8_t codec;      /* PROTO_C_H264 or PROTO_C_JPEG */
	int w, h, fps, kbps, keyint, quality;
	const char *dump_yuv; /* also write every picture here, raw I420 (benchmark reference) */
} cam_feed_conf_t;

typedef struct cam_feed {
	cam_feed_conf_t conf;
	cam_src_t src;
	cam_enc_t enc;
	int have_enc;
	FILE *dump;
} cam_feed_t;

int cam_feed_open(cam_feed_t *f, const cam_feed_conf_t *conf);
/* The next coded frame; frame and capture_ms are burned into a test picture. */
int cam_feed_next(cam_feed_t *f, uint32_t frame, uint64_t capture_ms, cam_coded_t *out);
/* Reopen the encoder with another codec, size, rate or bitrate (next frame is a keyframe). */
int cam_feed_reconf(cam_feed_t *f, uint8_t codec, int w, int h, int fps, int kbps);
void cam_feed_close(cam_feed_t *f);
struct timespec;
/* Advance *next (CLOCK_MONOTONIC) by step_ns and sleep until then. */
void cam_sleep_until(struct timespec *next, long step_ns);

/* Telemetry (cam_tele.c). */
typedef struct cam_tele {
	uint64_t start_ms;
	int signal;  /* fixed signal percent, or -1: simulated */
	double *pts; /* GPX track: lat, lon pairs */
	size_t npts;
	void *gps;           /* struct gps_data_t while gpsd answers */
	char gpsd[256];      /* HOST:PORT, or "": no gpsd */
	uint64_t gps_try_ms; /* monotonic */
	int fix;
	double fix_lat, fix_lon, fix_speed, fix_track;
} cam_tele_t;

/* gpx: a GPX file to walk, or NULL; gpsd: HOST:PORT to ask first, or NULL; signal -1 or 0..100. */
int cam_tele_open(cam_tele_t *t, const char *gpx, const char *gpsd, int signal, uint64_t now_ms);
void cam_tele_sample(cam_tele_t *t, uint64_t now_ms, proto_telemetry_t *out);
void cam_tele_close(cam_tele_t *t);
struct cam;
/* Sample, log (one line, when log is not NULL) and send one record; *signal gets its signal. */
int cam_tele_send(struct cam *c, cam_tele_t *t, uint64_t now_ms, FILE *log, int *signal);

/*
 * Adaptive bitrate (cam_abr.c): a ladder of H.264 rungs (bitrate and
 * size) ending in JPEG at a low frame rate.
 */
#define CAM_ABR_RUNGS 6

typedef struct cam_abr_rung {
	uint8_t codec;
	int w, h, fps, kbps;
} cam_abr_rung_t;

typedef struct cam_abr {
	cam_abr_rung_t rung[CAM_ABR_RUNGS];
	int n;                  /* rungs; the last is JPEG */
	int cur;                /* 0 is the best */
	int jpeg_below;         /* kbps: a capacity under this means JPEG */
	int good;               /* consecutive reports without loss */
	int hold;               /* the last report changed the rung */
	double loss, rate_kbps; /* of the last report */
	uint64_t changes, to_jpeg, from_jpeg;
} cam_abr_t;

void cam_abr_init(cam_abr_t *a, const cam_feed_conf_t *base, int jpeg_below_kbps, int jpeg_fps);
/* A receiver report arrived; returns 1 when the rung changed. */
int cam_abr_report(cam_abr_t *a, const proto_rr_t *rr, int signal);
const cam_abr_rung_t *cam_abr_rung(const cam_abr_t *a);

/* What the command line asks of one camera, or of each camera of a fleet. */
typedef struct cam_opts {
	long frames;            /* video frames (telemetry records with tele_only); -1 forever */
	long long clock_offset; /* ms added to the system clock */
	cam_feed_conf_t feed;
	double tele_hz;       /* telemetry records per second */
	int tele_only;        /* no video */
	const char *gpx;      /* simulated track, or NULL */
	const char *gpsd;     /* HOST:PORT of gpsd, asked first; NULL: none */
	int signal;           /* fixed signal percent, or -1 */
	const char *tele_log; /* write each record sent here, one line each */
	int abr;              /* adapt to receiver reports */
	int jpeg_below, jpeg_fps;
	int fleet; /* cameras in this process (cam_fleet.c) */
	const char *keydir, *camdir;
	const char *server;   /* HOST:PORT overriding camera.conf */
	uint64_t store_max;   /* a camera's store bound in bytes; 0: the default */
	uint32_t resend_rate; /* resends per second, per camera */
	uint64_t linger_ms;   /* after the last frame, wait this long at most for CONFIRMs */
} cam_opts_t;

/* cam_fleet.c: run o->fleet cameras sharing one feed; returns the exit status. */
#define CAM_FLEET_STORE_DEFAULT (64ull << 20) /* a fleet camera's store: 64 MiB */
int cam_fleet_run(const cam_opts_t *o, volatile int *stop);

/*
 * cam_run.c. capture: the loop of camera c until o->frames are sent or
 * *stop is set; 0, or -1 with a message on stderr. linger: after it,
 * go on reporting and answering until everything sent so far is
 * confirmed or ms pass. A fleet lingers camera by camera: start notes
 * what camera c sent so far, each turn reports (once a second),
 * answers and resends, and says 1 while some of it is unconfirmed.
 */
typedef struct cam_linger {
	uint32_t date, upto;  /* what was sent before lingering */
	uint64_t next_report; /* monotonic ms */
} cam_linger_t;

int cam_run_capture(struct cam *c, const cam_opts_t *o, cam_feed_t *feed, cam_tele_t *tele,
		    FILE *log, volatile int *stop);
void cam_run_linger(struct cam *c, uint64_t ms);
void cam_run_linger_start(const struct cam *c, cam_linger_t *l);
int cam_run_linger_turn(struct cam *c, cam_linger_t *l, uint64_t now_ms);

#endif
