/*
 * NAME
 *	stage_env.c - the environment vigild gives a stage
 *
 * DESCRIPTION
 *	vigild (vigild_stage.c) sets VIGIL_STAGE, VIGIL_STAGE_INDEX,
 *	VIGIL_SHM_PREFIX and VIGIL_WRITERS for every stage, and with
 *	transport = nats VIGIL_TRANSPORT and VIGIL_NATS_* (read by libbus).
 *	A number that does not read as one is an error naming the
 *	variable and the value, never 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"

const char *
stage_shm_prefix(void)
{
	const char *p = getenv(STAGE_ENV_PREFIX);

	return p && *p ? p : NULL;
}

int
stage_env_prefix(const char **prefix)
{
	if ((*prefix = stage_shm_prefix()) == NULL) {
		stage_set_errmsg("runs under vigild (%s is not set)", STAGE_ENV_PREFIX);
		return -ENOENT;
	}
	return 0;
}

static int
env_number(const char *name, unsigned long lo, unsigned long hi, unsigned long *out)
{
	const char *v = getenv(name);
	char *end;

	if (v == NULL) {
		stage_set_errmsg("%s is not set: runs under vigild", name);
		return -ENOENT;
	}
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno || *out < lo || *out > hi) {
		stage_set_errmsg("%s \"%s\": must be a number %lu..%lu", name, v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

int
stage_env_index(int required, uint32_t *index)
{
	unsigned long n;
	int rc;

	*index = 0;
	if ((rc = env_number(STAGE_ENV_INDEX, 0, 1023, &n)) == -ENOENT && !required)
		return 0;
	if (rc == 0)
		*index = (uint32_t)n;
	return rc;
}

int
stage_env_writers(int *writers)
{
	unsigned long n;
	int rc;

	if ((rc = env_number(STAGE_ENV_WRITERS, 1, 32, &n)) == 0)
		*writers = (int)n;
	return rc;
}

int
stage_env_nats(void)
{
	const char *t = getenv(STAGE_ENV_TRANSPORT);

	return t != NULL && !strcmp(t, "nats");
}

const char *
stage_env_keydir(const char *def)
{
	const char *k = getenv(STAGE_ENV_KEYDIR);

	return k && *k ? k : def;
}
