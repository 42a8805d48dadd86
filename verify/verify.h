/*
 * NAME
 *	verify.h - vigil-verify: check an evidence bundle without the server
 *
 * DESCRIPTION
 *	verify_main.c parses the command line and runs the checks in order
 *	(manifest and its signature, sessions, every record, chain,
 *	completeness); verify_mp4.c writes the selected video as an MP4
 *	with libavformat. Each failed check is printed as one "FAIL" line
 *	naming the file and where in it.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>

/* One decrypted video frame, its bytes in a spool file at off. */
typedef struct verify_frame {
	uint64_t capture_ms;
	uint32_t session, frame;
	int key;
	uint64_t off;
	size_t len;
} verify_frame_t;

/*
 * Write the frames (H.264 Annex B, spooled in the file spool) in capture
 * order as an MP4 at out, from the last keyframe captured at or before
 * from_ms (else the first keyframe) so that the file starts decodable.
 * Returns the frames written, or -1 (message on stderr).
 */
int verify_mp4_write(const char *spool, verify_frame_t *v, size_t n, uint64_t from_ms,
		     const char *out);

#endif
