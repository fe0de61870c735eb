/* keys.h: the key hierarchy (root key, keyring, per-citizen data keys) and secret memory. */
#ifndef VAULTD_KEYS_H
#define VAULTD_KEYS_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/*
 * The hierarchy (docs/privacy/key-management.md tells the whole story):
 *
 *   root key (key file, or Argon2id of a passphrase)
 *     ├─ crypto_kdf id 1 "vaultdrt": SQLCipher page key      (whole-file encryption of vault.db)
 *     ├─ crypto_kdf id 2 "vaultdrt": item-wrapping key       (wraps the keyring items)
 *     └─ crypto_kdf id 3 "vaultdrt": SQLCipher page key      (whole-file encryption of audit.db)
 *   keyring, stored in the vault as wrapped items:
 *     ├─ "derive": a random master for keys that must outlive a change of root key
 *     │     ├─ crypto_kdf id 1 "vaultdix": blind-index key   (national ID lookups)
 *     │     ├─ crypto_kdf id 2 "vaultdix": token-hashing key (API tokens stored as hashes)
 *     │     ├─ crypto_kdf id 3 "vaultdix": pseudonym key     (per-agency citizen ids)
 *     │     ├─ crypto_kdf id 4 "vaultdix": box key           (officers' TOTP secrets)
 *     │     └─ crypto_kdf id 5 "vaultdix": lockout key       (identities and addresses in login budgets)
 *     ├─ "sign": Ed25519 key for receipts and audit checkpoints
 *     └─ "kek:N": key-encryption keys, one per version, wrapping per-citizen DEKs
 *
 * The derive master is random and kept in the keyring rather than derived from the root so
 * that `vaultctl rekey` (a new root) leaves blind indexes, token hashes and the pseudonyms
 * agencies hold unchanged: a rekey rewraps a handful of items, not a million rows.
 *
 * All key bytes live in sodium_malloc memory (guard pages, mlocked, wiped on free).
 */

#define KEYS_BYTES 32u
#define KEYS_CID_BYTES 16u /* an opaque citizen id */
#define KEYS_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEYS_TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEYS_WRAPPED_DEK_BYTES (KEYS_NONCE_BYTES + KEYS_BYTES + KEYS_TAG_BYTES)
#define KEYS_ITEM_MAX 128u  /* largest wrapped keyring item */
#define KEYS_ITEM_NAME_MAX 24u
#define KEYS_MAX_KEKS 32u   /* live KEK versions at once */
#define KEYS_WRAP_ID_BYTES 8u
#define KEYS_SIGN_PK_BYTES crypto_sign_ed25519_PUBLICKEYBYTES
#define KEYS_SIGN_BYTES crypto_sign_ed25519_BYTES
#define KEYS_SALT_BYTES crypto_pwhash_SALTBYTES

/* Secret memory: sodium_malloc'd, NULL when memory runs out. keys_secret_free wipes. */
void *keys_secret_alloc(size_t n) UTIL_WARN_UNUSED;
void keys_secret_free(void *p);

/* ---- root key ---- */

typedef struct keys_root keys_root;

typedef struct keys_kdf_params {
	unsigned char salt[KEYS_SALT_BYTES];
	uint64_t opslimit;
	uint64_t memlimit; /* bytes */
} keys_kdf_params;

/* Fills p with a fresh random salt and libsodium's MODERATE Argon2id limits. */
void keys_kdf_params_default(keys_kdf_params *p) UTIL_NONNULL(1);

/*
 * Generates a random root key and writes it to path as exactly 32 raw bytes, created with
 * O_EXCL|O_NOFOLLOW and mode 0600. *out owns the key; free it with keys_root_free.
 */
int keys_root_create_file(const char *path, keys_root **out, util_err *err) UTIL_WARN_UNUSED;

/* Loads a 32-byte key file (no symlink, no other size). */
int keys_root_load_file(const char *path, keys_root **out, util_err *err) UTIL_WARN_UNUSED;

/* Derives the root key with Argon2id from a passphrase (8..1024 bytes). Slow by design. */
int keys_root_from_passphrase(const char *pass, size_t n, const keys_kdf_params *p, keys_root **out,
    util_err *err) UTIL_WARN_UNUSED;

void keys_root_free(keys_root *root);

enum { KEYS_ROOT_PAGE = 1, KEYS_ROOT_WRAP = 2, KEYS_ROOT_AUDIT_PAGE = 3 };

/* Derives a root subkey (KEYS_ROOT_*) into out (32 bytes; keep it in secret memory). */
void keys_root_derive(const keys_root *root, uint64_t id, unsigned char *out) UTIL_NONNULL(1, 3);

/* A public fingerprint of the root's wrapping key, stored beside each wrapped item. -1: no memory. */
int keys_root_wrap_id(const keys_root *root, unsigned char out[KEYS_WRAP_ID_BYTES]) UTIL_NONNULL(1, 2) UTIL_WARN_UNUSED;

/*
 * Formats the SQLCipher raw-key string x'<64 hex>' of a page key (KEYS_ROOT_PAGE for vault.db,
 * KEYS_ROOT_AUDIT_PAGE for audit.db) into out (secret memory of at least KEYS_PAGE_KEY_STR
 * bytes, NUL-terminated).
 */
#define KEYS_PAGE_KEY_STR 68u
int keys_root_page_key_str(const keys_root *root, int which, char *out) UTIL_NONNULL(1, 3) UTIL_WARN_UNUSED;

/* ---- keyring ---- */

typedef struct keys_ring keys_ring;

enum { KEYS_RING_BLIND = 1, KEYS_RING_TOKEN = 2, KEYS_RING_PSEUDONYM = 3, KEYS_RING_BOX = 4, KEYS_RING_LOCKOUT = 5 };

/* A new keyring: a random derive master, a new Ed25519 key and KEK version 1. */
int keys_ring_generate(keys_ring **out, util_err *err) UTIL_WARN_UNUSED;
/* An empty keyring, to be filled with keys_ring_item_open. */
int keys_ring_empty(keys_ring **out, util_err *err) UTIL_WARN_UNUSED;
void keys_ring_free(keys_ring *ring);

/*
 * Items are how the keyring is stored: each one a name ("derive", "sign", "kek:N") and the
 * item wrapped with XChaCha20-Poly1305 under the root's wrapping key, the name as associated
 * data. keys_ring_item_name returns the name of item i (i < keys_ring_item_count) or NULL.
 */
size_t keys_ring_item_count(const keys_ring *ring) UTIL_NONNULL(1);
int keys_ring_item_seal(const keys_ring *ring, size_t i, const keys_root *root,
    char name[KEYS_ITEM_NAME_MAX], unsigned char out[KEYS_ITEM_MAX], size_t *outlen) UTIL_WARN_UNUSED;
/* Opens a wrapped item into the ring. UTIL_EKEY if it does not authenticate. */
int keys_ring_item_open(keys_ring *ring, const keys_root *root, const char *name,
    const unsigned char *blob, size_t n, util_err *err) UTIL_WARN_UNUSED;
/* 0 when the ring holds a derive master, a signing key and at least one KEK. */
int keys_ring_check(const keys_ring *ring, util_err *err) UTIL_WARN_UNUSED;

/* KEK versions: the current one wraps new DEKs; old ones only unwrap until dropped. */
uint32_t keys_ring_current_kek(const keys_ring *ring) UTIL_NONNULL(1);
int keys_ring_has_kek(const keys_ring *ring, uint32_t version) UTIL_NONNULL(1);
int keys_ring_add_kek(keys_ring *ring, uint32_t *version, util_err *err) UTIL_WARN_UNUSED;
int keys_ring_drop_kek(keys_ring *ring, uint32_t version) UTIL_WARN_UNUSED;
/* The KEK versions held, ascending, into out (at most max); returns how many. */
size_t keys_ring_kek_versions(const keys_ring *ring, uint32_t *out, size_t max) UTIL_NONNULL(1);

/* Per-citizen data keys. */
void keys_dek_generate(unsigned char dek[KEYS_BYTES]) UTIL_NONNULL(1);
/* Wraps dek under the current KEK, the citizen id and version as associated data. */
void keys_ring_wrap_dek(const keys_ring *ring, const unsigned char cid[KEYS_CID_BYTES],
    const unsigned char dek[KEYS_BYTES], unsigned char out[KEYS_WRAPPED_DEK_BYTES], uint32_t *version)
    UTIL_NONNULL(1, 2, 3, 4, 5);
/* Unwraps a DEK. UTIL_ENOTFOUND for an unknown KEK version, UTIL_ECORRUPT if it fails to open. */
int keys_ring_unwrap_dek(const keys_ring *ring, uint32_t version, const unsigned char cid[KEYS_CID_BYTES],
    const unsigned char *wrapped, size_t n, unsigned char dek[KEYS_BYTES], util_err *err) UTIL_WARN_UNUSED;

/* Keys derived from the keyring's master (KEYS_RING_*): pointers into the ring's secret memory. */
const unsigned char *keys_ring_key(const keys_ring *ring, int which) UTIL_NONNULL(1);

/* Ed25519: the vault's public key, and detached signatures. */
void keys_ring_public_key(const keys_ring *ring, unsigned char pk[KEYS_SIGN_PK_BYTES]) UTIL_NONNULL(1, 2);
void keys_ring_sign(const keys_ring *ring, const unsigned char *m, size_t n, unsigned char sig[KEYS_SIGN_BYTES])
    UTIL_NONNULL(1, 4);

/* Startup: sodium_init, once; -1 if libsodium cannot start. */
int keys_init(void) UTIL_WARN_UNUSED;

#endif
