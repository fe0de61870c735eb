/* release.c: what a lookup releases of a record: the granted fields, masked where granted so. */
#include "vault_private.h"

#include <stdio.h>
#include <string.h>

/*
 * The masked view of one value in place of the value, or the field dropped: a value with no
 * masked view, or whose view is not a JSON string, releases nothing, never the value. The
 * views are built in stack buffers, wiped (a sodium_malloc here cost an mmap and four
 * mprotects a field).
 */
static void mask_in_place(const vault_field_def *d, json_t *o, const char *name)
{
	json_t *val = json_object_get(o, name);
	char masked[2 * VAULT_VALUE_MAX], buf[32];
	const char *raw;
	size_t len, mlen;

	if (val == NULL)
		return;
	if (json_is_integer(val)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(val));
		raw = buf;
		len = strlen(buf);
	} else {
		raw = json_string_value(val);
		len = json_string_length(val);
	}
	if (d == NULL || raw == NULL || vault_mask(d, raw, len, masked, &mlen) != 0 ||
	    json_object_set_new(o, name, json_stringn(masked, mlen)) != 0)
		json_object_del(o, name);
	sodium_memzero(masked, sizeof masked);
	sodium_memzero(buf, sizeof buf);
}

int vault_citizen_release(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *const *names,
    const unsigned char *masked, size_t n, json_t **out, util_err *err)
{
	const vault_catalog *cat = vault_catalog_of(v);
	json_t *o = NULL;
	size_t i;

	*out = NULL;
	if (vault_citizen_read(v, cid, names, n, &o, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (masked[i])
			mask_in_place(vault_catalog_find(cat, names[i], strlen(names[i])), o, names[i]);
	*out = o;
	return 0;
}
