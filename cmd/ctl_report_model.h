/* ctl_report_model.h: the reads behind vaultctl's privacy reports (ctl_report_model.c). */
#ifndef VAULTD_CTL_REPORT_MODEL_H
#define VAULTD_CTL_REPORT_MODEL_H

#include <stdint.h>

#include <jansson.h>

#include "../vault/vault.h"

/*
 * The model of both reports, "vaultd-ropa/1": the vault, the period, the citizens' count, the
 * lookups allowed and denied in [from, to], the emergency accesses awaiting review, and each
 * agency with its purposes, their fields' categories, consents in force and lookups. Read in
 * one snapshot (a read transaction when none is open). A new reference, or NULL with err
 * filled: UTIL_EINVAL when from > to or from < 0, UTIL_ECORRUPT for a row that does not parse.
 */
json_t *ctl_report_model(vault *v, int64_t from, int64_t to, util_err *err);

#endif
