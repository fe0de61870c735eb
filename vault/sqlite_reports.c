/* sqlite_reports.c: what the reports say of the database's protection, as SQLCipher reports it. */
#include "sqlite.h"

#include <stdio.h>

/* The text a pragma (a literal) returns into out (n bytes), or "" when this SQLCipher does not know it. */
static void pragma_text(vault *v, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, NULL);
	const unsigned char *t;

	out[0] = '\0';
	if (s == NULL)
		return;
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, n, "%s", (t = sqlite3_column_text(s, 0)) ? (const char *)t : "");
	sqlite3_reset(s);
}

void vault_storage_facts_get(vault *v, vault_storage_facts *f)
{
	pragma_text(v, "PRAGMA cipher_version", f->cipher_version, sizeof f->cipher_version);
	pragma_text(v, "PRAGMA cipher", f->cipher, sizeof f->cipher);
	pragma_text(v, "PRAGMA cipher_use_hmac", f->use_hmac, sizeof f->use_hmac);
	pragma_text(v, "PRAGMA cipher_hmac_algorithm", f->hmac_algorithm, sizeof f->hmac_algorithm);
	pragma_text(v, "PRAGMA cipher_page_size", f->page_size, sizeof f->page_size);
	pragma_text(v, "PRAGMA secure_delete", f->secure_delete, sizeof f->secure_delete);
	pragma_text(v, "PRAGMA journal_mode", f->journal_mode, sizeof f->journal_mode);
}
