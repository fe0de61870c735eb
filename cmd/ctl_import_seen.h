/* ctl_import_seen.h: the national IDs an import's checking pass has seen, in bounded memory whatever the file's size. */
#ifndef VAULTD_CTL_IMPORT_SEEN_H
#define VAULTD_CTL_IMPORT_SEEN_H

#include <stddef.h>
#include <stdio.h>

#include "../util/util.h"
#include "../vault/vault.h"

/*
 * Catches a national ID repeated within one file, by its blind index. The first lines' indexes
 * go into an open-addressing set in memory (16 bytes of each: the index is a keyed hash, so two
 * national IDs share them with a chance of about n^2 / 2^129), which grows up to max_slots
 * (a power of two; half of them used at most). Past that, the set stays as it is and still
 * catches a repeat of one of those lines at once; each later line's index, hashed again under
 * a key of this run only (so the file shows nothing but equalities that die with the run), is
 * spilled with its line number to an unlinked file, and ctl_seen_finish finds the repeats
 * among them in rounds, each holding at most max_slots / 2 of them in memory: the memory is
 * about 17 * max_slots bytes (twice that while the set grows), whatever the file's size.
 */
typedef struct ctl_seen {
	unsigned char (*slot)[16];
	unsigned char *used;
	size_t cap, n, max; /* slots, used slots, the most slots */
	FILE *spill;        /* the later lines, once the set is full; NULL before */
	size_t spilled;
	unsigned char *key; /* the run's key for the spill (secret memory) */
	const char *dir;    /* where the spill file is made (the vault's directory), or NULL: $TMPDIR */
} ctl_seen;

/* An empty set of at most max_slots slots (a power of two, at least 1024). 0 or -1. */
int ctl_seen_init(ctl_seen *s, size_t max_slots, const char *dir);
/* Line line's index: 1 when it repeats a line kept in memory, 0 when not (or not known yet), -1 on an error. */
int ctl_seen_add(ctl_seen *s, const unsigned char idx[VAULT_INDEX_BYTES], size_t line, util_err *err);
/*
 * After the last line: calls repeat(arg, line) for each spilled line whose index an earlier
 * spilled line had (in no particular order), and frees the set. 0 or -1.
 */
int ctl_seen_finish(ctl_seen *s, void (*repeat)(void *arg, size_t line), void *arg, util_err *err);
/* Frees everything (after ctl_seen_finish too). */
void ctl_seen_free(ctl_seen *s);

#endif
