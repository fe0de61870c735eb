/* vaultctl.c: the operator's command line: create, fill, read, erase, rotate, back up a vault. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../api/api.h"
#include "../audit/audit.h"
#include "../policy/policy.h"
#include "../vault/vault.h"
#include "../vault/vault_sql.h"
#include "ctl_reports.h"

/*
 * Exit codes (documented in README and `vaultctl --help`):
 *   0 done, 1 failed (I/O, database, internal), 2 usage, 3 invalid input,
 *   4 wrong key or passphrase, 5 not found, 6 already exists, 7 vault busy, 8 integrity failure.
 */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_INPUT = 3, EX_KEY = 4, EX_NOTFOUND = 5, EX_EXISTS = 6,
	EX_BUSY = 7, EX_CORRUPT = 8 };

#define IMPORT_LINE_MAX (64u * 1024u)
#define IMPORT_REPORT_MAX 50
#define IMPORT_YIELD_CHECK 256u         /* records between two looks for a waiting writer */
#define IMPORT_DRAIN_MS 5000            /* the longest wait for the WAL's copy between batches */
#define IMPORT_ENROL_LINE 256u          /* an enrolment line is shorter */
#define IMPORT_ENROL_BUF (64u * 1024u) /* enrolment lines wait here, in secret memory */
#define DEFAULT_BATCH 100000 /* each commit rewrites the random indexes' leaves it touched: fewer, larger ones */

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

static int exit_code(util_code c)
{
	switch (c) {
	case UTIL_OK:
		return EX_OK;
	case UTIL_EINVAL:
		return EX_INPUT;
	case UTIL_EKEY:
		return EX_KEY;
	case UTIL_ENOTFOUND:
		return EX_NOTFOUND;
	case UTIL_EEXISTS:
		return EX_EXISTS;
	case UTIL_EBUSY:
		return EX_BUSY;
	case UTIL_ECORRUPT:
		return EX_CORRUPT;
	default:
		return EX_FAIL;
	}
}

static int fail(const util_err *err)
{
	fprintf(stderr, "vaultctl: %s (%s)\n", err->msg, util_code_name(err->code));
	return exit_code(err->code);
}

static const char *command = NULL; /* the command being run, for the pointer to its help */

/* With msg: that one line and where to read more; without: the whole usage. */
static int usage(const char *msg)
{
	if (msg == NULL)
		fputs(usage_text, stderr);
	else
		fprintf(stderr, "vaultctl: %s\nvaultctl: see `vaultctl %s%s--help`\n", msg, command ? command : "",
		    command ? " " : "");
	return EX_USAGE;
}

/* ---- options every command shares ---- */

typedef struct ctl {
	const char *data;
	char key_file[1100];
	const char *passphrase_env;
	char *passphrase; /* secret memory */
	vault_unlock unlock;
	uint64_t kdf_ops, kdf_mem;
} ctl;

/* Copies the passphrase out of the environment into secret memory and wipes the original. */
static int take_passphrase(const char *name, char **out, size_t *len)
{
	char *v = getenv(name);
	size_t n;

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "vaultctl: environment variable %s is not set\n", name);
		return -1;
	}
	n = strlen(v);
	if ((*out = keys_secret_alloc(n + 1)) == NULL) {
		fprintf(stderr, "vaultctl: out of secret memory\n");
		return -1;
	}
	memcpy(*out, v, n + 1);
	sodium_memzero(v, n);
	unsetenv(name);
	*len = n;
	return 0;
}

static int ctl_unlock(ctl *c)
{
	memset(&c->unlock, 0, sizeof c->unlock);
	if (c->passphrase_env != NULL) {
		if (take_passphrase(c->passphrase_env, &c->passphrase, &c->unlock.passphrase_len) != 0)
			return -1;
		c->unlock.passphrase = c->passphrase;
		c->unlock.kdf_ops = c->kdf_ops;
		c->unlock.kdf_mem = c->kdf_mem;
		return 0;
	}
	if (c->key_file[0] == '\0' && util_path_join(c->key_file, sizeof c->key_file, c->data, "master.key") != 0) {
		fprintf(stderr, "vaultctl: data directory path too long\n");
		return -1;
	}
	c->unlock.key_file = c->key_file;
	return 0;
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

typedef struct args {
	const char *schema, *enrolments, *citizen, *new_key_file, *new_pass_env, *export_file, *public_key;
	long batch;
	int64_t from, to; /* ropa, dpia: the period of the access counts, unix seconds */
	int nid_stdin, help, json;
	int npos;
	const char *pos[4];
} args;

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
	return usage(msg);
}

static int not_taken(const char *cmd, int o)
{
	char msg[96];

	snprintf(msg, sizeof msg, "%s does not take the option --%s", cmd, option_of(o)->name);
	return usage(msg);
}

static int parse_args(int argc, char **argv, ctl *c, args *a, unsigned long takes)
{
	uint64_t n;
	int o;

	memset(a, 0, sizeof *a);
	a->batch = DEFAULT_BATCH;
	a->to = INT64_MAX;
	c->data = getenv("VAULTD_DATA") ? getenv("VAULTD_DATA") : "data";
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", common_opts, NULL)) != -1) {
		if (o >= OPT_DATA && !((takes | OPTS_COMMON) & OPT_BIT(o)))
			return not_taken(argv[0], o);
		switch (o) {
		case OPT_DATA:
			c->data = optarg;
			break;
		case OPT_KEY:
			if (strlen(optarg) >= sizeof c->key_file)
				return usage("--key-file path too long");
			strcpy(c->key_file, optarg);
			break;
		case OPT_PASS:
			c->passphrase_env = optarg;
			break;
		case OPT_SCHEMA:
			a->schema = optarg;
			break;
		case OPT_ENROL:
			a->enrolments = optarg;
			break;
		case OPT_BATCH:
			if (parse_u64(optarg, &n) != 0 || n < 1 || n > 100000)
				return usage("--batch takes 1..100000");
			a->batch = (long)n;
			break;
		case OPT_CITIZEN:
			a->citizen = optarg;
			break;
		case OPT_NID_STDIN:
			a->nid_stdin = 1;
			break;
		case OPT_NEW_KEY:
			a->new_key_file = optarg;
			break;
		case OPT_NEW_PASS:
			a->new_pass_env = optarg;
			break;
		case OPT_KDF_OPS:
			if (parse_u64(optarg, &c->kdf_ops) != 0)
				return usage("--kdf-ops takes a number");
			break;
		case OPT_KDF_MEM:
			if (parse_u64(optarg, &n) != 0 || n > (1u << 20))
				return usage("--kdf-mem-mib takes a number of MiB");
			c->kdf_mem = n << 20;
			break;
		case OPT_HELP:
			a->help = 1;
			break;
		case OPT_EXPORT:
			a->export_file = optarg;
			break;
		case OPT_PUBKEY:
			a->public_key = optarg;
			break;
		case OPT_FROM:
		case OPT_TO:
			if (parse_u64(optarg, &n) != 0 || n > INT64_MAX)
				return usage("--from and --to take unix seconds");
			if (o == OPT_FROM)
				a->from = (int64_t)n;
			else
				a->to = (int64_t)n;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		default:
			return bad_option(argv);
		}
	}
	while (optind < argc) {
		if (a->npos == 4)
			return usage("too many arguments");
		a->pos[a->npos++] = argv[optind++];
	}
	return 0;
}

static int open_vault(ctl *c, vault **v, int *lockfd)
{
	util_err err;
	int64_t appended, unreadable;

	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_lock(c->data, 0, lockfd, &err) != 0 || vault_open(v, c->data, &c->unlock, &err) != 0)
		return fail(&err);
	/* entries a stop left only as copies in vault.db go into the log before anything else */
	if (audit_settle(*v, &appended, &unreadable, &err) != 0) {
		vault_close(*v);
		*v = NULL;
		return fail(&err);
	}
	if (appended > 0)
		fprintf(stderr, "vaultctl: %lld audit entries a stop had kept out of the log were appended\n",
		    (long long)appended);
	if (unreadable > 0)
		fprintf(stderr, "vaultctl: warning: %lld copies in vault.db's audit_pending are not audit entries;"
		                " they are left in place\n",
		    (long long)unreadable);
	return EX_OK;
}

static int parse_cid(const char *hex, unsigned char cid[KEYS_CID_BYTES])
{
	if (hex == NULL || strlen(hex) != 2 * KEYS_CID_BYTES || util_hex_decode(cid, KEYS_CID_BYTES, hex) != 0) {
		fprintf(stderr, "vaultctl: --citizen takes a 32-hex-digit citizen id\n");
		return -1;
	}
	return 0;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));

	if (s != NULL) {
		puts(s);
		vault_json_free(s); /* wipes: the record may hold personal data */
	}
}

/* ---- init ---- */

static int cmd_init(ctl *c, args *a)
{
	static char catalog[VAULT_CATALOG_MAX + 1];
	const char *cat = NULL;
	char id[VAULT_ID_HEX], token[API_ADMIN_TOKEN_MAX];
	util_err err;
	json_t *o;

	if (a->help) {
		fputs("vaultctl init --data DIR [--key-file PATH | --passphrase-env NAME [--kdf-ops N --kdf-mem-mib M]]\n"
		      "               [--schema FILE]\n"
		      "Creates a vault in DIR. By default a random root key is written to DIR/master.key (mode 0600):\n"
		      "keep production keys off the data disk (--key-file). With --passphrase-env the root key is\n"
		      "derived with Argon2id; its salt and limits are kept in DIR/vault.meta. --schema replaces the\n"
		      "built-in field catalog. Prints {\"vault_id\": ..., \"admin_token\": ...}: the operator's\n"
		      "token for the HTTP API, shown this once.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 0)
		return usage("init takes no arguments");
	if (a->schema != NULL) {
		size_t n;

		if (util_read_bounded(a->schema, catalog, VAULT_CATALOG_MAX, &n, &err) != 0)
			return fail(&err);
		catalog[n] = '\0';
		cat = catalog;
	}
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_create(c->data, &c->unlock, cat, id, &err) != 0)
		return fail(&err);
	{
		vault *v = NULL;

		/* the operator's token for the HTTP API: shown here once, stored only as a keyed hash */
		if (vault_open(&v, c->data, &c->unlock, &err) != 0 || api_admin_token(v, token, &err) != 0) {
			vault_close(v);
			return fail(&err);
		}
		vault_close(v);
	}
	if (c->unlock.key_file != NULL)
		fprintf(stderr, "vaultctl: root key written to %s. In production keep it off the data disk and back it up "
		                "apart from the vault's backups.\n",
		    c->unlock.key_file);
	o = json_pack("{s:s, s:s}", "vault_id", id, "admin_token", token);
	sodium_memzero(token, sizeof token);
	print_json(o);
	json_decref(o);
	return EX_OK;
}

/* ---- import ---- */

/* An open-addressing set of blind indexes: catches a national ID repeated within one file. */
typedef struct idset {
	unsigned char (*slot)[VAULT_INDEX_BYTES];
	unsigned char *used;
	size_t cap;
} idset;

static int idset_init(idset *s, size_t expect)
{
	s->cap = 1024;
	while (s->cap < expect * 2)
		s->cap <<= 1;
	s->slot = calloc(s->cap, VAULT_INDEX_BYTES);
	s->used = calloc(s->cap, 1);
	return s->slot && s->used ? 0 : -1;
}

static void idset_free(idset *s)
{
	free(s->slot);
	free(s->used);
}

/* Adds idx; returns 1 if it was already there. The index is a keyed hash: its bytes are uniform. */
static int idset_add(idset *s, const unsigned char *idx)
{
	size_t h;

	memcpy(&h, idx, sizeof h);
	for (h &= s->cap - 1; s->used[h]; h = (h + 1) & (s->cap - 1))
		if (memcmp(s->slot[h], idx, VAULT_INDEX_BYTES) == 0)
			return 1;
	s->used[h] = 1;
	memcpy(s->slot[h], idx, VAULT_INDEX_BYTES);
	return 0;
}

static void progress(size_t done, size_t total, int tty)
{
	if (tty && total > 0)
		fprintf(stderr, "\rimporting: %zu / %zu (%zu%%)", done, total, done * 100 / total);
}

/*
 * The next non-empty line of in, without its newline: its length, or -1 at the end. *lines
 * counts every line read, empty ones too, so that reports name lines as an editor does.
 */
static ssize_t next_line(FILE *in, char **line, size_t *cap, size_t *lines)
{
	ssize_t n;

	while ((n = getline(line, cap, in)) != -1) {
		++*lines;
		if (n > 0 && (*line)[n - 1] == '\n')
			(*line)[--n] = '\0';
		if (n > 0)
			return n;
	}
	return -1;
}

/*
 * Reads one import line into in: by hand when it is in the plain form, else through jansson,
 * and then *doc holds what in's strings point into (json_decref it after use).
 */
static int import_read(const vault_catalog *cat, const char *line, size_t n, vault_input *in, json_t **doc,
    util_err *err)
{
	*doc = NULL;
	if (n > IMPORT_LINE_MAX)
		return util_fail(err, UTIL_EINVAL, "longer than %u bytes", IMPORT_LINE_MAX);
	if (vault_record_scan(cat, line, n, in))
		return 0;
	if (vault_record_parse(line, n, in->nid, doc, err) != 0)
		return -1;
	return vault_input_from_json(cat, in->nid, *doc, in, err);
}

/*
 * The writing pass runs on two threads: a sealer reads the file again and seals each record
 * (parsing, checking, encryption, the blind index: most of the CPU), and the main thread stores
 * them in order with their audit entries. They meet in a ring of IMPORT_RING prepared records.
 */
#define IMPORT_RING 16u

typedef struct import_feed {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* any change below, signalled only when someone waits */
	int waiting;         /* threads waiting on cond */
	size_t head, tail;   /* records sealed, records taken: the ring holds head - tail */
	int done;            /* the sealer has stopped: at the end of the file, or failed */
	int stop;            /* the main thread asks it to stop */
	util_err err;        /* a failure of the sealer, at line err_line */
	size_t err_line;
	/* the sealer's own */
	vault *v;
	const vault_catalog *cat;
	FILE *in;
	vault_input *input;
	vault_prepared *ring;
	size_t line[IMPORT_RING];
} import_feed;

/* With f->mu held: waits for a change. */
static void feed_wait(import_feed *f)
{
	f->waiting++;
	pthread_cond_wait(&f->cond, &f->mu);
	f->waiting--;
}

/* With f->mu held: wakes the other thread if it waits (a wake-up is a system call or two). */
static void feed_changed(import_feed *f)
{
	if (f->waiting > 0)
		pthread_cond_broadcast(&f->cond);
}

static void *import_sealer(void *arg)
{
	import_feed *f = arg;
	char *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;
	util_err err = {0};
	int failed = 0;

	while (!failed && (n = next_line(f->in, &line, &cap, &lines)) != -1) {
		json_t *doc;
		size_t slot;

		pthread_mutex_lock(&f->mu);
		while (f->head - f->tail == IMPORT_RING && !f->stop)
			feed_wait(f);
		slot = f->head % IMPORT_RING;
		failed = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (failed)
			break;
		/* the slot is the sealer's until head moves past it */
		failed = import_read(f->cat, line, (size_t)n, f->input, &doc, &err) != 0 ||
		         vault_citizen_prepare(f->v, f->input, vault_prepared_at(f->ring, slot), &err) != 0;
		json_decref(doc);
		sodium_memzero(f->input, sizeof *f->input);
		sodium_memzero(line, (size_t)n);
		if (failed) {
			/* the file changed since it was checked */
			pthread_mutex_lock(&f->mu);
			f->err = err;
			f->err_line = lines;
			pthread_mutex_unlock(&f->mu);
			break;
		}
		f->line[slot] = lines;
		pthread_mutex_lock(&f->mu);
		f->head++;
		feed_changed(f);
		pthread_mutex_unlock(&f->mu);
	}
	if (!failed && ferror(f->in)) {
		pthread_mutex_lock(&f->mu);
		util_fail(&f->err, UTIL_EIO, "cannot read the file again");
		f->err_line = lines + 1;
		pthread_mutex_unlock(&f->mu);
	}
	if (line != NULL) {
		sodium_memzero(line, cap);
		free(line);
	}
	pthread_mutex_lock(&f->mu);
	f->done = 1;
	feed_changed(f);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/*
 * The next sealed record, in file order, and *line its line; or NULL when there is none: the
 * sealer reached the end of the file (err and *line untouched) or failed (err filled, *line
 * the line it failed on).
 */
static vault_prepared *import_next(import_feed *f, size_t *line, util_err *err)
{
	vault_prepared *p = NULL;

	pthread_mutex_lock(&f->mu);
	while (f->head == f->tail && !f->done)
		feed_wait(f);
	if (f->head != f->tail) {
		p = vault_prepared_at(f->ring, f->tail % IMPORT_RING);
		*line = f->line[f->tail % IMPORT_RING];
	} else if (f->err.code != UTIL_OK) {
		*err = f->err;
		*line = f->err_line;
	}
	pthread_mutex_unlock(&f->mu);
	return p;
}

/* Gives the record import_next returned back to the sealer. */
static void import_taken(import_feed *f, vault_prepared *p)
{
	vault_prepared_wipe(p);
	pthread_mutex_lock(&f->mu);
	f->tail++;
	/* a sealer waits only on a full ring: woken when it is half empty, it seals several in a row */
	if (f->head - f->tail <= IMPORT_RING / 2)
		feed_changed(f);
	pthread_mutex_unlock(&f->mu);
}

static void import_stop(import_feed *f, pthread_t th)
{
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	feed_changed(f);
	pthread_mutex_unlock(&f->mu);
	pthread_join(th, NULL);
}

/*
 * While records are written, a third thread on its own connection copies committed WAL frames
 * into both files (passive checkpoints, which never wait for the writer): the checkpoint that
 * a commit would otherwise run itself, on the thread that stores, was about a seventh of it.
 *
 * SQLite starts a WAL over only at a write of a transaction that began reading when every
 * frame had been copied. A batch begins the moment the last one committed, before its frames
 * are copied, so the WAL never started over: it grew by every batch (2.5 GB at 1,000,000
 * records), and each commit extended the file, with new blocks to allocate and page cache to
 * fill, 13% of the storing thread. So after each commit the storing thread asks for a drain
 * (import_ckpt_drain) and waits, at most IMPORT_DRAIN_MS, for one checkpoint pass of both
 * files begun after the commit; when it copied every frame, the next batch writes from the
 * WAL's start, over pages still cached. At 1,000,000 records the wait is 0.3 to 1.2 s a
 * batch, and the import 13 to 17% faster. A batch that ended to let another writer in (vaultd
 * on a live vault) does not wait: that writer goes on adding frames.
 */
typedef struct import_ckpt {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on the monotonic clock */
	int stop;
	uint64_t asked, answered; /* drains asked for; the last one a whole pass answered */
	vault *v;                 /* the checkpointer's own connection */
} import_ckpt;

static void *import_checkpointer(void *arg)
{
	import_ckpt *k = arg;
	struct timespec until;
	uint64_t asked;

	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		asked = k->asked; /* a pass that begins now copies every frame committed before the ask */
		pthread_mutex_unlock(&k->mu);
		(void)sqlite3_wal_checkpoint_v2(vault_sql_db(k->v), "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		(void)sqlite3_wal_checkpoint_v2(vault_sql_db(k->v), "audit", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&k->mu);
		if (asked > k->answered) {
			k->answered = asked;
			pthread_cond_broadcast(&k->cond);
		}
		if (k->stop || k->asked != asked)
			continue; /* a new ask: another pass at once */
		until = util_mono_after(50u * 1000000u);
		pthread_cond_timedwait(&k->cond, &k->mu, &until);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/*
 * Waits for one whole checkpoint pass that began after the ask, at most IMPORT_DRAIN_MS. One
 * pass, whether it copied every frame or not: when it leaves frames behind, a reader of an
 * older snapshot holds them (vaultd's verify, say) or another process writes, and the next
 * batch appends to the WAL, as it would without the wait.
 */
static void import_ckpt_drain(import_ckpt *k)
{
	struct timespec until = util_mono_after((uint64_t)IMPORT_DRAIN_MS * 1000000u);
	uint64_t want;

	pthread_mutex_lock(&k->mu);
	want = ++k->asked;
	pthread_cond_broadcast(&k->cond);
	while (k->answered < want && !k->stop && pthread_cond_timedwait(&k->cond, &k->mu, &until) == 0)
		;
	pthread_mutex_unlock(&k->mu);
}

static void import_ckpt_stop(import_ckpt *k, pthread_t th)
{
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
	pthread_join(th, NULL);
}

/* Writes all of buf to fd. */
static int write_all(int fd, const char *buf, size_t len, const char *name, util_err *err)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return util_fail(err, UTIL_EIO, "cannot write %s: %s", name, strerror(errno));
		off += (size_t)w;
	}
	return 0;
}

/* Writes all of buf to fd and syncs it. */
static int write_synced(int fd, const char *buf, size_t len, const char *name, util_err *err)
{
	if (write_all(fd, buf, len, name, err) != 0)
		return -1;
	if (fsync(fd) != 0)
		return util_fail(err, UTIL_EIO, "cannot sync %s", name);
	return 0;
}

static int cmd_import(ctl *c, args *a)
{
	FILE *in = NULL;
	char *line = NULL, *enrol_buf = NULL;
	size_t cap = 0, lines = 0, records = 0, bad = 0, done = 0, enrol_len = 0, committed_line = 0;
	size_t enrol_cap = 0, batch_n = 0, enrol_written = 0, enrol_done = 0; /* bytes of OUT: written, committed */
	int commit_unknown = 0;
	uint64_t t1 = 0, drain_ns = 0;
	size_t commits = 0;
	ssize_t n;
	vault *v = NULL;
	vault_input *input = NULL;
	import_feed feed = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	import_ckpt ckpt = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t sealer, checkpointer;
	int sealing = 0, checkpointing = 0, ckpt_clock, yielding;
	idset seen = {0};
	util_err err;
	int lockfd = -1, enrol_fd = -1, rc = EX_FAIL, tty = isatty(2);
	uint64_t t0;

	if (a->help) {
		fputs("vaultctl import FILE [--enrolments OUT] [--batch N]\n"
		      "Enrols citizens from JSON Lines, one {\"national_id\": \"...\", \"fields\": {...}} per line.\n"
		      "Every line is checked first; if any line is bad, each bad line is named (never its values)\n"
		      "and nothing is imported (exit 3); so is a FILE with no citizen in it.\n"
		      "Then records are written N per transaction (default 100000).\n"
		      "--enrolments OUT creates OUT (0600) with each new citizen's line, citizen id and TOTP\n"
		      "enrolment URI, for the registrar to hand over.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 1)
		return usage("import takes one FILE");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	rc = EX_FAIL;
	{
		pthread_condattr_t ca;

		/* the checkpointer's waits are timed on the monotonic clock: without it, no checkpointer */
		pthread_condattr_init(&ca);
		ckpt_clock = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
		pthread_cond_init(&ckpt.cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if ((in = fopen(a->pos[0], "r")) == NULL) {
		fprintf(stderr, "vaultctl: cannot open %s: %s\n", a->pos[0], strerror(errno));
		rc = EX_NOTFOUND;
		goto out;
	}
	{
		struct stat st;

		/* it is read twice: once to check every line, once to write */
		if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "vaultctl: %s is not a regular file; import reads its FILE twice\n", a->pos[0]);
			rc = EX_USAGE;
			goto out;
		}
	}
	if ((input = keys_secret_alloc(2 * sizeof *input)) == NULL || idset_init(&seen, 1 << 16) != 0) {
		fprintf(stderr, "vaultctl: out of memory\n");
		goto out;
	}
	t0 = util_mono_ns();

	/* pass 1: check every line, report every bad one, write nothing; one read snapshot */
	if (vault_sql_read_begin(v, &err) != 0) {
		fprintf(stderr, "vaultctl: %s\n", err.msg);
		goto out;
	}
	while ((n = next_line(in, &line, &cap, &lines)) != -1) {
		json_t *doc = NULL;
		unsigned char idx[VAULT_INDEX_BYTES], cid[KEYS_CID_BYTES];
		int lrc;

		lrc = import_read(vault_catalog_of(v), line, (size_t)n, input, &doc, &err);
		if (lrc == 0)
			lrc = vault_input_check(vault_catalog_of(v), input, &err);
		if (lrc == 0 && vault_citizen_index(v, input->nid, idx, &err) == 0) {
			if (idset_add(&seen, idx)) {
				lrc = util_fail(&err, UTIL_EEXISTS, "national_id repeats an earlier line");
			} else if (vault_citizen_find(v, input->nid, cid, NULL) == 0) {
				lrc = util_fail(&err, UTIL_EEXISTS, "national_id is already enrolled");
			}
		} else if (lrc == 0) {
			lrc = -1;
		}
		json_decref(doc);
		sodium_memzero(input, sizeof *input);
		sodium_memzero(line, (size_t)n);
		if (lrc != 0) {
			if (bad++ < IMPORT_REPORT_MAX)
				fprintf(stderr, "%s: line %zu: %s\n", a->pos[0], lines, err.msg);
			continue;
		}
		records++;
		if (records * 2 >= seen.cap) {
			/* keep the set at most half full */
			idset bigger;
			size_t i;

			if (idset_init(&bigger, seen.cap) != 0) {
				fprintf(stderr, "vaultctl: out of memory\n");
				goto out;
			}
			for (i = 0; i < seen.cap; i++)
				if (seen.used[i])
					idset_add(&bigger, seen.slot[i]);
			idset_free(&seen);
			seen = bigger;
		}
	}
	vault_sql_read_end(v);
	if (ferror(in)) {
		fprintf(stderr, "vaultctl: cannot read %s\n", a->pos[0]);
		goto out;
	}
	if (bad > 0) {
		if (bad > IMPORT_REPORT_MAX)
			fprintf(stderr, "%s: ... and %zu more bad lines\n", a->pos[0], bad - IMPORT_REPORT_MAX);
		fprintf(stderr, "vaultctl: %zu of %zu lines are invalid; nothing was imported\n", bad, lines);
		rc = EX_INPUT;
		goto out;
	}
	if (records == 0) { /* most likely the wrong file: say so rather than "imported 0" */
		fprintf(stderr, "vaultctl: %s holds no citizen; nothing was imported\n", a->pos[0]);
		rc = EX_INPUT;
		goto out;
	}

	/* pass 2: write, a batch per transaction */
	t1 = util_mono_ns();
	if (a->enrolments != NULL) {
		enrol_fd = open(a->enrolments, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (enrol_fd < 0) {
			fprintf(stderr, "vaultctl: cannot create %s: %s\n", a->enrolments, strerror(errno));
			rc = errno == EEXIST ? EX_EXISTS : EX_FAIL;
			goto out;
		}
		enrol_cap = IMPORT_ENROL_BUF;
		if ((enrol_buf = keys_secret_alloc(enrol_cap)) == NULL) {
			fprintf(stderr, "vaultctl: out of secret memory\n");
			goto out;
		}
	}
	rewind(in);
	feed.v = v;
	feed.cat = vault_catalog_of(v);
	feed.in = in;
	feed.input = input + 1;
	if ((feed.ring = vault_prepared_new(IMPORT_RING)) == NULL) {
		fprintf(stderr, "vaultctl: out of secret memory\n");
		goto out;
	}
	if (vault_bulk_begin(v, &err) != 0)
		goto report;
	/* the checkpoints move to a thread of their own, if it can be had; else commits run them */
	if (ckpt_clock && vault_clone(&ckpt.v, v, &err) == 0) {
		if (pthread_create(&checkpointer, NULL, import_checkpointer, &ckpt) == 0) {
			checkpointing = 1;
			(void)sqlite3_exec(vault_sql_db(v), "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
		} else {
			vault_close(ckpt.v);
			ckpt.v = NULL;
		}
	}
	if (pthread_create(&sealer, NULL, import_sealer, &feed) != 0) {
		util_fail(&err, UTIL_ENOMEM, "cannot start a thread");
		goto report;
	}
	sealing = 1;
	for (;;) {
		vault_prepared *p;

		err.code = UTIL_OK;
		if ((p = import_next(&feed, &lines, &err)) != NULL) {
			int lrc;

			if (batch_n == 0 && vault_begin(v, &err) != 0)
				goto report;
			lrc = vault_citizen_insert(v, p, &err);
			if (lrc == 0) {
				audit_entry ae = {
				    .actor = "operator", .action = "record.create", .cid = vault_prepared_cid(p), .note = "import"};

				lrc = audit_append(v, &ae, NULL, &err);
			}
			if (lrc == 0 && enrol_fd >= 0 && enrol_cap - enrol_len < IMPORT_ENROL_LINE) {
				/* written now, synced before the commit, cut off again if the batch is not */
				lrc = write_all(enrol_fd, enrol_buf, enrol_len, a->enrolments, &err);
				enrol_written += enrol_len;
				sodium_memzero(enrol_buf, enrol_len);
				enrol_len = 0;
			}
			if (lrc == 0 && enrol_fd >= 0) {
				char cidhex[2 * KEYS_CID_BYTES + 1], secret[64];

				util_hex_encode(cidhex, vault_prepared_cid(p), KEYS_CID_BYTES);
				util_base32_encode(secret, vault_prepared_totp(p), VAULT_TOTP_SECRET_BYTES);
				enrol_len += (size_t)snprintf(enrol_buf + enrol_len, enrol_cap - enrol_len,
				    "{\"line\":%zu,\"citizen_id\":\"%s\",\"totp_uri\":\"otpauth://totp/vaultd:%s?secret=%s"
				    "&issuer=vaultd&algorithm=SHA1&digits=6&period=30\"}\n",
				    lines, cidhex, cidhex, secret);
				sodium_memzero(secret, sizeof secret);
			}
			import_taken(&feed, p);
			if (lrc != 0) {
				fprintf(stderr, "%s: line %zu: %s\n", a->pos[0], lines, err.msg);
				vault_rollback(v);
				goto report;
			}
			batch_n++;
		} else if (err.code != UTIL_OK) {
			/* the sealer failed: what it read no longer passes the checks of pass 1 */
			fprintf(stderr, "%s: line %zu: %s\n", a->pos[0], lines, err.msg);
			if (batch_n > 0)
				vault_rollback(v);
			goto report;
		}
		/* a batch ends at N records, at the end, or early when another writer (vaultd's audit
		 * writer, say) waits for the write lock: it gets it before the next batch begins */
		yielding = p != NULL && batch_n > 0 && batch_n != (size_t)a->batch &&
		           batch_n % IMPORT_YIELD_CHECK == 0 && vault_writers_waiting(v);
		if (batch_n > 0 && (p == NULL || batch_n == (size_t)a->batch || yielding)) {
			int64_t appended, unreadable;

			/* the enrolments are on disk before their citizens exist: a lost commit leaves
			 * unused URIs, never citizens without one */
			if (enrol_fd >= 0) {
				if (write_synced(enrol_fd, enrol_buf, enrol_len, a->enrolments, &err) != 0) {
					vault_rollback(v);
					goto report;
				}
				enrol_written += enrol_len;
				sodium_memzero(enrol_buf, enrol_len);
				enrol_len = 0;
			}
			if (audit_seal(v, 0, &err) != 0) {
				vault_rollback(v);
				goto report;
			}
			if (vault_commit(v, &err) != 0) {
				commit_unknown = 1; /* vault.db may hold the batch: its URIs stay */
				goto report;
			}
			enrol_done = enrol_written;
			done += batch_n;
			commits++;
			committed_line = lines;
			batch_n = 0;
			/* the batch's copies of its entries (audit_pending) go now that audit.db holds them */
			if (audit_settle(v, &appended, &unreadable, &err) != 0)
				goto report;
			/* not when another process writes: the WAL would not be ours to start over */
			if (checkpointing && p != NULL && !yielding) {
				uint64_t td = util_mono_ns();

				import_ckpt_drain(&ckpt);
				drain_ns += util_mono_ns() - td;
			}
			progress(done, records, tty);
		}
		if (p == NULL)
			break;
	}
	pthread_join(sealer, NULL);
	sealing = 0;
	if (checkpointing) {
		import_ckpt_stop(&ckpt, checkpointer);
		checkpointing = 0;
	}
	if (done != records) {
		/* lines came or went after they were checked: what was written stays, and is reported */
		util_fail(&err, UTIL_ESTATE, "the file changed after it was checked: %zu records written, %zu checked", done, records);
		goto report;
	}
	if (tty)
		fputc('\n', stderr);
	if (vault_bulk_end(v, &err) != 0)
		goto report;
	{
		double secs = (double)(util_mono_ns() - t0) / 1e9;

		fprintf(stderr,
		    "vaultctl: imported %zu citizens in %.2f s (%.0f records/s; checking %.2f s, writing %.2f s"
		    " in %zu transactions, %.2f s of it waiting for the WAL's copy)\n",
		    done, secs, secs > 0 ? (double)done / secs : 0.0, (double)(t1 - t0) / 1e9,
		    (double)(util_mono_ns() - t1) / 1e9, commits, (double)drain_ns / 1e9);
	}
	rc = EX_OK;
	goto out;
report:
	if (sealing) {
		import_stop(&feed, sealer);
		sealing = 0;
	}
	if (enrol_fd >= 0 && !commit_unknown && enrol_written > enrol_done) {
		/* a batch rolled back: the URIs of its citizens, which do not exist, are cut off */
		if (ftruncate(enrol_fd, (off_t)enrol_done) != 0 || fsync(enrol_fd) != 0)
			fprintf(stderr, "vaultctl: warning: %s holds enrolment lines past line %zu for citizens that were"
			                " not imported: delete them\n",
			    a->enrolments, committed_line);
	}
	if (checkpointing) {
		import_ckpt_stop(&ckpt, checkpointer);
		checkpointing = 0;
	}
	if (tty)
		fputc('\n', stderr);
	{
		util_err e2;

		/* what was committed is made durable before it is reported as imported */
		if (vault_bulk_end(v, &e2) != 0)
			fprintf(stderr, "vaultctl: %s\n", e2.msg);
	}
	fprintf(stderr, "vaultctl: import stopped: %s (%s). Lines 1-%zu are imported (%zu citizens); nothing after.\n",
	    err.msg, util_code_name(err.code), committed_line, done);
	rc = exit_code(err.code);
out:
	vault_close(ckpt.v);
	pthread_cond_destroy(&ckpt.cond);
	vault_prepared_free(feed.ring);
	if (enrol_buf != NULL) {
		sodium_memzero(enrol_buf, enrol_cap);
		keys_secret_free(enrol_buf);
	}
	if (enrol_fd >= 0)
		close(enrol_fd);
	if (line != NULL) {
		sodium_memzero(line, cap);
		free(line);
	}
	keys_secret_free(input);
	idset_free(&seen);
	if (in != NULL)
		fclose(in);
	vault_close(v);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* ---- get, erase ---- */

static int read_nid_stdin(char *nid)
{
	char buf[64];
	size_t n;

	if (fgets(buf, sizeof buf, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n != VAULT_NID_LEN) {
		sodium_memzero(buf, sizeof buf);
		return -1;
	}
	memcpy(nid, buf, VAULT_NID_LEN + 1);
	sodium_memzero(buf, sizeof buf);
	return 0;
}

static int cmd_get(ctl *c, args *a)
{
	unsigned char cid[KEYS_CID_BYTES];
	char *nid = NULL, hex[2 * KEYS_CID_BYTES + 1];
	vault *v = NULL;
	json_t *fields = NULL, *o;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl get (--citizen ID | --national-id-stdin)\n"
		      "Prints one citizen's record. The national ID is read from standard input, never from the\n"
		      "command line, so that it does not show in the process list or shell history.\n",
		    stdout);
		return EX_OK;
	}
	if ((a->citizen == NULL) == (a->nid_stdin == 0) || a->npos != 0)
		return usage("get takes one of --citizen ID or --national-id-stdin");
	if (a->citizen != NULL && parse_cid(a->citizen, cid) != 0)
		return EX_USAGE;
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (a->nid_stdin) {
		if ((nid = keys_secret_alloc(VAULT_NID_LEN + 1)) == NULL || read_nid_stdin(nid) != 0) {
			util_fail(&err, UTIL_EINVAL, "standard input must hold a 12-digit national ID");
			goto fail;
		}
		if (vault_citizen_find(v, nid, cid, &err) != 0)
			goto fail;
	}
	{
		audit_entry ae = {.actor = "operator", .action = "record.read", .cid = cid, .note = "vaultctl get"};

		/* the read is on the audit log, durably, before any value is printed */
		if (audit_record(v, &ae, NULL, &err) != 0)
			goto fail;
	}
	if (vault_citizen_read(v, cid, NULL, 0, &fields, &err) != 0)
		goto fail;
	util_hex_encode(hex, cid, sizeof cid);
	o = json_pack("{s:s, s:o}", "citizen_id", hex, "fields", fields);
	print_json(o);
	json_decref(o);
	rc = EX_OK;
	goto out;
fail:
	rc = fail(&err);
out:
	keys_secret_free(nid);
	vault_close(v);
	close(lockfd);
	return rc;
}

static int cmd_erase(ctl *c, args *a)
{
	unsigned char cid[KEYS_CID_BYTES];
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl erase --citizen ID\n"
		      "Erases a citizen by crypto-shredding: the wrapped data key and the record are deleted\n"
		      "(SQLite secure_delete overwrites the freed pages).\n",
		    stdout);
		return EX_OK;
	}
	if (a->citizen == NULL || a->npos != 0)
		return usage("erase takes --citizen ID");
	if (parse_cid(a->citizen, cid) != 0)
		return EX_USAGE;
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	rc = policy_citizen_erase(v, cid, "operator", &err) == 0 ? EX_OK : fail(&err);
	if (rc == EX_OK)
		printf("{\"erased\": \"%s\"}\n", a->citizen);
	vault_close(v);
	close(lockfd);
	return rc;
}

/* ---- keys ---- */

static int cmd_rotate(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	uint32_t ver;
	uint64_t n;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl rotate-kek\n"
		      "Adds a key-encryption key version, rewraps every citizen's data key under it (fields are\n"
		      "not re-encrypted), then destroys the versions nothing uses. vaultd may keep running.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 0)
		return usage("rotate-kek takes no arguments");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (vault_rotate_kek(v, &ver, &n, &err) == 0) {
		audit_entry ae = {.actor = "operator", .action = "key.rotate", .note = "kek rotated, data keys rewrapped"};

		if (audit_record(v, &ae, NULL, &err) != 0)
			rc = fail(&err);
		else
			printf("{\"kek_version\": %u, \"rewrapped\": %llu}\n", (unsigned)ver, (unsigned long long)n);
	} else {
		rc = fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

static int cmd_rekey(ctl *c, args *a)
{
	vault_unlock nu = {0};
	char *newpass = NULL;
	util_err err;
	int rc = EX_OK;

	if (a->help) {
		fputs("vaultctl rekey (--new-key-file PATH | --new-passphrase-env NAME)\n"
		      "Changes the root key, and with it the database's page key. Stop vaultd first. The new key\n"
		      "file is created (it must not exist); the old one can be destroyed once this succeeds.\n",
		    stdout);
		return EX_OK;
	}
	if ((a->new_key_file == NULL) == (a->new_pass_env == NULL) || a->npos != 0)
		return usage("rekey takes one of --new-key-file or --new-passphrase-env");
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (a->new_key_file != NULL) {
		nu.key_file = a->new_key_file;
	} else {
		if (take_passphrase(a->new_pass_env, &newpass, &nu.passphrase_len) != 0)
			return EX_USAGE;
		nu.passphrase = newpass;
		nu.kdf_ops = c->kdf_ops;
		nu.kdf_mem = c->kdf_mem;
	}
	if (vault_rekey(c->data, &c->unlock, &nu, &err) != 0) {
		rc = fail(&err);
	} else {
		vault *v = NULL;
		audit_entry ae = {.actor = "operator", .action = "key.rekey", .note = "root key changed"};

		if (vault_open(&v, c->data, &nu, &err) != 0 || audit_record(v, &ae, NULL, &err) != 0)
			rc = fail(&err);
		else
			printf("{\"rekeyed\": true}\n");
		vault_close(v);
	}
	keys_secret_free(newpass);
	return rc;
}

/* ---- backup, restore, stats ---- */

static int cmd_backup(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl backup DEST\n"
		      "Copies the vault online (SQLite backup API) into the new directory DEST: vault.db, then\n"
		      "the audit log's audit.db, both still encrypted, and vault.meta. The root key is not\n"
		      "copied: keep it apart from backups.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 1)
		return usage("backup takes one DEST");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	{
		audit_entry ae = {.actor = "operator", .action = "vault.backup"};

		if (audit_record(v, &ae, NULL, &err) == 0 && vault_backup(v, a->pos[0], &err) == 0)
			printf("{\"backup\": \"%s\"}\n", a->pos[0]);
		else
			rc = fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

static int cmd_restore(ctl *c, args *a)
{
	util_err err;

	if (a->help) {
		fputs("vaultctl restore SRC --data DIR\n"
		      "Restores the backup directory SRC into DIR, which must hold no vault. The backup is opened\n"
		      "with the given key first; nothing is written if it does not open.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 1)
		return usage("restore takes one SRC");
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_restore(a->pos[0], c->data, &c->unlock, &err) != 0)
		return fail(&err);
	printf("{\"restored\": \"%s\"}\n", c->data);
	return EX_OK;
}

static int cmd_stats(ctl *c, args *a)
{
	vault *v = NULL;
	vault_stats st;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl stats\nPrints counts and sizes as JSON. No personal data.\n", stdout);
		return EX_OK;
	}
	if (a->npos != 0)
		return usage("stats takes no arguments");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (vault_stats_get(v, &st, &err) == 0) {
		json_t *o = json_pack("{s:s, s:I, s:i, s:i, s:i, s:I, s:I}", "vault_id", vault_id(v), "citizens",
		    (json_int_t)st.citizens, "kek_current", (int)st.kek_current, "kek_versions", (int)st.kek_versions,
		    "schema_version", st.schema_version, "db_bytes", (json_int_t)st.db_bytes, "wal_bytes",
		    (json_int_t)st.wal_bytes);

		print_json(o);
		json_decref(o);
	} else {
		rc = fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

/* ---- audit, receipts, keys ---- */

/* A public key given as base64 (as `vaultctl keys` prints it) or as 64 hex digits. */
static int parse_public_key(const char *s, unsigned char pk[32])
{
	size_t n = 0;

	if (strlen(s) == 64 && util_hex_decode(pk, 32, s) == 0)
		return 0;
	if (sodium_base642bin(pk, 32, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32)
		return 0;
	fprintf(stderr, "vaultctl: --public-key takes 32 bytes as base64 or hex\n");
	return -1;
}

static int print_report(const audit_report *r)
{
	json_t *o = json_pack("{s:b, s:I, s:I, s:I}", "ok", r->ok, "entries", (json_int_t)r->entries, "checkpoints",
	    (json_int_t)r->checkpoints, "head", (json_int_t)r->head_size);

	if (!r->ok) {
		json_object_set_new(o, "problem", json_string(r->problem));
		if (r->first_bad >= 0)
			json_object_set_new(o, "first_bad_entry", json_integer(r->first_bad));
		if (r->bad_from >= 0)
			json_object_set_new(o, "bad_after_entry", json_integer(r->bad_from - 1));
	}
	print_json(o);
	json_decref(o);
	return r->ok ? EX_OK : EX_CORRUPT;
}

static int cmd_audit(ctl *c, args *a)
{
	vault *v = NULL;
	audit_report r;
	util_err err;
	int lockfd = -1, rc;

	if (a->help || a->npos != 1 || (strcmp(a->pos[0], "verify") != 0 && strcmp(a->pos[0], "export") != 0)) {
		fputs("vaultctl audit verify                  recompute the log's tree, check every checkpoint\n"
		      "vaultctl audit export > FILE           the log as JSON Lines, with its checkpoints\n"
		      "vaultctl audit verify --export FILE --public-key KEY\n"
		      "                                       check an export with nothing but the public key\n"
		      "verify exits 8 and names the first bad entry when the log was edited, cut or reordered.\n",
		    a->help ? stdout : stderr);
		return a->help ? EX_OK : EX_USAGE;
	}
	if (strcmp(a->pos[0], "verify") == 0 && a->export_file != NULL) {
		unsigned char pk[32];
		FILE *in;

		if (a->public_key == NULL || parse_public_key(a->public_key, pk) != 0)
			return usage("verify --export needs --public-key");
		if ((in = fopen(a->export_file, "r")) == NULL) {
			fprintf(stderr, "vaultctl: cannot open %s\n", a->export_file);
			return EX_NOTFOUND;
		}
		rc = audit_verify_export(in, pk, &r, &err);
		fclose(in);
		return rc == 0 ? print_report(&r) : fail(&err);
	}
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (strcmp(a->pos[0], "verify") == 0) {
		rc = audit_verify(v, &r, &err) == 0 ? print_report(&r) : fail(&err);
	} else {
		audit_entry ae = {.actor = "operator", .action = "audit.export"};

		/* the export itself is on the log, sealed into a checkpoint it carries */
		if (audit_record(v, &ae, NULL, &err) != 0 || audit_seal(v, 1, &err) != 0 || audit_export(v, stdout, &err) != 0)
			rc = fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

static int cmd_receipt(ctl *c, args *a)
{
	char *buf = NULL;
	unsigned char pk[32];
	size_t n;
	util_err err;
	int rc = EX_OK;

	if (a->help || a->npos != 2 || strcmp(a->pos[0], "verify") != 0) {
		fputs("vaultctl receipt verify FILE [--public-key KEY]\n"
		      "Checks a consent receipt's Ed25519 signature, offline. KEY is the vault's public key\n"
		      "(`vaultctl keys`, or GET /v1/keys); without it the key of the vault in --data is used.\n",
		    a->help ? stdout : stderr);
		return a->help ? EX_OK : EX_USAGE;
	}
	if (a->public_key != NULL) {
		if (parse_public_key(a->public_key, pk) != 0)
			return EX_USAGE;
	} else {
		vault *v = NULL;
		int lockfd = -1;

		if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
			return rc;
		vault_public_key(v, pk);
		vault_close(v);
		close(lockfd);
	}
	if ((buf = malloc(65536)) == NULL)
		return EX_FAIL;
	if (util_read_bounded(a->pos[1], buf, 65536, &n, &err) != 0) {
		rc = fail(&err);
	} else if (policy_receipt_verify(buf, n, pk, &err) != 0) {
		rc = fail(&err);
	} else {
		printf("{\"valid\": true}\n");
	}
	free(buf);
	return rc;
}

static int cmd_keys(ctl *c, args *a)
{
	char b64[64], hex[65], note[AUDIT_CHECKPOINT_MAX];
	unsigned char pk[32];
	audit_checkpoint cp;
	vault *v = NULL;
	util_err err;
	json_t *o;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl keys\nPrints the vault's Ed25519 public key (receipts, checkpoints) and its latest checkpoint.\n",
		    stdout);
		return EX_OK;
	}
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	vault_public_key(v, pk);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	util_hex_encode(hex, pk, sizeof pk);
	o = json_pack("{s:s, s:s, s:s}", "public_key", b64, "public_key_hex", hex, "vault_id", vault_id(v));
	if (audit_latest_checkpoint(v, note, &cp, &err) == 0)
		json_object_set_new(o, "checkpoint", json_string(note));
	print_json(o);
	json_decref(o);
	vault_close(v);
	close(lockfd);
	return EX_OK;
}

/* ---- privacy reports (cmd/ctl_reports.c) ---- */

static int cmd_ropa(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl ropa [--json] [--from T] [--to T]\n"
		      "Prints the records of processing activities from the live registry: per agency and purpose, the\n"
		      "legal basis and reference, the fields and their category, the recipient, the retention, consents\n"
		      "in force, and allowed and denied lookups from the audit log between unix times T (default: the\n"
		      "whole log). Markdown, or JSON with --json. Counts only: no personal data. Writes nothing.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 0)
		return usage("ropa takes no arguments");
	if (a->from > a->to)
		return usage("--from must not be after --to");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (ctl_ropa(v, a->json, a->from, a->to, stdout, &err) != 0)
		rc = fail(&err);
	vault_close(v);
	close(lockfd);
	return rc;
}

static int cmd_dpia(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl dpia [--from T] [--to T]\n"
		      "Prints an impact-assessment dossier skeleton (Markdown), filled from the live registry, catalog\n"
		      "and configuration (purposes, data categories, recipients, retention, security measures in force),\n"
		      "with the sections the controller must write marked [CONTROLLER TO COMPLETE]. No personal data.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 0 || a->json)
		return usage("dpia takes no arguments and prints Markdown only");
	if (a->from > a->to)
		return usage("--from must not be after --to");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (ctl_dpia(v, c->unlock.passphrase != NULL, a->from, a->to, stdout, &err) != 0)
		rc = fail(&err);
	vault_close(v);
	close(lockfd);
	return rc;
}

/* ---- the operator's token ---- */

static int cmd_admin_token(ctl *c, args *a)
{
	char token[API_ADMIN_TOKEN_MAX];
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->help) {
		fputs("vaultctl admin-token rotate\n"
		      "Issues a new admin token for the HTTP API and ends every earlier one, in one audited\n"
		      "transaction: the old token is refused from the next request on. vaultd may keep running.\n"
		      "Prints {\"admin_token\": ...}, shown this once; the vault keeps only a keyed hash of it.\n",
		    stdout);
		return EX_OK;
	}
	if (a->npos != 1 || strcmp(a->pos[0], "rotate") != 0)
		return usage("admin-token takes rotate");
	if ((rc = open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (api_admin_token_rotate(v, token, &err) == 0)
		printf("{\"admin_token\": \"%s\"}\n", token);
	else
		rc = fail(&err);
	sodium_memzero(token, sizeof token);
	vault_close(v);
	close(lockfd);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(ctl *, args *);
	unsigned long takes; /* its options beyond OPTS_COMMON */
} commands[] = {
	{"init", cmd_init, OPT_BIT(OPT_SCHEMA)},
	{"import", cmd_import, OPT_BIT(OPT_ENROL) | OPT_BIT(OPT_BATCH)},
	{"get", cmd_get, OPT_BIT(OPT_CITIZEN) | OPT_BIT(OPT_NID_STDIN)}, {"erase", cmd_erase, OPT_BIT(OPT_CITIZEN)},
	{"rotate-kek", cmd_rotate, 0}, {"rekey", cmd_rekey, OPT_BIT(OPT_NEW_KEY) | OPT_BIT(OPT_NEW_PASS)},
	{"backup", cmd_backup, 0}, {"restore", cmd_restore, 0}, {"stats", cmd_stats, 0},
	{"audit", cmd_audit, OPT_BIT(OPT_EXPORT) | OPT_BIT(OPT_PUBKEY)}, {"receipt", cmd_receipt, OPT_BIT(OPT_PUBKEY)},
	{"keys", cmd_keys, 0}, {"ropa", cmd_ropa, OPT_BIT(OPT_JSON) | OPT_BIT(OPT_FROM) | OPT_BIT(OPT_TO)},
	{"dpia", cmd_dpia, OPT_BIT(OPT_FROM) | OPT_BIT(OPT_TO)}, {"admin-token", cmd_admin_token, 0},
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
			return usage(NULL);
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
		rc = commands[i].fn(&c, &a);
		keys_secret_free(c.passphrase);
		return rc;
	}
	{
		char msg[96];

		snprintf(msg, sizeof msg, "unknown command %.40s", argv[1]);
		return usage(msg);
	}
}
