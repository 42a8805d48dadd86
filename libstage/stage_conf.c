/*
 * NAME
 *	stage_conf.c - the vigil.conf reader
 *
 * DESCRIPTION
 *	Reads line by line (getline: a NUL byte in a line is seen, not
 *	taken for its end), drops comments and spaces, tracks the enclosing
 *	block and hands each key and value to the caller. Every error says
 *	FILE:LINE first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage.h"

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	return s;
}

static int
is_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int
stage_conf_read(const char *path, stage_conf_fn fn, void *arg)
{
	char block[64] = "", *line = NULL, *k, *v, *hash;
	int lineno = 0, block_line = 0, rc = 0;
	size_t cap = 0;
	struct stat sb;
	ssize_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		rc = -errno;
		stage_set_errmsg("%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		stage_set_errmsg("%s: not a regular file", path);
		fclose(f);
		return -EINVAL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL) {
			stage_set_errmsg("%s:%d: a NUL byte in the line", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (len > STAGE_CONF_LINE) {
			stage_set_errmsg("%s:%d: line longer than %d bytes", path, lineno,
					 STAGE_CONF_LINE);
			rc = -EINVAL;
			break;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if (!strcmp(k, "}")) {
			if (!block[0]) {
				stage_set_errmsg("%s:%d: } closes no block", path, lineno);
				rc = -EINVAL;
				break;
			}
			block[0] = '\0';
			continue;
		}
		if (k[strlen(k) - 1] == '{' && strchr(k, '=') == NULL) {
			k[strlen(k) - 1] = '\0';
			k = trim(k);
			if (block[0]) {
				stage_set_errmsg("%s:%d: %s { inside %s { (line %d): blocks do not "
						 "nest",
						 path, lineno, k, block, block_line);
				rc = -EINVAL;
				break;
			}
			if (!is_name(k) || strlen(k) >= sizeof(block)) {
				stage_set_errmsg("%s:%d: \"%s\" is not a block name", path, lineno,
						 k);
				rc = -EINVAL;
				break;
			}
			snprintf(block, sizeof(block), "%s", k);
			block_line = lineno;
			if ((rc = fn(arg, block, NULL, NULL)) < 0) {
				stage_set_errmsg("%s:%d: %s", path, lineno, stage_errmsg());
				break;
			}
			continue;
		}
		if ((v = strchr(k, '=')) == NULL) {
			stage_set_errmsg("%s:%d: \"%s\": expected KEY = VALUE, NAME { or }", path,
					 lineno, k);
			rc = -EINVAL;
			break;
		}
		*v++ = '\0';
		k = trim(k);
		v = trim(v);
		if (*k == '\0') {
			stage_set_errmsg("%s:%d: no key before =", path, lineno);
			rc = -EINVAL;
			break;
		}
		if ((rc = fn(arg, block[0] ? block : NULL, k, v)) < 0) {
			stage_set_errmsg("%s:%d: %s", path, lineno, stage_errmsg());
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
		stage_set_errmsg("%s: read error", path);
	}
	if (rc == 0 && block[0]) {
		stage_set_errmsg("%s:%d: %s { is not closed", path, block_line, block);
		rc = -EINVAL;
	}
	free(line);
	fclose(f);
	return rc;
}
