/* ctl_reports.h: vaultctl's generated privacy reports: records of processing (ropa), a DPIA skeleton. */
#ifndef VAULTD_CTL_REPORTS_H
#define VAULTD_CTL_REPORTS_H

#include <stdint.h>
#include <stdio.h>

#include "../vault/vault.h"

/*
 * Both reports are read from the live vault: the registry (agencies, purposes), the field
 * catalog, counts of citizens and of consents in force, the lookup entries of the audit log,
 * and the configuration in force. They print agency names, purpose codes, descriptions, legal
 * references, field names and counts: never a value of a record, a national ID, a citizen id,
 * a justification or an officer's name. They write nothing to the vault (no audit entry either:
 * like `vaultctl stats`, they read no personal data).
 *
 * Lookups are counted when from <= time <= to (unix seconds, inclusive); 0 and INT64_MAX mean
 * the whole log. The reads run in one read transaction when none is open, so every count comes
 * from the same snapshot. Both return 0, or -1 with err filled: UTIL_EINVAL when from > to or
 * from < 0, UTIL_ECORRUPT for a stored row that does not parse, UTIL_EIO when writing to out
 * fails. On -1, out may hold part of the report.
 */

/* The records of processing activities: Markdown, or JSON ("vaultd-ropa/1") when json != 0. */
int ctl_ropa(vault *v, int json, int64_t from, int64_t to, FILE *out, util_err *err) UTIL_NONNULL(1, 5)
    UTIL_WARN_UNUSED;

/*
 * An impact-assessment dossier skeleton (Markdown): what can be generated is filled in from the
 * vault, and the sections only the controller can write are marked "[CONTROLLER TO COMPLETE]".
 * passphrase says how the caller unlocked the vault (1: Argon2id of a passphrase, 0: key file).
 */
int ctl_dpia(vault *v, int passphrase, int64_t from, int64_t to, FILE *out, util_err *err) UTIL_NONNULL(1, 5)
    UTIL_WARN_UNUSED;

#endif
