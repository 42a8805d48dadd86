/*
 * NAME
 *	shm_seg.c - named shared segments with a versioned header
 *
 * DESCRIPTION
 *	shm_open + ftruncate + mmap. The creator writes the header last
 *	(magic after everything else, with a release fence) so an attacher
 *	never sees a half-initialised segment as valid. The header carries
 *	the kind and the kind's layout version from the registry
 *	(shm_kind.h); an attacher that expects another kind or version is
 *	refused with -EPROTO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ck_pr.h>

#include "shm.h"

static int
shm_name(char *out, size_t cap, const char *name)
{
	if (name[0] == '\0' || strchr(name, '/') || strlen(name) + 2 > cap)
		return -EINVAL;
	snprintf(out, cap, "/%s", name);
	return 0;
}

int
shm_seg_create(const char *name, uint32_t kind, size_t body_size, shm_seg_t *seg)
{
	char path[64];
	size_t size = SHM_SEG_HDR_SIZE + body_size;
	uint32_t version = shm_kind_version(kind);
	shm_seg_hdr_t *h;
	void *base;
	int fd, rc;

	if (version == 0)
		return -EINVAL;
	if ((rc = shm_name(path, sizeof(path), name)) < 0)
		return rc;
	shm_unlink(path);
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = -errno;
		close(fd);
		shm_unlink(path);
		return rc;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd);
	if (base == MAP_FAILED) {
		shm_unlink(path);
		return rc;
	}
	h = base;
	h->version = version;
	h->kind = kind;
	h->size = size;
	h->body = SHM_SEG_HDR_SIZE;
	/* everything above is visible before the magic that declares it valid */
	ck_pr_fence_store();
	ck_pr_store_64(&h->magic, SHM_MAGIC);
	snprintf(seg->name, sizeof(seg->name), "%s", path + 1); /* name may be seg->name */
	seg->base = base;
	seg->size = size;
	return 0;
}

int
shm_seg_attach(const char *name, uint32_t kind, shm_seg_t *seg)
{
	char path[64];
	struct stat st;
	shm_seg_hdr_t *h;
	void *base;
	int fd, rc;

	if ((rc = shm_name(path, sizeof(path), name)) < 0)
		return rc;
	if ((fd = shm_open(path, O_RDWR | O_CLOEXEC, 0)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < SHM_SEG_HDR_SIZE) {
		close(fd);
		return -EPROTO;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd);
	if (base == MAP_FAILED)
		return rc;
	h = base;
	if (ck_pr_load_64(&h->magic) != SHM_MAGIC)
		goto bad;
	/* the magic was published after the fields: read them after it */
	ck_pr_fence_load();
	if (h->kind != kind || h->version != shm_kind_version(kind) ||
	    h->size != (uint64_t)st.st_size || h->body != SHM_SEG_HDR_SIZE)
		goto bad;
	snprintf(seg->name, sizeof(seg->name), "%s", path + 1); /* name may be seg->name */
	seg->base = base;
	seg->size = (size_t)st.st_size;
	return 0;
bad:
	munmap(base, (size_t)st.st_size);
	return -EPROTO;
}

void
shm_seg_detach(shm_seg_t *seg)
{
	if (seg->base)
		munmap(seg->base, seg->size);
	seg->base = NULL;
	seg->size = 0;
}

int
shm_seg_unlink(const char *name)
{
	char path[64];
	int rc;

	if ((rc = shm_name(path, sizeof(path), name)) < 0)
		return rc;
	return shm_unlink(path) == 0 ? 0 : -errno;
}
