/* api.h: the HTTP server: listening, routing, authentication, and the handlers over the vault. */
#ifndef VAULTD_API_H
#define VAULTD_API_H

#include <stddef.h>
#include <stdint.h>

#include "../vault/vault.h"

typedef struct api_config {
	const char *listen_addr; /* IPv4 or IPv6 literal */
	uint16_t port;           /* 0: any free port (api_port tells which) */
	unsigned threads;        /* worker threads (MHD thread pool); 0: 2 */
	unsigned max_conns;      /* 0: 1024 */
	unsigned max_conns_per_ip; /* connections from one address; 0: 64 (at most max_conns) */
	unsigned conn_timeout_s; /* idle connections are closed after this; 0: 15 */
	unsigned deadline_s;     /* a request (headers and body) must be whole this long after the
	                            connection opens or the previous answer, or it is closed; 0: 10 */
	unsigned cache_mib;      /* page cache, shared out evenly among the workers' and the audit
	                            writer's connections; 0: SQLite's default (2,000 KiB) each */
	const char *tls_cert, *tls_key; /* PEM files; both or neither */
	const char *portal_dir;  /* the portal's files, loaded at start and served at / ; NULL: none */
} api_config;

typedef struct api_server api_server;

/* Starts serving; v stays owned by the caller and must outlive the server. */
int api_start(api_server **out, const api_config *cfg, vault *v, util_err *err) UTIL_WARN_UNUSED;
/* Stops accepting, lets requests in flight finish (up to a few seconds), frees the server. */
void api_stop(api_server *s);
/*
 * Upkeep, on the thread that started the server (it uses v), often (every few seconds to a
 * minute): stores the tokens' last uses noted by requests (auth_touches_store). api_stop does it a last time.
 */
void api_upkeep(api_server *s);
/* The port actually bound. */
uint16_t api_port(const api_server *s);

/* The routes, for the documentation parity test: paths with {name} placeholders. */
typedef struct api_route_info {
	const char *method;
	const char *path;
} api_route_info;
const api_route_info *api_routes(size_t *n);

/* Every problem the server answers with (problem.c), for the documentation parity test. */
typedef struct api_problem_info {
	unsigned status;
	const char *code; /* stable: the `code` of the problem+json body */
} api_problem_info;
const api_problem_info *api_problems(size_t *n);

#endif
