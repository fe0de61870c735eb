/* auth.h: who a caller is: bearer tokens, sessions, officers, TOTP checks and their lockout budgets,
 * registrars' pseudonyms. Nothing here knows HTTP: api/ reads headers and maps answers. */
#ifndef VAULTD_AUTH_H
#define VAULTD_AUTH_H

#include <stdint.h>
#include <sys/socket.h>

#include "../vault/vault.h"

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

#endif
