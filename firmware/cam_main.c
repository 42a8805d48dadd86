/*
 * NAME
 *	cam_main.c - vigil-cam: the body camera program
 *
 * DESCRIPTION
 *	vigil-cam -c CAMERA_DIR/camera.conf [-n FRAMES] [--fps N]
 *	          [--source testsrc|file:PATH|v4l2:DEVICE] [--codec h264|jpeg]
 *	          [--size WxH] [--kbps N] [--keyint N] [--quality N]
 *	          [--server HOST:PORT] [--tamper N] [--replay-hello] [--dup N]
 *
 *	Opens a session with the server and streams video from its source
 *	(default testsrc, 320x240, H.264 at 500 kbps, a keyframe every 30
 *	frames; cam_feed.c) with telemetry once a second and a report of
 *	what it holds, then says bye. At exit it prints `sent=N` and its other
 *	counters. --tamper N flips one byte of every Nth datagram and
 *	--replay-hello[=N] sends each hello again (N times), --dup N sends every Nth
 *	datagram twice, --garbage follows each datagram with malformed variants
 *	of it (random, truncated, one bit flipped, oversized, wrong version,
 *	another camera's): all exist to test the server. --clock-offset MS
 *	runs the camera on a clock MS milliseconds off the system's (to cross
 *	a UTC midnight in a test).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cam.h"
#include "cam_media.h"

static volatile sig_atomic_t cam_stop;

static void
on_signal(int sig)
{
	(void)sig;
	cam_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: vigil-cam -c camera.conf [-n FRAMES] [--fps N] [--server HOST:PORT]\n"
		   "                 [--source testsrc|file:PATH|v4l2:DEVICE] [--codec h264|jpeg]\n"
		   "                 [--size WxH] [--kbps N] [--keyint N] [--quality N]\n"
		   "                 [--tamper N] [--replay-hello[=N]] [--dup N]\n"
		   "                 [--garbage] [--clock-offset MS]\n");
}

static size_t
telemetry(uint8_t *b, uint64_t ms, uint32_t t)
{
	/* a slow walk around a point, battery draining */
	proto_put64(b, ms);
	proto_put32(b + 8, (uint32_t)(int32_t)(488566000 + (int32_t)(t * 90)));
	proto_put32(b + 12, (uint32_t)(int32_t)(23522000 + (int32_t)(t * 60)));
	proto_put16(b + 16, 140);		 /* 1.4 m/s */
	proto_put16(b + 18, (uint16_t)(t % 36000)); /* heading */
	b[20] = (uint8_t)(t / 60 < 99 ? 100 - t / 60 : 1);
	b[21] = 80;
	b[22] = b[23] = 0;
	return 24;
}

static void
sleep_until(struct timespec *next, long step_ns)
{
	next->tv_nsec += step_ns;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"fps", required_argument, NULL, 'F'},
		{"server", required_argument, NULL, 'S'},
		{"tamper", required_argument, NULL, 'T'},
		{"replay-hello", optional_argument, NULL, 'R'},
		{"dup", required_argument, NULL, 'D'},
		{"garbage", no_argument, NULL, 'G'},
		{"clock-offset", required_argument, NULL, 'O'},
		{"source", required_argument, NULL, 's'},
		{"codec", required_argument, NULL, 'C'},
		{"size", required_argument, NULL, 'W'},
		{"kbps", required_argument, NULL, 'K'},
		{"keyint", required_argument, NULL, 'I'},
		{"quality", required_argument, NULL, 'Q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static uint8_t frame[64 * 1024];
	cam_feed_conf_t fc = {"testsrc", PROTO_C_H264, 320, 240, 10, 500, 30, 75};
	cam_feed_t feed = {0};
	int have_feed = 0;
	const char *conf = NULL, *server = NULL;
	long frames = -1, fps = 10, i;
	long long clock_offset = 0; /* ms added to the system clock: a simulated camera clock */
	struct timespec next;
	cam_t c;
	int opt, rc = 1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.state.fd = -1;
	while ((opt = getopt_long(argc, argv, "c:n:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'n': frames = atol(optarg); break;
		case 'F': fps = atol(optarg); break;
		case 'S': server = optarg; break;
		case 'T': c.tamper_every = (unsigned)atoi(optarg); break;
		case 'R': c.replay_hello = optarg ? atoi(optarg) : 1; break;
		case 'D': c.dup_every = (unsigned)atoi(optarg); break;
		case 'G': c.garbage = 1; break;
		case 'O': clock_offset = atoll(optarg); break;
		case 's': fc.source = optarg; break;
		case 'C':
			if (!strcmp(optarg, "h264"))
				fc.codec = PROTO_C_H264;
			else if (!strcmp(optarg, "jpeg"))
				fc.codec = PROTO_C_JPEG;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'W':
			if (sscanf(optarg, "%dx%d", &fc.w, &fc.h) != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'K': fc.kbps = atoi(optarg); break;
		case 'I': fc.keyint = atoi(optarg); break;
		case 'Q': fc.quality = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (conf == NULL || fps < 1 || fps > 1000 || fc.kbps < 16 || fc.keyint < 1) {
		usage(stderr);
		return 2;
	}
	fc.fps = (int)fps;
	if (cam_conf_load(conf, &c.conf) < 0)
		return 1;
	if (server)
		snprintf(c.conf.server, sizeof(c.conf.server), "%s", server);
	if ((c.key = proto_key_load_private(c.conf.camera_key)) == NULL ||
	    (c.server_pub = proto_key_load_public(c.conf.server_key)) == NULL) {
		fprintf(stderr, "vigil-cam: %s\n", proto_errmsg());
		goto out;
	}
	if (cam_feed_open(&feed, &fc) < 0)
		goto out;
	have_feed = 1;
	if (cam_state_open(&c.state, c.conf.state, proto_date_from_ms(proto_now_ms() + (uint64_t)clock_offset)) < 0 ||
	    cam_connect(&c) < 0)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; !cam_stop && (frames < 0 || i < frames); i++) {
		uint64_t now = proto_now_ms() + (uint64_t)clock_offset;
		cam_coded_t cf;

		if (cam_feed_next(&feed, (uint32_t)i, now, &cf) < 0) {
			fprintf(stderr, "vigil-cam: source %s: no frame\n", fc.source);
			goto out;
		}
		if (cam_send_frame(&c, PROTO_S_VIDEO, cf.codec, cf.keyframe, now, cf.data, cf.len) < 0)
			goto out;
		if (i % fps == 0) {
			size_t tl = telemetry(frame, now, (uint32_t)(i / fps));
			if (cam_send_frame(&c, PROTO_S_TELEMETRY, PROTO_C_TELEMETRY, 0, now, frame,
					   tl) < 0 ||
			    cam_send_report(&c) < 0)
				goto out;
		}
		cam_poll_replies(&c);
		cam_hello_retry(&c, now);
		sleep_until(&next, 1000000000L / fps);
	}
	cam_send_bye(&c, 0);
	usleep(100 * 1000);
	cam_poll_replies(&c);
	rc = 0;
out:
	printf("sent=%llu bytes=%llu tampered=%llu dups=%llu acks=%llu missing=%llu rr=%llu "
	       "hello_resent=%llu garbage=%llu\n",
	       (unsigned long long)c.sent, (unsigned long long)c.sent_bytes,
	       (unsigned long long)c.tampered, (unsigned long long)c.dups, (unsigned long long)c.acks,
	       (unsigned long long)c.missing, (unsigned long long)c.rr,
	       (unsigned long long)c.hello_resent, (unsigned long long)c.garbage_sent);
	cam_state_close(&c.state);
	if (have_feed)
		cam_feed_close(&feed);
	proto_session_free(c.session);
	EVP_PKEY_free(c.key);
	EVP_PKEY_free(c.server_pub);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
