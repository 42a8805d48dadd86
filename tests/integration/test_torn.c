/*
 * NAME
 *	test_torn.c - a file cut at any offset inside its last record: the
 *	writer cuts the torn tail on reopen and appends after it
 *
 * DESCRIPTION
 *	For every cut inside the last record's 40-byte header and every 7th
 *	byte of its datagram, a day file of three records is cut there, a
 *	real vigil-writer (from $BINDIR) is started on a ring made here, and
 *	fed the torn record's datagram again (as its unreleased ring entry
 *	would be) and one new datagram. Afterwards the file must read back
 *	as exactly four records, counters 0-3, with no damage and no tail,
 *	and the bytes that were cut must have been kept beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto_record.h"
#include "shm.h"

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
#define DATE 20782u

static uint64_t rec_start; /* offset of the record that is cut */

static size_t
dgram(uint32_t counter, uint8_t *out)
{
	size_t len = 100 + counter * 50, i;

	memset(out, 0, len);
	out[0] = PROTO_MAGIC0;
	out[1] = PROTO_MAGIC1;
	out[2] = PROTO_VERSION;
	out[3] = PROTO_T_DATA;
	memcpy(out + 4, UUID, 16);
	proto_put32(out + 20, DATE);
	proto_put32(out + 24, counter);
	for (i = 56; i < len; i++)
		out[i] = (uint8_t)(i * counter);
	return len;
}

static int
run_once(const char *dir, const char *path, const char *bindir, uint64_t cut_at, char *why)
{
	uint8_t hdr[PROTO_FILE_HDR_LEN], rh[PROTO_REC_HDR_LEN], d[PROTO_MAX_DGRAM];
	proto_file_hdr_t fh = {0};
	proto_rec_meta_t m = {0};
	shm_msg_meta_t mm = {0};
	proto_reader_t *r;
	proto_rec_t rec;
	shm_seg_t seg;
	shm_ring_t *ring;
	char prefix[64], cmd[600];
	uint32_t c, want = 0;
	int fd, n = 0, i;
	pid_t pid;

	/* three records, the last one cut */
	m.addr[10] = m.addr[11] = 0xff; /* IPv4-mapped 0.0.0.0 */
	memcpy(fh.uuid, UUID, 16);
	fh.date = DATE;
	proto_file_hdr_encode(&fh, hdr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		return -1;
	for (c = 0; c < 3; c++) {
		size_t len = dgram(c, d);
		if (proto_rec_encode(&m, d, len, rh) < 0)
			return -1;
		if (write(fd, rh, sizeof(rh)) != sizeof(rh) || write(fd, d, len) != (ssize_t)len)
			return -1;
	}
	if (ftruncate(fd, (off_t)cut_at) != 0)
		return -1;
	close(fd);

	snprintf(prefix, sizeof(prefix), "vigiltorn%d", (int)getpid());
	if (shm_ring_create(prefix, SHM_KIND_RING, 0, 64, &seg, &ring) < 0)
		return -1;
	for (c = 2; c < 4; c++) /* the torn one again, then a new one */
		shm_ring_enqueue_spsc(ring, &mm, d, dgram(c, d));
	if ((pid = fork()) == 0) {
		setenv("VIGIL_SHM_PREFIX", prefix, 1);
		setenv("VIGIL_STAGE_INDEX", "0", 1);
		snprintf(cmd, sizeof(cmd), "%s/vigil-writer", bindir);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(cmd, "vigil-writer", "-D", dir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && shm_ring_depth(ring) != 0; i++)
		usleep(10 * 1000);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	shm_seg_detach(&seg);
	shm_kind_unlink(prefix, SHM_KIND_RING, NULL, 0);
	shm_kind_unlink(prefix, SHM_KIND_METRICS, "writer", 0); /* the writer made it */

	if (proto_reader_open(path, &r) < 0) {
		sprintf(why, "unreadable");
		return 1;
	}
	while (proto_reader_next(r, &rec) == 1) {
		if (proto_dgram_counter(rec.dgram) != want++) {
			sprintf(why, "record %d has counter %u", n, proto_dgram_counter(rec.dgram));
			proto_reader_free(r);
			return 1;
		}
		n++;
	}
	const proto_reader_stats_t *st = proto_reader_stats(r);
	int bad = n != 4 || st->damaged || st->tail_len;
	struct stat kept;
	/* the cut bytes were kept beside the file, not destroyed */
	snprintf(cmd, sizeof(cmd), "%s.tail-%llu", path, (unsigned long long)rec_start);
	if (!bad && (stat(cmd, &kept) != 0 || (uint64_t)kept.st_size != cut_at - rec_start)) {
		snprintf(why, 160, "the cut bytes were not kept beside the file");
		bad = 1;
	}
	unlink(cmd);
	if (bad)
		sprintf(why, "%d records, %llu damaged, tail %llu", n,
			(unsigned long long)st->damaged, (unsigned long long)st->tail_len);
	proto_reader_free(r);
	return bad;
}

int
main(void)
{
	const char *bindir = getenv("BINDIR") ? getenv("BINDIR") : "bin";
	char dir[] = "/tmp/vigil-torn.XXXXXX", path[512], sub[300], why[200], cmd[600];
	uint8_t d[PROTO_MAX_DGRAM];
	uint64_t start = PROTO_FILE_HDR_LEN, end, cut;
	int runs = 0, failed = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/vigil-writer", bindir);
	if (access(cmd, X_OK) != 0) {
		printf("torn: %s not built; skipped\n", cmd);
		return 77;
	}
	start += 2 * PROTO_REC_HDR_LEN + dgram(0, d) + dgram(1, d);
	end = start + PROTO_REC_HDR_LEN + dgram(2, d);
	rec_start = start;
	char u[37];
	proto_uuid_fmt(UUID, u);
	snprintf(sub, sizeof(sub), "%s/%s", dir, u);
	mkdir(sub, 0755);
	proto_file_path(dir, UUID, DATE, path, sizeof(path));
	for (cut = start + 1; cut < end; cut += cut < start + PROTO_REC_HDR_LEN ? 1 : 7) {
		runs++;
		if (run_once(dir, path, bindir, cut, why) != 0) {
			printf("torn: cut at %llu (record starts at %llu): %s\n",
			       (unsigned long long)cut, (unsigned long long)start, why);
			failed++;
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	printf("torn: %d cuts, %d failed\n", runs, failed);
	return failed ? 1 : 0;
}
