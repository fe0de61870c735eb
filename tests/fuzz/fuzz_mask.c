/*
 * fuzz_mask.c: masked views. The first byte picks a masked field, of the built-in catalog or
 * of one with every mask on every kind of value (mask_check.h); the rest is the value. Every
 * value the field accepts must mask to at most the mask's documented part, never to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mask_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const vault_field_def *f[2 * VAULT_MAX_FIELDS];
	static size_t nf;
	const char *why;
	int accepted;

	if (nf == 0 && (nf = mask_check_fields(f)) == 0)
		__builtin_trap(); /* the catalogs do not parse */
	if (n == 0)
		return 0;
	why = mask_check_draw(f[d[0] % nf], (const char *)d + 1, n - 1, &accepted);
	if (why != NULL) {
		fprintf(stderr, "field %s: %s\n", f[d[0] % nf]->name, why);
		__builtin_trap();
	}
	return 0;
}
