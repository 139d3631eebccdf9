/* ui_detail.c - the detail view (Enter), the curl command that reproduces
 * a check, the event timeline (e) and the help screen (?).
 *
 * Each view is a list of lines drawn through a "pen" that skips what is
 * scrolled off; a dry run first counts the lines so the scroll can be
 * clamped before anything is drawn. */
#include "ui_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#include "config.h"
#include "fmt.h"
#include "target.h"
#include "util.h"

struct pen {
	struct ui *ui;
	int y0, y1;      /* screen lines of the view */
	int scroll;      /* first content line shown */
	int line;        /* current content line */
	int x;
	bool dry;        /* count lines only */
};

static int pen_y(const struct pen *p)
{
	int y = p->y0 + p->line - p->scroll;

	return !p->dry && y >= p->y0 && y < p->y1 ? y : -1;
}

static void pen_put(struct pen *p, enum role r, const char *s)
{
	int y = pen_y(p);

	if (y >= 0 && p->x < COLS)
		p->x += ui_put(p->ui, y, p->x, COLS - p->x, r, s);
}

/* Puts s in exactly w columns (padded), so columns line up. */
static void pen_col(struct pen *p, enum role r, const char *s, int w)
{
	int y = pen_y(p);

	if (y >= 0 && p->x < COLS)
		ui_put(p->ui, y, p->x, w < COLS - p->x ? w : COLS - p->x, r, s);
	p->x += w;
}

static void pen_nl(struct pen *p)
{
	p->line++;
	p->x = 0;
}

/* Long outside text over several lines, cut at column boundaries (after
 * sanitising, so a control character cannot hide in a cut), each line
 * starting at column `indent`. */
static void pen_wrap(struct pen *p, enum role r, const char *s, int indent)
{
	char clean[RESULT_MSG_LEN * 4];
	int width = COLS - indent - 1 > 10 ? COLS - indent - 1 : 10;
	const char *at = clean;
	mbstate_t st;

	fmt_sanitize(clean, sizeof(clean), s, strlen(s), p->ui->utf8);
	while (*at) {
		const char *end = at;
		char line[RESULT_MSG_LEN * 4];
		int cols = 0;

		memset(&st, 0, sizeof(st));
		while (*end) {
			wchar_t wc;
			size_t l = mbrtowc(&wc, end, strlen(end), &st);
			int w;

			if (l == 0 || l == (size_t)-1 || l == (size_t)-2)
				l = 1, wc = '?';
			w = wcwidth(wc) > 0 ? wcwidth(wc) : 1;
			if (cols + w > width)
				break;
			cols += w;
			end += l;
		}
		if (end == at)
			end++;
		snprintf(line, sizeof(line), "%.*s", (int)(end - at), at);
		p->x = indent;
		pen_put(p, r, line);
		pen_nl(p);
		at = end;
	}
}

/* Text from the pen's x on, broken at blanks (fmt_wrap) onto lines that
 * start at column `indent`: a sentence of uptop's own, readable whole
 * at any width. */
static void pen_words(struct pen *p, enum role r, const char *s, int indent)
{
	char clean[RESULT_MSG_LEN * 4], line[RESULT_MSG_LEN * 4];
	const char *at = clean;

	fmt_sanitize(clean, sizeof(clean), s, strlen(s), p->ui->utf8);
	while (*at) {
		size_t cut = fmt_wrap(at, COLS - p->x);

		if (!cut && p->x > indent) {   /* nothing fits here: next line */
			pen_nl(p);
			p->x = indent;
			continue;
		}
		if (!cut)                      /* nor there: ui_put cuts it */
			cut = strlen(at);
		snprintf(line, sizeof(line), "%.*s", (int)cut, at);
		pen_put(p, r, line);
		for (at += cut; *at == ' '; at++)
			;
		if (!*at)
			break;
		pen_nl(p);
		p->x = indent;
	}
}

/* Is this wall-clock time from today (local)? */
static bool pen_today(int64_t wall)
{
	return fmt_day(wall) == fmt_day(wall_ms());
}

/* The stamp's column: "12:00:01" or "May 14 12:00:01", two blanks after. */
static int pen_stamp_w(bool dated)
{
	return dated ? 17 : 10;
}

/* Runs draw() once dry to count lines, clamps the scroll, then draws. */
static void pen_run(struct ui *ui, int y0, int y1, int *scroll,
		    void (*draw)(struct pen *, const void *), const void *arg)
{
	struct pen p = { .ui = ui, .y0 = y0, .y1 = y1, .dry = true };
	int max;

	draw(&p, arg);
	max = p.line - (y1 - y0);
	if (*scroll > max)
		*scroll = max;
	if (*scroll < 0)
		*scroll = 0;
	ui->view_lines = p.line;
	memset(&p, 0, sizeof(p));
	p.ui = ui;
	p.y0 = y0;
	p.y1 = y1;
	p.scroll = *scroll;
	draw(&p, arg);
}

/* --- curl ----------------------------------------------------------- */

struct words {
	char **v;
	size_t n, cap;
};

static void words_add(struct words *w, char *s)
{
	w->v = xreallocarray_grow(w->v, &w->cap, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = s;
}

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
}

/* 'text' for the shell: ' becomes '\''. */
static char *shell_single(const char *s)
{
	size_t n = 2;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	out = o = xmalloc(n + 1);
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* A word the shell reads as it is (a host, a name) stays bare; anything
 * else is quoted. Takes s. */
static char *shell_word(char *s)
{
	char *q;

	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.:@_-/") == strlen(s))
		return s;
	q = shell_single(s);
	free(s);
	return q;
}

/* "text" where ${VAR} stays live for the shell and nothing else expands. */
static char *shell_double_vars(const char *s)
{
	size_t n = 2;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += strchr("\\\"`$", *c) ? 2 : 1;
	out = o = xmalloc(n + 1);
	*o++ = '"';
	for (const char *c = s; *c; c++) {
		if (*c == '$' && c[1] == '{') {
			*o++ = '$';
			continue;
		}
		if (strchr("\\\"`$", *c))
			*o++ = '\\';
		*o++ = *c;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void curl_header(struct words *w, const struct header *h)
{
	char *hv;

	words_add(w, xstrdup("-H"));
	if (h->secret && h->shown && strstr(h->shown, "${")) {
		hv = xasprintf("%s: %s", h->name, h->shown);
		words_add(w, shell_double_vars(hv));
	} else {
		hv = xasprintf("%s: %s", h->name, h->secret ? "***" : h->value);
		words_add(w, shell_single(hv));
	}
	free(hv);
}

/* "5", "2.5": a timeout in seconds for a command's flag. */
static char *seconds_word(int64_t ms)
{
	if (ms % 1000)
		return xasprintf("%.3g", (double)ms / 1000.0);
	return xasprintf("%lld", (long long)(ms / 1000));
}

/* A host as commands take it: no brackets around an IPv6 address. */
static char *bare_host(const char *host)
{
	size_t n = strlen(host);

	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		return xstrndup(host + 1, n - 2);
	return xstrdup(host);
}

/* printf's format for bytes: \r, \n, \t, \\, %% and octal for the
 * rest of the unprintable; as one shell word. */
static char *printf_word(const char *s)
{
	size_t n = 1;
	char *f, *o, *word;

	for (const char *c = s; *c; c++)
		n += 4;
	f = o = xmalloc(n);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\r' || *c == '\n' || *c == '\t') {
			*o++ = '\\';
			*o++ = *c == '\r' ? 'r' : *c == '\n' ? 'n' : 't';
		} else if (*c == '\\' || *c == '%') {
			*o++ = (char)(*c == '%' ? '%' : '\\');
			*o++ = (char)*c;
		} else if (*c < 0x20 || *c == 0x7f) {
			o += sprintf(o, "\\%03o", *c);
		} else {
			*o++ = (char)*c;
		}
	}
	*o = '\0';
	word = shell_single(f);
	free(f);
	return word;
}

/* TCP: nc -vz (a connect); with send:, the bytes piped into nc; with
 * expect: alone, nc shows the banner. */
static void nc_words(const struct target_conf *tc, struct words *w)
{
	if (tc->tcp_send && !tc->tcp_send_secret) {
		words_add(w, xstrdup("printf"));
		words_add(w, printf_word(tc->tcp_send));
		words_add(w, xstrdup("|"));
	}
	words_add(w, xstrdup("nc"));
	words_add(w, xstrdup(tc->tcp_send || tc->tcp_expect ? "-v" : "-vz"));
	if (tc->ip_version != IPV_ANY)
		words_add(w, xstrdup(tc->ip_version == IPV_4 ? "-4" : "-6"));
	words_add(w, xstrdup("-w"));
	words_add(w, seconds_word(tc->timeout_ms));
	words_add(w, shell_word(bare_host(tc->host)));
	words_add(w, xasprintf("%d", tc->port));
	if (tc->tcp_send && tc->tcp_send_secret)
		words_add(w, xstrdup("# send: not shown (it uses a ${VAR})"));
}

/* DNS: dig @SERVER -p PORT NAME TYPE. */
static void dig_words(const struct target_conf *tc, struct words *w)
{
	char *h = bare_host(tc->host), *t = seconds_word(tc->timeout_ms);

	words_add(w, xstrdup("dig"));
	words_add(w, shell_word(xasprintf("@%s", h)));
	if (tc->port != CONFIG_DNS_PORT)
		words_add(w, xasprintf("-p %d", tc->port));
	words_add(w, shell_word(xstrdup(tc->dns_query_name)));
	words_add(w, xstrdup(tc->dns_query_type));
	words_add(w, xasprintf("+time=%s", t));
	free(h);
	free(t);
}

static void curl_words(const struct target_conf *tc, struct words *w)
{
	char url[RESULT_URL_LEN * 2];

	if (tc->kind == CHECK_TCP) {
		nc_words(tc, w);
		return;
	}
	if (tc->kind == CHECK_DNS) {
		dig_words(tc, w);
		return;
	}
	words_add(w, xstrdup("curl"));
	words_add(w, xstrdup("-sS"));
	words_add(w, xstrdup("-o"));
	words_add(w, xstrdup("/dev/null"));
	if (tc->method && strcmp(tc->method, "HEAD") == 0) {
		words_add(w, xstrdup("-I"));
	} else if (tc->method && strcmp(tc->method, tc->body ? "POST" : "GET") != 0) {
		words_add(w, xstrdup("-X"));
		words_add(w, shell_single(tc->method));
	}
	for (size_t i = 0; i < tc->nheaders; i++)
		curl_header(w, &tc->headers[i]);
	if (tc->body) {
		words_add(w, xstrdup("--data-raw"));
		words_add(w, shell_single(tc->body));
	}
	if (tc->timeout_ms % 1000)
		words_add(w, xasprintf("--max-time %.3g",
				       (double)tc->timeout_ms / 1000.0));
	else
		words_add(w, xasprintf("--max-time %lld",
				       (long long)(tc->timeout_ms / 1000)));
	if (tc->follow_redirects)
		words_add(w, xasprintf("-L --max-redirs %d", CONFIG_MAX_REDIRECTS));
	if (!tc->verify_tls)
		words_add(w, xstrdup("-k"));
	if (tc->ip_version != IPV_ANY)
		words_add(w, xstrdup(tc->ip_version == IPV_4 ? "-4" : "-6"));
	if (tc->ca_file) {
		words_add(w, xstrdup("--cacert"));
		words_add(w, shell_single(tc->ca_file));
	}
	words_add(w, xstrdup("-w"));
	words_add(w, xstrdup("'%{time_namelookup} %{time_connect} "
			     "%{time_appconnect} %{time_starttransfer} "
			     "%{time_total} %{http_code}\\n'"));
	fmt_redact_url(url, sizeof(url), tc->url);
	words_add(w, shell_single(url));
}

char *ui_curl_command(const struct target_conf *tc)
{
	struct words w = { 0 };
	size_t len = 1, at = 0;
	char *s;

	curl_words(tc, &w);
	for (size_t i = 0; i < w.n; i++)
		len += strlen(w.v[i]) + 1;
	s = xmalloc(len);
	for (size_t i = 0; i < w.n; i++) {
		size_t l = strlen(w.v[i]);

		if (i)
			s[at++] = ' ';
		memcpy(s + at, w.v[i], l);
		at += l;
	}
	s[at] = '\0';
	words_free(&w);
	return s;
}

/* The command wrapped at word boundaries with " \" continuations, so a
 * copy from the terminal still runs. */
static void pen_curl(struct pen *p, const struct target_conf *tc)
{
	struct words w = { 0 };
	size_t width = COLS > 24 ? (size_t)COLS - 4 : 20, at = 0;
	char line[4096];
	bool fresh = true;   /* nothing but the indent on this line yet */

	curl_words(tc, &w);
	for (size_t i = 0; i < w.n; i++) {
		size_t ww = strlen(w.v[i]);

		if (!fresh && at + 1 + ww > width) {
			line[at] = '\0';
			p->x = 2;
			pen_put(p, ROLE_NORMAL, line);
			pen_put(p, ROLE_DIM, " \\");
			pen_nl(p);
			memcpy(line, "  ", 2);
			at = 2;
			fresh = true;
		}
		if (!fresh && at + 1 < sizeof(line))
			line[at++] = ' ';
		if (at + ww >= sizeof(line))
			ww = sizeof(line) - at - 1;
		memcpy(line + at, w.v[i], ww);
		at += ww;
		fresh = false;
	}
	line[at] = '\0';
	p->x = 2;
	pen_put(p, ROLE_NORMAL, line);
	pen_nl(p);
	words_free(&w);
}

/* --- detail --------------------------------------------------------- */

/* A configured duration: "30s", "2m", but "2.50s" rather than a rounded
 * "2s" when it is not whole seconds. */
static void detail_dur(char *dst, size_t len, int64_t ms)
{
	if (ms % 1000 && ms < 60000)
		fmt_latency(dst, len, (double)ms);
	else
		fmt_duration(dst, len, ms);
}

struct detail_arg {
	const struct ui_view *v;
	const struct target *t;
	int64_t now;
	bool checking;         /* r asked for a check that has not answered */
};

static void pen_label(struct pen *p, const char *label)
{
	p->x = 1;
	pen_col(p, ROLE_DIM, label, 10);
}

static void pen_title(struct pen *p, const char *s)
{
	pen_nl(p);
	p->x = 1;
	pen_put(p, ROLE_TITLE, s);
	pen_nl(p);
}

/* What a check asks: "GET  expect 200-399", "send \"PING\\r\\n\"  expect
 * \"+PONG\"", "example.org A (recursion desired)". Raw: the pen sanitises. */
static void request_text(const struct target_conf *c, char *buf, size_t len)
{
	char exp[128], q[64];
	size_t at = 0;

	switch (c->kind) {
	case CHECK_TCP:
		snprintf(buf, len, "connect");
		if (c->tcp_send) {
			result_quote(q, sizeof(q), (const unsigned char *)c->tcp_send,
				     strlen(c->tcp_send), 40);
			at = (size_t)snprintf(buf, len, "send \"%s\"",
					      c->tcp_send_secret ? "***" : q);
		}
		if (c->tcp_expect && at < len) {
			result_quote(q, sizeof(q), (const unsigned char *)c->tcp_expect,
				     strlen(c->tcp_expect), 40);
			snprintf(buf + at, len - at, "%sexpect \"%s\"", at ? "  " : "", q);
		}
		break;
	case CHECK_DNS:
		snprintf(buf, len, "%s %s", c->dns_query_name, c->dns_query_type);
		break;
	default:
		verdict_format_expect(c, exp, sizeof(exp));
		snprintf(buf, len, "%s  expect %s", c->method, exp);
	}
}

/* "03:12", or "May 14 03:12" when not today: when something began, to
 * the minute. */
static void pen_minute(char *dst, size_t len, int64_t wall)
{
	size_t n;

	fmt_stamp(dst, len, wall, !pen_today(wall));
	n = strlen(dst);
	if (n > 3)
		dst[n - 3] = '\0';   /* the seconds */
}

static void detail_summary(struct pen *p, const struct target *t, int64_t now,
			   bool checking)
{
	const struct target_conf *c = t->conf;
	char buf[RESULT_URL_LEN * 2], dur[32], clk[24];
	int64_t held = now > t->since_mono_ms ? now - t->since_mono_ms : 0;

	p->x = 1;
	pen_put(p, ROLE_TITLE, c->name);
	if (c->group && *c->group) {
		pen_put(p, ROLE_DIM, "  ");
		pen_put(p, ROLE_DIM, c->group);
	}
	pen_put(p, ROLE_NORMAL, "  ");
	pen_put(p, ui_state_role(t->state), ui_state_badge(t->state));
	/* since when on the clock (a state restored from the history may
	 * be days old), and for how long */
	fmt_duration(dur, sizeof(dur), held);
	pen_minute(clk, sizeof(clk), wall_ms() - held);
	snprintf(buf, sizeof(buf), " since %s (%s)", clk, dur);
	pen_put(p, ROLE_NORMAL, buf);
	if (checking)
		pen_put(p, ROLE_MESSAGE, p->ui->utf8 ? "  checking\xe2\x80\xa6"
						     : "  checking...");
	pen_nl(p);
	pen_label(p, "URL");
	fmt_redact_url(buf, sizeof(buf), c->url);
	pen_put(p, ROLE_NORMAL, buf);
	pen_nl(p);
	pen_label(p, c->kind == CHECK_HTTP ? "Request" :
		     c->kind == CHECK_TCP ? "Connect" : "Query");
	detail_dur(dur, sizeof(dur), c->interval_ms);
	request_text(c, buf, sizeof(buf));
	pen_put(p, ROLE_NORMAL, buf);
	snprintf(buf, sizeof(buf), "  every %s", dur);
	pen_put(p, ROLE_NORMAL, buf);
	detail_dur(dur, sizeof(dur), c->timeout_ms);
	snprintf(buf, sizeof(buf), "  timeout %s", dur);
	pen_put(p, ROLE_NORMAL, buf);
	if (c->max_latency_ms > 0) {
		detail_dur(dur, sizeof(dur), c->max_latency_ms);
		snprintf(buf, sizeof(buf), "  max latency %s", dur);
		pen_put(p, ROLE_NORMAL, buf);
	}
	pen_nl(p);
}

static void detail_totals(struct pen *p, const struct target *t);
static void detail_uptime(struct pen *p, const struct target *t);

/* "2026-12-10 14:03 UTC": a certificate's date, for a person. */
static void cert_date(char *dst, size_t len, int64_t wall)
{
	time_t s = (time_t)(wall / 1000);
	struct tm tm;

	if (!gmtime_r(&s, &tm) || !strftime(dst, len, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(dst, len, "?");
}

/* The server's certificate (its subject and issuer) and when the chain
 * it presented expires, naming the intermediate when that comes first. */
static void detail_cert(struct pen *p, const struct result *r)
{
	char when[48], left[48], buf[RESULT_CERT_LEN + RESULT_CN_LEN + 96];
	int64_t now = r->start_wall_ms + (int64_t)r->t.total_ms;
	bool soon = r->cls == EC_CERT_EXPIRY || r->cert_not_after_ms < now;

	pen_label(p, "Cert");
	cert_date(when, sizeof(when), r->cert_not_after_ms);
	result_cert_left(left, sizeof(left), r->cert_not_after_ms, now);
	snprintf(buf, sizeof(buf), "%s %s (%s)", r->cert_not_after_ms < now ? "expired" :
		 "expires", when, left);
	pen_put(p, soon ? ROLE_LATENCY_WARN : ROLE_NORMAL, buf);
	if (r->cert_depth) {
		snprintf(buf, sizeof(buf), "  first: intermediate CN=%s", r->cert_first_cn);
		pen_put(p, soon ? ROLE_LATENCY_WARN : ROLE_DIM, buf);
	}
	pen_nl(p);
	pen_label(p, "Subject");
	pen_put(p, ROLE_NORMAL, r->cert_subject[0] ? r->cert_subject : "-");
	pen_nl(p);
	pen_label(p, "Issuer");
	pen_put(p, ROLE_NORMAL, r->cert_issuer[0] ? r->cert_issuer : "-");
	pen_nl(p);
}

/* Which alerts tell of it, and what keeps them quiet now. */
static void detail_alerts(struct pen *p, const struct ui_view *v, const struct target *t,
			  int64_t now)
{
	char buf[512], clk[16], left[48];
	size_t at = 0;
	bool any = false;

	if (!v->cfg || (!v->cfg->nalerts && !t->q.ack_wall_ms && !t->q.mute_until_mono &&
			!t->q.maint_until_wall))
		return;
	pen_label(p, "Alerts");
	for (size_t i = 0; i < v->cfg->nalerts && at < sizeof(buf); i++) {
		if (!(t->conf->alerts & ((uint64_t)1 << i)))
			continue;
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s", any ? ", " : "",
				       v->cfg->alerts[i].name);
		any = true;
	}
	if (!any)
		snprintf(buf, sizeof(buf), "none");
	pen_put(p, any && !v->alerts_off ? ROLE_NORMAL : ROLE_DIM, buf);
	if (v->alerts_off && any)
		pen_put(p, ROLE_DIM, " (off: --no-alerts)");
	if (t->q.ack_wall_ms) {
		fmt_clock(clk, sizeof(clk), t->q.ack_wall_ms);
		snprintf(buf, sizeof(buf), "  acknowledged by %s at %s",
			 t->q.ack_by ? t->q.ack_by : "?", clk);
		pen_put(p, ROLE_LATENCY_OK, buf);
	}
	if (target_silenced(t, now)) {
		fmt_clock(clk, sizeof(clk), t->q.mute_until_wall);
		fmt_duration(left, sizeof(left), t->q.mute_until_mono - now);
		snprintf(buf, sizeof(buf), "  silenced by %s until %s (%s left)",
			 t->q.mute_by ? t->q.mute_by : "?", clk, left);
		pen_put(p, ROLE_LATENCY_WARN, buf);
	}
	if (t->q.maint_until_wall) {
		fmt_clock(clk, sizeof(clk), t->q.maint_until_wall);
		snprintf(buf, sizeof(buf), "  in maintenance until %s", clk);
		pen_put(p, ROLE_DIM, buf);
	}
	pen_nl(p);
}

static void detail_last(struct pen *p, const struct target *t)
{
	struct result r_;
	const struct result *r = &r_;
	char buf[RESULT_URL_LEN * 2], lat[48], clk[16], code[16];

	target_last(t, &r_);
	pen_label(p, "Remote");
	pen_put(p, ROLE_NORMAL, t->has_last && r->remote_ip[0] ? r->remote_ip
								: "-");
	pen_nl(p);
	if (t->has_last && r->cert_not_after_ms)
		detail_cert(p, r);
	if (t->has_last && r->answer[0]) {
		pen_label(p, "Answer");
		pen_put(p, ROLE_NORMAL, r->answer);
		pen_nl(p);
	}
	if (t->has_last && r->redirects > 0) {
		pen_label(p, "Final URL");
		fmt_redact_url(buf, sizeof(buf), r->effective_url);
		pen_put(p, ROLE_NORMAL, buf);
		snprintf(buf, sizeof(buf), "  (%d redirect%s)", r->redirects,
			 r->redirects == 1 ? "" : "s");
		pen_put(p, ROLE_DIM, buf);
		pen_nl(p);
	}
	pen_label(p, "Last");
	if (!t->has_last) {
		pen_put(p, ROLE_DIM, "not checked yet");
		pen_nl(p);
		detail_totals(p, t);
		return;
	}
	fmt_clock(clk, sizeof(clk), r->start_wall_ms);
	/* The latency rule (result_has_latency, via target_latency); a check
	 * without one says how long it took to fail. */
	if (target_latency(t) >= 0) {
		fmt_latency(lat, sizeof(lat), target_latency(t));
	} else {
		char took[24];

		fmt_latency(took, sizeof(took), r->t.total_ms);
		snprintf(lat, sizeof(lat), "failed after %s", took);
	}
	result_code_text(code, sizeof(code), t->conf->kind, r->http_status,
			 result_answer_code(r));
	snprintf(buf, sizeof(buf), "%s  %s  %s", clk, code, lat);
	pen_put(p, ROLE_NORMAL, buf);
	pen_nl(p);
	if (r->cls != EC_NONE) {
		/* the whole message here: the table had to cut it */
		ui_error_text(buf, sizeof(buf), r->cls, r->msg);
		pen_wrap(p, eclass_is_degraded(r->cls) ? ROLE_LATENCY_WARN : ROLE_ERROR,
			 buf, 11);
	}
	/* What the library said (or how DNS was answered), under our words. */
	if (r->detail[0])
		pen_wrap(p, ROLE_DIM, r->detail, 11);
	if (r->body_truncated) {
		snprintf(buf, sizeof(buf), "body cut at max_body after %llu bytes",
			 (unsigned long long)r->bytes);
		pen_wrap(p, ROLE_DIM, buf, 11);
	}
	detail_totals(p, t);
}

/* "Uptime  24 h 99.95%  7 d 100%  30 d -": time DOWN out of the time
 * uptop watched (bucket.h), over the windows the history keeps. */
static void detail_uptime(struct pen *p, const struct target *t)
{
	static const struct { const char *name; int hours, days; } win[] = {
		{ "24 h", 24, 0 }, { "7 d", 7 * 24, 0 }, { "30 d", 0, 30 },
	};
	int64_t now = wall_ms();
	char buf[48], pct[16];

	pen_label(p, "Uptime");
	for (size_t i = 0; i < ARRAY_LEN(win); i++) {
		double v = win[i].hours ? target_uptime_hours(t, now, win[i].hours)
					: target_uptime_days(t, now, win[i].days);

		fmt_percent(pct, sizeof(pct), v);
		snprintf(buf, sizeof(buf), "%s%s ", i ? "  " : "", win[i].name);
		pen_put(p, ROLE_DIM, buf);
		pen_put(p, v < 0 ? ROLE_DIM : v >= 99.9 ? ROLE_NORMAL :
			   v >= 95 ? ROLE_LATENCY_WARN : ROLE_LATENCY_BAD, pct);
	}
	pen_nl(p);
}

static void detail_totals(struct pen *p, const struct target *t)
{
	char buf[160], lat[24], pct[24];
	double up = target_uptime(t), p95 = target_p95(t);

	pen_label(p, "Checks");
	fmt_percent(pct, sizeof(pct), up);
	fmt_latency(lat, sizeof(lat), p95);
	snprintf(buf, sizeof(buf),
		 "%llu done, %llu failed, %d in a row; uptime %s; p95 %s",
		 (unsigned long long)t->checks, (unsigned long long)t->failures,
		 t->consecutive_failures, pct, lat);
	pen_put(p, ROLE_NORMAL, buf);
	pen_nl(p);
	detail_uptime(p, t);
}

enum { PH_DNS, PH_CONNECT, PH_TLS, PH_TTFB, PH_TRANSFER, PH__COUNT };

/* The phase a check without an answer ended in, from how far its timings
 * got: a failed lookup, no connection, no TLS (https), no first byte, or
 * cut in the body. */
static int failed_phase(const struct target *t)
{
	const struct last_result *r = &t->last;

	if (r->cls == EC_DNS || t->conf->kind == CHECK_DNS)
		return PH_DNS;
	if (r->t.connect_ms <= 0)
		return PH_CONNECT;
	if (r->t.tls_ms <= 0 && strncasecmp(t->conf->url, "https:", 6) == 0)
		return PH_TLS;
	return r->t.ttfb_ms <= 0 ? PH_TTFB : PH_TRANSFER;
}

/* Legend items after `sep` (NULL: the first), wrapping instead of
 * running off the edge. */
static void pen_item(struct pen *p, enum role r, const char *s, const char *sep)
{
	int w = fmt_width(s) + (sep ? (int)strlen(sep) : 0);

	if (sep && p->x + w > COLS - 1) {
		pen_nl(p);
		p->x = 2;
		sep = NULL;
	}
	if (sep)
		pen_put(p, ROLE_DIM, sep);
	pen_put(p, r, s);
}

/* DNS | connect | TLS | TTFB | transfer, each segment as wide as its
 * share of the whole. A check that got no answer stops at the phase it
 * failed in, drawn as such; the phases after it are not drawn. A label
 * sits in its segment only when it fits whole; the legend below names
 * every phase with its time (wrapped), so labels never overlap or cut. */
static void detail_phases(struct pen *p, const struct target *t)
{
	static const char *const names[PH__COUNT] = { "DNS", "connect", "TLS",
						      "TTFB", "transfer" };
	static const enum role roles[PH__COUNT] = {
		ROLE_PHASE_DNS, ROLE_PHASE_CONNECT, ROLE_PHASE_TLS,
		ROLE_PHASE_TTFB, ROLE_PHASE_TRANSFER };
	const struct timings *tm = &t->last.t;
	double part[PH__COUNT], rest;
	int cells[PH__COUNT], width = COLS - 4 < 100 ? COLS - 4 : 100, y, n;
	int fail = -1;
	char buf[64], lat[24];

	if (!t->has_last) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "no result yet");
		pen_nl(p);
		return;
	}
	if (target_latency(t) < 0)
		fail = failed_phase(t);
	part[PH_DNS] = tm->dns_ms;
	part[PH_CONNECT] = tm->connect_ms;
	part[PH_TLS] = tm->tls_ms;
	part[PH_TTFB] = tm->ttfb_ms;
	n = fail >= 0 ? fail + 1 : PH__COUNT;
	/* the last phase drawn takes what the others leave of the total */
	rest = tm->total_ms;
	for (int i = 0; i < n - 1; i++)
		rest -= part[i];
	part[n - 1] = rest > 0 ? rest : 0;
	layout_bar(part, (size_t)n, width, cells);
	p->x = 2;
	y = pen_y(p);
	for (int i = 0; i < n; i++) {
		enum role r = i == fail ? ROLE_PHASE_FAILED : roles[i];

		/* a label needs a cell to spare before the next one starts:
		 * "TTFBtransfer" reads as one word */
		int room = i == n - 1 ? cells[i] : cells[i] - 1;

		if (y >= 0 && cells[i] > 0) {
			ui_fill(p->ui, y, p->x, cells[i], r);
			if ((int)strlen(names[i]) <= room)
				ui_put(p->ui, y, p->x, cells[i], r, names[i]);
		}
		p->x += cells[i];
	}
	pen_nl(p);
	p->x = 2;
	for (int i = 0; i < n; i++) {
		fmt_latency(lat, sizeof(lat), part[i]);
		snprintf(buf, sizeof(buf), "%s%s %s", names[i],
			 i == fail ? (p->ui->utf8 ? " \xe2\x9c\x97" : " X") : "", lat);
		pen_item(p, i == fail ? ROLE_ERROR : roles[i], buf, i ? " | " : NULL);
	}
	fmt_latency(lat, sizeof(lat), tm->total_ms);
	if (fail >= 0)
		snprintf(buf, sizeof(buf), "failed in %s after %s", names[fail], lat);
	else
		snprintf(buf, sizeof(buf), "total %s", lat);
	pen_item(p, fail >= 0 ? ROLE_ERROR : ROLE_NORMAL, buf, "  ");
	pen_nl(p);
}

#define DETAIL_HIST 20           /* checks in the detail view */

static void detail_history(struct pen *p, const struct target *t)
{
	char buf[RESULT_MSG_LEN + 64], clk[24], lat[24], code[16];
	const struct hist_entry *h;
	unsigned k = t->hist_n < DETAIL_HIST ? t->hist_n : DETAIL_HIST;
	/* the oldest shown is not from today: every line has its date */
	bool dated = k && (h = target_hist(t, k - 1)) && !pen_today(h->wall_ms);

	for (k = 0; k < DETAIL_HIST && (h = target_hist(t, k)); k++) {
		bool bad = eclass_is_failure((enum eclass)h->cls);

		fmt_stamp(clk, sizeof(clk), h->wall_ms, dated);
		fmt_latency(lat, sizeof(lat), hist_latency(h));   /* "-": no answer */
		result_code_text(code, sizeof(code), t->conf->kind, h->http_status, h->answer);
		p->x = 2;
		pen_col(p, ROLE_DIM, clk, pen_stamp_w(dated));
		pen_col(p, bad ? ROLE_ERROR : ROLE_NORMAL, code,
			t->conf->kind == CHECK_DNS ? 10 : 5);
		pen_col(p, bad ? ROLE_LATENCY_BAD : ROLE_NORMAL, lat, 8);
		if (h->cls != EC_NONE) {
			const char *cls = eclass_name((enum eclass)h->cls);

			snprintf(buf, sizeof(buf), "%s%s%s", cls ? cls : "?",
				 h->msg ? ": " : "", h->msg ? h->msg : "");
			pen_put(p, eclass_is_degraded((enum eclass)h->cls) ? ROLE_LATENCY_WARN
						     : ROLE_ERROR,
				buf);
		}
		pen_nl(p);
	}
	if (!k) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "none yet");
		pen_nl(p);
	}
}

#define INCIDENT_DAYS 7

/* The incidents (times DOWN) of the last 7 days, newest first: "May 14
 * 03:12:05  May 14 05:20:11  2h08m  timeout", an open one "down now". */
static void detail_incidents(struct pen *p, const struct target *t)
{
	int64_t now = wall_ms(), from = now - (int64_t)INCIDENT_DAYS * 86400000;
	const struct incident *in;
	bool dated = false;
	unsigned k, n = 0;
	char a[24], b[24], dur[32];

	for (k = 0; (in = target_incident(t, k)) && (!in->end_ms || in->end_ms >= from); k++)
		if (!in->start_ms || !pen_today(in->start_ms))
			dated = true;
	n = k;
	for (k = 0; k < n && (in = target_incident(t, k)); k++) {
		int64_t end = in->end_ms ? in->end_ms : now;

		if (in->start_ms)
			fmt_stamp(a, sizeof(a), in->start_ms, dated);
		else
			snprintf(a, sizeof(a), "over %dd ago", INCIDENT_DAYS);
		if (in->end_ms)
			fmt_stamp(b, sizeof(b), in->end_ms, dated);
		else
			snprintf(b, sizeof(b), "down now");
		p->x = 2;
		pen_col(p, ROLE_DIM, a, pen_stamp_w(dated));
		pen_col(p, in->end_ms ? ROLE_DIM : ROLE_STATE_DOWN, b, pen_stamp_w(dated));
		if (in->start_ms) {
			fmt_duration(dur, sizeof(dur), end > in->start_ms ? end - in->start_ms : 0);
			pen_col(p, ROLE_STATE_DOWN, dur, 9);
		} else {
			pen_col(p, ROLE_STATE_DOWN, "-", 9);
		}
		pen_put(p, ROLE_ERROR, in->cls != EC_NONE && eclass_name((enum eclass)in->cls) ?
				       eclass_name((enum eclass)in->cls) : "-");
		if (in->gap)
			pen_put(p, ROLE_DIM, "  (uptop was not running for part of it)");
		pen_nl(p);
	}
	if (!n) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "none");
		pen_nl(p);
	} else if (n == INCIDENT_LEN) {
		snprintf(dur, sizeof(dur), "(the newest %d)", INCIDENT_LEN);
		p->x = 2;
		pen_put(p, ROLE_DIM, dur);
		pen_nl(p);
	}
}

/* --- events --------------------------------------------------------
 * A timeline is read newest first, from the model's (every event) or a
 * target's own (its state changes). */

typedef const struct event *(*event_at)(const void *src, unsigned k);

static const struct event *model_at(const void *m, unsigned k)
{
	return model_event(m, k);
}

static const struct event *target_at(const void *t, unsigned k)
{
	return target_event(t, k);
}

/* Any of the timeline's events not from today (the oldest is enough, it
 * is never newer than the rest): then every line has its date. */
static bool events_dated(event_at at, const void *src, unsigned n)
{
	const struct event *e = n ? at(src, n - 1) : NULL;

	return e && !pen_today(e->wall_ms);
}

/* How long event k (newest first) ended a target's time down: back to
 * the target's previous event, which took it down. -1 when k is no such
 * end, or that start has left the timeline. The stamps are wall-clock
 * (what the lines show), so this is the difference a reader would work
 * out from them. O(events older than k), for the lines on screen only. */
static int64_t down_for(event_at at, const void *src, unsigned k,
			const struct event *e)
{
	const struct event *o;

	if (e->kind != EV_STATE || e->from != STATE_DOWN || e->to == STATE_DOWN)
		return -1;
	for (unsigned j = k + 1; (o = at(src, j)); j++) {
		if (o->kind != EV_STATE || o->target != e->target)
			continue;
		if (o->to != STATE_DOWN)
			return -1;
		return e->wall_ms > o->wall_ms ? e->wall_ms - o->wall_ms : 0;
	}
	return -1;
}

/* Events other than state changes: uptop's own ("stall 5012 ms  uptop
 * did not run ...", "OUTAGE  300 targets on 3 hosts ..."), and what
 * people and alerts did ("ACK  acknowledged by alice", "alert  pager
 * down: exit status 0"): the whole sentence, broken at blanks onto lines
 * that start under the name column. */
static void pen_own_event(struct pen *p, const struct event *e, int indent)
{
	char head[48], text[RESULT_MSG_LEN + 128], name[80];
	enum role r = ROLE_LATENCY_WARN;
	const char *reason = e->reason ? e->reason : "";

	snprintf(text, sizeof(text), "%s", reason);
	switch (e->kind) {
	case EV_STALL:
		snprintf(head, sizeof(head), "stall %u ms", e->u.stall.ms);
		break;
	case EV_OUTAGE:
		snprintf(head, sizeof(head), e->u.out.phase == OUTAGE_START ? "OUTAGE"
									 : "outage over");
		r = e->u.out.phase == OUTAGE_START ? ROLE_OUTAGE : ROLE_STATE_UP;
		break;
	case EV_ACK:
		snprintf(head, sizeof(head), "ACK");
		snprintf(text, sizeof(text), "acknowledged by %s", reason);
		r = ROLE_LATENCY_OK;
		break;
	case EV_SILENCE:
		if (e->u.silence.phase == SILENCE_SET) {
			char dur[32];

			fmt_duration(dur, sizeof(dur), (int64_t)e->u.silence.secs * 1000);
			snprintf(head, sizeof(head), "MUTED");
			snprintf(text, sizeof(text), "silenced for %s by %s", dur, reason);
		} else {
			snprintf(head, sizeof(head), "unmuted");
			snprintf(text, sizeof(text), e->u.silence.phase == SILENCE_LIFTED ?
				 "silence lifted by %s" : "the silence ran out%s", reason);
			r = ROLE_DIM;
		}
		break;
	case EV_MAINT:
		snprintf(head, sizeof(head), e->u.maint.phase == MAINT_START ? "MAINT"
									     : "maint over");
		snprintf(text, sizeof(text), "%s: %s (%u target%s)",
			 e->u.maint.phase == MAINT_START ? "window opens, alerts muted"
							 : "window closes",
			 reason, e->u.maint.targets, e->u.maint.targets == 1 ? "" : "s");
		r = ROLE_DIM;
		break;
	case EV_ALERT: {
		const char *what = event_alert_name(e, name, sizeof(name));
		bool ok = e->u.alert.flags & ALERT_F_OK;

		snprintf(head, sizeof(head), "%s", ok ? "alert" : "ALERT FAILED");
		snprintf(text, sizeof(text), "%s%s %s: %s", name,
			 e->u.alert.flags & ALERT_F_REPEAT ? " reminder," : "",
			 state_name((enum state)e->to), what);
		r = ok ? ROLE_DIM : ROLE_ERROR;
		break;
	}
	case EV_GAP:
		/* restored from the history: neither up nor down */
		snprintf(head, sizeof(head), "gap");
		r = ROLE_DIM;
		break;
	default:
		snprintf(head, sizeof(head), "event %u", e->kind);
	}
	pen_put(p, r, head);
	p->x += 2;
	pen_words(p, ROLE_NORMAL, text, indent);
}

/* "12:00:01  name  down -> up (down 4m12s)  reason", the from/to in
 * their state colours, one line (the detail view has the whole reason);
 * uptop's own events (no target) by pen_own_event. The stamp has its
 * date when `dated`; down_ms >= 0: how long the target was down. */
static void pen_event(struct pen *p, const struct event *e, const char *name,
		      bool dated, int64_t down_ms)
{
	char clk[24], dur[48];

	/* the timeline holds up to EVENTLOG_LEN lines: format only those on
	 * screen (the dry run only counts); uptop's own may take several */
	if (pen_y(p) < 0 && e->kind == EV_STATE) {
		pen_nl(p);
		return;
	}
	fmt_stamp(clk, sizeof(clk), e->wall_ms, dated);
	p->x = 2;
	pen_col(p, ROLE_DIM, clk, pen_stamp_w(dated));
	if (name) {
		int w = COLS / 4 > 12 ? COLS / 4 : 12;

		pen_col(p, e->target == EVENT_NO_TARGET ? ROLE_DIM : ROLE_NORMAL,
			name, w);
		p->x++;
	}
	if (e->kind != EV_STATE) {
		pen_own_event(p, e, 2 + pen_stamp_w(dated));
		pen_nl(p);
		return;
	}
	pen_put(p, ui_state_role(e->from), state_name((enum state)e->from));
	pen_put(p, ROLE_DIM, p->ui->utf8 ? " \xe2\x86\x92 " : " -> ");
	pen_put(p, ui_state_role(e->to), state_name((enum state)e->to));
	if (down_ms >= 0) {
		char d[32];

		fmt_duration(d, sizeof(d), down_ms);
		snprintf(dur, sizeof(dur), " (down %s)", d);
		pen_put(p, ROLE_STATE_DOWN, dur);
	}
	pen_put(p, ROLE_NORMAL, "  ");
	pen_put(p, e->to == STATE_UP ? ROLE_DIM : ROLE_ERROR,
		e->reason ? e->reason : "");
	pen_nl(p);
}

/* A timeline's events, newest first; `names` gives each its target's
 * name column (the model's timeline), NULL for a target's own. */
static unsigned pen_events(struct pen *p, event_at at, const void *src,
			   unsigned n, const struct model *names)
{
	bool dated = events_dated(at, src, n);
	const struct event *e;
	unsigned k;

	for (k = 0; (e = at(src, k)); k++) {
		const char *name = NULL;
		int64_t down = -1;

		if (names)
			name = e->target == EVENT_NO_TARGET ? "(uptop)"
			       : e->target < names->n ? names->v[e->target].conf->name
						      : "?";
		if (pen_y(p) >= 0)
			down = down_for(at, src, k, e);
		pen_event(p, e, name, dated, down);
	}
	return k;
}

static void detail_draw(struct pen *p, const void *arg)
{
	const struct detail_arg *a = arg;

	detail_summary(p, a->t, a->now, a->checking);
	detail_alerts(p, a->v, a->t, a->now);
	detail_last(p, a->t);
	pen_title(p, "Incidents in the last 7 days (newest first)");
	detail_incidents(p, a->t);
	pen_title(p, "Phases of the last check");
	detail_phases(p, a->t);
	pen_title(p, "Last 20 checks (newest first)");
	detail_history(p, a->t);
	pen_title(p, "State changes (newest first)");
	if (!pen_events(p, target_at, a->t, a->t->tev_n, NULL)) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "none yet");
		pen_nl(p);
	}
	pen_title(p, a->t->conf->kind == CHECK_TCP ? "Reproduce with nc" :
		     a->t->conf->kind == CHECK_DNS ? "Reproduce with dig" : "Reproduce with curl");
	pen_curl(p, a->t->conf);
}

void ui_detail_draw(struct ui *ui, const struct ui_view *v, int y0, int y1,
		    int64_t now)
{
	struct detail_arg a = { .v = v, .now = now };

	if (!v->model || ui->detail >= v->model->n) {
		ui->mode = MODE_TABLE;
		return;
	}
	a.t = &v->model->v[ui->detail];
	a.checking = ui_checking(ui, v, ui->detail);
	pen_run(ui, y0, y1, &ui->detail_scroll, detail_draw, &a);
}

/* --- events --------------------------------------------------------- */

static void events_draw(struct pen *p, const void *arg)
{
	const struct model *m = arg;

	p->x = 1;
	pen_put(p, ROLE_TITLE, "Events, newest first: state changes, outages, alerts, "
		"acks, silences, maintenance, uptop's own stalls");
	pen_nl(p);
	if (!m || !pen_events(p, model_at, m, m->log_n, m)) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "no events yet");
		pen_nl(p);
	}
}

void ui_events_draw(struct ui *ui, const struct ui_view *v, int y0, int y1)
{
	pen_run(ui, y0, y1, &ui->events_scroll, events_draw, v->model);
}

/* --- silences (M) ---------------------------------------------------- */

uint32_t *ui_silenced(const struct model *m, int64_t now, size_t *n)
{
	uint32_t *ids = NULL;
	size_t cap = 0;

	(void)now;
	*n = 0;
	for (size_t i = 0; m && i < m->n; i++) {
		if (!m->v[i].q.mute_until_mono)
			continue;
		ids = xreallocarray_grow(ids, &cap, *n + 1, sizeof(*ids));
		ids[(*n)++] = (uint32_t)i;
	}
	return ids;
}

struct sil_arg {
	const struct model *m;
	const uint32_t *ids;
	size_t n;
	int row;
	int64_t now;
};

static void silences_list(struct pen *p, const void *arg)
{
	const struct sil_arg *a = arg;
	int w = COLS / 3 > 12 ? COLS / 3 : 12;

	p->x = 1;
	pen_put(p, ROLE_TITLE, "Silences: still checked and shown, no alerts. u or Enter "
		"lifts the selected one, U lifts them all");
	pen_nl(p);
	for (size_t i = 0; i < a->n; i++) {
		const struct target *t = &a->m->v[a->ids[i]];
		char clk[16], left[32], buf[128];
		bool sel = (int)i == a->row;
		int y = pen_y(p);

		fmt_clock(clk, sizeof(clk), t->q.mute_until_wall);
		fmt_duration(left, sizeof(left), t->q.mute_until_mono > a->now ?
					       t->q.mute_until_mono - a->now : 0);
		snprintf(buf, sizeof(buf), "until %s  %s left  by %s", clk, left,
			 t->q.mute_by ? t->q.mute_by : "?");
		if (sel && y >= 0)
			ui_fill(p->ui, y, 0, COLS, ROLE_SELECTION);
		p->x = 2;
		pen_col(p, sel ? ROLE_SELECTION : ROLE_NORMAL, t->conf->name, w);
		p->x++;
		pen_put(p, sel ? ROLE_SELECTION : ROLE_LATENCY_WARN, buf);
		pen_nl(p);
	}
	if (!a->n) {
		p->x = 2;
		pen_put(p, ROLE_DIM, "no silences: m silences the selected target (with a "
			"filter, every shown one)");
		pen_nl(p);
	}
}

void ui_silences_draw(struct ui *ui, const struct ui_view *v, int y0, int y1, int64_t now)
{
	struct sil_arg a = { .m = v->model, .now = now };
	uint32_t *ids = ui_silenced(v->model, now, &a.n);
	int scroll;

	a.ids = ids;
	if (ui->sil_row >= (int)a.n)
		ui->sil_row = a.n ? (int)a.n - 1 : 0;
	if (ui->sil_row < 0)
		ui->sil_row = 0;
	a.row = ui->sil_row;
	/* the cursor's line on screen: the title, then one line each */
	scroll = a.row + 2 > y1 - y0 ? a.row + 2 - (y1 - y0) : 0;
	pen_run(ui, y0, y1, &scroll, silences_list, &a);
	free(ids);
}

/* --- help ----------------------------------------------------------- */

static const char *const help_titles[HELP__COUNT] = {
	[HELP_MOVING] = "Moving (in the detail, timeline and help: scrolling)",
	[HELP_VIEWING] = "Viewing",
	[HELP_FILTER] = "In the filter prompt (the arrows still move)",
	[HELP_ACTING] = "Acting",
	[HELP_QUIET] = "Alerts: acknowledge and silence",
};

struct help_line {
	enum ui_help_section section;
	char keys[64];
	char text[192];
};

/* The help screen's lines from the key table, section by section; rows
 * of one section with the same text share a line ("q  F10  Ctrl-C").
 * Returns how many. */
static size_t help_lines(struct help_line *out, size_t max)
{
	size_t n = 0;

	for (int sec = 0; sec < HELP__COUNT; sec++) {
		size_t first = n;

		for (size_t i = 0; i < ui_nbindings; i++) {
			const struct ui_binding *b = &ui_bindings[i];
			struct help_line *l = &out[n];
			char keys[sizeof(l->keys)];

			if ((int)b->section != sec)
				continue;
			if (n == max)
				return n;
			if (b->help_fn)
				b->help_fn(l->text, sizeof(l->text));
			else
				snprintf(l->text, sizeof(l->text), "%s", b->help);
			ui_keys_label(b, keys, sizeof(keys));
			if (n > first && strcmp(out[n - 1].text, l->text) == 0) {
				l = &out[n - 1];
				snprintf(l->keys + strlen(l->keys),
					 sizeof(l->keys) - strlen(l->keys),
					 "  %s", keys);
				continue;
			}
			l->section = (enum ui_help_section)sec;
			snprintf(l->keys, sizeof(l->keys), "%s", keys);
			n++;
		}
	}
	return n;
}

static void help_draw(struct pen *p, const void *arg)
{
	struct help_line lines[UI_BINDINGS_MAX];
	size_t n = help_lines(lines, ARRAY_LEN(lines));
	int w = 14;

	(void)arg;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(lines[i].keys) > w)
			w = (int)strlen(lines[i].keys);
	p->x = 1;
	pen_put(p, ROLE_TITLE, "uptop " UPTOP_VERSION " - keys");
	pen_nl(p);
	for (size_t i = 0; i < n; i++) {
		if (!i || lines[i].section != lines[i - 1].section)
			pen_title(p, help_titles[lines[i].section]);
		p->x = 2;
		pen_col(p, ROLE_KEY_HINT, lines[i].keys, w + 2);
		/* whole at 80 columns: wrapped under itself, not cut */
		pen_words(p, ROLE_NORMAL, lines[i].text, 2 + w + 2);
		pen_nl(p);
	}
}

void ui_help_draw(struct ui *ui, int y0, int y1)
{
	pen_run(ui, y0, y1, &ui->help_scroll, help_draw, NULL);
}
