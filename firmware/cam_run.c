/*
 * NAME
 *	cam_run.c - the loop of one camera: capture, send, answer, linger
 *
 * DESCRIPTION
 *	cam_run_capture() paces the camera at its frame rate (or its
 *	telemetry rate with --telemetry-only): each turn sends the frame
 *	and the telemetry record that are due, a report once a second,
 *	reads what the server sent, follows its receiver reports (--abr),
 *	retries an unacknowledged hello and lets cam_resend.c resend from the
 *	store behind the live datagrams. cam_run_linger() follows the last
 *	frame: reports and answers go on until everything sent before it
 *	is confirmed, or its time is up.
 */
#include <stdio.h>
#include <time.h>

#include "cam.h"
#include "cam_media.h"
#include "cam_store.h"

/* A receiver report at time now (mono: monotonic): adapt, and say what was decided. */
static int
adapt(cam_t *c, cam_abr_t *abr, cam_feed_t *feed, int signal, uint64_t now, uint64_t mono,
      uint64_t *last_ms, uint64_t *last_bytes)
{
	const cam_abr_rung_t *r;
	double sent_kbps =
	    mono > *last_ms ? (double)(c->sent_bytes - *last_bytes) * 8 / (double)(mono - *last_ms)
			    : 0;

	*last_ms = mono;
	*last_bytes = c->sent_bytes;
	if (cam_abr_report(abr, &c->last_rr, signal)) {
		r = cam_abr_rung(abr);
		if (cam_feed_reconf(feed, r->codec, r->w, r->h, r->fps, r->kbps) < 0)
			return -1;
	}
	r = cam_abr_rung(abr);
	printf("abr t=%llu loss=%.3f rate_kbps=%.0f sent_kbps=%.0f signal=%d rung=%d codec=%u "
	       "size=%dx%d fps=%d kbps=%d\n",
	       (unsigned long long)now, abr->loss, abr->rate_kbps, sent_kbps, signal, abr->cur,
	       r->codec, r->w, r->h, r->fps, r->kbps);
	return 0;
}

int
cam_run_capture(cam_t *c, const cam_opts_t *o, cam_feed_t *feed, cam_tele_t *tele, FILE *log,
		volatile int *stop)
{
	cam_abr_t abr;
	struct timespec next;
	/* the schedule on the monotonic clock; capture times on the wall clock */
	uint64_t start = proto_mono_ms(), next_video = start;
	uint64_t next_tele = start, next_report = start, rr_ms = start, rr_bytes = 0;
	long video = 0, records = 0;
	int signal = o->signal, fps = o->feed.fps;
	long tick_ns = o->tele_only ? (long)(1e9 / o->tele_hz) : 1000000000L / fps;

	cam_abr_init(&abr, &o->feed, o->jpeg_below, o->jpeg_fps);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!*stop) {
		uint64_t now = proto_now_ms() + (uint64_t)o->clock_offset, mono = proto_mono_ms();
		cam_coded_t cf;

		if (o->frames >= 0 && (o->tele_only ? records : video) >= o->frames)
			break;
		if (!o->tele_only && mono >= next_video) {
			if (cam_feed_next(feed, (uint32_t)video, now, &cf) < 0) {
				fprintf(stderr, "vigil-cam: source %s: no frame\n", o->feed.source);
				return -1;
			}
			if (cam_send_frame(c, PROTO_S_VIDEO, cf.codec, cf.keyframe, now, cf.data,
					   cf.len) < 0)
				return -1;
			video++;
			/* at the full rate every tick is a frame; a lower rung skips ticks */
			fps = o->abr && feed->have_enc ? cam_abr_rung(&abr)->fps : o->feed.fps;
			next_video = fps >= o->feed.fps ? mono : next_video + 1000 / (uint64_t)fps;
		}
		if (o->tele_only || mono >= next_tele) {
			if (cam_tele_send(c, tele, now, log, &signal) < 0)
				return -1;
			records++;
			next_tele += (uint64_t)(1000 / o->tele_hz);
		}
		if (mono >= next_report) {
			if (cam_send_report(c) < 0)
				return -1;
			next_report += 1000;
		}
		cam_poll_replies(c);
		if (c->rr_fresh) {
			c->rr_fresh = 0;
			if (o->abr &&
			    adapt(c, &abr, feed, signal, now, mono, &rr_ms, &rr_bytes) < 0)
				return -1;
		}
		cam_hello_retry(c, mono);
		cam_resend_tick(c, mono); /* resends from the store, after the live datagrams */
		cam_sleep_until(&next, tick_ns);
	}
	if (o->abr)
		printf("abr changes=%llu to_jpeg=%llu from_jpeg=%llu\n",
		       (unsigned long long)abr.changes, (unsigned long long)abr.to_jpeg,
		       (unsigned long long)abr.from_jpeg);
	return 0;
}

void
cam_run_linger_start(const cam_t *c, cam_linger_t *l)
{
	l->date = c->state.date;
	l->upto = c->state.next;
	l->next_report = 0;
}

int
cam_run_linger_turn(cam_t *c, cam_linger_t *l, uint64_t now_ms)
{
	/* until all sent before lingering is confirmed (the reports sent since need not be) */
	if (c->sync == NULL || cam_store_unconfirmed_before(&c->sync->store, l->date, l->upto) == 0)
		return 0;
	if (now_ms >= l->next_report) {
		if (cam_send_report(c) < 0)
			return 0;
		l->next_report = now_ms + 1000;
	}
	cam_poll_replies(c);
	cam_resend_tick(c, now_ms);
	return 1;
}

void
cam_run_linger(cam_t *c, uint64_t ms)
{
	uint64_t start = proto_mono_ms();
	struct timespec ts = {0, 10 * 1000000L};
	cam_linger_t l;

	cam_run_linger_start(c, &l);
	while (proto_mono_ms() < start + ms && cam_run_linger_turn(c, &l, proto_mono_ms()))
		nanosleep(&ts, NULL);
}
