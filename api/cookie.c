/* cookie.c: sessions in a browser: the vaultd_session cookie, its CSRF token, the checks of a write by cookie. */
#include "api_private.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COOKIE_ATTRS "Path=/; HttpOnly; SameSite=Strict"
/* The CSRF token is a hash keyed by the session token's keyed hash: it can be shown to the
   page (it proves nothing without the cookie), and neither the token nor its hash follows from it. */
#define CSRF_CONTEXT "vaultd csrf token v1"

_Static_assert(API_CSRF_MAX == sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
    "a CSRF token is 32 bytes in unpadded base64url");

void api_cookie_set(api_req *r, const char *token, int64_t max_age)
{
	int n = snprintf(r->set_cookie, sizeof r->set_cookie, "vaultd_session=%s; " COOKIE_ATTRS "; Max-Age=%lld%s",
	    token, (long long)max_age, r->srv->tls_cert != NULL ? "; Secure" : "");

	if (n < 0 || (size_t)n >= sizeof r->set_cookie) /* a token has a bounded form: never, but never half a cookie */
		sodium_memzero(r->set_cookie, sizeof r->set_cookie);
}

void api_cookie_clear(api_req *r)
{
	snprintf(r->set_cookie, sizeof r->set_cookie, "vaultd_session=; " COOKIE_ATTRS "; Max-Age=0%s",
	    r->srv->tls_cert != NULL ? "; Secure" : "");
}

void api_csrf_token(const unsigned char hash[32], char out[API_CSRF_MAX])
{
	unsigned char mac[32];

	crypto_generichash(mac, sizeof mac, (const unsigned char *)CSRF_CONTEXT, strlen(CSRF_CONTEXT), hash, 32);
	sodium_bin2base64(out, API_CSRF_MAX, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(mac, sizeof mac);
}

/*
 * The Origin a browser sends must name the host the request was sent to (its Host header),
 * by http or https: vaultd may sit behind a proxy that ends TLS, and one host and port serve
 * one scheme. "null" and any other origin fail.
 */
int api_origin_ok(api_req *r)
{
	const char *o = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");

	if (o == NULL)
		return 1;
	if (host == NULL || host[0] == '\0')
		return 0;
	if (strncasecmp(o, "https://", 8) == 0)
		o += 8;
	else if (strncasecmp(o, "http://", 7) == 0)
		o += 7;
	else
		return 0;
	return strcasecmp(o, host) == 0;
}

int api_csrf_check(api_req *r, api_err *err)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	char want[API_CSRF_MAX];
	int ok;

	if (!api_origin_ok(r))
		return api_fail(err, API_P_CSRF_FAILED, "the request's Origin is not this server");
	api_csrf_token(r->caller.token, want);
	ok = h != NULL && strlen(h) == API_CSRF_MAX - 1 && sodium_memcmp(h, want, API_CSRF_MAX - 1) == 0;
	sodium_memzero(want, sizeof want);
	return ok ? 0 : api_fail(err, API_P_CSRF_FAILED, "a write with the session cookie needs its X-CSRF-Token");
}
