/* nid.c: national ID (CCCD) checks and the keyed blind index that finds a citizen by it. */
#include "vault.h"

#include <string.h>
#include <time.h>

/*
 * Province codes of the 12-digit CCCD (Circular 07/2016/TT-BCA, Annex I): the 63 codes issued
 * before the 2025 merger. Numbers already issued keep their code, so all 63 stay valid.
 */
static const unsigned short provinces[] = {
	1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40,
	42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83,
	84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
};

static int province_ok(int code)
{
	size_t i;

	for (i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
		if (provinces[i] == code)
			return 1;
	return 0;
}

static int current_year(void)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

int vault_nid_check(const char *s, size_t n, util_err *err)
{
	size_t i;
	int century, year;

	if (n != VAULT_NID_LEN)
		return util_fail(err, UTIL_EINVAL, "national_id must be 12 digits");
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return util_fail(err, UTIL_EINVAL, "national_id must be 12 digits");
	if (!province_ok((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0')))
		return util_fail(err, UTIL_EINVAL, "national_id has an unknown province code");
	/* digit 4: the century of birth and the sex: 0/1 1900s, 2/3 2000s, 4/5 2100s, ... */
	century = (s[3] - '0') / 2;
	year = 1900 + century * 100 + (s[4] - '0') * 10 + (s[5] - '0');
	if (year > current_year())
		return util_fail(err, UTIL_EINVAL, "national_id has a birth year in the future");
	return 0;
}

void vault_nid_index(const unsigned char key[KEYS_BYTES], const char *nid, unsigned char out[VAULT_INDEX_BYTES])
{
	static const char label[] = "vaultd/nid-index/v1";
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, KEYS_BYTES, VAULT_INDEX_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)label, sizeof label);
	crypto_generichash_update(&st, (const unsigned char *)nid, VAULT_NID_LEN);
	crypto_generichash_final(&st, out, VAULT_INDEX_BYTES);
	sodium_memzero(&st, sizeof st);
}
