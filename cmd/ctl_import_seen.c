/* ctl_import_seen.c: the national IDs an import's checking pass has seen: a set in memory, then a spill file in rounds. */
#include "ctl_import_seen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../keys/keys.h"

#define KEY_BYTES 16u
#define SEEN_FIRST 1024u /* slots to begin with */

/* One spilled line: its index hashed again under the run's key, and its number. */
typedef struct spilled {
	unsigned char h[KEY_BYTES];
	uint64_t line;
} spilled;

/* A set of cap slots (a power of two). 0 or -1. */
static int set_alloc(ctl_seen *s, size_t cap)
{
	s->slot = calloc(cap, KEY_BYTES);
	s->used = calloc(cap, 1);
	s->cap = cap;
	s->n = 0;
	return s->slot && s->used ? 0 : -1;
}

static void set_release(ctl_seen *s)
{
	free(s->slot);
	free(s->used);
	s->slot = NULL;
	s->used = NULL;
	s->cap = s->n = 0;
}

/* 1 if key k is in the set; else adds it (when add) and returns 0. Keys are uniform bytes. */
static int set_has(ctl_seen *s, const unsigned char *k, int add)
{
	size_t h;

	memcpy(&h, k, sizeof h);
	for (h &= s->cap - 1; s->used[h]; h = (h + 1) & (s->cap - 1))
		if (memcmp(s->slot[h], k, KEY_BYTES) == 0)
			return 1;
	if (add) {
		s->used[h] = 1;
		memcpy(s->slot[h], k, KEY_BYTES);
		s->n++;
	}
	return 0;
}

/* Doubles the set. 0 or -1. */
static int set_grow(ctl_seen *s)
{
	ctl_seen bigger = *s;
	size_t i;

	if (set_alloc(&bigger, s->cap * 2) != 0) {
		free(bigger.slot);
		free(bigger.used);
		return -1;
	}
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			set_has(&bigger, s->slot[i], 1);
	set_release(s);
	s->slot = bigger.slot;
	s->used = bigger.used;
	s->cap = bigger.cap;
	s->n = bigger.n;
	return 0;
}

int ctl_seen_init(ctl_seen *s, size_t max_slots, const char *dir)
{
	*s = (ctl_seen){.max = max_slots < SEEN_FIRST ? SEEN_FIRST : max_slots, .dir = dir};
	if ((s->key = keys_secret_alloc(crypto_shorthash_KEYBYTES)) == NULL)
		return -1;
	randombytes_buf(s->key, crypto_shorthash_KEYBYTES);
	return set_alloc(s, SEEN_FIRST);
}

/* The unlinked spill file: in dir (O_TMPFILE), else $TMPDIR's. NULL on failure. */
static FILE *spill_open(const char *dir)
{
	int fd = dir != NULL ? open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) : -1;
	FILE *f;

	if (fd < 0)
		return tmpfile();
	if ((f = fdopen(fd, "w+")) == NULL)
		close(fd);
	return f;
}

int ctl_seen_add(ctl_seen *s, const unsigned char idx[VAULT_INDEX_BYTES], size_t line, util_err *err)
{
	spilled sp;

	if (set_has(s, idx, 0))
		return 1;
	if (s->spill == NULL && (s->n + 1) * 2 <= s->cap) {
		set_has(s, idx, 1);
		return 0;
	}
	if (s->spill == NULL && s->cap < s->max) {
		if (set_grow(s) != 0)
			return util_fail(err, UTIL_ENOMEM, "out of memory");
		set_has(s, idx, 1);
		return 0;
	}
	/* the set is full: the line waits in the spill for ctl_seen_finish */
	if (s->spill == NULL && (s->spill = spill_open(s->dir)) == NULL)
		return util_fail(err, UTIL_EIO, "cannot make a temporary file: %s", strerror(errno));
	crypto_generichash(sp.h, sizeof sp.h, idx, VAULT_INDEX_BYTES, s->key, crypto_shorthash_KEYBYTES);
	sp.line = line;
	if (fwrite(&sp, sizeof sp, 1, s->spill) != 1)
		return util_fail(err, UTIL_EIO, "cannot write a temporary file");
	s->spilled++;
	return 0;
}

/* One round over the spill: the lines whose first two bytes fall in [lo, hi), each kept once. 0 or -1. */
static int spill_round(ctl_seen *s, unsigned lo, unsigned hi, void (*repeat)(void *, size_t), void *arg,
    util_err *err)
{
	spilled sp;
	unsigned part;

	rewind(s->spill);
	while (fread(&sp, sizeof sp, 1, s->spill) == 1) {
		part = (unsigned)sp.h[0] << 8 | sp.h[1];
		if (part < lo || part >= hi)
			continue;
		if ((s->n + 1) * 4 > s->cap * 3) /* a quarter of the set was expected: never so far off */
			return util_fail(err, UTIL_ENOMEM, "too many lines for the memory set aside");
		if (set_has(s, sp.h, 1))
			repeat(arg, (size_t)sp.line);
	}
	return ferror(s->spill) ? util_fail(err, UTIL_EIO, "cannot read a temporary file") : 0;
}

int ctl_seen_finish(ctl_seen *s, void (*repeat)(void *, size_t), void *arg, util_err *err)
{
	size_t per_round = s->max / 4, rounds; /* expected; half the slots the most it may take */
	unsigned r, lo, hi;
	int rc = 0;

	set_release(s);
	if (s->spill == NULL || s->spilled == 0)
		return 0;
	if (fflush(s->spill) != 0)
		return util_fail(err, UTIL_EIO, "cannot write a temporary file");
	/* the spilled hashes are uniform: a round takes a range of their first two bytes, about
	 * spilled / rounds lines, and reads the whole spill (sequentially) */
	rounds = (s->spilled + per_round - 1) / per_round;
	rounds = rounds < 1 ? 1 : rounds > 65536 ? 65536 : rounds;
	for (r = 0; r < rounds && rc == 0; r++) {
		lo = (unsigned)(r * 65536 / rounds);
		hi = (unsigned)((r + 1) * 65536 / rounds);
		if (set_alloc(s, s->max) != 0)
			return util_fail(err, UTIL_ENOMEM, "out of memory");
		rc = spill_round(s, lo, hi, repeat, arg, err);
		set_release(s);
	}
	return rc;
}

void ctl_seen_free(ctl_seen *s)
{
	set_release(s);
	if (s->spill != NULL)
		fclose(s->spill);
	s->spill = NULL;
	keys_secret_free(s->key);
	s->key = NULL;
}
