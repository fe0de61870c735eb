/* fuzz_nid.c: the national ID (CCCD) check. */
#include <stdint.h>

#include "../../vault/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	util_err err;

	if (vault_nid_check((const char *)d, n, &err) == 0 && n != VAULT_NID_LEN)
		__builtin_trap(); /* only 12 digits may pass */
	return 0;
}
