/*
 * NAME
 *	streamer_route.h - what an HTTP request path asks for (streamer_route.c)
 */
#ifndef VIGIL_STREAMER_ROUTE_H
#define VIGIL_STREAMER_ROUTE_H

#include <stdint.h>

typedef enum route {
	ROUTE_NOT_FOUND, /* 404 */
	ROUTE_FILE,      /* a file of the player's folder (or index.html for "/") */
	ROUTE_LOGIN,     /* POST /api/login */
	ROUTE_METRICS,   /* /metrics */
	ROUTE_CAMERAS,   /* /api/cameras */
	ROUTE_DAYS,      /* /api/cameras/UUID/days: uuid set */
	ROUTE_DAY,       /* /api/cameras/UUID/days/YYYY-MM-DD: uuid and date set */
} route_t;

route_t streamer_route(const char *path, uint8_t uuid[16], uint32_t *date);

#endif
