/* util.h: the small pieces every layer shares: error reporting, hex, time, careful file I/O. */
#ifndef VAULTD_UTIL_H
#define VAULTD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define UTIL_WARN_UNUSED __attribute__((warn_unused_result))
#define UTIL_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Stable error codes. The names (util_code_name) are part of the API: the HTTP layer maps them
 * to statuses and problem+json `code`s, and vaultctl maps them to exit codes. Never renumber.
 */
typedef enum util_code {
	UTIL_OK = 0,
	UTIL_EINVAL,    /* the input is malformed or out of bounds */
	UTIL_ENOTFOUND, /* the object does not exist */
	UTIL_EEXISTS,   /* the object already exists (conflict) */
	UTIL_EKEY,      /* wrong key or passphrase: nothing could be decrypted */
	UTIL_ECORRUPT,  /* authenticated data failed to verify: tampering or corruption */
	UTIL_EIO,       /* the file system or the database failed */
	UTIL_ENOSPC,    /* the disk is full */
	UTIL_ENOMEM,    /* out of memory */
	UTIL_EBUSY,     /* another process holds the vault (e.g. vaultd during rekey) */
	UTIL_ESTATE,    /* the operation does not fit the current state */
	UTIL_EDENIED,   /* not permitted */
	UTIL_CODE_COUNT
} util_code;

/*
 * A caller-owned error: a stable code and a fixed-size message, so that reporting an error
 * never allocates. Messages never contain personal data or secrets: they name fields, lines and
 * files, never values.
 */
#define UTIL_ERR_MSG 160
typedef struct util_err {
	util_code code;
	char msg[UTIL_ERR_MSG];
} util_err;

/* Sets err (if not NULL) and returns -1, so that `return util_fail(err, ...)` reads naturally. */
int util_fail(util_err *err, util_code code, const char *fmt, ...) UTIL_PRINTF(3, 4);
void util_err_clear(util_err *err);
const char *util_code_name(util_code code);

/* Lower-case hex. util_hex_encode writes 2*n+1 bytes (NUL-terminated) into out. */
void util_hex_encode(char *out, const unsigned char *in, size_t n) UTIL_NONNULL(1);
/* Decodes exactly n bytes from a string of exactly 2*n hex digits; 0 on success, -1 otherwise. */
int util_hex_decode(unsigned char *out, size_t n, const char *hex) UTIL_NONNULL(1, 3) UTIL_WARN_UNUSED;

/* RFC 4648 base32 without padding (for otpauth:// secrets). out needs (8*n+4)/5+1 bytes. */
void util_base32_encode(char *out, const unsigned char *in, size_t n) UTIL_NONNULL(1);

/*
 * Bytes of the well-formed UTF-8 character at p (left bytes there, at least 1), 0 if it is not
 * one (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
 */
size_t util_utf8_char(const unsigned char *p, size_t left) UTIL_NONNULL(1);

/* RFC 3339 UTC time, "2026-01-01T00:00:00Z", into out (21 bytes). */
void util_iso8601(int64_t t, char out[21]) UTIL_NONNULL(2);

/* Wall-clock seconds since the epoch, and a monotonic clock in nanoseconds. */
int64_t util_now(void);
uint64_t util_mono_ns(void);
/* The monotonic clock ns from now: a deadline for pthread_cond_timedwait on a CLOCK_MONOTONIC cond. */
struct timespec util_mono_after(uint64_t ns);
/* ns from since to now on the monotonic clock; 0 if since is later (read by another thread
   after now was): never the wrap of an unsigned subtraction. */
uint64_t util_mono_elapsed(uint64_t since, uint64_t now);

/* Big-endian integer packing, used by every on-disk and signed format. */
void util_put_u16(unsigned char *p, uint16_t v);
void util_put_u32(unsigned char *p, uint32_t v);
void util_put_u64(unsigned char *p, uint64_t v);
uint16_t util_get_u16(const unsigned char *p);
uint32_t util_get_u32(const unsigned char *p);
uint64_t util_get_u64(const unsigned char *p);

/*
 * Creates path with O_CREAT|O_EXCL|O_NOFOLLOW and the given mode, writes n bytes, fsyncs it
 * and its directory. Fails with UTIL_EEXISTS if path exists (links included). On failure after
 * creation the partial file is removed.
 */
int util_write_new(const char *path, const void *data, size_t n, int mode, util_err *err) UTIL_WARN_UNUSED;

/*
 * Replaces path atomically: writes path.tmp (mode), fsyncs, renames over path, fsyncs the
 * directory. Readers see the old or the new content, never a mix.
 */
int util_write_replace(const char *path, const void *data, size_t n, int mode, util_err *err) UTIL_WARN_UNUSED;

/*
 * Reads a whole regular file of at most max bytes into buf (caller-owned, max bytes) without
 * following a final symlink; stores the length in *len. A larger file is UTIL_EINVAL.
 */
int util_read_bounded(const char *path, void *buf, size_t max, size_t *len, util_err *err) UTIL_WARN_UNUSED;

/* fsyncs the directory that holds path. */
int util_fsync_dir(const char *path);

/* Joins dir and name into out (size n); -1 if it does not fit. */
int util_path_join(char *out, size_t n, const char *dir, const char *name) UTIL_WARN_UNUSED;

/*
 * A growable buffer for bytes that may be personal data (a request body). Zero-initialise it.
 * Growing takes new memory, copies, then wipes and frees the old block (never realloc), and
 * util_wbuf_free wipes the whole capacity: no copy of the contents outlives the buffer.
 */
typedef struct util_wbuf {
	unsigned char *p; /* NUL-terminated after len bytes once anything was appended */
	size_t len, cap;
} util_wbuf;
/* Appends n bytes; -1 (the buffer unchanged) if len would pass max, or out of memory. */
int util_wbuf_append(util_wbuf *b, const void *data, size_t n, size_t max) UTIL_WARN_UNUSED;
/* Wipes and frees; the buffer is empty and reusable afterwards. */
void util_wbuf_free(util_wbuf *b);


/*
 * One scanner for JSON text read in place, where a parser would cost too much (an audit entry
 * during `audit verify`, an import line, a stored field list on every lookup). It is a cursor:
 * the caller states the grammar it expects token by token, and anything else fails. It never
 * reads past the end it was given, never allocates, and keeps the nesting depth at most
 * UTIL_JSON_MAX_DEPTH. Numbers are integers of at most 18 digits; strings are well-formed
 * UTF-8 with no raw control character.
 */
#define UTIL_JSON_MAX_DEPTH 32
enum {
	UTIL_JSON_WS = 1,  /* JSON whitespace may stand between tokens (otherwise none) */
	UTIL_JSON_ESC = 2, /* strings may hold escapes, only as jansson writes them: \" \\ \b \f \n
	                      \r \t, and \u00XX in capitals for other control characters (not NUL) */
};
typedef struct util_json {
	const unsigned char *p, *end;
	unsigned depth, flags;
} util_json;
/* A string token: its bytes between the quotes as they stand in the text (escapes undecoded). */
typedef struct util_json_str {
	const char *s;
	size_t n;
	int escaped; /* whether s holds an escape, so that s is not the value as it stands */
} util_json_str;

/* Starts a cursor over len bytes of text (not NUL-terminated). */
void util_json_init(util_json *j, const void *text, size_t len, unsigned flags) UTIL_NONNULL(1);
/*
 * The next byte (after whitespace, if allowed), without taking it; -1 at the end. Inline, with
 * util_json_take, because a stored field list on the lookup path is mostly punctuation.
 */
static inline int util_json_peek(util_json *j)
{
	if (j->flags & UTIL_JSON_WS)
		while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
			j->p++;
	return j->p < j->end ? *j->p : -1;
}
/*
 * Takes the punctuation ch ({ } [ ] : ,) if it comes next: 1 if taken, 0 if not. An opening
 * bracket past UTIL_JSON_MAX_DEPTH, or a closing one at depth 0, is not taken.
 */
static inline int util_json_take(util_json *j, int ch)
{
	if (util_json_peek(j) != ch)
		return 0;
	if (ch == '{' || ch == '[') {
		if (j->depth >= UTIL_JSON_MAX_DEPTH)
			return 0;
		j->depth++;
	} else if (ch == '}' || ch == ']') {
		if (j->depth == 0)
			return 0;
		j->depth--;
	}
	j->p++;
	return 1;
}
/* Takes a string into *out: 1, or 0 (nothing taken) if the next token is not a valid one. */
int util_json_string(util_json *j, util_json_str *out) UTIL_NONNULL(1, 2);
/*
 * Takes a key and its ':' if the key reads want exactly (printable ASCII, no quote or
 * backslash): 1, or 0 with nothing taken but whitespace. want's bytes between quotes are a
 * valid string, so comparing them in place is scanning it; inline, so that a constant want's
 * length and comparison fold (a lookup reads keys of stored field lists).
 */
static inline int util_json_key_is(util_json *j, const char *want)
{
	size_t n = strlen(want);

	if (util_json_peek(j) != '"' || (size_t)(j->end - j->p) < n + 2 || memcmp(j->p + 1, want, n) != 0 ||
	    j->p[n + 1] != '"')
		return 0;
	j->p += n + 2;
	return util_json_take(j, ':');
}
/* Takes an integer as JSON writes it (no leading zero, no "-0", no fraction or exponent). */
int util_json_int(util_json *j, int64_t *x) UTIL_NONNULL(1, 2);
/* Takes true or false. */
int util_json_bool(util_json *j, int *b) UTIL_NONNULL(1, 2);
/* 1 if nothing but whitespace (if allowed) is left and every bracket taken was closed. */
int util_json_end(util_json *j) UTIL_NONNULL(1);


/*
 * The one logger. Each event is one JSON line:
 *   {"time":"2026-12-06T21:40:00.123456Z","level":"info","msg":"listening","addr":"127.0.0.1","port":8443}
 * with "request_id" after "msg" when rid is not NULL, then the fields. fields is NULL or
 * "key=%s key=%u ..." (keys separated by spaces; conversions %s, %d, %i, %u with l, ll or z,
 * and %.Nf, N a digit): strings are escaped as JSON (control characters, quotes, backslash;
 * bytes that are not UTF-8 as \ufffd) and a NULL one is null. Values are never personal data:
 * log what happened and to which kind of thing, never a value.
 * A line longer than UTIL_LOG_LINE_MAX, or with a conversion the logger does not know, is cut
 * and ends with "truncated":true, still one JSON object.
 */
typedef enum util_log_level { UTIL_LOG_INFO, UTIL_LOG_WARN, UTIL_LOG_ERROR, UTIL_LOG_FATAL } util_log_level;
#define UTIL_LOG_LINE_MAX 1024
/* The line, written to stderr with one fwrite (so lines from threads never mix). */
void util_log(util_log_level level, const char *rid, const char *msg, const char *fields, ...) UTIL_PRINTF(4, 5);
/*
 * The same line into out (cap bytes, not NUL-terminated); returns its length (0 if cap is
 * under 128). It takes no lock and allocates nothing: safe from a fatal-error handler.
 */
size_t util_log_line(char *out, size_t cap, util_log_level level, const char *rid, const char *msg,
    const char *fields, ...) UTIL_NONNULL(1) UTIL_PRINTF(6, 7);
/* RFC 3339 UTC time with microseconds, "2026-12-06T21:40:00.123456Z", without gmtime or locks. */
#define UTIL_TIME_RFC3339_LEN 28
void util_time_rfc3339(int64_t sec, uint32_t usec, char out[UTIL_TIME_RFC3339_LEN]) UTIL_NONNULL(3);

#endif
