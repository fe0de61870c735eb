/* test_merkle.c: RFC 6962 known answers, stored-hash layout, proofs against verifiers, signed checkpoints. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../audit/merkle.h"

#define STORE_MAX 512
#define TREE_LEAVES 70

/* An in-memory stored-hash sequence, grown as audit_stored_hashes_for says; it counts reads. */
typedef struct store {
	audit_hash h[STORE_MAX];
	int64_t n;
	int calls;
	size_t reads;
} store;

static int store_read(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	store *s = ctx;
	size_t i;

	s->calls++;
	s->reads += n;
	for (i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= s->n)
			return -1;
		out[i] = s->h[idx[i]];
	}
	return 0;
}

static int failing_read(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	(void)ctx;
	(void)idx;
	(void)n;
	(void)out;
	return -1;
}

/* Appends leaf leaf_no, the next one; checks its hashes land where audit_stored_hash_count says. */
static void store_append(store *s, int64_t leaf_no, const audit_hash *leaf)
{
	audit_hash add[AUDIT_MAX_PROOF];
	int k, i;

	assert_int_equal(s->n, audit_stored_hash_count(leaf_no));
	assert_int_equal(s->n, audit_stored_hash_index(0, leaf_no));
	k = audit_stored_hashes_for(leaf_no, leaf, store_read, s, add);
	assert_true(k >= 1 && s->n + k <= STORE_MAX);
	assert_memory_equal(add[0].b, leaf->b, AUDIT_HASH_BYTES);
	for (i = 0; i < k; i++)
		s->h[s->n++] = add[i];
	assert_int_equal(s->n, audit_stored_hash_count(leaf_no + 1));
}

static audit_hash hx(const char *hex)
{
	audit_hash h;

	assert_int_equal(util_hex_decode(h.b, AUDIT_HASH_BYTES, hex), 0);
	return h;
}

static audit_hash empty_root(void)
{
	audit_hash h;

	crypto_hash_sha256(h.b, NULL, 0);
	return h;
}

/* MTH(D[0:n]) straight from RFC 6962 section 2.1, recursively, over the leaf hashes. */
static audit_hash naive_root(const audit_hash *leaves, int64_t n)
{
	audit_hash l, r;
	int64_t k = 1;

	if (n == 0)
		return empty_root();
	if (n == 1)
		return leaves[0];
	while (2 * k < n)
		k *= 2;
	l = naive_root(leaves, k);
	r = naive_root(leaves + k, n - k);
	return audit_node_hash(&l, &r);
}

/*
 * The Certificate Transparency reference data: leaf inputs, the root of the first n leaves
 * (n = 0..8) and the hash of every complete subtree, by level. From transparency-dev/merkle
 * testonly/constants.go (LeafInputs, RootHashes, NodeHashes), the vectors of the CT C++
 * merkle_tree_test.cc that Trillian and Go's sumdb/tlog (ct_test.go) also check.
 */
static const char *const ct_leaves[8] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
static const struct {
	int level, n;
	const char *hash;
} ct_nodes[] = {
	{0, 0, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
	{0, 1, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
	{0, 2, "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"},
	{0, 3, "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"},
	{0, 4, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
	{0, 5, "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"},
	{0, 6, "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"},
	{0, 7, "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
	{1, 0, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
	{1, 1, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"},
	{1, 2, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"},
	{1, 3, "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
	{2, 0, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
	{2, 1, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
	{3, 0, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

/*
 * Published proofs over those leaves, from transparency-dev/merkle proof/verify_test.go
 * (inclusionProofs, whose leaf numbers are 1-based there and 0-based here, and
 * consistencyProofs), the same vectors as Trillian's merkle/log_verifier_test.go.
 */
static const struct {
	int64_t a, b; /* inclusion: leaf index, tree size; consistency: old size, new size */
	size_t len;
	const char *proof[3];
} ct_inclusion[] = {
	{0, 1, 0, {NULL}},
	{0, 8, 3,
		{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5, 8, 3,
		{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1, 5, 3,
		{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
}, ct_consistency[] = {
	{1, 1, 0, {NULL}},
	{1, 8, 3,
		{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6, 8, 3,
		{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 5, 2,
		{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	{6, 7, 3,
		{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void ct_store(store *s, audit_hash leaves[8])
{
	unsigned char in[16];
	int64_t i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < 8; i++) {
		size_t n = strlen(ct_leaves[i]) / 2;

		assert_int_equal(util_hex_decode(in, n, ct_leaves[i]), 0);
		leaves[i] = audit_leaf_hash(in, n);
		store_append(s, i, &leaves[i]);
	}
}

/* Every corruption of a good inclusion proof must be rejected. */
static void inclusion_must_fail(int64_t i, int64_t n, const audit_hash *leaf, const audit_hash *proof, size_t len,
    const audit_hash *root)
{
	audit_hash bad[AUDIT_MAX_PROOF + 1], other_leaf = *leaf, other_root = *root;
	size_t k;

	other_leaf.b[0] ^= 1;
	other_root.b[31] ^= 0x80;
	assert_int_equal(audit_verify_inclusion(i, n, &other_leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(i, n, leaf, proof, len, &other_root), -1);
	assert_int_equal(audit_verify_inclusion(i - 1, n, leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(i + 1, n, leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(i ^ 2, n, leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(i, n * 2, leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(i, n / 2, leaf, proof, len, root), -1);
	assert_int_equal(audit_verify_inclusion(n, n, leaf, proof, len, root), -1);
	for (k = 0; k < len; k++) {
		memcpy(bad, proof, len * sizeof *proof);
		bad[k].b[k % AUDIT_HASH_BYTES] ^= 8;
		assert_int_equal(audit_verify_inclusion(i, n, leaf, bad, len, root), -1);
	}
	if (len > 0)
		assert_int_equal(audit_verify_inclusion(i, n, leaf, proof, len - 1, root), -1);
	memcpy(bad, proof, len * sizeof *proof);
	bad[len] = *root;
	assert_int_equal(audit_verify_inclusion(i, n, leaf, bad, len + 1, root), -1);
	bad[0] = *root;
	memcpy(bad + 1, proof, len * sizeof *proof);
	assert_int_equal(audit_verify_inclusion(i, n, leaf, bad, len + 1, root), -1);
	/* one hash too many, for a root made to fit it: the path has run out of tree */
	memcpy(bad, proof, len * sizeof *proof);
	bad[len] = other_leaf;
	other_root = audit_node_hash(&other_leaf, root);
	assert_int_equal(audit_verify_inclusion(i, n, leaf, bad, len + 1, &other_root), -1);
}

/* Every corruption of a good, non-empty consistency proof must be rejected. */
static void consistency_must_fail(int64_t m, int64_t n, const audit_hash *rm, const audit_hash *rn,
    const audit_hash *proof, size_t len)
{
	audit_hash bad[AUDIT_MAX_PROOF + 1], other = *rm;
	size_t k;

	other.b[7] ^= 0x10;
	assert_int_equal(audit_verify_consistency(m - 1, n, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m + 1, n, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m ^ 2, n, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n * 2, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n / 2, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(n + 1, n, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(0, n, rm, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n, &other, rn, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n, rm, &other, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n, rn, rm, proof, len), -1);
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, proof, 0), -1);
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, proof, len - 1), -1);
	for (k = 0; k < len; k++) {
		memcpy(bad, proof, len * sizeof *proof);
		bad[k].b[31 - k % AUDIT_HASH_BYTES] ^= 16;
		assert_int_equal(audit_verify_consistency(m, n, rm, rn, bad, len), -1);
	}
	memcpy(bad, proof, len * sizeof *proof);
	bad[len] = *rm;
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, bad, len + 1), -1);
	bad[len] = *rn;
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, bad, len + 1), -1);
	bad[0] = *rm;
	memcpy(bad + 1, proof, len * sizeof *proof);
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, bad, len + 1), -1);
	bad[0] = proof[0];
	assert_int_equal(audit_verify_consistency(m, n, rm, rn, bad, len + 1), -1);
	memcpy(bad, proof, len * sizeof *proof);
	bad[len] = other;
	other = audit_node_hash(&other, rn);
	assert_int_equal(audit_verify_consistency(m, n, rm, &other, bad, len + 1), -1);
}

static void test_hashing_and_layout_known_answers(void **state)
{
	store s;
	audit_hash leaves[8], h;
	size_t i;
	int64_t n;

	(void)state;
	/* the first stored indexes, worked out by hand from the append order of tlog's layout */
	assert_int_equal(audit_stored_hash_index(0, 0), 0);
	assert_int_equal(audit_stored_hash_index(0, 1), 1);
	assert_int_equal(audit_stored_hash_index(1, 0), 2);
	assert_int_equal(audit_stored_hash_index(0, 2), 3);
	assert_int_equal(audit_stored_hash_index(0, 3), 4);
	assert_int_equal(audit_stored_hash_index(1, 1), 5);
	assert_int_equal(audit_stored_hash_index(2, 0), 6);
	assert_int_equal(audit_stored_hash_index(0, 4), 7);
	assert_int_equal(audit_stored_hash_count(0), 0);
	assert_int_equal(audit_stored_hash_count(8), 15);
	assert_int_equal(audit_stored_hash_index(-1, 0), -1);
	assert_int_equal(audit_stored_hash_index(0, -1), -1);
	assert_int_equal(audit_stored_hash_count(-1), -1);
	/* the end of the int64 range: 2^62 leaves store 2^63 - 1 hashes, the last their root */
	assert_int_equal(audit_stored_hash_count(INT64_C(1) << 62), INT64_MAX);
	assert_int_equal(audit_stored_hash_index(62, 0), INT64_MAX - 1);
	assert_int_equal(audit_stored_hash_index(0, (INT64_C(1) << 62) - 1), INT64_MAX - 63);
	assert_int_equal(audit_stored_hash_count((INT64_C(1) << 62) + 1), -1);
	assert_int_equal(audit_stored_hash_index(62, 1), -1);
	assert_int_equal(audit_stored_hash_index(63, 0), -1);
	assert_int_equal(audit_stored_hash_index(0, INT64_C(1) << 62), -1);

	ct_store(&s, leaves);
	for (i = 0; i < sizeof ct_nodes / sizeof ct_nodes[0]; i++) {
		h = hx(ct_nodes[i].hash);
		assert_memory_equal(s.h[audit_stored_hash_index(ct_nodes[i].level, ct_nodes[i].n)].b, h.b,
		    AUDIT_HASH_BYTES);
	}
	for (n = 0; n <= 8; n++) {
		audit_hash want = hx(ct_roots[n]);

		s.calls = 0;
		assert_int_equal(audit_tree_hash(n, store_read, &s, &h), 0);
		assert_memory_equal(h.b, want.b, AUDIT_HASH_BYTES);
		assert_true(s.calls <= 1);
	}
}

static void test_ct_inclusion_proofs(void **state)
{
	store s;
	audit_hash leaves[8], proof[AUDIT_MAX_PROOF], want[3], root;
	size_t i, k, len;

	(void)state;
	ct_store(&s, leaves);
	for (i = 0; i < sizeof ct_inclusion / sizeof ct_inclusion[0]; i++) {
		int64_t idx = ct_inclusion[i].a, n = ct_inclusion[i].b;

		root = hx(ct_roots[n]);
		for (k = 0; k < ct_inclusion[i].len; k++)
			want[k] = hx(ct_inclusion[i].proof[k]);
		assert_int_equal(audit_prove_inclusion(idx, n, store_read, &s, proof, &len), 0);
		assert_int_equal(len, ct_inclusion[i].len);
		if (len > 0)
			assert_memory_equal(proof, want, len * sizeof *proof);
		assert_int_equal(audit_verify_inclusion(idx, n, &leaves[idx], want, len, &root), 0);
		inclusion_must_fail(idx, n, &leaves[idx], want, len, &root);
	}
}

static void test_ct_consistency_proofs(void **state)
{
	store s;
	audit_hash leaves[8], proof[AUDIT_MAX_PROOF], want[3], rm, rn;
	size_t i, k, len;

	(void)state;
	ct_store(&s, leaves);
	for (i = 0; i < sizeof ct_consistency / sizeof ct_consistency[0]; i++) {
		int64_t m = ct_consistency[i].a, n = ct_consistency[i].b;

		rm = hx(ct_roots[m]);
		rn = hx(ct_roots[n]);
		for (k = 0; k < ct_consistency[i].len; k++)
			want[k] = hx(ct_consistency[i].proof[k]);
		assert_int_equal(audit_prove_consistency(m, n, store_read, &s, proof, &len), 0);
		assert_int_equal(len, ct_consistency[i].len);
		if (len > 0) {
			assert_memory_equal(proof, want, len * sizeof *proof);
			consistency_must_fail(m, n, &rm, &rn, want, len);
		}
		assert_int_equal(audit_verify_consistency(m, n, &rm, &rn, want, len), 0);
	}
}

/* How many bits n takes: proofs and roots may read at most twice that many stored hashes. */
static size_t bits(int64_t n)
{
	size_t b = 0;

	for (; n != 0; n >>= 1)
		b++;
	return b;
}

/* Every tree up to TREE_LEAVES leaves: roots against the naive MTH, every proof both ways. */
static void test_every_tree_every_proof(void **state)
{
	static store s;
	audit_hash leaves[TREE_LEAVES], roots[TREE_LEAVES + 1], proof[AUDIT_MAX_PROOF];
	char entry[32];
	int64_t n, i, m;
	size_t len;

	(void)state;
	memset(&s, 0, sizeof s);
	memset(leaves, 0, sizeof leaves);
	for (n = 0; n <= TREE_LEAVES; n++) {
		if (n > 0) {
			int k = snprintf(entry, sizeof entry, "leaf %d", (int)(n - 1));

			leaves[n - 1] = audit_leaf_hash((const unsigned char *)entry, (size_t)k);
			store_append(&s, n - 1, &leaves[n - 1]);
		}
		roots[n] = naive_root(leaves, n);
		s.calls = 0;
		assert_int_equal(audit_tree_hash(n, store_read, &s, &proof[0]), 0);
		assert_memory_equal(proof[0].b, roots[n].b, AUDIT_HASH_BYTES);
		assert_true(s.calls <= 1);
		for (i = 0; i < n; i++) {
			s.calls = 0;
			s.reads = 0;
			assert_int_equal(audit_prove_inclusion(i, n, store_read, &s, proof, &len), 0);
			assert_true(s.calls <= 1 && s.reads <= 2 * bits(n));
			assert_int_equal(audit_verify_inclusion(i, n, &leaves[i], proof, len, &roots[n]), 0);
			inclusion_must_fail(i, n, &leaves[i], proof, len, &roots[n]);
		}
		for (m = 1; m <= n; m++) {
			s.calls = 0;
			s.reads = 0;
			assert_int_equal(audit_prove_consistency(m, n, store_read, &s, proof, &len), 0);
			assert_true(s.calls <= 1 && s.reads <= 2 * bits(n));
			assert_int_equal(audit_verify_consistency(m, n, &roots[m], &roots[n], proof, len), 0);
			if (m < n)
				consistency_must_fail(m, n, &roots[m], &roots[n], proof, len);
			else
				assert_int_equal(len, 0);
		}
	}
}

static void test_bad_inputs_and_reader_failures(void **state)
{
	store s;
	audit_hash leaves[8], proof[AUDIT_MAX_PROOF], h = empty_root(), other;
	size_t len;

	(void)state;
	ct_store(&s, leaves);
	assert_int_equal(audit_prove_inclusion(8, 8, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_inclusion(-1, 8, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_inclusion(0, 0, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_consistency(0, 8, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_consistency(5, 4, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_tree_hash(-1, store_read, &s, &h), -1);
	assert_int_equal(audit_stored_hashes_for(-1, &h, store_read, &s, proof), -1);
	assert_int_equal(audit_stored_hashes_for(INT64_C(1) << 62, &h, store_read, &s, proof), -1);
	assert_int_equal(audit_tree_hash((INT64_C(1) << 62) + 1, store_read, &s, &h), -1);
	assert_int_equal(audit_prove_inclusion(0, INT64_MAX, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_consistency(1, INT64_MAX, store_read, &s, proof, &len), -1);
	/* the store holds 8 leaves: a larger tree needs hashes it does not have */
	assert_int_equal(audit_tree_hash(9, store_read, &s, &h), -1);
	assert_int_equal(audit_prove_inclusion(0, 9, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_prove_consistency(3, 9, store_read, &s, proof, &len), -1);
	assert_int_equal(audit_tree_hash(3, failing_read, NULL, &h), -1);
	assert_int_equal(audit_prove_inclusion(1, 3, failing_read, NULL, proof, &len), -1);
	assert_int_equal(audit_prove_consistency(1, 3, failing_read, NULL, proof, &len), -1);
	assert_int_equal(audit_stored_hashes_for(1, &h, failing_read, NULL, proof), -1);

	/* the verifiers' edges: sizes out of range, m == n, m == 0, empty trees */
	h = hx(ct_roots[1]);
	assert_int_equal(audit_verify_inclusion(0, 1, &leaves[0], NULL, 0, &h), 0);
	assert_int_equal(audit_verify_inclusion(1, 1, &leaves[0], NULL, 0, &h), -1);
	assert_int_equal(audit_verify_inclusion(0, 0, &leaves[0], NULL, 0, &h), -1);
	assert_int_equal(audit_verify_inclusion(-1, 1, &leaves[0], NULL, 0, &h), -1);
	assert_int_equal(audit_verify_consistency(1, 1, &h, &h, NULL, 0), 0);
	other = hx(ct_roots[2]);
	assert_int_equal(audit_verify_consistency(1, 1, &h, &other, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(1, 1, &h, &h, &h, 1), -1);
	assert_int_equal(audit_verify_consistency(0, 0, &h, &h, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(0, 2, &h, &other, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(2, 1, &other, &h, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(1, 2, &h, &other, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(-1, 2, &h, &other, NULL, 0), -1);
	assert_int_equal(audit_verify_consistency(3, 5, &h, &other, NULL, 0), -1);
	/* m > n with a proof and a root made to fit the RFC steps: refused before them */
	proof[0] = h;
	proof[1] = other;
	other = audit_node_hash(&h, &other);
	assert_int_equal(audit_verify_consistency(3, 2, &h, &other, proof, 2), -1);
}

/* ---- checkpoints ---- */

#define NAME "vaultd.example/test"
#define TEXT NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define DASH "\xe2\x80\x94 "

/*
 * The note for size 8 and the CT root, signed with the key from seed 00 01 .. 1f. Generated
 * once with audit_checkpoint_sign and matched byte for byte by Python's `cryptography`
 * Ed25519 and hashlib; the test below re-derives it with plain libsodium calls.
 */
static const char pinned_note[] =
    TEXT "\n" DASH NAME " "
         "9O61oP2SUXLlc6T/0gZz3VIst5y4SSMSvstoWyZciWR0vaHO3CunrFG+4rM3ENd06c3Q/T8R7e2R1F2qsL04G0YEOQ4=\n";

typedef struct keypair {
	unsigned char pk[crypto_sign_ed25519_PUBLICKEYBYTES], sk[crypto_sign_ed25519_SECRETKEYBYTES];
} keypair;

static void seed_keypair(keypair *kp, unsigned char first)
{
	unsigned char seed[crypto_sign_ed25519_SEEDBYTES];
	size_t i;

	for (i = 0; i < sizeof seed; i++)
		seed[i] = (unsigned char)(first + i);
	assert_int_equal(crypto_sign_ed25519_seed_keypair(kp->pk, kp->sk, seed), 0);
}

static void sign_with(void *ctx, const unsigned char *m, size_t n, unsigned char sig[64])
{
	const keypair *kp = ctx;

	crypto_sign_ed25519_detached(sig, NULL, m, n, kp->sk);
}

/* The key hash by the signed-note spec, computed here with libsodium alone. */
static void spec_key_hash(const char *name, const unsigned char pk[32], unsigned char out[4])
{
	unsigned char buf[256], h[crypto_hash_sha256_BYTES];
	size_t n = strlen(name);

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = 0x01;
	memcpy(buf + n + 2, pk, 32);
	crypto_hash_sha256(h, buf, n + 34);
	memcpy(out, h, 4);
}

/*
 * A signed note built by hand (any text, even a malformed one), independently of merkle.c: the
 * key hash is id's, the signature signer's (the same key but for one test).
 */
static size_t hand_note_as(char *out, size_t cap, const char *text, const char *name, const keypair *id,
    const keypair *signer)
{
	unsigned char sig[4 + crypto_sign_ed25519_BYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
	int n;

	spec_key_hash(name, id->pk, sig);
	crypto_sign_ed25519_detached(sig + 4, NULL, (const unsigned char *)text, strlen(text), signer->sk);
	sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, cap, "%s\n" DASH "%s %s\n", text, name, b64);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static size_t hand_note(char *out, size_t cap, const char *text, const char *name, const keypair *kp)
{
	return hand_note_as(out, cap, text, name, kp, kp);
}

static int verify_str(const char *note, const keypair *kp)
{
	audit_checkpoint c;

	return audit_checkpoint_verify(note, strlen(note), NAME, kp->pk, &c);
}

static void test_checkpoint_known_answer(void **state)
{
	keypair kp;
	audit_checkpoint c, got;
	unsigned char sig[4 + crypto_sign_ed25519_BYTES], kh[4];
	char note[AUDIT_CHECKPOINT_MAX], hand[AUDIT_CHECKPOINT_MAX];
	const char *line = pinned_note + strlen(TEXT "\n" DASH NAME " ");
	size_t len, slen;

	(void)state;
	seed_keypair(&kp, 0);
	memset(&c, 0, sizeof c);
	strcpy(c.origin, NAME);
	c.size = 8;
	c.root = hx(ct_roots[8]);
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), 0);
	assert_int_equal(len, strlen(note));
	assert_string_equal(note, pinned_note);
	hand_note(hand, sizeof hand, TEXT, NAME, &kp);
	assert_string_equal(note, hand);

	/* the pin on its own: its key hash and signature check out with plain libsodium calls */
	assert_int_equal(sodium_base642bin(sig, sizeof sig, line, strlen(line) - 1, NULL, &slen, NULL,
	                     sodium_base64_VARIANT_ORIGINAL),
	    0);
	assert_int_equal(slen, sizeof sig);
	spec_key_hash(NAME, kp.pk, kh);
	assert_memory_equal(sig, kh, 4);
	assert_int_equal(crypto_sign_ed25519_verify_detached(sig + 4, (const unsigned char *)TEXT, strlen(TEXT), kp.pk), 0);

	memset(&got, 0xa5, sizeof got);
	assert_int_equal(audit_checkpoint_verify(note, len, NAME, kp.pk, &got), 0);
	assert_string_equal(got.origin, NAME);
	assert_int_equal(got.size, 8);
	assert_memory_equal(got.root.b, c.root.b, AUDIT_HASH_BYTES);
}

static void test_checkpoint_accepts(void **state)
{
	keypair kp, other;
	audit_checkpoint c;
	char note[AUDIT_CHECKPOINT_MAX], two[2 * AUDIT_CHECKPOINT_MAX];
	size_t n;

	(void)state;
	seed_keypair(&kp, 0);
	seed_keypair(&other, 1);
	/* size 0 and the largest int64 are canonical */
	hand_note(note, sizeof note, NAME "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", NAME, &kp);
	assert_int_equal(audit_checkpoint_verify(note, strlen(note), NAME, kp.pk, &c), 0);
	assert_int_equal(c.size, 0);
	assert_memory_equal(c.root.b, empty_root().b, AUDIT_HASH_BYTES);
	hand_note(note, sizeof note, NAME "\n9223372036854775807\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", NAME,
	    &kp);
	assert_int_equal(audit_checkpoint_verify(note, strlen(note), NAME, kp.pk, &c), 0);
	assert_int_equal(c.size, INT64_MAX);
	/* a cosignature by another key, before ours, is skipped */
	n = hand_note(two, sizeof two, TEXT, "witness.example", &other);
	hand_note(note, sizeof note, TEXT, NAME, &kp);
	memcpy(two + n, note + strlen(TEXT "\n"), strlen(note) - strlen(TEXT "\n") + 1);
	assert_int_equal(verify_str(two, &kp), 0);
	/* ... but it is not ours: without our line the note is refused */
	two[n] = '\0';
	assert_int_equal(verify_str(two, &kp), -1);
	/* another key under our name (a rotation) has another key hash: skipped too */
	n = hand_note(two, sizeof two, TEXT, NAME, &other);
	memcpy(two + n, note + strlen(TEXT "\n"), strlen(note) - strlen(TEXT "\n") + 1);
	assert_int_equal(verify_str(two, &kp), 0);
}

static void test_checkpoint_rejects(void **state)
{
	static const char *const bad_text[] = {
	    NAME "\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                      /* leading zero */
	    NAME "\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                      /* sign */
	    NAME "\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                      /* negative */
	    NAME "\n9223372036854775808\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",     /* INT64_MAX + 1 */
	    NAME "\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",    /* huge */
	    NAME "\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                        /* empty size */
	    NAME "\n8 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                      /* trailing space */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",                        /* no padding */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=AAAA\n",                   /* 35 bytes */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n",                       /* 31 bytes */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n",                       /* URL alphabet */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",                       /* non-canonical */
	    NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nextension line\n",        /* extra line */
	    NAME "\n8\n",                                                                    /* no root */
	    "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                            /* empty origin */
	    "vaultd.example/t\xc3\xa9st\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", /* non-ASCII */
	    "vaultd.example/\ttest\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",     /* control */
	};
	keypair kp, other;
	audit_checkpoint c;
	char note[2 * AUDIT_CHECKPOINT_MAX], t[AUDIT_CHECKPOINT_MAX];
	size_t i, len = strlen(pinned_note);

	(void)state;
	seed_keypair(&kp, 0);
	seed_keypair(&other, 1);
	assert_int_equal(verify_str(pinned_note, &kp), 0);
	/* correctly signed, yet malformed: the parser alone must refuse these */
	for (i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
		hand_note(note, sizeof note, bad_text[i], NAME, &kp);
		assert_int_equal(verify_str(note, &kp), -1);
	}
	/* tampered text under the original signature */
	strcpy(note, pinned_note);
	note[strlen(NAME) + 1] = '9';
	assert_int_equal(verify_str(note, &kp), -1);
	strcpy(note, pinned_note);
	note[strlen(NAME) + 3] ^= 0x01; /* X -> Y in the root */
	assert_int_equal(verify_str(note, &kp), -1);
	strcpy(note, pinned_note);
	note[0] = 'w';
	assert_int_equal(verify_str(note, &kp), -1);
	/* wrong key, wrong name */
	assert_int_equal(verify_str(pinned_note, &other), -1);
	assert_int_equal(audit_checkpoint_verify(pinned_note, len, "vaultd.example/other", kp.pk, &c), -1);
	hand_note(note, sizeof note, TEXT, "vaultd.example/other", &kp);
	assert_int_equal(verify_str(note, &kp), -1);
	/* the right name and key hash, but another key's signature */
	hand_note_as(note, sizeof note, TEXT, NAME, &kp, &other);
	assert_int_equal(verify_str(note, &kp), -1);
	/* signature line missing, mangled or followed by junk */
	assert_int_equal(verify_str(TEXT "\n", &kp), -1);
	assert_int_equal(verify_str(TEXT, &kp), -1);
	strcpy(note, pinned_note);
	note[len - 10] = '!';
	assert_int_equal(verify_str(note, &kp), -1);
	strcpy(note, pinned_note);
	note[strlen(TEXT "\n")] = '-';
	assert_int_equal(verify_str(note, &kp), -1);
	snprintf(note, sizeof note, "%s\n", pinned_note);
	assert_int_equal(verify_str(note, &kp), -1);
	snprintf(note, sizeof note, "%sjunk\n", pinned_note);
	assert_int_equal(verify_str(note, &kp), -1);
	snprintf(note, sizeof note, "\n%s", pinned_note);
	assert_int_equal(verify_str(note, &kp), -1);
	/* a good signature does not excuse a bad line next to it */
	snprintf(note, sizeof note, "%s" DASH "witness.example AAAA\n", pinned_note); /* under 5 bytes */
	assert_int_equal(verify_str(note, &kp), -1);
	snprintf(note, sizeof note, "%s" DASH "witness.example !!!!\n", pinned_note);
	assert_int_equal(verify_str(note, &kp), -1);
	snprintf(note, sizeof note, "%s" DASH "two words AAAAAAAA\n", pinned_note);
	assert_int_equal(verify_str(note, &kp), -1);
	hand_note_as(t, sizeof t, TEXT, NAME, &kp, &other);
	snprintf(note, sizeof note, "%s%s", pinned_note, t + strlen(TEXT "\n"));
	assert_int_equal(verify_str(note, &kp), -1);
	/* no blank line before the signatures */
	snprintf(note, sizeof note, "%s%s", TEXT, pinned_note + strlen(TEXT "\n"));
	strcat(note, pinned_note + strlen(TEXT "\n"));
	assert_int_equal(verify_str(note, &kp), -1);
	/* our key hash and signature, under another name */
	strcpy(note, pinned_note);
	note[strlen(TEXT "\n" DASH NAME) - 1] = 'u';
	assert_int_equal(verify_str(note, &kp), -1);
	/* a NUL inside, and every strict prefix (missing final newline included), in exact-size buffers */
	memcpy(note, pinned_note, len);
	note[len - 5] = '\0';
	assert_int_equal(audit_checkpoint_verify(note, len, NAME, kp.pk, &c), -1);
	for (i = 0; i < len; i++) {
		char *p = malloc(i == 0 ? 1 : i);

		assert_non_null(p);
		memcpy(p, pinned_note, i);
		assert_int_equal(audit_checkpoint_verify(p, i, NAME, kp.pk, &c), -1);
		free(p);
	}
}

static void test_checkpoint_sign_rejects(void **state)
{
	keypair kp;
	audit_checkpoint c;
	char note[AUDIT_CHECKPOINT_MAX], longest[AUDIT_ORIGIN_MAX + 2];
	size_t len;

	(void)state;
	seed_keypair(&kp, 0);
	memset(&c, 0, sizeof c);
	c.size = 8;
	c.root = hx(ct_roots[8]);
	memset(c.origin, 'o', AUDIT_ORIGIN_MAX);
	memset(longest, 'n', AUDIT_ORIGIN_MAX);
	longest[AUDIT_ORIGIN_MAX] = '\0';
	assert_int_equal(audit_checkpoint_sign(&c, longest, kp.pk, sign_with, &kp, note, &len), 0);
	assert_int_equal(audit_checkpoint_verify(note, len, longest, kp.pk, &c), 0);
	longest[AUDIT_ORIGIN_MAX] = 'n';
	longest[AUDIT_ORIGIN_MAX + 1] = '\0';
	assert_int_equal(audit_checkpoint_sign(&c, longest, kp.pk, sign_with, &kp, note, &len), -1);
	memset(c.origin, 'o', sizeof c.origin); /* no room left for the NUL: too long */
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
	strcpy(c.origin, "");
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
	strcpy(c.origin, "two\nlines");
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
	strcpy(c.origin, "caf\xc3\xa9");
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
	strcpy(c.origin, "tab\there");
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
	strcpy(c.origin, NAME);
	assert_int_equal(audit_checkpoint_sign(&c, "", kp.pk, sign_with, &kp, note, &len), -1);
	assert_int_equal(audit_checkpoint_sign(&c, "two words", kp.pk, sign_with, &kp, note, &len), -1);
	assert_int_equal(audit_checkpoint_sign(&c, "a\nb", kp.pk, sign_with, &kp, note, &len), -1);
	assert_int_equal(audit_checkpoint_sign(&c, "caf\xc3\xa9", kp.pk, sign_with, &kp, note, &len), -1);
	c.size = -1;
	assert_int_equal(audit_checkpoint_sign(&c, NAME, kp.pk, sign_with, &kp, note, &len), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashing_and_layout_known_answers),
		cmocka_unit_test(test_ct_inclusion_proofs),
		cmocka_unit_test(test_ct_consistency_proofs),
		cmocka_unit_test(test_every_tree_every_proof),
		cmocka_unit_test(test_bad_inputs_and_reader_failures),
		cmocka_unit_test(test_checkpoint_known_answer),
		cmocka_unit_test(test_checkpoint_accepts),
		cmocka_unit_test(test_checkpoint_rejects),
		cmocka_unit_test(test_checkpoint_sign_rejects),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("merkle", tests, NULL, NULL);
}
