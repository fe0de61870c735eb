/* lockout.h: budgets of failed TOTP codes, per identity and source address, taken before a code is checked. */
#ifndef VAULTD_API_LOCKOUT_H
#define VAULTD_API_LOCKOUT_H

#include <stdint.h>
#include <sys/socket.h>

#include "../vault/vault.h"

/*
 * The budgets (docs/privacy/threat-model.md says why these): failed codes
 *   per identity and source address   API_LOCK_FAILURES in API_LOCK_WINDOW s, API_LOCK_PAIR_DAY a day
 *   per identity, from every address  API_LOCK_IDENT_DAY a day
 *   per source address, every identity API_LOCK_ADDR_FAILURES in API_LOCK_WINDOW s
 * An IPv6 source counts by its /64. A code is checked only once a slot is taken in every budget
 * that applies, under one mutex: however many threads ask at once, no more codes are checked
 * than the budgets allow. A good code gives its slot back (the pair's earlier failures stay)
 * and makes the (identity, address) pair known for API_LOCK_KNOWN_TTL s: a known pair is not
 * held to, and does not spend, the per-identity budget, so whoever knows only the national ID
 * cannot keep its citizen out of an address the citizen has logged in from. A storage error
 * gives the slot back (it was no failure); a wrong code keeps it. Budgets and known pairs live
 * in memory only, in tables of bounded size (the least recently used entry goes when a table is
 * full), keyed by BLAKE2b hashes under the keyring's lockout key.
 */
#define API_LOCK_FAILURES 5
#define API_LOCK_WINDOW 900
#define API_LOCK_PAIR_DAY 10
#define API_LOCK_IDENT_DAY 100
#define API_LOCK_ADDR_FAILURES 30
#define API_LOCK_DAY 86400
#define API_LOCK_KNOWN_TTL (90u * 86400u)

enum { API_LOCK_PAIR, API_LOCK_IDENT, API_LOCK_ADDR, API_LOCK_TABLES };
#define API_LOCK_KEY 16

typedef struct api_lockout api_lockout;

/* One attempt: the keys of the budgets it counts against, and the slot it took in which (bits). */
typedef struct api_lockout_slot {
	unsigned char key[API_LOCK_TABLES][API_LOCK_KEY];
	uint32_t at;
	unsigned taken;
} api_lockout_slot;

/* The tables, empty. NULL when memory runs out. Free with api_lockout_free. */
api_lockout *api_lockout_new(void);
void api_lockout_free(api_lockout *l);

/*
 * The budget keys of identity label ("citizen:<cid hex>", "officer:<id>", "nid:<national id>")
 * seen from address sa (NULL or another family: one shared "unknown address").
 */
void api_lockout_keys(vault *v, const char *label, const struct sockaddr *sa, api_lockout_slot *s)
    UTIL_NONNULL(1, 2, 4);

/* Takes a slot in every budget of s: 0, or -1 and *retry_after the seconds until one frees. */
int api_lockout_reserve(api_lockout *l, api_lockout_slot *s, int64_t *retry_after) UTIL_WARN_UNUSED;
/* Gives the slot back: the attempt was not a failure (a storage error, say). */
void api_lockout_release(api_lockout *l, const api_lockout_slot *s);
/* A good code: the slot back, and the (identity, address) pair known; the failures stay. */
void api_lockout_success(api_lockout *l, const api_lockout_slot *s);
/* Empties every budget and known pair of identity label (a registrar reset the authenticator). */
void api_lockout_clear(api_lockout *l, vault *v, const char *label);

#endif
