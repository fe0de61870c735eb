/* conn.c: before any work: a deadline on each request, and one reading of its framing. */
#include "api_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* One open connection, from MHD's accept to its close. */
struct api_conn {
	struct api_conn *prev, *next;
	int fd;
	uint64_t since_ns; /* when the request being received began: accept, or the previous answer */
	int receiving;     /* 1 until the request is whole; only then does the deadline stop */
	int cut;
};

#define GUARD_TICK_MS 100

/*
 * The reaper: every tick, each connection whose request is not whole within the deadline of its
 * start is shut down. MHD's idle timeout is reset by every byte, so a client sending one byte a
 * second would otherwise hold its connection for ever. shutdown() (not close) from this thread:
 * MHD sees the end of the stream in its own thread and closes the socket there. The list's
 * lock is held across it, and MHD reports a close (api_guard_notify) before it closes the
 * descriptor, so the fd shut down is always still this connection's.
 */
static void *guard_main(void *arg)
{
	api_server *s = arg;

	while (!atomic_load(&s->guard_stop)) {
		struct timespec ts = {0, GUARD_TICK_MS * 1000000L};
		uint64_t now;
		struct api_conn *c;
		unsigned cut = 0;

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&s->guard_mu);
		now = util_mono_ns(); /* under the lock: no since_ns in the list is later than now */
		for (c = s->guard_head; c != NULL; c = c->next)
			if (c->receiving && !c->cut && util_mono_elapsed(c->since_ns, now) > s->deadline_ns) {
				(void)shutdown(c->fd, SHUT_RDWR);
				c->cut = 1;
				cut++;
			}
		pthread_mutex_unlock(&s->guard_mu);
		if (cut > 0) /* one line a tick at most, however many */
			util_log(UTIL_LOG_WARN, NULL, "request deadline passed", "closed=%u", cut);
	}
	return NULL;
}

int api_guard_start(api_server *s, unsigned deadline_s, util_err *err)
{
	s->deadline_ns = (uint64_t)deadline_s * 1000000000u;
	pthread_mutex_init(&s->guard_mu, NULL);
	atomic_store(&s->guard_stop, 0);
	if (pthread_create(&s->guard_th, NULL, guard_main, s) != 0) {
		pthread_mutex_destroy(&s->guard_mu);
		return util_fail(err, UTIL_ENOMEM, "cannot start the request deadline thread");
	}
	s->guard_running = 1;
	return 0;
}

void api_guard_stop(api_server *s)
{
	if (!s->guard_running)
		return;
	atomic_store(&s->guard_stop, 1);
	pthread_join(s->guard_th, NULL);
	pthread_mutex_destroy(&s->guard_mu);
	s->guard_running = 0;
}

void api_guard_notify(void *cls, struct MHD_Connection *mc, void **ctx, enum MHD_ConnectionNotificationCode toe)
{
	api_server *s = cls;
	struct api_conn *c = *ctx;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (fd == NULL || (c = calloc(1, sizeof *c)) == NULL)
			return; /* unguarded: the idle timeout still applies */
		c->fd = fd->connect_fd;
		c->receiving = 1;
		pthread_mutex_lock(&s->guard_mu);
		c->since_ns = util_mono_ns();
		c->next = s->guard_head;
		if (s->guard_head != NULL)
			s->guard_head->prev = c;
		s->guard_head = c;
		pthread_mutex_unlock(&s->guard_mu);
		*ctx = c;
		return;
	}
	if (c == NULL)
		return;
	pthread_mutex_lock(&s->guard_mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->guard_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&s->guard_mu);
	free(c);
	*ctx = NULL;
}

/* Marks the request on mc whole (receiving 0), or starts the clock of the next one (1). */
void api_guard_mark(api_server *s, struct MHD_Connection *mc, int receiving)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct api_conn *c = i ? i->socket_context : NULL;

	if (c == NULL)
		return;
	pthread_mutex_lock(&s->guard_mu);
	c->receiving = receiving;
	c->since_ns = util_mono_ns();
	pthread_mutex_unlock(&s->guard_mu);
}

/* ---- framing: a request that two parsers could read two ways is refused ---- */

/* 1 if the path part of a raw request-target holds an encoded slash (%2F, %2f). */
static int encoded_slash(const char *uri)
{
	const char *p;

	for (p = uri; *p != '\0' && *p != '?' && *p != '#'; p++)
		if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f'))
			return 1;
	return 0;
}

/* 1 if the path part of a raw request-target holds any percent-escape (no portal file needs one). */
static int escaped_path(const char *uri)
{
	size_t n = strcspn(uri, "?#");

	return memchr(uri, '%', n) != NULL;
}

/* MHD's URI log callback: the request begins here, with the request-target as sent. */
void *api_guard_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	api_req *r = calloc(1, sizeof *r);

	(void)cls;
	(void)mc;
	if (r != NULL) {
		r->raw_url_len = strlen(uri);
		r->encoded_slash = encoded_slash(uri);
		r->escaped_path = escaped_path(uri);
	}
	return r; /* MHD hands it to on_request as *state (NULL there: the connection is closed) */
}

typedef struct hdr_count {
	unsigned n, cl, te, host;
	size_t bytes;
	int te_chunked;
} hdr_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	hdr_count *h = cls;

	(void)kind;
	h->n++;
	h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	if (strcasecmp(key, "Content-Length") == 0)
		h->cl++;
	else if (strcasecmp(key, "Host") == 0)
		h->host++;
	else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		h->te++;
		h->te_chunked = value != NULL && strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

/*
 * Checks what libmicrohttpd let through, before the route is looked up: 0, or -1 with err
 * filled and r->close set (a request whose framing is in doubt leaves no byte after it that
 * could be read as another request).
 */
int api_http_check(api_req *r, const char *version, api_err *err)
{
	hdr_count h = {0};
	api_prob prob = API_P_BAD_FRAMING;
	const char *detail = NULL;

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &h);
	if (r->raw_url_len > API_URI_MAX) {
		prob = API_P_URI_TOO_LONG, detail = "the request-target is longer than 2048 bytes";
	} else if (h.n > API_HEADERS_COUNT_MAX || h.bytes > API_HEADERS_MAX) {
		prob = API_P_HEADERS_TOO_LARGE, detail = "more than 64 header fields, or more than 8 KiB of them";
	} else if (h.te > 0 && h.cl > 0) {
		detail = "both Content-Length and Transfer-Encoding (RFC 9112, 6.3)";
	} else if (h.te > 1 || (h.te == 1 && !h.te_chunked)) {
		detail = "the only transfer coding taken is one chunked";
	} else if (h.cl > 1) {
		detail = "more than one Content-Length";
	} else if (h.host > 1 || (h.host == 0 && version != NULL && strcmp(version, "HTTP/1.1") == 0)) {
		prob = API_P_BAD_REQUEST, detail = "an HTTP/1.1 request has exactly one Host";
	} else if (r->encoded_slash) {
		prob = API_P_INVALID_PATH, detail = "a path may not hold an encoded slash (%2F)";
	} else {
		return 0;
	}
	r->close = 1;
	return api_fail(err, prob, "%s", detail);
}
