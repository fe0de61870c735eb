/* test_ops.c: operating vaultd: log rotation on SIGHUP, a clean stop on SIGTERM, its arguments. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void test_sighup_reopens_the_log(void **state)
{
	e2e_server s;
	e2e_resp r;
	char *log, *moved, *text;
	struct stat st;
	size_t n;
	pid_t pid;
	int status, i;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	assert_int_equal(e2e_halt(&s), 0); /* the harness's vaultd: ours runs with --log */
	log = test_path(s.dir, "access.log");
	moved = test_path(s.dir, "access.log.1");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* port 0: the port it gets is in the log's "listening" line */
		execl(s.vaultd, s.vaultd, "--data", s.data, "--listen", "127.0.0.1:0", "--log", log, (char *)NULL);
		_exit(127);
	}
	s.pid = pid;
	assert_int_equal(e2e_wait_ready(&s, log), 0);
	E2E_CALL(&s, 404, "GET", "/before-rotation", NULL, NULL, &r);
	e2e_resp_free(&r);
	/* lines are buffered, and flushed within a fraction of a second while vaultd runs */
	for (i = 0, text = NULL; i < 250; i++) {
		text = (char *)test_read_file(log, &n);
		if (text != NULL && strstr(text, "\"status\":404") != NULL)
			break;
		free(text);
		text = NULL;
		usleep(20 * 1000);
	}
	assert_non_null(text);
	free(text);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* rotate: move the file away, SIGHUP, and the next lines go to a new file at the path */
	assert_int_equal(rename(log, moved), 0);
	kill(pid, SIGHUP);
	for (i = 0; i < 100 && stat(log, &st) != 0; i++)
		usleep(20 * 1000);
	E2E_CALL(&s, 200, "GET", "/healthz", NULL, NULL, &r);
	e2e_resp_free(&r);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	s.pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* a clean stop */
	text = (char *)test_read_file(moved, &n);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"status\":404"));
	assert_null(strstr(text, "log reopened"));
	free(text);
	text = (char *)test_read_file(log, &n);
	assert_non_null(text);
	assert_non_null(strstr(text, "log reopened"));
	assert_non_null(strstr(text, "\"route\":\"/healthz\""));
	assert_non_null(strstr(text, "stopping"));
	assert_null(strstr(text, "\"status\":404"));
	free(text);
	free(log);
	free(moved);
	e2e_stop(&s);
}

/* vaultd's exit status for these arguments (output to /dev/null); -1 if it still runs after 5 s. */
static int run_vaultd(const char *vaultd, const char *data, const char *opt, const char *val)
{
	int status, fd, i;
	pid_t pid = fork(), got = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(vaultd, vaultd, "--data", data, "--listen", "127.0.0.1:0", opt, val, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && (got = waitpid(pid, &status, WNOHANG)) == 0; i++)
		usleep(10 * 1000);
	if (got == 0) { /* it took the arguments and is serving */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	assert_int_equal(got, pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_bad_numbers_are_usage_errors(void **state)
{
	static const char *const bad[][2] = {
		{"--cache-mib", "0"}, {"--cache-mib", "4097"}, {"--cache-mib", "64x"}, {"--cache-mib", ""},
		{"--cache-mib", " 64"}, {"--cache-mib", "+64"}, {"--threads", "0"}, {"--threads", "3x"}, {"--threads", "65"},
		{"--max-conns", "0"}, {"--max-conns-per-ip", "0"}, {"--max-conns-per-ip", "100001"},
		{"--request-deadline", "0"}, {"--request-deadline", "3601"}, {"--request-deadline", "10s"},
	};
	e2e_server s;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	assert_int_equal(e2e_halt(&s), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(run_vaultd(s.vaultd, s.data, bad[i][0], bad[i][1]), 2);
	e2e_stop(&s);
}

/* vaultd's memory (keys, decrypted pages) never goes to a core file. */
static void test_no_core_dumps(void **state)
{
	e2e_server s;
	char path[64], line[256], soft[32] = "", hard[32] = "";
	FILE *f;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	snprintf(path, sizeof path, "/proc/%d/limits", (int)s.pid);
	assert_non_null(f = fopen(path, "r")); /* a /proc file: its size says 0, so read it by lines */
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Max core file size", 18) == 0)
			assert_int_equal(sscanf(line + 18, "%31s %31s", soft, hard), 2);
	fclose(f);
	/* "Max core file size        0                    0                    bytes" */
	assert_string_equal(soft, "0");
	assert_string_equal(hard, "0");
	e2e_stop(&s);
}

/* ---- a stop while lookups wait on the audit writer ---- */

typedef struct looper {
	uint16_t port;
	const char *token;
	atomic_int *quit;
	long answered;
} looper;

/* Lookups, one after another on one kept-alive connection, until vaultd closes it or quit. */
static void *lookups(void *arg)
{
	static const char body[] = "{\"national_id\":\"001090099999\",\"purpose\":\"no_such_purpose\"}";
	looper *l = arg;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(l->port)};
	struct timeval tv = {2, 0};
	char req[512], buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0), n;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
		goto out;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	n = snprintf(req, sizeof req,
	    "POST /v1/lookup HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    l->token, sizeof body - 1, body);
	while (!atomic_load(l->quit)) {
		ssize_t got;

		if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n || (got = read(fd, buf, sizeof buf)) <= 0)
			break; /* one answer fits one read on loopback; a short one only shifts the next */
		l->answered++;
	}
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * SIGTERM while kept-alive connections keep sending lookups. Two ways MHD 0.9.75 aborts
 * (signal 6) were met here: stopping with a lookup still suspended on the audit writer, and
 * MHD_quiesce_daemon racing a busy worker over the listening socket. vaultd must exit 0, close
 * the connections as it drains, and log that it stopped.
 */
static void test_sigterm_with_lookups_in_flight(void **state)
{
	static const char *const roles[] = {"consumer"};
	enum { N = 4 };
	e2e_server s;
	e2e_resp r;
	looper l[N];
	pthread_t th[N];
	atomic_int quit = 0;
	char *token, *log;
	size_t n;
	int status = 0, i;
	pid_t w = 0;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	E2E_CALL(&s, 201, "POST", "/v1/agencies", s.admin_token, e2e_body_agency("Stopper", roles, 1), &r);
	token = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	for (i = 0; i < N; i++) {
		l[i] = (looper){.port = s.port, .token = token, .quit = &quit};
		assert_int_equal(pthread_create(&th[i], NULL, lookups, &l[i]), 0);
	}
	usleep(300 * 1000);
	assert_int_equal(kill(s.pid, SIGTERM), 0);
	for (i = 0; i < 300 && (w = waitpid(s.pid, &status, WNOHANG)) == 0; i++)
		usleep(50 * 1000); /* the grace is 5 s: the lookups go on through all of it */
	atomic_store(&quit, 1);
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_true(l[i].answered > 0);
	}
	if (w == 0) {
		kill(s.pid, SIGKILL);
		waitpid(s.pid, &status, 0);
		fail_msg("vaultd did not stop within 15 s of SIGTERM");
	}
	s.pid = 0;
	log = (char *)test_read_file(s.log, &n);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("vaultd stopped with %s %d; the end of its log:\n%s", WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    log == NULL ? "(none)" : n > 1024 ? log + n - 1024 : log);
	assert_non_null(log);
	assert_non_null(strstr(log, "\"stopping\""));
	free(log);
	free(token);
	e2e_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sighup_reopens_the_log),
		cmocka_unit_test(test_bad_numbers_are_usage_errors),
		cmocka_unit_test(test_no_core_dumps),
		cmocka_unit_test(test_sigterm_with_lookups_in_flight),
	};

	return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
