/* config.c - loading: a file or a buffer -> struct config, and the loader
 * every config*.c file reports through.
 *
 * yamldoc gives a resolved tree (merges applied, duplicate keys reported);
 * the key tables (config_keys.c) give it meaning, section by section, and
 * config_target.c builds each target. A bad value only leaves a message in
 * the loader's sink, so one pass finds all mistakes; the config is handed
 * out only when the sink stayed empty. Also: finding the file, freeing. */
#include "config_keys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "theme.h"

/* ---- the loader ----------------------------------------------------------- */

void loader_init(struct loader *L, const char *file)
{
	memset(L, 0, sizeof(*L));
	ysink_init(&L->errs, file);
	ysink_init(&L->warns, file);
	L->cfg = xcalloc(1, sizeof(*L->cfg));
	keys_init(L, &keys_settings, &L->cfg->settings);
	tbuild_init(L, &L->tpl);
}

void loader_err(struct loader *L, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ysink_vaddf(&L->errs, at ? at->line : 1, at ? at->col : 1, fmt, ap);
	va_end(ap);
}

void loader_warn(struct loader *L, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ysink_addf(&L->warns, at ? at->line : 1, at ? at->col : 1, "warning: %s", msg);
	free(msg);
}

static int ynode_pos_cmp(const void *pa, const void *pb)
{
	const struct ynode *a = *(const struct ynode *const *)pa;
	const struct ynode *b = *(const struct ynode *const *)pb;

	return a->line != b->line ? (a->line > b->line) - (a->line < b->line) :
				    (a->col > b->col) - (a->col < b->col);
}

/* One warning names every key of Gatus' format that uptop passed over,
 * in file order. */
static void warn_ignored(struct loader *L)
{
	char *list = NULL;

	if (!L->nignored)
		return;
	qsort(L->ignored, L->nignored, sizeof(*L->ignored), ynode_pos_cmp);
	for (size_t i = 0; i < L->nignored; i++) {
		const struct ynode *k = L->ignored[i];
		char *next = xasprintf("%s%s%.*s (line %d)", list ? list : "", i ? ", " : "",
				       (int)k->len, k->str, k->line);

		free(list);
		list = next;
	}
	loader_warn(L, L->ignored[0], "uptop does not act on %s: %s",
		    L->nignored == 1 ? "this key" : "these keys", list);
	free(list);
}

int loader_done(struct loader *L, bool ok, struct config **out, struct diag *errs)
{
	keys_clear(&keys_target, &L->tpl.t);
	L->cfg->has_secrets = L->has_secrets;
	free(L->names);
	free(L->ignored);
	L->names = NULL;
	L->ignored = NULL;
	if (!ok || L->errs.n) {
		ysink_flush(&L->errs, errs);
		ysink_clear(&L->warns);
		config_free(L->cfg);
		return -1;
	}
	ysink_clear(&L->errs);
	ysink_flush(&L->warns, &L->cfg->warnings);
	*out = L->cfg;
	return 0;
}

/* ---- settings ------------------------------------------------------------- */

/* The theme is checked here, not when the live table starts, so
 * --check-config and every mode refuse what the table would refuse, at
 * the key's line:col. */
bool sconf_theme(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct settings *st = obj;
	struct diag terrs = { 0 };
	struct theme th;
	bool bad;
	char *name = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (name && theme_load(name, &th, &terrs) != 0) {
		for (size_t i = 0; i < terrs.n; i++)
			loader_err(L, n, "%s: %s", k->name, terrs.msgs[i]);
		diag_clear(&terrs);
		free(name);
		return false;
	}
	free(st->theme);
	st->theme = name;
	return true;
}

/* ---- the top level -------------------------------------------------------- */

/* settings.canary names a target: one that does not exist is a mistake
 * to say now, not an outage rule that silently never fires. O(targets). */
static void check_canary(struct loader *L, const struct ynode *at)
{
	const struct config *c = L->cfg;

	if (!c->settings.canary || !c->ntargets)
		return;
	for (size_t i = 0; i < c->ntargets; i++)
		if (c->targets[i].name && strcmp(c->targets[i].name, c->settings.canary) == 0)
			return;
	loader_err(L, at, "canary: no target is named %s",
		   yquote(c->settings.canary, strlen(c->settings.canary)));
}

static void load_root(struct loader *L, const struct ynode *root)
{
	if (!root) {
		loader_err(L, NULL, "no targets: the file has no content (add a 'targets:' list)");
		return;
	}
	if (root->kind != YNODE_MAP) {
		loader_err(L, root, "expected a mapping with a 'targets:' list at the top level, "
			   "got %s", ynode_describe(root));
		return;
	}
	L->gatus = ynode_get(root, "endpoints") != NULL;
	keys_apply(L, &keys_top, L->cfg, root, NULL);
	if (!ynode_get(root, "targets") && !L->gatus)
		loader_err(L, root, "no targets: add a 'targets:' list");
	else if (L->cfg->ntargets == 0 && !L->errs.n)
		loader_err(L, root, "no targets: every endpoint has 'enabled: false'");
	tconf_check_names(L);
	aconf_finish(L);
	warn_ignored(L);
	check_canary(L, ynode_get(ynode_get(root, "settings"), "canary"));
}

/* ---- public --------------------------------------------------------------- */

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntargets; i++) {
		keys_clear(&keys_target, &c->targets[i]);
		tconf_clear(&c->targets[i]);
	}
	free(c->targets);
	aconf_free(c);
	diag_clear(&c->warnings);
	keys_clear(&keys_settings, &c->settings);
	free(c->path);
	free(c);
}

int config_load_buffer(const char *name, const char *buf, size_t len, struct config **out,
		       struct diag *errs)
{
	struct loader L;
	struct yamldoc *doc = NULL;

	*out = NULL;
	loader_init(&L, name);
	L.cfg->path = xstrdup(name);
	if (yamldoc_load(buf, len, &doc, &L.errs) == 0)
		load_root(&L, yamldoc_root(doc));
	yamldoc_free(doc);
	return loader_done(&L, true, out, errs);
}

/* Reads the whole file, refusing directories and anything over the size
 * limit (also for pipes, whose size fstat cannot tell). */
static int read_file(const char *path, char **out, size_t *outlen, struct diag *errs)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		diag_addf(errs, "%s:1:1: cannot open the config file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		diag_addf(errs, "%s:1:1: cannot read the config file: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_addf(errs, "%s:1:1: is a directory, not a config file", path);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_size > YAMLDOC_MAX_BYTES) {
		diag_addf(errs, "%s:1:1: the file is too large (%.1f MiB; the limit is %d MiB)",
			  path, (double)st.st_size / (1024 * 1024), YAMLDOC_MAX_BYTES / (1024 * 1024));
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (len > YAMLDOC_MAX_BYTES) {
			diag_addf(errs, "%s:1:1: the file is too large (the limit is %d MiB)", path,
				  YAMLDOC_MAX_BYTES / (1024 * 1024));
			goto fail;
		}
		buf = xreallocarray_grow(buf, &cap, len + 65536, 1);
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			diag_addf(errs, "%s:1:1: cannot read the config file: %s", path,
				  strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

int config_load(const char *path, struct config **out, struct diag *errs)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (read_file(path, &buf, &len, errs) < 0)
		return -1;
	rc = config_load_buffer(path, buf, len, out, errs);
	free(buf);
	return rc;
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *config_find(void)
{
	const char *env = getenv("UPTOP_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p;

	/* Returned even when missing, so the caller says "cannot open". */
	if (env && *env)
		return xstrdup(env);
	if (file_exists("uptop.yaml"))
		return xstrdup("uptop.yaml");
	if (xdg && *xdg == '/')
		p = xasprintf("%s/uptop/config.yaml", xdg);
	else if (home && *home)
		p = xasprintf("%s/.config/uptop/config.yaml", home);
	else
		return NULL;
	if (file_exists(p))
		return p;
	free(p);
	return NULL;
}

/* ---- settings the command line shares -------------------------------------- */

/* 127.0.0.0/8, ::1, or ::ffff:127.x.y.z */
static bool listen_loopback(const char *host, bool v6)
{
	static const unsigned char one[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned char a[16];

	if (!v6)
		return inet_pton(AF_INET, host, a) == 1 && a[0] == 127;
	if (inet_pton(AF_INET6, host, a) != 1)
		return false;
	return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

int config_parse_listen(const char *s, struct listen_addr *out, char *err, size_t elen)
{
	const char *colon = strrchr(s, ':');
	unsigned char a[16];
	size_t hlen;
	long long port;

	memset(out, 0, sizeof(*out));
	if (!colon) {
		snprintf(err, elen, "'%s': expected ADDR:PORT or :PORT", s);
		return -1;
	}
	if (decimal_parse(colon + 1, &port) != 0 || port < 1 || port > 65535) {
		snprintf(err, elen, "'%s': the port must be 1..65535", s);
		return -1;
	}
	out->port = (int)port;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
		out->v6 = true;
	}
	if (hlen >= sizeof(out->host)) {
		snprintf(err, elen, "'%.60s...': not an IP address", s);
		return -1;
	}
	memcpy(out->host, s, hlen);
	out->host[hlen] = '\0';
	if (!hlen || (!out->v6 && strcmp(out->host, "localhost") == 0))
		snprintf(out->host, sizeof(out->host), "127.0.0.1");
	if (inet_pton(out->v6 ? AF_INET6 : AF_INET, out->host, a) != 1) {
		snprintf(err, elen, "'%s': %s", out->host,
			 out->v6 ? "not an IPv6 address" :
			 strpbrk(out->host, "[]") ? "unbalanced brackets ([IPv6]:PORT)" :
			 strchr(out->host, ':') ? "an IPv6 address goes in brackets, [::1]:PORT" :
			 "not an IPv4 address (names other than localhost are not looked up)");
		return -1;
	}
	out->loopback = listen_loopback(out->host, out->v6);
	return 0;
}

bool sconf_metrics(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct settings *st = obj;
	struct listen_addr la;
	char err[160];
	bool bad;
	char *v = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (v && config_parse_listen(v, &la, err, sizeof(err)) != 0) {
		loader_err(L, n, "%s: %s", k->name, err);
		free(v);
		return false;
	}
	free(st->metrics);
	st->metrics = v;
	return true;
}

int config_parse_shard(const char *s, unsigned *k, unsigned *n, char *err, size_t elen)
{
	const char *slash = strchr(s, '/');
	long long kk, nn;
	char kbuf[24];

	if (!slash || (size_t)(slash - s) >= sizeof(kbuf)) {
		snprintf(err, elen, "'%s': expected K/N, e.g. 1/3", s);
		return -1;
	}
	memcpy(kbuf, s, (size_t)(slash - s));
	kbuf[slash - s] = '\0';
	if (decimal_parse(kbuf, &kk) != 0 || decimal_parse(slash + 1, &nn) != 0) {
		snprintf(err, elen, "'%s': expected K/N, e.g. 1/3", s);
		return -1;
	}
	if (nn < 1 || nn > 1000 || kk < 1 || kk > nn) {
		snprintf(err, elen, "'%s': needs 1 <= K <= N <= 1000", s);
		return -1;
	}
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 0;
}

unsigned config_shard_of(const char *name, unsigned n)
{
	return n ? (unsigned)(hash_fnv1a(name) % n) + 1 : 1;
}

/* O(targets): a single pass that slides the kept ones down. */
size_t config_shard(struct config *c, unsigned k, unsigned n)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->ntargets; i++) {
		struct target_conf *t = &c->targets[i];

		if (config_shard_of(t->name, n) == k) {
			if (kept != i)
				c->targets[kept] = *t;
			kept++;
			continue;
		}
		keys_clear(&keys_target, t);
		tconf_clear(t);
	}
	c->ntargets = kept;
	return kept;
}
