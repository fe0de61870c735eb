/* auth_private.h: auth's storage seam: the domain operations on its tables that a backend implements. */
#ifndef VAULTD_AUTH_PRIVATE_H
#define VAULTD_AUTH_PRIVATE_H

#include "auth.h"

/*
 * auth/sqlite.c implements these over SQLite today; a PostgreSQL backend adds auth/pg.c with the
 * same functions. The rest of auth/ holds the logic and calls only these for its state. Each
 * runs in the caller's transaction when one is open. 0, or -1 with err filled (err may be NULL
 * where the caller ignores why).
 */

/* A token's row, as auth_db_token_find gives it. */
typedef struct auth_db_token {
	char kind[16];
	char subject[AUTH_SUBJECT_MAX];
	int64_t expires_at, last_used;
} auth_db_token;

/* A noted use of a token: its keyed hash and when. */
typedef struct auth_use {
	unsigned char hash[32];
	int64_t at;
} auth_use;

/* Stores a new token (its hash, never the secret) with last use 0. */
int auth_db_token_insert(vault *v, const unsigned char hash[32], const char *kind, const char *subject,
    int64_t expires_at, const char *id, const char *prefix, util_err *err);
/* The token stored under hash: 0 and *out; -1 when there is none, or it cannot be read. */
int auth_db_token_find(vault *v, const unsigned char hash[32], auth_db_token *out);
/* Records the uses, each only where it is later than the stored one, in one transaction. */
int auth_db_token_uses(vault *v, const auth_use *uses, size_t n);
/* The tokens of subject valid at now, oldest first, at most max; *n of them; hashes into hashes. */
int auth_db_tokens_list(vault *v, const char *subject, int64_t now, auth_token_info *out,
    unsigned char (*hashes)[32], size_t max, size_t *n, util_err *err);
/* Every token of subject ends at until at the latest; the ones ended by now go; *left those that stay. */
int auth_db_tokens_cut(vault *v, const char *subject, int64_t until, int64_t now, int *left, util_err *err);
/* Drops every token of subject. */
int auth_db_tokens_delete(vault *v, const char *subject, util_err *err);
/* Drops the token id of subject valid at now; UTIL_ENOTFOUND when there is none. */
int auth_db_token_delete_id(vault *v, const char *subject, const char *id, int64_t now, util_err *err);
/* Drops the session token stored under hash, if there is one. */
int auth_db_session_delete(vault *v, const unsigned char hash[32], util_err *err);

/* Stores a new officer with its sealed TOTP secret (n bytes). */
int auth_db_officer_insert(vault *v, const char *id, const char *name, const unsigned char *sealed, size_t n,
    int64_t created_at, util_err *err);
/* 1 active, 0 inactive or none, -1 unreadable. */
int auth_db_officer_active(vault *v, const char *id);
/* Sets the active flag; UTIL_ENOTFOUND when there is no such officer. */
int auth_db_officer_set_active(vault *v, const char *id, int active, util_err *err);
/*
 * The officer's sealed secret into sealed (cap bytes; *n its length) and last used step:
 * 0; -1 with err untouched when there is no such officer, err filled when storage failed.
 */
int auth_db_officer_totp(vault *v, const char *id, unsigned char *sealed, size_t cap, size_t *n, int64_t *last,
    util_err *err);
/* Spends step for the officer if it is later than the last one: 1 spent, 0 not (a replay), -1 err. */
int auth_db_officer_step(vault *v, const char *id, int64_t step, util_err *err);

/* Pseudonyms: pid is the 16 bytes of a registrar's pseudonym. */
int auth_db_pseudonym_insert(vault *v, const char *agency_id, const unsigned char pid[16],
    const unsigned char cid[KEYS_CID_BYTES], int enrolled, util_err *err);
int auth_db_pseudonym_find(vault *v, const char *agency_id, const unsigned char pid[16], int enrolled_only,
    unsigned char cid[KEYS_CID_BYTES]);
int auth_db_pseudonyms_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err);

#endif
