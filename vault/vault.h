/* vault.h: the encrypted citizen store: catalog, national IDs, field encryption, SQLCipher storage. */
#ifndef VAULTD_VAULT_H
#define VAULTD_VAULT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../keys/keys.h"
#include "../util/util.h"

/*
 * This header is the storage interface the layers above see. Nothing in it names SQLite: a
 * second backend (PostgreSQL, say) implements these same functions in another vault/store_*.c
 * and policy/ and api/ do not change. Every function returns 0 on success or -1 with err filled.
 */

/* Process-wide start-up: libsodium, and a jansson allocator that wipes memory on free. */
int vault_init(void) UTIL_WARN_UNUSED;
/* Wipes and frees memory jansson allocated for the caller (json_dumps). NULL is fine. */
void vault_json_free(void *p);

/* ---- field catalog ---- */

typedef enum vault_type { VAULT_T_STRING, VAULT_T_DATE, VAULT_T_ENUM, VAULT_T_INTEGER } vault_type;

typedef enum vault_pattern { VAULT_P_ANY, VAULT_P_DIGITS, VAULT_P_ALNUM, VAULT_P_PHONE, VAULT_P_EMAIL } vault_pattern;

#define VAULT_NAME_MAX 32u    /* a field name: [a-z0-9_], 1..32 */
#define VAULT_VALUE_MAX 1024u /* the longest value any catalog may allow, in bytes */
#define VAULT_MAX_FIELDS 64u
#define VAULT_MAX_ENUM 32u
#define VAULT_CATALOG_MAX (256u * 1024u)

typedef struct vault_field_def {
	char name[VAULT_NAME_MAX + 1];
	vault_type type;
	vault_pattern pattern;
	int sensitive;     /* category: 1 sensitive, 0 basic */
	size_t max_length; /* strings: bytes */
	long long min, max; /* integers */
	size_t nvalues;    /* enums */
	const char *values[VAULT_MAX_ENUM];
	char mask[16];     /* "none", "last3", "year", "province", "initials", "domain" */
	const char *desc_vi, *desc_en;
} vault_field_def;

typedef struct vault_catalog vault_catalog;

/* The catalog shipped in the binary (vault/catalog.json). */
extern const char vault_default_catalog[];

/* Parses and checks a catalog. *out owns its strings; free with vault_catalog_free. */
int vault_catalog_parse(const char *json, size_t n, vault_catalog **out, util_err *err) UTIL_WARN_UNUSED;
void vault_catalog_free(vault_catalog *cat);
size_t vault_catalog_count(const vault_catalog *cat) UTIL_NONNULL(1);
const vault_field_def *vault_catalog_at(const vault_catalog *cat, size_t i) UTIL_NONNULL(1);
/* The field named name (n bytes), or NULL. */
const vault_field_def *vault_catalog_find(const vault_catalog *cat, const char *name, size_t n) UTIL_NONNULL(1, 2);
/* The position (for vault_catalog_at) of the field named name (n bytes), or -1; hint is tried first. */
ptrdiff_t vault_catalog_pos(const vault_catalog *cat, const char *name, size_t n, size_t hint) UTIL_NONNULL(1, 2);

/*
 * Checks value against def and writes its canonical bytes (strings as given, integers in
 * decimal) into out (VAULT_VALUE_MAX bytes); *len gets the length. Errors name the field and
 * the rule broken, never the value.
 */
int vault_field_check(const vault_field_def *def, const json_t *value, char *out, size_t *len, util_err *err)
    UTIL_WARN_UNUSED;

/* A value as it was given, read from JSON by jansson (vault_value_of_json) or by vault_record_scan. */
typedef enum vault_value_type {
	VAULT_V_ABSENT, /* not given */
	VAULT_V_NULL,
	VAULT_V_STRING,
	VAULT_V_INTEGER,
	VAULT_V_OTHER /* a real, a boolean, an array or an object */
} vault_value_type;

typedef struct vault_value {
	vault_value_type type;
	const char *s; /* VAULT_V_STRING: n bytes, not NUL-terminated, in memory the filler owns */
	size_t n;
	long long i; /* VAULT_V_INTEGER */
} vault_value;

/* vault_field_check of a vault_value: the same rules and the same messages. */
int vault_value_check(const vault_field_def *def, const vault_value *value, char *out, size_t *len, util_err *err)
    UTIL_NONNULL(1, 2, 3, 4) UTIL_WARN_UNUSED;
/* What j (NULL: absent) holds. Strings point into j, which must outlive out. */
void vault_value_of_json(const json_t *j, vault_value *out) UTIL_NONNULL(2);
/* The JSON form of canonical bytes: a string, or an integer for VAULT_T_INTEGER. New reference. */
json_t *vault_field_json(const vault_field_def *def, const char *v, size_t len) UTIL_NONNULL(1, 2);

/*
 * The masked view of a canonical value, as the field's catalog mask says. Each mask shows its
 * part only when the value has the mask's form and the length below; any other value comes
 * back as VAULT_MASK_HIDDEN, whatever its length:
 *   "last3"    the last three characters, each hidden character as '*', for a value of at
 *              least VAULT_MASK_LAST3_MIN characters ("*********789");
 *   "year"     the year of a YYYY-MM-DD date ("1990");
 *   "province" the part after the last comma, trimmed of spaces, when something other than
 *              spaces and commas comes before that comma and the part is fewer than half
 *              the value's characters ("Hà Nội");
 *   "initials" the first character of each space-separated word with a '.', when the value
 *              has at least 4 characters (spaces aside) and more than twice as many as words
 *              ("N. V. A.");
 *   "domain"   "***" and the part from the last '@' on, when something comes before and
 *              after it ("***@example.vn").
 * Characters are UTF-8 characters; a value that is not UTF-8 is fully hidden. A value already
 * in masked form (its hidden part only '*', or VAULT_MASK_HIDDEN itself) masks to itself; no
 * other value does.
 * out holds 2 * VAULT_VALUE_MAX bytes. -1 for a field whose mask is "none".
 */
#define VAULT_MASK_HIDDEN "***"
#define VAULT_MASK_LAST3_MIN 6u
int vault_mask(const vault_field_def *def, const char *v, size_t len, char *out, size_t *outlen) UTIL_WARN_UNUSED;

/* ---- national IDs ---- */

#define VAULT_NID_LEN 12u
#define VAULT_INDEX_BYTES 32u

/* 0 when s (n bytes) is a well-formed CCCD number: 12 digits, a known province code, a valid
 * century/gender digit, a birth year not in the future. */
int vault_nid_check(const char *s, size_t n, util_err *err) UTIL_WARN_UNUSED;
/* The keyed blind index of a (checked) national ID: BLAKE2b-256 under the blind-index key. */
void vault_nid_index(const unsigned char key[KEYS_BYTES], const char *nid, unsigned char out[VAULT_INDEX_BYTES])
    UTIL_NONNULL(1, 2, 3);

/* ---- field encryption ---- */

#define VAULT_FIELD_OVERHEAD (1u + KEYS_NONCE_BYTES + KEYS_TAG_BYTES)

/*
 * Seals one value on its own under a citizen's DEK: out = version byte || nonce || ciphertext+tag,
 * (n + VAULT_FIELD_OVERHEAD bytes). The associated data binds the citizen id, the DEK version
 * and the field name, so a ciphertext moved to another field or citizen does not open. Records
 * are sealed whole (vault/record.c); this seals the TOTP secret, and sealed every value of a
 * format-1 record, which migration 7 opens.
 */
void vault_field_seal(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char *plain, size_t n, unsigned char *out);
/* Opens a sealed value into out (n - VAULT_FIELD_OVERHEAD bytes); UTIL_ECORRUPT if it fails. */
int vault_field_open(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char *sealed, size_t n, unsigned char *out,
    util_err *err) UTIL_WARN_UNUSED;

/* ---- the store ---- */

typedef struct vault vault;

/* How to unlock: exactly one of key_file or passphrase. */
typedef struct vault_unlock {
	const char *key_file;
	const char *passphrase;
	size_t passphrase_len;
	uint64_t kdf_ops, kdf_mem; /* vault_create with a passphrase: Argon2id limits; 0 = defaults */
} vault_unlock;

#define VAULT_ID_HEX 33u /* 16 bytes as hex, NUL-terminated */
#define VAULT_SCHEMA 12  /* the schema version (PRAGMA user_version) this program migrates a vault to */

/*
 * Creates a new vault in dir (created 0700 if missing; must not hold a vault already). With
 * u->key_file, a new random key file is created there (O_EXCL); with a passphrase, the root is
 * derived with Argon2id and the salt and limits are recorded in dir/vault.meta. catalog_json
 * NULL means the default catalog. Writes the new vault's id (hex) into vault_id.
 */
int vault_create(const char *dir, const vault_unlock *u, const char *catalog_json, char vault_id[VAULT_ID_HEX],
    util_err *err) UTIL_WARN_UNUSED;

/* Opens dir/vault.db, runs pending migrations and loads the keyring. UTIL_EKEY on a wrong key. */
int vault_open(vault **out, const char *dir, const vault_unlock *u, util_err *err) UTIL_WARN_UNUSED;
/* Another connection to the same vault, sharing keys and catalog: one per thread. */
int vault_clone(vault **out, vault *v, util_err *err) UTIL_WARN_UNUSED;
/*
 * The page cache, in KiB, of the main database of every connection vault_clone (vault.db) or
 * vault_sql_clone_file (a module's file, such as audit.db) makes from now on; 0 keeps SQLite's default (2,000 KiB).
 * SQLCipher caches pages decrypted, so every page found there is a read and a decryption
 * saved. The memory is the caller's budget: a connection fills its cache up to this size.
 */
void vault_set_conn_cache(vault *v, int kib) UTIL_NONNULL(1);
/* Closes a connection; the shared part goes with the last one. */
void vault_close(vault *v);

const vault_catalog *vault_catalog_of(const vault *v) UTIL_NONNULL(1);
const char *vault_id(const vault *v) UTIL_NONNULL(1);
const keys_ring *vault_ring(const vault *v) UTIL_NONNULL(1);

/* Signs m with the vault's Ed25519 key (receipts, checkpoints); its public half into pk. */
void vault_sign(vault *v, const unsigned char *m, size_t n, unsigned char sig[64]) UTIL_NONNULL(1, 4);
void vault_public_key(vault *v, unsigned char pk[32]) UTIL_NONNULL(1, 2);

/* Explicit transactions (batches). Other calls run in their own transaction when none is open. */
int vault_begin(vault *v, util_err *err) UTIL_WARN_UNUSED;
int vault_commit(vault *v, util_err *err) UTIL_WARN_UNUSED;
void vault_rollback(vault *v);
/*
 * Joins v's open transaction, or opens one (*mine = 1). vault_tx_end commits (ok) or rolls
 * back (!ok) only what it opened: 0 when ok and committed (or joined), else -1 (err filled
 * by a failed commit).
 */
int vault_tx_begin(vault *v, int *mine, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
int vault_tx_end(vault *v, int mine, int ok, util_err *err) UTIL_NONNULL(1);
/*
 * A read snapshot when no transaction is open: the reads between begin and end see one state
 * of the database and take no write lock. Inside an open transaction both do nothing.
 */
int vault_read_begin(vault *v, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1);
void vault_read_end(vault *v) UTIL_NONNULL(1);
/* 1 while v has a write transaction open; 1 inside a read snapshot (vault_read_begin). */
int vault_in_tx(const vault *v) UTIL_NONNULL(1);
int vault_in_read(const vault *v) UTIL_NONNULL(1);
/*
 * 1 when another connection, in this process or another, waits to begin a write (it waits at
 * the vault's write turnstile until SQLite's write lock is free). A batch that holds the lock
 * commits early when it sees one, so that vaultd's audit writer is not kept waiting.
 */
int vault_writers_waiting(vault *v) UTIL_NONNULL(1);

/*
 * Savepoints, for the group commit (vault/group.c): one unit's changes inside v's open
 * transaction. vault_savepoint opens it (UTIL_ESTATE when no transaction is open);
 * vault_savepoint_release keeps its changes in the transaction; vault_savepoint_rollback
 * undoes them alone and ends it. They do not nest. A rollback returns -1 (err filled, v's
 * transaction rolled back) when the transaction itself is gone (SQLite ends it on some
 * errors, such as a full disk): nothing of it will commit.
 */
int vault_savepoint(vault *v, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1);
int vault_savepoint_release(vault *v, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1);
int vault_savepoint_rollback(vault *v, util_err *err) UTIL_NONNULL(1);

/*
 * Group commit of write units (vault/group.c): many callers' changes in one transaction and
 * one commit (one fsync per file), as the audit writer does for lookups' entries. One thread
 * owns a connection of its own (vault_clone: vault.db with every module's file attached).
 * A unit is fn(v, ctx, err) on that connection, inside the group's open transaction (so the
 * library's functions join it: vault_tx_begin), in a savepoint of its own: 0 keeps its
 * changes; -1 (err filled) rolls them back alone, and the others of its batch go on. A unit
 * must not end the transaction (vault_commit, vault_rollback). Once the batch's commit is
 * durable, or failed, done(ctx, rc, err) is called on the group's thread, outside its lock,
 * for every unit: rc 0 (err NULL) only when the unit's changes are committed; -1 with the
 * unit's own error when it failed, or the commit's when the commit failed (every unit of the
 * batch then fails). done must not block. ctx and what it points to stay the caller's, valid
 * until done is called.
 */
typedef struct vault_group vault_group;
typedef int (*vault_unit_fn)(vault *v, void *ctx, util_err *err);
typedef void (*vault_unit_done)(void *ctx, int rc, const util_err *err);

typedef struct vault_group_stats {
	uint64_t commits;   /* batches committed */
	uint64_t units;     /* units run (kept or failed) */
	uint64_t failed;    /* units that failed on their own (rolled back to their savepoint) */
	uint64_t max_batch; /* the most units in one batch */
	uint64_t queued;    /* units waiting now */
} vault_group_stats;

#define VAULT_GROUP_QUEUE_MAX 4096u /* units waiting at most: vault_group_submit fails with UTIL_EBUSY past it */
#define VAULT_GROUP_BATCH_MAX 64u   /* units in one transaction at most: the write lock is held while they run */

/*
 * 1 on the group's connection while it runs a batch's units: work a unit would do for the
 * whole transaction at its end may be noted for vault_commit instead (vault_sql_before_commit),
 * once for the batch.
 */
int vault_in_group(const vault *v) UTIL_NONNULL(1);
/* Starts a group on its own connection to the vault of v. */
int vault_group_start(vault_group **out, vault *v, util_err *err) UTIL_WARN_UNUSED;
/* Queues a unit and returns at once: 0, or -1 with UTIL_EBUSY (queue full) or UTIL_ESTATE (stopping). */
int vault_group_submit(vault_group *g, vault_unit_fn fn, vault_unit_done done, void *ctx, util_err *err)
    UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3);
/* Runs a unit and waits until it is durable (0) or failed (-1, err filled); waits for room in a full queue. */
int vault_group_run(vault_group *g, vault_unit_fn fn, void *ctx, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
void vault_group_stats_get(vault_group *g, vault_group_stats *st) UTIL_NONNULL(1, 2);
/* Runs what is queued, stops the thread, closes its connection. NULL is fine. */
void vault_group_stop(vault_group *g);

/*
 * Bulk mode for imports: a larger page cache (128 MiB for vault.db, each module's file its
 * bulk_cache_kib: 32 MiB for audit.db; so that vaultctl import stays within 256 MiB of memory
 * whatever the file's size) and a WAL checkpointed less often; commits still wait
 * for fsync, as the order of the files' commits needs. vault_bulk_end restores the defaults
 * and checkpoints every file with fsync.
 */
int vault_bulk_begin(vault *v, util_err *err) UTIL_WARN_UNUSED;
int vault_bulk_end(vault *v, util_err *err) UTIL_WARN_UNUSED;
/*
 * In bulk mode, a writer can leave its checkpoints to another connection (vault_clone of it)
 * that calls vault_checkpoint_passive in a loop: vault_bulk_checkpoints_elsewhere turns the
 * writer's own automatic checkpoints off until vault_bulk_end (if it fails, the writer goes on
 * checkpointing as before). A passive checkpoint copies what is committed in every file's WAL
 * without waiting for any writer. (vault/sqlite_bulk.c)
 */
int vault_bulk_checkpoints_elsewhere(vault *v, util_err *err) UTIL_NONNULL(1);
void vault_checkpoint_passive(vault *v) UTIL_NONNULL(1);

/* ---- citizens ---- */

#define VAULT_TOTP_SECRET_BYTES 20u

/*
 * Enrols a citizen: checks the national ID and every field against the catalog (unknown field
 * names are refused), stores the blind index, a new wrapped DEK, each field sealed, and a new
 * TOTP secret sealed. cid gets the new citizen id; totp (secret memory, may be NULL) gets the
 * TOTP secret. UTIL_EEXISTS if the national ID is already enrolled.
 */
int vault_citizen_create(vault *v, const char *nid, const json_t *fields, unsigned char cid[KEYS_CID_BYTES],
    unsigned char *totp, util_err *err) UTIL_WARN_UNUSED;

/*
 * A would-be record: its national ID and its values by catalog position (vault_catalog_at).
 * Strings point into what it was filled from. The ID is personal data: keep it in secret memory.
 */
typedef struct vault_input {
	char nid[VAULT_NID_LEN + 1];
	vault_value v[VAULT_MAX_FIELDS];
} vault_input;

/*
 * Fills in from nid and a fields object after checking the ID and the object's shape (known
 * names only, national_id not among them); the values are checked when they are sealed, or by
 * vault_input_check. in's strings point into fields, which must outlive it.
 */
int vault_input_from_json(const vault_catalog *cat, const char *nid, const json_t *fields, vault_input *in,
    util_err *err) UTIL_NONNULL(1, 4) UTIL_WARN_UNUSED;
/* Checks a would-be record without writing anything: the national ID and every value given. */
int vault_input_check(const vault_catalog *cat, const vault_input *in, util_err *err) UTIL_NONNULL(1, 2)
    UTIL_WARN_UNUSED;

/*
 * Reads an import line without jansson when it is in the plain form the bench and most exports
 * write: {"national_id":"...","fields":{...}} in that order, strings without escapes, integers of
 * at most 18 digits, no nulls, no repeated or unknown names, any JSON whitespace. Returns 1 with
 * in filled (strings point into line; nothing is checked against the catalog's rules yet: use
 * vault_input_check), or 0 when the line is in any other form, valid or not: the caller then
 * reads it with vault_record_parse and vault_input_from_json, which give the same input or the
 * error. It never reads past line + n.
 */
int vault_record_scan(const vault_catalog *cat, const char *line, size_t n, vault_input *in) UTIL_NONNULL(1, 2, 4);

/*
 * Enrolment in two steps, so that one thread can seal records while another stores them.
 * vault_citizen_prepare seals a checked input into p: a new citizen id, DEK and TOTP secret,
 * every value sealed, the blind index, the DEK wrapped under the current KEK. It reads only what
 * connections share (catalog, keyring), so it may run on any thread, beside v's own use.
 * vault_citizen_insert stores it (in the open transaction, or its own) as vault_citizen_create
 * does, wrapping the DEK again if the KEK was rotated in between. A prepared record holds the
 * DEK and the TOTP secret: vault_prepared_new allocates n of them in secret memory,
 * vault_prepared_wipe clears one, vault_prepared_free wipes and frees all.
 */
typedef struct vault_prepared vault_prepared;

vault_prepared *vault_prepared_new(size_t n);
vault_prepared *vault_prepared_at(vault_prepared *p, size_t i) UTIL_NONNULL(1);
void vault_prepared_wipe(vault_prepared *p) UTIL_NONNULL(1);
void vault_prepared_free(vault_prepared *p);
const unsigned char *vault_prepared_cid(const vault_prepared *p) UTIL_NONNULL(1);
const unsigned char *vault_prepared_totp(const vault_prepared *p) UTIL_NONNULL(1);
int vault_citizen_prepare(vault *v, const vault_input *in, vault_prepared *p, util_err *err) UTIL_NONNULL(1, 2, 3)
    UTIL_WARN_UNUSED;
int vault_citizen_insert(vault *v, vault_prepared *p, util_err *err) UTIL_NONNULL(1, 2) UTIL_WARN_UNUSED;

/*
 * Parses one import line, {"national_id": "<12 digits>", "fields": {...}} and nothing else,
 * into nid (13 bytes, secret memory advised) and *fields (a new reference). The message of a
 * refusal names the rule broken, never the line's content.
 */
int vault_record_parse(const char *line, size_t n, char *nid, json_t **fields, util_err *err) UTIL_WARN_UNUSED;

/* The blind index of a national ID under this vault's key (the ID is checked first). */
int vault_citizen_index(vault *v, const char *nid, unsigned char out[VAULT_INDEX_BYTES], util_err *err)
    UTIL_WARN_UNUSED;

/* Finds a citizen by national ID (checked first). UTIL_ENOTFOUND if none. */
int vault_citizen_find(vault *v, const char *nid, unsigned char cid[KEYS_CID_BYTES], util_err *err)
    UTIL_WARN_UNUSED;
/* The same by the blind index vault_citizen_index gave, for a caller that has it already. */
int vault_citizen_find_index(vault *v, const unsigned char index[VAULT_INDEX_BYTES], unsigned char cid[KEYS_CID_BYTES],
    util_err *err) UTIL_WARN_UNUSED;

/*
 * Reads fields: names (n of them) or, when names is NULL, every catalog field the record has.
 * Only those fields are decrypted. *out is a new object of name → value.
 */
int vault_citizen_read(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *const *names, size_t n,
    json_t **out, util_err *err) UTIL_WARN_UNUSED;

/*
 * What a lookup releases: fields names (n of them, n > 0) of the record, each in its masked
 * view (vault_mask) where masked[i] is nonzero. A masked field whose value has no masked view
 * is left out, never released whole. *out is a new object of name → value (its strings wiped
 * as freed, vault_init's allocator).
 */
int vault_citizen_release(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *const *names,
    const unsigned char *masked, size_t n, json_t **out, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4, 6);

/* Rectifies fields (set, or remove with JSON null). The national ID field cannot change. */
int vault_citizen_update(vault *v, const unsigned char cid[KEYS_CID_BYTES], const json_t *fields, util_err *err)
    UTIL_WARN_UNUSED;

/* Erasure by crypto-shredding: the wrapped DEK and the row go, with secure_delete on, and the citizen's correction requests. */
int vault_citizen_erase(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err) UTIL_WARN_UNUSED;

/* ---- correction requests: a citizen asks a registrar to correct a field of their record ---- */

#define VAULT_CORRECTION_ID_LEN 27u        /* "cr_" and 24 hex digits */
#define VAULT_NOTE_MAX 500u                /* bytes of a citizen's note or a registrar's reason */
#define VAULT_CORRECTIONS_PENDING_MAX 10u  /* a citizen's requests pending at once */

/* 1 when id has the form of a request's id. */
int vault_correction_id_ok(const char *id) UTIL_NONNULL(1);
/*
 * A citizen's request to correct field (a catalog field, not the national ID) to value (checked
 * against the field's rules, as a rectification is), with a note (may be NULL, at most
 * VAULT_NOTE_MAX bytes). The value and the note are personal data: they are sealed under the
 * citizen's data key, never stored in the clear. *id gets the new request's id. UTIL_EINVAL
 * names the rule broken (never the value); UTIL_ESTATE when VAULT_CORRECTIONS_PENDING_MAX are
 * pending already; UTIL_ENOTFOUND for no such citizen.
 */
int vault_correction_create(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *field, const json_t *value,
    const char *note, char id[VAULT_CORRECTION_ID_LEN + 1], util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4, 6);
/*
 * Gets one request: its citizen, and its view, a new object that fn takes (its strings wiped
 * as freed): {"id", "field", "value", "note" (or null), "state" ("pending", "applied",
 * "rejected"), "reason" (or null), "created_at", "decided_at" (or null), "decided_by" (or
 * null)}. 0 to go on; -1 (err filled) stops the list with -1.
 */
typedef int (*vault_correction_fn)(void *arg, const unsigned char cid[KEYS_CID_BYTES], json_t *view, util_err *err);
/*
 * One page of requests, opened: the citizen cid's in the order they were made, or, cid NULL,
 * everyone's, pending first; only those of state when it is not NULL. after: "" from the
 * start, else a page's next (UTIL_EINVAL when it is not one of this list's); at most limit to
 * fn; next gets the id to pass as after for the next page, "" on the last one.
 */
int vault_corrections_list(vault *v, const unsigned char *cid, const char *state, const char *after, int64_t limit,
    vault_correction_fn fn, void *arg, char next[VAULT_CORRECTION_ID_LEN + 1], util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 4, 6, 8);
/*
 * A registrar's answer to pending request id: applied (the proposed value is written to the
 * record, as vault_citizen_update does, in the same transaction) or rejected, with a reason
 * (may be NULL; sealed like the request) and who answered (by, "agency:<id>"). cid and field
 * get the request's citizen and field. UTIL_ENOTFOUND for no such request; UTIL_ESTATE when
 * it was answered already.
 */
int vault_correction_decide(vault *v, const char *id, int applied, const char *reason, const char *by,
    unsigned char cid[KEYS_CID_BYTES], char field[VAULT_NAME_MAX + 1], util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2, 5, 6, 7);

/* TOTP: the citizen's secret (VAULT_TOTP_SECRET_BYTES, into secret memory) and the last time
 * step a code was accepted for. UTIL_ENOTFOUND for no such citizen. */
int vault_citizen_totp(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char *secret, int64_t *last_step,
    util_err *err) UTIL_WARN_UNUSED;
/*
 * What vault_citizen_totp costs, for a national ID that is not enrolled: the same query, DEK
 * unwrap and open, of a secret sealed for no citizen (into secret, secret memory). -1 and err
 * only when storage fails; a login answers an unknown ID no faster than a known one.
 */
int vault_totp_decoy(vault *v, unsigned char *secret, util_err *err) UTIL_WARN_UNUSED;
/* Marks step used. UTIL_ESTATE if it is not newer than the last one (a replayed code). */
int vault_citizen_totp_use(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t step, util_err *err)
    UTIL_WARN_UNUSED;
/* Re-enrolment: a new secret replaces the old one (returned into secret, secret memory). */
int vault_citizen_totp_reset(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char *secret, util_err *err)
    UTIL_WARN_UNUSED;

/* Small secrets sealed under the keyring's box key, bound to a label (officers' TOTP secrets). */
#define VAULT_BOX_OVERHEAD (KEYS_NONCE_BYTES + KEYS_TAG_BYTES)
void vault_box_seal(vault *v, const char *label, const unsigned char *m, size_t n, unsigned char *out)
    UTIL_NONNULL(1, 2, 5);
int vault_box_open(vault *v, const char *label, const unsigned char *c, size_t n, unsigned char *out, util_err *err)
    UTIL_WARN_UNUSED;

/* BLAKE2b-256 of m keyed by the keyring's KEYS_RING_TOKEN or KEYS_RING_PSEUDONYM key. */
void vault_keyed_hash(vault *v, int which, const void *m, size_t n, unsigned char out[32]) UTIL_NONNULL(1, 5);

/* ---- keys and operations ---- */

/*
 * Adds a KEK version, rewraps every DEK under it in batches (fields are not touched), then
 * destroys the KEK versions no DEK uses any more. Safe while other processes read and write.
 */
int vault_rotate_kek(vault *v, uint32_t *new_version, uint64_t *rewrapped, util_err *err) UTIL_WARN_UNUSED;

/*
 * Changes the root key of the vault in dir from old to nu: a new key file created at
 * nu->key_file (O_EXCL), or a new passphrase. Writes a copy of the database re-encrypted under
 * the new page key (sqlcipher_export), rewraps the keyring in it, then renames it over
 * vault.db: at every instant exactly one of the two roots opens the vault, and vault_open
 * finishes an interrupted switch. Takes the vault's lock exclusively (vaultd must be stopped).
 */
int vault_rekey(const char *dir, const vault_unlock *old, const vault_unlock *nu, util_err *err) UTIL_WARN_UNUSED;

/* An online backup into a new directory dest: the database (still encrypted) and vault.meta. */
int vault_backup(vault *v, const char *dest, util_err *err) UTIL_WARN_UNUSED;

/*
 * Restores a backup directory src into dir, which must not hold a vault: the files are copied,
 * then opened with u to prove the key fits and the database is intact; on failure dir is left
 * without a vault again.
 */
int vault_restore(const char *src, const char *dir, const vault_unlock *u, util_err *err) UTIL_WARN_UNUSED;

typedef struct vault_stats {
	uint64_t citizens;
	uint32_t kek_current;
	size_t kek_versions;
	int schema_version;
	uint64_t db_bytes, wal_bytes;
} vault_stats;

int vault_stats_get(vault *v, vault_stats *st, util_err *err) UTIL_WARN_UNUSED;

/*
 * A named counter the vault keeps for another module (the audit log notes its size in it, so
 * that a copy of audit.db older than vault.db is caught). It only grows: vault_counter_raise
 * sets it to value when value is greater than what it holds, inside v's open transaction or
 * one of its own. name: a short constant. 0, or -1 with err filled.
 */
int vault_counter_raise(vault *v, const char *name, int64_t value, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
/* 1 and *value when counter name holds one; 0 when it holds none or cannot be read. */
int vault_counter_get(vault *v, const char *name, int64_t *value) UTIL_NONNULL(1, 2, 3);

/* Takes the vault's lock file: shared by readers and vaultd, exclusive for rekey and restore. */
int vault_lock(const char *dir, int exclusive, int *fd, util_err *err) UTIL_WARN_UNUSED;

/*
 * How the database is protected, as SQLCipher and SQLite report it (vault/sqlite_reports.c),
 * for the impact assessment: each an empty string when this build does not report it.
 */
typedef struct vault_storage_facts {
	char cipher_version[64], cipher[64], use_hmac[8], hmac_algorithm[64], page_size[16];
	char secure_delete[8], journal_mode[16];
} vault_storage_facts;

void vault_storage_facts_get(vault *v, vault_storage_facts *f) UTIL_NONNULL(1, 2);

#endif
