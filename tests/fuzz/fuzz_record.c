/*
 * fuzz_record.c: the JSON Lines importer's line readers and record checks (vaultctl import).
 * Differential: whenever vault_record_scan reads a line by hand, jansson (vault_record_parse and
 * vault_input_from_json) must read it too and give the same input, and both inputs must pass
 * or fail vault_input_check with the same message.
 */
#include <stdint.h>
#include <string.h>

#include "../../vault/vault.h"

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
