/*
 * NAME
 *	streamer_route.c - what an HTTP request path asks for
 *
 * DESCRIPTION
 *	streamer_route() maps a request path, as the viewer sent it, to one
 *	of the streamer's answers, and takes the camera UUID and the day out
 *	of it. It depends on nothing but libproto, so the whole decision is
 *	fuzzed (fuzz/fuzz_api.c) apart from libwebsockets. A file path is
 *	accepted only when it starts with '/' and holds neither ".." nor a
 *	backslash nor a control byte: it is appended to the player's folder.
 */
#include <string.h>

#include "proto.h"
#include "streamer_route.h"

static int
file_path_ok(const char *p)
{
	if (p[0] != '/' || strstr(p, "..") || strchr(p, '\\'))
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

route_t
streamer_route(const char *path, uint8_t uuid[16], uint32_t *date)
{
	char us[37], ds[11];
	const char *rest;

	if (!strcmp(path, "/api/login"))
		return ROUTE_LOGIN;
	if (!strcmp(path, "/metrics"))
		return ROUTE_METRICS;
	if (strncmp(path, "/api/", 5))
		return file_path_ok(path) ? ROUTE_FILE : ROUTE_NOT_FOUND;
	if (!strcmp(path, "/api/cameras"))
		return ROUTE_CAMERAS;
	if (strncmp(path, "/api/cameras/", 13) || strlen(path) < 13 + 36)
		return ROUTE_NOT_FOUND;
	memcpy(us, path + 13, 36);
	us[36] = '\0';
	if (proto_uuid_parse(us, uuid) < 0)
		return ROUTE_NOT_FOUND;
	rest = path + 13 + 36;
	if (!strcmp(rest, "/days"))
		return ROUTE_DAYS;
	if (strncmp(rest, "/days/", 6) || strlen(rest + 6) != 10)
		return ROUTE_NOT_FOUND;
	memcpy(ds, rest + 6, 10);
	ds[10] = '\0';
	if (proto_date_parse(ds, date) < 0)
		return ROUTE_NOT_FOUND;
	return ROUTE_DAY;
}
