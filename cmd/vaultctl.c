/* vaultctl.c: the operator's command line: its usage, its options, and the table of commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

static const char usage_text[] =
    "usage: vaultctl COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  init        create a vault                      vaultctl init --data DIR [--schema FILE]\n"
    "  import      enrol citizens from JSON Lines       vaultctl import FILE [--enrolments OUT] [--batch N]\n"
    "  get         operator read of one citizen        vaultctl get (--citizen ID | --national-id-stdin)\n"
    "  erase       erase a citizen (crypto-shredding)  vaultctl erase --citizen ID\n"
    "  rotate-kek  new KEK version, rewrap every DEK   vaultctl rotate-kek\n"
    "  rekey       change the root key                 vaultctl rekey (--new-key-file F | --new-passphrase-env V)\n"
    "  backup      online encrypted backup             vaultctl backup DEST\n"
    "  restore     restore a backup into --data        vaultctl restore SRC\n"
    "  stats       counts and sizes                    vaultctl stats\n"
    "  audit       verify or export the audit log      vaultctl audit (verify | export)\n"
    "  receipt     verify a consent receipt offline    vaultctl receipt verify FILE [--public-key KEY]\n"
    "  keys        the vault's public key              vaultctl keys\n"
    "  admin-token a new admin token; the old one ends   vaultctl admin-token rotate\n"
    "  ropa        records of processing activities    vaultctl ropa [--json] [--from T] [--to T]\n"
    "  dpia        impact-assessment dossier skeleton  vaultctl dpia [--from T] [--to T]\n"
    "\n"
    "options every command takes:\n"
    "  --data DIR              the vault's directory (default: $VAULTD_DATA, else ./data)\n"
    "  --key-file PATH         the root key file (default: DIR/master.key)\n"
    "  --passphrase-env NAME   unlock with the passphrase in environment variable NAME instead\n"
    "\n"
    "`vaultctl COMMAND --help` describes one command.\n"
    "exit codes: 0 done, 1 failed, 2 usage, 3 invalid input, 4 wrong key, 5 not found,\n"
    "            6 already exists, 7 vault busy, 8 integrity failure\n";

static const char *command = NULL; /* the command being run, for the pointer to its help */

#define DEFAULT_BATCH 50000 /* each commit rewrites the random indexes' leaves it touched: few, large ones,
                              * but a batch's dirty pages fit bulk mode's page cache (vault/sqlite_db.c) */

int ctl_usage(const char *msg)
{
	if (msg == NULL)
		fputs(usage_text, stderr);
	else
		fprintf(stderr, "vaultctl: %s\nvaultctl: see `vaultctl %s%s--help`\n", msg, command ? command : "",
		    command ? " " : "");
	return EX_USAGE;
}

enum { OPT_DATA = 1000, OPT_KEY, OPT_PASS, OPT_SCHEMA, OPT_ENROL, OPT_BATCH, OPT_CITIZEN, OPT_NID_STDIN,
	OPT_NEW_KEY, OPT_NEW_PASS, OPT_KDF_OPS, OPT_KDF_MEM, OPT_HELP, OPT_EXPORT, OPT_PUBKEY, OPT_FROM, OPT_TO,
	OPT_JSON };

static const struct option common_opts[] = {
	{"data", required_argument, NULL, OPT_DATA},
	{"key-file", required_argument, NULL, OPT_KEY},
	{"passphrase-env", required_argument, NULL, OPT_PASS},
	{"schema", required_argument, NULL, OPT_SCHEMA},
	{"enrolments", required_argument, NULL, OPT_ENROL},
	{"batch", required_argument, NULL, OPT_BATCH},
	{"citizen", required_argument, NULL, OPT_CITIZEN},
	{"national-id-stdin", no_argument, NULL, OPT_NID_STDIN},
	{"new-key-file", required_argument, NULL, OPT_NEW_KEY},
	{"new-passphrase-env", required_argument, NULL, OPT_NEW_PASS},
	{"kdf-ops", required_argument, NULL, OPT_KDF_OPS},
	{"kdf-mem-mib", required_argument, NULL, OPT_KDF_MEM},
	{"help", no_argument, NULL, OPT_HELP},
	{"export", required_argument, NULL, OPT_EXPORT},
	{"public-key", required_argument, NULL, OPT_PUBKEY},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"json", no_argument, NULL, OPT_JSON},
	{NULL, 0, NULL, 0},
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* Options every command takes; the others only the commands whose table entry names them. */
#define OPT_BIT(o) (1ul << ((o) - OPT_DATA))
#define OPTS_COMMON (OPT_BIT(OPT_DATA) | OPT_BIT(OPT_KEY) | OPT_BIT(OPT_PASS) | OPT_BIT(OPT_KDF_OPS) | \
	OPT_BIT(OPT_KDF_MEM) | OPT_BIT(OPT_HELP))

static const struct option *option_of(int val)
{
	const struct option *k;

	for (k = common_opts; k->name != NULL; k++)
		if (k->val == val)
			return k;
	return NULL;
}

/* The option getopt_long refused, by name (never its value): unknown, missing or with a value. */
static int bad_option(char **argv)
{
	const struct option *k = optopt != 0 ? option_of(optopt) : NULL;
	const char *arg = argv[optind - 1];
	size_t n = strcspn(arg, "=");
	char msg[96];

	if (k != NULL)
		snprintf(msg, sizeof msg, "option --%s %s", k->name,
		    k->has_arg == no_argument ? "takes no value" : "needs a value");
	else if (optopt > ' ' && optopt < 127)
		snprintf(msg, sizeof msg, "unknown option -%c", optopt);
	else
		snprintf(msg, sizeof msg, "unknown option %.*s", (int)(n < 40 ? n : 40), arg);
	return ctl_usage(msg);
}

static int not_taken(const char *cmd, int o)
{
	char msg[96];

	snprintf(msg, sizeof msg, "%s does not take the option --%s", cmd, option_of(o)->name);
	return ctl_usage(msg);
}

/* Takes option o (its value in optarg) into c or a: 0, or the exit code of a usage error. */
static int take_option(ctl *c, args *a, int o, char **argv)
{
	uint64_t n;

	switch (o) {
	case OPT_DATA:
		c->data = optarg;
		return 0;
	case OPT_KEY:
		if (strlen(optarg) >= sizeof c->key_file)
			return ctl_usage("--key-file path too long");
		strcpy(c->key_file, optarg);
		return 0;
	case OPT_PASS:
		c->passphrase_env = optarg;
		return 0;
	case OPT_SCHEMA:
		a->schema = optarg;
		return 0;
	case OPT_ENROL:
		a->enrolments = optarg;
		return 0;
	case OPT_BATCH:
		if (parse_u64(optarg, &n) != 0 || n < 1 || n > 100000)
			return ctl_usage("--batch takes 1..100000");
		a->batch = (long)n;
		return 0;
	case OPT_CITIZEN:
		a->citizen = optarg;
		return 0;
	case OPT_NID_STDIN:
		a->nid_stdin = 1;
		return 0;
	case OPT_NEW_KEY:
		a->new_key_file = optarg;
		return 0;
	case OPT_NEW_PASS:
		a->new_pass_env = optarg;
		return 0;
	case OPT_KDF_OPS:
		if (parse_u64(optarg, &c->kdf_ops) != 0)
			return ctl_usage("--kdf-ops takes a number");
		return 0;
	case OPT_KDF_MEM:
		if (parse_u64(optarg, &n) != 0 || n > (1u << 20))
			return ctl_usage("--kdf-mem-mib takes a number of MiB");
		c->kdf_mem = n << 20;
		return 0;
	case OPT_HELP:
		a->help = 1;
		return 0;
	case OPT_EXPORT:
		a->export_file = optarg;
		return 0;
	case OPT_PUBKEY:
		a->public_key = optarg;
		return 0;
	case OPT_FROM:
	case OPT_TO:
		if (parse_u64(optarg, &n) != 0 || n > INT64_MAX)
			return ctl_usage("--from and --to take unix seconds");
		if (o == OPT_FROM)
			a->from = (int64_t)n;
		else
			a->to = (int64_t)n;
		return 0;
	case OPT_JSON:
		a->json = 1;
		return 0;
	default:
		return bad_option(argv);
	}
}

/*
 * Reads a command's options and arguments (argv[0] is the command) into c and a, its defaults
 * first. takes names the options it takes beyond OPTS_COMMON. 0, or a usage error's exit code.
 */
static int parse_args(int argc, char **argv, ctl *c, args *a, unsigned long takes)
{
	int o, rc;

	memset(a, 0, sizeof *a);
	a->batch = DEFAULT_BATCH;
	a->to = INT64_MAX;
	c->data = getenv("VAULTD_DATA") ? getenv("VAULTD_DATA") : "data";
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", common_opts, NULL)) != -1) {
		if (o >= OPT_DATA && !((takes | OPTS_COMMON) & OPT_BIT(o)))
			return not_taken(argv[0], o);
		if ((rc = take_option(c, a, o, argv)) != 0)
			return rc;
	}
	while (optind < argc) {
		if (a->npos == 4)
			return ctl_usage("too many arguments");
		a->pos[a->npos++] = argv[optind++];
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(ctl *, args *);
	unsigned long takes; /* its options beyond OPTS_COMMON */
	const char *help;    /* what --help prints; NULL: the command prints its own */
} commands[] = {
	{"init", cmd_init, OPT_BIT(OPT_SCHEMA),
	    "vaultctl init --data DIR [--key-file PATH | --passphrase-env NAME [--kdf-ops N --kdf-mem-mib M]]\n"
	    "               [--schema FILE]\n"
	    "Creates a vault in DIR. By default a random root key is written to DIR/master.key (mode 0600):\n"
	    "keep production keys off the data disk (--key-file). With --passphrase-env the root key is\n"
	    "derived with Argon2id; its salt and limits are kept in DIR/vault.meta. --schema replaces the\n"
	    "built-in field catalog. Prints {\"vault_id\": ..., \"admin_token\": ...}: the operator's\n"
	    "token for the HTTP API, shown this once.\n"},
	{"import", cmd_import, OPT_BIT(OPT_ENROL) | OPT_BIT(OPT_BATCH),
	    NULL},
	{"get", cmd_get, OPT_BIT(OPT_CITIZEN) | OPT_BIT(OPT_NID_STDIN),
	    "vaultctl get (--citizen ID | --national-id-stdin)\n"
	    "Prints one citizen's record. The national ID is read from standard input, never from the\n"
	    "command line, so that it does not show in the process list or shell history.\n"},
	{"erase", cmd_erase, OPT_BIT(OPT_CITIZEN),
	    "vaultctl erase --citizen ID\n"
	    "Erases a citizen by crypto-shredding: the wrapped data key and the record are deleted\n"
	    "(SQLite secure_delete overwrites the freed pages).\n"},
	{"rotate-kek", cmd_rotate, 0,
	    "vaultctl rotate-kek\n"
	    "Adds a key-encryption key version, rewraps every citizen's data key under it (fields are\n"
	    "not re-encrypted), then destroys the versions nothing uses. vaultd may keep running.\n"},
	{"rekey", cmd_rekey, OPT_BIT(OPT_NEW_KEY) | OPT_BIT(OPT_NEW_PASS),
	    "vaultctl rekey (--new-key-file PATH | --new-passphrase-env NAME)\n"
	    "Changes the root key, and with it the database's page key. Stop vaultd first. The new key\n"
	    "file is created (it must not exist); the old one can be destroyed once this succeeds.\n"},
	{"backup", cmd_backup, 0,
	    "vaultctl backup DEST\n"
	    "Copies the vault online (SQLite backup API) into the new directory DEST: vault.db, then\n"
	    "the audit log's audit.db, both still encrypted, and vault.meta. The root key is not\n"
	    "copied: keep it apart from backups.\n"},
	{"restore", cmd_restore, 0,
	    "vaultctl restore SRC --data DIR\n"
	    "Restores the backup directory SRC into DIR, which must hold no vault. The backup is opened\n"
	    "with the given key first; nothing is written if it does not open.\n"},
	{"stats", cmd_stats, 0,
	    "vaultctl stats\nPrints counts and sizes as JSON. No personal data.\n"},
	{"audit", cmd_audit, OPT_BIT(OPT_EXPORT) | OPT_BIT(OPT_PUBKEY),
	    NULL},
	{"receipt", cmd_receipt, OPT_BIT(OPT_PUBKEY),
	    NULL},
	{"keys", cmd_keys, 0,
	    "vaultctl keys\nPrints the vault's Ed25519 public key (receipts, checkpoints) and its latest checkpoint.\n"},
	{"ropa", cmd_ropa, OPT_BIT(OPT_JSON) | OPT_BIT(OPT_FROM) | OPT_BIT(OPT_TO),
	    "vaultctl ropa [--json] [--from T] [--to T]\n"
	    "Prints the records of processing activities from the live registry: per agency and purpose, the\n"
	    "legal basis and reference, the fields and their category, the recipient, the retention, consents\n"
	    "in force, and allowed and denied lookups from the audit log between unix times T (default: the\n"
	    "whole log). Markdown, or JSON with --json. Counts only: no personal data. Writes nothing.\n"},
	{"dpia", cmd_dpia, OPT_BIT(OPT_FROM) | OPT_BIT(OPT_TO),
	    "vaultctl dpia [--from T] [--to T]\n"
	    "Prints an impact-assessment dossier skeleton (Markdown), filled from the live registry, catalog\n"
	    "and configuration (purposes, data categories, recipients, retention, security measures in force),\n"
	    "with the sections the controller must write marked [CONTROLLER TO COMPLETE]. No personal data.\n"},
	{"admin-token", cmd_admin_token, 0,
	    "vaultctl admin-token rotate\n"
	    "Issues a new admin token for the HTTP API and ends every earlier one, in one audited\n"
	    "transaction: the old token is refused from the next request on. vaultd may keep running.\n"
	    "Prints {\"admin_token\": ...}, shown this once; the vault keeps only a keyed hash of it.\n"},
};

int main(int argc, char **argv)
{
	ctl c = {0};
	args a;
	size_t i;
	int rc;

	/* whatever vaultctl creates (the databases and their WALs, backups, exports) is the owner's
	 * alone, whatever the caller's umask */
	umask(077);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		if (argc < 2)
			return ctl_usage(NULL);
		fputs(usage_text, stdout);
		return EX_OK;
	}
	if (vault_init() != 0) {
		fprintf(stderr, "vaultctl: cannot start libsodium or SQLCipher\n");
		return EX_FAIL;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		command = commands[i].name;
		if ((rc = parse_args(argc - 1, argv + 1, &c, &a, commands[i].takes)) != 0)
			return rc;
		if (a.help && commands[i].help != NULL)
			rc = fputs(commands[i].help, stdout) < 0 ? EX_FAIL : EX_OK;
		else
			rc = commands[i].fn(&c, &a);
		keys_secret_free(c.passphrase);
		return rc;
	}
	{
		char msg[96];

		snprintf(msg, sizeof msg, "unknown command %.40s", argv[1]);
		return ctl_usage(msg);
	}
}
