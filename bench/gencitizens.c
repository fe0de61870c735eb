/* gencitizens.c: deterministic synthetic Vietnamese citizen records as JSON Lines, for tests and benchmarks. */
/*
 * Usage: gencitizens N [SEED]
 *
 * Writes N lines (1 <= N <= 100000000) to stdout, each one JSON object
 *
 *	{"national_id":"<12 digits>","fields":{ ...the 15 catalog fields, always in the same order... }}
 *
 * The same N and SEED (default 1) always give byte-identical output: every random choice comes
 * from one xoshiro256** stream seeded from SEED, and nothing reads the clock or the locale.
 * Ages, pension and school categories are computed against a fixed reference year (REF_YEAR).
 *
 * national_id uniqueness, by construction:
 * An ID is PPP G YY SSSSSS. (PPP, G, YY) is a "bucket": 63 provinces x 79 birth years x 2
 * genders = 9954 buckets; the year fixes the century, so (G, YY) and (year, gender) determine
 * each other and distinct buckets always give distinct 6-digit prefixes. Each line draws its
 * bucket at random (weighted by province population and an age pyramid) and takes the bucket's
 * next counter value c (0, 1, 2, ...); the serial SSSSSS is a keyed Feistel permutation of c over
 * [0, 10^6), so two lines in one bucket can never share a serial, yet serials look random. A
 * bucket that reaches 10^6 lines (it never does in practice; the busiest sees about 0.1% of N)
 * hands the line to the next bucket with room, so uniqueness holds for any N up to 9954 * 10^6.
 *
 * The same idea makes phone numbers, tax codes and the 10-digit social-insurance part of
 * health_insurance_number unique too: each is a keyed Feistel permutation of the line index.
 * E-mail addresses are not unique (they are name + digits, like real ones).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 100000000ULL
#define REF_YEAR 2024      /* "today" for ages; fixed so that output never depends on the clock */
#define YEAR_MIN 1930
#define YEAR_MAX 2008
#define NYEARS (YEAR_MAX - YEAR_MIN + 1)
#define SERIALS 1000000u   /* six-digit serials per bucket */
#define OUT_CAP (1u << 20)
#define LINE_RESERVE 8192  /* a line is < 2 KiB even fully escaped; flush before this much is left */
#define FEISTEL_ROUNDS 6
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- randomness ---------------------------------------------------------------------------- */

static uint64_t rng_s[4];

/* splitmix64's finaliser: a good 64-bit mixing function, also used as the Feistel round function. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		rng_s[i] = mix64(seed);
	}
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** by Blackman and Vigna. */
static uint64_t rng_next(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9;
	uint64_t t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

/* Uniform in [0, n) for 0 < n < 2^32 (multiply-shift; the bias is below 2^-32 * n). */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(uint64_t lo, uint64_t hi)
{
	return lo + rng_next() % (hi - lo + 1);
}

/* True with probability permille / 1000. */
static int rng_chance(uint32_t permille)
{
	return rng_below(1000) < permille;
}

/*
 * A keyed permutation of [0, a*b): x is split into (l, r) = (x / b, x % b) and each round adds a
 * keyed hash of one half to the other, modulo that half's radix. Each round is invertible (subtract
 * the same hash), so the whole map is a bijection: distinct inputs always give distinct outputs.
 */
static uint64_t permute(uint64_t x, uint64_t a, uint64_t b, uint64_t key)
{
	uint64_t l = x / b, r = x % b;
	unsigned i;

	for (i = 0; i < FEISTEL_ROUNDS; i++) {
		uint64_t k = mix64(key + i * 0x632be59bd9b4e019ULL);

		if (i & 1)
			r = (r + mix64(l ^ k) % b) % b;
		else
			l = (l + mix64(r ^ k) % a) % a;
	}
	return l * b + r;
}

/* ---- reference data ------------------------------------------------------------------------ */

/*
 * Regions choose hamlet words, street styles, surname variants (Hoàng/Huỳnh, Vũ/Võ) and minority
 * ethnicities: N Red River delta and the north-east, M northern mountains, C central coast,
 * H central highlands, S south-east and Mekong delta.
 */
enum region { R_N, R_M, R_C, R_H, R_S };

/*
 * The 63 provinces (codes used before the 2025 merger), population in thousands (2019 census,
 * rounded) and a few real districts. The first district is the capital; a trailing '#' marks
 * a district whose wards are numbered ("Phường 7") rather than named. "Huyện" means rural
 * (communes, "Xã"); everything else is urban (wards, "Phường").
 */
struct province {
	int code;
	const char *name;
	unsigned pop;
	enum region region;
	int city; /* centrally-run city: districts drawn uniformly */
	const char *districts;
};

static const struct province provinces[] = {
	{ 1, "Hà Nội", 8054, R_N, 1, "Quận Ba Đình|Quận Hoàn Kiếm|Quận Hai Bà Trưng|Quận Đống Đa|Quận Cầu Giấy|Quận Thanh Xuân|Quận Hoàng Mai|Quận Long Biên|Quận Tây Hồ|Quận Nam Từ Liêm|Quận Bắc Từ Liêm|Quận Hà Đông|Thị xã Sơn Tây|Huyện Gia Lâm|Huyện Đông Anh|Huyện Sóc Sơn|Huyện Thanh Trì|Huyện Chương Mỹ|Huyện Ba Vì" },
	{ 2, "Hà Giang", 854, R_M, 0, "Thành phố Hà Giang|Huyện Vị Xuyên|Huyện Bắc Quang" },
	{ 4, "Cao Bằng", 530, R_M, 0, "Thành phố Cao Bằng|Huyện Trùng Khánh|Huyện Hòa An" },
	{ 6, "Bắc Kạn", 314, R_M, 0, "Thành phố Bắc Kạn|Huyện Ba Bể|Huyện Chợ Đồn" },
	{ 8, "Tuyên Quang", 785, R_M, 0, "Thành phố Tuyên Quang|Huyện Sơn Dương|Huyện Yên Sơn" },
	{ 10, "Lào Cai", 731, R_M, 0, "Thành phố Lào Cai|Thị xã Sa Pa|Huyện Bảo Thắng" },
	{ 11, "Điện Biên", 599, R_M, 0, "Thành phố Điện Biên Phủ|Huyện Điện Biên|Huyện Mường Ảng" },
	{ 12, "Lai Châu", 460, R_M, 0, "Thành phố Lai Châu|Huyện Tam Đường|Huyện Than Uyên" },
	{ 14, "Sơn La", 1249, R_M, 0, "Thành phố Sơn La|Huyện Mộc Châu|Huyện Mai Sơn" },
	{ 15, "Yên Bái", 822, R_M, 0, "Thành phố Yên Bái|Thị xã Nghĩa Lộ|Huyện Văn Chấn" },
	{ 17, "Hòa Bình", 855, R_M, 0, "Thành phố Hòa Bình|Huyện Mai Châu|Huyện Lương Sơn" },
	{ 19, "Thái Nguyên", 1287, R_N, 0, "Thành phố Thái Nguyên|Thành phố Sông Công|Huyện Đại Từ|Huyện Phú Bình" },
	{ 20, "Lạng Sơn", 782, R_M, 0, "Thành phố Lạng Sơn|Huyện Cao Lộc|Huyện Hữu Lũng" },
	{ 22, "Quảng Ninh", 1321, R_N, 0, "Thành phố Hạ Long|Thành phố Cẩm Phả|Thành phố Uông Bí|Huyện Vân Đồn" },
	{ 24, "Bắc Giang", 1804, R_N, 0, "Thành phố Bắc Giang|Huyện Lục Nam|Huyện Yên Dũng" },
	{ 25, "Phú Thọ", 1464, R_N, 0, "Thành phố Việt Trì|Huyện Lâm Thao|Huyện Thanh Sơn" },
	{ 26, "Vĩnh Phúc", 1152, R_N, 0, "Thành phố Vĩnh Yên|Huyện Tam Đảo|Huyện Yên Lạc" },
	{ 27, "Bắc Ninh", 1369, R_N, 0, "Thành phố Bắc Ninh|Huyện Yên Phong|Huyện Tiên Du" },
	{ 30, "Hải Dương", 1893, R_N, 0, "Thành phố Hải Dương|Huyện Gia Lộc|Huyện Thanh Hà" },
	{ 31, "Hải Phòng", 2029, R_N, 1, "Quận Hồng Bàng|Quận Ngô Quyền|Quận Lê Chân|Quận Hải An|Quận Kiến An|Quận Dương Kinh|Huyện Thủy Nguyên|Huyện An Dương|Huyện Vĩnh Bảo|Huyện Tiên Lãng" },
	{ 33, "Hưng Yên", 1253, R_N, 0, "Thành phố Hưng Yên|Huyện Văn Lâm|Huyện Khoái Châu" },
	{ 34, "Thái Bình", 1861, R_N, 0, "Thành phố Thái Bình|Huyện Kiến Xương|Huyện Tiền Hải" },
	{ 35, "Hà Nam", 853, R_N, 0, "Thành phố Phủ Lý|Huyện Bình Lục|Huyện Thanh Liêm" },
	{ 36, "Nam Định", 1781, R_N, 0, "Thành phố Nam Định|Huyện Hải Hậu|Huyện Giao Thủy" },
	{ 37, "Ninh Bình", 983, R_N, 0, "Thành phố Ninh Bình|Huyện Gia Viễn|Huyện Kim Sơn" },
	{ 38, "Thanh Hóa", 3641, R_C, 0, "Thành phố Thanh Hóa|Huyện Hoằng Hóa|Huyện Thọ Xuân" },
	{ 40, "Nghệ An", 3328, R_C, 0, "Thành phố Vinh|Huyện Diễn Châu|Huyện Nghi Lộc" },
	{ 42, "Hà Tĩnh", 1289, R_C, 0, "Thành phố Hà Tĩnh|Huyện Cẩm Xuyên|Huyện Đức Thọ" },
	{ 44, "Quảng Bình", 896, R_C, 0, "Thành phố Đồng Hới|Huyện Bố Trạch|Huyện Lệ Thủy" },
	{ 45, "Quảng Trị", 633, R_C, 0, "Thành phố Đông Hà#|Huyện Hải Lăng|Huyện Vĩnh Linh" },
	{ 46, "Thừa Thiên Huế", 1129, R_C, 0, "Thành phố Huế|Thị xã Hương Thủy|Huyện Phú Vang" },
	{ 48, "Đà Nẵng", 1135, R_C, 1, "Quận Hải Châu|Quận Thanh Khê|Quận Sơn Trà|Quận Ngũ Hành Sơn|Quận Liên Chiểu|Quận Cẩm Lệ|Huyện Hòa Vang" },
	{ 49, "Quảng Nam", 1496, R_C, 0, "Thành phố Tam Kỳ|Thành phố Hội An|Huyện Duy Xuyên|Huyện Thăng Bình" },
	{ 51, "Quảng Ngãi", 1232, R_C, 0, "Thành phố Quảng Ngãi|Huyện Bình Sơn|Huyện Tư Nghĩa" },
	{ 52, "Bình Định", 1487, R_C, 0, "Thành phố Quy Nhơn|Huyện Tuy Phước|Huyện Phù Cát" },
	{ 54, "Phú Yên", 873, R_C, 0, "Thành phố Tuy Hòa#|Huyện Tuy An|Huyện Sơn Hòa" },
	{ 56, "Khánh Hòa", 1232, R_C, 0, "Thành phố Nha Trang|Huyện Diên Khánh|Huyện Vạn Ninh" },
	{ 58, "Ninh Thuận", 591, R_C, 0, "Thành phố Phan Rang - Tháp Chàm|Huyện Ninh Hải|Huyện Ninh Phước" },
	{ 60, "Bình Thuận", 1231, R_C, 0, "Thành phố Phan Thiết|Huyện Hàm Thuận Bắc|Huyện Tuy Phong" },
	{ 62, "Kon Tum", 541, R_H, 0, "Thành phố Kon Tum|Huyện Đăk Hà|Huyện Ngọc Hồi" },
	{ 64, "Gia Lai", 1514, R_H, 0, "Thành phố Pleiku|Huyện Chư Păh|Huyện Đức Cơ" },
	{ 66, "Đắk Lắk", 1870, R_H, 0, "Thành phố Buôn Ma Thuột|Huyện Cư M'gar|Huyện Krông Pắc" },
	{ 67, "Đắk Nông", 623, R_H, 0, "Thành phố Gia Nghĩa|Huyện Đắk Mil|Huyện Cư Jút" },
	{ 68, "Lâm Đồng", 1297, R_H, 0, "Thành phố Đà Lạt#|Thành phố Bảo Lộc|Huyện Đức Trọng|Huyện Di Linh" },
	{ 70, "Bình Phước", 995, R_S, 0, "Thành phố Đồng Xoài|Huyện Bù Đăng|Huyện Lộc Ninh" },
	{ 72, "Tây Ninh", 1170, R_S, 0, "Thành phố Tây Ninh|Huyện Gò Dầu|Huyện Châu Thành" },
	{ 74, "Bình Dương", 2456, R_S, 0, "Thành phố Thủ Dầu Một|Thành phố Dĩ An|Thành phố Thuận An|Huyện Bàu Bàng|Huyện Dầu Tiếng" },
	{ 75, "Đồng Nai", 3097, R_S, 0, "Thành phố Biên Hòa|Huyện Trảng Bom|Huyện Nhơn Trạch" },
	{ 77, "Bà Rịa - Vũng Tàu", 1149, R_S, 0, "Thành phố Vũng Tàu#|Thành phố Bà Rịa|Huyện Long Điền|Huyện Xuyên Mộc" },
	{ 79, "TP. Hồ Chí Minh", 8993, R_S, 1, "Quận 1|Quận 3#|Quận 4#|Quận 5#|Quận 6#|Quận 7|Quận 8#|Quận 10#|Quận 11#|Quận 12|Quận Bình Thạnh#|Quận Phú Nhuận#|Quận Tân Bình#|Quận Gò Vấp#|Quận Tân Phú|Quận Bình Tân|Thành phố Thủ Đức|Huyện Củ Chi|Huyện Hóc Môn|Huyện Bình Chánh|Huyện Nhà Bè" },
	{ 80, "Long An", 1689, R_S, 0, "Thành phố Tân An#|Huyện Đức Hòa|Huyện Bến Lức" },
	{ 82, "Tiền Giang", 1765, R_S, 0, "Thành phố Mỹ Tho#|Huyện Cái Bè|Huyện Chợ Gạo" },
	{ 83, "Bến Tre", 1289, R_S, 0, "Thành phố Bến Tre#|Huyện Mỏ Cày Nam|Huyện Ba Tri" },
	{ 84, "Trà Vinh", 1010, R_S, 0, "Thành phố Trà Vinh#|Huyện Cầu Kè|Huyện Tiểu Cần" },
	{ 86, "Vĩnh Long", 1023, R_S, 0, "Thành phố Vĩnh Long#|Huyện Long Hồ|Huyện Trà Ôn" },
	{ 87, "Đồng Tháp", 1600, R_S, 0, "Thành phố Cao Lãnh#|Thành phố Sa Đéc#|Huyện Lai Vung|Huyện Tháp Mười" },
	{ 89, "An Giang", 1908, R_S, 0, "Thành phố Long Xuyên|Thành phố Châu Đốc|Huyện Chợ Mới|Huyện Phú Tân" },
	{ 91, "Kiên Giang", 1724, R_S, 0, "Thành phố Rạch Giá|Thành phố Phú Quốc|Huyện Châu Thành|Huyện Hòn Đất" },
	{ 92, "Cần Thơ", 1236, R_S, 1, "Quận Ninh Kiều|Quận Bình Thủy|Quận Cái Răng|Quận Ô Môn|Quận Thốt Nốt|Huyện Phong Điền|Huyện Cờ Đỏ|Huyện Thới Lai" },
	{ 93, "Hậu Giang", 733, R_S, 0, "Thành phố Vị Thanh|Huyện Châu Thành A|Huyện Phụng Hiệp" },
	{ 94, "Sóc Trăng", 1200, R_S, 0, "Thành phố Sóc Trăng#|Huyện Mỹ Xuyên|Huyện Kế Sách" },
	{ 95, "Bạc Liêu", 907, R_S, 0, "Thành phố Bạc Liêu#|Huyện Hòa Bình|Huyện Phước Long" },
	{ 96, "Cà Mau", 1194, R_S, 0, "Thành phố Cà Mau#|Huyện Năm Căn|Huyện Cái Nước" },
};

#define NPROV ((int)ARRAY_LEN(provinces))
#define NBUCKETS (NPROV * NYEARS * 2)
#define MAX_DISTRICTS 24

/* A district, cut out of provinces[].districts at start-up (pointer + length, no copy). */
struct district {
	const char *s;
	unsigned len;
	int numbered; /* wards are "Phường 1".."Phường 15" */
	int rural;    /* "Huyện": communes and hamlets */
};

static struct district districts[ARRAY_LEN(provinces)][MAX_DISTRICTS];
static int ndistricts[ARRAY_LEN(provinces)];

/* A weighted string; ascii is the lower-case form without diacritics (for e-mail addresses). */
struct item {
	const char *s;
	const char *ascii;
	unsigned w;
};

/* Surnames with weights per mille for the north (first) and the centre and south (second). */
struct surname {
	const char *s;
	const char *ascii;
	unsigned w_north, w_south;
};

static const struct surname surnames[] = {
	{ "Nguyễn", "nguyen", 380, 380 }, { "Trần", "tran", 110, 115 }, { "Lê", "le", 95, 95 },
	{ "Phạm", "pham", 70, 65 }, { "Hoàng", "hoang", 50, 10 }, { "Huỳnh", "huynh", 5, 45 },
	{ "Phan", "phan", 40, 45 }, { "Vũ", "vu", 40, 8 }, { "Võ", "vo", 5, 40 },
	{ "Đặng", "dang", 21, 21 }, { "Bùi", "bui", 20, 18 }, { "Đỗ", "do", 18, 12 },
	{ "Hồ", "ho", 10, 18 }, { "Ngô", "ngo", 13, 13 }, { "Dương", "duong", 10, 10 },
	{ "Lý", "ly", 5, 8 }, { "Đinh", "dinh", 8, 5 }, { "Trương", "truong", 6, 10 },
	{ "Lâm", "lam", 3, 8 }, { "Mai", "mai", 5, 5 }, { "Trịnh", "trinh", 7, 4 },
	{ "Đào", "dao", 6, 4 }, { "Cao", "cao", 5, 5 }, { "Lương", "luong", 5, 4 },
	{ "Hà", "ha", 5, 3 }, { "Tô", "to", 3, 3 }, { "Tạ", "ta", 3, 2 },
	{ "Lưu", "luu", 3, 3 }, { "Thái", "thai", 2, 3 }, { "Châu", "chau", 1, 4 },
};

/* Middle names other than the traditional Văn / Thị, which are chosen by birth year. */
static const struct item middle_male[] = {
	{ "Hữu", "huu", 1 }, { "Đức", "duc", 1 }, { "Minh", "minh", 1 }, { "Quang", "quang", 1 },
	{ "Công", "cong", 1 }, { "Thành", "thanh", 1 }, { "Quốc", "quoc", 1 }, { "Xuân", "xuan", 1 },
	{ "Đình", "dinh", 1 }, { "Anh", "anh", 1 }, { "Tuấn", "tuan", 1 }, { "Gia", "gia", 1 },
	{ "Hoàng", "hoang", 1 }, { "Trung", "trung", 1 }, { "Mạnh", "manh", 1 }, { "Ngọc", "ngoc", 1 },
	{ "Thanh", "thanh", 1 }, { "Bá", "ba", 1 }, { "Duy", "duy", 1 }, { "Tiến", "tien", 1 },
	{ "Hải", "hai", 1 }, { "Nhật", "nhat", 1 }, { "Khánh", "khanh", 1 }, { "Trọng", "trong", 1 },
};

static const struct item middle_female[] = {
	{ "Ngọc", "ngoc", 1 }, { "Thu", "thu", 1 }, { "Thanh", "thanh", 1 }, { "Phương", "phuong", 1 },
	{ "Minh", "minh", 1 }, { "Bảo", "bao", 1 }, { "Kim", "kim", 1 }, { "Hồng", "hong", 1 },
	{ "Mai", "mai", 1 }, { "Khánh", "khanh", 1 }, { "Diệu", "dieu", 1 }, { "Hoài", "hoai", 1 },
	{ "Thùy", "thuy", 1 }, { "Quỳnh", "quynh", 1 }, { "Bích", "bich", 1 }, { "Hải", "hai", 1 },
	{ "Như", "nhu", 1 }, { "Cẩm", "cam", 1 }, { "Tường", "tuong", 1 }, { "Gia", "gia", 1 },
	{ "Mỹ", "my", 1 }, { "Lan", "lan", 1 }, { "Xuân", "xuan", 1 }, { "Thảo", "thao", 1 },
};

static const struct item given_male[] = {
	{ "Hùng", "hung", 1 }, { "Dũng", "dung", 1 }, { "Minh", "minh", 1 }, { "Tuấn", "tuan", 1 },
	{ "Nam", "nam", 1 }, { "Hải", "hai", 1 }, { "Long", "long", 1 }, { "Sơn", "son", 1 },
	{ "Thắng", "thang", 1 }, { "Cường", "cuong", 1 }, { "Huy", "huy", 1 }, { "Đức", "duc", 1 },
	{ "Phong", "phong", 1 }, { "Khoa", "khoa", 1 }, { "Trung", "trung", 1 }, { "Hiếu", "hieu", 1 },
	{ "Quân", "quan", 1 }, { "Bảo", "bao", 1 }, { "Khánh", "khanh", 1 }, { "Phúc", "phuc", 1 },
	{ "Tùng", "tung", 1 }, { "Vinh", "vinh", 1 }, { "Thành", "thanh", 1 }, { "Toàn", "toan", 1 },
	{ "Kiên", "kien", 1 }, { "Đạt", "dat", 1 }, { "Hoàng", "hoang", 1 }, { "An", "an", 1 },
	{ "Bình", "binh", 1 }, { "Tài", "tai", 1 }, { "Lâm", "lam", 1 }, { "Nghĩa", "nghia", 1 },
	{ "Quang", "quang", 1 }, { "Thịnh", "thinh", 1 }, { "Duy", "duy", 1 }, { "Hưng", "hung", 1 },
	{ "Lộc", "loc", 1 }, { "Tâm", "tam", 1 }, { "Trí", "tri", 1 }, { "Việt", "viet", 1 },
	{ "Vũ", "vu", 1 }, { "Thái", "thai", 1 }, { "Tiến", "tien", 1 }, { "Hậu", "hau", 1 },
	{ "Khang", "khang", 1 }, { "Nhân", "nhan", 1 }, { "Phát", "phat", 1 }, { "Thiện", "thien", 1 },
};

static const struct item given_female[] = {
	{ "Mai", "mai", 1 }, { "Lan", "lan", 1 }, { "Hương", "huong", 1 }, { "Hoa", "hoa", 1 },
	{ "Linh", "linh", 1 }, { "Trang", "trang", 1 }, { "Thảo", "thao", 1 }, { "Hằng", "hang", 1 },
	{ "Nga", "nga", 1 }, { "Ngọc", "ngoc", 1 }, { "Anh", "anh", 1 }, { "Hà", "ha", 1 },
	{ "Thủy", "thuy", 1 }, { "Yến", "yen", 1 }, { "Nhung", "nhung", 1 }, { "Phương", "phuong", 1 },
	{ "Hạnh", "hanh", 1 }, { "Dung", "dung", 1 }, { "Loan", "loan", 1 }, { "Oanh", "oanh", 1 },
	{ "Vy", "vy", 1 }, { "Nhi", "nhi", 1 }, { "Trâm", "tram", 1 }, { "Uyên", "uyen", 1 },
	{ "Quỳnh", "quynh", 1 }, { "My", "my", 1 }, { "Hiền", "hien", 1 }, { "Huyền", "huyen", 1 },
	{ "Tuyết", "tuyet", 1 }, { "Vân", "van", 1 }, { "Thư", "thu", 1 }, { "Giang", "giang", 1 },
	{ "Châu", "chau", 1 }, { "Ly", "ly", 1 }, { "Hồng", "hong", 1 }, { "Nhàn", "nhan", 1 },
	{ "Xuân", "xuan", 1 }, { "Liên", "lien", 1 }, { "Duyên", "duyen", 1 }, { "Nguyệt", "nguyet", 1 },
	{ "Thơ", "tho", 1 }, { "Tâm", "tam", 1 }, { "Ánh", "anh", 1 }, { "Diễm", "diem", 1 },
};

static const char *const streets[] = {
	"Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
	"Nguyễn Huệ", "Lê Duẩn", "Hùng Vương", "Phan Đình Phùng", "Điện Biên Phủ", "Võ Thị Sáu",
	"Nguyễn Thị Minh Khai", "Cách Mạng Tháng Tám", "Trần Phú", "Ngô Quyền", "Bà Triệu",
	"Lê Thánh Tông", "Nguyễn Du", "Lê Hồng Phong", "Nguyễn Văn Cừ", "Phạm Văn Đồng",
	"Nguyễn Chí Thanh", "Lạc Long Quân", "Tôn Đức Thắng", "Nguyễn Văn Linh", "Hoàng Hoa Thám",
	"Trường Chinh", "Nguyễn Đình Chiểu", "Phan Bội Châu", "Chu Văn An", "Nguyễn Thái Học",
	"Lý Tự Trọng", "Yết Kiêu", "Lê Văn Lương", "Hoàng Diệu",
};

static const char *const ward_names[] = {
	"Trần Phú", "Lê Lợi", "Quang Trung", "Hoàng Văn Thụ", "Phan Chu Trinh", "Nguyễn Trãi",
	"Trần Hưng Đạo", "Minh Khai", "Tân Lập", "Tân An", "Hòa Bình", "Phú Hòa", "Đông Thọ",
	"An Phú", "Bình Minh", "Thanh Bình", "Hòa Thuận", "Vĩnh Ninh", "Tân Thịnh", "Hưng Phúc",
};

static const char *const communes_north[] = {
	"Tân Lập", "Hòa Bình", "Quang Trung", "Hưng Đạo", "Đại Đồng", "Hợp Thành", "Tân Tiến",
	"Đông Phương", "Xuân Lâm", "Thanh Xuân", "Nghĩa Trung", "Yên Phú", "Liên Minh", "Đồng Tâm",
	"Tiên Phong", "Minh Tân", "Phú Thịnh", "Kim Liên", "Thống Nhất", "Đoàn Kết",
};

static const char *const communes_south[] = {
	"Tân Phú", "Long Hòa", "Mỹ Thạnh", "Phước Long", "An Bình", "Bình Hòa", "Tân Hiệp",
	"Vĩnh Thạnh", "Long Thới", "Mỹ Hòa", "Thạnh Phú", "Hòa Lợi", "Tân Thạnh", "An Thới",
	"Phú Hữu", "Long Hưng",
};

static const char *const hamlets_north[] = {
	"Đông", "Tây", "Nam", "Bắc", "Thượng", "Hạ", "Trung", "Đoài", "Chùa", "Đình", "Cầu", "Mới",
};

static const char *const hamlets_mountain[] = {
	"Lác", "Pác Ngòi", "Nậm Cang", "Na", "Hua Pàng", "Phiêng Luông", "Co Muông", "Nà Ca",
};

static const char *const hamlets_south[] = {
	"Tân Hòa", "Phú Lợi", "Mỹ Thạnh", "Bình An", "Long Hưng", "Hòa Thuận", "Thạnh Lợi", "An Hòa",
	"Phước Thạnh",
};

static const struct item ethnic_north[] = {
	{ "Tày", NULL, 25 }, { "Thái", NULL, 24 }, { "Mường", NULL, 18 }, { "H'Mông", NULL, 17 },
	{ "Nùng", NULL, 11 }, { "Dao", NULL, 9 }, { "Sán Chay", NULL, 2 }, { "Sán Dìu", NULL, 2 },
	{ "Giáy", NULL, 1 },
};

static const struct item ethnic_central[] = {
	{ "Mường", NULL, 10 }, { "Thái", NULL, 10 }, { "Chăm", NULL, 6 }, { "Bru-Vân Kiều", NULL, 5 },
	{ "Hrê", NULL, 5 }, { "Cơ Tu", NULL, 4 }, { "Ra Glai", NULL, 4 }, { "Khơ Mú", NULL, 3 },
	{ "Tà Ôi", NULL, 2 },
};

static const struct item ethnic_highland[] = {
	{ "Gia Rai", NULL, 25 }, { "Ê Đê", NULL, 20 }, { "Ba Na", NULL, 15 }, { "Xơ Đăng", NULL, 10 },
	{ "Cơ Ho", NULL, 10 }, { "M'Nông", NULL, 6 }, { "Tày", NULL, 5 }, { "Nùng", NULL, 5 },
	{ "H'Mông", NULL, 2 }, { "Mạ", NULL, 2 },
};

static const struct item ethnic_south[] = {
	{ "Khmer", NULL, 50 }, { "Hoa", NULL, 30 }, { "Chăm", NULL, 6 }, { "Xtiêng", NULL, 4 },
	{ "Chơ Ro", NULL, 2 }, { "Mạ", NULL, 2 }, { "Tày", NULL, 2 }, { "Nùng", NULL, 2 },
};

/* Weights per mille of all people; "Không" (none) is ~80%. */
static const struct item religions[] = {
	{ "Không", NULL, 800 }, { "Phật giáo", NULL, 90 }, { "Công giáo", NULL, 65 },
	{ "Cao Đài", NULL, 15 }, { "Phật giáo Hòa Hảo", NULL, 15 }, { "Tin Lành", NULL, 15 },
};

/* Vietnamese blood-group frequencies per ten thousand; Rh-negative is rare. */
static const struct item blood_types[] = {
	{ "O+", NULL, 4170 }, { "B+", NULL, 3000 }, { "A+", NULL, 2110 }, { "AB+", NULL, 650 },
	{ "O-", NULL, 30 }, { "B-", NULL, 20 }, { "A-", NULL, 15 }, { "AB-", NULL, 5 },
};

/* The first YOUNG_CONDITIONS are the ones plausible for people under 30. */
static const char *const conditions[] = {
	"Hen phế quản", "Viêm gan B mạn tính", "Viêm khớp dạng thấp",
	"Tăng huyết áp", "Đái tháo đường type 2", "Bệnh tim mạch vành",
};
#define YOUNG_CONDITIONS 3u

/* Mobile prefixes (Viettel, Mobifone, Vinaphone, Vietnamobile-era renumbered ranges). */
static const char *const phone_prefixes[] = {
	"032", "033", "034", "035", "036", "037", "038", "039", "070", "076",
	"077", "078", "079", "081", "082", "083", "084", "085", "086", "088",
	"089", "090", "091", "093", "094", "096", "097", "098",
};

static const struct item email_domains[] = {
	{ "gmail.com", NULL, 62 }, { "yahoo.com.vn", NULL, 10 }, { "yahoo.com", NULL, 5 },
	{ "outlook.com", NULL, 7 }, { "hotmail.com", NULL, 4 }, { "icloud.com", NULL, 3 },
	{ "vnn.vn", NULL, 5 }, { "fpt.vn", NULL, 4 },
};

/*
 * Relative births per year, as an age pyramid seen from REF_YEAR: few people born in the 1930s,
 * most born 1975-2008. Linear between the anchors.
 */
static const int year_anchor[][2] = {
	{ 1930, 10 }, { 1940, 30 }, { 1950, 70 }, { 1960, 110 }, { 1970, 140 },
	{ 1980, 160 }, { 1990, 170 }, { 2000, 160 }, { 2008, 160 },
};

/* Cumulative weights for the two big draws of every line, built once by tables_init(). */
static uint32_t prov_cum[ARRAY_LEN(provinces)];
static uint32_t year_cum[NYEARS];
static uint32_t bucket_used[NBUCKETS];

/* Per-purpose keys for the Feistel permutations, derived from SEED. */
static uint64_t key_serial, key_phone, key_tax, key_insurance;

/* ---- picking ------------------------------------------------------------------------------- */

/* Index of a draw from cumulative weights cum[0..n-1] (cum[n-1] is the total). */
static size_t pick_cum(const uint32_t *cum, size_t n)
{
	uint32_t r = rng_below(cum[n - 1]);
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A draw from a short weighted list (linear scan; the lists have at most a few dozen entries). */
static const struct item *pick_item(const struct item *t, size_t n)
{
	uint32_t total = 0, r;
	size_t i;

	for (i = 0; i < n; i++)
		total += t[i].w;
	r = rng_below(total);
	for (i = 0; i + 1 < n; i++) {
		if (r < t[i].w)
			break;
		r -= t[i].w;
	}
	return &t[i];
}

#define PICK(a) (&(a)[rng_below((uint32_t)ARRAY_LEN(a))])
#define PICK_ITEM(a) pick_item((a), ARRAY_LEN(a))

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* ---- string building ----------------------------------------------------------------------- */

/* A bounded string builder over a caller's array; it truncates rather than overflows. */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_init(struct sb *b, char *buf, size_t cap)
{
	b->p = buf;
	b->len = 0;
	b->cap = cap;
	buf[0] = '\0';
}

static void sb_mem(struct sb *b, const char *s, size_t n)
{
	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_mem(b, s, strlen(s));
}

static void sb_char(struct sb *b, char c)
{
	sb_mem(b, &c, 1);
}

/* v in decimal, at least width digits (zero-padded). */
static void sb_num(struct sb *b, uint64_t v, int width)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || n < (size_t)width);
	sb_mem(b, tmp + sizeof tmp - n, n);
}

/* ---- output -------------------------------------------------------------------------------- */

static char outbuf[OUT_CAP];
static size_t outlen;

/* Writes the buffered output; returns -1 on a write error. */
static int out_flush(void)
{
	int rc = 0;

	if (outlen != 0 && fwrite(outbuf, 1, outlen, stdout) != outlen)
		rc = -1;
	outlen = 0;
	return rc;
}

static void out_mem(const char *s, size_t n)
{
	memcpy(outbuf + outlen, s, n);
	outlen += n;
}

#define OUT_LIT(s) out_mem((s), sizeof(s) - 1)

/* s as a JSON string, quotes included. The data never needs escaping, but stay correct if it does. */
static void out_json_str(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	outbuf[outlen++] = '"';
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			outbuf[outlen++] = '\\';
			outbuf[outlen++] = (char)*p;
		} else if (*p < 0x20) {
			OUT_LIT("\\u00");
			outbuf[outlen++] = hex[*p >> 4];
			outbuf[outlen++] = hex[*p & 15];
		} else {
			outbuf[outlen++] = (char)*p;
		}
	}
	outbuf[outlen++] = '"';
}

static void out_uint(uint64_t v)
{
	char tmp[24];
	struct sb b;

	sb_init(&b, tmp, sizeof tmp);
	sb_num(&b, v, 1);
	out_mem(tmp, b.len);
}

/* ---- one citizen --------------------------------------------------------------------------- */

struct citizen {
	int prov;   /* provinces[] index of the ID's province code */
	int year, month, day, female, age;
	char national_id[13];
	char full_name[128];
	char permanent_address[256];
	char current_address[256];
	char phone[16];
	char email[128];
	const char *ethnicity;
	const char *religion;
	char health_insurance_number[16];
	const char *blood_type;
	char chronic_conditions[128];
	uint64_t annual_income;
	char tax_code[11];
	int has_record;
	/* name parts, for the e-mail address */
	const char *a_sur, *a_mid1, *a_mid2, *a_given;
};

static int region_is_north(enum region r)
{
	return r == R_N || r == R_M;
}

/*
 * Draws the bucket (province, birth year, gender) and the serial: see the comment at the top.
 * bucket = (prov * NYEARS + year - YEAR_MIN) * 2 + female.
 */
static void gen_identity(struct citizen *c)
{
	uint32_t b = (uint32_t)((pick_cum(prov_cum, NPROV) * NYEARS + pick_cum(year_cum, NYEARS)) * 2
				+ rng_below(2));
	uint64_t serial;
	struct sb s;

	while (bucket_used[b] >= SERIALS)
		b = (b + 1) % NBUCKETS;
	serial = permute(bucket_used[b]++, 1000, 1000, key_serial ^ mix64(b));

	c->female = (int)(b % 2);
	c->year = YEAR_MIN + (int)(b / 2 % NYEARS);
	c->prov = (int)(b / 2 / NYEARS);
	c->age = REF_YEAR - c->year;
	c->month = 1 + (int)rng_below(12);
	c->day = 1 + (int)rng_below((uint32_t)days_in_month(c->year, c->month));

	sb_init(&s, c->national_id, sizeof c->national_id);
	sb_num(&s, (uint64_t)provinces[c->prov].code, 3);
	sb_num(&s, (uint64_t)((c->year >= 2000 ? 2 : 0) + c->female), 1);
	sb_num(&s, (uint64_t)(c->year % 100), 2);
	sb_num(&s, serial, 6);
}

static const struct surname *pick_surname(enum region r)
{
	uint32_t total = 0, x;
	size_t i;
	int north = region_is_north(r);

	for (i = 0; i < ARRAY_LEN(surnames); i++)
		total += north ? surnames[i].w_north : surnames[i].w_south;
	x = rng_below(total);
	for (i = 0; i + 1 < ARRAY_LEN(surnames); i++) {
		uint32_t w = north ? surnames[i].w_north : surnames[i].w_south;

		if (x < w)
			break;
		x -= w;
	}
	return &surnames[i];
}

/* "Họ Đệm Tên". Văn / Thị are common for older people and rarer for the young. */
static void gen_name(struct citizen *c)
{
	const struct surname *sur = pick_surname(provinces[c->prov].region);
	const struct item *m2 = NULL, *g;
	const char *m1, *a1;
	uint32_t traditional = c->year < 1975 ? 650 : c->year < 1995 ? 450 : 180;
	struct sb b;

	if (rng_chance(traditional)) {
		m1 = c->female ? "Thị" : "Văn";
		a1 = c->female ? "thi" : "van";
		if (c->female && rng_chance(150))
			m2 = PICK(middle_female);
	} else {
		const struct item *m = c->female ? PICK(middle_female) : PICK(middle_male);

		m1 = m->s;
		a1 = m->ascii;
	}
	do
		g = c->female ? PICK(given_female) : PICK(given_male);
	while (strcmp(g->s, m1) == 0 || (m2 != NULL && strcmp(g->s, m2->s) == 0));

	sb_init(&b, c->full_name, sizeof c->full_name);
	sb_str(&b, sur->s);
	sb_char(&b, ' ');
	sb_str(&b, m1);
	if (m2 != NULL) {
		sb_char(&b, ' ');
		sb_str(&b, m2->s);
	}
	sb_char(&b, ' ');
	sb_str(&b, g->s);

	c->a_sur = sur->ascii;
	c->a_mid1 = a1;
	c->a_mid2 = m2 != NULL ? m2->ascii : NULL;
	c->a_given = g->ascii;
}

static const struct district *pick_district(int p)
{
	int n = ndistricts[p];

	if (!provinces[p].city && rng_chance(350))
		return &districts[p][0];
	return &districts[p][rng_below((uint32_t)n)];
}

/* Street part of an urban address, up to and including the ", " before the ward. */
static void gen_street(struct sb *b, enum region r)
{
	uint32_t n = 1 + rng_below(rng_chance(700) ? 120 : 400);
	const char *street = *PICK(streets);
	uint32_t form = rng_below(100);

	if (region_is_north(r)) {
		const char *kind = rng_chance(600) ? "Phố " : "Đường ";

		if (form < 40) {        /* Số 12, Ngõ 45 Phố Huế */
			sb_str(b, "Số ");
			sb_num(b, n, 1);
			sb_str(b, ", Ngõ ");
			sb_num(b, 1 + rng_below(300), 1);
			sb_char(b, ' ');
		} else if (form < 55) { /* Số 8, Ngách 15, Ngõ 102 Phố ... */
			sb_str(b, "Số ");
			sb_num(b, n % 60 + 1, 1);
			sb_str(b, ", Ngách ");
			sb_num(b, 1 + rng_below(80), 1);
			sb_str(b, ", Ngõ ");
			sb_num(b, 1 + rng_below(300), 1);
			sb_char(b, ' ');
		} else if (form < 88) { /* Số 12 Phố ... */
			sb_str(b, "Số ");
			sb_num(b, n, 1);
			sb_char(b, ' ');
		} else {                /* Tổ dân phố 5 */
			sb_str(b, "Tổ dân phố ");
			sb_num(b, 1 + rng_below(30), 1);
			sb_str(b, ", ");
			return;
		}
		sb_str(b, kind);
		sb_str(b, street);
		sb_str(b, ", ");
		return;
	}
	if (form < 88) {
		sb_num(b, n, 1);
		if (form >= 50) {       /* 123/45 (a hẻm), sometimes 123/45/6 */
			sb_char(b, '/');
			sb_num(b, 1 + rng_below(60), 1);
			if (form >= 80) {
				sb_char(b, '/');
				sb_num(b, 1 + rng_below(20), 1);
			}
		}
		sb_str(b, " Đường ");
		sb_str(b, street);
		sb_str(b, ", ");
		return;
	}
	sb_str(b, r == R_S ? "Khu phố " : "Tổ dân phố ");
	sb_num(b, 1 + rng_below(12), 1);
	sb_str(b, ", ");
}

/* Hamlet and commune of a rural address, up to and including the ", " before the district. */
static void gen_village(struct sb *b, enum region r)
{
	const char *const *communes = r == R_S ? communes_south : communes_north;
	size_t ncommunes = r == R_S ? ARRAY_LEN(communes_south) : ARRAY_LEN(communes_north);
	int numbered = rng_chance(400), ban = 0;

	switch (r) {
	case R_S:
		sb_str(b, "Ấp ");
		break;
	case R_M:
		ban = rng_chance(600);
		sb_str(b, ban ? "Bản " : "Thôn ");
		break;
	case R_N:
		sb_str(b, rng_chance(700) ? "Thôn " : "Xóm ");
		break;
	default:
		sb_str(b, "Thôn ");
		break;
	}
	if (numbered)
		sb_num(b, 1 + rng_below(12), 1);
	else if (r == R_S)
		sb_str(b, *PICK(hamlets_south));
	else if (ban)
		sb_str(b, *PICK(hamlets_mountain));
	else
		sb_str(b, *PICK(hamlets_north));
	sb_str(b, ", Xã ");
	sb_str(b, communes[rng_below((uint32_t)ncommunes)]);
	sb_str(b, ", ");
}

/* An address in province p; the last comma-separated part is always the province's name. */
static void gen_address(char *buf, size_t cap, int p)
{
	const struct province *pv = &provinces[p];
	const struct district *d = pick_district(p);
	struct sb b;

	sb_init(&b, buf, cap);
	if (d->rural) {
		gen_village(&b, pv->region);
	} else {
		gen_street(&b, pv->region);
		sb_str(&b, "Phường ");
		if (d->numbered)
			sb_num(&b, 1 + rng_below(15), 1);
		else
			sb_str(&b, *PICK(ward_names));
		sb_str(&b, ", ");
	}
	sb_mem(&b, d->s, d->len);
	sb_str(&b, ", ");
	sb_str(&b, pv->name);
}

/* Permanent address: usually the ID's province. Current address: the same ~70% of the time. */
static void gen_addresses(struct citizen *c)
{
	int p = rng_chance(900) ? c->prov : (int)pick_cum(prov_cum, NPROV);

	gen_address(c->permanent_address, sizeof c->permanent_address, p);
	if (rng_chance(700)) {
		memcpy(c->current_address, c->permanent_address, sizeof c->current_address);
		return;
	}
	if (!rng_chance(400))
		p = (int)pick_cum(prov_cum, NPROV);
	gen_address(c->current_address, sizeof c->current_address, p);
}

/*
 * w = permute(line) over [0, 10^8) is unique per line; the subscriber is w % 10^7 and the prefix
 * index is d + 10k for d = w / 10^7 and a random k, so (prefix, subscriber) still identifies w.
 */
static void gen_phone(struct citizen *c, uint64_t line)
{
	uint64_t w = permute(line, 10000, 10000, key_phone);
	uint32_t d = (uint32_t)(w / 10000000), choices = 0, k;
	struct sb b;

	while (d + 10 * choices < ARRAY_LEN(phone_prefixes))
		choices++;
	k = rng_below(choices);
	sb_init(&b, c->phone, sizeof c->phone);
	sb_str(&b, phone_prefixes[d + 10 * k]);
	sb_num(&b, w % 10000000, 7);
}

/* ASCII e-mail from the name without diacritics, e.g. mainguyen87@gmail.com, hungnv1990@... */
static void gen_email(struct citizen *c)
{
	uint32_t form = rng_below(100);
	struct sb b;

	sb_init(&b, c->email, sizeof c->email);
	if (form < 25) {
		sb_str(&b, c->a_given);
		sb_str(&b, c->a_sur);
		sb_num(&b, (uint64_t)(c->year % 100), 2);
	} else if (form < 45) {
		sb_str(&b, c->a_given);
		sb_char(&b, '.');
		sb_str(&b, c->a_sur);
		sb_num(&b, (uint64_t)c->year, 4);
	} else if (form < 65) {
		sb_str(&b, c->a_sur);
		sb_str(&b, c->a_mid1);
		if (c->a_mid2 != NULL)
			sb_str(&b, c->a_mid2);
		sb_str(&b, c->a_given);
		sb_num(&b, 1 + rng_below(999), 1);
	} else if (form < 85) {
		sb_str(&b, c->a_given);
		sb_char(&b, c->a_sur[0]);
		sb_char(&b, c->a_mid1[0]);
		if (c->a_mid2 != NULL)
			sb_char(&b, c->a_mid2[0]);
		sb_num(&b, (uint64_t)(c->year % 100), 2);
	} else {
		sb_str(&b, c->a_sur);
		sb_char(&b, '.');
		sb_str(&b, c->a_given);
		sb_num(&b, 10 + rng_below(90), 2);
	}
	sb_char(&b, '@');
	sb_str(&b, PICK_ITEM(email_domains)->s);
}

static void gen_ethnicity(struct citizen *c)
{
	if (rng_chance(850)) {
		c->ethnicity = "Kinh";
		return;
	}
	switch (provinces[c->prov].region) {
	case R_C:
		c->ethnicity = PICK_ITEM(ethnic_central)->s;
		break;
	case R_H:
		c->ethnicity = PICK_ITEM(ethnic_highland)->s;
		break;
	case R_S:
		c->ethnicity = PICK_ITEM(ethnic_south)->s;
		break;
	default:
		c->ethnicity = PICK_ITEM(ethnic_north)->s;
		break;
	}
}

/*
 * Card: a two-letter beneficiary group (by age), a benefit level 1-5, the two-digit province and
 * the 10-digit social-insurance number: the province again plus 8 digits permuted from the line
 * index (unique).
 */
static void gen_insurance(struct citizen *c, uint64_t line)
{
	static const struct item adult[] = {
		{ "DN", "4", 45 }, { "GD", "4", 25 }, { "HC", "4", 12 }, { "CN", "2", 6 },
		{ "HN", "3", 6 }, { "NO", "4", 6 },
	};
	static const struct item senior[] = {
		{ "HT", "3", 50 }, { "GD", "4", 35 }, { "BT", "2", 10 }, { "CC", "1", 5 },
	};
	static const struct item pupil = { "HS", "4", 1 }, student = { "SV", "4", 1 };
	const struct item *grp;
	uint64_t prov2 = (uint64_t)(provinces[c->prov].code % 100);
	struct sb b;

	if (c->age < 18)
		grp = &pupil;
	else if (c->age <= 22 && rng_chance(600))
		grp = &student;
	else if (c->age >= 60)
		grp = PICK_ITEM(senior);
	else
		grp = PICK_ITEM(adult);

	sb_init(&b, c->health_insurance_number, sizeof c->health_insurance_number);
	sb_str(&b, grp->s);
	sb_str(&b, grp->ascii); /* the benefit level */
	sb_num(&b, prov2, 2);
	sb_num(&b, prov2, 2);
	sb_num(&b, permute(line, 10000, 10000, key_insurance), 8);
}

/* "" for most people; older people more often have one or two conditions. */
static void gen_conditions(struct citizen *c)
{
	uint32_t chance = c->age < 30 ? 70 : c->age < 45 ? 150 : c->age < 60 ? 310 : 490;
	uint32_t n = c->age < 30 ? YOUNG_CONDITIONS : (uint32_t)ARRAY_LEN(conditions);
	uint32_t first, second;
	struct sb b;

	sb_init(&b, c->chronic_conditions, sizeof c->chronic_conditions);
	if (!rng_chance(chance))
		return;
	first = rng_below(n);
	sb_str(&b, conditions[first]);
	if (rng_chance(300)) {
		second = (first + 1 + rng_below(n - 1)) % n; /* any other one */
		sb_str(&b, "; ");
		sb_str(&b, conditions[second]);
	}
}

/* VND per year, rounded to thousands; skewed, with the bulk between 60 and 200 million. */
static void gen_income(struct citizen *c)
{
	static const struct { uint32_t permille; uint64_t lo, hi; } working[] = {
		{ 40, 0, 0 },
		{ 150, 20000000, 60000000 },
		{ 550, 60000000, 200000000 },
		{ 180, 200000000, 500000000 },
		{ 60, 500000000, 1000000000 },
		{ 20, 1000000000, 2000000000 },
	};
	static const struct { uint32_t permille; uint64_t lo, hi; } retired[] = {
		{ 200, 0, 0 },
		{ 450, 30000000, 80000000 },
		{ 250, 80000000, 200000000 },
		{ 80, 200000000, 800000000 },
		{ 20, 800000000, 2000000000 },
	};
	uint64_t lo, hi;
	uint32_t r;
	size_t i;

	if (c->age < 18 && !rng_chance(50)) {
		c->annual_income = 0;
		return;
	}
	if (c->age < 18) {
		lo = 5000000;
		hi = 40000000;
	} else if (c->age <= 22 && rng_chance(550)) {
		lo = hi = 0;
	} else if (c->age <= 22) {
		lo = 20000000;
		hi = 100000000;
	} else if (c->age >= 60) {
		r = rng_below(1000);
		for (i = 0; i + 1 < ARRAY_LEN(retired) && r >= retired[i].permille; i++)
			r -= retired[i].permille;
		lo = retired[i].lo;
		hi = retired[i].hi;
	} else {
		r = rng_below(1000);
		for (i = 0; i + 1 < ARRAY_LEN(working) && r >= working[i].permille; i++)
			r -= working[i].permille;
		lo = working[i].lo;
		hi = working[i].hi;
	}
	c->annual_income = rng_range(lo / 1000, hi / 1000) * 1000;
}

/* Personal tax codes start with 8; the other nine digits are a permutation of the line index. */
static void gen_tax_code(struct citizen *c, uint64_t line)
{
	struct sb b;

	sb_init(&b, c->tax_code, sizeof c->tax_code);
	sb_char(&b, '8');
	sb_num(&b, permute(line, 10000, 100000, key_tax), 9);
}

static void gen_citizen(struct citizen *c, uint64_t line)
{
	gen_identity(c);
	gen_name(c);
	gen_addresses(c);
	gen_phone(c, line);
	gen_email(c);
	gen_ethnicity(c);
	c->religion = PICK_ITEM(religions)->s;
	gen_insurance(c, line);
	c->blood_type = PICK_ITEM(blood_types)->s;
	gen_conditions(c);
	gen_income(c);
	gen_tax_code(c, line);
	c->has_record = c->age >= 18 && rng_chance(22);
}

static void emit_citizen(const struct citizen *c)
{
	char date[11];
	struct sb b;

	sb_init(&b, date, sizeof date);
	sb_num(&b, (uint64_t)c->year, 4);
	sb_char(&b, '-');
	sb_num(&b, (uint64_t)c->month, 2);
	sb_char(&b, '-');
	sb_num(&b, (uint64_t)c->day, 2);

	OUT_LIT("{\"national_id\":");
	out_json_str(c->national_id);
	OUT_LIT(",\"fields\":{\"full_name\":");
	out_json_str(c->full_name);
	OUT_LIT(",\"date_of_birth\":");
	out_json_str(date);
	OUT_LIT(",\"gender\":");
	out_json_str(c->female ? "female" : "male");
	OUT_LIT(",\"permanent_address\":");
	out_json_str(c->permanent_address);
	OUT_LIT(",\"current_address\":");
	out_json_str(c->current_address);
	OUT_LIT(",\"phone\":");
	out_json_str(c->phone);
	OUT_LIT(",\"email\":");
	out_json_str(c->email);
	OUT_LIT(",\"ethnicity\":");
	out_json_str(c->ethnicity);
	OUT_LIT(",\"religion\":");
	out_json_str(c->religion);
	OUT_LIT(",\"health_insurance_number\":");
	out_json_str(c->health_insurance_number);
	OUT_LIT(",\"blood_type\":");
	out_json_str(c->blood_type);
	OUT_LIT(",\"chronic_conditions\":");
	out_json_str(c->chronic_conditions);
	OUT_LIT(",\"annual_income\":");
	out_uint(c->annual_income);
	OUT_LIT(",\"tax_code\":");
	out_json_str(c->tax_code);
	OUT_LIT(",\"criminal_record_status\":");
	out_json_str(c->has_record ? "has_record" : "none");
	OUT_LIT("}}\n");
}

/* ---- set-up -------------------------------------------------------------------------------- */

/* Splits the district lists and builds the cumulative province and birth-year weights. */
static void tables_init(void)
{
	uint32_t total = 0;
	int p, y;
	size_t a;

	for (p = 0; p < NPROV; p++) {
		const char *s = provinces[p].districts;

		while (*s != '\0' && ndistricts[p] < MAX_DISTRICTS) {
			struct district *d = &districts[p][ndistricts[p]++];
			const char *end = strchr(s, '|');

			if (end == NULL)
				end = s + strlen(s);
			d->s = s;
			d->len = (unsigned)(end - s);
			d->numbered = d->len > 0 && s[d->len - 1] == '#';
			if (d->numbered)
				d->len--;
			d->rural = strncmp(s, "Huyện ", strlen("Huyện ")) == 0;
			s = *end == '|' ? end + 1 : end;
		}
		total += provinces[p].pop;
		prov_cum[p] = total;
	}

	total = 0;
	for (y = YEAR_MIN; y <= YEAR_MAX; y++) {
		int w = year_anchor[0][1];

		for (a = 0; a + 1 < ARRAY_LEN(year_anchor); a++) {
			int y0 = year_anchor[a][0], y1 = year_anchor[a + 1][0];

			if (y >= y0 && y <= y1) {
				w = year_anchor[a][1] + (year_anchor[a + 1][1] - year_anchor[a][1]) * (y - y0) / (y1 - y0);
				break;
			}
		}
		total += (uint32_t)w;
		year_cum[y - YEAR_MIN] = total;
	}
}

/* Decimal digits only, no sign, no overflow; 0 on success. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

_Noreturn static void usage(void)
{
	fprintf(stderr,
		"usage: gencitizens N [SEED]\n"
		"  writes N synthetic citizen records (1 <= N <= %llu) as JSON Lines to stdout;\n"
		"  SEED (default 1) is an unsigned 64-bit integer, same N and SEED give the same bytes\n",
		MAX_LINES);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct citizen c;
	uint64_t n = 0, seed = 1, line;
	int rc = 1;

	if (argc < 2 || argc > 3 || parse_u64(argv[1], &n) != 0 || n < 1 || n > MAX_LINES)
		usage();
	if (argc == 3 && parse_u64(argv[2], &seed) != 0)
		usage();

	tables_init();
	rng_seed(seed);
	key_serial = rng_next();
	key_phone = rng_next();
	key_tax = rng_next();
	key_insurance = rng_next();

	for (line = 0; line < n; line++) {
		gen_citizen(&c, line);
		emit_citizen(&c);
		if (outlen > OUT_CAP - LINE_RESERVE && out_flush() != 0)
			goto out;
	}
	if (out_flush() != 0 || fflush(stdout) != 0 || ferror(stdout))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "gencitizens: write error\n");
	return rc;
}
