/*
 * fuzz_record.c: a citizen's record on its way in and at rest.
 * - The JSON Lines importer's line readers and record checks (vaultctl import). Differential:
 *   whenever vault_record_scan reads a line by hand, jansson (vault_record_parse and
 *   vault_input_from_json) must read it too and give the same input, and both inputs must pass
 *   or fail vault_input_check with the same message.
 * - The sealed record (vault/record.c), with the same input: as a record's opened entries, what
 *   vault_record_entries accepts is written back by vault_record_put to the same bytes, and
 *   sealed then opened comes back whole, in its bucket; as a stored record, vault_record_open
 *   refuses it without reading out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../vault/sqlite_private.h"

static vault_catalog *cat;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (vault_init() != 0 || vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cat, NULL) != 0)
		__builtin_trap();
	return 0;
}

/* The input as a record's entries, then as a stored record. */
static void record_blob(const uint8_t *d, size_t n)
{
	static unsigned char blob[VAULT_REC_MAX];
	static vault_rec_entry e[VAULT_RECORD_ENTRIES_MAX], again[VAULT_RECORD_ENTRIES_MAX];
	unsigned char dek[KEYS_BYTES] = {7}, cid[KEYS_CID_BYTES] = {9}, nonce[KEYS_NONCE_BYTES] = {0};
	size_t count, count2, i, off = 0, sn, plen;
	util_err err;

	if (n < VAULT_RECORD_PLAIN_MAX && vault_record_entries(d, n, e, &count) == 0) {
		for (i = 0; i < count; i++)
			if ((off = vault_record_put(blob + VAULT_RECORD_HEAD, off, e[i].name, e[i].nlen, e[i].value,
			         e[i].vlen)) == 0)
				__builtin_trap(); /* an entry it read, it cannot write */
		if (off != n || memcmp(blob + VAULT_RECORD_HEAD, d, n) != 0)
			__builtin_trap(); /* one form only */
		sn = vault_record_seal(dek, cid, 1, nonce, blob, off);
		if (sn != VAULT_RECORD_OVERHEAD + vault_record_bucket(n + 1) || sn > VAULT_REC_MAX)
			__builtin_trap();
		if (vault_record_open(dek, cid, 1, blob, sn, &plen, &err) != 0 || plen != n ||
		    memcmp(blob + VAULT_RECORD_HEAD, d, n) != 0)
			__builtin_trap();
		if (vault_record_entries(blob + VAULT_RECORD_HEAD, plen, again, &count2) != 0 || count2 != count)
			__builtin_trap();
	}
	if (n <= VAULT_REC_MAX) {
		memcpy(blob, d, n);
		if (vault_record_open(dek, cid, 1, blob, n, &plen, &err) == 0)
			__builtin_trap(); /* a forgery under a key the input never saw */
	}
}

static int same_value(const vault_value *a, const vault_value *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == VAULT_V_STRING)
		return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
	return a->type != VAULT_V_INTEGER || a->i == b->i;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static vault_input fast, slow;
	char nid[VAULT_NID_LEN + 1];
	json_t *fields = NULL;
	util_err err, err2;
	size_t i;
	int scanned = vault_record_scan(cat, (const char *)d, n, &fast);

	record_blob(d, n);

	if (vault_record_parse((const char *)d, n, nid, &fields, &err) == 0) {
		int slow_ok;

		slow_ok = vault_input_from_json(cat, nid, fields, &slow, &err) == 0;
		if (slow_ok && !scanned)
			(void)vault_input_check(cat, &slow, &err2); /* the value checks, for every form */
		if (scanned && slow_ok) {
			int a = vault_input_check(cat, &fast, &err), b = vault_input_check(cat, &slow, &err2);

			if (strcmp(fast.nid, slow.nid) != 0)
				__builtin_trap();
			for (i = 0; i < vault_catalog_count(cat); i++)
				if (!same_value(&fast.v[i], &slow.v[i]))
					__builtin_trap();
			if (a != b || (a != 0 && strcmp(err.msg, err2.msg) != 0))
				__builtin_trap();
		} else if (scanned) {
			/* jansson refused what the scanner read: only the national ID may be why */
			if (vault_input_check(cat, &fast, &err2) == 0 || strcmp(err.msg, err2.msg) != 0)
				__builtin_trap();
		}
		json_decref(fields);
	} else if (scanned) {
		__builtin_trap(); /* the scanner read what is not valid JSON of the right shape */
	}
	return 0;
}
