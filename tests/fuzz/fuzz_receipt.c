/* fuzz_receipt.c: consent receipt verification (vaultctl receipt verify). */
#include <stdint.h>

#include "../../policy/policy.h"

static unsigned char pk[32], sk[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (vault_init() != 0)
		__builtin_trap();
	crypto_sign_ed25519_keypair(pk, sk);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	util_err err;

	/* no input can carry a valid signature by a key made for this run */
	if (policy_receipt_verify((const char *)d, n, pk, &err) == 0)
		__builtin_trap();
	return 0;
}
