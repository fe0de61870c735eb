/* server.c: the libmicrohttpd server: epoll thread pool, limits, and a first route (/healthz). */
#include "api.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

struct api_server {
	struct MHD_Daemon *d;
	vault *v;
	uint16_t port;
};

static const char healthz_body[] = "{\"status\":\"ok\"}";

static enum MHD_Result send_static(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	(void)upload;
	if (*state == NULL) {
		*state = (void *)1; /* first call: headers only */
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0; /* no route here takes a body yet: drain it */
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0) {
		if (strcmp(method, "GET") != 0)
			return send_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "application/problem+json",
			    "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,"
			    "\"code\":\"method_not_allowed\",\"detail\":\"this route does not take that method\"}");
		return send_static(c, MHD_HTTP_OK, "application/json", healthz_body);
	}
	return send_static(c, MHD_HTTP_NOT_FOUND, "application/problem+json",
	    "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"code\":\"not_found\","
	    "\"detail\":\"no such route\"}");
}

int api_start(api_server **out, const api_config *cfg, vault *v, util_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	api_server *s;
	const union MHD_DaemonInfo *info;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, cfg->listen_addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(cfg->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, cfg->listen_addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(cfg->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		return util_fail(err, UTIL_EINVAL, "listen address must be an IP literal");
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	s->v = v;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
	                            (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)(cfg->threads ? cfg->threads : 2), MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)(cfg->max_conns ? cfg->max_conns : 1024), MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->conn_timeout_s ? cfg->conn_timeout_s : 30), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(128 * 1024), MHD_OPTION_END);
	(void)sl;
	if (s->d == NULL) {
		free(s);
		return util_fail(err, UTIL_EIO, "cannot listen on %s port %u", cfg->listen_addr, (unsigned)cfg->port);
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	*out = s;
	return 0;
}

void api_stop(api_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}

uint16_t api_port(const api_server *s)
{
	return s->port;
}
