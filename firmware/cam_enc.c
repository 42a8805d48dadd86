/*
 * NAME
 *	cam_enc.c - encode pictures: H.264 with x264, JPEG with libturbojpeg
 *
 * DESCRIPTION
 *	One encoder per picture size and codec. H.264: the "veryfast"
 *	preset with the zero-latency tune (no B-frames, no lookahead, one
 *	frame in, one access unit out), constrained baseline profile, an
 *	average bitrate held by a one-second VBV, SPS and PPS repeated
 *	before every keyframe so that a viewer can start at any keyframe,
 *	Annex-B start codes. One thread: a camera has few cores, and fleet
 *	mode shares one encoder among many cameras. JPEG: 4:2:0 from the
 *	same planes, every image a keyframe.
 *
 *	The source draws straight into e->pic (x264's own input picture),
 *	so a frame is never copied before it is encoded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>
#include <x264.h>

#include "cam_media.h"
#include "proto.h"

static int
h264_open(cam_enc_t *e)
{
	x264_param_t p;
	x264_picture_t *pic;

	if (x264_param_default_preset(&p, "veryfast", "zerolatency") < 0)
		return -1;
	p.i_log_level = X264_LOG_ERROR;
	p.i_threads = 1;
	p.b_sliced_threads = 0;
	p.i_width = e->w;
	p.i_height = e->h;
	p.i_csp = X264_CSP_I420;
	p.i_fps_num = (uint32_t)e->fps;
	p.i_fps_den = 1;
	p.b_vfr_input = 0; /* rate control from the frame rate, not timestamps */
	p.i_keyint_max = e->keyint;
	p.i_keyint_min = e->keyint;
	p.i_scenecut_threshold = 0; /* keyframes only on the interval: predictable for viewers */
	p.b_repeat_headers = 1;
	p.b_annexb = 1;
	p.rc.i_rc_method = X264_RC_ABR;
	p.rc.i_bitrate = e->kbps;
	p.rc.i_vbv_max_bitrate = e->kbps;
	p.rc.i_vbv_buffer_size = e->kbps;
	if (x264_param_apply_profile(&p, "baseline") < 0)
		return -1;
	if ((e->x264 = x264_encoder_open(&p)) == NULL)
		return -1;
	if ((pic = calloc(1, sizeof(*pic))) == NULL)
		return -1;
	e->pic_in = pic;
	if (x264_picture_alloc(pic, X264_CSP_I420, e->w, e->h) < 0) {
		free(pic);
		e->pic_in = NULL;
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		e->pic.plane[i] = pic->img.plane[i];
		e->pic.stride[i] = pic->img.i_stride[i];
	}
	return 0;
}

static int
jpeg_open(cam_enc_t *e)
{
	size_t ysz = (size_t)e->w * (size_t)e->h;

	if ((e->tj = tjInitCompress()) == NULL)
		return -1;
	e->jpeg_cap = tjBufSize(e->w, e->h, TJSAMP_420);
	if ((e->jpeg = tjAlloc((int)e->jpeg_cap)) == NULL ||
	    (e->yuv = malloc(ysz + ysz / 2)) == NULL)
		return -1;
	e->pic.plane[0] = e->yuv;
	e->pic.plane[1] = e->yuv + ysz;
	e->pic.plane[2] = e->yuv + ysz + ysz / 4;
	e->pic.stride[0] = e->w;
	e->pic.stride[1] = e->pic.stride[2] = e->w / 2;
	return 0;
}

int
cam_enc_open(cam_enc_t *e, uint8_t codec, int w, int h, int fps, int kbps, int keyint, int quality)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->codec = codec;
	e->w = e->pic.w = w;
	e->h = e->pic.h = h;
	e->fps = fps;
	e->kbps = kbps;
	e->keyint = keyint < 1 ? 1 : keyint;
	e->quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
	rc = codec == PROTO_C_H264 ? h264_open(e) : codec == PROTO_C_JPEG ? jpeg_open(e) : -1;
	if (rc < 0) {
		fprintf(stderr, "vigil-cam: cannot open a %s encoder for %dx%d\n",
			codec == PROTO_C_H264 ? "H.264" : "JPEG", w, h);
		cam_enc_close(e);
	}
	return rc;
}

static int
h264_frame(cam_enc_t *e, cam_coded_t *out)
{
	x264_picture_t *in = e->pic_in, pout;
	x264_nal_t *nal;
	int nnal, size, i;
	size_t off = 0;

	in->i_type = e->force_key ? X264_TYPE_IDR : X264_TYPE_AUTO;
	e->force_key = 0;
	in->i_pts++;
	if ((size = x264_encoder_encode(e->x264, &nal, &nnal, in, &pout)) < 0)
		return -1;
	if ((size_t)size > e->out_cap) {
		uint8_t *n = realloc(e->out, (size_t)size);
		if (n == NULL)
			return -1;
		e->out = n;
		e->out_cap = (size_t)size;
	}
	/* the payloads of one call are contiguous, but copy per NAL to be safe */
	for (i = 0; i < nnal; i++) {
		memcpy(e->out + off, nal[i].p_payload, (size_t)nal[i].i_payload);
		off += (size_t)nal[i].i_payload;
	}
	out->codec = PROTO_C_H264;
	out->keyframe = pout.b_keyframe;
	out->data = e->out;
	out->len = off;
	return 0;
}

static int
jpeg_frame(cam_enc_t *e, cam_coded_t *out)
{
	const unsigned char *planes[3] = {e->pic.plane[0], e->pic.plane[1], e->pic.plane[2]};
	unsigned long size = e->jpeg_cap;

	if (tjCompressFromYUVPlanes(e->tj, planes, e->w, e->pic.stride, e->h, TJSAMP_420, &e->jpeg,
				    &size, e->quality, TJFLAG_NOREALLOC | TJFLAG_FASTDCT) < 0) {
		fprintf(stderr, "vigil-cam: jpeg: %s\n", tjGetErrorStr2(e->tj));
		return -1;
	}
	out->codec = PROTO_C_JPEG;
	out->keyframe = 1;
	out->data = e->jpeg;
	out->len = size;
	return 0;
}

int
cam_enc_frame(cam_enc_t *e, cam_coded_t *out)
{
	return e->codec == PROTO_C_H264 ? h264_frame(e, out) : jpeg_frame(e, out);
}

int
cam_enc_set_kbps(cam_enc_t *e, int kbps)
{
	x264_param_t p;

	if (e->codec != PROTO_C_H264 || kbps == e->kbps)
		return 0;
	x264_encoder_parameters(e->x264, &p);
	p.rc.i_bitrate = kbps;
	p.rc.i_vbv_max_bitrate = kbps;
	p.rc.i_vbv_buffer_size = kbps;
	if (x264_encoder_reconfig(e->x264, &p) < 0)
		return -1;
	e->kbps = kbps;
	return 0;
}

void
cam_enc_close(cam_enc_t *e)
{
	if (e->x264)
		x264_encoder_close(e->x264);
	if (e->pic_in) {
		x264_picture_clean(e->pic_in);
		free(e->pic_in);
	}
	if (e->tj)
		tjDestroy(e->tj);
	if (e->jpeg)
		tjFree(e->jpeg);
	free(e->yuv);
	free(e->out);
	memset(e, 0, sizeof(*e));
}
