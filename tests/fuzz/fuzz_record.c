/* fuzz_record.c: the JSON Lines importer's line parser and record checks (vaultctl import). */
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

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char nid[VAULT_NID_LEN + 1];
	json_t *fields = NULL;
	util_err err;

	if (vault_record_parse((const char *)d, n, nid, &fields, &err) == 0) {
		(void)vault_record_check(cat, nid, fields, &err);
		json_decref(fields);
	}
	return 0;
}
