/*
 * NAME
 *	cam_abr.c - adapt bitrate, picture size and codec to the network
 *
 * DESCRIPTION
 *	A ladder built from the configured stream: H.264 at the full
 *	bitrate and size, then 60 %, 35 %, 20 % and 10 % of the bitrate at
 *	three quarters, half, half and a quarter of the size, and last JPEG
 *	at the smallest size and a low frame rate. Each receiver report
 *	gives the loss rate and the rate that got through. Loss over 5 %:
 *	the capacity is taken as 85 % of what got through, and the camera
 *	steps down to the best rung under it (at least one rung); under
 *	the JPEG threshold it goes to JPEG when the loss is heavy (over
 *	30 %) or it is already on the last H.264 rung. The report that
 *	follows a change is not acted on unless its loss is heavy: it
 *	mostly measures the switch itself (a new encoder starts with a
 *	keyframe). Loss under 2 % for 4 reports in
 *	a row (8 to leave JPEG: hysteresis, so that a link on the edge does
 *	not flap) steps one rung up. A weak signal caps the best rung
 *	allowed: under 50 % rung 1, 35 % rung 2, 25 % the last H.264 rung,
 *	15 % JPEG.
 */
#include <string.h>

#include "cam_media.h"

#define LOSS_DOWN 0.05
#define LOSS_GOOD 0.02
#define LOSS_HEAVY 0.30
#define UP_AFTER 4
#define UP_FROM_JPEG 8

static int
even(double v, int min)
{
	int i = (int)v & ~1;
	return i < min ? min : i;
}

void
cam_abr_init(cam_abr_t *a, const cam_feed_conf_t *base, int jpeg_below_kbps, int jpeg_fps)
{
	static const double size[] = {1, 0.75, 0.5, 0.5, 0.25}, rate[] = {1, 0.6, 0.35, 0.2, 0.1};
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < CAM_ABR_RUNGS - 1; i++) {
		cam_abr_rung_t *r = &a->rung[i];
		r->codec = PROTO_C_H264;
		r->w = (int)(base->w * size[i]) / 32 * 32;
		r->w = r->w < 160 ? 160 : r->w;
		r->h = even(base->h * size[i], 96);
		r->fps = base->fps;
		r->kbps = (int)(base->kbps * rate[i]);
		r->kbps = r->kbps < 32 ? 32 : r->kbps;
	}
	a->rung[i] = a->rung[i - 1];
	a->rung[i].codec = PROTO_C_JPEG;
	a->rung[i].fps = jpeg_fps < base->fps ? jpeg_fps : base->fps;
	a->rung[i].kbps = jpeg_below_kbps / 2;
	a->n = CAM_ABR_RUNGS;
	a->jpeg_below = jpeg_below_kbps;
}

const cam_abr_rung_t *
cam_abr_rung(const cam_abr_t *a)
{
	return &a->rung[a->cur];
}

static int
signal_floor(const cam_abr_t *a, int signal)
{
	if (signal < 0 || signal >= 50)
		return 0;
	if (signal >= 35)
		return 1;
	if (signal >= 25)
		return 2;
	return signal >= 15 ? a->n - 2 : a->n - 1;
}

int
cam_abr_report(cam_abr_t *a, const proto_rr_t *rr, int signal)
{
	int target = a->cur, last = a->n - 1, i, floor;

	if (rr->expected == 0 || rr->interval_ms == 0)
		return 0;
	a->loss = 1.0 - (double)rr->received / rr->expected;
	a->rate_kbps = (double)rr->bytes * 8 / rr->interval_ms;
	if (a->hold) {
		a->hold = 0;
		if (a->loss <= LOSS_HEAVY)
			return 0;
	}
	if (a->loss > LOSS_DOWN) {
		double cap = a->rate_kbps * 0.85;
		a->good = 0;
		if (cap < a->jpeg_below && (a->loss > LOSS_HEAVY || a->cur >= last - 1))
			target = last;
		else {
			for (i = 0; i < last - 1 && a->rung[i].kbps > cap; i++)
				;
			target = i > a->cur ? i : a->cur + 1 < last ? a->cur + 1 : a->cur;
		}
	} else if (a->loss < LOSS_GOOD) {
		if (++a->good >= (a->cur == last ? UP_FROM_JPEG : UP_AFTER) && a->cur > 0) {
			target = a->cur - 1;
			a->good = 0;
		}
	}
	floor = signal_floor(a, signal);
	if (target < floor)
		target = floor;
	if (target == a->cur)
		return 0;
	a->to_jpeg += target == last;
	a->from_jpeg += a->cur == last;
	a->cur = target;
	a->changes++;
	a->hold = 1;
	return 1;
}
