/* config_alert.c - alerts: (where alerts go) and maintenance windows, as
 * key tables and the hooks that build them.
 *
 *   alerts:                       a list; each has a name and exactly one
 *     - name: pager               of command: (argv, never a shell) or
 *       command: [page, --team]   webhook: {url, method, headers, body}
 *       on: [down, up]
 *       repeat: 30m
 *       timeout: 10s
 *   maintenance:                  Gatus' shape: one window or a list
 *     start: "23:00"
 *     duration: 1h
 *     every: [Monday, Thursday]
 *     timezone: Europe/Berlin
 *
 * A target's alerts: [names] picks some (default: every alert), its
 * maintenance: adds windows of its own (a Gatus endpoint's
 * maintenance-windows: too). Time zones are checked against the tz
 * database when the file loads, so a typo is an error at its line, not a
 * window that opens at the wrong hour. */
#include "config_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECOND 1000LL
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static key_parse_fn aconf_name, aconf_on, wconf_url, wconf_method, wconf_headers,
	mconf_every, mconf_timezone;
static key_copy_fn aconf_on_copy, wconf_url_copy, wconf_headers_copy, mconf_every_copy;
static key_clear_fn aconf_on_clear, wconf_url_clear, wconf_headers_clear, mconf_every_clear;

/* ---- the tables ----------------------------------------------------------- */

#define W(kind, f) KEY_##kind(struct webhook_conf, f)

static const struct ckey webhook_rows[] = {
	{ .name = "url", W(STRING, url), .flags = KF_EXPAND, .parse = wconf_url,
	  .copy = wconf_url_copy, .clear = wconf_url_clear,
	  .help = "required: http:// or https://" },
	{ .name = "method", W(STRING, method), .def = "POST", .parse = wconf_method,
	  .help = "POST, PUT, GET, ..." },
	{ .name = "headers", .kind = KIND_MAP, .max = 100, .flags = KF_EXPAND | KF_OPTIONAL,
	  .parse = wconf_headers, .copy = wconf_headers_copy, .clear = wconf_headers_clear,
	  .help = "Name: value" },
	{ .name = "body", W(STRING, body), .flags = KF_EXPAND | KF_OPTIONAL,
	  .help = "with [NAME], [STATE], [ERROR]..." },
};

static const struct ktable keys_webhook = { "webhook: of an alert", webhook_rows,
					    ARRAY_LEN(webhook_rows), "in a webhook",
					    "it belongs under 'webhook:' of an alert", false };

#define A(kind, f) KEY_##kind(struct alert_conf, f)

static const struct ckey alert_rows[] = {
	{ .name = "name", A(STRING, name), .parse = aconf_name,
	  .help = "required: letters, digits, - _ ." },
	{ .name = "command", A(LIST, command), .max = 256, .flags = KF_EXPAND,
	  .help = "argv: [program, arg...], no shell" },
	{ .name = "webhook", KEY_MAP(struct alert_conf, webhook, struct webhook_conf),
	  .sub = &keys_webhook, .help = "a request: url, method, headers, body" },
	{ .name = "on", .kind = KIND_LIST, .off = KEY_AT(struct alert_conf, on, int),
	  .def = "down, up", .parse = aconf_on, .copy = aconf_on_copy, .clear = aconf_on_clear,
	  .help = "transitions: down, up (resolved), degraded" },
	{ .name = "repeat", A(DURATION, repeat_ms), .word = "none", .flags = KF_OPTIONAL,
	  .min = SECOND, .max = 7 * DAY, .def = "none",
	  .help = "remind while still down" },
	{ .name = "timeout", A(DURATION, timeout_ms), .min = 1, .max = HOUR, .def = "10s",
	  .help = "a command is killed, a request given up" },
};
_Static_assert(ARRAY_LEN(alert_rows) <= KEYS_MAX, "raise KEYS_MAX");

const struct ktable keys_alert = { "an entry of alerts:", alert_rows, ARRAY_LEN(alert_rows),
				   "in an alert", "it belongs in an entry of 'alerts:'", false };

#define M(kind, f) KEY_##kind(struct maint_window, f)

static const struct ckey maint_rows[] = {
	{ .name = "enabled", M(BOOL, enabled), .def = "true",
	  .help = "false: the window never opens" },
	{ .name = "start", M(CLOCK, start_min), .min = 0, .max = 24 * 60 - 1,
	  .help = "required: \"23:00\", in timezone" },
	{ .name = "duration", M(DURATION, duration_ms), .min = MINUTE, .max = 7 * DAY,
	  .help = "required: how long it stays open" },
	{ .name = "every", .kind = KIND_LIST, .off = KEY_AT(struct maint_window, days, uint8_t),
	  .max = 7, .parse = mconf_every, .copy = mconf_every_copy, .clear = mconf_every_clear,
	  .help = "weekdays [Monday, ...]; default every day" },
	{ .name = "timezone", M(STRING, timezone), .flags = KF_OPTIONAL,
	  .parse = mconf_timezone, .help = "Europe/Berlin, Local; default UTC" },
};

const struct ktable keys_maint = { "a maintenance window (maintenance:, a target's too)",
				   maint_rows, ARRAY_LEN(maint_rows), "in a maintenance window",
				   "it belongs in a window of 'maintenance:'", false };

/* ---- alerts --------------------------------------------------------------- */

int config_alert_index(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nalerts; i++)
		if (c->alerts[i].name && strcmp(c->alerts[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Names go into events ("pager: sent") and JSON: no ':' and no spaces. */
static bool aconf_name(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct alert_conf *a = obj;
	const char *s = key_scalar(L, n, k->name, "a name like pager");

	if (!s)
		return false;
	if (!*s || n->len > ALERT_NAME_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz"
						     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "0123456789-_.") != n->len) {
		loader_err(L, n, "%s %s: use 1 to %d letters, digits, '-', '_' or '.'", k->name,
			   yquote(s, n->len), ALERT_NAME_MAX);
		return false;
	}
	free(a->name);
	a->name = xstrdup(s);
	return true;
}

static const struct {
	const char *word;
	int bit;
} on_words[] = { { "down", ALERT_ON_DOWN }, { "up", ALERT_ON_UP },
		 { "resolved", ALERT_ON_UP }, { "degraded", ALERT_ON_DEGRADED } };

/* One word of on:, or "a, b" in one scalar (the built-in default). */
static bool on_word(struct loader *L, const struct ynode *at, const char *s, size_t len, int *bits)
{
	for (size_t i = 0; i < ARRAY_LEN(on_words); i++) {
		if (strlen(on_words[i].word) == len && strncasecmp(s, on_words[i].word, len) == 0) {
			*bits |= on_words[i].bit;
			return true;
		}
	}
	loader_err(L, at, "on: %s is not a transition (down, up, degraded)", yquote(s, len));
	return false;
}

static bool aconf_on(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	int *on = (int *)(void *)((char *)obj + k->off), bits = 0;
	size_t cnt;
	const struct ynode *const *items = key_items(L, k, &n, "a list like [down, up]", &cnt);
	bool ok = true;

	if (!items)
		return false;
	for (size_t i = 0; i < cnt; i++) {
		const char *s = key_scalar(L, items[i], k->name, "down, up or degraded");

		if (!s) {
			ok = false;
			continue;
		}
		for (const char *p = s; *p;) {
			size_t len;

			p += strspn(p, ", ");
			len = strcspn(p, ", ");
			if (len && !on_word(L, items[i], p, len, &bits))
				ok = false;
			p += len;
		}
	}
	if (ok && !bits) {
		loader_err(L, n, "%s: list at least one transition (down, up, degraded)", k->name);
		ok = false;
	}
	if (ok)
		*on = bits;
	return ok;
}

static void aconf_on_copy(const struct ckey *k, void *dst, const void *src)
{
	(void)k;
	(void)dst;
	(void)src;   /* a plain int: the shallow copy has it */
}

static void aconf_on_clear(const struct ckey *k, void *obj)
{
	*(int *)(void *)((char *)obj + k->off) = 0;
}

/* ---- webhooks ------------------------------------------------------------- */

static bool wconf_url(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct webhook_conf *w = obj;
	bool bad, password;
	char why[512], *url = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (!config_url_check(url, &password, why, sizeof(why))) {
		char *shown = config_url_redacted(n->str);

		loader_err(L, n, "url %s: %s", yquote(shown, strlen(shown)), why);
		free(shown);
		free(url);
		return false;
	}
	if (password)
		L->has_secrets = true;
	free(w->url);
	free(w->url_shown);
	w->url = url;
	/* as written: a ${TOKEN} stays a name, a password becomes *** */
	w->url_shown = config_url_redacted(n->str);
	return true;
}

static void wconf_url_copy(const struct ckey *k, void *dst, const void *src)
{
	const struct webhook_conf *s = src;
	struct webhook_conf *d = dst;

	(void)k;
	d->url = s->url ? xstrdup(s->url) : NULL;
	d->url_shown = s->url_shown ? xstrdup(s->url_shown) : NULL;
}

static void wconf_url_clear(const struct ckey *k, void *obj)
{
	struct webhook_conf *w = obj;

	(void)k;
	free(w->url);
	free(w->url_shown);
	w->url = w->url_shown = NULL;
}

static bool wconf_method(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct webhook_conf *w = obj;
	const char *s = key_scalar(L, n, k->name, "a method like POST");
	char *m;

	if (!s)
		return false;
	if (!config_is_token(s, n->len)) {
		loader_err(L, n, "%s %s is not a valid HTTP method (like POST or PUT)", k->name,
			   yquote(s, n->len));
		return false;
	}
	m = xstrdup(s);
	for (char *p = m; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	free(w->method);
	w->method = m;
	return true;
}

static bool wconf_headers(struct loader *L, const struct ckey *k, void *obj,
			  const struct ynode *n)
{
	struct webhook_conf *w = obj;

	return config_headers_parse(L, k, n, &w->headers, &w->nheaders);
}

static void wconf_headers_copy(const struct ckey *k, void *dst, const void *src)
{
	const struct webhook_conf *s = src;
	struct webhook_conf *d = dst;

	(void)k;
	d->headers = config_headers_copy(s->headers, s->nheaders);
}

static void wconf_headers_clear(const struct ckey *k, void *obj)
{
	struct webhook_conf *w = obj;

	(void)k;
	config_headers_free(w->headers, w->nheaders);
	w->headers = NULL;
	w->nheaders = 0;
}

/* A JSON body gets its values JSON-escaped: the Content-Type says so, or
 * (without one) the body looks like an object or an array ("[NAME] is
 * down" is text: a placeholder is no array). */
static bool webhook_is_json(const struct webhook_conf *w)
{
	const char *b = w->body;

	for (size_t i = 0; i < w->nheaders; i++)
		if (strcasecmp(w->headers[i].name, "Content-Type") == 0)
			return strcasestr(w->headers[i].value, "json") != NULL;
	if (!b)
		return false;
	b += strspn(b, " \t\r\n");
	return *b == '{' || (*b == '[' && !(b[1] >= 'A' && b[1] <= 'Z'));
}

/* ---- one alert ------------------------------------------------------------ */

/* Whether argv[0] can be run: a path is checked as it is, a bare name
 * along $PATH, as posix_spawnp will. */
static bool command_found(const char *prog)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		char *full = xasprintf("%.*s%s%s", (int)len, p, len ? "/" : "", prog);
		bool ok = access(full, X_OK) == 0;

		free(full);
		if (ok)
			return true;
		p += len;
		p += *p == ':';
	}
	return false;
}

static void alert_finish(struct loader *L, struct alert_conf *a, const struct kprov *p,
			 const struct ynode *e)
{
	int iname = keys_index(&keys_alert, "name"), icmd = keys_index(&keys_alert, "command");
	int ihook = keys_index(&keys_alert, "webhook");
	bool cmd = p->own[icmd], hook = p->own[ihook];

	a->line = e->line;
	if (!a->name && !p->bad[iname])
		loader_err(L, e, "this alert has no name (add 'name: pager')");
	if (!cmd && !hook)
		loader_err(L, e, "this alert has neither 'command:' nor 'webhook:' (give one: "
			   "command: [/usr/local/bin/page, --team, web], or webhook: {url: ...})");
	else if (cmd && hook)
		loader_err(L, p->src[ihook], "an alert has 'command:' or 'webhook:', not both "
			   "(make two alerts)");
	if (cmd && !p->bad[icmd] && a->command.n == 0)
		loader_err(L, p->src[icmd], "command: list the program and its arguments, like "
			   "[/usr/local/bin/page, --team, web]");
	if (cmd && a->command.n && !command_found(a->command.v[0]))
		loader_warn(L, p->src[icmd], "command %s: %s (alert %s will fail until it "
			    "exists)", yquote(a->command.v[0], strlen(a->command.v[0])),
			    strchr(a->command.v[0], '/') ? strerror(errno) : "not found in $PATH",
			    a->name ? a->name : "?");
	a->is_webhook = hook && !cmd;
	if (hook && !a->webhook.url && !p->bad[ihook] && p->src[ihook]->kind == YNODE_MAP &&
	    !ynode_get(p->src[ihook], "url"))
		loader_err(L, p->src[ihook], "webhook: no url (add 'url: https://...')");
	a->webhook.json = webhook_is_json(&a->webhook);
}

bool aconf_alerts(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct config *c = obj;
	size_t cap = c->nalerts;

	if (ynode_is_null(n))
		return true;
	if (n->kind != YNODE_SEQ) {
		loader_err(L, n, "%s: expected a list of alerts ('- name: pager'), got %s", k->name,
			   ynode_describe(n));
		return false;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *e = n->items[i];
		struct alert_conf a;
		struct kprov p;

		if (e->kind != YNODE_MAP) {
			loader_err(L, e, "%s: each entry must be a mapping (like '- name: pager'), "
				   "got %s", k->name, ynode_describe(e));
			continue;
		}
		if (c->nalerts == CONFIG_MAX_ALERTS) {
			loader_err(L, e, "%s: more than %d alerts", k->name, CONFIG_MAX_ALERTS);
			break;
		}
		memset(&a, 0, sizeof(a));
		memset(&p, 0, sizeof(p));
		keys_init(L, &keys_alert, &a);
		keys_apply(L, &keys_alert, &a, e, &p);
		alert_finish(L, &a, &p, e);
		if (a.name && config_alert_index(c, a.name) >= 0)
			loader_err(L, p.src[keys_index(&keys_alert, "name")],
				   "duplicate alert name %s (first at line %d)",
				   yquote(a.name, strlen(a.name)),
				   c->alerts[config_alert_index(c, a.name)].line);
		c->alerts = xreallocarray_grow(c->alerts, &cap, c->nalerts + 1, sizeof(*c->alerts));
		c->alerts[c->nalerts++] = a;
	}
	return true;
}

/* A target's alerts: [pager, chat]; [] for none. */
bool aconf_target_alerts(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	const struct config *c = L->cfg;
	size_t cnt;
	const struct ynode *const *items;
	uint64_t mask = 0;
	bool ok = true;

	if (ynode_is_null(n)) {
		loader_err(L, n, "%s: list alert names, or [] for none", k->name);
		return false;
	}
	if (!(items = key_items(L, k, &n, "a list of alert names like [pager]", &cnt)))
		return false;
	for (size_t i = 0; i < cnt; i++) {
		const char *s = key_scalar(L, items[i], k->name, "an alert's name");
		int idx;

		if (!s) {
			ok = false;
			continue;
		}
		if ((idx = config_alert_index(c, s)) >= 0) {
			mask |= (uint64_t)1 << idx;
			continue;
		}
		ok = false;
		if (!c->nalerts) {
			loader_err(L, items[i], "%s: no alert is named %s (there is no top-level "
				   "'alerts:' list)", k->name, yquote(s, items[i]->len));
		} else {
			char *names = xstrdup("");

			for (size_t j = 0; j < c->nalerts; j++) {
				char *next = xasprintf("%s%s%s", names, j ? ", " : "",
						       c->alerts[j].name ? c->alerts[j].name : "?");

				free(names);
				names = next;
			}
			loader_err(L, items[i], "%s: no alert is named %s (alerts: %s)", k->name,
				   yquote(s, items[i]->len), names);
			free(names);
		}
	}
	if (!ok)
		return false;
	t->alerts = mask;
	t->alerts_set = true;
	return true;
}

void aconf_target_alerts_copy(const struct ckey *k, void *dst, const void *src)
{
	(void)k;
	(void)dst;
	(void)src;   /* a mask and a flag: the shallow copy has them */
}

void aconf_target_alerts_clear(const struct ckey *k, void *obj)
{
	struct target_conf *t = obj;

	(void)k;
	t->alerts = 0;
	t->alerts_set = false;
}

void aconf_finish(struct loader *L)
{
	struct config *c = L->cfg;
	uint64_t all = c->nalerts >= 64 ? UINT64_MAX : ((uint64_t)1 << c->nalerts) - 1;

	for (size_t i = 0; i < c->ntargets; i++)
		if (!c->targets[i].alerts_set)
			c->targets[i].alerts = all;
}

/* ---- maintenance windows -------------------------------------------------- */

static const char *const weekdays[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };

/* "Monday" or "mon", any case -> 0..6 (Sunday 0); -1 otherwise. */
static int weekday(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if ((len == strlen(weekdays[d]) || len == 3) &&
		    strncasecmp(s, weekdays[d], len) == 0)
			return d;
	return -1;
}

static bool mconf_every(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct maint_window *w = obj;
	size_t cnt;
	const struct ynode *const *items;
	uint8_t days = 0;
	bool ok = true;

	if (ynode_is_null(n)) {
		w->days = 0x7f;
		return true;
	}
	if (!(items = key_items(L, k, &n, "a list of weekdays like [Monday, Thursday]", &cnt)))
		return false;
	for (size_t i = 0; i < cnt; i++) {
		const char *s = key_scalar(L, items[i], k->name, "a weekday like Monday");
		int d;

		if (!s) {
			ok = false;
		} else if ((d = weekday(s, items[i]->len)) < 0) {
			loader_err(L, items[i], "%s: %s is not a weekday (Monday ... Sunday)",
				   k->name, yquote(s, items[i]->len));
			ok = false;
		} else {
			days |= (uint8_t)(1u << d);
		}
	}
	if (ok)
		w->days = cnt ? days : 0x7f;   /* Gatus: an empty list is every day */
	return ok;
}

static void mconf_every_copy(const struct ckey *k, void *dst, const void *src)
{
	(void)k;
	(void)dst;
	(void)src;
}

static void mconf_every_clear(const struct ckey *k, void *obj)
{
	(void)k;
	((struct maint_window *)obj)->days = 0x7f;
}

/* A zone of the tz database ("Europe/Berlin"), "UTC" or "Local" (the
 * machine's): an unknown name is a mistake to say at its line, not a
 * window that silently opens at UTC times. */
static bool tz_known(const char *tz, char *why, size_t len)
{
	const char *dir = getenv("TZDIR");
	char magic[4], *path;
	int fd;
	ssize_t r;

	if (strcasecmp(tz, "UTC") == 0 || strcmp(tz, "Local") == 0)
		return true;
	if (!*tz || tz[0] == '/' || strstr(tz, "..") ||
	    strspn(tz, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") !=
		    strlen(tz)) {
		snprintf(why, len, "not a time zone name (like Europe/Berlin, UTC or Local)");
		return false;
	}
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	path = xasprintf("%s/%s", dir, tz);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	r = fd >= 0 ? read(fd, magic, sizeof(magic)) : -1;
	if (fd >= 0)
		close(fd);
	if (r != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0) {
		snprintf(why, len, "unknown time zone (not in %s; names look like "
			 "Europe/Berlin; also UTC or Local)", dir);
		free(path);
		return false;
	}
	free(path);
	return true;
}

static bool mconf_timezone(struct loader *L, const struct ckey *k, void *obj,
			   const struct ynode *n)
{
	struct maint_window *w = obj;
	bool bad;
	char why[256], *tz = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (tz && !tz_known(tz, why, sizeof(why))) {
		loader_err(L, n, "%s %s: %s", k->name, yquote(tz, strlen(tz)), why);
		free(tz);
		return false;
	}
	free(w->timezone);
	w->timezone = tz;
	return true;
}

static struct maint_list *maint_field(const struct ckey *k, void *obj)
{
	return (struct maint_list *)(void *)((char *)obj + k->off);
}

static void windows_free(struct maint_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].timezone);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool window_parse(struct loader *L, const struct ynode *e, struct maint_window *w)
{
	int istart = keys_index(&keys_maint, "start"), idur = keys_index(&keys_maint, "duration");
	struct kprov p;
	size_t errs = L->errs.n;

	memset(w, 0, sizeof(*w));
	memset(&p, 0, sizeof(p));
	keys_init(L, &keys_maint, w);
	w->days = 0x7f;
	keys_apply(L, &keys_maint, w, e, &p);
	w->line = e->line;
	if (!p.own[istart])
		loader_err(L, e, "this maintenance window has no start (add 'start: \"23:00\"')");
	if (!p.own[idur])
		loader_err(L, e, "this maintenance window has no duration (add 'duration: 1h')");
	return L->errs.n == errs;
}

/* One window (a mapping, Gatus' top-level shape) or a list of them. */
bool mconf_windows(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct maint_list *l = maint_field(k, obj), got = { 0 };
	const struct ynode *const *items = &n;
	size_t cnt = 1;
	bool ok = true;

	if (ynode_is_null(n)) {
		windows_free(l);
		return true;
	}
	if (n->kind == YNODE_SEQ) {
		items = n->items;
		cnt = n->n;
	}
	got.v = xcalloc(cnt ? cnt : 1, sizeof(*got.v));
	for (size_t i = 0; i < cnt; i++) {
		if (items[i]->kind != YNODE_MAP) {
			loader_err(L, items[i], "%s: expected a window like {start: \"23:00\", "
				   "duration: 1h}, got %s", k->name, ynode_describe(items[i]));
			ok = false;
			continue;
		}
		if (!window_parse(L, items[i], &got.v[got.n++]))
			ok = false;
	}
	if (!ok) {
		windows_free(&got);
		return false;
	}
	windows_free(l);
	*l = got;
	return true;
}

void mconf_windows_copy(const struct ckey *k, void *dst, const void *src)
{
	const struct maint_list *s = (const void *)((const char *)src + k->off);
	struct maint_list *d = maint_field(k, dst);

	d->v = s->n ? xcalloc(s->n, sizeof(*d->v)) : NULL;
	d->n = s->n;
	for (size_t i = 0; i < s->n; i++) {
		d->v[i] = s->v[i];
		d->v[i].timezone = s->v[i].timezone ? xstrdup(s->v[i].timezone) : NULL;
	}
}

void mconf_windows_clear(const struct ckey *k, void *obj)
{
	windows_free(maint_field(k, obj));
}

void aconf_free(struct config *c)
{
	for (size_t i = 0; i < c->nalerts; i++)
		keys_clear(&keys_alert, &c->alerts[i]);
	free(c->alerts);
	c->alerts = NULL;
	c->nalerts = 0;
	windows_free(&c->maint);
}
