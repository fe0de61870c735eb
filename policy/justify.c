/* justify.c: which lookups take a free-text justification, and what counts as one. */
#include "policy.h"

#include <string.h>

/*
 * Code points that show nothing on their own, sorted: controls and White_Space (ASCII
 * whitespace, NBSP, U+1680, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000), format
 * characters (Cf: U+00AD, U+0600..U+0605, U+200B..U+200F, U+202A..U+202E, U+2060..U+206F,
 * U+FEFF, tags, ...), the rest of Default_Ignorable_Code_Point (U+115F/U+1160, U+3164, U+FFA0
 * Hangul fillers, U+180B..U+180F and U+FE00..U+FE0F selectors, U+E0000..U+E0FFF), combining
 * marks that have nothing to sit on (U+0300..U+036F, U+1AB0..U+1AFF, U+1DC0..U+1DFF,
 * U+20D0..U+20FF, U+FE20..U+FE2F), U+2800 (a blank braille pattern), private use (U+E000..U+F8FF,
 * planes 15 and 16: nothing says what they look like) and U+FFF0..U+FFFF.
 */
static const struct {
	uint32_t lo, hi;
} invisible[] = {
	{0x0000, 0x0020}, {0x007f, 0x00a0}, {0x00ad, 0x00ad}, {0x0300, 0x036f}, {0x0600, 0x0605}, {0x061c, 0x061c},
	{0x06dd, 0x06dd}, {0x070f, 0x070f}, {0x0890, 0x0891}, {0x08e2, 0x08e2}, {0x115f, 0x1160}, {0x1680, 0x1680},
	{0x17b4, 0x17b5}, {0x180b, 0x180f}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x2000, 0x200f}, {0x2028, 0x202f},
	{0x205f, 0x206f}, {0x20d0, 0x20ff}, {0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164}, {0xe000, 0xf8ff},
	{0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xffa0, 0xffa0}, {0xfff0, 0xffff}, {0x110bd, 0x110bd},
	{0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
	{0xf0000, 0x10ffff},
};

/*
 * Code points a justification never holds, wherever they stand: controls (a line break or an
 * escape sequence in the citizen's access log), the bidirectional embeddings, overrides and
 * isolates (text that reads other than it is stored), and noncharacters.
 */
static int refused(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe;
}

static int shows(uint32_t c)
{
	size_t lo = 0, hi = sizeof invisible / sizeof invisible[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c < invisible[mid].lo)
			hi = mid;
		else if (c > invisible[mid].hi)
			lo = mid + 1;
		else
			return 0;
	}
	return 1;
}

int policy_text_visible(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, j;
	int seen = 0;

	while (i < n) {
		uint32_t c;

		if ((k = util_utf8_char(p + i, n - i)) == 0)
			return 0; /* not UTF-8 */
		c = k == 1 ? p[i] : (uint32_t)(p[i] & (0xff >> (k + 1)));
		for (j = 1; j < k; j++)
			c = c << 6 | (p[i + j] & 0x3f);
		if (refused(c))
			return 0;
		seen |= shows(c);
		i += k;
	}
	return seen;
}

int policy_basis_takes_justification(policy_basis b)
{
	return b == POLICY_BASIS_LEGAL_OBLIGATION || b == POLICY_BASIS_VITAL_INTEREST;
}

int policy_justification_check(vault *v, const policy_agency *agency, const char *code, const char *just,
    util_err *err)
{
	size_t n = strnlen(just, POLICY_JUSTIFICATION_MAX + 1u);
	policy_purpose p;

	if (n > POLICY_JUSTIFICATION_MAX)
		return util_fail(err, UTIL_EINVAL, "justification is at most %u bytes", POLICY_JUSTIFICATION_MAX);
	if (code == NULL || policy_purpose_get(v, agency->id, code, NULL, &p, err) != 0) {
		if (code != NULL && err->code != UTIL_ENOTFOUND)
			return -1;
		return util_fail(err, UTIL_EINVAL, "justification: the purpose is not one of this agency's");
	}
	if (!policy_basis_takes_justification(p.basis))
		return util_fail(err, UTIL_EINVAL,
		    "justification: only a purpose of legal_obligation or vital_interest takes one, not %s",
		    policy_basis_name(p.basis));
	if (!policy_text_visible(just, n))
		return util_fail(err, UTIL_EINVAL,
		    "justification: it needs a visible character, and no control, bidirectional control or noncharacter");
	return 0;
}
