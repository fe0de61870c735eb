/* ctl_import.h: what vaultctl import's files share: the reading of its FILE, the sealer, the checkpointer. */
#ifndef VAULTD_CTL_IMPORT_H
#define VAULTD_CTL_IMPORT_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

#include "../audit/audit.h"
#include "../vault/vault.h"

#define IMPORT_LINE_MAX (64u * 1024u)

/*
 * The next non-empty line of in, without its newline: its length, or -1 at the end. *lines
 * counts every line read, empty ones too, so that reports name lines as an editor does.
 */
ssize_t ctl_next_line(FILE *in, char **line, size_t *cap, size_t *lines);

/*
 * Reads one import line into in: by hand when it is in the plain form, else through jansson,
 * and then *doc holds what in's strings point into (json_decref it after use).
 */
int ctl_import_read(const vault_catalog *cat, const char *line, size_t n, vault_input *in, json_t **doc,
    util_err *err);

/* The audit entry of an imported record. */
audit_entry ctl_import_entry(const vault_prepared *p);

/*
 * The writing pass runs on two threads: a sealer reads the file again and seals each record
 * (parsing, checking, encryption, the blind index: most of the CPU), and the main thread stores
 * them in order with their audit entries. They meet in a ring of IMPORT_RING prepared records.
 * The sealer also encodes and hashes each record's audit entry (audit_entry_prepare) under the
 * number it will have if no other process appends meanwhile: seq0, the log's size when the
 * pass began, plus the record's place in the file; the storing thread takes it when it does.
 */
#define IMPORT_RING 16u

typedef struct import_feed {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* any change below, signalled only when someone waits */
	int waiting;         /* threads waiting on cond */
	size_t head, tail;   /* records sealed, records taken: the ring holds head - tail */
	int done;            /* the sealer has stopped: at the end of the file, or failed */
	int stop;            /* the main thread asks it to stop */
	util_err err;        /* a failure of the sealer, at line err_line */
	size_t err_line;
	/* the sealer's own */
	vault *v;
	const vault_catalog *cat;
	FILE *in;
	vault_input *input;
	vault_prepared *ring;
	audit_prepared *entries; /* IMPORT_RING of them, beside ring */
	int64_t seq0;            /* the log's size when the pass began */
	int64_t shift;           /* entries other processes appended since (ctl_import_reseq) */
	size_t line[IMPORT_RING];
} import_feed;

/* The sealer's thread (arg: the import_feed): seals records into the ring until the end or a stop. */
void *ctl_import_sealer(void *arg);
/*
 * The next sealed record, in file order, and *line its line; or NULL when there is none: the
 * sealer reached the end of the file (err and *line untouched) or failed (err filled, *line
 * the line it failed on).
 */
vault_prepared *ctl_import_next(import_feed *f, size_t *line, util_err *err);
/* The audit entry prepared for the record ctl_import_next returned, until ctl_import_taken. */
const audit_prepared *ctl_import_next_entry(import_feed *f);
/*
 * The k-th record stored (from 0) took entry number seq, not the one its entry was prepared
 * for: another process appended between two batches. The records sealed from now on expect
 * seq0 + shift + their place, with shift such that the k-th would have got seq.
 */
void ctl_import_reseq(import_feed *f, size_t k, int64_t seq);
/* Gives the record ctl_import_next returned back to the sealer. */
void ctl_import_taken(import_feed *f, vault_prepared *p);
/* Asks the sealer to stop and waits for its thread th. */
void ctl_import_stop(import_feed *f, pthread_t th);

/*
 * While records are written, a third thread on its own connection copies committed WAL frames
 * into both files (passive checkpoints, which never wait for the writer): the checkpoint that
 * a commit would otherwise run itself, on the thread that stores, was about a seventh of it.
 *
 * SQLite starts a WAL over only at a write of a transaction that began reading when every
 * frame had been copied. A batch begins the moment the last one committed, before its frames
 * are copied, so the WAL never started over: it grew by every batch (2.5 GB at 1,000,000
 * records), and each commit extended the file, with new blocks to allocate and page cache to
 * fill, 13% of the storing thread. So after each commit the storing thread asks for a drain
 * (ctl_import_ckpt_drain) and waits, at most IMPORT_DRAIN_MS, for one checkpoint pass of both
 * files begun after the commit; when it copied every frame, the next batch writes from the
 * WAL's start, over pages still cached. At 1,000,000 records the wait is 0.3 to 1.2 s a
 * batch, and the import 13 to 17% faster. A batch that ended to let another writer in (vaultd
 * on a live vault) does not wait: that writer goes on adding frames.
 *
 * The wait is every IMPORT_DRAIN_EVERY batches, not after each: in between, the checkpointer
 * copies a batch's frames while the next batch is stored, and the WAL holds two batches at
 * most. At 1,000,000 records in batches of 50,000, on a busy machine: 4.1 s of waiting
 * instead of 14.5 s.
 */
#define IMPORT_DRAIN_EVERY 2u
#define IMPORT_DRAIN_MS 5000 /* the longest wait for the WAL's copy between batches */
typedef struct import_ckpt {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on the monotonic clock */
	int stop;
	uint64_t asked, answered; /* drains asked for; the last one a whole pass answered */
	vault *v;                 /* the checkpointer's own connection */
} import_ckpt;

/* The checkpointer's thread (arg: the import_ckpt, its connection in v). */
void *ctl_import_checkpointer(void *arg);
/*
 * Waits for one whole checkpoint pass that began after the ask, at most IMPORT_DRAIN_MS (see
 * ctl_import_feed.c). 0 when the pass answered, -1 when the limit came first.
 */
int ctl_import_ckpt_drain(import_ckpt *k);
/* Stops the checkpointer and waits for its thread th. */
void ctl_import_ckpt_stop(import_ckpt *k, pthread_t th);

#endif
