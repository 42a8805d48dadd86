/*
 * NAME
 *	frag.c - split frames into fragments and reassemble them
 *
 * DESCRIPTION
 *	proto_frag_count() and proto_frag_slice() cut a frame into
 *	max_payload-byte pieces, the last one shorter.
 *
 *	The reassembler keeps incomplete frames in a chained hash table keyed
 *	by (uuid, date, session, stream, frame) and on a list in order of
 *	arrival, oldest first, for expiry and eviction. Each frame keeps its
 *	payloads in one buffer in arrival order with an (offset, length) per
 *	fragment index; on completion the buffer is handed out as it is when
 *	the fragments came in order, else copied once into index order.
 *
 *	A completed frame leaves a tombstone (its key, no data) on a second
 *	list, at most max_frames of them, each kept timeout_ms, so
 *	that a late duplicate of a completed frame is counted as a duplicate
 *	instead of starting a frame that would only expire.
 *
 *	Memory charged against max_bytes: each incomplete frame's buffer
 *	capacity, its per-fragment table and its descriptor.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_frag.h"

#define FRAG_ABSENT UINT32_MAX
#define REASM_MAX_BUCKETS (1u << 20)

typedef struct reasm_frame {
	struct reasm_frame *hnext;       /* hash chain */
	struct reasm_frame *prev, *next; /* pending or done list, oldest first */
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t session;
	uint32_t frame;
	uint8_t stream;
	uint8_t done; /* tombstone of a completed frame */
	uint8_t codec;
	uint8_t flags;
	uint16_t count;
	uint16_t have;
	uint32_t first_counter;
	uint64_t capture_ms;
	uint64_t born_ms;
	uint32_t *frag_off; /* count offsets into data, FRAG_ABSENT when missing */
	uint16_t *frag_len; /* count lengths; same allocation as frag_off */
	uint8_t *data;
	size_t data_len;
	size_t data_cap;
	size_t charge;
} reasm_frame_t;

typedef struct reasm_list {
	reasm_frame_t *head, *tail;
	size_t n;
} reasm_list_t;

struct proto_reasm {
	reasm_frame_t **bucket;
	size_t nbucket; /* power of two */
	size_t max_frames;
	size_t max_bytes;
	uint64_t timeout_ms;
	reasm_list_t pending;
	reasm_list_t done;
	uint8_t *out_buf; /* the last completed frame, until the next call */
	proto_reasm_stats_t st;
};

int
proto_frag_count(size_t frame_len, size_t max_payload)
{
	size_t n;

	if (max_payload == 0 || max_payload > PROTO_DATA_MAX_PAYLOAD) {
		proto_set_errmsg("fragment payload size %zu outside 1..%d", max_payload,
				 PROTO_DATA_MAX_PAYLOAD);
		return PROTO_E_FIELD;
	}
	if (frame_len > PROTO_MAX_FRAME) {
		proto_set_errmsg("frame of %zu bytes, limit %u", frame_len, PROTO_MAX_FRAME);
		return PROTO_E_OVERSIZE;
	}
	n = frame_len == 0 ? 1 : (frame_len + max_payload - 1) / max_payload;
	if (n > UINT16_MAX) {
		proto_set_errmsg("frame of %zu bytes needs %zu fragments of %zu", frame_len, n,
				 max_payload);
		return PROTO_E_OVERSIZE;
	}
	return (int)n;
}

int
proto_frag_slice(size_t frame_len, size_t max_payload, unsigned index, size_t *off, size_t *len)
{
	int n;

	if ((n = proto_frag_count(frame_len, max_payload)) < 0)
		return n;
	if (index >= (unsigned)n) {
		proto_set_errmsg("fragment %u of %d", index, n);
		return PROTO_E_FIELD;
	}
	*off = (size_t)index * max_payload;
	*len = frame_len - *off < max_payload ? frame_len - *off : max_payload;
	return 0;
}

static uint32_t
reasm_hash(const uint8_t *uuid, uint32_t date, uint32_t session, uint8_t stream, uint32_t frame)
{
	uint32_t h = 2166136261u, v[4] = {date, session, frame, stream};
	size_t i;

	for (i = 0; i < PROTO_UUID_LEN; i++)
		h = (h ^ uuid[i]) * 16777619u;
	for (i = 0; i < 4; i++) {
		h = (h ^ (v[i] & 0xffff)) * 16777619u;
		h = (h ^ (v[i] >> 16)) * 16777619u;
	}
	return h ^ (h >> 15);
}

static reasm_frame_t **
reasm_slot(proto_reasm_t *r, const proto_data_hdr_t *h)
{
	reasm_frame_t **pp;
	uint32_t k = reasm_hash(h->uuid, h->date, h->session, h->stream, h->frame);

	for (pp = &r->bucket[k & (r->nbucket - 1)]; *pp != NULL; pp = &(*pp)->hnext) {
		reasm_frame_t *f = *pp;

		if (f->frame == h->frame && f->session == h->session && f->stream == h->stream &&
		    f->date == h->date && memcmp(f->uuid, h->uuid, PROTO_UUID_LEN) == 0)
			break;
	}
	return pp;
}

static void
list_push(reasm_list_t *l, reasm_frame_t *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
	l->n++;
}

/* f is on l: the ends are compared with l's, not inferred from f's links. */
static void
list_unlink(reasm_list_t *l, reasm_frame_t *f)
{
	if (l->head == f)
		l->head = f->next;
	else
		f->prev->next = f->next;
	if (l->tail == f)
		l->tail = f->prev;
	else
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
	l->n--;
}

static void
frame_release(proto_reasm_t *r, reasm_frame_t *f)
{
	r->st.bytes -= f->charge;
	f->charge = 0;
	free(f->frag_off);
	free(f->data);
	f->frag_off = NULL;
	f->frag_len = NULL;
	f->data = NULL;
	f->data_len = f->data_cap = 0;
}

/* Remove f from the table and from l (r->pending or r->done, the one it is on) and free it. */
static void
frame_drop(proto_reasm_t *r, reasm_list_t *l, reasm_frame_t *f)
{
	proto_data_hdr_t k;
	reasm_frame_t **pp;

	memcpy(k.uuid, f->uuid, PROTO_UUID_LEN);
	k.date = f->date;
	k.session = f->session;
	k.stream = f->stream;
	k.frame = f->frame;
	pp = reasm_slot(r, &k);
	if (*pp == f)
		*pp = f->hnext;
	list_unlink(l, f);
	if (l == &r->pending)
		r->st.frames--;
	frame_release(r, f);
	free(f);
}

/* Evict the oldest incomplete frame other than keep; 0 if there is none. */
static int
reasm_evict(proto_reasm_t *r, const reasm_frame_t *keep)
{
	reasm_frame_t *f;

	for (f = r->pending.head; f != NULL && f == keep; f = f->next)
		;
	if (f == NULL)
		return 0;
	frame_drop(r, &r->pending, f);
	r->st.evicted++;
	return 1;
}

/*
 * Turn f into a tombstone, kept timeout_ms from now and at most
 * max_frames of them.
 */
static void
frame_bury(proto_reasm_t *r, reasm_frame_t *f, uint64_t now_ms)
{
	if (!f->done) {
		list_unlink(&r->pending, f);
		r->st.frames--;
		frame_release(r, f);
		f->done = 1;
	}
	f->born_ms = now_ms;
	list_push(&r->done, f);
	while (r->done.n > r->max_frames && r->done.head != f)
		frame_drop(r, &r->done, r->done.head);
}

proto_reasm_t *
proto_reasm_new(size_t max_frames, size_t max_bytes, uint64_t timeout_ms)
{
	proto_reasm_t *r;
	size_t nb = 16;

	if (max_frames == 0) {
		proto_set_errmsg("reassembler needs max_frames >= 1");
		return NULL;
	}
	while (nb < REASM_MAX_BUCKETS && nb < 2 * max_frames)
		nb <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	/* Tombstones share the table: as many again as pending frames. */
	if ((r->bucket = calloc(nb * 2, sizeof(*r->bucket))) == NULL) {
		free(r);
		return NULL;
	}
	r->nbucket = nb * 2;
	r->max_frames = max_frames;
	r->max_bytes = max_bytes;
	r->timeout_ms = timeout_ms;
	return r;
}

void
proto_reasm_free(proto_reasm_t *r)
{
	if (r == NULL)
		return;
	while (r->pending.head != NULL)
		frame_drop(r, &r->pending, r->pending.head);
	while (r->done.head != NULL)
		frame_drop(r, &r->done, r->done.head);
	free(r->out_buf);
	free(r->bucket);
	free(r);
}

static void
frame_out(const proto_data_hdr_t *h, proto_frame_t *out)
{
	memcpy(out->uuid, h->uuid, PROTO_UUID_LEN);
	out->date = h->date;
	out->session = h->session;
	out->stream = h->stream;
	out->codec = h->codec;
	out->flags = h->flags;
	out->frame = h->frame;
	out->first_counter = h->counter - h->frag_index;
	out->frag_count = h->frag_count;
	out->capture_ms = h->capture_ms;
}

static int
frame_check(const reasm_frame_t *f, const proto_data_hdr_t *h)
{
	if (f->count != h->frag_count || f->codec != h->codec || f->flags != h->flags ||
	    f->capture_ms != h->capture_ms || f->first_counter != h->counter - h->frag_index) {
		proto_set_errmsg("fragment %u/%u counter %u of frame %u does not match the "
				 "frame's other fragments (%u fragments from counter %u)",
				 h->frag_index, h->frag_count, h->counter, h->frame, f->count,
				 f->first_counter);
		return PROTO_E_FIELD;
	}
	return 0;
}

/* Make room for len more payload bytes in f, evicting other frames if need be. */
static int
frame_reserve(proto_reasm_t *r, reasm_frame_t *f, size_t len, uint16_t index)
{
	size_t need = f->data_len + len, cap;
	uint8_t *p;

	if (need <= f->data_cap)
		return 0;
	if (f->data_cap == 0) {
		/* The usual split: every fragment but the last is as long as this one. */
		if (index + 1 < f->count)
			cap = (size_t)f->count * len;
		else
			cap = len + (size_t)(f->count - 1) * PROTO_DATA_MAX_PAYLOAD;
	} else {
		cap = f->data_cap * 2;
	}
	if (cap > PROTO_MAX_FRAME)
		cap = PROTO_MAX_FRAME;
	if (cap < need)
		cap = need;
	if (f->charge - f->data_cap + cap > r->max_bytes) {
		proto_set_errmsg("frame %u needs %zu bytes, reassembler bound %zu", f->frame,
				 f->charge - f->data_cap + cap, r->max_bytes);
		return PROTO_E_FULL;
	}
	while (r->st.bytes - f->data_cap + cap > r->max_bytes)
		if (!reasm_evict(r, f))
			break;
	if ((p = realloc(f->data, cap)) == NULL) {
		proto_set_errmsg("reassembler: no memory for %zu bytes", cap);
		return PROTO_E_NOMEM;
	}
	r->st.bytes += cap - f->data_cap;
	f->charge += cap - f->data_cap;
	f->data = p;
	f->data_cap = cap;
	return 0;
}

static reasm_frame_t *
frame_new(proto_reasm_t *r, const proto_data_hdr_t *h, uint64_t now_ms, int *err)
{
	reasm_frame_t *f;
	size_t meta = (size_t)h->frag_count * (sizeof(uint32_t) + sizeof(uint16_t));
	uint16_t i;

	*err = 0;
	if (sizeof(*f) + meta > r->max_bytes) {
		proto_set_errmsg("frame of %u fragments exceeds the reassembler bound %zu",
				 h->frag_count, r->max_bytes);
		*err = PROTO_E_FULL;
		return NULL;
	}
	while (r->pending.n >= r->max_frames || r->st.bytes + sizeof(*f) + meta > r->max_bytes)
		if (!reasm_evict(r, NULL))
			break;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->frag_off = malloc(meta)) == NULL) {
		free(f);
		proto_set_errmsg("reassembler: no memory for a frame of %u fragments",
				 h->frag_count);
		*err = PROTO_E_NOMEM;
		return NULL;
	}
	f->frag_len = (uint16_t *)(f->frag_off + h->frag_count);
	for (i = 0; i < h->frag_count; i++)
		f->frag_off[i] = FRAG_ABSENT;
	memcpy(f->uuid, h->uuid, PROTO_UUID_LEN);
	f->date = h->date;
	f->session = h->session;
	f->frame = h->frame;
	f->stream = h->stream;
	f->codec = h->codec;
	f->flags = h->flags;
	f->count = h->frag_count;
	f->first_counter = h->counter - h->frag_index;
	f->capture_ms = h->capture_ms;
	f->born_ms = now_ms;
	f->charge = sizeof(*f) + meta;
	r->st.bytes += f->charge;
	r->st.frames++;
	list_push(&r->pending, f);
	return f;
}

/* All fragments are in: hand the payloads out in index order. */
static int
frame_complete(proto_reasm_t *r, reasm_frame_t *f, const proto_data_hdr_t *h, uint64_t now_ms,
	       proto_frame_t *out)
{
	static const uint8_t empty[1];
	size_t off = 0;
	uint16_t i;
	int in_order = 1;

	for (i = 0; i < f->count && in_order; i++) {
		if (f->frag_off[i] != off)
			in_order = 0;
		off += f->frag_len[i];
	}
	if (in_order) {
		r->out_buf = f->data;
		f->data = NULL;
	} else {
		if ((r->out_buf = malloc(f->data_len)) == NULL) {
			proto_set_errmsg("reassembler: no memory for a frame of %zu bytes",
					 f->data_len);
			frame_drop(r, &r->pending, f);
			return PROTO_E_NOMEM;
		}
		for (i = 0, off = 0; i < f->count; i++) {
			memcpy(r->out_buf + off, f->data + f->frag_off[i], f->frag_len[i]);
			off += f->frag_len[i];
		}
	}
	frame_out(h, out);
	out->data = r->out_buf != NULL ? r->out_buf : empty;
	out->len = f->data_len;
	frame_bury(r, f, now_ms);
	r->st.completed++;
	return 1;
}

int
proto_reasm_add(proto_reasm_t *r, const proto_data_hdr_t *h, const uint8_t *payload,
		uint64_t now_ms, proto_frame_t *out)
{
	reasm_frame_t **pp, *f;
	int err, created = 0;

	free(r->out_buf);
	r->out_buf = NULL;
	if (h->frag_count == 0 || h->frag_index >= h->frag_count) {
		proto_set_errmsg("fragment index %u of %u", h->frag_index, h->frag_count);
		err = PROTO_E_FIELD;
		goto reject;
	}
	if (h->counter < h->frag_index ||
	    (uint64_t)h->counter - h->frag_index + h->frag_count - 1 > UINT32_MAX) {
		proto_set_errmsg("fragment %u at counter %u: first counter out of range",
				 h->frag_index, h->counter);
		err = PROTO_E_FIELD;
		goto reject;
	}
	if (h->payload_len > PROTO_DATA_MAX_PAYLOAD) {
		proto_set_errmsg("fragment payload of %u bytes", h->payload_len);
		err = PROTO_E_OVERSIZE;
		goto reject;
	}
	pp = reasm_slot(r, h);
	if ((f = *pp) != NULL && f->done) {
		r->st.duplicates++;
		return 0;
	}
	if (f == NULL && h->frag_count == 1) {
		/* One fragment: nothing to hold, only a tombstone to leave. */
		if ((f = calloc(1, sizeof(*f))) == NULL) {
			proto_set_errmsg("reassembler: no memory for a tombstone");
			return PROTO_E_NOMEM;
		}
		memcpy(f->uuid, h->uuid, PROTO_UUID_LEN);
		f->date = h->date;
		f->session = h->session;
		f->frame = h->frame;
		f->stream = h->stream;
		f->done = 1;
		*pp = f;
		frame_bury(r, f, now_ms);
		frame_out(h, out);
		out->data = payload;
		out->len = h->payload_len;
		r->st.completed++;
		return 1;
	}
	if (f != NULL) {
		if ((err = frame_check(f, h)) < 0)
			goto reject;
		if (f->frag_off[h->frag_index] != FRAG_ABSENT) {
			r->st.duplicates++;
			return 0;
		}
	} else {
		if ((f = frame_new(r, h, now_ms, &err)) == NULL)
			goto reject;
		/* Evictions in frame_new may have changed the chain: look again. */
		pp = reasm_slot(r, h);
		f->hnext = *pp;
		*pp = f;
		created = 1;
	}
	if (f->data_len + h->payload_len > PROTO_MAX_FRAME) {
		proto_set_errmsg("frame %u exceeds %u bytes", h->frame, PROTO_MAX_FRAME);
		err = PROTO_E_OVERSIZE;
		goto reject_frame;
	}
	if ((err = frame_reserve(r, f, h->payload_len, h->frag_index)) < 0)
		goto reject_frame;
	if (h->payload_len > 0)
		memcpy(f->data + f->data_len, payload, h->payload_len);
	f->frag_off[h->frag_index] = (uint32_t)f->data_len;
	f->frag_len[h->frag_index] = h->payload_len;
	f->data_len += h->payload_len;
	f->have++;
	if (f->have == f->count)
		return frame_complete(r, f, h, now_ms, out);
	return 0;

reject_frame:
	if (created)
		frame_drop(r, &r->pending, f);
reject:
	r->st.rejected++;
	return err;
}

size_t
proto_reasm_expire(proto_reasm_t *r, uint64_t now_ms)
{
	size_t n = 0;

	free(r->out_buf);
	r->out_buf = NULL;
	while (r->pending.head != NULL && now_ms - r->pending.head->born_ms >= r->timeout_ms &&
	       now_ms >= r->pending.head->born_ms) {
		frame_drop(r, &r->pending, r->pending.head);
		r->st.expired++;
		n++;
	}
	while (r->done.head != NULL && now_ms >= r->done.head->born_ms &&
	       now_ms - r->done.head->born_ms >= r->timeout_ms)
		frame_drop(r, &r->done, r->done.head);
	return n;
}

const proto_reasm_stats_t *
proto_reasm_stats(const proto_reasm_t *r)
{
	return &r->st;
}
