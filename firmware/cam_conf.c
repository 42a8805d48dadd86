/*
 * NAME
 *	cam_conf.c - read camera.conf
 *
 * DESCRIPTION
 *	"key = value" lines, '#' comments. Relative paths are taken from the
 *	folder of the configuration file, so a provisioned camera folder
 *	can be moved as a whole.
 */
#include <stdio.h>
#include <string.h>

#include "cam.h"

static void
resolve(char *dst, size_t cap, const char *dir, const char *val)
{
	if (val[0] == '/')
		snprintf(dst, cap, "%s", val);
	else
		snprintf(dst, cap, "%.2000s/%.2000s", dir, val);
}

int
cam_conf_load(const char *path, cam_conf_t *c)
{
	char line[4096], dir[2048], *k, *v, *e, *slash;
	int have_uuid = 0, lineno = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	resolve(c->camera_key, sizeof(c->camera_key), dir, "camera.key");
	resolve(c->server_key, sizeof(c->server_key), dir, "server.pub");
	resolve(c->state, sizeof(c->state), dir, "state");
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if ((e = strchr(line, '#')) != NULL)
			*e = '\0';
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '\0' || *k == '\n')
			continue;
		if ((v = strchr(k, '=')) == NULL)
			goto bad;
		for (e = v; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == '\n' || e[-1] == ' '); e--)
			;
		*e = '\0';
		if (!strcmp(k, "uuid")) {
			if (proto_uuid_parse(v, c->uuid) < 0)
				goto bad;
			have_uuid = 1;
		} else if (!strcmp(k, "server"))
			snprintf(c->server, sizeof(c->server), "%s", v);
		else if (!strcmp(k, "camera_key"))
			resolve(c->camera_key, sizeof(c->camera_key), dir, v);
		else if (!strcmp(k, "server_key"))
			resolve(c->server_key, sizeof(c->server_key), dir, v);
		else if (!strcmp(k, "state"))
			resolve(c->state, sizeof(c->state), dir, v);
		else
			goto bad;
	}
	fclose(f);
	if (!have_uuid || c->server[0] == '\0') {
		fprintf(stderr, "%s: uuid and server are required\n", path);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "%s:%d: bad line\n", path, lineno);
	fclose(f);
	return -1;
}
