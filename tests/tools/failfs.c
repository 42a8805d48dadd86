/*
 * NAME
 *	failfs - a FUSE file system whose fsync fails while a file exists
 *
 * SYNOPSIS
 *	failfs --backing=DIR --fail-if=PATH [--log=FILE] MOUNTPOINT [FUSE OPTIONS]
 *
 * DESCRIPTION
 *	Mirrors the folder DIR at MOUNTPOINT (a passthrough of libfuse3's
 *	high-level API): open, create, read, write, getattr, readdir,
 *	mkdir, rename, unlink, truncate, statfs and the rest go to DIR as
 *	they are, so a writer appending with io_uring, a reader mapping
 *	the file and any other program see an ordinary file system.
 *
 *	While PATH exists (a file outside the mount, which the test creates
 *	and removes), fsync and fdatasync of a file answer EIO, whatever
 *	the caller; the bytes written stay in DIR, as after a disk that
 *	took the write and then failed the flush. When PATH is absent they
 *	run fsync or fdatasync on DIR's file and answer its result.
 *	Directories' fsync is passed through always.
 *
 *	When PATH holds the word "lose", a failing sync also loses what a
 *	failed writeback of a real disk loses: the bytes of the file
 *	written since its last good sync become zeros in DIR (the size
 *	stays), while the kernel's cache of the mount may still show them,
 *	as a disk's page cache does after the error. A reader that goes to
 *	the file system (O_DIRECT, or after the cache is dropped) sees the
 *	zeros. O_DIRECT is taken from the flags of the backing file's open:
 *	DIR's cache plays the disk.
 *
 *	Each failed sync appends a line `fsync-eio PID PATH` to the log
 *	(--log, default standard error; PID is the calling thread's), each
 *	passed one `fsync-ok PID PATH`, so a test can say which process's
 *	sync failed and how often. Exit: when unmounted (fusermount3 -u).
 *	Runs multithreaded, in the foreground with -f.
 */
#define FUSE_USE_VERSION 31

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct failfs_conf {
	char *backing;
	char *fail_if;
	char *log;
} failfs_conf_t;

/* an open file: its descriptor in the backing folder and its name, for the log */
typedef struct failfs_file {
	int fd;
	char path[];
} failfs_file_t;

#define FAILFS_FD(fi) (((failfs_file_t *)(uintptr_t)(fi)->fh)->fd)

/*
 * Each file's size at its last good sync (lose mode), by name; what a
 * file held at its first sync (good or not) counts as synced: the header
 * stays, so that the mount's readers, whose cache may not hold a page
 * written in part, can still read the file.
 */
#define FAILFS_SYNCED 1024
static struct {
	char path[256];
	off_t size;
} failfs_synced[FAILFS_SYNCED];
static pthread_mutex_t failfs_synced_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of path, taken (with the size now) when new; NULL when full. */
static off_t *
failfs_synced_at(const char *path, int fd)
{
	struct stat st;
	int i;

	for (i = 0; i < FAILFS_SYNCED && failfs_synced[i].path[0]; i++)
		if (strcmp(failfs_synced[i].path, path) == 0)
			return &failfs_synced[i].size;
	if (i == FAILFS_SYNCED || strlen(path) >= sizeof(failfs_synced[i].path) ||
	    fstat(fd, &st) < 0)
		return NULL;
	strcpy(failfs_synced[i].path, path);
	failfs_synced[i].size = st.st_size;
	return &failfs_synced[i].size;
}

static failfs_conf_t failfs_conf;
static int failfs_dir = -1; /* the backing folder, for the *at() calls */
static FILE *failfs_log;

static const struct fuse_opt failfs_opts[] = {
    {"--backing=%s", offsetof(failfs_conf_t, backing), 0},
    {"--fail-if=%s", offsetof(failfs_conf_t, fail_if), 0},
    {"--log=%s", offsetof(failfs_conf_t, log), 0},
    FUSE_OPT_END,
};

/* "/a/b" under the mount is "a/b" under the backing folder, "/" is "." */
static const char *
failfs_rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static void *
failfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1; /* the backing inode numbers, stable for readers */
	/*
	 * The kernel's cache of the mount plays a disk's page cache: kept
	 * across opens and not dropped when the backing file changes under
	 * it (lose mode zeroes bytes there that the cache still shows).
	 */
	cfg->kernel_cache = 1;
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	cfg->hard_remove = 1; /* unlink is unlink: no .fuse_hidden files */
	cfg->nullpath_ok = 1; /* an open file is reached by its descriptor */
	return NULL;
}

static int
failfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc = fi ? fstat(FAILFS_FD(fi), st)
		    : fstatat(failfs_dir, failfs_rel(path), st, AT_SYMLINK_NOFOLLOW);

	return rc < 0 ? -errno : 0;
}

static int
failfs_access(const char *path, int mask)
{
	return faccessat(failfs_dir, failfs_rel(path), mask, 0) < 0 ? -errno : 0;
}

static int
failfs_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(failfs_dir, failfs_rel(path), buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int
failfs_opendir(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(failfs_dir, failfs_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		int e = errno;
		close(fd);
		return -e;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

static int
failfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
	       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	struct dirent *e;

	(void)path, (void)off, (void)flags;
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		st.st_ino = e->d_ino;
		st.st_mode = (mode_t)DTTOIF(e->d_type);
		if (fill(buf, e->d_name, &st, 0, 0))
			break;
	}
	return 0;
}

static int
failfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	closedir((DIR *)(uintptr_t)fi->fh);
	return 0;
}

static int
failfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return mknodat(failfs_dir, failfs_rel(path), mode, rdev) < 0 ? -errno : 0;
}

static int
failfs_mkdir(const char *path, mode_t mode)
{
	return mkdirat(failfs_dir, failfs_rel(path), mode) < 0 ? -errno : 0;
}

static int
failfs_unlink(const char *path)
{
	return unlinkat(failfs_dir, failfs_rel(path), 0) < 0 ? -errno : 0;
}

static int
failfs_rmdir(const char *path)
{
	return unlinkat(failfs_dir, failfs_rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int
failfs_symlink(const char *target, const char *path)
{
	return symlinkat(target, failfs_dir, failfs_rel(path)) < 0 ? -errno : 0;
}

static int
failfs_rename(const char *from, const char *to, unsigned int flags)
{
	return renameat2(failfs_dir, failfs_rel(from), failfs_dir, failfs_rel(to), flags) < 0
		   ? -errno
		   : 0;
}

static int
failfs_link(const char *from, const char *to)
{
	return linkat(failfs_dir, failfs_rel(from), failfs_dir, failfs_rel(to), 0) < 0 ? -errno : 0;
}

static int
failfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int rc = fi ? fchmod(FAILFS_FD(fi), mode) : fchmodat(failfs_dir, failfs_rel(path), mode, 0);

	return rc < 0 ? -errno : 0;
}

static int
failfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	int rc = fi ? fchown(FAILFS_FD(fi), uid, gid)
		    : fchownat(failfs_dir, failfs_rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);

	return rc < 0 ? -errno : 0;
}

static int
failfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd, rc;

	if (fi)
		return ftruncate(FAILFS_FD(fi), size) < 0 ? -errno : 0;
	if ((fd = openat(failfs_dir, failfs_rel(path), O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int
failfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	int rc = fi ? futimens(FAILFS_FD(fi), tv)
		    : utimensat(failfs_dir, failfs_rel(path), tv, AT_SYMLINK_NOFOLLOW);

	return rc < 0 ? -errno : 0;
}

static int
failfs_open_as(const char *path, int flags, mode_t mode, struct fuse_file_info *fi)
{
	size_t len = strlen(path) + 1;
	failfs_file_t *f = malloc(sizeof(*f) + len);

	if (f == NULL)
		return -ENOMEM;
	flags &= ~O_DIRECT;
	if ((f->fd = openat(failfs_dir, failfs_rel(path), flags | O_CLOEXEC, mode)) < 0) {
		int e = errno;
		free(f);
		return -e;
	}
	memcpy(f->path, path, len);
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

static int
failfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return failfs_open_as(path, fi->flags | O_CREAT, mode, fi);
}

static int
failfs_open(const char *path, struct fuse_file_info *fi)
{
	return failfs_open_as(path, fi->flags, 0, fi);
}

static int
failfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pread(FAILFS_FD(fi), buf, size, off);

	(void)path;
	return n < 0 ? -errno : (int)n;
}

static int
failfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pwrite(FAILFS_FD(fi), buf, size, off);

	(void)path;
	return n < 0 ? -errno : (int)n;
}

static int
failfs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	return fstatvfs(failfs_dir, sv) < 0 ? -errno : 0;
}

/* close(2) of a descriptor on the mount: what close would say of ours */
static int
failfs_flush(const char *path, struct fuse_file_info *fi)
{
	int fd = dup(FAILFS_FD(fi));

	(void)path;
	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : 0;
}

static int
failfs_release(const char *path, struct fuse_file_info *fi)
{
	failfs_file_t *f = (failfs_file_t *)(uintptr_t)fi->fh;

	(void)path;
	close(f->fd);
	free(f);
	return 0;
}

static void
failfs_note(const char *what, const struct fuse_file_info *fi)
{
	flockfile(failfs_log);
	fprintf(failfs_log, "%s %d %s\n", what, (int)fuse_get_context()->pid,
		((failfs_file_t *)(uintptr_t)fi->fh)->path);
	fflush(failfs_log);
	funlockfile(failfs_log);
}

static int
failfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	int fd = FAILFS_FD(fi), rc;

	(void)path; /* NULL for a file unlinked while open */
	const char *name = ((failfs_file_t *)(uintptr_t)fi->fh)->path;
	char word[8] = "";
	FILE *c;
	off_t *synced;
	struct stat st;

	pthread_mutex_lock(&failfs_synced_lock);
	synced = failfs_synced_at(name, fd);
	if ((c = fopen(failfs_conf.fail_if, "r")) != NULL) {
		if (fgets(word, sizeof(word), c) == NULL)
			word[0] = 0;
		fclose(c);
		if (strncmp(word, "lose", 4) == 0 && synced && fstat(fd, &st) == 0 &&
		    st.st_size > *synced) {
			static const char zero[4096];
			off_t o;
			for (o = *synced; o < st.st_size; o += (off_t)sizeof(zero))
				if (pwrite(fd, zero,
					   (size_t)(st.st_size - o < (off_t)sizeof(zero)
							? st.st_size - o
							: (off_t)sizeof(zero)),
					   o) < 0)
					break;
			failfs_note("fsync-lost", fi);
		}
		pthread_mutex_unlock(&failfs_synced_lock);
		failfs_note("fsync-eio", fi);
		return -EIO;
	}
	rc = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
	if (rc == 0 && synced && fstat(fd, &st) == 0)
		*synced = st.st_size;
	pthread_mutex_unlock(&failfs_synced_lock);
	failfs_note(rc == 0 ? "fsync-ok" : "fsync-error", fi);
	return rc;
}

static int
failfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	int fd = dirfd((DIR *)(uintptr_t)fi->fh);

	(void)path;
	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static const struct fuse_operations failfs_ops = {
    .init = failfs_init,
    .getattr = failfs_getattr,
    .access = failfs_access,
    .readlink = failfs_readlink,
    .opendir = failfs_opendir,
    .readdir = failfs_readdir,
    .releasedir = failfs_releasedir,
    .mknod = failfs_mknod,
    .mkdir = failfs_mkdir,
    .unlink = failfs_unlink,
    .rmdir = failfs_rmdir,
    .symlink = failfs_symlink,
    .rename = failfs_rename,
    .link = failfs_link,
    .chmod = failfs_chmod,
    .chown = failfs_chown,
    .truncate = failfs_truncate,
    .utimens = failfs_utimens,
    .create = failfs_create,
    .open = failfs_open,
    .read = failfs_read,
    .write = failfs_write,
    .statfs = failfs_statfs,
    .flush = failfs_flush,
    .release = failfs_release,
    .fsync = failfs_fsync,
    .fsyncdir = failfs_fsyncdir,
};

int
main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static char fail_if[PATH_MAX + 2]; /* failfs_conf.fail_if may point here while mounted */
	char backing[PATH_MAX], cwd[PATH_MAX];
	int rc;

	if (fuse_opt_parse(&args, &failfs_conf, failfs_opts, NULL) < 0)
		return 2;
	if (failfs_conf.backing == NULL || failfs_conf.fail_if == NULL) {
		fprintf(stderr, "usage: failfs --backing=DIR --fail-if=PATH [--log=FILE] "
				"MOUNTPOINT [FUSE OPTIONS]\n");
		return 2;
	}
	/* absolute: a daemonised file system runs in / */
	if (realpath(failfs_conf.backing, backing) == NULL) {
		fprintf(stderr, "failfs: %s: %s\n", failfs_conf.backing, strerror(errno));
		return 1;
	}
	if (failfs_conf.fail_if[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    snprintf(fail_if, sizeof(fail_if), "%s/%s", cwd, failfs_conf.fail_if) >=
			(int)sizeof(fail_if)) {
			fprintf(stderr, "failfs: %s: path too long\n", failfs_conf.fail_if);
			return 1;
		}
		failfs_conf.fail_if = fail_if;
	}
	failfs_log = stderr;
	if (failfs_conf.log && (failfs_log = fopen(failfs_conf.log, "a")) == NULL) {
		fprintf(stderr, "failfs: %s: %s\n", failfs_conf.log, strerror(errno));
		return 1;
	}
	if ((failfs_dir = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "failfs: %s: %s\n", backing, strerror(errno));
		return 1;
	}
	umask(0);
	rc = fuse_main(args.argc, args.argv, &failfs_ops, NULL);
	fuse_opt_free_args(&args);
	close(failfs_dir);
	return rc;
}
