/* wbuf.c: a growable byte buffer that leaves no stale copy of what it held behind. */
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define WBUF_FIRST 1024

/*
 * Grows b to at least want bytes of capacity (doubling, capped at cap_max): new memory, the
 * contents copied, the old block wiped whole and freed. realloc is never used: it may move the
 * block and free the old one unwiped, leaving a copy of a request body in the heap.
 */
static int wbuf_grow(util_wbuf *b, size_t want, size_t cap_max)
{
	size_t cap = b->cap ? b->cap : WBUF_FIRST;
	unsigned char *p;

	while (cap < want)
		cap = cap > cap_max / 2 ? cap_max : cap * 2;
	if (cap > cap_max)
		cap = cap_max;
	if (cap < want || (p = malloc(cap)) == NULL)
		return -1;
	if (b->p != NULL) {
		memcpy(p, b->p, b->len);
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int util_wbuf_append(util_wbuf *b, const void *data, size_t n, size_t max)
{
	if (n > max || b->len > max - n)
		return -1;
	/* one byte more than the data: the contents stay NUL-terminated */
	if (b->len + n + 1 > b->cap && wbuf_grow(b, b->len + n + 1, max + 1) != 0)
		return -1;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void util_wbuf_free(util_wbuf *b)
{
	if (b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}
