/* vaultd.c: the vault service: unlocks the vault, serves the HTTP API, stops cleanly on SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "../api/api.h"
#include "../audit/audit.h"
#include "../policy/policy.h"
#include "../vault/vault.h"

#define MAINTENANCE_SECONDS 30
#define SWEEP_FIRST_SECONDS 300  /* the first retention sweep, after start-up */
#define SWEEP_EVERY_SECONDS 3600 /* retention is counted in days: hourly is plenty */

/*
 * Background upkeep, on the main thread between signals: every 30 s, the tokens' last uses noted
 * by requests are stored (api_upkeep), the audit entries vault.db
 * still holds copies of are settled (audit_settle), and a checkpoint is signed when one is
 * due by time (audit_seal); hourly, from 5 minutes after start, the retention sweep that
 * expires requests and consents and removes what outlived its purpose's retention. Failures
 * are logged and retried next round.
 */
static void maintain(vault *v, int64_t started)
{
	static int64_t last_sweep;
	util_err err;
	int64_t changed = 0, appended = 0, unreadable = 0, now = util_now();

	if (audit_settle(v, &appended, &unreadable, &err) != 0)
		util_log(UTIL_LOG_ERROR, NULL, "audit settle", "code=%s", util_code_name(err.code));
	else if (appended > 0 || unreadable > 0)
		util_log(UTIL_LOG_WARN, NULL, "audit settle", "appended=%lld unreadable=%lld", (long long)appended,
		    (long long)unreadable);
	if (audit_seal(v, 0, &err) != 0)
		util_log(UTIL_LOG_ERROR, NULL, "checkpoint", "code=%s", util_code_name(err.code));
	/* the sweep scans every consent (about 3 s at a million) under the write lock: not often */
	if (now - started < SWEEP_FIRST_SECONDS || (last_sweep != 0 && now - last_sweep < SWEEP_EVERY_SECONDS))
		return;
	last_sweep = now;
	if (policy_retention_sweep(v, now, &changed, &err) != 0)
		util_log(UTIL_LOG_ERROR, NULL, "retention sweep", "code=%s", util_code_name(err.code));
	else if (changed > 0)
		util_log(UTIL_LOG_INFO, NULL, "retention sweep", "changed=%lld", (long long)changed);
}

static const char usage_text[] =
    "usage: vaultd --data DIR [--key-file PATH | --passphrase-env NAME] [--listen ADDR:PORT] [--threads N]\n"
    "              [--cache-mib N] [--tls-cert F --tls-key F] [--log FILE] [--max-conns N]\n"
    "              [--max-conns-per-ip N] [--request-deadline SECONDS] [--portal DIR]\n"
    "  --data DIR             the vault's directory (default: $VAULTD_DATA, else ./data)\n"
    "  --key-file PATH        the root key file (default: DIR/master.key)\n"
    "  --passphrase-env NAME  unlock with the passphrase in environment variable NAME\n"
    "  --listen ADDR:PORT     default 127.0.0.1:8443 ([::1]:8443 for IPv6)\n"
    "  --threads N            worker threads (default 2)\n"
    "  --cache-mib N          page cache in MiB, shared by the workers and the audit writer (default 160)\n"
    "  --tls-cert F --tls-key F   serve HTTPS with this PEM certificate and key\n"
    "  --log FILE             append the JSON logs to FILE (0600) instead of stderr; SIGHUP reopens it\n"
    "  --max-conns N          open connections at most (default 1024)\n"
    "  --max-conns-per-ip N   open connections from one address at most (default 64)\n"
    "  --request-deadline S   a request's headers and body must arrive within S seconds of the\n"
    "                         connection opening or of the previous answer, else it is closed (default 10)\n"
    "  --portal DIR           serve the web portal's files from DIR at / (read once at start;\n"
    "                         make portal builds build/portal); without it / is 404\n";

/*
 * Log lines are buffered, not written one at a time: a write() per request was about 5% of
 * the workers' CPU under lookups. The main thread flushes the buffer every LOG_FLUSH_MS
 * between its upkeep runs, and it is flushed when the log is reopened, when the buffer
 * fills, and at exit. So a line is normally at most that late, and during an upkeep run (the
 * hourly retention sweep takes seconds at a million citizens) until the run ends; a crash
 * loses what was not yet written. The audit log, not this one, is the record of accesses.
 */
#define LOG_FLUSH_MS 200
static char log_buf[1 << 16];

/*
 * Points stderr, where every log line goes, at path (appending, created 0600). The file goes
 * under the same FILE (dup2 onto its descriptor), so its buffer stays, and a file that
 * cannot be opened leaves the old one in place.
 */
static int reopen_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	fflush(stderr); /* what the old file has not got yet */
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int parse_listen(const char *s, char *addr, size_t n, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	size_t alen;
	char *end;
	long p;

	if (colon == NULL)
		return -1;
	alen = (size_t)(colon - s);
	if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
		s++;
		alen -= 2;
	}
	if (alen == 0 || alen >= n)
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* A decimal integer in [lo, hi], nothing around it. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	long x;

	if (*s < '0' || *s > '9') /* strtol would take spaces and a sign */
		return -1;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < (long)lo || x > (long)hi)
		return -1;
	*out = (unsigned)x;
	return 0;
}

/* A usage error: the usage on stderr, exit code 2. */
static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

/* What the command line asks for. */
typedef struct options {
	const char *data, *pass_env, *log_file;
	char key_file[1100], addr[64];
	api_config cfg;
} options;

static const struct option long_opts[] = {
	{"data", required_argument, NULL, 'd'}, {"key-file", required_argument, NULL, 'k'},
	{"passphrase-env", required_argument, NULL, 'p'}, {"listen", required_argument, NULL, 'l'},
	{"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
	{"cache-mib", required_argument, NULL, 'C'},
	{"tls-cert", required_argument, NULL, 'c'}, {"tls-key", required_argument, NULL, 'K'},
	{"log", required_argument, NULL, 'L'}, {"max-conns", required_argument, NULL, 'M'},
	{"max-conns-per-ip", required_argument, NULL, 'I'}, {"request-deadline", required_argument, NULL, 'D'},
	{"portal", required_argument, NULL, 'P'},
	{NULL, 0, NULL, 0},
};

/* Takes one option o (its value in optarg) into op: 0, or -1 when its value is refused. */
static int take_option(options *op, int o)
{
	api_config *cfg = &op->cfg;

	switch (o) {
	case 'd':
		op->data = optarg;
		return 0;
	case 'k':
		if (strlen(optarg) >= sizeof op->key_file)
			return -1;
		strcpy(op->key_file, optarg);
		return 0;
	case 'p':
		op->pass_env = optarg;
		return 0;
	case 'l':
		return parse_listen(optarg, op->addr, sizeof op->addr, &cfg->port);
	case 't':
		return parse_uint(optarg, 1, 64, &cfg->threads);
	case 'C':
		return parse_uint(optarg, 1, 4096, &cfg->cache_mib);
	case 'c':
		cfg->tls_cert = optarg;
		return 0;
	case 'K':
		cfg->tls_key = optarg;
		return 0;
	case 'L':
		op->log_file = optarg;
		return 0;
	case 'M':
		return parse_uint(optarg, 1, 100000, &cfg->max_conns);
	case 'I':
		return parse_uint(optarg, 1, 100000, &cfg->max_conns_per_ip);
	case 'D':
		return parse_uint(optarg, 1, 3600, &cfg->deadline_s);
	case 'P':
		cfg->portal_dir = optarg;
		return 0;
	default:
		return -1;
	}
}

/*
 * Reads the command line into op (its defaults set here; cfg.listen_addr points into op).
 * Returns 0 to go on, 1 when --help was printed, -1 on a usage error (nothing printed).
 */
static int parse_options(int argc, char **argv, options *op)
{
	int o;

	memset(op, 0, sizeof *op);
	op->data = getenv("VAULTD_DATA") ? getenv("VAULTD_DATA") : "data";
	strcpy(op->addr, "127.0.0.1");
	op->cfg = (api_config){.listen_addr = op->addr, .port = 8443, .threads = 2, .cache_mib = 160};
	while ((o = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (take_option(op, o) != 0)
			return -1;
	}
	return optind == argc ? 0 : -1;
}

/*
 * None of vaultd's memory goes to a core file, nor to a debugger running as the same user: it
 * holds the keys, and up to --cache-mib of decrypted database pages. Whatever vaultd creates
 * (logs, the lock file) is the owner's alone.
 */
static int harden_process(void)
{
	const struct rlimit no_core = {0, 0};

	umask(077);
	if (setrlimit(RLIMIT_CORE, &no_core) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		util_log(UTIL_LOG_FATAL, NULL, "cannot turn off core dumps", NULL);
		return -1;
	}
	return 0;
}

/* Buffers the log (see LOG_FLUSH_MS), moves it to log_file if one is given, starts the libraries. */
static int start_logging_and_libraries(const char *log_file)
{
	(void)setvbuf(stderr, log_buf, _IOFBF, sizeof log_buf); /* unbuffered, as before, if it fails */
	if (log_file != NULL && reopen_log(log_file) != 0) {
		util_log(UTIL_LOG_FATAL, NULL, "cannot open the log file", NULL);
		return -1;
	}
	if (vault_init() != 0 || oath_init() != OATH_OK) {
		util_log(UTIL_LOG_FATAL, NULL, "cannot start libsodium or SQLCipher", NULL);
		return -1;
	}
	return 0;
}

/*
 * Fills u from op: the passphrase, copied from the environment into secret memory (*pass, the
 * caller frees it with keys_secret_free) and wiped there, or the key file (by default
 * DATA/master.key). Returns 0; 1 when the passphrase is missing (logged); -1 when the key
 * file's default path does not fit (a usage error).
 */
static int take_unlock(options *op, vault_unlock *u, char **pass)
{
	memset(u, 0, sizeof *u);
	if (op->pass_env != NULL) {
		char *e = getenv(op->pass_env);

		if (e == NULL || (*pass = keys_secret_alloc(strlen(e) + 1)) == NULL) {
			util_log(UTIL_LOG_FATAL, NULL, "passphrase variable not set", NULL);
			return 1;
		}
		strcpy(*pass, e);
		u->passphrase = *pass;
		u->passphrase_len = strlen(e);
		sodium_memzero(e, strlen(e));
		unsetenv(op->pass_env);
		return 0;
	}
	if (op->key_file[0] == '\0' && util_path_join(op->key_file, sizeof op->key_file, op->data, "master.key") != 0)
		return -1;
	u->key_file = op->key_file;
	return 0;
}

/* Signals are taken synchronously by the main thread (set): workers never see them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The main thread while the server runs: flushes the log every LOG_FLUSH_MS, runs the upkeep
 * every MAINTENANCE_SECONDS, reopens the log on SIGHUP; returns on SIGTERM or SIGINT.
 */
static void serve_until_stopped(api_server *srv, vault *v, const sigset_t *set, const char *log_file)
{
	int64_t started = util_now();
	uint64_t next_upkeep;
	int sig;

	maintain(v, started);
	next_upkeep = util_mono_ns() + (uint64_t)MAINTENANCE_SECONDS * 1000000000u;
	for (;;) {
		struct timespec ts = {0, LOG_FLUSH_MS * 1000000L};

		fflush(stderr);
		sig = sigtimedwait(set, NULL, &ts);
		if (sig < 0) {
			if (util_mono_ns() >= next_upkeep) {
				api_upkeep(srv); /* the tokens' last uses, before a sweep can hold the lock */
				maintain(v, started);
				next_upkeep = util_mono_ns() + (uint64_t)MAINTENANCE_SECONDS * 1000000000u;
			}
			continue;
		}
		if (sig == SIGHUP) {
			/* log rotation: the old file was moved away; start a new one at the same path */
			if (log_file != NULL && reopen_log(log_file) != 0)
				continue;
			util_log(UTIL_LOG_INFO, NULL, "log reopened", NULL);
			continue;
		}
		return;
	}
}

int main(int argc, char **argv)
{
	options op;
	vault_unlock u;
	api_server *srv = NULL;
	vault *v = NULL;
	char *pass = NULL;
	util_err err;
	sigset_t set;
	int lockfd = -1, rc;

	if ((rc = parse_options(argc, argv, &op)) != 0)
		return rc == 1 ? 0 : usage();
	if (harden_process() != 0 || start_logging_and_libraries(op.log_file) != 0)
		return 1;
	if ((rc = take_unlock(&op, &u, &pass)) != 0)
		return rc == 1 ? 1 : usage();
	block_signals(&set);
	rc = 1;
	if (vault_lock(op.data, 0, &lockfd, &err) != 0 || vault_open(&v, op.data, &u, &err) != 0 ||
	    api_start(&srv, &op.cfg, v, &err) != 0) {
		util_log(UTIL_LOG_FATAL, NULL, err.msg, "code=%s", util_code_name(err.code));
		goto out;
	}
	util_log(UTIL_LOG_INFO, NULL, "listening", "addr=%s port=%u vault_id=%s", op.addr, (unsigned)api_port(srv),
	    vault_id(v));
	fflush(stderr); /* at once: whoever started vaultd may be reading the port from it */
	serve_until_stopped(srv, v, &set, op.log_file);
	util_log(UTIL_LOG_INFO, NULL, "stopping", NULL);
	rc = 0;
out:
	api_stop(srv);
	vault_close(v);
	keys_secret_free(pass);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
