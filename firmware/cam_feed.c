/*
 * NAME
 *	cam_feed.c - the camera's coded frames: a source and its encoder
 *
 * DESCRIPTION
 *	A picture source (testsrc, v4l2) is encoded at the configured codec,
 *	size, rate and bitrate; a file source already holds coded frames
 *	and passes them through. Changing codec, size or frame rate opens a
 *	new encoder, whose first frame is a keyframe; changing only the
 *	H.264 bitrate reconfigures the running one. cam_sleep_until() paces
 *	the capture loop.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cam_media.h"
#include "proto.h"

int
cam_feed_open(cam_feed_t *f, const cam_feed_conf_t *conf)
{
	memset(f, 0, sizeof(*f));
	f->conf = *conf;
	if (cam_src_open(&f->src, conf->source, conf->w, conf->h, conf->fps) < 0)
		return -1;
	if (cam_src_is_coded(&f->src))
		return 0;
	/* a device may have chosen another size */
	f->conf.w = f->src.w;
	f->conf.h = f->src.h;
	if (cam_enc_open(&f->enc, conf->codec, f->conf.w, f->conf.h, conf->fps, conf->kbps,
			 conf->keyint, conf->quality) < 0) {
		cam_src_close(&f->src);
		return -1;
	}
	f->have_enc = 1;
	if (conf->dump_yuv && (f->dump = fopen(conf->dump_yuv, "wb")) == NULL) {
		perror(conf->dump_yuv);
		cam_feed_close(f);
		return -1;
	}
	return 0;
}

static void
dump(FILE *out, const cam_pic_t *p)
{
	int pl, y;

	for (pl = 0; pl < 3; pl++)
		for (y = 0; y < (pl ? p->h / 2 : p->h); y++)
			fwrite(p->plane[pl] + (size_t)y * p->stride[pl], 1,
			       (size_t)(pl ? p->w / 2 : p->w), out);
}

int
cam_feed_next(cam_feed_t *f, uint32_t frame, uint64_t capture_ms, cam_coded_t *out)
{
	if (!f->have_enc)
		return cam_src_coded(&f->src, out);
	if (cam_src_picture(&f->src, &f->enc.pic, frame, capture_ms) < 0)
		return -1;
	if (f->dump)
		dump(f->dump, &f->enc.pic);
	return cam_enc_frame(&f->enc, out);
}

int
cam_feed_reconf(cam_feed_t *f, uint8_t codec, int w, int h, int fps, int kbps)
{
	cam_enc_t *e = &f->enc;

	if (!f->have_enc)
		return 0;
	if (f->src.kind != CAM_SRC_TESTSRC) { /* a device keeps its size */
		w = f->conf.w;
		h = f->conf.h;
	}
	if (codec == e->codec && w == e->w && h == e->h && fps == e->fps)
		return cam_enc_set_kbps(e, kbps);
	cam_enc_close(e);
	f->have_enc = 0;
	if (cam_enc_open(e, codec, w, h, fps, kbps, f->conf.keyint, f->conf.quality) < 0)
		return -1;
	f->have_enc = 1;
	return 0;
}

void
cam_feed_close(cam_feed_t *f)
{
	if (f->dump)
		fclose(f->dump);
	f->dump = NULL;
	if (f->have_enc)
		cam_enc_close(&f->enc);
	cam_src_close(&f->src);
}

void
cam_sleep_until(struct timespec *next, long step_ns)
{
	next->tv_nsec += step_ns;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}
