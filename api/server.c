/* server.c: the libmicrohttpd server: limits before work, routing, replies, access logs, metrics. */
#include "api_private.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- replies ---- */

/* Response bodies may hold personal data: they live in a buffer that is wiped once sent. */
static void wipe_body(void *p)
{
	unsigned char *b = (unsigned char *)p - sizeof(size_t);
	size_t n;

	memcpy(&n, b, sizeof n);
	sodium_memzero(p, n);
	free(b);
}

/*
 * A connection's memory, libmicrohttpd's pool: the request line and headers must fit in it with
 * room past api_http_check's bounds (2 KiB of target, 8 KiB of headers), so that vaultd answers
 * those itself; larger ones libmicrohttpd answers (docs/api/contract.md). It zeroes the whole
 * pool after every request: at 64 KiB that was a tenth of vaultd's CPU for a refused lookup and
 * a fifth for /healthz. Bodies are not held in it: they come to on_request in pieces.
 */
#define CONN_MEMORY (16 * 1024)

/* The headers every answer carries, then the answer itself (resp is released here). */
static void send_response(api_req *r, unsigned status, struct MHD_Response *resp, const char *type)
{
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->set_cookie[0] != '\0')
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->route != NULL)
		MHD_add_response_header(resp, "Allow", r->route->method);
	if (r->close || atomic_load(&r->srv->draining)) /* a stopping vaultd keeps no connection open */
		MHD_add_response_header(resp, "Connection", "close");
	/* every 429 says when to come back, and so does a reused step-up code: at least 1 s */
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || r->retry_after > 0) {
		char after[24];

		snprintf(after, sizeof after, "%lld", (long long)(r->retry_after > 0 ? r->retry_after : 1));
		MHD_add_response_header(resp, "Retry-After", after);
	}
	MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
}

static void queue(api_req *r, unsigned status, const char *type, const void *data, size_t n)
{
	struct MHD_Response *resp;
	unsigned char *b = malloc(sizeof n + n + 1);

	if (r->replied)
		return;
	r->replied = 1;
	r->status = status;
	if (b == NULL) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		r->status = status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	} else {
		memcpy(b, &n, sizeof n);
		memcpy(b + sizeof n, data, n);
		resp = MHD_create_response_from_buffer_with_free_callback(n, b + sizeof n, wipe_body);
	}
	if (resp == NULL) {
		free(b);
		return;
	}
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->attachment != NULL && status < 300) {
		char disposition[128];

		snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", r->attachment);
		MHD_add_response_header(resp, "Content-Disposition", disposition);
	}
	send_response(r, status, resp, type);
}

/* The portal's pages may run no script and load nothing but vaultd's own files, and no other site may frame them. */
#define PORTAL_CSP \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

void api_reply_static(api_req *r, const char *type, const void *data, size_t n)
{
	struct MHD_Response *resp;

	if (r->replied)
		return;
	if ((resp = MHD_create_response_from_buffer(n, (void *)data, MHD_RESPMEM_PERSISTENT)) == NULL) {
		api_reply_fail(r, API_P_INTERNAL, "no response");
		return;
	}
	r->replied = 1;
	r->status = MHD_HTTP_OK;
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "Content-Security-Policy", PORTAL_CSP);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	send_response(r, MHD_HTTP_OK, resp, type);
}

void api_reply_text(api_req *r, unsigned status, const char *type, const char *text, size_t n)
{
	queue(r, status, type, text, n);
}

void api_reply(api_req *r, unsigned status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(body);
	if (s == NULL) {
		api_reply_fail(r, API_P_INTERNAL, "the response could not be built");
		return;
	}
	queue(r, status, "application/json", s, strlen(s));
	vault_json_free(s); /* wipes */
}

/* ---- limits checked before any work ---- */

/* Deepest nesting of a JSON text, counting only brackets outside strings. */
static int json_depth(const char *s, size_t n)
{
	int depth = 0, max = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

static int is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* ---- routing ---- */

static int param_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > API_PARAM_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		        s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* 1 if url matches the route's path, filling params. */
static int path_match(const char *pattern, const char *url, char params[2][API_PARAM_MAX + 1])
{
	int np = 0;

	while (*pattern != '\0' && *url != '\0') {
		if (*pattern == '{') {
			const char *end = strchr(url, '/');
			size_t n = end ? (size_t)(end - url) : strlen(url);

			if (!param_ok(url, n) || np == 2)
				return 0;
			memcpy(params[np], url, n);
			params[np++][n] = '\0';
			url += n;
			pattern = strchr(pattern, '}') + 1;
			continue;
		}
		if (*pattern++ != *url++)
			return 0;
	}
	return *pattern == '\0' && *url == '\0';
}

/* Finds r's route (r->route, set also for a path known with another method): 0, or -1 with err 404 or 405. */
static int route(api_req *r, api_err *err)
{
	size_t n, i;
	const api_route *t = api_route_table(&n);
	int path_known = -1;

	for (i = 0; i < n; i++) {
		char params[2][API_PARAM_MAX + 1];

		if (!path_match(t[i].path, r->url, params))
			continue;
		if (strcmp(t[i].method, r->method) != 0) {
			path_known = (int)i;
			continue;
		}
		r->route = &t[i];
		r->route_index = (int)i;
		memcpy(r->params, params, sizeof params);
		return 0;
	}
	if (path_known >= 0) {
		r->route = &t[path_known];
		r->route_index = path_known;
		return api_fail(err, API_P_METHOD_NOT_ALLOWED, "this path does not take that method");
	}
	return api_fail(err, API_P_NOT_FOUND, "no such route");
}

/* Whether the authenticated caller may call the route at all (object ownership comes later). */
static int allowed(const api_req *r)
{
	unsigned a = r->route->access;
	const api_caller *c = &r->caller;

	switch (c->kind) {
	case API_ADMIN:
		return (a & API_R_ADMIN) != 0;
	case API_AGENCY:
		return ((a & API_R_REGISTRAR) && (c->agency.roles & POLICY_ROLE_REGISTRAR)) ||
		       ((a & API_R_CONSUMER) && (c->agency.roles & (POLICY_ROLE_CONSUMER | POLICY_ROLE_EMERGENCY)));
	case API_CITIZEN:
		return (a & API_R_CITIZEN) != 0;
	case API_OFFICER:
		return (a & API_R_OFFICER) != 0;
	default:
		return 0;
	}
}

/* ---- the worker thread's vault connection ---- */

static __thread vault *tl_vault;

static vault *thread_vault(api_server *s)
{
	util_err err;
	vault *v;

	if (tl_vault != NULL)
		return tl_vault;
	pthread_mutex_lock(&s->mu);
	if (s->nconns == sizeof s->conns / sizeof s->conns[0] || vault_clone(&v, s->v, &err) != 0) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	s->conns[s->nconns++] = v;
	pthread_mutex_unlock(&s->mu);
	tl_vault = v;
	return v;
}

/* ---- the request ---- */

/* The body a route takes: none, or one JSON object (r->json). 0, or -1 with err. */
static int parse_body(api_req *r, api_err *err)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	json_error_t je;

	if (!r->route->body) {
		if (r->body_len > 0)
			return api_fail(err, is_json_type(ct) ? API_P_INVALID_INPUT : API_P_UNSUPPORTED_MEDIA_TYPE,
			    "this route takes no body");
		return 0;
	}
	if (!is_json_type(ct))
		return api_fail(err, API_P_UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
	if (json_depth(r->body ? r->body : "", r->body_len) > API_DEPTH_MAX)
		return api_fail(err, API_P_NESTING_TOO_DEEP, "JSON nested deeper than 16 levels");
	r->json = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (r->json == NULL || !json_is_object(r->json))
		return api_fail(err, API_P_INVALID_JSON, "the body must be one JSON object (UTF-8, no duplicate keys)");
	return 0;
}

/* Routes r, checks its caller and body, and runs its handler: 0, or -1 with err (or after an answer). */
static int run(api_req *r, api_err *err)
{
	if (route(r, err) != 0) /* no route: a file of the portal, if one has exactly this path */
		return err->prob == API_P_NOT_FOUND && api_portal_serve(r) ? 0 : -1;
	if (r->overflow)
		return api_fail(err, API_P_BODY_TOO_LARGE, "the body is larger than 64 KiB");
	if ((r->v = thread_vault(r->srv)) == NULL)
		return api_fail(err, API_P_INTERNAL, "no database connection");
	if (!(r->route->access & API_PUBLIC)) {
		if (api_authenticate(r, err) != 0)
			return -1;
		if (!allowed(r))
			return api_fail(err, API_P_FORBIDDEN, "this caller may not use this route");
	}
	if (parse_body(r, err) != 0)
		return -1;
	return r->route->fn(r, err);
}

/* A handler's (or a continuation's) end: its error answered, or a 500 if it left r unanswered. */
static void finish(api_req *r, int rc, api_err *err)
{
	if (rc != 0 && !r->replied)
		api_reply_problem(r, err);
	if (!r->replied && !r->suspended)
		api_reply_fail(r, API_P_INTERNAL, "no response");
}

static void dispatch(api_req *r)
{
	api_err err = {0};

	finish(r, run(r, &err), &err);
}

int api_suspend(api_req *r, api_handler cont, util_err *err)
{
	/* suspended before anyone can possibly resume it: MHD wants suspend, then resume */
	atomic_fetch_add(&r->srv->suspended, 1);
	MHD_suspend_connection(r->conn);
	r->suspended = 1;
	r->cont = cont;
	/* counted before stopping is read: api_stop either waits for this request or it sees stopping */
	if (atomic_load(&r->srv->stopping))
		return util_fail(err, UTIL_ESTATE, "vaultd is stopping");
	return 0;
}

void api_resume(api_req *r)
{
	api_server *srv = r->srv;

	MHD_resume_connection(r->conn);
	atomic_fetch_sub(&srv->suspended, 1);
}

/* The writer's thread: the entry is durable (or failed); wake the connection. */
static void audit_done_cb(void *ctx, int rc, int64_t seq, const util_err *err)
{
	api_req *r = ctx;

	r->audit.rc = rc;
	r->audit.seq = seq;
	if (err != NULL)
		r->audit.err = *err;
	api_resume(r);
}

void api_suspend_for_audit(api_req *r, const audit_entry *e, api_handler cont)
{
	util_err err;
	int rc = api_suspend(r, cont, &err);

	if (rc == 0)
		rc = audit_writer_submit(r->srv->writer, e, audit_done_cb, r, &err);
	if (rc != 0) {
		r->audit.rc = -1;
		r->audit.err = err;
		api_resume(r);
	}
}

/* The group's thread: the change, inside the group's transaction; its own error kept apart from the commit's. */
static int change_unit(vault *v, void *ctx, util_err *err)
{
	api_req *r = ctx;

	if (r->change.fn(r, v, &r->change.err) == 0)
		return 0;
	r->change.own = 1;
	if (err != NULL)
		*err = r->change.err.u;
	return -1;
}

/* The group's thread: the change's commit is durable (or failed); wake the connection. */
static void change_done(void *ctx, int rc, const util_err *err)
{
	api_req *r = ctx;

	r->change.rc = rc;
	if (rc != 0 && !r->change.own)
		api_fail_util(&r->change.err, err);
	api_resume(r);
}

void api_suspend_for_change(api_req *r, api_change_fn fn, api_handler cont)
{
	util_err err;
	int rc;

	r->change = (api_change_outcome){.fn = fn};
	rc = api_suspend(r, cont, &err);
	if (rc == 0)
		rc = vault_group_submit(r->srv->group, change_unit, change_done, r, &err);
	if (rc != 0) {
		r->change.rc = -1;
		api_fail_util(&r->change.err, &err);
		api_resume(r);
	}
}

/* A new request's id, unique within this run and unpredictable across runs: no caller's input. */
static void request_id(api_server *s, char out[17])
{
	unsigned char b[8];

	util_put_u64(b, s->rid_base + atomic_fetch_add(&s->rid_next, 1));
	util_hex_encode(out, b, sizeof b);
}

static void access_log(api_req *r)
{
	static const char *const kinds[] = {"none", "admin", "agency", "citizen", "officer"};
	api_server *s = r->srv;
	unsigned cls = r->status / 100;

	if (cls > 5)
		cls = 5;
	if (r->route != NULL && r->route_index < API_METRIC_ROUTES)
		atomic_fetch_add(&s->by_route[r->route_index][cls], 1);
	else
		atomic_fetch_add(&s->unmatched[cls], 1);
	/* the route's pattern, not the URL: ids stay out of the log; no tokens, no bodies */
	util_log(UTIL_LOG_INFO, r->rid, "request", "method=%s route=%s status=%u ms=%.3f caller=%s",
	    r->route ? r->route->method : "-", r->route ? r->route->path : "-", r->status,
	    (double)(util_mono_ns() - r->t0) / 1e6, kinds[r->caller.kind]);
}

static void req_free(api_req *r)
{
	if (r == NULL)
		return;
	util_wbuf_free(&r->body_buf);
	json_decref(r->json);
	if (r->state_free != NULL)
		r->state_free(r->state); /* the handler's own: what it never sent, it wipes */
	sodium_memzero(r, sizeof *r);
	free(r);
}

/* The headers are in: the request's framing, and a declared size over the limit, before a byte of the body. 0, or -1 with err. */
static int headers_check(api_req *r, const char *version, api_err *err)
{
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");

	if (api_http_check(r, version, err) != 0)
		return -1;
	if (cl != NULL && strtoull(cl, NULL, 10) > API_BODY_MAX) {
		r->overflow = 1;
		if (route(r, err) == 0)
			api_fail(err, API_P_BODY_TOO_LARGE, "the body is larger than 64 KiB");
		return -1;
	}
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	api_server *s = cls;
	api_req *r = *state;

	if (r == NULL)
		return MHD_NO; /* api_guard_uri found no memory */
	if (r->conn == NULL) { /* the headers are in: the first call */
		api_err err = {0};

		r->conn = c;
		r->srv = s;
		r->url = url;
		r->method = method;
		r->t0 = util_mono_ns();
		request_id(s, r->rid);
		r->route_index = -1;
		if (headers_check(r, version, &err) != 0) {
			api_reply_problem(r, &err);
			access_log(r);
		}
		return MHD_YES;
	}
	if (r->replied) {
		*upload_size = 0; /* answered already: whatever still arrives is dropped */
		return MHD_YES;
	}
	if (r->suspended) {
		/* resumed: the audit entry is durable (or failed); finish the request */
		api_err err = {0};

		r->suspended = 0;
		finish(r, r->cont(r, &err), &err);
		access_log(r);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->overflow) {
			if (r->body_len + *upload_size > API_BODY_MAX)
				r->overflow = 1;
			else if (util_wbuf_append(&r->body_buf, upload, *upload_size, API_BODY_MAX) != 0)
				return MHD_NO;
			r->body = (char *)r->body_buf.p;
			r->body_len = r->body_buf.len;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	api_guard_mark(s, c, 0); /* the request is whole: the deadline no longer runs */
	dispatch(r);
	if (!r->suspended)
		access_log(r);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	req_free(*state);
	*state = NULL;
	api_guard_mark(cls, c, 1); /* a next request on this connection has its own deadline */
}

/* ---- start and stop ---- */

/* MHD's accept policy: while vaultd stops, a new connection is closed at once. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	api_server *s = cls;

	(void)addr;
	(void)len;
	return atomic_load(&s->draining) ? MHD_NO : MHD_YES;
}

/*
 * libmicrohttpd's fatal errors: say which, at once and past stderr's buffer (abort does not
 * flush it), then flush what the log holds, and abort as MHD's own handler would. The line is
 * formatted on this stack by util_log_line (no lock, no allocation) and written with one
 * write(2), so this is safe wherever MHD calls it.
 */
static void on_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	char msg[512];
	size_t n;

	(void)cls;
	(void)file; /* MHD's source path: its line is enough */
	n = util_log_line(msg, sizeof msg, UTIL_LOG_FATAL, NULL, "libmicrohttpd panic", "line=%u reason=%s", line,
	    reason ? reason : "?");
	(void)!write(2, msg, n);
	fflush(stderr);
	abort();
}

static char *read_pem(const char *path, util_err *err)
{
	char *buf = keys_secret_alloc(65536 + 1);
	size_t n;

	if (buf == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of secret memory");
		return NULL;
	}
	if (util_read_bounded(path, buf, 65536, &n, err) != 0) {
		keys_secret_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int api_start(api_server **out, const api_config *cfg, vault *v, util_err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
	unsigned threads = cfg->threads ? cfg->threads : 2, max = cfg->max_conns ? cfg->max_conns : 1024,
	         per_ip = cfg->max_conns_per_ip ? cfg->max_conns_per_ip : 64;
	api_server *s;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, cfg->listen_addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->listen_addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		return util_fail(err, UTIL_EINVAL, "listen address must be an IP literal");
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return util_fail(err, UTIL_EINVAL, "TLS needs both a certificate and a key");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	s->v = v;
	randombytes_buf(&s->rid_base, sizeof s->rid_base);
	pthread_mutex_init(&s->mu, NULL);
	if ((s->lockout = auth_lockout_new()) == NULL || (s->touches = auth_touches_new()) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory for the login budgets");
		goto fail;
	}
	if (cfg->portal_dir != NULL && api_portal_load(&s->portal, cfg->portal_dir, err) != 0)
		goto fail;
	if (cfg->tls_cert != NULL) {
		if ((s->tls_cert = read_pem(cfg->tls_cert, err)) == NULL || (s->tls_key = read_pem(cfg->tls_key, err)) == NULL)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	/* before the first clone: the writer's connection and each worker's take their share
	   (the checkpointer's connection keeps almost none: audit_writer_start) */
	/* the consent changes' connection first, with SQLite's default cache: they touch few pages each */
	if (vault_group_start(&s->group, v, err) != 0)
		goto fail;
	if (cfg->cache_mib > 0)
		vault_set_conn_cache(v, (int)((uint64_t)cfg->cache_mib * 1024 / (threads + 1)));
	if (audit_writer_start(&s->writer, v, err) != 0 || api_guard_start(s, cfg->deadline_s ? cfg->deadline_s : 10, err))
		goto fail;
	MHD_set_panic_func(on_panic, NULL);
	s->d = MHD_start_daemon(flags, 0, on_accept, s, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, max, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    per_ip < max ? per_ip : max, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->conn_timeout_s ? cfg->conn_timeout_s : 15), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, api_guard_notify, s, MHD_OPTION_URI_LOG_CALLBACK, api_guard_uri, s,
	    /* without TLS the list ends here */
	    s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		util_fail(err, UTIL_EIO, "cannot listen on %s port %u", cfg->listen_addr, (unsigned)cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	*out = s;
	return 0;
fail:
	api_guard_stop(s);
	vault_group_stop(s->group);
	audit_writer_stop(s->writer);
	auth_lockout_free(s->lockout);
	auth_touches_free(s->touches);
	keys_secret_free(s->tls_cert);
	keys_secret_free(s->tls_key);
	api_portal_free(s->portal);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return -1;
}

void api_stop(api_server *s)
{
	size_t i;
	int waited;

	if (s == NULL)
		return;
	/*
	 * Stop taking connections, then give requests in flight a few seconds to finish; each answer
	 * now closes its connection. Not MHD_quiesce_daemon: in 0.9.75, with a thread pool on epoll,
	 * it races a busy worker removing the same listening socket from its epoll set, and aborts.
	 */
	atomic_store(&s->draining, 1);
	for (waited = 0; waited < 50; waited++) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		if (info == NULL || info->num_connections == 0)
			break;
		usleep(100 * 1000);
	}
	/* no request may be suspended when MHD stops (it aborts): let the writer answer those waiting */
	atomic_store(&s->stopping, 1);
	while (atomic_load(&s->suspended) > 0)
		usleep(1000);
	MHD_stop_daemon(s->d);
	api_upkeep(s); /* the last uses noted since the last upkeep */
	api_guard_stop(s);
	vault_group_stop(s->group); /* no change waits in it: no request is suspended */
	audit_writer_stop(s->writer);
	auth_lockout_free(s->lockout);
	auth_touches_free(s->touches);
	for (i = 0; i < s->nconns; i++)
		vault_close(s->conns[i]);
	keys_secret_free(s->tls_cert);
	keys_secret_free(s->tls_key);
	api_portal_free(s->portal); /* after MHD stopped: its answers sent these bytes without a copy */
	pthread_mutex_destroy(&s->mu);
	free(s);
}

uint16_t api_port(const api_server *s)
{
	return s->port;
}

/* ---- metrics: Prometheus text, counts only ---- */

void api_metrics_text(api_server *s, char *out, size_t cap, size_t *len)
{
	audit_writer_stats st;
	size_t n, i, o = 0;
	const api_route *t = api_route_table(&n);
	unsigned cls;

#define PUT(...) \
	do { \
		int w_ = snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__); \
		if (w_ > 0) \
			o += (size_t)w_; \
	} while (0)
	PUT("# HELP vaultd_requests_total HTTP requests by route and status class.\n"
	    "# TYPE vaultd_requests_total counter\n");
	for (i = 0; i < n && i < API_METRIC_ROUTES; i++)
		for (cls = 1; cls <= 5; cls++) {
			unsigned long c = atomic_load(&s->by_route[i][cls]);

			if (c > 0)
				PUT("vaultd_requests_total{method=\"%s\",route=\"%s\",status=\"%uxx\"} %lu\n", t[i].method,
				    t[i].path, cls, c);
		}
	for (cls = 1; cls <= 5; cls++)
		if (atomic_load(&s->unmatched[cls]) > 0)
			PUT("vaultd_requests_total{method=\"-\",route=\"-\",status=\"%uxx\"} %lu\n", cls,
			    atomic_load(&s->unmatched[cls]));
	PUT("# HELP vaultd_decisions_total Lookup decisions by outcome.\n# TYPE vaultd_decisions_total counter\n"
	    "vaultd_decisions_total{outcome=\"allow\"} %lu\nvaultd_decisions_total{outcome=\"deny\"} %lu\n",
	    atomic_load(&s->decisions_allow), atomic_load(&s->decisions_deny));
	audit_writer_stats_get(s->writer, &st);
	PUT("# HELP vaultd_audit_batches_total Group-commit batches (one fsync each).\n"
	    "# TYPE vaultd_audit_batches_total counter\nvaultd_audit_batches_total %llu\n"
	    "# HELP vaultd_audit_entries_total Entries written by the group-commit writer.\n"
	    "# TYPE vaultd_audit_entries_total counter\nvaultd_audit_entries_total %llu\n"
	    "# HELP vaultd_audit_batch_max Largest batch so far.\n# TYPE vaultd_audit_batch_max gauge\n"
	    "vaultd_audit_batch_max %llu\n"
	    "# HELP vaultd_audit_fsync_seconds_total Time spent committing batches.\n"
	    "# TYPE vaultd_audit_fsync_seconds_total counter\nvaultd_audit_fsync_seconds_total %.6f\n"
	    "# HELP vaultd_audit_fsync_seconds_max Longest batch commit.\n# TYPE vaultd_audit_fsync_seconds_max gauge\n"
	    "vaultd_audit_fsync_seconds_max %.6f\n"
	    "# HELP vaultd_audit_wal_restarts_total Times the checkpointer had the log's WAL start over.\n"
	    "# TYPE vaultd_audit_wal_restarts_total counter\nvaultd_audit_wal_restarts_total %llu\n",
	    (unsigned long long)st.batches, (unsigned long long)st.entries, (unsigned long long)st.max_batch,
	    (double)st.fsync_ns_total / 1e9, (double)st.fsync_ns_max / 1e9, (unsigned long long)st.wal_restarts);
	{
		/* this request's own connection among them; a benchmark waits for the others to close */
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		PUT("# HELP vaultd_connections_open Open HTTP connections.\n# TYPE vaultd_connections_open gauge\n"
		    "vaultd_connections_open %u\n", di != NULL ? di->num_connections : 0u);
	}
#undef PUT
	*len = o < cap ? o : cap;
}
