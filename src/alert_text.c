/* alert_text.c - what one alert says: placeholders for webhooks, UPTOP_*
 * variables and a JSON line for commands. Pure: strings in, strings out. */
#include "alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "target.h"
#include "util.h"

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->p = xreallocarray_grow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A JSON string's inside, without its quotes. */
static void sb_json_inner(struct sbuf *b, const char *s)
{
	size_t cap = strlen(s) * 6 + 3;
	char *q = xmalloc(cap);
	size_t n = fmt_json_string(q, cap, s);

	if (n >= 2)
		sb_add(b, q + 1, n - 2);
	free(q);
}

static void sb_json(struct sbuf *b, const char *s)
{
	sb_str(b, "\"");
	sb_json_inner(b, s);
	sb_str(b, "\"");
}

static void sb_escaped(struct sbuf *b, const char *s, enum alert_esc how)
{
	switch (how) {
	case ALERT_ESC_JSON:
		sb_json_inner(b, s);
		return;
	case ALERT_ESC_URL:
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			char hex[4];

			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
				sb_add(b, (const char *)p, 1);
				continue;
			}
			snprintf(hex, sizeof(hex), "%%%02X", *p);
			sb_add(b, hex, 3);
		}
		return;
	case ALERT_ESC_HEADER:
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			sb_add(b, *p < ' ' || *p == 0x7f ? " " : (const char *)p, 1);
		return;
	case ALERT_ESC_NONE:
		sb_str(b, s);
		return;
	}
}

static void iso(char *buf, size_t len, int64_t wall)
{
	if (wall > 0)
		fmt_iso_time(buf, len, wall);
	else
		snprintf(buf, len, "%s", "");
}

/* [RESULT_ERRORS]: Gatus joins a result's errors; ours is one. */
static char *result_errors(const struct alert_ctx *c)
{
	if (!*c->error_class)
		return xstrdup(c->error);
	if (!*c->error)
		return xstrdup(c->error_class);
	return xasprintf("%s: %s", c->error_class, c->error);
}

/* The value of placeholder `ph` (its brackets included), or NULL. *owned:
 * the caller frees it. */
static const char *value_of(const struct alert_ctx *c, const char *ph, size_t len, char *tbuf,
			    size_t tlen, char **owned)
{
	static const struct {
		const char *name;
		int what;
	} names[] = {
		{ "[NAME]", 0 }, { "[ENDPOINT_NAME]", 0 }, { "[GROUP]", 1 },
		{ "[ENDPOINT_GROUP]", 1 }, { "[URL]", 2 }, { "[ENDPOINT_URL]", 2 },
		{ "[STATE]", 3 }, { "[OLD_STATE]", 4 }, { "[ERROR_CLASS]", 5 }, { "[ERROR]", 6 },
		{ "[TIME]", 7 }, { "[SINCE]", 8 }, { "[ALERT]", 9 },
		{ "[ALERT_DESCRIPTION]", 10 }, { "[RESULT_ERRORS]", 11 },
		{ "[ALERT_TRIGGERED_OR_RESOLVED]", 12 }, { "[ERROR_DETAIL]", 13 },
	};

	*owned = NULL;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (strlen(names[i].name) != len || memcmp(names[i].name, ph, len) != 0)
			continue;
		switch (names[i].what) {
		case 0: return c->name;
		case 1: return c->group;
		case 2: return c->url;
		case 3: return state_name((enum state)c->to);
		case 4: return state_name((enum state)c->from);
		case 5: return c->error_class;
		case 6: return c->error;
		case 7: iso(tbuf, tlen, c->time_wall); return tbuf;
		case 8: iso(tbuf, tlen, c->since_wall); return tbuf;
		case 9: return c->alert;
		case 10: return c->description;
		case 11: return *owned = result_errors(c);
		case 13: return c->error_detail ? c->error_detail : "";
		default: return c->resolved ? "RESOLVED" : "TRIGGERED";
		}
	}
	return NULL;
}

char *alert_expand(const char *tmpl, const struct alert_ctx *c, enum alert_esc how)
{
	struct sbuf b = { 0 };
	const char *p = tmpl ? tmpl : "";

	sb_add(&b, "", 0);
	while (*p) {
		const char *open = strchr(p, '['), *close;
		char tbuf[40], *owned;
		const char *v;

		if (!open) {
			sb_str(&b, p);
			break;
		}
		sb_add(&b, p, (size_t)(open - p));
		close = strchr(open, ']');
		if (!close) {
			sb_str(&b, open);
			break;
		}
		v = value_of(c, open, (size_t)(close - open) + 1, tbuf, sizeof(tbuf), &owned);
		if (v) {
			sb_escaped(&b, v, how);
			p = close + 1;
		} else {
			/* not ours: keep the '[' and look again after it */
			sb_add(&b, open, 1);
			p = open + 1;
		}
		free(owned);
	}
	return b.p;
}

static void env_add(char ***v, size_t *n, size_t *cap, const char *name, const char *val)
{
	*v = xreallocarray_grow(*v, cap, *n + 2, sizeof(**v));
	(*v)[(*n)++] = xasprintf("%s=%s", name, val);
	(*v)[*n] = NULL;
}

char **alert_env(const struct alert_ctx *c, size_t *n)
{
	char **v = NULL, t[40], s[40], out[16];
	size_t cap = 0;

	*n = 0;
	iso(t, sizeof(t), c->time_wall);
	iso(s, sizeof(s), c->since_wall);
	out[0] = '\0';
	if (c->outage)
		snprintf(out, sizeof(out), "%u", c->outage);
	env_add(&v, n, &cap, "UPTOP_NAME", c->name);
	env_add(&v, n, &cap, "UPTOP_GROUP", c->group);
	env_add(&v, n, &cap, "UPTOP_URL", c->url);
	env_add(&v, n, &cap, "UPTOP_OLD", state_name((enum state)c->from));
	env_add(&v, n, &cap, "UPTOP_NEW", state_name((enum state)c->to));
	env_add(&v, n, &cap, "UPTOP_ERROR_CLASS", c->error_class);
	env_add(&v, n, &cap, "UPTOP_ERROR", c->error);
	env_add(&v, n, &cap, "UPTOP_ERROR_DETAIL", c->error_detail ? c->error_detail : "");
	env_add(&v, n, &cap, "UPTOP_TIME", t);
	env_add(&v, n, &cap, "UPTOP_SINCE", s);
	env_add(&v, n, &cap, "UPTOP_OUTAGE", out);
	env_add(&v, n, &cap, "UPTOP_ALERT", c->alert);
	env_add(&v, n, &cap, "UPTOP_REPEAT", c->repeat ? "1" : "0");
	env_add(&v, n, &cap, "UPTOP_DESCRIPTION", c->description);
	return v;
}

void alert_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

static void json_field(struct sbuf *b, const char *key, const char *v, bool null_if_empty)
{
	sb_str(b, ",\"");
	sb_str(b, key);
	sb_str(b, "\":");
	if (null_if_empty && !*v)
		sb_str(b, "null");
	else
		sb_json(b, v);
}

char *alert_json_line(const struct alert_ctx *c, size_t *len)
{
	struct sbuf b = { 0 };
	char t[40], s[40], num[32];

	iso(t, sizeof(t), c->time_wall);
	iso(s, sizeof(s), c->since_wall);
	sb_str(&b, "{\"alert\":");
	sb_json(&b, c->alert);
	json_field(&b, "name", c->name, false);
	json_field(&b, "group", c->group, false);
	json_field(&b, "url", c->url, false);
	json_field(&b, "transition", state_name((enum state)c->to), false);
	json_field(&b, "old", state_name((enum state)c->from), false);
	json_field(&b, "new", state_name((enum state)c->to), false);
	json_field(&b, "error_class", c->error_class, true);
	json_field(&b, "error", c->error, true);
	json_field(&b, "error_detail", c->error_detail ? c->error_detail : "", true);
	json_field(&b, "description", c->description, false);
	json_field(&b, "time", t, true);
	json_field(&b, "since", s, true);
	snprintf(num, sizeof(num), "%u", c->outage);
	sb_str(&b, ",\"outage\":");
	sb_str(&b, c->outage ? num : "null");
	sb_str(&b, c->repeat ? ",\"repeat\":true" : ",\"repeat\":false");
	sb_str(&b, c->resolved ? ",\"resolved\":true}\n" : ",\"resolved\":false}\n");
	*len = b.n;
	return b.p;
}
