/* merkle.c: RFC 6962 Merkle tree over tlog-style stored hashes, proofs, verifiers, signed checkpoints. */
#include "merkle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

/*
 * The largest tree handled: a tree of 2^62 leaves stores 2^63 - 1 hashes, the most an int64_t
 * index can count. Every tree up to it has proofs shorter than AUDIT_MAX_PROOF hashes.
 */
#define TREE_MAX (INT64_C(1) << 62)
/* Stored hashes one proof may read: one per level, plus the tiles of one right-edge subtree. */
#define READ_MAX (2 * AUDIT_MAX_PROOF)

#define SIG_PREFIX "\xe2\x80\x94 " /* "— ", U+2014 EM DASH and a space, before each signature */
#define SIG_BYTES (4 + crypto_sign_ed25519_BYTES)
#define ROOT_B64 sodium_base64_ENCODED_LEN(AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL)
#define SIG_B64 sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)

/* A run of leaves [lo, hi) whose hash a root or a proof needs. */
typedef struct span {
	int64_t lo, hi;
} span;

audit_hash audit_leaf_hash(const unsigned char *entry, size_t n)
{
	static const unsigned char prefix = 0x00;
	crypto_hash_sha256_state st;
	audit_hash h;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, entry, n);
	crypto_hash_sha256_final(&st, h.b);
	return h;
}

audit_hash audit_node_hash(const audit_hash *left, const audit_hash *right)
{
	unsigned char buf[1 + 2 * AUDIT_HASH_BYTES];
	audit_hash h;

	buf[0] = 0x01;
	memcpy(buf + 1, left->b, AUDIT_HASH_BYTES);
	memcpy(buf + 1 + AUDIT_HASH_BYTES, right->b, AUDIT_HASH_BYTES);
	crypto_hash_sha256(h.b, buf, sizeof buf);
	return h;
}

static int popcount64(uint64_t x)
{
	int c = 0;

	for (; x != 0; x &= x - 1)
		c++;
	return c;
}

/* The largest power of two strictly less than n (n >= 2). */
static int64_t split_point(int64_t n)
{
	int64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/*
 * Leaf j's hash comes right after those of the complete subtrees of leaves [0, j), of which
 * there are floor(j / 2^i) at each level i >= 0: 2j - popcount(j) in all. A subtree at `level`
 * ends at leaf j = ((n + 1) << level) - 1 and is stored `level` places after that leaf, behind
 * the smaller subtrees the leaf also completes.
 */
int64_t audit_stored_hash_index(int level, int64_t n)
{
	uint64_t j;

	if (level < 0 || level > 62 || n < 0 || n >= (INT64_C(1) << (62 - level)))
		return -1;
	j = ((uint64_t)(n + 1) << level) - 1;
	return (int64_t)(2 * j - (uint64_t)popcount64(j) + (uint64_t)level);
}

/* Every complete subtree of a tree of n leaves is stored: sum of floor(n / 2^i), 2n - popcount(n). */
int64_t audit_stored_hash_count(int64_t n)
{
	if (n < 0 || n > TREE_MAX)
		return -1;
	return (int64_t)(2 * (uint64_t)n - (uint64_t)popcount64((uint64_t)n));
}

/*
 * Appends the stored indexes of the perfect subtrees that tile [lo, hi), left to right. Every
 * span a root or proof uses starts at a multiple of its largest tile (it is a node of the tree
 * RFC 6962 builds), so taking the largest power of two that fits each time finds them.
 */
static int tile_indexes(int64_t lo, int64_t hi, int64_t *idx, size_t *n)
{
	while (lo < hi) {
		int level = 0;

		while (((hi - lo) >> (level + 1)) != 0)
			level++;
		if (*n == READ_MAX)
			return -1;
		idx[(*n)++] = audit_stored_hash_index(level, lo >> level);
		lo += INT64_C(1) << level;
	}
	return 0;
}

/* The hashes of spans[0..count), read with a single call to r. */
static int span_hashes(const span *spans, size_t count, audit_hash_reader r, void *ctx, audit_hash *out)
{
	int64_t idx[READ_MAX];
	audit_hash tiles[READ_MAX];
	size_t end[AUDIT_MAX_PROOF], n = 0, s, t;

	if (count > AUDIT_MAX_PROOF)
		return -1;
	for (s = 0; s < count; s++) {
		if (tile_indexes(spans[s].lo, spans[s].hi, idx, &n) != 0)
			return -1;
		end[s] = n;
	}
	if (n > 0 && r(ctx, idx, n, tiles) != 0)
		return -1;
	/* a span's hash folds its tiles from the right: RFC 6962 splits off the largest left part */
	for (s = 0; s < count; s++) {
		size_t first = s == 0 ? 0 : end[s - 1];

		out[s] = tiles[end[s] - 1];
		for (t = end[s] - 1; t > first; t--)
			out[s] = audit_node_hash(&tiles[t - 1], &out[s]);
	}
	return 0;
}

int audit_stored_hashes_for(int64_t n, const audit_hash *leaf, audit_hash_reader r, void *ctx, audit_hash *out)
{
	int64_t idx[AUDIT_MAX_PROOF];
	audit_hash left[AUDIT_MAX_PROOF];
	int m = 0, i;

	if (n < 0 || n >= TREE_MAX)
		return -1;
	/* each trailing 1 bit of n completes a subtree whose left half is already stored */
	while ((n >> m) & 1)
		m++;
	for (i = 0; i < m; i++)
		idx[i] = audit_stored_hash_index(i, (n >> i) - 1);
	if (m > 0 && r(ctx, idx, (size_t)m, left) != 0)
		return -1;
	out[0] = *leaf;
	for (i = 0; i < m; i++)
		out[i + 1] = audit_node_hash(&left[i], &out[i]);
	return m + 1;
}

int audit_tree_hash(int64_t n, audit_hash_reader r, void *ctx, audit_hash *root)
{
	span all = {0, n};

	if (n < 0 || n > TREE_MAX)
		return -1;
	if (n == 0) {
		crypto_hash_sha256(root->b, NULL, 0);
		return 0;
	}
	return span_hashes(&all, 1, r, ctx, root);
}

/* Reverses spans[0..n): the provers find them top down, proofs list them bottom up. */
static void reverse_spans(span *s, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		span t = s[i];

		s[i] = s[n - 1 - i];
		s[n - 1 - i] = t;
	}
}

/* RFC 6962 PATH(i, D[0:n]): walk down towards leaf i, keeping the subtree not taken. */
int audit_prove_inclusion(int64_t i, int64_t n, audit_hash_reader r, void *ctx, audit_hash *proof, size_t *len)
{
	span s[AUDIT_MAX_PROOF];
	size_t k = 0;
	int64_t lo = 0, hi = n;

	if (i < 0 || i >= n || n > TREE_MAX)
		return -1;
	while (hi - lo > 1) {
		int64_t mid = lo + split_point(hi - lo);

		if (i < mid) {
			s[k++] = (span){mid, hi};
			hi = mid;
		} else {
			s[k++] = (span){lo, mid};
			lo = mid;
		}
	}
	reverse_spans(s, k);
	if (span_hashes(s, k, r, ctx, proof) != 0)
		return -1;
	*len = k;
	return 0;
}

/*
 * RFC 6962 SUBPROOF(m, D[0:n], true): walk down the right edge of the old tree, keeping the
 * subtree not taken; stop at a subtree that is all old, sent unless it is the whole old tree.
 */
int audit_prove_consistency(int64_t m, int64_t n, audit_hash_reader r, void *ctx, audit_hash *proof,
    size_t *len)
{
	span s[AUDIT_MAX_PROOF];
	size_t k = 0;
	int64_t lo = 0, hi = n;

	if (m <= 0 || m > n || n > TREE_MAX)
		return -1;
	while (m < hi) {
		int64_t mid = lo + split_point(hi - lo);

		if (m <= mid) {
			s[k++] = (span){mid, hi};
			hi = mid;
		} else {
			s[k++] = (span){lo, mid};
			lo = mid;
		}
	}
	if (lo > 0)
		s[k++] = (span){lo, hi};
	reverse_spans(s, k);
	if (span_hashes(s, k, r, ctx, proof) != 0)
		return -1;
	*len = k;
	return 0;
}

static int hash_equal(const audit_hash *a, const audit_hash *b)
{
	return sodium_memcmp(a->b, b->b, AUDIT_HASH_BYTES) == 0;
}

/* RFC 9162 section 2.1.3.2, step by step; fn and sn name the RFC's variables. */
int audit_verify_inclusion(int64_t i, int64_t n, const audit_hash *leaf, const audit_hash *proof, size_t len,
    const audit_hash *root)
{
	uint64_t fn, sn;
	audit_hash r = *leaf;
	size_t k;

	if (i < 0 || n <= 0 || i >= n)
		return -1;
	fn = (uint64_t)i;
	sn = (uint64_t)n - 1;
	for (k = 0; k < len; k++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) != 0 || fn == sn) {
			r = audit_node_hash(&proof[k], &r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			r = audit_node_hash(&r, &proof[k]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_equal(&r, root) ? 0 : -1;
}

/*
 * RFC 9162 section 2.1.4.2, step by step. Its consistency_path is the proof, with root_m in
 * front when m is a power of two; path() reads it without copying. m == n needs no proof.
 */
static const audit_hash *path(const audit_hash *root_m, int lead, const audit_hash *proof, size_t k)
{
	return lead ? (k == 0 ? root_m : &proof[k - 1]) : &proof[k];
}

int audit_verify_consistency(int64_t m, int64_t n, const audit_hash *root_m, const audit_hash *root_n,
    const audit_hash *proof, size_t len)
{
	uint64_t fn, sn;
	audit_hash fr, sr;
	size_t k, total;
	int lead;

	if (m <= 0 || m > n)
		return -1;
	if (m == n)
		return len == 0 && hash_equal(root_m, root_n) ? 0 : -1;
	if (len == 0)
		return -1;
	lead = (m & (m - 1)) == 0;
	total = len + (size_t)lead;
	fn = (uint64_t)m - 1;
	sn = (uint64_t)n - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	fr = sr = *path(root_m, lead, proof, 0);
	for (k = 1; k < total; k++) {
		const audit_hash *c = path(root_m, lead, proof, k);

		if (sn == 0)
			return -1;
		if ((fn & 1) != 0 || fn == sn) {
			fr = audit_node_hash(c, &fr);
			sr = audit_node_hash(c, &sr);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sr = audit_node_hash(&sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_equal(&fr, root_m) && hash_equal(&sr, root_n) ? 0 : -1;
}

/* Origins and key names: 1..AUDIT_ORIGIN_MAX printable ASCII bytes; a name has no space or '+'. */
static int valid_text(const char *s, size_t n, int is_name)
{
	size_t i;

	if (n == 0 || n > AUDIT_ORIGIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || (is_name && (c == ' ' || c == '+')))
			return 0;
	}
	return 1;
}

/* The signed-note key hash: the first 4 bytes of SHA-256(name || "\n" || 0x01 || pk). */
static void key_hash(const char *name, const unsigned char pk[32], unsigned char out[4])
{
	static const unsigned char sep[2] = {'\n', 0x01};
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, sizeof sep);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, 4);
}

int audit_checkpoint_sign(const audit_checkpoint *c, const char *name, const unsigned char pk[32],
    audit_signer sign, void *ctx, char out[AUDIT_CHECKPOINT_MAX], size_t *len)
{
	char root64[ROOT_B64], sig64[SIG_B64];
	unsigned char sig[SIG_BYTES];
	size_t olen = strnlen(c->origin, sizeof c->origin);
	int text, all;

	if (!valid_text(c->origin, olen, 0) || !valid_text(name, strnlen(name, AUDIT_ORIGIN_MAX + 1), 1) ||
	    c->size < 0)
		return -1;
	sodium_bin2base64(root64, sizeof root64, c->root.b, AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
	text = snprintf(out, AUDIT_CHECKPOINT_MAX, "%s\n%" PRId64 "\n%s\n", c->origin, c->size, root64);
	if (text < 0 || (size_t)text >= AUDIT_CHECKPOINT_MAX)
		return -1;
	key_hash(name, pk, sig);
	sign(ctx, (const unsigned char *)out, (size_t)text, sig + 4);
	sodium_bin2base64(sig64, sizeof sig64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	all = snprintf(out + text, AUDIT_CHECKPOINT_MAX - (size_t)text, "\n" SIG_PREFIX "%s %s\n", name, sig64);
	if (all < 0 || (size_t)all >= AUDIT_CHECKPOINT_MAX - (size_t)text)
		return -1;
	*len = (size_t)text + (size_t)all;
	return 0;
}

/* The line at *pos in note[0..len) without its '\n' (which must be there); moves *pos past it. */
static int next_line(const char *note, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl = memchr(note + *pos, '\n', len - *pos);

	if (nl == NULL)
		return -1;
	*line = note + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

/* A canonical decimal int64: digits only, no leading zero unless it is "0". */
static int parse_size(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * One signature line, after the prefix: "<name> <base64>". 1 if it is by the expected key and
 * verifies, 0 if it is another key's, -1 if it is malformed or the expected key's signature fails.
 */
static int check_signature(const char *line, size_t n, const char *name, const unsigned char kh[4],
    const unsigned char pk[32], const char *text, size_t tlen)
{
	unsigned char sig[AUDIT_CHECKPOINT_MAX];
	const char *sp = memchr(line, ' ', n);
	size_t nlen, slen;

	if (sp == NULL)
		return -1;
	nlen = (size_t)(sp - line);
	if (!valid_text(line, nlen, 1) || sodium_base642bin(sig, sizeof sig, sp + 1, n - nlen - 1, NULL, &slen, NULL,
	                                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    slen < 5)
		return -1;
	if (nlen != strlen(name) || memcmp(line, name, nlen) != 0 || memcmp(sig, kh, 4) != 0)
		return 0;
	if (slen != SIG_BYTES || crypto_sign_ed25519_verify_detached(sig + 4, (const unsigned char *)text, tlen, pk) != 0)
		return -1;
	return 1;
}

int audit_checkpoint_verify(const char *note, size_t len, const char *name, const unsigned char pk[32],
    audit_checkpoint *out)
{
	audit_checkpoint c;
	unsigned char kh[4];
	const char *line;
	size_t pos = 0, n, tlen, rlen;
	int verified = 0, rc;

	memset(&c, 0, sizeof c);
	if (len >= AUDIT_CHECKPOINT_MAX || !valid_text(name, strnlen(name, AUDIT_ORIGIN_MAX + 1), 1))
		return -1;
	/* the text: origin, size, root hash, nothing else */
	if (next_line(note, len, &pos, &line, &n) != 0 || !valid_text(line, n, 0))
		return -1;
	memcpy(c.origin, line, n);
	if (next_line(note, len, &pos, &line, &n) != 0 || parse_size(line, n, &c.size) != 0)
		return -1;
	if (next_line(note, len, &pos, &line, &n) != 0 ||
	    sodium_base642bin(c.root.b, AUDIT_HASH_BYTES, line, n, NULL, &rlen, NULL,
	        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    rlen != AUDIT_HASH_BYTES)
		return -1;
	tlen = pos;
	if (next_line(note, len, &pos, &line, &n) != 0 || n != 0)
		return -1;
	/* one or more signature lines up to the very end; other keys' are skipped */
	key_hash(name, pk, kh);
	do {
		if (next_line(note, len, &pos, &line, &n) != 0 || n < sizeof SIG_PREFIX - 1 ||
		    memcmp(line, SIG_PREFIX, sizeof SIG_PREFIX - 1) != 0)
			return -1;
		rc = check_signature(line + sizeof SIG_PREFIX - 1, n - (sizeof SIG_PREFIX - 1), name, kh, pk, note,
		    tlen);
		if (rc < 0)
			return -1;
		verified |= rc;
	} while (pos < len);
	if (!verified)
		return -1;
	*out = c;
	return 0;
}
