/* public.c: the routes anyone may call: health, metrics, the log's key, checkpoints and consistency proofs. */
#include "api_private.h"

#include <stdlib.h>

void api_h_healthz(api_req *r)
{
	api_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

void api_h_metrics(api_req *r)
{
	char *buf = malloc(64 * 1024);
	size_t n;

	if (buf == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	api_metrics_text(r->srv, buf, 64 * 1024, &n);
	api_reply_text(r, 200, "text/plain; version=0.0.4", buf, n);
	free(buf);
}

void api_h_keys(api_req *r)
{
	char b64[64], origin[AUDIT_ORIGIN_MAX + 1];
	unsigned char pk[32];

	vault_public_key(r->v, pk);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	audit_origin(r->v, origin);
	api_reply(r, 200, json_pack("{s:s, s:s, s:s}", "public_key", b64, "key_name", origin, "alg", "Ed25519"));
}

void api_h_checkpoint(api_req *r)
{
	char note[AUDIT_CHECKPOINT_MAX];
	audit_checkpoint c;
	util_err err;

	if (audit_latest_checkpoint(r->v, note, &c, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:I}", "checkpoint", note, "size", (json_int_t)c.size));
}

void api_h_consistency(api_req *r)
{
	audit_hash proof[AUDIT_MAX_PROOF];
	int64_t from = api_query_int(r, "from", -2, 1, INT64_MAX), to;
	size_t len;
	util_err err;

	if (from == -1 || (to = api_query_int(r, "to", -2, 1, INT64_MAX)) == -1)
		return;
	if (from == -2 || to == -2) {
		api_problem(r, 400, "invalid_input", "give from and to, tree sizes");
		return;
	}
	if (audit_consistency(r->v, from, to, proof, &len, &err) != 0) {
		api_problem(r, 400, "invalid_input", err.msg);
		return;
	}
	api_reply(r, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "proof",
	                     api_b64_hashes(proof, len)));
}
