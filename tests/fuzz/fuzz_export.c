/* fuzz_export.c: verification of an exported audit log (vaultctl audit verify --export). */
#include <stdint.h>
#include <stdio.h>

#include "../../audit/audit.h"

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
	audit_report r;
	util_err err;
	FILE *f;

	if (n == 0 || (f = fmemopen((void *)d, n, "r")) == NULL)
		return 0;
	if (audit_verify_export(f, pk, &r, &err) == 0 && r.ok && r.checkpoints + (r.head_size > 0) > 0)
		__builtin_trap(); /* a checkpoint verified under a key nobody used */
	fclose(f);
	return 0;
}
