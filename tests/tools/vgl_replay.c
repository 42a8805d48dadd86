/*
 * NAME
 *	vgl_replay.c - send the datagrams of a day file again, as an
 *	attacker who recorded them would
 *
 * SYNOPSIS
 *	vgl_replay [-a] FILE HOST:PORT
 *
 * DESCRIPTION
 *	Reads FILE with the storage reader and sends each stored datagram
 *	other than hellos (-a: hellos too, each followed by a pause for the
 *	server's RSA work, as a camera resending from its store does),
 *	byte for byte, to HOST:PORT over UDP, pacing a little every 256 so
 *	that a loopback socket buffer keeps them all. Prints `replayed N`.
 *	Test aid only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "proto.h"
#include "proto_record.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	proto_reader_t *r;
	proto_rec_t rec;
	unsigned long n = 0;
	uint32_t port;
	char host[64], *colon;
	int fd, all = argc == 4 && !strcmp(argv[1], "-a");

	argc -= all, argv += all;
	if (argc != 3 || (colon = strrchr(argv[2], ':')) == NULL ||
	    (size_t)(colon - argv[2]) >= sizeof(host)) {
		fprintf(stderr, "usage: vgl_replay [-a] FILE HOST:PORT\n");
		return 2;
	}
	memcpy(host, argv[2], (size_t)(colon - argv[2]));
	host[colon - argv[2]] = '\0';
	if (proto_parse_u32("port", colon + 1, 65535, &port) < 0 ||
	    inet_pton(AF_INET, host, &to.sin_addr) != 1) {
		fprintf(stderr, "vgl_replay: bad address %s\n", argv[2]);
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || proto_reader_open(argv[1], &r) < 0) {
		fprintf(stderr, "vgl_replay: %s: %s\n", argv[1], proto_errmsg());
		return 1;
	}
	while (proto_reader_next(r, &rec) > 0) {
		int hello = rec.len >= 4 && proto_dgram_type(rec.dgram) == PROTO_T_HELLO;
		if (rec.len < 4 || (hello && !all))
			continue;
		if (sendto(fd, rec.dgram, rec.len, 0, (struct sockaddr *)&to, sizeof(to)) ==
		    (ssize_t)rec.len)
			n++;
		if (hello)
			usleep(200000);
		if (n % 256 == 0)
			usleep(2000);
	}
	proto_reader_free(r);
	close(fd);
	printf("replayed %lu\n", n);
	return 0;
}
