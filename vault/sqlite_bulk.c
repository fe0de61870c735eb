/* sqlite_bulk.c: an import's checkpoints on a connection of their own, beside the writer (SQLite). */
#include "sqlite.h"

void vault_checkpoint_passive(vault *v)
{
	/* no name: vault.db, then every file a module attached (audit.db), in that order */
	(void)sqlite3_wal_checkpoint_v2(vault_sql_db(v), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

int vault_bulk_checkpoints_elsewhere(vault *v, util_err *err)
{
	int rc = sqlite3_exec(vault_sql_db(v), "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : vault_sql_error(v, rc, err, "bulk mode");
}
