/* audit.h: the tamper-evident audit log: entries, signed checkpoints, proofs, verification. */
#ifndef VAULTD_AUDIT_H
#define VAULTD_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "../vault/vault.h"
#include "merkle.h"

/*
 * One entry per decision (allow and deny), consent change, record write or erasure, key
 * operation and officer action. An entry names fields, never values; it names a citizen by the
 * vault's internal citizen id, never by national ID. Stored as canonical JSON (sorted keys,
 * compact), which is what the Merkle leaf hashes.
 */
typedef struct audit_entry {
	int64_t time;               /* 0: now */
	const char *actor;          /* "operator", "agency:<id>", "citizen", "officer:<id>", "system" */
	const char *action;         /* "lookup", "consent.approve", "record.create", ... */
	const unsigned char *cid;   /* KEYS_CID_BYTES, or NULL */
	const char *agency_id;
	const char *purpose_id;
	const char *const *fields;  /* names only */
	size_t nfields;
	const char *decision;       /* "allow", "deny", or NULL */
	const char *reason;
	const char *basis;
	const char *justification;
	const char *consent_id;
	const char *note;           /* a short fixed detail, never personal data */
} audit_entry;

#define AUDIT_ENTRY_MAX 8192u
#define AUDIT_CHECKPOINT_EVERY 1000  /* entries between stored checkpoints */
#define AUDIT_CHECKPOINT_SECONDS 60  /* or this long, whichever comes first */

/*
 * The canonical JSON of entry e numbered seq (its time, or now when it has none) into out, of
 * AUDIT_ENTRY_MAX bytes, NUL-terminated; *len its length. Fails (err) when e has no actor or
 * action, a string is not well-formed UTF-8, or the entry would not fit.
 */
int audit_entry_encode(const audit_entry *e, int64_t seq, int64_t now, char *out, size_t *len, util_err *err)
    UTIL_WARN_UNUSED UTIL_NONNULL(1, 4, 5);
/*
 * Reads "seq" and "citizen" of an entry in exactly the form audit_entry_encode writes, without
 * a JSON parser: 1 when bytes (NULL when len is 0, as SQLite gives an empty blob) are in that form, with *seq and citizen (its 32 hex digits, or ""
 * when the entry names none). 0 when they are not (citizen ""): they may still be valid JSON,
 * for a JSON parser to read.
 */
int audit_entry_scan(const char *bytes, size_t len, int64_t *seq, char citizen[2 * KEYS_CID_BYTES + 1])
    UTIL_WARN_UNUSED UTIL_NONNULL(3, 4);

/*
 * Appends e inside v's open transaction, or in one of its own. The log's signed head is
 * updated in the same transaction, and a checkpoint stored when one is due, so that what
 * commits is always covered by a signature. *seq (may be NULL) gets the entry's number.
 */
int audit_record(vault *v, const audit_entry *e, int64_t *seq, util_err *err) UTIL_WARN_UNUSED;

/* Appends entries without signing: the caller (the batch writer) calls audit_seal once. */
int audit_append(vault *v, const audit_entry *e, int64_t *seq, util_err *err) UTIL_WARN_UNUSED;
/*
 * The audit log is audit.db; the change an entry records is mostly in vault.db. SQLite commits
 * the two files one after the other (vault.db first), so audit_append on a connection to both
 * also leaves a copy of the entry in vault.db (audit_pending), committed with the change
 * (audit_record, in a transaction of its own, changes nothing in vault.db and leaves none).
 * audit_settle, in two transactions of one file each, first appends at the end of the log,
 * with their own time and a new number, the entries of copies a stop kept out of it (noting
 * each copy's hash in audit_settled, so that none is appended twice), then drops the copies
 * and notes the log's size in vault.db. *appended counts the entries appended; *unreadable the
 * copies that are not entries (left in place, to be looked at). vaultd settles when it starts
 * and every 30 s, vaultctl whenever it opens a vault and after each import batch.
 */
int audit_settle(vault *v, int64_t *appended, int64_t *unreadable, util_err *err) UTIL_WARN_UNUSED;

/*
 * An import's batch: thousands of entries in one transaction share one copy in vault.db
 * instead of a row each (a row, its index entry and its removal cost the import more than its
 * entry did). audit_batch_append appends e as audit_append does, and gathers its canonical
 * JSON in b; audit_batch_store, in the same transaction before its commit, writes what b
 * gathered as one row of audit_pending, the entries one per line (canonical JSON holds no
 * newline). After the commit, audit_batch_settle drops that row in a transaction of vault.db
 * when the log holds the batch's last entry with its bytes (audit.db commits a transaction
 * whole, so then it holds them all), and otherwise settles as audit_settle does, which
 * appends the entries of a copy of many lines one by one. b is empty again after it, or after
 * audit_batch_reset (a rolled-back batch). audit_batch_new: NULL when out of memory.
 */
typedef struct audit_batch audit_batch;
audit_batch *audit_batch_new(void);
void audit_batch_free(audit_batch *b);
void audit_batch_reset(audit_batch *b) UTIL_NONNULL(1);
int audit_batch_append(vault *v, audit_batch *b, const audit_entry *e, util_err *err) UTIL_WARN_UNUSED;
int audit_batch_store(vault *v, audit_batch *b, util_err *err) UTIL_WARN_UNUSED;
int audit_batch_settle(vault *v, audit_batch *b, int64_t *appended, util_err *err) UTIL_WARN_UNUSED;
/*
 * An entry encoded and hashed ahead, on another thread (an import's sealer), under the number
 * it expects to get (seq) and the time now: audit_entry_prepare. audit_batch_append_prepared
 * appends e as audit_batch_append does, taking p's bytes and leaf hash when the log's next
 * number is p->seq, and encoding e again (with the time then) when it is not; *seq (may be
 * NULL) gets the number it took.
 */
typedef struct audit_prepared {
	int64_t seq, time;
	size_t len;
	audit_hash leaf;
	char json[AUDIT_ENTRY_MAX];
} audit_prepared;
int audit_entry_prepare(const audit_entry *e, int64_t seq, int64_t now, audit_prepared *p, util_err *err)
    UTIL_WARN_UNUSED UTIL_NONNULL(1, 4);
int audit_batch_append_prepared(vault *v, audit_batch *b, const audit_entry *e, const audit_prepared *p,
    int64_t *seq, util_err *err) UTIL_WARN_UNUSED;

/*
 * The log is a file of its own, audit.db, attached to every connection to the vault as
 * "audit" (audit/sqlite_schema.c registers it, with its schema, when the program starts).
 * audit_log_clone makes a connection to audit.db alone, as its main database: its
 * transactions lock audit.db only, so the group-commit writer never holds vault.db's write
 * lock. audit_log_only tells such a connection (1) from one to the whole vault (0).
 */
int audit_log_clone(vault **out, vault *v, util_err *err) UTIL_WARN_UNUSED;
int audit_log_only(const vault *v) UTIL_NONNULL(1);
/*
 * Notes that v's open transaction wrote row id of audit_pending (audit_append's copy of its
 * entry). SQLite commits vault.db before audit.db; when a COMMIT then fails, vault_commit asks
 * whether that row is there: if it is, vault.db's part committed, the change stands (its entry
 * waits as a copy for audit_settle), and vault_commit reports success.
 */
void audit_note_copy(vault *v, int64_t id) UTIL_NONNULL(1);
/*
 * Has v's open transaction sealed (audit_seal) just before its COMMIT, once: audit_record does
 * so in a group's batch (vault_in_group) instead of signing the head after each entry.
 */
void audit_seal_at_commit(vault *v) UTIL_NONNULL(1);

/* Signs the current head and stores a checkpoint if one is due (force: always, if the log grew). */
int audit_seal(vault *v, int force, util_err *err) UTIL_WARN_UNUSED;

/* The log's origin line, "vaultd/<vault id>", also the checkpoint key name. */
void audit_origin(vault *v, char out[AUDIT_ORIGIN_MAX + 1]);

/* Number of entries. */
int audit_size(vault *v, int64_t *n, util_err *err) UTIL_WARN_UNUSED;

/*
 * The entries about one citizen, newest first, read in one snapshot: fn gets each one's number,
 * action and canonical JSON (len bytes, not NUL-terminated), and returns nonzero to stop.
 */
typedef int (*audit_history_fn)(void *arg, int64_t seq, const char *action, const void *entry, size_t len);
int audit_history(vault *v, const unsigned char cid[KEYS_CID_BYTES], audit_history_fn fn, void *arg, util_err *err)
    UTIL_WARN_UNUSED;

/*
 * The citizen index is written in runs of AUDIT_RUN_ENTRIES entries, each when its last entry
 * is appended. audit_runs_catch_up writes, in the open transaction, the runs a log of size
 * entries should have and lacks (after a migration, or appends by a program without runs).
 */
#define AUDIT_RUN_ENTRIES 8192 /* migration 6 (sqlite_schema.c) builds runs of this size too */
int audit_runs_catch_up(vault *v, int64_t size, util_err *err) UTIL_WARN_UNUSED;

/* The latest stored checkpoint (signed note) into out; UTIL_ENOTFOUND if none yet. */
int audit_latest_checkpoint(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
    UTIL_WARN_UNUSED;
/*
 * The log's signed head (a signed note in the same form, re-signed at each commit, so it covers
 * every committed entry) into out; UTIL_ENOTFOUND if the log is empty. Reading it stores
 * nothing: a proof for an entry newer than the latest checkpoint uses it, and checkpoints keep
 * their cadence (AUDIT_CHECKPOINT_EVERY, AUDIT_CHECKPOINT_SECONDS).
 */
int audit_signed_head(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
    UTIL_WARN_UNUSED;

/* Reads entry seq (its canonical JSON, NUL-terminated, into out of AUDIT_ENTRY_MAX). */
int audit_entry_get(vault *v, int64_t seq, char *out, size_t *len, util_err *err) UTIL_WARN_UNUSED;

/* Inclusion proof of entry seq against the tree of size n; consistency proof from m to n. */
int audit_inclusion(vault *v, int64_t seq, int64_t n, audit_hash *proof, size_t *len, util_err *err)
    UTIL_WARN_UNUSED;
int audit_consistency(vault *v, int64_t m, int64_t n, audit_hash *proof, size_t *len, util_err *err)
    UTIL_WARN_UNUSED;

/* What a verification found. ok = 1 when nothing is wrong. */
typedef struct audit_report {
	int ok;
	int64_t entries;
	int64_t checkpoints;
	int64_t head_size;
	int64_t first_bad;   /* -1, or the first entry found wrong */
	int64_t bad_from;    /* when only a range can be named: (bad_from, first_bad] */
	char problem[160];
} audit_report;

/*
 * Recomputes the tree from the entries and checks: numbering without gaps, each entry's own
 * seq, the stored hashes, every stored checkpoint and the head (signature, and root at its
 * size), and that no checkpoint is larger than the log. Needs memory for the stored hashes
 * (64 bytes per entry).
 */
int audit_verify(vault *v, audit_report *r, util_err *err) UTIL_WARN_UNUSED;

/*
 * Writes the whole log as JSON Lines: a header (origin, public key), one line per entry with
 * its exact bytes, then every checkpoint and the head. audit_verify_export checks such a file
 * with nothing but the public key.
 */
int audit_export(vault *v, FILE *out, util_err *err) UTIL_WARN_UNUSED;
int audit_verify_export(FILE *in, const unsigned char pk[32], audit_report *r, util_err *err) UTIL_WARN_UNUSED;

/*
 * Group commit. One writer thread owns a connection; callers hand it entries and wait. Each
 * batch is one transaction and one fsync; audit_writer_append returns once the entry is durable.
 */
typedef struct audit_writer audit_writer;

typedef struct audit_writer_stats {
	uint64_t batches, entries, max_batch;
	uint64_t fsync_ns_total, fsync_ns_max;
	uint64_t wal_restarts; /* the checkpointer's RESTARTs: the WAL starts over at the next write */
	uint64_t wal_frames;   /* pages the batches wrote to the WAL (SQLITE_DBSTATUS_CACHE_WRITE) */
} audit_writer_stats;

/* Starts a writer on its own connection to the vault of v. */
int audit_writer_start(audit_writer **out, vault *v, util_err *err) UTIL_WARN_UNUSED;
/*
 * Under load (the last batch held more than one entry), the writer waits up to wait_us for
 * as many entries as the last batch held, at most batch, before committing; wait_us 0 never
 * waits. By default AUDIT_GATHER_US and AUDIT_GATHER_MIN: at 1,000,000 citizens they took the
 * batches from about 8 entries to 24-28, and the writer's CPU per entry down by a third.
 */
#define AUDIT_GATHER_US 1000
#define AUDIT_GATHER_MIN 32
void audit_writer_set_gather(audit_writer *w, unsigned wait_us, unsigned batch);
/*
 * Once the log's WAL holds this many frames (pages), the checkpointer, after copying them,
 * has it start over (writer.c says why). By default AUDIT_WAL_RESTART_FRAMES, about 4 MiB;
 * 0 never does.
 */
#define AUDIT_WAL_RESTART_FRAMES 1024
void audit_writer_set_wal_restart(audit_writer *w, unsigned frames);
/*
 * Queues e and returns at once; done(ctx, 0, seq, NULL) is called from the writer's thread
 * once e is durable, or done(ctx, -1, -1, err) if its batch failed. e and everything it
 * points to must stay valid until done is called; done must not block.
 */
typedef void (*audit_done)(void *ctx, int rc, int64_t seq, const util_err *err);
int audit_writer_submit(audit_writer *w, const audit_entry *e, audit_done done, void *ctx, util_err *err)
    UTIL_WARN_UNUSED;
/*
 * audit_writer_submit without waking the writer: e is written with the next batch, at the
 * latest after the checkpointer's next tick (a quarter second), at a time that has nothing to
 * do with the caller's (a failed login's answer must not take longer for writing it).
 */
int audit_writer_submit_later(audit_writer *w, const audit_entry *e, audit_done done, void *ctx, util_err *err)
    UTIL_WARN_UNUSED;
/* Appends e and waits until it is durable; *seq gets its number. */
int audit_writer_append(audit_writer *w, const audit_entry *e, int64_t *seq, util_err *err) UTIL_WARN_UNUSED;
void audit_writer_stats_get(audit_writer *w, audit_writer_stats *st);
/* Writes what is queued, stops the thread, closes the connection. */
void audit_writer_stop(audit_writer *w);

/* ---- what the privacy reports read (audit/sqlite_reports.c) ---- */

/* Gets one entry of the log: its seq and its bytes (len, not NUL-terminated), valid until it
 * returns. 0 to go on; -1 (err filled) stops the walk, which then returns -1. */
typedef int (*audit_report_entry_fn)(void *arg, int64_t seq, const void *entry, size_t len, util_err *err);

/* Every lookup entry whose time is in [from, to], in log order. 0, or -1 with err filled. */
int audit_report_lookups(vault *v, int64_t from, int64_t to, audit_report_entry_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 4) UTIL_WARN_UNUSED;
/* The number of signed checkpoints stored. 0, or -1 with err filled. */
int audit_checkpoint_count(vault *v, int64_t *n, util_err *err) UTIL_NONNULL(1, 2) UTIL_WARN_UNUSED;

/* ---- what officers and citizens search for (audit/sqlite_reports.c) ---- */

/* An officer's audit search: entries after seq `after` (-1: from the first), whose time is in
 * [from, to], and, where given, of that agency, decision ("allow", "deny") and action. */
typedef struct audit_query {
	int64_t after, from, to, limit;
	const char *agency_id, *decision, *action; /* NULL: any */
} audit_query;

/*
 * At most q->limit entries that q matches, in log order: fn gets each. *more is set when more
 * follow. 0, or -1 with err filled.
 */
int audit_search(vault *v, const audit_query *q, audit_report_entry_fn fn, void *arg, int *more, util_err *err)
    UTIL_NONNULL(1, 2, 3, 5) UTIL_WARN_UNUSED;

/*
 * The allowed lookups on legal basis `basis` (e.g. "vital_interest") after seq `after` (-1: from
 * the first), in log order: fn gets each, and returns 0 to go on, 1 to stop there (the walk
 * then returns 0) or -1 (err filled) to fail it. 0, or -1 with err filled.
 */
int audit_allowed_on_basis(vault *v, const char *basis, int64_t after, audit_report_entry_fn fn, void *arg,
    util_err *err) UTIL_NONNULL(1, 2, 4) UTIL_WARN_UNUSED;
/* Entry seq, when it is an allowed lookup on basis: fn gets it. 0; -1 with UTIL_ENOTFOUND when it is not. */
int audit_allowed_on_basis_get(vault *v, const char *basis, int64_t seq, audit_report_entry_fn fn, void *arg,
    util_err *err) UTIL_NONNULL(1, 2, 4) UTIL_WARN_UNUSED;

/* ---- what the officers' dashboard counts (audit/sqlite_counts.c) ---- */

#define AUDIT_REASONS_MAX 32 /* distinct denial reasons counted apart; more count as "other" */
#define AUDIT_REASON_MAX 40  /* bytes of a reason kept */

/* n lookups of UTC day `day` (days since the epoch) by agency_id ("" when none), allowed or denied. */
typedef void (*audit_day_count_fn)(void *arg, int64_t day, const char *agency_id, int allowed, int64_t n);
/* n denied lookups with this reason ("" when the entry names none). */
typedef void (*audit_reason_count_fn)(void *arg, const char *reason, int64_t n);
/* One allowed lookup: its seq and agency ("" when none). 0 to go on; -1 (err filled) stops the walk. */
typedef int (*audit_access_fn)(void *arg, int64_t seq, const char *agency_id, util_err *err);

/*
 * The lookup entries whose time is in [from, to]: counted per UTC day, agency and decision, in
 * order of day, agency, then denied before allowed (audit_lookups_per_day); the denied ones
 * counted per reason (audit_denials_by_reason); the allowed ones on legal basis `basis`, each
 * given in log order (audit_allowed_on_basis_in). Each reads the index of lookups by time, so
 * its cost follows the lookups of the period, not the log's size. 0, or -1 with err filled.
 */
int audit_lookups_per_day(vault *v, int64_t from, int64_t to, audit_day_count_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 4) UTIL_WARN_UNUSED;
int audit_denials_by_reason(vault *v, int64_t from, int64_t to, audit_reason_count_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 4) UTIL_WARN_UNUSED;
int audit_allowed_on_basis_in(vault *v, const char *basis, int64_t from, int64_t to, audit_access_fn fn, void *arg,
    util_err *err) UTIL_NONNULL(1, 2, 5) UTIL_WARN_UNUSED;

/* *about = 1 when entry seq exists and names the citizen cid, else 0. 0, or -1 with err filled. */
int audit_entry_is_about(vault *v, int64_t seq, const unsigned char cid[KEYS_CID_BYTES], int *about, util_err *err)
    UTIL_NONNULL(1, 3, 4) UTIL_WARN_UNUSED;

#endif
