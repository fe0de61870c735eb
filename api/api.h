/* api.h: the HTTP server: listening, routing, and the handlers over the vault. */
#ifndef VAULTD_API_H
#define VAULTD_API_H

#include <stdint.h>

#include "../vault/vault.h"

typedef struct api_config {
	const char *listen_addr; /* IPv4 or IPv6 literal */
	uint16_t port;
	unsigned threads;        /* worker threads (MHD thread pool) */
	unsigned max_conns;
	unsigned conn_timeout_s;
} api_config;

typedef struct api_server api_server;

/* Starts serving; v stays owned by the caller and must outlive the server. */
int api_start(api_server **out, const api_config *cfg, vault *v, util_err *err) UTIL_WARN_UNUSED;
/* Stops accepting, finishes in-flight requests, frees the server. */
void api_stop(api_server *s);
/* The port actually bound (useful with port 0). */
uint16_t api_port(const api_server *s);

#endif
