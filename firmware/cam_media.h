/*
 * NAME
 *	cam_media.h - vigil-cam's media side: pictures, sources, encoders
 *
 * DESCRIPTION
 *	cam_testsrc.c draws the synthetic test picture (frame number and
 *	capture time burned in as a bar code and as digits), cam_src.c
 *	opens a source (testsrc, file:PATH, v4l2:/dev/videoN), cam_v4l2.c
 *	captures from a V4L2 device, cam_enc.c encodes pictures with x264
 *	or libturbojpeg.
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
#include <stdint.h>

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
	void *x264;	     /* x264_t */
	void *pic_in;	     /* x264_picture_t */
	void *tj;	     /* tjhandle */
	uint8_t *jpeg;	     /* tjBufSize() bytes */
	unsigned long jpeg_cap;
	uint8_t *yuv;	     /* the input picture's planes when x264 does not own them */
	cam_pic_t pic;	     /* where the source draws the next picture */
	uint8_t *out;	     /* concatenated NAL units of the last frame */
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
	uint8_t codec;	    /* PROTO_C_H264 or PROTO_C_JPEG */
	int w, h, fps, kbps, keyint, quality;
} cam_feed_conf_t;

typedef struct cam_feed {
	cam_feed_conf_t conf;
	cam_src_t src;
	cam_enc_t enc;
	int have_enc;
} cam_feed_t;

int cam_feed_open(cam_feed_t *f, const cam_feed_conf_t *conf);
/* The next coded frame; frame and capture_ms are burned into a test picture. */
int cam_feed_next(cam_feed_t *f, uint32_t frame, uint64_t capture_ms, cam_coded_t *out);
/* Reopen the encoder with another codec, size, rate or bitrate (next frame is a keyframe). */
int cam_feed_reconf(cam_feed_t *f, uint8_t codec, int w, int h, int fps, int kbps);
void cam_feed_close(cam_feed_t *f);

#endif
