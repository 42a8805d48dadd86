/*
 * NAME
 *	lock_probe - try, or hold, the lock a writer takes on a day file
 *
 * SYNOPSIS
 *	lock_probe FILE
 *	lock_probe -H SECONDS FILE
 *
 * DESCRIPTION
 *	Takes the lock vigil-writer takes on a day file it appends to: an
 *	exclusive POSIX record lock over the whole file with F_OFD_SETLK
 *	(docs/STORAGE.md, "The day file's lock"), on FILE opened for reading
 *	and writing (never created). Prints "locked" and exits 0 when it
 *	got the lock, prints "refused" and exits 1 when another holds it;
 *	2 for bad usage or a failure to open. -H: having got the lock, hold
 *	it SECONDS (or until SIGTERM), then exit 0, so that a test can show
 *	a writer being refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd, c, hold = -1;

	while ((c = getopt(argc, argv, "H:")) != -1) {
		if (c != 'H')
			goto usage;
		hold = atoi(optarg);
	}
	if (optind != argc - 1)
		goto usage;
	if ((fd = open(argv[optind], O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "lock_probe: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		if (errno != EACCES && errno != EAGAIN) {
			fprintf(stderr, "lock_probe: %s: %s\n", argv[optind], strerror(errno));
			return 2;
		}
		printf("refused\n");
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	if (hold > 0)
		sleep((unsigned)hold);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: lock_probe [-H SECONDS] FILE\n");
	return 2;
}
