/* vault_private.h: what the vault's own files share, whatever the backend: keys, records, rows, meta. */
#ifndef VAULTD_VAULT_PRIVATE_H
#define VAULTD_VAULT_PRIVATE_H

#include <pthread.h>

#include "vault.h"
#include "sqlite.h"

#define VAULT_DB "vault.db"
#define VAULT_META "vault.meta"
#define VAULT_LOCK "vault.lock"
#define VAULT_TURN "vault.turn" /* the write turnstile (vault_begin) */
#define VAULT_META_MAX 4096u
#define VAULT_PATH_MAX 1100
#define VAULT_BUSY_MS 10000
#define VAULT_BUSY_POLL_US 200

/* A TOTP secret sealed for no citizen (decoy.c): none of it is secret. */
typedef struct vault_decoy {
	int made;
	uint32_t kek;
	unsigned char cid[KEYS_CID_BYTES];
	unsigned char wrapped[KEYS_WRAPPED_DEK_BYTES];
	unsigned char totp[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD];
} vault_decoy;

/* What every connection to one vault shares: keys, catalog, identity. */
typedef struct vault_shared {
	pthread_mutex_t mu;      /* refs */
	pthread_rwlock_t ring_mu; /* ring: read to use, write to reload */
	int refs;
	char dir[1024];
	char id[VAULT_ID_HEX];
	keys_root *root;
	keys_ring *ring;
	vault_catalog *cat;
	char *page_key; /* vault.db's "x'..'" then each module file's (VAULT_FILE_KEY), secret memory */
	int conn_cache_kib; /* page cache of the main database of connections made by connect_again; 0: SQLite's */
	vault_decoy decoy;  /* under mu */
} vault_shared;


/* ---- a citizen's record, sealed as one (record.c) ---- */

#define VAULT_RECORD_FORMAT 2u
#define VAULT_RECORD_HEAD (1u + KEYS_NONCE_BYTES)                 /* format || nonce */
#define VAULT_RECORD_OVERHEAD (VAULT_RECORD_HEAD + KEYS_TAG_BYTES) /* and the tag */
#define VAULT_RECORD_BUCKET_MIN 1024u
/* every catalog field and the national ID, each as long as a value may be, and the padding's marker */
#define VAULT_RECORD_ENTRIES_MAX (VAULT_MAX_FIELDS + 1u)
#define VAULT_RECORD_PLAIN_MAX (VAULT_RECORD_ENTRIES_MAX * (3u + VAULT_NAME_MAX + VAULT_VALUE_MAX) + 1u)
#define VAULT_REC_MAX (VAULT_RECORD_OVERHEAD + VAULT_RECORD_PLAIN_MAX)

/* One entry of an opened record; name and value point into the plaintext. */
typedef struct vault_rec_entry {
	const char *name; /* not NUL-terminated */
	size_t nlen;
	const unsigned char *value;
	size_t vlen;
} vault_rec_entry;

/* The padded size of a plaintext of need bytes (its entries and one byte of padding). */
size_t vault_record_bucket(size_t need);
/*
 * Writes one entry at plain + off (plain holds VAULT_RECORD_PLAIN_MAX bytes); returns the new
 * end, or 0 when the name or value is out of bounds or the record would outgrow its largest bucket.
 */
size_t vault_record_put(unsigned char *plain, size_t off, const char *name, size_t nlen, const void *value,
    size_t vlen) UTIL_WARN_UNUSED;
/*
 * Seals the record whose entries (len bytes) are at blob + VAULT_RECORD_HEAD, in place: pads
 * them to their bucket, writes the format and nonce before them and the tag after. blob holds
 * VAULT_REC_MAX bytes. Returns the stored size. The nonce is fresh random, never reused under a DEK.
 */
size_t vault_record_seal(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const unsigned char nonce[KEYS_NONCE_BYTES], unsigned char *blob, size_t len);
/*
 * Opens a stored record (n bytes) in place: its entries, *len bytes, are then at
 * blob + VAULT_RECORD_HEAD (secret: the caller wipes them). UTIL_ECORRUPT if it does not open.
 */
int vault_record_open(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, unsigned char *blob, size_t n, size_t *len, util_err *err) UTIL_WARN_UNUSED;
/* Splits opened entries (n bytes) into e (VAULT_RECORD_ENTRIES_MAX); -1 if they are malformed. */
int vault_record_entries(const unsigned char *plain, size_t n, vault_rec_entry *e, size_t *count) UTIL_WARN_UNUSED;

/*
 * Migration 7: rewrites up to limit records of format 1 (each value sealed on its own, names
 * in clear) with an id above *after as format 2, inside the caller's transaction; *after gets
 * the last id looked at and *done how many were rewritten. Needs the keyring loaded.
 */
int vault_citizen_reseal_v1(vault *v, int64_t *after, int64_t limit, int64_t *done, util_err *err);

/*
 * Per-connection working memory for plaintexts and data keys, in secret memory: allocated once
 * per connection (sodium_malloc costs system calls) and wiped after every operation.
 */
typedef struct vault_work {
	unsigned char rnd[KEYS_NONCE_BYTES]; /* a rewritten record's nonce (enrolment: vault_prepared) */
	unsigned char dek[KEYS_BYTES];
	char value[VAULT_VALUE_MAX + 1];
	unsigned char blob[VAULT_REC_MAX];
	unsigned char fresh[VAULT_REC_MAX];
	size_t used; /* bytes of blob and fresh to wipe */
} vault_work;

/* ---- the citizens table (sqlite_citizen.c): rows in and out; citizen.c opens and seals ---- */

/* A citizen's keys as stored: the KEK version, the DEK wrapped under it, the DEK's version. */
typedef struct vault_row_keys {
	uint32_t kek, dek_version;
	unsigned char wrapped[KEYS_WRAPPED_DEK_BYTES];
} vault_row_keys;

/* A new citizen's row. */
typedef struct vault_row_new {
	const unsigned char *cid, *index, *wrapped, *record, *totp;
	size_t rlen, tlen;
	uint32_t kek;
	int64_t now;
} vault_row_new;

/* Stores a new row: UTIL_EEXISTS when its national ID's index is already enrolled. */
int vault_row_insert(vault *v, const vault_row_new *r, util_err *err) UTIL_WARN_UNUSED;
/* The cid of the row with blind index `index`; UTIL_ENOTFOUND if none. */
int vault_row_find(vault *v, const unsigned char index[VAULT_INDEX_BYTES], unsigned char cid[KEYS_CID_BYTES],
    util_err *err) UTIL_WARN_UNUSED;
/* A row's keys, and its sealed record (at most max bytes, else UTIL_ECORRUPT) into record. */
int vault_row_load(vault *v, const unsigned char cid[KEYS_CID_BYTES], vault_row_keys *k, unsigned char *record,
    size_t max, size_t *rlen, util_err *err) UTIL_WARN_UNUSED;
/* Replaces a row's sealed record (rectification). */
int vault_row_set_record(vault *v, const unsigned char cid[KEYS_CID_BYTES], const unsigned char *record, size_t n,
    int64_t now, util_err *err) UTIL_WARN_UNUSED;
/* Deletes a row; UTIL_ENOTFOUND if there is none. */
int vault_row_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err) UTIL_WARN_UNUSED;
/*
 * The rows after `after` (the store's row number), at most limit, whose record is of format 1:
 * fn gets each one's number, cid and keys, its sealed record copied into v->work->blob (n bytes).
 * fn returns 0 to go on, -1 (err filled) to stop the walk with -1.
 */
typedef int (*vault_row_fn)(void *arg, int64_t id, const unsigned char *cid, const vault_row_keys *k, size_t n,
    util_err *err);
int vault_rows_v1(vault *v, int64_t after, int64_t limit, vault_row_fn fn, void *arg, util_err *err) UTIL_WARN_UNUSED;
/* Replaces the sealed record of row number id (the migration to format 2). */
int vault_row_set_record_at(vault *v, int64_t id, const unsigned char *record, size_t n, util_err *err)
    UTIL_WARN_UNUSED;
/* A row's keys, sealed TOTP secret and last step used. */
int vault_row_totp(vault *v, const unsigned char cid[KEYS_CID_BYTES], vault_row_keys *k,
    unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD], int64_t *last_step, util_err *err)
    UTIL_WARN_UNUSED;
/* Spends TOTP step `step`: UTIL_ESTATE when it (or a later one) was already used. One statement. */
int vault_row_totp_use(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t step, util_err *err) UTIL_WARN_UNUSED;
/* Replaces the sealed TOTP secret and forgets the last step. */
int vault_row_totp_set(vault *v, const unsigned char cid[KEYS_CID_BYTES],
    const unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD], util_err *err) UTIL_WARN_UNUSED;

/*
 * A citizen's data key (into dek, secret memory: the caller wipes it) and its version, for
 * values sealed apart from the record (correction requests). UTIL_ENOTFOUND for no such citizen.
 */
int vault_citizen_key(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char dek[KEYS_BYTES],
    uint32_t *dek_version, util_err *err) UTIL_WARN_UNUSED;

/* ---- the corrections table (sqlite_correction.c): rows in and out; correction.c opens and seals ---- */

/* A correction request's row; its pointers are valid until the callback that gets it returns. */
typedef struct vault_correction_row {
	const char *id, *field, *state, *decided_by; /* decided_by: "" while pending */
	const unsigned char *cid;
	const unsigned char *sealed, *reason; /* reason: NULL when none */
	size_t slen, rlen;
	int64_t created_at, decided_at; /* decided_at: 0 while pending */
} vault_correction_row;

/* Gets one row: 0 to go on, -1 (err filled) to stop the walk with -1. */
typedef int (*vault_correction_row_fn)(void *arg, const vault_correction_row *r, util_err *err);

/* A new pending request. */
int vault_row_correction_insert(vault *v, const char *id, const unsigned char cid[KEYS_CID_BYTES], const char *field,
    const unsigned char *sealed, size_t n, int64_t now, util_err *err) UTIL_WARN_UNUSED;
/* How many of cid's requests are pending. */
int vault_row_corrections_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t *n, util_err *err)
    UTIL_WARN_UNUSED;
/*
 * One page of requests: cid's (cid not NULL; in the order they were made), or everyone's (cid
 * NULL; pending first, then the answered, each in the order they were made), of one state
 * when state is not NULL. after: "" from the start, else the id of the page's last row before
 * (UTIL_EINVAL when it is not a row of this list). fn gets at most limit rows; *more is set
 * when more follow.
 */
int vault_row_corrections_page(vault *v, const unsigned char *cid, const char *state, const char *after,
    int64_t limit, vault_correction_row_fn fn, void *arg, int *more, util_err *err) UTIL_WARN_UNUSED;
/* Request id, to fn; UTIL_ENOTFOUND if there is none. */
int vault_row_correction_get(vault *v, const char *id, vault_correction_row_fn fn, void *arg, util_err *err)
    UTIL_WARN_UNUSED;
/* Answers pending request id: its state, the sealed reason (may be NULL), who and when. UTIL_ESTATE if it is not pending. */
int vault_row_correction_decide(vault *v, const char *id, const char *state, const unsigned char *reason, size_t rlen,
    const char *by, int64_t now, util_err *err) UTIL_WARN_UNUSED;
/* Deletes every request of cid (an erasure). */
int vault_row_corrections_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err) UTIL_WARN_UNUSED;

/* vault_field_seal with the caller's nonce (fresh random, never reused under one DEK). */
void vault_field_seal_nonce(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char nonce[KEYS_NONCE_BYTES], const unsigned char *plain,
    size_t n, unsigned char *out);

/* Wipes what the last operation left in v->work. */
void vault_work_wipe(vault *v);


/* dir/name into out (of n bytes); UTIL_EINVAL when it does not fit. */
int vault_db_path(char *out, size_t n, const char *dir, const char *name, util_err *err);
/* Opens v's own descriptor of the write turnstile, vault.turn (v->turn_fd; -1 without one). */
void vault_turn_open(vault *v);
/*
 * The paths of a vault's databases in dir, each name followed by suffix: vault.db, then each
 * registered module's file. Returns how many (paths holds 1 + VAULT_FILES_MAX), or -1.
 */
int vault_paths(const char *dir, const char *suffix, char paths[][VAULT_PATH_MAX], util_err *err);
/* Fills keys (secret memory of VAULT_KEYS_STR bytes) with root's two page-key strings. -1: no memory. */
int vault_page_keys(const keys_root *root, char *keys) UTIL_WARN_UNUSED;

/* Replaces the shared ring with a fresh load from the database (after another process rotated). */
int vault_ring_reload(vault *v, util_err *err);

/* Within a write transaction: makes sure the ring's current KEK is the vault's current one. */
int vault_kek_sync(vault *v, util_err *err);

/* The root key of dir unlocked with u according to its vault.meta (current or pending). */
int vault_meta_unlock(const char *dir, const vault_unlock *u, int pending, keys_root **root, char id[VAULT_ID_HEX],
    util_err *err);
/* The path of dir's vault.meta into out. */
int vault_meta_path(char *out, size_t n, const char *dir, util_err *err);
/*
 * A new vault's identity (into vault_id) and root (*root, the caller frees), described in a
 * new vault.meta; *key_created when a key file was made (the caller removes it on failure).
 */
int vault_meta_create(const char *dir, const vault_unlock *u, char vault_id[VAULT_ID_HEX], keys_root **root,
    int *key_created, util_err *err);
/*
 * Settles a pending root ("next") once the vault opened: promoted to the current root if it
 * is what opened the vault (promote), dropped if the current root did.
 */
int vault_meta_settle(const char *dir, int promote, util_err *err);
/* Records nu as the pending root ("next") in dir/vault.meta: a fresh salt for a passphrase. */
int vault_meta_set_next(const char *dir, const vault_unlock *nu, util_err *err);


/* The version whose steps need the keyring (records resealed): vault_open loads it before. */
#define VAULT_V_RESEAL 7
/* Registers the vault's own schema steps (vault_init). */
void vault_schema_register(void);
/* The registered modules' files, in order of registration. */
int vault_file_count(void);
const vault_file *vault_file_at(int i);
/*
 * The parts of a connection that the backend-neutral files use: the keys, catalog and decoy
 * every connection shares, its working memory, and enrolment's buffers (made on first use).
 */
vault_shared *vault_shared_of(vault *v) UTIL_NONNULL(1);
vault_work *vault_work_of(vault *v) UTIL_NONNULL(1);
vault_input **vault_input_slot(vault *v) UTIL_NONNULL(1);
vault_prepared **vault_prepared_slot(vault *v) UTIL_NONNULL(1);

/* group.c's: on while its connection runs a batch's units (vault_in_group). */
void vault_group_running(vault *v, int on) UTIL_NONNULL(1);

#endif
