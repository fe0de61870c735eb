/* merkle.h: RFC 6962 Merkle tree hashing, stored-hash layout, proofs, and signed checkpoints. */
#ifndef VAULTD_AUDIT_MERKLE_H
#define VAULTD_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/*
 * The audit log is an append-only Merkle tree hashed as in RFC 6962 (SHA-256):
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 * The tree of n leaves splits at the largest power of two k < n (RFC 6962 section 2.1).
 *
 * Storage follows the "stored hashes" layout of Go's golang.org/x/mod/sumdb/tlog: when leaf n
 * is appended, the hashes of every complete subtree it completes are stored, in a single
 * sequence indexed by audit_stored_hash_index(level, n). A log of n entries stores fewer than
 * 2n hashes; an append stores O(log n) of them (2 on average); the root of any size, and any
 * inclusion or consistency proof, is computed from O(log n) stored hashes, never the whole log.
 */

#define AUDIT_HASH_BYTES 32u
#define AUDIT_MAX_PROOF 64u /* room for any proof; trees hold at most 2^62 leaves */

typedef struct audit_hash {
	unsigned char b[AUDIT_HASH_BYTES];
} audit_hash;

/* Reads the stored hashes at the given indexes (n of them, any order) into out[i]. 0 or -1. */
typedef int (*audit_hash_reader)(void *ctx, const int64_t *indexes, size_t n, audit_hash *out);

audit_hash audit_leaf_hash(const unsigned char *entry, size_t n);
audit_hash audit_node_hash(const audit_hash *left, const audit_hash *right);

/* Index in the stored-hash sequence of the hash at `level` covering leaves [n<<level, (n+1)<<level);
 * -1 for a negative or out-of-range argument. */
int64_t audit_stored_hash_index(int level, int64_t n);
/* How many stored hashes a tree of n leaves has (the index the next append starts at); -1 if out of range. */
int64_t audit_stored_hash_count(int64_t n);

/*
 * The hashes to store when appending leaf n (0-based) whose leaf hash is leaf: out[0] is the
 * leaf hash itself, then each completed parent. Reads earlier hashes through r. Returns how
 * many were written to out (at most AUDIT_MAX_PROOF), or -1. They go at indexes
 * audit_stored_hash_count(n), audit_stored_hash_count(n) + 1, ...
 */
int audit_stored_hashes_for(int64_t n, const audit_hash *leaf, audit_hash_reader r, void *ctx, audit_hash *out);

/* The root hash of the tree of the first n leaves (n >= 1; n = 0 gives SHA-256 of ""). */
int audit_tree_hash(int64_t n, audit_hash_reader r, void *ctx, audit_hash *root);

/*
 * Proofs are written to proof (room for AUDIT_MAX_PROOF hashes), *len gets their number. A
 * proof binds a size only together with its root: take both from the same verified checkpoint.
 */

/* Inclusion proof of leaf i in the tree of size n (RFC 9162 section 2.1.3). *len hashes. */
int audit_prove_inclusion(int64_t i, int64_t n, audit_hash_reader r, void *ctx, audit_hash *proof, size_t *len);

/* Consistency proof from tree size m to tree size n, 0 < m <= n (RFC 9162 section 2.1.4). */
int audit_prove_consistency(int64_t m, int64_t n, audit_hash_reader r, void *ctx, audit_hash *proof,
    size_t *len);

/*
 * Independent verifiers: they use only the proof, the sizes and the hashes given, and follow
 * RFC 9162's verification algorithms (sections 2.1.3.2 and 2.1.4.2), not the provers' code.
 * 0 if the proof holds, -1 otherwise.
 */
int audit_verify_inclusion(int64_t i, int64_t n, const audit_hash *leaf, const audit_hash *proof, size_t len,
    const audit_hash *root) UTIL_WARN_UNUSED;
int audit_verify_consistency(int64_t m, int64_t n, const audit_hash *root_m, const audit_hash *root_n,
    const audit_hash *proof, size_t len) UTIL_WARN_UNUSED;

/*
 * Checkpoints in the C2SP tlog-checkpoint format, as a C2SP signed note:
 *   <origin>\n<tree size, decimal>\n<root hash, standard base64>\n
 *   \n
 *   — <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>\n
 * The signature covers the first three lines (the note text, through its final \n). The key
 * hash is the first 4 bytes of SHA-256(key name || "\n" || 0x01 || 32-byte public key).
 */
#define AUDIT_CHECKPOINT_MAX 1024u
#define AUDIT_ORIGIN_MAX 128u

typedef struct audit_checkpoint {
	char origin[AUDIT_ORIGIN_MAX + 1];
	int64_t size;
	audit_hash root;
} audit_checkpoint;

/* Produces a detached Ed25519 signature of m (the signing key stays with the caller). */
typedef void (*audit_signer)(void *ctx, const unsigned char *m, size_t n, unsigned char sig[64]);

/*
 * Writes the signed note for c, signed by `sign` under key name `name` whose public key is pk
 * (32 bytes, for the key hash). out gets a NUL-terminated note; *len its length. -1 if the
 * origin or name is empty, too long, or holds a newline, a space (name) or a non-ASCII byte.
 */
int audit_checkpoint_sign(const audit_checkpoint *c, const char *name, const unsigned char pk[32],
    audit_signer sign, void *ctx, char out[AUDIT_CHECKPOINT_MAX], size_t *len) UTIL_WARN_UNUSED;

/*
 * Parses a signed checkpoint and verifies its signature with the public key pk (32 bytes) and
 * key name `name`. Refuses anything malformed: extra or missing lines, a size that is not a
 * canonical decimal, a root that is not 32 bytes of base64, a wrong key hash, a bad signature.
 */
int audit_checkpoint_verify(const char *note, size_t len, const char *name, const unsigned char pk[32],
    audit_checkpoint *out) UTIL_WARN_UNUSED;

#endif
