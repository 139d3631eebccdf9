/* alert_send.c - how alerts go out: commands (child.h) and webhooks
 * (engine_request: our resolver, then probe on the checks' multi handle),
 * and each outcome as an EV_ALERT event.
 *
 * A job remembers what its event needs (the target by index and name,
 * the transition, the flags) and the config generation it was made in:
 * an outcome that comes after a reload finds its target by name. */
#include "alert_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "child.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "probe.h"
#include "util.h"

/* Webhook retries: after 1 s, 5 s, 25 s (alert.h). */
static const int64_t retry_ms[ALERT_HOOK_ATTEMPTS - 1] = { 1000, 5000, 25000 };

struct alert_job {
	struct alert *a;
	struct alert_job *prev, *next;   /* a->jobs, or a->hooks (webhooks) */
	uint32_t gen, target;
	char *tname;               /* the target's name, NULL for an outage */
	char *alert;               /* the alert's name */
	const char *shown;         /* a webhook's URL as uptop shows it */
	uint8_t from, to, cls, flags;
	uint32_t outage;
	/* a webhook: its request, rendered once, sent up to four times */
	bool hook;
	char *url, *method, *body, **headers;
	size_t nheaders;
	int64_t timeout_ms;
	unsigned attempts;
	int64_t next_try;          /* mono; 0: in flight (or a command) */
	struct engine_req *req;
};

static void job_link(struct alert_job **head, struct alert_job *j)
{
	j->prev = NULL;
	j->next = *head;
	if (*head)
		(*head)->prev = j;
	*head = j;
}

static void job_unlink(struct alert_job **head, struct alert_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		*head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

static struct alert_job *job_new(struct alert *a, const struct alert_ctx *c, uint32_t target,
				 uint8_t flags, uint8_t cls)
{
	struct alert_job *j = xcalloc(1, sizeof(*j));

	j->a = a;
	j->gen = a->gen;
	j->target = target;
	j->tname = target == EVENT_NO_TARGET ? NULL : xstrdup(c->name);
	j->alert = xstrdup(c->alert);
	j->from = (uint8_t)c->from;
	j->to = (uint8_t)c->to;
	j->cls = cls;
	j->flags = flags;
	j->outage = c->outage;
	job_link(&a->jobs, j);
	return j;
}

static void job_free(struct alert_job *j)
{
	struct alert *a = j->a;

	job_unlink(j->hook ? &a->hooks : &a->jobs, j);
	if (j->hook)
		a->nhooks--;
	for (size_t i = 0; i < j->nheaders; i++)
		free(j->headers[i]);
	free(j->headers);
	free(j->url);
	free(j->method);
	free(j->body);
	free(j->tname);
	free(j->alert);
	free(j);
}

/* The target's index now: the same, or found by name after a reload. */
static uint32_t job_target(const struct alert_job *j)
{
	const struct model *m = engine_model(j->a->e);

	if (!j->tname)
		return EVENT_NO_TARGET;
	if (j->gen == j->a->gen)
		return j->target;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].conf->name, j->tname) == 0)
			return (uint32_t)i;
	return EVENT_NO_TARGET;
}

static void job_event(const struct alert_job *j, bool ok, uint8_t more, uint16_t attempts,
		      const char *what, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->wall_ms = wall_ms();
	ev->kind = EV_ALERT;
	ev->target = job_target(j);
	ev->from = j->from;
	ev->to = j->to;
	ev->cls = j->cls;
	ev->u.alert.flags = (uint8_t)(j->flags | more | (ok ? ALERT_F_OK : 0));
	ev->u.alert.outage = j->outage;
	ev->u.alert.attempts = attempts;
	ev->reason = xasprintf("%s: %s", j->alert, what);
}

void alert_outcome(struct alert *a, struct event *ev)
{
	if (ev->u.alert.flags & ALERT_F_OK)
		a->sent++;
	else if (ev->u.alert.flags & ALERT_F_DROPPED)
		a->dropped++;
	else
		a->failed++;
	log_debug("alert: %s %s", ev->reason,
		  ev->u.alert.flags & ALERT_F_OK ? "(sent)" : "(failed)");
	engine_note(a->e, ev);
}

/* --- commands ------------------------------------------------------------ */

static void cmd_done(void *arg, const struct child_result *r)
{
	struct alert_job *j = arg;
	struct event ev;

	job_event(j, r->ok, 0, 1, r->why, &ev);
	alert_outcome(j->a, &ev);
	job_free(j);
}

static void cmd_send(struct alert *a, const struct alert_conf *ac, const struct alert_ctx *c,
		     struct alert_job *j)
{
	size_t nenv, len;
	char **env = alert_env(c, &nenv);
	char *line = alert_json_line(c, &len);
	struct child_job cj = {
		.argv = (const char *const *)ac->command.v, .argc = ac->command.n,
		.env = (const char *const *)env, .nenv = nenv,
		.input = line, .input_len = len, .timeout_ms = ac->timeout_ms,
		.done = cmd_done, .arg = j,
	};

	if (!child_run(a->child, &cj)) {
		struct event ev;
		char *why = xasprintf("dropped: %d alert commands are waiting already (%d run "
				      "at once)", ALERT_CMD_QUEUED, ALERT_CMD_RUNNING);

		job_event(j, false, ALERT_F_DROPPED, 0, why, &ev);
		free(why);
		alert_defer(a, &ev);
		job_free(j);
	}
	alert_env_free(env);
	free(line);
}

/* --- webhooks ------------------------------------------------------------ */

static bool has_header(const struct webhook_conf *w, const char *name)
{
	for (size_t i = 0; i < w->nheaders; i++)
		if (strcasecmp(w->headers[i].name, name) == 0)
			return true;
	return false;
}

/* url, headers and body with the placeholders replaced, each escaped for
 * where it goes; a body without a Content-Type gets one by its shape. */
static void hook_render(struct alert_job *j, const struct alert_conf *ac,
			const struct alert_ctx *c)
{
	const struct webhook_conf *w = &ac->webhook;
	size_t n = 0;

	j->url = alert_expand(w->url, c, ALERT_ESC_URL);
	j->method = xstrdup(w->method ? w->method : "POST");
	j->body = w->body ? alert_expand(w->body, c, w->json ? ALERT_ESC_JSON : ALERT_ESC_NONE)
			  : NULL;
	j->headers = xcalloc(w->nheaders + 2, sizeof(*j->headers));
	for (size_t i = 0; i < w->nheaders; i++) {
		char *v = alert_expand(w->headers[i].value, c, ALERT_ESC_HEADER);

		j->headers[n++] = xasprintf("%s: %s", w->headers[i].name, v);
		free(v);
	}
	if (j->body && !has_header(w, "Content-Type"))
		j->headers[n++] = xstrdup(w->json ? "Content-Type: application/json"
						  : "Content-Type: text/plain; charset=utf-8");
	j->nheaders = n;
	j->timeout_ms = ac->timeout_ms;
	j->shown = w->url_shown;
}

static bool retryable(const struct probe_http_result *r)
{
	return r->cls != EC_NONE || r->http_status == 408 || r->http_status == 429 ||
	       r->http_status >= 500;
}

/* "HTTP 500: <its first line>", or the failure as a check's. */
static void hook_why(const struct probe_http_result *r, char *buf, size_t len)
{
	char line[PROBE_HTTP_BODY_KEEP + 1];
	const char *cls = eclass_name(r->cls);

	snprintf(line, sizeof(line), "%s", r->body);
	line[strcspn(line, "\r\n")] = '\0';
	if (r->cls != EC_NONE)
		snprintf(buf, len, "%s: %s", cls ? cls : "failed", r->msg);
	else if (line[0])
		snprintf(buf, len, "HTTP %d: %s", r->http_status, line);
	else
		snprintf(buf, len, "HTTP %d", r->http_status);
}

static void hook_done(void *arg, const struct probe_http_result *r)
{
	struct alert_job *j = arg;
	struct alert *a = j->a;
	bool ok = r->cls == EC_NONE && r->http_status >= 200 && r->http_status < 300;
	char why[RESULT_MSG_LEN + PROBE_HTTP_BODY_KEEP + 64], *what;
	struct event ev;

	j->req = NULL;
	a->hooks_flying--;
	/* a slot is free: a webhook waiting for one can go */
	alert_wake_at(a, mono_ms());
	hook_why(r, why, sizeof(why));
	if (!ok && retryable(r) && j->attempts < ALERT_HOOK_ATTEMPTS) {
		j->next_try = mono_ms() + retry_ms[j->attempts - 1];
		log_debug("alert: %s: webhook %s: %s; attempt %u in %lld ms", j->alert, j->shown,
			  why, j->attempts + 1, (long long)retry_ms[j->attempts - 1]);
		alert_wake_at(a, j->next_try);
		return;
	}
	if (j->attempts > 1)
		what = xasprintf("%s (%u attempts)", why, j->attempts);
	else
		what = xstrdup(why);
	job_event(j, ok, ALERT_F_WEBHOOK, (uint16_t)j->attempts, what, &ev);
	free(what);
	alert_outcome(a, &ev);
	job_free(j);
}

static void hook_start(struct alert_job *j)
{
	struct probe_http q = {
		.url = j->url, .method = j->method,
		.headers = (const char *const *)j->headers, .nheaders = j->nheaders,
		.body = j->body, .body_len = j->body ? strlen(j->body) : 0,
		.timeout_ms = j->timeout_ms,
	};

	j->attempts++;
	j->next_try = 0;
	j->a->hooks_flying++;
	log_debug("alert: %s: webhook %s %s (attempt %u)", j->alert, j->method, j->shown,
		  j->attempts);
	j->req = engine_request(j->a->e, &q, hook_done, j);
}

int64_t alert_hooks_due(struct alert *a, int64_t now)
{
	int64_t next = INT64_MAX;
	struct alert_job *j = a->hooks, *nx;

	for (; j; j = nx) {
		nx = j->next;   /* hook_start may end (free) j, never another */
		if (!j->next_try)
			continue;
		/* due but no slot: the request that ends wakes the timer */
		if (j->next_try <= (now == INT64_MIN ? mono_ms() : now) &&
		    a->hooks_flying >= ALERT_HOOK_RUNNING)
			continue;
		if (now != INT64_MIN && j->next_try <= now)
			hook_start(j);
		else if (j->next_try < next)
			next = j->next_try;
	}
	return next;
}

/* Sent from the timer, never from here: an engine subscriber may be
 * calling (alert.h). */
static void hook_send(struct alert *a, const struct alert_conf *ac, const struct alert_ctx *c,
		      struct alert_job *j)
{
	if (a->nhooks >= ALERT_HOOK_QUEUED) {
		struct event ev;
		char *why = xasprintf("dropped: %d webhooks are in flight or waiting already",
				      ALERT_HOOK_QUEUED);

		job_event(j, false, ALERT_F_DROPPED | ALERT_F_WEBHOOK, 0, why, &ev);
		free(why);
		alert_defer(a, &ev);
		job_free(j);
		return;
	}
	job_unlink(&a->jobs, j);
	job_link(&a->hooks, j);
	j->hook = true;
	a->nhooks++;
	hook_render(j, ac, c);
	j->next_try = mono_ms();
	alert_wake_at(a, j->next_try);
}

static void jobs_free(struct alert *a)
{
	while (a->hooks) {
		struct alert_job *j = a->hooks;

		if (j->req)
			engine_request_cancel(a->e, j->req);
		job_free(j);
	}
	while (a->jobs)
		job_free(a->jobs);
}

/* --- dispatch ------------------------------------------------------------- */

void alert_send(struct alert *a, int idx, const struct alert_ctx *c, uint32_t target,
		uint8_t flags, uint8_t cls)
{
	const struct alert_conf *ac = &a->cfg->alerts[idx];
	struct alert_job *j = job_new(a, c, target, flags, cls);

	if (ac->is_webhook)
		hook_send(a, ac, c, j);
	else
		cmd_send(a, ac, c, j);
}

void alert_send_init(struct alert *a)
{
	a->child = child_new(a->loop, ALERT_CMD_RUNNING, ALERT_CMD_QUEUED);
}

void alert_send_free(struct alert *a)
{
	unsigned n = child_free(a->child);

	if (n)
		log_debug("alert: exiting: %u alert command%s still running sent SIGTERM", n,
			  n == 1 ? "" : "s");
	a->child = NULL;
	jobs_free(a);
}

void alert_reap(struct alert *a)
{
	child_reap(a->child);
}
