/*
 * NAME
 *	bench_camera.c - what vigil-cam costs: CPU per second of 720p30 video,
 *	and per simulated camera in fleet mode
 *
 * DESCRIPTION
 *	Provisions cameras into a temporary key directory (proto_provision),
 *	runs $BINDIR/vigil-cam (default bin) against a UDP socket that
 *	swallows what it is sent, and measures the child's CPU time (user +
 *	system, from wait4) against references run in the same process:
 *
 *	  camera_720p30: one camera, testsrc 1280x720 at 30 frames a second,
 *	    H.264 at 2 Mbps (x264 veryfast, zero-latency, one thread), for
 *	    SECS seconds, sealed and sent; CPU ms per second of video.
 *	    ref: ffmpeg encoding the same pictures (vigil-cam --dump-yuv
 *	    writes them raw in a run that is not measured) with libx264 at
 *	    the same preset, tune, profile, bitrate, keyframe interval and
 *	    thread count, to the null muxer. The camera also draws its
 *	    pictures, seals and sends; ffmpeg only reads them.
 *	  camera_fleet: FLEET cameras in one process (--fleet), 320x240 at
 *	    10 frames a second, 500 kbps; CPU ms per camera per second.
 *	    ref: one camera alone with the same settings, CPU ms per second.
 *
 *	Prints one line per figure:
 *	  BENCH camera_720p30 cpu_ms_per_s=... ref=... ratio=...
 *	  BENCH camera_fleet cpu_ms_per_camera_s=... ref=... ratio=...
 *	Nothing is asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "proto_crypto.h"

#define SECS 4
#define FLEET 200

/* Run argv to completion; CPU seconds (user + system) of the child, or -1. */
static double
run_cpu(char *const argv[])
{
	struct rusage ru;
	pid_t pid;
	int st;

	fflush(stdout); /* or the child would print what is still buffered here */
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_camera: %s failed\n", argv[0]);
		return -1;
	}
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int
main(void)
{
	const char *bindir = getenv("BINDIR") ? getenv("BINDIR") : "bin";
	char dir[] = "/tmp/vigil-bench-cam.XXXXXX", keydir[256], cams[256], fleet[256], conf[512];
	char cam[512], server[64], frames[32], fleetn[16], u[37], yuv[300];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	uint8_t uuid[PROTO_UUID_LEN];
	EVP_PKEY *k;
	double vigil, ref, fl, one;
	int fd, rc = 1;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(keydir, sizeof(keydir), "%s/keys", dir);
	snprintf(cams, sizeof(cams), "%s/cams", dir);
	snprintf(fleet, sizeof(fleet), "%s/fleet", dir);
	snprintf(cam, sizeof(cam), "%s/vigil-cam", bindir);
	/* a sink: bound, never read; a full buffer drops, as a lossy network would */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, alen) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		goto out;
	snprintf(server, sizeof(server), "127.0.0.1:%u", ntohs(a.sin_port));
	snprintf(conf, sizeof(conf), "%s/server.key", keydir);
	if (proto_mkdirs(keydir) < 0 || (k = proto_key_generate(2048)) == NULL)
		goto out;
	if (proto_key_save_private(k, conf) < 0) {
		EVP_PKEY_free(k);
		goto out;
	}
	snprintf(conf, sizeof(conf), "%s/server.pub", keydir);
	rc = proto_key_save_public(k, conf);
	EVP_PKEY_free(k);
	if (rc < 0 || proto_provision(keydir, server, cams, 2048, uuid) < 0) {
		rc = 1;
		goto out;
	}
	rc = 1;
	proto_uuid_fmt(uuid, u);
	snprintf(conf, sizeof(conf), "%s/%s/camera.conf", cams, u);

	snprintf(frames, sizeof(frames), "%d", SECS * 30);
	char *v720[] = {cam,        "-c",    conf,   "--server",  server, "--size",
			"1280x720", "--fps", "30",   "--kbps",    "2000", "--keyint",
			"60",       "-n",    frames, "--no-gpsd", NULL};
	char *dump[] = {cam,         "-c",         conf,    "--server", server,
			"--size",    "1280x720",   "--fps", "30",       "--kbps",
			"2000",      "--keyint",   "60",    "-n",       frames,
			"--no-gpsd", "--dump-yuv", yuv,     NULL};
	char *f720[] = {"ffmpeg",      "-v",         "error",    "-f",      "rawvideo", "-pix_fmt",
			"yuv420p",     "-s",         "1280x720", "-r",      "30",       "-i",
			yuv,           "-c:v",       "libx264",  "-preset", "veryfast", "-tune",
			"zerolatency", "-profile:v", "baseline", "-b:v",    "2000k",    "-maxrate",
			"2000k",       "-bufsize",   "2000k",    "-g",      "60",       "-threads",
			"1",           "-f",         "null",     "-",       NULL};
	snprintf(yuv, sizeof(yuv), "%s/src.yuv", dir);
	if ((vigil = run_cpu(v720)) < 0 || run_cpu(dump) < 0 || (ref = run_cpu(f720)) < 0)
		goto out;
	unlink(yuv);
	printf("BENCH camera_720p30 cpu_ms_per_s=%.1f ref=%.1f ratio=%.2f\n", vigil * 1000 / SECS,
	       ref * 1000 / SECS, vigil / ref);

	snprintf(frames, sizeof(frames), "%d", SECS * 10);
	snprintf(fleetn, sizeof(fleetn), "%d", FLEET);
	char *vfleet[] = {cam,        "--fleet", fleetn,   "-d",        keydir,  "-o", fleet,
			  "--server", server,    "--size", "320x240",   "--fps", "10", "--kbps",
			  "500",      "-n",      frames,   "--no-gpsd", NULL};
	char *vone[] = {cam,  "-c",     conf,  "--server", server, "--size",    "320x240", "--fps",
			"10", "--kbps", "500", "-n",       frames, "--no-gpsd", NULL};
	/* the first fleet run provisions its cameras (RSA key generation): not measured */
	char *prov[] = {cam,        "--fleet", fleetn, "-d", keydir,      "-o", fleet,
			"--server", server,    "-n",   "1",  "--no-gpsd", NULL};
	if (run_cpu(prov) < 0 || (fl = run_cpu(vfleet)) < 0 || (one = run_cpu(vone)) < 0)
		goto out;
	printf("BENCH camera_fleet cpu_ms_per_camera_s=%.2f ref=%.2f ratio=%.3f cameras=%d\n",
	       fl * 1000 / SECS / FLEET, one * 1000 / SECS, fl / FLEET / one, FLEET);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	snprintf(conf, sizeof(conf), "rm -rf %s", dir);
	if (system(conf) != 0)
		rc = 1;
	return rc;
}
