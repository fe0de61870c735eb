/* auth.h: who a caller is: bearer tokens, sessions, officers, TOTP checks and their lockout budgets,
 * registrars' pseudonyms. Nothing here knows HTTP: api/ reads headers and maps answers. */
#ifndef VAULTD_AUTH_H
#define VAULTD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../audit/audit.h"
#include "../vault/vault.h"

/*
 * The contract. auth/ owns the tables tokens, officers and pseudonyms: their schema steps are
 * auth/sqlite_schema.c's, every read and write of them goes through the functions below, and
 * the statements are in auth/sqlite.c alone, behind the storage seam of auth/auth_private.h.
 * Functions that write take the caller's transaction (vault_tx_begin) when one is open and
 * never commit one of their own, except the whole operations auth_admin_token,
 * auth_admin_token_rotate and auth_touches_store (each joins an open transaction too). Errors: 0, or -1 with err filled (util_err's codes: a full or failing disk is
 * UTIL_ENOSPC / UTIL_EIO / UTIL_EBUSY, an id that names nothing UTIL_ENOTFOUND). No message
 * carries a secret or a national ID.
 */

#define AUTH_ID_MAX 40u           /* officer ids and agency ids: the bound of POLICY_ID_MAX */
#define AUTH_SUBJECT_MAX 96       /* "admin", "agency:<id>", "citizen:<cid hex>", "officer:<id>" */
#define AUTH_SESSION_TTL 900      /* seconds a citizen's or an officer's session lasts */

/* ---- tokens ---- */

/*
 * A token is "vk_<kind>_" and 43 base64url characters of 32 random bytes (kind "admin",
 * "agency" or "session"); the vault keeps only a keyed hash of it, a public id ("tk_" and 16
 * hex digits, random) and its prefix: the kind and the first AUTH_TOKEN_PREFIX_CHARS characters
 * of the secret (36 of its 256 bits), for its holder to tell which token a listing means.
 */
#define AUTH_TOKEN_MAX 96
#define AUTH_ADMIN_TOKEN_MAX AUTH_TOKEN_MAX
#define AUTH_TOKEN_ID_MAX 20         /* "tk_" + 16 hex digits, NUL */
#define AUTH_TOKEN_PREFIX_CHARS 6    /* of the secret, shown in listings */
#define AUTH_TOKEN_PREFIX_MAX 24
#define AUTH_TOKEN_TOUCH_EVERY 60    /* seconds: a token's last use is stored at most this often */
#define AUTH_TOKEN_GRACE_MAX 86400   /* seconds an agency's old tokens may outlive a rotation */
#define AUTH_TOKENS_PER_AGENCY 20    /* tokens an agency may hold at once */

/*
 * Issues a token of kind for subject, valid ttl seconds (0: until revoked), into out (the
 * secret: the caller wipes it after use) and its public id into id (may be NULL). On failure
 * out is wiped.
 */
int auth_token_new(vault *v, const char *kind, const char *subject, int64_t ttl, char out[AUTH_TOKEN_MAX],
    char id[AUTH_TOKEN_ID_MAX], util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 5);

/* The kind a presented token claims by its form ("admin", "agency", "session"), or NULL: a
 * token of another form or length is never looked up. tok need not be NUL-terminated. */
const char *auth_token_kind(const char *tok, size_t n);

/*
 * Whom a token is for: its subject, stored as text ("admin", "agency:<id>", "citizen:<cid in
 * hex>", "officer:<id>"); the identity labels of the login budgets use the same forms. Only
 * these functions write or read that text.
 */
typedef enum auth_kind { AUTH_NOBODY = 0, AUTH_ADMIN, AUTH_AGENCY, AUTH_CITIZEN, AUTH_OFFICER } auth_kind;
typedef struct auth_subject {
	auth_kind kind;
	char id[AUTH_ID_MAX + 1];          /* AUTH_AGENCY, AUTH_OFFICER */
	unsigned char cid[KEYS_CID_BYTES]; /* AUTH_CITIZEN */
} auth_subject;
/* The subject of an agency's, a citizen's or an officer's tokens, into out. */
void auth_subject_agency(const char *agency_id, char out[AUTH_SUBJECT_MAX]) UTIL_NONNULL(1, 2);
void auth_subject_citizen(const unsigned char cid[KEYS_CID_BYTES], char out[AUTH_SUBJECT_MAX]) UTIL_NONNULL(1, 2);
void auth_subject_officer(const char *officer_id, char out[AUTH_SUBJECT_MAX]) UTIL_NONNULL(1, 2);
/* Reads a subject: 0 and *out, or -1 when it has none of the forms (an id over AUTH_ID_MAX too). */
int auth_subject_parse(const char *subject, auth_subject *out) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);

/* What a valid token says: whom it is for, the keyed hash it was found by, its stored last use, its end. */
typedef struct auth_token {
	auth_subject who;
	unsigned char hash[32];
	int64_t last_used;
	int64_t expires_at; /* INT64_MAX: never */
} auth_token;

/*
 * Checks a presented token (n bytes): of a known form, stored, of the kind its form claims,
 * not expired, and for a subject of a known form. 0 and *out filled, or -1 (whatever the
 * reason: a storage error too). The lookup is by the keyed hash: no byte of the secret is
 * compared. Whether the agency or officer named is still active is the caller's to check.
 */
int auth_token_check(vault *v, const char *tok, size_t n, auth_token *out) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 4);

/* Drops every token of subject (an erasure, a re-enrolment, a deactivated officer). */
int auth_tokens_revoke(vault *v, const char *subject, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
/* Drops the token id of subject if it is still valid; UTIL_ENOTFOUND otherwise. */
int auth_token_revoke_id(vault *v, const char *subject, const char *id, util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2, 3);
/* Signing out: drops the session token of this hash (nothing if it is not a session's). */
int auth_session_end(vault *v, const unsigned char hash[32], util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);

/*
 * An agency's rotation: every other token of subject stays valid until until at most (never
 * longer than it would), the expired ones go, and a new token is issued (auth_token_new) unless
 * subject would then hold more than AUTH_TOKENS_PER_AGENCY (UTIL_EEXISTS). id may be NULL.
 */
int auth_tokens_rotate(vault *v, const char *subject, int64_t until, char out[AUTH_TOKEN_MAX],
    char id[AUTH_TOKEN_ID_MAX], util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 4);

/* The operator's admin token ("vk_admin_...", shown once), issued and audited in one transaction (vaultctl init). */
int auth_admin_token(vault *v, char out[AUTH_ADMIN_TOKEN_MAX], util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
/* Ends every admin token and issues a new one, audited, in one transaction (vaultctl admin-token rotate). */
int auth_admin_token_rotate(vault *v, char out[AUTH_ADMIN_TOKEN_MAX], util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2);

/*
 * Tokens' last uses, to the minute. A request never writes one: a write would wait for the
 * lock behind a long transaction (a retention sweep, an import) and hold a worker meanwhile.
 * A request whose token's stored time is older than AUTH_TOKEN_TOUCH_EVERY seconds notes
 * (hash, time) in a bounded table under a mutex (auth_touches_note, any thread); one thread
 * stores the table in one transaction (auth_touches_store) and listings show the noted time
 * before then. A full table, or a failed store, only leaves the time older: it is a hint for
 * the token's holder, not a control.
 */
typedef struct auth_touches auth_touches;
auth_touches *auth_touches_new(void); /* NULL when memory runs out; free with auth_touches_free */
void auth_touches_free(auth_touches *t);
void auth_touches_note(auth_touches *t, const auth_token *tok);
/* Stores the noted uses on v and empties the table; a failure is logged (a count, no token). */
void auth_touches_store(auth_touches *t, vault *v);

/* One token in an agency's listing: never its hash, which is as good as the secret for a guess check. */
typedef struct auth_token_info {
	char id[AUTH_TOKEN_ID_MAX + 12];
	char prefix[AUTH_TOKEN_PREFIX_MAX + 24];
	int64_t created_at, last_used, expires_at; /* last_used 0: never; expires_at INT64_MAX: never */
} auth_token_info;

/* The valid tokens of subject, oldest first, at most AUTH_TOKENS_PER_AGENCY; last uses noted in t (may be NULL) count. */
int auth_tokens_list(vault *v, auth_touches *t, const char *subject, auth_token_info out[AUTH_TOKENS_PER_AGENCY],
    size_t *n, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 3, 4, 5);

/* ---- officers ---- */

/*
 * A new privacy officer named name: a random id ("of_" and 16 hex digits) into id and a new
 * TOTP secret (VAULT_TOTP_SECRET_BYTES) into secret, stored sealed under the keyring. The
 * caller wipes secret; on failure it is wiped here.
 */
int auth_officer_create(vault *v, const char *name, char id[AUTH_ID_MAX + 1], unsigned char *secret, util_err *err)
    UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4);
/* 1 if the officer exists and is active, 0 if not, -1 if it cannot be read. */
int auth_officer_active(vault *v, const char *officer_id) UTIL_NONNULL(1, 2);
/*
 * Sets an officer's active flag (UTIL_ENOTFOUND: no such officer). Deactivating also ends every
 * session of theirs; auth_officer_active is checked at each request besides, so that a login
 * that raced with the deactivation gets nothing either. Both are idempotent.
 */
int auth_officer_set_active(vault *v, const char *officer_id, int active, util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2);

/* ---- pseudonyms: a registrar's name for a citizen (policy_pseudonym), remembered ---- */

/*
 * Remembers agency_id's pseudonym (32 hex digits) for cid so that it can address the record by
 * it later: enrolled 1 for the registrar that enrolled the citizen, 0 for one that found them.
 * A pseudonym already known keeps what it was.
 */
int auth_pseudonym_remember(vault *v, const char *agency_id, const unsigned char cid[KEYS_CID_BYTES],
    const char *pseudonym, int enrolled, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4);
/* The citizen behind agency_id's pseudonym (enrolled_only: one it enrolled, not found): 0, or -1. */
int auth_pseudonym_find(vault *v, const char *agency_id, const char *pseudonym, int enrolled_only,
    unsigned char cid[KEYS_CID_BYTES]) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 5);
/* Forgets every agency's pseudonym for cid (an erasure). */
int auth_pseudonyms_forget(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2);

/*
 * The budgets (docs/privacy/threat-model.md says why these): failed codes
 *   per identity and source address   AUTH_LOCK_FAILURES in AUTH_LOCK_WINDOW s, AUTH_LOCK_PAIR_DAY a day
 *   per identity, from every address  AUTH_LOCK_IDENT_DAY a day
 *   per source address, every identity AUTH_LOCK_ADDR_FAILURES in AUTH_LOCK_WINDOW s
 * An IPv6 source counts by its /64. A code is checked only once a slot is taken in every budget
 * that applies, under one mutex: however many threads ask at once, no more codes are checked
 * than the budgets allow. A good code gives its slot back (the pair's earlier failures stay)
 * and makes the (identity, address) pair known for AUTH_LOCK_KNOWN_TTL s: a known pair is not
 * held to, and does not spend, the per-identity budget, so whoever knows only the national ID
 * cannot keep its citizen out of an address the citizen has logged in from. A storage error
 * gives the slot back (it was no failure); a wrong code keeps it. Budgets and known pairs live
 * in memory only, in tables of bounded size (the least recently used entry goes when a table is
 * full), keyed by BLAKE2b hashes under the keyring's lockout key.
 */
#define AUTH_LOCK_FAILURES 5
#define AUTH_LOCK_WINDOW 900
#define AUTH_LOCK_PAIR_DAY 10
#define AUTH_LOCK_IDENT_DAY 100
#define AUTH_LOCK_ADDR_FAILURES 30
#define AUTH_LOCK_DAY 86400
#define AUTH_LOCK_KNOWN_TTL (90u * 86400u)

enum { AUTH_LOCK_PAIR, AUTH_LOCK_IDENT, AUTH_LOCK_ADDR, AUTH_LOCK_TABLES };
#define AUTH_LOCK_KEY 16

typedef struct auth_lockout auth_lockout;

/* One attempt: the keys of the budgets it counts against, and the slot it took in which (bits). */
typedef struct auth_lockout_slot {
	unsigned char key[AUTH_LOCK_TABLES][AUTH_LOCK_KEY];
	uint32_t at;
	unsigned taken;
} auth_lockout_slot;

/* The tables, empty. NULL when memory runs out. Free with auth_lockout_free. */
auth_lockout *auth_lockout_new(void);
void auth_lockout_free(auth_lockout *l);

/*
 * The budget keys of identity label ("citizen:<cid hex>", "officer:<id>", "nid:<national id>")
 * seen from address sa (NULL or another family: one shared "unknown address").
 */
void auth_lockout_keys(vault *v, const char *label, const struct sockaddr *sa, auth_lockout_slot *s)
    UTIL_NONNULL(1, 2, 4);

/* Takes a slot in every budget of s: 0, or -1 and *retry_after the seconds until one frees. */
int auth_lockout_reserve(auth_lockout *l, auth_lockout_slot *s, int64_t *retry_after) UTIL_WARN_UNUSED;
/* Gives the slot back: the attempt was not a failure (a storage error, say). */
void auth_lockout_release(auth_lockout *l, const auth_lockout_slot *s);
/* A good code: the slot back, and the (identity, address) pair known; the failures stay. */
void auth_lockout_success(auth_lockout *l, const auth_lockout_slot *s);
/* Empties every budget and known pair of identity label (a registrar reset the authenticator). */
void auth_lockout_clear(auth_lockout *l, vault *v, const char *label);

/* ---- TOTP ---- */

/* What an attempt at a code came to. */
typedef enum auth_verdict {
	AUTH_GOOD = 0,     /* the code is good and spent: the slot was given back, the pair is known */
	AUTH_LIMITED,      /* no slot left in a budget: nothing was checked; see retry_after */
	AUTH_WRONG,        /* wrong, expired or already used (or no such identity): the slot is kept */
	AUTH_UNAVAILABLE,  /* the storage failed (see err): the slot was given back, nothing written */
	AUTH_NOMEM,        /* no secret memory: the slot was given back */
	AUTH_REUSED,       /* a step-up only: the right code of a step already spent; the slot was given
	                    * back, nothing told to the log; see retry_after */
} auth_verdict;

/* One attempt: who asks from where, and what came of it. */
typedef struct auth_attempt {
	vault *v;                    /* the caller's connection */
	auth_lockout *lockout;
	audit_writer *writer;        /* hears of a known identity's wrong code, later (NULL: nobody) */
	const struct sockaddr *addr; /* the caller's address (NULL: unknown) */
	int step_up;                 /* 1: from a session (auth.step_up_failed), 0: a login (auth.login_failed) */
	int64_t retry_after;         /* out, AUTH_LIMITED: seconds until a slot frees; AUTH_REUSED: until the next code */
	util_err err;                /* out, AUTH_UNAVAILABLE */
} auth_attempt;

/*
 * TOTP for a citizen (cid) or an officer: takes a slot in the identity's budgets from the
 * caller's address first, then checks the 6-digit code (one step either way, constant-time
 * compare) and refuses a step already used. A wrong code keeps its slot and is told to the
 * identity's log (auth.login_failed, or auth.step_up_failed from a session) by the audit
 * writer, after the answer; a storage error gives the slot back. A good code's step is spent
 * in v's open transaction, if any: the caller commits it with what the code allows.
 *
 * A code that is right but of a step already spent (just used, or older than the last used)
 * is AUTH_REUSED in a step-up (a->step_up), where the caller is already known: its holder is
 * told to wait for the next code, it is no guess (only the secret's holder has it), so its slot
 * goes back and the log hears nothing. In a login it stays AUTH_WRONG, counted and logged as
 * one, so that no answer there tells an enrolled identity from one that is not.
 */
auth_verdict auth_totp_citizen(auth_attempt *a, const unsigned char cid[KEYS_CID_BYTES], const char *code)
    UTIL_NONNULL(1, 2);
auth_verdict auth_totp_officer(auth_attempt *a, const char *officer_id, const char *code) UTIL_NONNULL(1, 2);
/*
 * A login for an identity not known (label "nid:<national id>" or "officer?:<id>"): the work
 * and answers of a known identity's wrong code, of a decoy; nothing kept but the budget.
 */
auth_verdict auth_totp_unknown(auth_attempt *a, const char *label, const char *code) UTIL_NONNULL(1, 2);
/*
 * Seconds from now until the authenticator shows the code of the step after last_step (30-s
 * steps), at least 1: the Retry-After of a reused code. Pure.
 */
int64_t auth_totp_wait(int64_t last_step, int64_t now);
/* Empties every budget of the citizen (a registrar reset the authenticator). */
void auth_totp_clear(auth_lockout *l, vault *v, const unsigned char cid[KEYS_CID_BYTES]) UTIL_NONNULL(1, 2, 3);
/* The otpauth:// URI for a secret, labelled by an id (never personal data). */
void auth_totp_uri(const char *label, const unsigned char *secret, size_t n, char out[256]) UTIL_NONNULL(1, 2, 4);

#endif
