/* policy_private.h: what policy's files share and nothing outside policy/ calls. */
#ifndef VAULTD_POLICY_PRIVATE_H
#define VAULTD_POLICY_PRIVATE_H

#include "policy.h"

/* The size of a request's subject (policy_request_subject). */
#define POLICY_SUBJECT_BYTES 32u

/*
 * The subject of a consent request: who it is about, as one agency's tag for a national ID,
 * the same whether or not anyone with that ID is enrolled, was erased or never was. A keyed
 * BLAKE2b (the pseudonym key) of a fixed label, agency_id and the ID's blind index: it cannot
 * be joined with the citizens' blind index, nor across agencies. 0, or -1 (err) when nid is
 * not a well-formed national ID.
 */
int policy_request_subject(vault *v, const char *agency_id, const char *nid, unsigned char out[POLICY_SUBJECT_BYTES],
    util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 4);

/*
 * A pending request's subject, kept (request_subjects) until it is decided (policy_subject_drop)
 * or expires (the retention sweep), and no longer. In v's transaction.
 */
int policy_subject_put(vault *v, const char *request_id, const char *agency_id,
    const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t expires_at, util_err *err) UTIL_WARN_UNUSED;
int policy_subject_drop(vault *v, const char *request_id, util_err *err) UTIL_WARN_UNUSED;

/*
 * Refuses (UTIL_ESTATE) a new request when agency_id already has POLICY_PENDING_MAX pending,
 * unexpired requests about subject, counted the same way for every ID. In v's transaction.
 */
int policy_pending_cap(vault *v, const char *agency_id, const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t now,
    util_err *err) UTIL_WARN_UNUSED;

#endif
