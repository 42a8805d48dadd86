/*
 * NAME
 *	fuzz_api.c - libFuzzer target for what a viewer's HTTP request
 *	carries: the path and the token
 *
 * DESCRIPTION
 *	The input, cut at its first NUL, is a request path for the
 *	streamer's router (streamer_route, linked from the streamer's
 *	objects) and a bearer token for auth_token_check. A file
 *	path the router accepts must start with '/' and hold no "..",
 *	backslash or control byte; a day route's UUID and date must print
 *	back to the path's own text; a token must never be accepted, since
 *	forging one needs the key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "proto.h"
#include "streamer/streamer_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[AUTH_KEY_LEN] = {1, 2, 3};
	char *s = malloc(size + 1), name[AUTH_NAME_MAX + 1], u[37], d[16];
	uint8_t uuid[16];
	uint32_t date;
	const char *p;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (streamer_route(s, uuid, &date)) {
	case ROUTE_FILE:
		if (s[0] != '/' || strstr(s, "..") || strchr(s, '\\'))
			abort();
		for (p = s; *p; p++)
			if ((unsigned char)*p < 0x20)
				abort();
		break;
	case ROUTE_DAY:
		proto_date_fmt(date, d);
		if (strcmp(s + strlen(s) - 10, d))
			abort();
		/* fall through */
	case ROUTE_DAYS:
		proto_uuid_fmt(uuid, u);
		if (strncasecmp(s + 13, u, 36))
			abort();
		break;
	default: break;
	}
	if (auth_token_name(s, name) == 0) {
		auth_user_t user = {0};
		memcpy(user.name, name, sizeof(user.name));
		if (auth_token_check(key, s, &user, 1795600000, UINT64_MAX) == 0)
			abort();
	}
	free(s);
	return 0;
}
