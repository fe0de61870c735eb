/* util.c: error reporting, hex, clocks and crash-safe file writes shared by every layer. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const code_names[UTIL_CODE_COUNT] = {
	[UTIL_OK] = "ok",
	[UTIL_EINVAL] = "invalid_input",
	[UTIL_ENOTFOUND] = "not_found",
	[UTIL_EEXISTS] = "conflict",
	[UTIL_EKEY] = "wrong_key",
	[UTIL_ECORRUPT] = "corrupt",
	[UTIL_EIO] = "io_error",
	[UTIL_ENOSPC] = "disk_full",
	[UTIL_ENOMEM] = "out_of_memory",
	[UTIL_EBUSY] = "busy",
	[UTIL_ESTATE] = "invalid_state",
	[UTIL_EDENIED] = "not_permitted",
};

int util_fail(util_err *err, util_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void util_err_clear(util_err *err)
{
	if (err != NULL) {
		err->code = UTIL_OK;
		err->msg[0] = '\0';
	}
}

const char *util_code_name(util_code code)
{
	if ((unsigned)code >= UTIL_CODE_COUNT)
		return "internal";
	return code_names[code];
}

void util_hex_encode(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_hex_decode(unsigned char *out, size_t n, const char *hex)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (hex[2 * i] == '\0' || hex[2 * i + 1] == '\0')
			return -1;
		hi = hex_val(hex[2 * i]);
		lo = hex_val(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

void util_base32_encode(char *out, const unsigned char *in, size_t n)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned int acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			out[o++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

size_t util_utf8_char(const unsigned char *p, size_t left)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (c == 0xe0 && p[1] < 0xa0) ||
		    (c == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (left < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return 4;
}

void util_iso8601(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t util_now(void)
{
	return (int64_t)time(NULL);
}

uint64_t util_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct timespec util_mono_after(uint64_t ns)
{
	uint64_t t = util_mono_ns() + ns;

	return (struct timespec){.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
}

uint64_t util_mono_elapsed(uint64_t since, uint64_t now)
{
	return now > since ? now - since : 0;
}

void util_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

void util_put_u32(unsigned char *p, uint32_t v)
{
	util_put_u16(p, (uint16_t)(v >> 16));
	util_put_u16(p + 2, (uint16_t)v);
}

void util_put_u64(unsigned char *p, uint64_t v)
{
	util_put_u32(p, (uint32_t)(v >> 32));
	util_put_u32(p + 4, (uint32_t)v);
}

uint16_t util_get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t util_get_u32(const unsigned char *p)
{
	return (uint32_t)util_get_u16(p) << 16 | util_get_u16(p + 2);
}

uint64_t util_get_u64(const unsigned char *p)
{
	return (uint64_t)util_get_u32(p) << 32 | util_get_u32(p + 4);
}

int util_path_join(char *out, size_t n, const char *dir, const char *name)
{
	int r = snprintf(out, n, "%s/%s", dir, name);

	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

int util_fsync_dir(const char *path)
{
	char copy[4096];
	int fd, r;

	if (strlen(path) >= sizeof copy)
		return -1;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static util_code errno_code(int e)
{
	switch (e) {
	case EEXIST:
	case ELOOP:
		return UTIL_EEXISTS;
	case ENOENT:
		return UTIL_ENOTFOUND;
	case ENOSPC:
	case EDQUOT:
		return UTIL_ENOSPC;
	case ENOMEM:
		return UTIL_ENOMEM;
	default:
		return UTIL_EIO;
	}
}

static int write_all(int fd, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int util_write_new(const char *path, const void *data, size_t n, int mode, util_err *err)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		e = errno;
		return util_fail(err, errno_code(e), "cannot create %s: %s", path, strerror(e));
	}
	if (write_all(fd, data, n) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(path);
		return util_fail(err, errno_code(e), "cannot write %s: %s", path, strerror(e));
	}
	if (close(fd) != 0 || util_fsync_dir(path) != 0) {
		e = errno;
		unlink(path);
		return util_fail(err, errno_code(e), "cannot sync %s: %s", path, strerror(e));
	}
	return 0;
}

int util_write_replace(const char *path, const void *data, size_t n, int mode, util_err *err)
{
	char tmp[4096];
	int e;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return util_fail(err, UTIL_EINVAL, "path too long");
	unlink(tmp); /* a leftover from a crash is never the truth */
	if (util_write_new(tmp, data, n, mode, err) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return util_fail(err, errno_code(e), "cannot replace %s: %s", path, strerror(e));
	}
	if (util_fsync_dir(path) != 0) {
		e = errno;
		return util_fail(err, errno_code(e), "cannot sync directory of %s: %s", path, strerror(e));
	}
	return 0;
}

int util_read_bounded(const char *path, void *buf, size_t max, size_t *len, util_err *err)
{
	struct stat st;
	size_t got = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return util_fail(err, errno_code(e), "cannot open %s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return util_fail(err, UTIL_EINVAL, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return util_fail(err, UTIL_EINVAL, "%s is larger than %zu bytes", path, max);
	}
	for (;;) {
		ssize_t r = read(fd, (unsigned char *)buf + got, max - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			close(fd);
			return util_fail(err, UTIL_EIO, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got == max) {
			char extra;

			if (read(fd, &extra, 1) > 0) {
				close(fd);
				return util_fail(err, UTIL_EINVAL, "%s is larger than %zu bytes", path, max);
			}
			break;
		}
	}
	close(fd);
	*len = got;
	return 0;
}
