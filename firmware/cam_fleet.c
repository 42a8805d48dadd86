/*
 * NAME
 *	cam_fleet.c - many cameras in one process
 */
#include <stdio.h>

#include "cam_media.h"

int
cam_fleet_run(const cam_opts_t *o, volatile int *stop)
{
	(void)o;
	(void)stop;
	fprintf(stderr, "vigil-cam: --fleet is not built yet\n");
	return 2;
}
