/* audit_db.h: the audit log's storage operations, between audit/'s logic and its SQLite backend (sqlite_log.c). */
#ifndef VAULTD_AUDIT_DB_H
#define VAULTD_AUDIT_DB_H

#include "audit.h"

/*
 * Each operation reads or writes in v's open transaction (or snapshot), or on its own; none
 * opens one. A second backend implements these beside sqlite_log.c; the Merkle tree, the
 * signing and the settle's decisions stay in log.c.
 */

/* The stored Merkle hashes at idx[0..n) into out (an audit_hash_reader: ctx is the vault); -1 when one is missing. */
int audit_db_hashes(void *v, const int64_t *idx, size_t n, audit_hash *out);

/* Entry number seq as stored: the columns it is found by, and its canonical JSON. */
typedef struct audit_db_entry {
	int64_t seq, time;
	const unsigned char *cid; /* KEYS_CID_BYTES or NULL */
	const char *agency_id, *action, *decision;
	const char *json;
	size_t len;
} audit_db_entry;

/* Stores e and the Merkle hashes it completes (nh of them, numbered from base). */
int audit_db_put_entry(vault *v, const audit_db_entry *e, const audit_hash *hashes, int nh, int64_t base,
    util_err *err) UTIL_WARN_UNUSED;
/* Stores the copy of an entry beside the change it records (vault.db's audit_pending); *id its number. */
int audit_db_put_copy(vault *v, const char *json, size_t len, int64_t *id, util_err *err) UTIL_WARN_UNUSED;

/* Calls fn for each copy, oldest first; fn returns 0 to go on, -1 to stop (its error). */
typedef int (*audit_db_copy_fn)(void *arg, int64_t id, const char *json, size_t len);
int audit_db_copies(vault *v, audit_db_copy_fn fn, void *arg, util_err *err) UTIL_WARN_UNUSED;
/* 1 when the log holds entry seq with exactly the bytes e (n), 0 when not, -1 on an error. */
int audit_db_logged(vault *v, int64_t seq, const void *e, size_t n, util_err *err);
/* 1 when a settle already appended the copy whose hash is h, 0 when not, -1 on an error. */
int audit_db_settled(vault *v, const unsigned char h[32], util_err *err);
/* Notes that the copy whose hash is h was appended as entry seq. */
int audit_db_note_settled(vault *v, const unsigned char h[32], int64_t seq, util_err *err) UTIL_WARN_UNUSED;
/* Drops the copies numbered above after and below before. */
int audit_db_drop_copies(vault *v, int64_t after, int64_t before, util_err *err) UTIL_WARN_UNUSED;
/* The name of the vault counter that holds the log's size as vault.db last saw it. */
#define AUDIT_SIZE_COUNTER "audit_size"

/* The size of the signed head (0: none), and of the newest stored checkpoint with its time (0, 0: none). */
int64_t audit_db_head_size(vault *v);
void audit_db_last_checkpoint(vault *v, int64_t *size, int64_t *time);
/* Stores the signed head, or a checkpoint made now, of the log at size. */
int audit_db_put_head(vault *v, int64_t size, const char *note, util_err *err) UTIL_WARN_UNUSED;
int audit_db_put_checkpoint(vault *v, int64_t size, const char *note, util_err *err) UTIL_WARN_UNUSED;
/* The signed head's note (head) or the newest checkpoint's into out; UTIL_ENOTFOUND when none. */
int audit_db_note(vault *v, int head, char out[AUDIT_CHECKPOINT_MAX], util_err *err) UTIL_WARN_UNUSED;

/* ---- reading the whole log in order (verification, export) ---- */

/* Where the citizen index's runs end (audit_runs_head; 0: none yet). */
int audit_db_runs_upto(vault *v, int64_t *upto, util_err *err) UTIL_WARN_UNUSED;
/*
 * Calls fn for every entry in order of number: its canonical JSON (len bytes), and its citizen
 * column (cid of cid_len bytes; cid_len -1 when the column is empty). fn returns 0 to go on.
 */
typedef int (*audit_db_entry_fn)(void *arg, int64_t seq, const char *json, size_t len, const void *cid, int cid_len);
int audit_db_entries(vault *v, audit_db_entry_fn fn, void *arg, util_err *err) UTIL_WARN_UNUSED;
/* The stored hashes in order of index, one at a time: next gives 1 and the row, 0 at the end or on a malformed row. */
typedef struct audit_db_hash_cursor audit_db_hash_cursor;
audit_db_hash_cursor *audit_db_hash_cursor_open(vault *v, util_err *err);
int audit_db_hash_next(audit_db_hash_cursor *c, int64_t *idx, audit_hash *h);
void audit_db_hash_cursor_close(audit_db_hash_cursor *c);
/* Calls fn for each row of the citizen index's run start: an entry number and its citizen (len bytes). */
typedef void (*audit_db_run_fn)(void *arg, int64_t seq, const void *cid, int len);
int audit_db_run(vault *v, int64_t start, audit_db_run_fn fn, void *arg, util_err *err) UTIL_WARN_UNUSED;
/* How many rows the citizen index has in all. */
int audit_db_run_rows(vault *v, int64_t *n, util_err *err) UTIL_WARN_UNUSED;
/* Calls fn for each stored checkpoint's note by size, then the signed head's (is_head), if any. */
typedef int (*audit_db_note_fn)(void *arg, const char *note, size_t len, int is_head);
int audit_db_notes(vault *v, audit_db_note_fn fn, void *arg, util_err *err) UTIL_WARN_UNUSED;

/* ---- the officers' reads ---- */

/*
 * The condition of the partial index audit_emergency (sqlite_schema.c, migration 12): an
 * allowed lookup on the vital-interest basis. A statement that repeats it word for word reads
 * that index instead of every entry. The encoder escapes every quote inside a value, so only
 * the key itself can match.
 */
#define AUDIT_EMERGENCY_BASIS "vital_interest"
#define AUDIT_EMERGENCY_SQL                                                                                       \
	"action = 'lookup' AND decision = 'allow' AND instr(CAST(entry AS TEXT), '\"basis\":\"" AUDIT_EMERGENCY_BASIS  \
	"\"') > 0"

/* ---- the group-commit writer's connections (audit_log_clone) ---- */

/*
 * Tunes the writer's two connections: w checkpoints nothing on its own (ckpt does it), ckpt
 * keeps a small page cache (it copies WAL frames and reads nothing through it) and waits on a
 * busy WAL with busy(arg, count) (SQLite's busy-handler contract: nonzero to try again).
 */
void audit_db_writer_tune(vault *w, vault *ckpt, int (*busy)(void *arg, int count), void *arg);
/*
 * A checkpoint of ckpt's file: PASSIVE, or RESTART (restart) so that the WAL starts again from
 * its beginning. *frames gets the WAL's size in frames, *copied how many are in the file. -1
 * when it did not run (busy, full disk).
 */
int audit_db_wal_checkpoint(vault *ckpt, int restart, int *frames, int *copied);
/* The pages v wrote since the last call (in WAL mode, all it writes: WAL frames). */
int audit_db_pages_written(vault *v);

#endif
