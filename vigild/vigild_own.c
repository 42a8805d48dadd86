/*
 * NAME
 *	vigild_own.c - one vigild per configuration, and no stage of a
 *	previous one left beside the new ones
 *
 * DESCRIPTION
 *	A configuration is its shm_prefix: vigild_own_lock() takes an
 *	exclusive fcntl lock (F_OFD_SETLK) on /dev/shm/<prefix>-vigild.lock
 *	and holds it for the life of the process (the descriptor survives
 *	daemon(); the lock goes with the last descriptor, so a vigild killed
 *	with SIGKILL frees it at once). The file holds the owner's pid, so
 *	that a second vigild can say which one runs. A clean stop removes
 *	it while still holding the lock; one that locked the file just
 *	then finds it is no longer the file of that name and tries again,
 *	so two processes never hold two files of one name.
 *
 *	A stage ends with its vigild (PR_SET_PDEATHSIG in vigild_stage.c),
 *	but not at once: a writer finishes its turn first. A vigild that
 *	starts after one was killed therefore finds the previous run's
 *	stages, in the status segment it left and in /proc (a stage it had
 *	just started may not be in the segment yet), and
 *	vigild_own_end_previous() ends them before anything is created: SIGTERM, up to a bounded
 *	wait, then SIGKILL. Only a process that really is that stage is
 *	signalled: its environment names this prefix and the stage, and its
 *	executable is the stage's program, so a recycled pid is left alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm_kind.h"
#include "vigild.h"

#define END_WAIT_MS 5000 /* SIGTERM to SIGKILL: a writer's last turn and its sync */

int
vigild_own_lock(const char *prefix, int *fdp, pid_t *holder)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct stat a, b;
	char path[128], buf[32];
	ssize_t n;
	int fd, rc;

	*fdp = -1;
	*holder = 0;
	snprintf(path, sizeof(path), "/dev/shm/%s-vigild.lock", prefix);
	for (;;) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
			return -errno;
		if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
			rc = errno == EACCES || errno == EAGAIN ? -EAGAIN : -errno;
			if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
				buf[n] = '\0';
				*holder = (pid_t)atoi(buf);
			}
			close(fd);
			return rc;
		}
		/* the file locked is still the one of that name: not removed meanwhile */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
	}
	*fdp = fd;
	return vigild_own_note(fd);
}

void
vigild_own_unlock(const char *prefix, int fd)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/shm/%s-vigild.lock", prefix);
	unlink(path); /* still locked: a vigild that opened it meanwhile tries again */
	close(fd);
}

int
vigild_own_note(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* Does the process env hold NAME=value? */
static int
env_has(const char *env, size_t len, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), i = 0;

	while (i < len) {
		const char *e = env + i;
		size_t el = strnlen(e, len - i);
		if (el == nl + 1 + vl && !memcmp(e, name, nl) && e[nl] == '=' &&
		    !memcmp(e + nl + 1, value, vl))
			return 1;
		i += el + 1;
	}
	return 0;
}

/*
 * Is pid, now, the stage name of this prefix running program? A zombie
 * (no executable any more) is not: it holds nothing.
 */
static int
is_stage(pid_t pid, const char *prefix, const char *name, const char *program)
{
	char path[64], exe[4096], prog[STAGE_STR_MAX], env[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	snprintf(prog, sizeof(prog), "%s", program);
	if (strcmp(basename(exe), basename(prog)) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, env, sizeof(env));
	close(fd);
	return n > 0 && env_has(env, (size_t)n, STAGE_ENV_PREFIX, prefix) &&
	       env_has(env, (size_t)n, STAGE_ENV_STAGE, name);
}

/* The program vigil.conf names for stage name; NULL: not one of ours. */
static const char *
program_of(const vigild_conf_t *c, const char *name)
{
	int k;

	for (k = 0; k < c->nstage; k++)
		if (!strcmp(c->stage[k].name, name))
			return c->stage[k].program;
	return NULL;
}

/*
 * Note pid as a previous stage to end, once, when it is one (is_stage
 * for a stage vigil.conf names). n: how many are noted; 1 when added.
 */
static int
note(const vigild_conf_t *c, pid_t p, const char *nm, pid_t *pid, const char **prog,
     char (*name)[24], int *n)
{
	const char *pr;
	int i;

	if (p <= 0 || p == getpid() || *n == SHM_STATUS_MAX || (pr = program_of(c, nm)) == NULL ||
	    !is_stage(p, c->shm_prefix, nm, pr))
		return 0;
	for (i = 0; i < *n; i++)
		if (pid[i] == p)
			return 0;
	pid[*n] = p;
	prog[*n] = pr;
	snprintf(name[*n], sizeof(name[0]), "%s", nm);
	log_warnx("%s pid %d of a previous vigild still runs: ending it", nm, (int)p);
	(*n)++;
	return 1;
}

int
vigild_own_end_previous(const vigild_conf_t *c)
{
	pid_t pid[SHM_STATUS_MAX];
	const char *prog[SHM_STATUS_MAX];
	char name[SHM_STATUS_MAX][24];
	shm_status_t *st;
	shm_seg_t seg;
	uint64_t deadline;
	struct dirent *de;
	DIR *proc;
	int i, k, n = 0, left, sig, killed;

	/* the stages the previous run's status segment names */
	if (shm_kind_attach(c->shm_prefix, SHM_KIND_STATUS, NULL, 0, sizeof(*st), &seg) == 0) {
		st = shm_seg_body(&seg);
		for (i = 0; i < (int)st->nstages && i < SHM_STATUS_MAX; i++) {
			shm_stage_status_t *s = &st->stage[i];
			char nm[24];
			snprintf(nm, sizeof(nm), "%.*s", (int)sizeof(s->name) - 1, s->name);
			note(c, s->pid, nm, pid, prog, name, &n);
		}
		shm_seg_detach(&seg);
	}
	/*
	 * and any other process of this configuration: a stage the killed
	 * vigild had just started, before it wrote its pid down, is not in
	 * the segment but would still run beside the new one for a while
	 */
	if ((proc = opendir("/proc")) != NULL) {
		while ((de = readdir(proc)) != NULL) {
			pid_t p = (pid_t)strtol(de->d_name, NULL, 10);
			for (k = 0; p > 0 && k < c->nstage; k++)
				if (note(c, p, c->stage[k].name, pid, prog, name, &n))
					break;
		}
		closedir(proc);
	}
	/* SIGTERM, END_WAIT_MS, SIGKILL, one second more */
	for (sig = SIGTERM, killed = 0, deadline = vigild_now_ms() + END_WAIT_MS;;) {
		for (left = 0, i = 0; i < n; i++) {
			if (pid[i] == 0)
				continue;
			if (!is_stage(pid[i], c->shm_prefix, name[i], prog[i])) {
				pid[i] = 0;
				continue;
			}
			if (sig)
				kill(pid[i], sig);
			left++;
		}
		sig = 0;
		if (!left)
			return n;
		if (vigild_now_ms() >= deadline) {
			if (killed)
				break;
			log_warnx("%d stage(s) of the previous vigild still run after %d ms: "
				  "SIGKILL",
				  left, END_WAIT_MS);
			sig = SIGKILL;
			killed = 1;
			deadline = vigild_now_ms() + 1000;
			continue;
		}
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	log_warnx("%d stage(s) of the previous vigild survive SIGKILL", left);
	return -EBUSY;
}
