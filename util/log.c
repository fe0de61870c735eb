/* log.c: the one logger: each event one JSON line on stderr, formatted without locks or allocation. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

/*
 * A line is formatted into a buffer on the caller's stack by hand (no printf, no gmtime, no
 * locale): nothing here allocates or takes a lock, so util_log_line is safe from a fatal-error
 * handler, and util_log adds only the one fwrite of the whole line to stderr (whose lock keeps
 * lines whole; vaultd buffers stderr and flushes it on a timer, see cmd/vaultd.c).
 */

static const char *const level_names[] = {"info", "warn", "error", "fatal"};

/* Room always kept for the close of a cut line: a string's quote, then this. */
static const char cut_tail[] = ",\"truncated\":true}\n";
#define RESERVE (sizeof cut_tail)

typedef struct line {
	char *p;
	size_t n, cap; /* cap already less the reserve */
	int cut;
} line;

/* Appends n bytes if they fit; otherwise nothing, and the line is marked cut. */
static int put(line *l, const void *s, size_t n)
{
	if (l->cut || n > l->cap - l->n) {
		l->cut = 1;
		return -1;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
	return 0;
}

/*
 * s as a JSON string: '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00XX,
 * each byte that is not part of well-formed UTF-8 as \ufffd. A string that does not fit is cut
 * at a character boundary and still closed (its quote goes in the reserve, once: nothing is
 * put after a cut).
 */
static void put_string(line *l, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (put(l, "\"", 1) != 0)
		return;
	while (i < len && !l->cut) {
		char esc[8];
		size_t k;

		for (k = i; k < len && p[k] >= 0x20 && p[k] < 0x80 && p[k] != '"' && p[k] != '\\'; k++)
			;
		if (k > i && put(l, p + i, k - i) != 0)
			break;
		if ((i = k) == len)
			break;
		if (p[i] >= 0x80 && (k = util_utf8_char(p + i, len - i)) > 0) {
			put(l, p + i, k);
			i += k;
			continue;
		}
		switch (p[i]) {
		case '"': memcpy(esc, "\\\"", 3); break;
		case '\\': memcpy(esc, "\\\\", 3); break;
		case '\b': memcpy(esc, "\\b", 3); break;
		case '\f': memcpy(esc, "\\f", 3); break;
		case '\n': memcpy(esc, "\\n", 3); break;
		case '\r': memcpy(esc, "\\r", 3); break;
		case '\t': memcpy(esc, "\\t", 3); break;
		default:
			if (p[i] >= 0x80) {
				memcpy(esc, "\\ufffd", 7);
			} else {
				memcpy(esc, "\\u00", 4);
				esc[4] = "0123456789abcdef"[p[i] >> 4];
				esc[5] = "0123456789abcdef"[p[i] & 15];
				esc[6] = '\0';
			}
		}
		put(l, esc, strlen(esc));
		i++;
	}
	if (put(l, "\"", 1) != 0)
		l->p[l->n++] = '"'; /* cut: the reserve holds this one quote */
}

static void put_uint(line *l, unsigned long long v, int minus)
{
	char d[24];
	size_t i = sizeof d;

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (minus)
		d[--i] = '-';
	put(l, d + i, sizeof d - i);
}

static void put_int(line *l, long long v)
{
	put_uint(l, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
}

/* x with prec digits after the point; null if it is not finite or too large to write so. */
static void put_fixed(line *l, double x, unsigned prec)
{
	unsigned long long scale = 1, v;
	unsigned i;
	char frac[10];

	for (i = 0; i < prec; i++)
		scale *= 10;
	if (!(x > -1e18 / (double)scale && x < 1e18 / (double)scale)) { /* NaN too */
		put(l, "null", 4);
		return;
	}
	v = (unsigned long long)((x < 0 ? -x : x) * (double)scale + 0.5);
	put_uint(l, v / scale, x < 0 && v != 0);
	if (prec == 0)
		return;
	for (i = prec, v %= scale; i > 0; i--, v /= 10)
		frac[i] = (char)('0' + v % 10);
	frac[0] = '.';
	put(l, frac, prec + 1);
}

static void two_digits(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void util_time_rfc3339(int64_t sec, uint32_t usec, char out[UTIL_TIME_RFC3339_LEN])
{
	/* days to a civil date (H. Hinnant's algorithm): no gmtime, so no lock and no locale */
	int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400, secs = sec - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	memcpy(out, "0000-00-00T00:00:00.000000Z", UTIL_TIME_RFC3339_LEN);
	if (y < 0 || y > 9999)
		return;
	two_digits(out, (unsigned)(y / 100));
	two_digits(out + 2, (unsigned)(y % 100));
	two_digits(out + 5, (unsigned)m);
	two_digits(out + 8, (unsigned)d);
	two_digits(out + 11, (unsigned)(secs / 3600));
	two_digits(out + 14, (unsigned)(secs / 60 % 60));
	two_digits(out + 17, (unsigned)(secs % 60));
	usec %= 1000000;
	two_digits(out + 20, usec / 10000);
	two_digits(out + 22, usec / 100 % 100);
	two_digits(out + 24, usec % 100);
}

/* now's time; the date and second are worked out once a second per thread */
static void time_now(char out[UTIL_TIME_RFC3339_LEN])
{
	static _Thread_local int64_t last_sec = INT64_MIN;
	static _Thread_local char last[UTIL_TIME_RFC3339_LEN];
	struct timespec ts;
	uint32_t usec;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last_sec) {
		util_time_rfc3339(ts.tv_sec, 0, last);
		last_sec = ts.tv_sec;
	}
	memcpy(out, last, UTIL_TIME_RFC3339_LEN);
	usec = (uint32_t)(ts.tv_nsec / 1000);
	two_digits(out + 20, usec / 10000);
	two_digits(out + 22, usec / 100 % 100);
	two_digits(out + 24, usec % 100);
}

/* ,"key": for the field at f (up to '='); the field's spec then starts after the '='. */
static const char *put_key(line *l, const char *f)
{
	const char *eq = strchr(f, '=');

	if (eq == NULL)
		return NULL;
	put(l, ",", 1);
	put_string(l, f, (size_t)(eq - f));
	put(l, ":", 1);
	return eq + 1;
}

/* One conversion (%s %d %u %.Nf, with l, ll or z) of the fields' format; past it, or NULL. */
static const char *put_value(line *l, const char *f, va_list *ap)
{
	unsigned prec = 3, lng = 0, z = 0;

	if (*f++ != '%')
		return NULL;
	if (*f == '.' && f[1] >= '0' && f[1] <= '9') {
		prec = (unsigned)(f[1] - '0');
		f += 2;
	}
	for (; *f == 'l'; f++)
		lng++;
	if (*f == 'z')
		z = 1, f++;
	switch (*f) {
	case 's': {
		const char *s = va_arg(*ap, const char *);

		if (s == NULL)
			put(l, "null", 4);
		else
			put_string(l, s, strlen(s));
		break;
	}
	case 'd':
	case 'i':
		put_int(l, z ? (long long)va_arg(*ap, ssize_t) : lng >= 2 ? va_arg(*ap, long long)
		           : lng ? va_arg(*ap, long) : va_arg(*ap, int));
		break;
	case 'u':
		put_uint(l, z ? va_arg(*ap, size_t) : lng >= 2 ? va_arg(*ap, unsigned long long)
		          : lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned), 0);
		break;
	case 'f':
		put_fixed(l, va_arg(*ap, double), prec);
		break;
	default:
		return NULL;
	}
	return f + 1;
}

static size_t vline(char *out, size_t cap, util_log_level level, const char *rid, const char *msg,
    const char *fields, va_list ap)
{
	line l = {out, 0, cap >= 128 ? cap - RESERVE : 0, 0};
	size_t mark;
	char now[UTIL_TIME_RFC3339_LEN];
	va_list aq;

	if (l.cap == 0)
		return 0;
	time_now(now);
	put(&l, "{\"time\":\"", 9);
	put(&l, now, sizeof now - 1);
	put(&l, "\",\"level\":\"", 11);
	put(&l, level_names[(unsigned)level < 4 ? level : UTIL_LOG_ERROR],
	    strlen(level_names[(unsigned)level < 4 ? level : UTIL_LOG_ERROR]));
	put(&l, "\",\"msg\":", 8);
	put_string(&l, msg ? msg : "", msg ? strlen(msg) : 0);
	/* from here a member that does not fit whole is left out, and the line says it was cut */
	mark = l.n;
	if (rid != NULL) {
		put(&l, ",\"request_id\":", 14);
		put_string(&l, rid, strlen(rid));
	}
	va_copy(aq, ap);
	while (fields != NULL && !l.cut) {
		while (*fields == ' ')
			fields++;
		if (*fields == '\0')
			break;
		mark = l.n;
		if ((fields = put_key(&l, fields)) == NULL || (fields = put_value(&l, fields, &aq)) == NULL)
			l.cut = 1; /* a format this logger does not know: stop here, and say the line is cut */
	}
	va_end(aq);
	if (l.cut)
		l.n = mark;
	if (l.cut) {
		memcpy(out + l.n, cut_tail, sizeof cut_tail - 1);
		return l.n + sizeof cut_tail - 1;
	}
	memcpy(out + l.n, "}\n", 2);
	return l.n + 2;
}

size_t util_log_line(char *out, size_t cap, util_log_level level, const char *rid, const char *msg,
    const char *fields, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fields);
	n = vline(out, cap, level, rid, msg, fields, ap);
	va_end(ap);
	return n;
}

void util_log(util_log_level level, const char *rid, const char *msg, const char *fields, ...)
{
	char buf[UTIL_LOG_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fields);
	n = vline(buf, sizeof buf, level, rid, msg, fields, ap);
	va_end(ap);
	fwrite(buf, 1, n, stderr);
}
