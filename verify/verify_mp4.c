/*
 * NAME
 *	verify_mp4.c - the bundle's video as an MP4 (libavformat)
 *
 * DESCRIPTION
 *	The decrypted frames are H.264 Annex B access units, spooled to a
 *	file, rewritten in capture order from the keyframe that opens the
 *	selection. libavformat's raw H.264 demuxer reads that
 *	file (so that the stream's size and parameter sets are found as any
 *	player finds them) and each access unit is written to the MP4
 *	muxer with the camera's capture time, in milliseconds, as its
 *	timestamp. The muxer turns Annex B into the MP4 form itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "verify.h"

static int
by_capture(const void *a, const void *b)
{
	const verify_frame_t *x = a, *y = b;

	if (x->capture_ms != y->capture_ms)
		return x->capture_ms < y->capture_ms ? -1 : 1;
	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Rewrites the spool in capture order into path; 0 or -1. */
static int
ordered(const char *spool, verify_frame_t *v, size_t n, const char *path)
{
	FILE *in = fopen(spool, "rb"), *out = fopen(path, "wb");
	uint8_t *buf = NULL;
	size_t cap = 0, i;
	int rc = -1;

	if (in == NULL || out == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		if (v[i].len > cap) {
			uint8_t *p = realloc(buf, v[i].len);
			if (p == NULL)
				goto done;
			buf = p;
			cap = v[i].len;
		}
		if (fseeko(in, (off_t)v[i].off, SEEK_SET) != 0 ||
		    fread(buf, 1, v[i].len, in) != v[i].len ||
		    fwrite(buf, 1, v[i].len, out) != v[i].len)
			goto done;
	}
	rc = 0;
done:
	free(buf);
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

int
verify_mp4_write(const char *spool, verify_frame_t *all, size_t nall, uint64_t from_ms,
		 const char *out)
{
	const AVInputFormat *h264 = av_find_input_format("h264");
	AVFormatContext *in = NULL, *mp4 = NULL;
	AVStream *os;
	AVPacket *pkt = av_packet_alloc();
	char path[4200];
	int64_t last = -1;
	size_t i = 0;
	int rc = -1, e;

	verify_frame_t *v = all;
	size_t n = 0, k, start = SIZE_MAX;

	/* capture order, then start at the keyframe that opens the window */
	qsort(all, nall, sizeof(*all), by_capture);
	for (k = 0; k < nall; k++) {
		if (!all[k].key)
			continue;
		if (all[k].capture_ms <= from_ms) {
			start = k;
			continue;
		}
		if (start == SIZE_MAX)
			start = k;
		break;
	}
	if (start != SIZE_MAX) {
		v = all + start;
		n = nall - start;
	}
	snprintf(path, sizeof(path), "%s.h264", spool);
	if (n == 0 || pkt == NULL || h264 == NULL || ordered(spool, v, n, path) < 0) {
		fprintf(stderr, "vigil-verify: no video frames to write\n");
		goto done;
	}
	if ((e = avformat_open_input(&in, path, h264, NULL)) < 0 ||
	    (e = avformat_find_stream_info(in, NULL)) < 0 || in->nb_streams < 1) {
		fprintf(stderr, "vigil-verify: the video does not parse as H.264 (%s)\n",
			av_err2str(e));
		goto done;
	}
	if ((e = avformat_alloc_output_context2(&mp4, NULL, "mp4", out)) < 0 ||
	    (os = avformat_new_stream(mp4, NULL)) == NULL ||
	    (e = avcodec_parameters_copy(os->codecpar, in->streams[0]->codecpar)) < 0) {
		fprintf(stderr, "vigil-verify: %s: %s\n", out, av_err2str(e));
		goto done;
	}
	os->codecpar->codec_tag = 0;
	os->time_base = (AVRational){1, 1000};
	if ((e = avio_open(&mp4->pb, out, AVIO_FLAG_WRITE)) < 0 ||
	    (e = avformat_write_header(mp4, NULL)) < 0) {
		fprintf(stderr, "vigil-verify: %s: %s\n", out, av_err2str(e));
		goto done;
	}
	while (av_read_frame(in, pkt) >= 0) {
		/* the camera's capture time; strictly increasing for the muxer */
		int64_t t = i < n ? (int64_t)(v[i].capture_ms - v[0].capture_ms) : last + 1;
		if (t <= last)
			t = last + 1;
		/* a duration on every frame, the last too, or an edit list hides it */
		int64_t next = i + 1 < n ? (int64_t)(v[i + 1].capture_ms - v[0].capture_ms) : -1;
		pkt->stream_index = 0;
		pkt->duration = next > t ? next - t : t > last && last >= 0 ? t - last : 33;
		pkt->pts = pkt->dts = last = t;
		pkt->pos = -1;
		av_packet_rescale_ts(pkt, (AVRational){1, 1000}, os->time_base);
		if ((e = av_interleaved_write_frame(mp4, pkt)) < 0) {
			fprintf(stderr, "vigil-verify: %s: %s\n", out, av_err2str(e));
			goto done;
		}
		i++;
	}
	if ((e = av_write_trailer(mp4)) < 0) {
		fprintf(stderr, "vigil-verify: %s: %s\n", out, av_err2str(e));
		goto done;
	}
	rc = (int)i;
done:
	if (mp4) {
		if (mp4->pb)
			avio_closep(&mp4->pb);
		avformat_free_context(mp4);
	}
	avformat_close_input(&in);
	av_packet_free(&pkt);
	remove(path);
	return rc;
}
