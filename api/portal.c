/* portal.c: the portal's files, read once at start into memory and served by their exact path. */
#include "api_private.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Bounds on what --portal DIR may hold: a directory that has grown by mistake (node_modules
 * copied in whole) stops vaultd at start with a message, rather than filling its memory.
 */
#define PORTAL_FILES_MAX 512
#define PORTAL_FILE_MAX (4u << 20)   /* bytes of one file */
#define PORTAL_TOTAL_MAX (32u << 20) /* bytes of all of them */
#define PORTAL_DEPTH_MAX 4           /* directories below DIR */
#define PORTAL_NAME_MAX 64           /* bytes of one file or directory name */
#define PORTAL_PATH_MAX 192          /* bytes of a served path, "/js/pages/x.js" */

typedef struct portal_file {
	char path[PORTAL_PATH_MAX + 1]; /* "/index.html": what a request must name exactly */
	const char *type;
	unsigned char *data;
	size_t len;
} portal_file;

struct api_portal {
	portal_file *files; /* sorted by path */
	size_t n;
	size_t total;
};

/* The content type of each extension served; a file of any other is not loaded. */
static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* A name the portal serves: letters, digits, '.', '_', '-', not starting with '.'. */
static int name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PORTAL_NAME_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		        s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Reads the regular file fs (served as url) into p: 0, or -1 with err. */
static int load_file(api_portal *p, const char *fs, const char *url, const char *type, util_err *err)
{
	portal_file *f;
	struct stat st;

	if (p->n == PORTAL_FILES_MAX)
		return util_fail(err, UTIL_EINVAL, "the portal holds more than %d files", PORTAL_FILES_MAX);
	if (lstat(fs, &st) != 0 || (size_t)st.st_size > PORTAL_FILE_MAX)
		return util_fail(err, UTIL_EINVAL, "portal file %s is unreadable or larger than %u bytes", url,
		    PORTAL_FILE_MAX);
	if (p->total + (size_t)st.st_size > PORTAL_TOTAL_MAX)
		return util_fail(err, UTIL_EINVAL, "the portal's files are larger than %u bytes", PORTAL_TOTAL_MAX);
	f = &p->files[p->n];
	memset(f, 0, sizeof *f);
	if ((f->data = malloc((size_t)st.st_size + 1)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory for the portal");
	if (util_read_bounded(fs, f->data, (size_t)st.st_size, &f->len, err) != 0) {
		free(f->data);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s", url);
	f->type = type;
	p->total += f->len;
	p->n++;
	return 0;
}

/* Loads every servable file under dir (served under prefix), depth levels down: 0, or -1 with err. */
static int load_dir(api_portal *p, const char *dir, const char *prefix, int depth, util_err *err)
{
	char fs[PATH_MAX], url[PORTAL_PATH_MAX + 1];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL)
		return util_fail(err, UTIL_EINVAL, "cannot open the portal directory %s", dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!name_ok(de->d_name))
			continue; /* ".", "..", hidden files, odd names: never served */
		if (util_path_join(fs, sizeof fs, dir, de->d_name) != 0 ||
		    (size_t)snprintf(url, sizeof url, "%s/%s", prefix, de->d_name) >= sizeof url) {
			rc = util_fail(err, UTIL_EINVAL, "a portal path is longer than %d bytes", PORTAL_PATH_MAX);
			break;
		}
		if (lstat(fs, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < PORTAL_DEPTH_MAX)
			rc = load_dir(p, fs, url, depth + 1, err);
		else if (S_ISREG(st.st_mode) && type_of(de->d_name) != NULL)
			rc = load_file(p, fs, url, type_of(de->d_name), err);
		/* symlinks, devices, deeper directories and other types are left out */
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const portal_file *)a)->path, ((const portal_file *)b)->path);
}

static const portal_file *find(const api_portal *p, const char *path)
{
	portal_file key;

	if (strlen(path) > PORTAL_PATH_MAX)
		return NULL;
	snprintf(key.path, sizeof key.path, "%s", path);
	return bsearch(&key, p->files, p->n, sizeof *p->files, by_path);
}

int api_portal_load(api_portal **out, const char *dir, util_err *err)
{
	api_portal *p = calloc(1, sizeof *p);

	*out = NULL;
	if (p == NULL || (p->files = calloc(PORTAL_FILES_MAX, sizeof *p->files)) == NULL) {
		free(p);
		return util_fail(err, UTIL_ENOMEM, "out of memory for the portal");
	}
	if (load_dir(p, dir, "", 0, err) != 0) {
		api_portal_free(p);
		return -1;
	}
	qsort(p->files, p->n, sizeof *p->files, by_path);
	if (find(p, "/index.html") == NULL) {
		api_portal_free(p);
		return util_fail(err, UTIL_EINVAL, "the portal directory %s has no index.html", dir);
	}
	*out = p;
	return 0;
}

void api_portal_free(api_portal *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->files[i].data);
	free(p->files);
	free(p);
}

int api_portal_serve(api_req *r)
{
	const api_portal *p = r->srv->portal;
	const portal_file *f;

	if (p == NULL || r->escaped_path || (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0))
		return 0;
	/* the path as MHD decoded it, compared whole with the loaded names: it never reaches the file system */
	if ((f = find(p, strcmp(r->url, "/") == 0 ? "/index.html" : r->url)) == NULL)
		return 0;
	api_reply_static(r, f->type, f->data, f->len);
	return 1;
}
