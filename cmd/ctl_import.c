/* ctl_import.c: vaultctl import: check every line of a JSON Lines file, then write it in batches. */
#include "ctl.h"
#include "ctl_import.h"
#include "ctl_import_seen.h"
#include "ctl_progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"

#define IMPORT_REPORT_MAX 50
#define IMPORT_YIELD_CHECK 256u         /* records between two looks for a waiting writer */
#define IMPORT_ENROL_LINE 256u          /* an enrolment line is shorter */
#define IMPORT_ENROL_BUF (64u * 1024u) /* enrolment lines wait here, in secret memory */

/*
 * The checking pass's set of national IDs seen (by blind index): in memory up to this many
 * slots (17 bytes each, 68 MiB), then spilled to a file (cmd/ctl_import_seen.c). Up to 2,097,152
 * lines a repeat is found at once; past that, at the end of the pass.
 */
#define IMPORT_SEEN_SLOTS (1u << 22)

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


/* ---- one import, stage by stage ---- */

/* One import's state, from opening its FILE to the closing report. */
typedef struct import_run {
	args *a;          /* a->pos[0] is the FILE */
	const char *file; /* a->pos[0] */
	vault *v;
	int lockfd;
	FILE *in;
	vault_input *input; /* two, in secret memory: [0] for pass 1, [1] for the sealer */
	ctl_seen seen;      /* pass 1: the blind indexes of the lines so far */
	char *line;         /* the line being read, wiped after each use */
	size_t cap, lines;  /* line's allocation; lines read so far (the line last named) */
	size_t records, bad; /* pass 1: good lines, bad lines */
	/* pass 2 */
	int enrol_fd;                                  /* --enrolments OUT, or -1 */
	char *enrol_buf;                               /* its lines not yet written, in secret memory */
	size_t enrol_cap, enrol_len;                   /* enrol_buf's size and fill */
	size_t enrol_written, enrol_done;              /* bytes of OUT: written, committed */
	size_t batch_n, done, commits, committed_line; /* records in the open batch; committed ones */
	int commit_unknown;                            /* a commit failed: vault.db may hold its batch */
	size_t reencoded;                              /* entries whose prepared number another process took */
	audit_batch *entries;                          /* the open batch's audit entries, for their one copy */
	import_feed feed;
	import_ckpt ckpt;
	pthread_t sealer, checkpointer;
	int sealing, checkpointing, ckpt_clock, tty;
	off_t size;       /* FILE's size, for the checking pass's progress */
	ctl_progress bar; /* on a terminal only */
	uint64_t t0, t1, drain_ns; /* start, start of pass 2, time spent waiting for drains */
	size_t drains, drains_cut; /* drains waited for; of them, those that reached IMPORT_DRAIN_MS */
	util_err err;
} import_run;

static void import_help(void)
{
	fputs("vaultctl import FILE [--enrolments OUT] [--batch N]\n"
	      "Enrols citizens from JSON Lines, one {\"national_id\": \"...\", \"fields\": {...}} per line.\n"
	      "Every line is checked first; if any line is bad, each bad line is named (never its values)\n"
	      "and nothing is imported (exit 3); so is a FILE with no citizen in it.\n"
	      "Then records are written N per transaction (default 50000).\n"
	      "--enrolments OUT creates OUT (0600) with each new citizen's line, citizen id and TOTP\n"
	      "enrolment URI, for the registrar to hand over.\n",
	    stdout);
}

/* Opens the vault and FILE (a regular file: it is read twice), and pass 1's memory. An exit code. */
static int import_open(import_run *r, ctl *c)
{
	pthread_condattr_t ca;
	struct stat st;
	int rc;

	/* the checkpointer's waits are timed on the monotonic clock: without it, no checkpointer */
	pthread_condattr_init(&ca);
	r->ckpt_clock = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
	pthread_cond_init(&r->ckpt.cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = ctl_open_vault(c, &r->v, &r->lockfd)) != EX_OK)
		return rc;
	if ((r->in = fopen(r->file, "r")) == NULL) {
		fprintf(stderr, "vaultctl: cannot open %s: %s\n", r->file, strerror(errno));
		return EX_NOTFOUND;
	}
	if (fstat(fileno(r->in), &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vaultctl: %s is not a regular file; import reads its FILE twice\n", r->file);
		return EX_USAGE;
	}
	r->size = st.st_size;
	if ((r->input = keys_secret_alloc(2 * sizeof *r->input)) == NULL ||
	    ctl_seen_init(&r->seen, IMPORT_SEEN_SLOTS, c->data) != 0) {
		fprintf(stderr, "vaultctl: out of memory\n");
		return EX_FAIL;
	}
	return EX_OK;
}

/* Pass 1 on one line: 0, or -1 with r->err saying why (never a value), or -2 when the pass cannot go on. */
static int check_line(import_run *r, size_t n)
{
	const vault_catalog *cat = vault_catalog_of(r->v);
	unsigned char idx[VAULT_INDEX_BYTES], cid[KEYS_CID_BYTES];
	json_t *doc = NULL;
	int lrc, seen;

	lrc = ctl_import_read(cat, r->line, n, r->input, &doc, &r->err);
	if (lrc == 0)
		lrc = vault_input_check(cat, r->input, &r->err);
	if (lrc == 0 && vault_citizen_index(r->v, r->input->nid, idx, &r->err) == 0) {
		if ((seen = ctl_seen_add(&r->seen, idx, r->lines, &r->err)) < 0) {
			lrc = -2;
		} else if (seen) {
			lrc = util_fail(&r->err, UTIL_EEXISTS, "national_id repeats an earlier line");
		} else if (vault_citizen_find_index(r->v, idx, cid, NULL) == 0) {
			lrc = util_fail(&r->err, UTIL_EEXISTS, "national_id is already enrolled");
		}
	} else if (lrc == 0) {
		lrc = -1;
	}
	json_decref(doc);
	sodium_memzero(r->input, sizeof *r->input);
	sodium_memzero(r->line, n);
	return lrc;
}

/* A repeat found among the spilled lines at the end of pass 1 (ctl_seen_finish). */
static void late_repeat(void *arg, size_t line)
{
	import_run *r = arg;

	r->records--;
	if (r->bad++ < IMPORT_REPORT_MAX)
		fprintf(stderr, "%s: line %zu: national_id repeats an earlier line\n", r->file, line);
}

/* Pass 1: checks every line, reports every bad one, writes nothing; one read snapshot. An exit code. */
static int import_check(import_run *r)
{
	ssize_t n;
	int lrc;

	if (vault_read_begin(r->v, &r->err) != 0) {
		fprintf(stderr, "vaultctl: %s\n", r->err.msg);
		return EX_FAIL;
	}
	ctl_progress_start(&r->bar, r->tty, "checking ", "lines", 0);
	while ((n = ctl_next_line(r->in, &r->line, &r->cap, &r->lines)) != -1) {
		ctl_progress_update(&r->bar, r->lines, r->size > 0 ? (double)ftello(r->in) / (double)r->size : 0);
		if ((lrc = check_line(r, (size_t)n)) != 0) {
			ctl_progress_clear(&r->bar); /* the report takes the line; the bar comes back below it */
			if (lrc == -2) {
				fprintf(stderr, "vaultctl: %s\n", r->err.msg);
				return EX_FAIL;
			}
			if (r->bad++ < IMPORT_REPORT_MAX)
				fprintf(stderr, "%s: line %zu: %s\n", r->file, r->lines, r->err.msg);
			continue;
		}
		r->records++;
	}
	vault_read_end(r->v);
	ctl_progress_clear(&r->bar);
	/* the repeats among lines past the set's room; then the set goes, before pass 2's page cache grows */
	if (ctl_seen_finish(&r->seen, late_repeat, r, &r->err) != 0) {
		fprintf(stderr, "vaultctl: %s\n", r->err.msg);
		return EX_FAIL;
	}
	ctl_seen_free(&r->seen);
	if (ferror(r->in)) {
		fprintf(stderr, "vaultctl: cannot read %s\n", r->file);
		return EX_FAIL;
	}
	if (r->bad > 0) {
		if (r->bad > IMPORT_REPORT_MAX)
			fprintf(stderr, "%s: ... and %zu more bad lines\n", r->file, r->bad - IMPORT_REPORT_MAX);
		fprintf(stderr, "vaultctl: %zu of %zu lines are invalid; nothing was imported\n", r->bad, r->lines);
		return EX_INPUT;
	}
	if (r->records == 0) { /* most likely the wrong file: say so rather than "imported 0" */
		fprintf(stderr, "vaultctl: %s holds no citizen; nothing was imported\n", r->file);
		return EX_INPUT;
	}
	return EX_OK;
}

/* Creates --enrolments OUT (0600, never over a file) and its buffer, and the sealer's ring. An exit code. */
static int write_prepare(import_run *r)
{
	if (r->a->enrolments != NULL) {
		r->enrol_fd = open(r->a->enrolments, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (r->enrol_fd < 0) {
			fprintf(stderr, "vaultctl: cannot create %s: %s\n", r->a->enrolments, strerror(errno));
			return errno == EEXIST ? EX_EXISTS : EX_FAIL;
		}
		r->enrol_cap = IMPORT_ENROL_BUF;
		if ((r->enrol_buf = keys_secret_alloc(r->enrol_cap)) == NULL) {
			fprintf(stderr, "vaultctl: out of secret memory\n");
			return EX_FAIL;
		}
	}
	rewind(r->in);
	r->feed.v = r->v;
	r->feed.cat = vault_catalog_of(r->v);
	r->feed.in = r->in;
	r->feed.input = r->input + 1;
	if ((r->feed.ring = vault_prepared_new(IMPORT_RING)) == NULL || (r->entries = audit_batch_new()) == NULL ||
	    (r->feed.entries = calloc(IMPORT_RING, sizeof *r->feed.entries)) == NULL) {
		fprintf(stderr, "vaultctl: out of secret memory\n");
		return EX_FAIL;
	}
	return EX_OK;
}

/* Begins the bulk write and starts the checkpointer (if it can be had) and the sealer. 0 or -1. */
static int write_start(import_run *r)
{
	if (vault_bulk_begin(r->v, &r->err) != 0)
		return -1;
	/* the checkpoints move to a thread of their own, if it can be had; else commits run them */
	if (r->ckpt_clock && vault_clone(&r->ckpt.v, r->v, &r->err) == 0) {
		if (pthread_create(&r->checkpointer, NULL, ctl_import_checkpointer, &r->ckpt) == 0) {
			r->checkpointing = 1;
			(void)vault_bulk_checkpoints_elsewhere(r->v, NULL); /* if not, commits checkpoint too */
		} else {
			vault_close(r->ckpt.v);
			r->ckpt.v = NULL;
		}
	}
	if (audit_size(r->v, &r->feed.seq0, &r->err) != 0)
		return -1;
	if (pthread_create(&r->sealer, NULL, ctl_import_sealer, &r->feed) != 0) {
		util_fail(&r->err, UTIL_ENOMEM, "cannot start a thread");
		return -1;
	}
	r->sealing = 1;
	return 0;
}

/* Adds p's enrolment line to the buffer, writing the buffer out first when it is nearly full. 0 or -1. */
static int enrol_add(import_run *r, vault_prepared *p)
{
	char cidhex[2 * KEYS_CID_BYTES + 1], secret[64];

	if (r->enrol_cap - r->enrol_len < IMPORT_ENROL_LINE) {
		/* written now, synced before the commit, cut off again if the batch is not */
		int rc = write_all(r->enrol_fd, r->enrol_buf, r->enrol_len, r->a->enrolments, &r->err);

		r->enrol_written += r->enrol_len;
		sodium_memzero(r->enrol_buf, r->enrol_len);
		r->enrol_len = 0;
		if (rc != 0)
			return -1;
	}
	util_hex_encode(cidhex, vault_prepared_cid(p), KEYS_CID_BYTES);
	util_base32_encode(secret, vault_prepared_totp(p), VAULT_TOTP_SECRET_BYTES);
	r->enrol_len += (size_t)snprintf(r->enrol_buf + r->enrol_len, r->enrol_cap - r->enrol_len,
	    "{\"line\":%zu,\"citizen_id\":\"%s\",\"totp_uri\":\"otpauth://totp/vaultd:%s?secret=%s"
	    "&issuer=vaultd&algorithm=SHA1&digits=6&period=30\"}\n",
	    r->lines, cidhex, cidhex, secret);
	sodium_memzero(secret, sizeof secret);
	return 0;
}

/* Stores one sealed record with its audit entry (and enrolment line) in the open batch. 0 or -1. */
static int store_record(import_run *r, vault_prepared *p)
{
	audit_entry ae = ctl_import_entry(p);
	const audit_prepared *pe = ctl_import_next_entry(&r->feed);
	int64_t seq = -1;
	int lrc;

	if (r->batch_n == 0 && vault_begin(r->v, &r->err) != 0)
		return -1;
	lrc = vault_citizen_insert(r->v, p, &r->err);
	if (lrc == 0)
		lrc = audit_batch_append_prepared(r->v, r->entries, &ae, pe, &seq, &r->err);
	/* another process appended since the entry was prepared: the sealer's next ones follow suit */
	if (lrc == 0 && seq != pe->seq) {
		ctl_import_reseq(&r->feed, r->done + r->batch_n, seq);
		r->reencoded++;
	}
	if (lrc == 0 && r->enrol_fd >= 0)
		lrc = enrol_add(r, p);
	ctl_import_taken(&r->feed, p);
	if (lrc != 0) {
		ctl_progress_clear(&r->bar);
		fprintf(stderr, "%s: line %zu: %s\n", r->file, r->lines, r->err.msg);
		vault_rollback(r->v);
		return -1;
	}
	r->batch_n++;
	return 0;
}

/*
 * Commits the open batch: its enrolment lines on disk first (a lost commit leaves unused URIs,
 * never citizens without one), then the checkpoint, the commit, the settling of the entries'
 * copies, and a drain of the WAL when drain says the next batch may start it over. 0 or -1.
 */
static int commit_batch(import_run *r, int drain)
{
	int64_t appended;

	if (r->enrol_fd >= 0) {
		if (write_synced(r->enrol_fd, r->enrol_buf, r->enrol_len, r->a->enrolments, &r->err) != 0) {
			vault_rollback(r->v);
			return -1;
		}
		r->enrol_written += r->enrol_len;
		sodium_memzero(r->enrol_buf, r->enrol_len);
		r->enrol_len = 0;
	}
	if (audit_batch_store(r->v, r->entries, &r->err) != 0 || audit_seal(r->v, 0, &r->err) != 0) {
		vault_rollback(r->v);
		return -1;
	}
	if (vault_commit(r->v, &r->err) != 0) {
		r->commit_unknown = 1; /* vault.db may hold the batch: its URIs stay */
		return -1;
	}
	r->enrol_done = r->enrol_written;
	r->done += r->batch_n;
	r->commits++;
	r->committed_line = r->lines;
	r->batch_n = 0;
	/* the batch's copy of its entries (audit_pending) goes now that audit.db holds them */
	if (audit_batch_settle(r->v, r->entries, &appended, &r->err) != 0)
		return -1;
	if (drain) {
		uint64_t td = util_mono_ns();

		r->drains++;
		if (ctl_import_ckpt_drain(&r->ckpt) != 0)
			r->drains_cut++;
		r->drain_ns += util_mono_ns() - td;
	}
	return 0;
}

/* Stores the sealer's records in file order, a batch per transaction, to the end. 0 or -1. */
static int write_batches(import_run *r)
{
	vault_prepared *p;
	int yielding;

	do {
		r->err.code = UTIL_OK;
		if ((p = ctl_import_next(&r->feed, &r->lines, &r->err)) != NULL) {
			if (store_record(r, p) != 0)
				return -1;
			ctl_progress_update(&r->bar, r->done + r->batch_n, 0);
		} else if (r->err.code != UTIL_OK) {
			/* the sealer failed: what it read no longer passes the checks of pass 1 */
			ctl_progress_clear(&r->bar);
			fprintf(stderr, "%s: line %zu: %s\n", r->file, r->lines, r->err.msg);
			if (r->batch_n > 0)
				vault_rollback(r->v);
			return -1;
		}
		/* a batch ends at N records, at the end, or early when another writer (vaultd's audit
		 * writer, say) waits for the write lock: it gets it before the next batch begins */
		yielding = p != NULL && r->batch_n > 0 && r->batch_n != (size_t)r->a->batch &&
		           r->batch_n % IMPORT_YIELD_CHECK == 0 && vault_writers_waiting(r->v);
		/* no drain when another process writes (the WAL would not be ours to start over), nor
		 * after the last record: write_finish's checkpoints copy the WAL whole anyway */
		if (r->batch_n > 0 && (p == NULL || r->batch_n == (size_t)r->a->batch || yielding) &&
		    commit_batch(r, r->checkpointing && p != NULL && r->done + r->batch_n < r->records && !yielding &&
		                        (r->commits + 1) % IMPORT_DRAIN_EVERY == 0) != 0)
			return -1;
	} while (p != NULL);
	return 0;
}

/* Waits for the sealer, stops the checkpointer, and makes what was written durable. 0 or -1. */
static int write_finish(import_run *r)
{
	pthread_join(r->sealer, NULL);
	r->sealing = 0;
	if (r->checkpointing) {
		ctl_import_ckpt_stop(&r->ckpt, r->checkpointer);
		r->checkpointing = 0;
	}
	if (r->done != r->records) {
		/* lines came or went after they were checked: what was written stays, and is reported */
		util_fail(&r->err, UTIL_ESTATE, "the file changed after it was checked: %zu records written, %zu checked",
		    r->done, r->records);
		return -1;
	}
	ctl_progress_end(&r->bar, r->done, 0);
	return vault_bulk_end(r->v, &r->err);
}

/*
 * After a failure of pass 2: stops the threads, cuts the enrolment lines of a rolled-back
 * batch off OUT, makes what was committed durable, and says how far the import got. Returns
 * the exit code of r->err.
 */
static int write_stopped(import_run *r)
{
	util_err e2;

	if (r->sealing) {
		ctl_import_stop(&r->feed, r->sealer);
		r->sealing = 0;
	}
	if (r->enrol_fd >= 0 && !r->commit_unknown && r->enrol_written > r->enrol_done) {
		/* a batch rolled back: the URIs of its citizens, which do not exist, are cut off */
		if (ftruncate(r->enrol_fd, (off_t)r->enrol_done) != 0 || fsync(r->enrol_fd) != 0)
			fprintf(stderr, "vaultctl: warning: %s holds enrolment lines past line %zu for citizens that were"
			                " not imported: delete them\n",
			    r->a->enrolments, r->committed_line);
	}
	if (r->checkpointing) {
		ctl_import_ckpt_stop(&r->ckpt, r->checkpointer);
		r->checkpointing = 0;
	}
	ctl_progress_clear(&r->bar);
	/* what was committed is made durable before it is reported as imported */
	if (vault_bulk_end(r->v, &e2) != 0)
		fprintf(stderr, "vaultctl: %s\n", e2.msg);
	fprintf(stderr, "vaultctl: import stopped: %s (%s). Lines 1-%zu are imported (%zu citizens); nothing after.\n",
	    r->err.msg, util_code_name(r->err.code), r->committed_line, r->done);
	return ctl_exit_code(r->err.code);
}

/* Pass 2: writes every record, a batch per transaction, and reports the time it took. An exit code. */
static int import_write(import_run *r)
{
	struct rusage ru;
	char extra[128] = ""; /* what the closing line adds when it happened */
	double secs;
	int rc;

	r->t1 = util_mono_ns();
	ctl_progress_start(&r->bar, r->tty, "importing", "records", r->records);
	if ((rc = write_prepare(r)) != EX_OK)
		return rc;
	if (write_start(r) != 0 || write_batches(r) != 0 || write_finish(r) != 0)
		return write_stopped(r);
	secs = (double)(util_mono_ns() - r->t0) / 1e9;
	/* the kernel's high-water mark of this process's resident memory (KiB on Linux), as
	 * wait4 would report it to a parent: the benchmark reads it from this line */
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_maxrss = 0;
	if (r->reencoded > 0) /* other processes appended to the log meanwhile (vaultd, on a live vault) */
		snprintf(extra, sizeof extra, "; %zu audit entries encoded again", r->reencoded);
	if (r->drains_cut > 0) /* a pass took longer than IMPORT_DRAIN_MS: the WAL grew past two batches */
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "; %zu waits stopped at their %d s limit",
		    r->drains_cut, IMPORT_DRAIN_MS / 1000);
	fprintf(stderr,
	    "vaultctl: imported %zu citizens in %.2f s (%.0f records/s; checking %.2f s, writing %.2f s"
	    " in %zu transactions, %.2f s of it waiting for the WAL's copy (%zu waits)%s; peak memory %.1f MiB)\n",
	    r->done, secs, secs > 0 ? (double)r->done / secs : 0.0, (double)(r->t1 - r->t0) / 1e9,
	    (double)(util_mono_ns() - r->t1) / 1e9, r->commits, (double)r->drain_ns / 1e9, r->drains, extra,
	    (double)ru.ru_maxrss / 1024);
	return EX_OK;
}

/* Releases everything import_open and import_write took, wiping what held personal data. */
static void import_close(import_run *r)
{
	vault_close(r->ckpt.v);
	pthread_cond_destroy(&r->ckpt.cond);
	vault_prepared_free(r->feed.ring);
	audit_batch_free(r->entries);
	free(r->feed.entries);
	if (r->enrol_buf != NULL) {
		sodium_memzero(r->enrol_buf, r->enrol_cap);
		keys_secret_free(r->enrol_buf);
	}
	if (r->enrol_fd >= 0)
		close(r->enrol_fd);
	if (r->line != NULL) {
		sodium_memzero(r->line, r->cap);
		free(r->line);
	}
	keys_secret_free(r->input);
	ctl_seen_free(&r->seen);
	if (r->in != NULL)
		fclose(r->in);
	vault_close(r->v);
	if (r->lockfd >= 0)
		close(r->lockfd);
}

int cmd_import(ctl *c, args *a)
{
	import_run r = {.a = a, .lockfd = -1, .enrol_fd = -1, .tty = isatty(2),
		.feed = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER},
		.ckpt = {.mu = PTHREAD_MUTEX_INITIALIZER}};
	int rc;

	if (a->help) {
		import_help();
		return EX_OK;
	}
	if (a->npos != 1)
		return ctl_usage("import takes one FILE");
	r.file = a->pos[0];
	if ((rc = import_open(&r, c)) == EX_OK) {
		r.t0 = util_mono_ns();
		if ((rc = import_check(&r)) == EX_OK)
			rc = import_write(&r);
	}
	import_close(&r);
	return rc;
}
