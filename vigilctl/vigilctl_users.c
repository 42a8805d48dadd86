/*
 * NAME
 *	vigilctl_users.c - vigilctl user: viewer accounts of the streamer
 *
 * DESCRIPTION
 *	vigilctl user add [-d KEYDIR] [-f USERS] NAME --cameras UUID,...|all
 *	vigilctl user del [-d KEYDIR] [-f USERS] NAME
 *	vigilctl user list [-d KEYDIR] [-f USERS]
 *
 *	The users file defaults to KEYDIR/users (format in libauth/auth.h).
 *	add reads the password from the first line of standard input (with
 *	a prompt when it is a terminal), hashes it with scrypt and replaces
 *	any user of that name. The file is rewritten whole through a
 *	temporary file and rename, mode 0600, so the streamer never reads
 *	half of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "proto.h"
#include "vigilctl.h"

static int
save(const char *path, const auth_users_t *us)
{
	char tmp[4200], line[4096];
	FILE *f;
	int i, n, fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "vigilctl: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	fprintf(f,
		"# vigil viewer accounts: NAME scrypt N r p SALT HASH CAMERAS (vigilctl user)\n");
	for (i = 0; i < us->n; i++) {
		if ((n = auth_user_format(&us->u[i], line, sizeof(line))) < 0)
			break;
		fwrite(line, 1, (size_t)n, f);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static int
cameras(const char *spec, auth_user_t *u)
{
	char buf[4096], *tok, *save_p;

	if (!strcmp(spec, "all")) {
		u->all = 1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save_p); tok; tok = strtok_r(NULL, ",", &save_p)) {
		if (u->ncameras == AUTH_CAMERAS_MAX ||
		    proto_uuid_parse(tok, u->cameras[u->ncameras]) < 0)
			return -1;
		u->ncameras++;
	}
	return u->ncameras ? 0 : -1;
}

int
vigilctl_user(int argc, char **argv)
{
	static const struct option lo[] = {{"cameras", required_argument, NULL, 'c'},
					   {NULL, 0, NULL, 0}};
	const char *
	    keydir = NULL,
	   *file = NULL, *cams = NULL,
	   *usage =
	       "usage: vigilctl user add|del|list [-d KEYDIR] [-f USERS] [NAME --cameras UUID,...|all]\n";
	char path[4096], pw[1024];
	auth_users_t us = {0};
	auth_user_t u;
	int opt, rc, line = 0, i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:f:c:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': keydir = optarg; break;
		case 'f': file = optarg; break;
		case 'c': cams = optarg; break;
		case 'h': printf("%s", usage); return 0;
		default: fprintf(stderr, "%s", usage); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	const char *verb = argv[optind], *name = optind + 1 < argc ? argv[optind + 1] : NULL;
	snprintf(path, sizeof(path), "%s", file ? file : "");
	if (!file)
		snprintf(path, sizeof(path), "%s/users", vigilctl_keydir(keydir));
	if ((rc = auth_users_load(path, &us, &line)) < 0 && rc != -ENOENT) {
		fprintf(stderr, "vigilctl: %s:%d: %s\n", path, line, strerror(-rc));
		return 1;
	}
	if (!strcmp(verb, "list")) {
		for (i = 0; i < us.n; i++) {
			printf("%s ", us.u[i].name);
			if (us.u[i].all)
				printf("all");
			for (int k = 0; k < us.u[i].ncameras; k++) {
				char s[37];
				proto_uuid_fmt(us.u[i].cameras[k], s);
				printf("%s%s", k ? "," : "", s);
			}
			printf("\n");
		}
		auth_users_free(&us);
		return 0;
	}
	if (name == NULL || !auth_name_valid(name)) {
		fprintf(stderr, "vigilctl: a user name is 1 to %d of A-Z a-z 0-9 _ -\n",
			AUTH_NAME_MAX);
		auth_users_free(&us);
		return 2;
	}
	for (i = 0; i < us.n && strcmp(us.u[i].name, name); i++)
		;
	if (!strcmp(verb, "del")) {
		if (i == us.n) {
			fprintf(stderr, "vigilctl: no user %s\n", name);
			auth_users_free(&us);
			return 1;
		}
		us.u[i] = us.u[--us.n];
		rc = save(path, &us);
		auth_users_free(&us);
		return rc;
	}
	if (strcmp(verb, "add") || cams == NULL) {
		fprintf(stderr, "%s", usage);
		auth_users_free(&us);
		return 2;
	}
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	if (cameras(cams, &u) < 0) {
		fprintf(stderr,
			"vigilctl: --cameras takes \"all\" or a comma list of camera UUIDs\n");
		auth_users_free(&us);
		return 2;
	}
	if (isatty(0))
		fprintf(stderr, "password for %s: ", name);
	if (fgets(pw, sizeof(pw), stdin) == NULL ||
	    (pw[strcspn(pw, "\r\n")] = '\0', pw[0] == '\0')) {
		fprintf(stderr, "vigilctl: no password given on standard input\n");
		auth_users_free(&us);
		return 2;
	}
	rc = auth_password_set(&u, pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc < 0) {
		fprintf(stderr, "vigilctl: scrypt failed\n");
		auth_users_free(&us);
		return 1;
	}
	if (i == us.n) {
		void *p = realloc(us.u, (size_t)(us.n + 1) * sizeof(u));
		if (p == NULL) {
			auth_users_free(&us);
			return 1;
		}
		us.u = p;
		us.n++;
	}
	us.u[i] = u;
	rc = save(path, &us);
	if (rc == 0)
		printf("user %s saved in %s\n", name, path);
	auth_users_free(&us);
	return rc;
}
