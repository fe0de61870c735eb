/* fuzz_api.c: the real HTTP server in process: fuzzed bodies for every route, and raw requests. */
#include <arpa/inet.h>
#include <errno.h>
#include <liboath/oath.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../api/api_private.h"

/*
 * Input layout. Byte 0: bit 7 set sends the rest as a whole raw HTTP request; otherwise
 * byte 0 picks the route and byte 1 the caller (none, admin, registrar, consumer, citizen),
 * and the rest is the JSON body sent to that route, so every handler's validation is reached
 * with a caller it accepts. The server, the vault and the audit writer are the real ones; the
 * vault sits on /dev/shm (tmpfs) so that fsyncs cost nothing and the fuzzer runs fast.
 */

static api_server *srv;
static char tokens[5][AUTH_TOKEN_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void must(int rc, const util_err *err)
{
	if (rc != 0) {
		fprintf(stderr, "fuzz_api setup: %s\n", err->msg);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const policy_field pf[] = {{"full_name", 0}, {"phone", 1}, {"blood_type", 0}};
	char dir[] = "/dev/shm/vaultd-fuzz-XXXXXX", data[64], key[64], id[VAULT_ID_HEX], reg[POLICY_ID_MAX + 1],
	     con[POLICY_ID_MAX + 1], pid[POLICY_ID_MAX + 1], subject[64], hex[33];
	vault_unlock u = {.key_file = key};
	api_config cfg = {.listen_addr = "127.0.0.1", .port = 0, .threads = 2};
	unsigned char cid[KEYS_CID_BYTES];
	json_t *fields;
	vault *v;
	util_err err;

	(void)argc;
	(void)argv;
	if (vault_init() != 0 || oath_init() != OATH_OK || mkdtemp(dir) == NULL)
		abort();
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(key, sizeof key, "%s/master.key", dir);
	must(vault_create(data, &u, NULL, id, &err), &err);
	must(vault_open(&v, data, &u, &err), &err);
	must(policy_agency_create(v, "Registrar", POLICY_ROLE_REGISTRAR, reg, &err), &err);
	must(policy_agency_create(v, "Hospital", POLICY_ROLE_CONSUMER | POLICY_ROLE_EMERGENCY, con, &err), &err);
	{
		policy_purpose_def d = {.agency_id = con, .code = "treatment", .desc_vi = "Khám", .desc_en = "Treatment",
			.basis = POLICY_BASIS_CONSENT, .fields = pf, .nfields = 3, .max_days = 30, .retention_days = 1};

		must(policy_purpose_create(v, &d, pid, &err), &err);
	}
	fields = json_pack("{s:s, s:s}", "full_name", "Nguyễn Văn Fuzz", "phone", "0912345678");
	must(vault_citizen_create(v, "001090012345", fields, cid, NULL, &err), &err);
	json_decref(fields);
	must(auth_admin_token(v, tokens[1], &err), &err);
	snprintf(subject, sizeof subject, "agency:%s", reg);
	must(auth_token_new(v, "agency", subject, 0, tokens[2], NULL, &err), &err);
	snprintf(subject, sizeof subject, "agency:%s", con);
	must(auth_token_new(v, "agency", subject, 0, tokens[3], NULL, &err), &err);
	util_hex_encode(hex, cid, sizeof cid);
	snprintf(subject, sizeof subject, "citizen:%s", hex);
	must(auth_token_new(v, "session", subject, 86400, tokens[4], NULL, &err), &err);
	must(api_start(&srv, &cfg, v, &err), &err);
	return 0;
}

/*
 * libFuzzer's timeout timer (SIGALRM, every -timeout/2 + 1 s) can interrupt connect(); the
 * connection then completes on its own. 1 if it did within 5 s.
 */
static int connected_after(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int e = 0, rc;
	socklen_t len = sizeof e;

	while ((rc = poll(&p, 1, 5000)) < 0 && errno == EINTR)
		;
	if (rc != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0 || e != 0) {
		errno = rc == 0 ? ETIMEDOUT : e ? e : errno;
		return 0;
	}
	return 1;
}

static void exchange(const char *req, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(api_port(srv))};
	/* a raw request may leave the connection open (keep-alive): stop waiting after 50 ms */
	struct timeval tv = {0, 50 * 1000};
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/*
	 * Each input is a new connection, and closed connections linger in TIME_WAIT for a minute:
	 * from one source address the ports run out after some 28,000 inputs. Each connection comes
	 * from its own address in 127.0.0.0/8 instead, each with a port space of its own.
	 */
	{
		static uint32_t next = 1;
		struct sockaddr_in src = {.sin_family = AF_INET};

		src.sin_addr.s_addr = htonl(0x7f000000u | (1u + next++ % 0xfffffdu));
		if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
			abort();
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && !(errno == EINTR && connected_after(fd))) {
		fprintf(stderr, "fuzz_api: connect: %s\n", strerror(errno));
		abort(); /* the server must keep accepting */
	}
	(void)!write(fd, req, n);
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	size_t nroutes, cap, len;
	const api_route *t = api_route_table(&nroutes);
	const api_route *r;
	char path[256], *req;
	const char *p;
	size_t o = 0;

	if (n < 2)
		return 0;
	if (d[0] & 0x80) {
		exchange((const char *)d + 1, n - 1);
		return 0;
	}
	r = &t[d[0] % nroutes];
	/* placeholders get a plausible id */
	for (p = r->path; *p && o + 8 < sizeof path;) {
		if (*p == '{') {
			o += (size_t)snprintf(path + o, sizeof path - o, "x%u", (unsigned)(d[1] >> 3));
			p = strchr(p, '}') + 1;
		} else {
			path[o++] = *p++;
		}
	}
	path[o] = '\0';
	cap = n + 512;
	if ((req = malloc(cap)) == NULL)
		return 0;
	len = (size_t)snprintf(req, cap,
	    "%s %s HTTP/1.1\r\nHost: fuzz\r\n%s%s%sContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    r->method, path, d[1] % 5 ? "Authorization: Bearer " : "", d[1] % 5 ? tokens[d[1] % 5] : "",
	    d[1] % 5 ? "\r\n" : "", n - 2);
	memcpy(req + len, d + 2, n - 2);
	exchange(req, len + n - 2);
	free(req);
	return 0;
}
