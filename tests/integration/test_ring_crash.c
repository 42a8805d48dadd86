/*
 * NAME
 *	test_ring_crash.c - kill -9 producer and consumer at random instants:
 *	nothing lost, nothing torn
 *
 * DESCRIPTION
 *	A producer process streams numbered messages (sequence number, a
 *	length that varies with it, bytes derived from it and an FNV-1a
 *	checksum) through one ring; a consumer process checks each message,
 *	records it as handed on (the durable step: a store to a results
 *	page shared with the test, which outlives the consumer) and only
 *	then releases it. The
 *	test kills the producer, the consumer or both with SIGKILL at random
 *	instants, 1000 times, restarting each. At the end the consumer drains
 *	the ring: every message the producer published must have been handed
 *	on exactly in order, none torn, none skipped. Redelivery of a message
 *	handed on but not yet released is allowed (at least once) and
 *	counted.
 * run alone: a thousand kill -9 under load, on every processor
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

#define ITERATIONS 1000
#define NSLOTS 256

typedef struct results {
	uint64_t delivered; /* next sequence number expected */
	uint64_t dups, torn, gaps;
} results_t;

static shm_ring_t *ring;
static results_t *res;

static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static size_t
msg_len(uint64_t seq)
{
	return 12 + (size_t)(seq * 37 % 1400);
}

static void
producer(void)
{
	uint8_t buf[SHM_MSG_MAX];
	shm_msg_meta_t m = {0};

	for (;;) {
		/* the ring's tail is the next message's number: it survives us */
		uint64_t seq = ring->tail;
		size_t len = msg_len(seq), i;
		uint32_t c;

		memcpy(buf, &seq, 8);
		for (i = 8; i < len - 4; i++)
			buf[i] = (uint8_t)(seq * 31 + i);
		c = fnv(buf, len - 4);
		memcpy(buf + len - 4, &c, 4);
		m.session = (uint32_t)seq;
		if (shm_ring_enqueue_wait_spsc(ring, &m, buf, len, 100) < 0 && errno == EINVAL)
			_exit(3);
	}
}

static int
consume_one(void)
{
	const shm_slot_t *s = shm_ring_peek_spsc(ring);
	uint64_t seq;
	uint32_t c;

	if (s == NULL)
		return 0;
	memcpy(&seq, s->data, 8);
	memcpy(&c, s->data + s->meta.len - 4, 4);
	if (s->meta.len != msg_len(seq) || s->meta.seq != seq || fnv(s->data, s->meta.len - 4) != c)
		res->torn++;
	else if (seq < res->delivered)
		res->dups++;
	else if (seq > res->delivered)
		res->gaps++;
	else
		res->delivered = seq + 1; /* handed on */
	shm_ring_release_spsc(ring, 1);
	return 1;
}

static void
consumer(void)
{
	for (;;)
		if (!consume_one())
			shm_ring_wait_spsc(ring, 100);
}

static pid_t
spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	return pid;
}

static void
kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	char prefix[32];
	shm_seg_t seg;
	pid_t prod, cons;
	int i, kills_p = 0, kills_c = 0;
	uint64_t published;

	snprintf(prefix, sizeof(prefix), "vigil-crash-%d", (int)getpid());
	if (shm_ring_create(prefix, SHM_KIND_RING, 0, NSLOTS, &seg, &ring) != 0)
		return 1;
	/* the children are forks: an anonymous shared page reaches them all */
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 1;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	prod = spawn(producer);
	cons = spawn(consumer);
	for (i = 0; i < ITERATIONS; i++) {
		usleep((useconds_t)(rand() % 3000));
		switch (rand() % 5) {
		case 0:
		case 1:
			kill_wait(prod);
			kills_p++;
			prod = spawn(producer);
			break;
		case 2:
		case 3:
			kill_wait(cons);
			kills_c++;
			cons = spawn(consumer);
			break;
		default:
			kill_wait(prod);
			kill_wait(cons);
			kills_p++;
			kills_c++;
			prod = spawn(producer);
			cons = spawn(consumer);
		}
	}
	kill_wait(prod);
	kill_wait(cons);
	published = ring->tail;
	while (consume_one())
		;
	printf("ring crash: %d producer kills, %d consumer kills, %llu messages published, "
	       "%llu handed on, %llu redelivered, %llu torn, %llu skipped\n",
	       kills_p, kills_c, (unsigned long long)published, (unsigned long long)res->delivered,
	       (unsigned long long)res->dups, (unsigned long long)res->torn,
	       (unsigned long long)res->gaps);
	int ok = res->torn == 0 && res->gaps == 0 && res->delivered == published &&
		 published > 1000 && shm_ring_depth(ring) == 0;
	if (!ok)
		printf("ring crash: FAILED\n");
	shm_seg_detach(&seg);
	munmap(res, sizeof(*res));
	shm_kind_unlink(prefix, SHM_KIND_RING, NULL, 0);
	return ok ? 0 : 1;
}
