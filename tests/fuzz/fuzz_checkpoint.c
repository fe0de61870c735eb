/* fuzz_checkpoint.c: the signed-note checkpoint parser. */
#include <stdint.h>

#include "../../audit/merkle.h"
#include <sodium.h>

static unsigned char pk[32], sk[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	crypto_sign_ed25519_keypair(pk, sk);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	audit_checkpoint c;

	if (audit_checkpoint_verify((const char *)d, n, "vaultd/fuzz", pk, &c) == 0)
		__builtin_trap(); /* forged: this key signed nothing */
	return 0;
}
