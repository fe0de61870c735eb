/* public.c: the routes anyone may call: health, metrics, the log's key, checkpoints and consistency proofs. */
#include "api_private.h"

#include <stdlib.h>

int api_h_healthz(api_req *r, api_err *err)
{
	(void)err;
	api_reply(r, 200, json_pack("{s:s}", "status", "ok"));
	return 0;
}

int api_h_metrics(api_req *r, api_err *err)
{
	char *buf = malloc(64 * 1024);
	size_t n;

	if (buf == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	api_metrics_text(r->srv, buf, 64 * 1024, &n);
	api_reply_text(r, 200, "text/plain; version=0.0.4", buf, n);
	free(buf);
	return 0;
}

int api_h_keys(api_req *r, api_err *err)
{
	char b64[64], origin[AUDIT_ORIGIN_MAX + 1];
	unsigned char pk[32];

	(void)err;
	vault_public_key(r->v, pk);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	audit_origin(r->v, origin);
	api_reply(r, 200, json_pack("{s:s, s:s, s:s}", "public_key", b64, "key_name", origin, "alg", "Ed25519"));
	return 0;
}

int api_h_checkpoint(api_req *r, api_err *err)
{
	char note[AUDIT_CHECKPOINT_MAX];
	audit_checkpoint c;

	if (audit_latest_checkpoint(r->v, note, &c, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:I}", "checkpoint", note, "size", (json_int_t)c.size));
	return 0;
}

int api_h_consistency(api_req *r, api_err *err)
{
	audit_hash proof[AUDIT_MAX_PROOF];
	int64_t from = api_query_int(r, "from", -2, 1, INT64_MAX, err), to;
	size_t len;

	if (from == -1 || (to = api_query_int(r, "to", -2, 1, INT64_MAX, err)) == -1)
		return -1;
	if (from == -2 || to == -2)
		return api_fail(err, API_P_INVALID_INPUT, "give from and to, tree sizes");
	if (audit_consistency(r->v, from, to, proof, &len, &err->u) != 0)
		return api_fail(err, API_P_INVALID_INPUT, "%s", err->u.msg);
	api_reply(r, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "proof",
	                     api_b64_hashes(proof, len)));
	return 0;
}
