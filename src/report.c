/* report.c - plain output for --once and --headless. */
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "engine.h"
#include "fmt.h"
#include "util.h"

enum state report_once_state(const struct target *t)
{
	if (!t->has_last)
		return STATE_PENDING;
	if (t->last.cls == EC_NONE)
		return STATE_UP;
	if (eclass_is_degraded(t->last.cls))
		return STATE_DEGRADED;
	return STATE_DOWN;
}

static int once_rank(enum state s)
{
	switch (s) {
	case STATE_DOWN: return 0;
	case STATE_DEGRADED: return 1;
	case STATE_PENDING: return 2;
	default: return 3;
	}
}

static const char *const kind_names[] = { "http", "tcp", "dns" };

static const struct model *sort_model;

static int cmp_once(const void *a, const void *b)
{
	const struct target *x = &sort_model->v[*(const size_t *)a];
	const struct target *y = &sort_model->v[*(const size_t *)b];
	int d = once_rank(report_once_state(x)) - once_rank(report_once_state(y));

	if (d)
		return d;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void error_text(const struct target *t, char *buf, size_t len)
{
	const char *cls = eclass_name(t->last.cls);

	if (!t->has_last)
		snprintf(buf, len, "not checked");
	else if (cls)
		snprintf(buf, len, "%s: %s", cls, t->last.msg);
	else
		buf[0] = '\0';
}

static int max_width(const struct model *m, int which, bool utf8)
{
	int w = which ? 5 : 4;   /* "GROUP" / "NAME" */

	for (size_t i = 0; i < m->n; i++) {
		char s[256];
		const char *raw = which ? m->v[i].conf->group : m->v[i].conf->name;
		int c;

		fmt_sanitize(s, sizeof(s), raw, strlen(raw), utf8);
		c = fmt_width(s);
		if (c > w)
			w = c;
	}
	return w > 40 ? 40 : w;
}

/* Pads a sanitised cell to `cols` columns (wide glyphs count double). */
static void put_cell(FILE *f, const char *raw, int cols, bool utf8)
{
	char s[512], fit[512];
	int used;

	fmt_sanitize(s, sizeof(s), raw, strlen(raw), utf8);
	used = fmt_fit(fit, sizeof(fit), s, cols, utf8);
	fprintf(f, "%s%*s  ", fit, cols - used, "");
}

/* The CODE cell (result.h's rule): an HTTP status, a DNS rcode, "open". */
static void code_text(const struct target *t, char *buf, size_t len)
{
	if (!t->has_last)
		snprintf(buf, len, "-");
	else
		result_code_text(buf, len, t->conf->kind, t->last.http_status,
				 t->last.answer_code);
}

void report_table(FILE *f, const struct model *m, bool utf8)
{
	size_t *idx = xmalloc(m->n * sizeof(*idx));
	int wn = max_width(m, 0, utf8), wg = max_width(m, 1, utf8), wc = 4;
	char code[16];

	for (size_t i = 0; i < m->n; i++) {
		idx[i] = i;
		code_text(&m->v[i], code, sizeof(code));
		if ((int)strlen(code) > wc)
			wc = (int)strlen(code);
	}
	sort_model = m;
	qsort(idx, m->n, sizeof(*idx), cmp_once);
	fprintf(f, "%-8s  %-*s  %-*s  %*s  %8s  %s\n", "STATE", wn, "NAME", wg,
		"GROUP", wc, "CODE", "LATENCY", "ERROR");
	for (size_t k = 0; k < m->n; k++) {
		const struct target *t = &m->v[idx[k]];
		char lat[16] = "-", err[RESULT_MSG_LEN + 32];
		char safe[2 * sizeof(err)];

		code_text(t, code, sizeof(code));
		/* result_has_latency, via target_latency: none for a refusal */
		if (target_latency(t) >= 0)
			fmt_latency(lat, sizeof(lat), target_latency(t));
		error_text(t, err, sizeof(err));
		fmt_sanitize(safe, sizeof(safe), err, strlen(err), utf8);
		fprintf(f, "%-8s  ", state_name(report_once_state(t)));
		put_cell(f, t->conf->name, wn, utf8);
		put_cell(f, t->conf->group, wg, utf8);
		fprintf(f, "%*s  %8s  %s\n", wc, code, lat, safe);
	}
	free(idx);
}

static void put_json_str(FILE *f, const char *s)
{
	size_t cap = strlen(s) * 6 + 3;
	char *buf = xmalloc(cap);

	fmt_json_string(buf, cap, s);
	fputs(buf, f);
	free(buf);
}

static void put_json_str_or_null(FILE *f, const char *s)
{
	if (s)
		put_json_str(f, s);
	else
		fputs("null", f);
}

static void put_iso_time(FILE *f, int64_t wall)
{
	char buf[40];

	fmt_iso_time(buf, sizeof(buf), wall);
	fprintf(f, "\"%s\"", buf);
}

static void put_iso_time_or_null(FILE *f, int64_t wall)
{
	if (wall < 0)
		fputs("null", f);
	else
		put_iso_time(f, wall);
}

/* One rule for every output (result_has_latency, via target_latency): a
 * status line that arrived is shown even when the check failed after it;
 * a latency only for a complete answer, else null (the time it took to
 * fail is in its timings' total_ms). */
static void put_status_latency(FILE *f, const struct target *t)
{
	if (t->has_last && t->last.http_status)
		fprintf(f, ",\"http_status\":%d", t->last.http_status);
	else
		fputs(",\"http_status\":null", f);
	if (target_latency(t) >= 0)
		fprintf(f, ",\"latency_ms\":%.3f", target_latency(t));
	else
		fputs(",\"latency_ms\":null", f);
}

/* The certificate chain's earliest notAfter and the days left of it when
 * the check ran (negative: expired), or nulls (not https, or no check). */
static void put_cert(FILE *f, const struct target *t)
{
	const struct last_result *r = &t->last;

	fputs(",\"cert_not_after\":", f);
	put_iso_time_or_null(f, t->has_last && r->cert_not_after_ms > 0 ?
			     r->cert_not_after_ms : -1);
	if (t->has_last && r->cert_not_after_ms > 0)
		fprintf(f, ",\"cert_days_left\":%.2f",
			(double)(r->cert_not_after_ms - r->start_wall_ms - (int64_t)r->t.total_ms) /
				(24.0 * 3600 * 1000));
	else
		fputs(",\"cert_days_left\":null", f);
}

static void put_timings(FILE *f, const struct timings *t)
{
	fprintf(f,
		"{\"dns_ms\":%.3f,\"connect_ms\":%.3f,\"tls_ms\":%.3f,"
		"\"ttfb_ms\":%.3f,\"total_ms\":%.3f}",
		t->dns_ms, t->connect_ms, t->tls_ms, t->ttfb_ms, t->total_ms);
}

static void put_target_json(FILE *f, const struct target *t)
{
	struct result r_;
	const struct result *r = &r_;
	char url[RESULT_URL_LEN];
	static const struct timings none;

	target_last(t, &r_);
	fmt_redact_url(url, sizeof(url), t->conf->url);
	fputs("{\"name\":", f);
	put_json_str(f, t->conf->name);
	fputs(",\"group\":", f);
	put_json_str(f, t->conf->group);
	fputs(",\"url\":", f);
	put_json_str(f, url);
	fprintf(f, ",\"kind\":\"%s\",\"state\":\"%s\"", kind_names[t->conf->kind],
		state_name(report_once_state(t)));
	fputs(",\"time\":", f);
	put_iso_time_or_null(f, t->has_last ? r->start_wall_ms : -1);
	put_status_latency(f, t);
	fputs(",\"error_class\":", f);
	put_json_str_or_null(f, t->has_last ? eclass_name(r->cls) : "pending");
	fputs(",\"error\":", f);
	put_json_str_or_null(f, t->has_last ? (r->cls ? r->msg : NULL) :
					      "not checked");
	fputs(",\"error_detail\":", f);
	put_json_str_or_null(f, t->has_last && r->detail[0] ? r->detail : NULL);
	fprintf(f, ",\"body_bytes\":%llu,\"truncated\":%s,\"dns_stale\":%s",
		t->has_last ? (unsigned long long)r->bytes : 0ULL,
		t->has_last && r->body_truncated ? "true" : "false",
		t->has_last && r->dns_stale ? "true" : "false");
	fputs(",\"timings\":", f);
	put_timings(f, t->has_last ? &r->t : &none);
	fputs(",\"remote_ip\":", f);
	put_json_str_or_null(f, t->has_last && r->remote_ip[0] ? r->remote_ip :
								 NULL);
	put_cert(f, t);
	fputs(",\"dns_rcode\":", f);
	put_json_str_or_null(f, t->has_last && t->conf->kind == CHECK_DNS && r->connected ?
				     r->dns_rcode : NULL);
	fputs(",\"answer\":", f);
	put_json_str_or_null(f, t->has_last && r->answer[0] ? r->answer : NULL);
	fputs("}\n", f);
}

void report_json(FILE *f, const struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		put_target_json(f, &m->v[i]);
}

/* {"type":"stall","time":T,"ms":N,"checks_voided":N,"reason":S} */
static void put_stall_json(FILE *f, const struct event *ev)
{
	fputs("{\"type\":\"stall\",\"time\":", f);
	put_iso_time(f, ev->wall_ms);
	fprintf(f, ",\"ms\":%u,\"checks_voided\":%u,\"reason\":",
		ev->u.stall.ms, ev->u.stall.voided);
	put_json_str(f, ev->reason);
	fputs("}\n", f);
}

/* {"type":"outage","phase":"start"|"end","time":T,"targets":N,
 *  "hosts":N (start),"error_class":S,"canary":B,"reason":S} */
static void put_outage_json(FILE *f, const struct event *ev)
{
	bool start = ev->u.out.phase == OUTAGE_START;

	fprintf(f, "{\"type\":\"outage\",\"phase\":\"%s\",\"time\":",
		start ? "start" : "end");
	put_iso_time(f, ev->wall_ms);
	fprintf(f, ",\"targets\":%u", ev->u.out.targets);
	if (start)
		fprintf(f, ",\"hosts\":%u", ev->u.out.hosts);
	fputs(",\"error_class\":", f);
	put_json_str_or_null(f, eclass_name((enum eclass)ev->cls));
	fprintf(f, ",\"canary\":%s,\"reason\":", ev->u.out.canary ? "true" : "false");
	put_json_str(f, ev->reason);
	fputs("}\n", f);
}

/* ,"name":S,"group":S,"url":S of an event's target; null ones for an
 * event of no target (or of one a reload took away). */
static void put_target_fields(FILE *f, const struct model *m, uint32_t id)
{
	const struct target *t = id < m->n ? &m->v[id] : NULL;
	char url[RESULT_URL_LEN];

	if (!t) {
		fputs(",\"name\":null,\"group\":null,\"url\":null", f);
		return;
	}
	fmt_redact_url(url, sizeof(url), t->conf->url);
	fputs(",\"name\":", f);
	put_json_str(f, t->conf->name);
	fputs(",\"group\":", f);
	put_json_str(f, t->conf->group);
	fputs(",\"url\":", f);
	put_json_str(f, url);
}

/* {"type":"ack","time":T,"name":S,"group":S,"url":S,"by":S} */
static void put_ack_json(FILE *f, const struct model *m, const struct event *ev)
{
	fputs("{\"type\":\"ack\",\"time\":", f);
	put_iso_time(f, ev->wall_ms);
	put_target_fields(f, m, ev->target);
	fputs(",\"by\":", f);
	put_json_str(f, ev->reason ? ev->reason : "");
	fputs("}\n", f);
}

/* {"type":"silence","time":T,"name":S,...,"phase":"set"|"lifted"|"expired",
 *  "seconds":N,"until":T (set),"by":S (set, lifted)} */
static void put_silence_json(FILE *f, const struct model *m, const struct event *ev)
{
	static const char *const phases[] = { "set", "lifted", "expired" };
	unsigned ph = ev->u.silence.phase < 3 ? ev->u.silence.phase : 1;

	fputs("{\"type\":\"silence\",\"time\":", f);
	put_iso_time(f, ev->wall_ms);
	put_target_fields(f, m, ev->target);
	fprintf(f, ",\"phase\":\"%s\"", phases[ph]);
	if (ph == SILENCE_SET) {
		fprintf(f, ",\"seconds\":%u,\"until\":", ev->u.silence.secs);
		put_iso_time(f, ev->wall_ms + (int64_t)ev->u.silence.secs * 1000);
	}
	if (ph != SILENCE_EXPIRED) {
		fputs(",\"by\":", f);
		put_json_str(f, ev->reason ? ev->reason : "");
	}
	fputs("}\n", f);
}

/* {"type":"maintenance","time":T,"phase":"start"|"end","name":S|null,...,
 *  "targets":N,"window":S,"until":T (start)} */
static void put_maint_json(FILE *f, const struct model *m, const struct event *ev)
{
	bool start = ev->u.maint.phase == MAINT_START;

	fprintf(f, "{\"type\":\"maintenance\",\"time\":");
	put_iso_time(f, ev->wall_ms);
	fprintf(f, ",\"phase\":\"%s\"", start ? "start" : "end");
	put_target_fields(f, m, ev->target);
	fprintf(f, ",\"targets\":%u,\"window\":", ev->u.maint.targets);
	put_json_str(f, ev->reason ? ev->reason : "");
	if (start) {
		fputs(",\"until\":", f);
		put_iso_time(f, ev->wall_ms + (int64_t)ev->u.maint.mins * 60000);
	}
	if (ev->u.maint.reload)
		fputs(",\"reload\":true", f);
	fputs("}\n", f);
}

/* {"type":"alert"|"alert_failed","time":T,"alert":S,"kind":"command"|"webhook",
 *  "name":S|null,...,"transition":S,"old":S,"repeat":B,"outage":N (an
 *  outage's alert),"ok":B,"detail":S (sent)|"error":S (failed),
 *  "attempts":N (webhooks),"dropped":true (never started)} */
static void put_alert_json(FILE *f, const struct model *m, const struct event *ev)
{
	char name[80];
	const char *what = event_alert_name(ev, name, sizeof(name));
	uint8_t fl = ev->u.alert.flags;
	bool ok = fl & ALERT_F_OK;

	fprintf(f, "{\"type\":\"%s\",\"time\":", ok ? "alert" : "alert_failed");
	put_iso_time(f, ev->wall_ms);
	fputs(",\"alert\":", f);
	put_json_str(f, name);
	fprintf(f, ",\"kind\":\"%s\"", fl & ALERT_F_WEBHOOK ? "webhook" : "command");
	put_target_fields(f, m, ev->target);
	/* the shape: "target" is the name again, for grep */
	fputs(",\"target\":", f);
	put_json_str_or_null(f, ev->target < m->n ? m->v[ev->target].conf->name : NULL);
	fprintf(f, ",\"transition\":\"%s\",\"old\":\"%s\",\"repeat\":%s",
		state_name(ev->to), state_name(ev->from), fl & ALERT_F_REPEAT ? "true" : "false");
	if (fl & ALERT_F_OUTAGE)
		fprintf(f, ",\"outage\":%u", ev->u.alert.outage);
	fprintf(f, ",\"ok\":%s,\"%s\":", ok ? "true" : "false", ok ? "detail" : "error");
	put_json_str(f, what);
	if (fl & ALERT_F_WEBHOOK)
		fprintf(f, ",\"attempts\":%u", ev->u.alert.attempts);
	if (fl & ALERT_F_DROPPED)
		fputs(",\"dropped\":true", f);
	fputs("}\n", f);
}

void report_event_json(FILE *f, const struct model *m, const struct event *ev)
{
	const struct target *t;

	/* Each kind gets its own line type; a kind not known here is skipped. */
	switch (ev->kind) {
	case EV_STALL:
		put_stall_json(f, ev);
		fflush(f);
		return;
	case EV_OUTAGE:
		put_outage_json(f, ev);
		fflush(f);
		return;
	case EV_ACK:
		put_ack_json(f, m, ev);
		fflush(f);
		return;
	case EV_SILENCE:
		put_silence_json(f, m, ev);
		fflush(f);
		return;
	case EV_MAINT:
		put_maint_json(f, m, ev);
		fflush(f);
		return;
	case EV_ALERT:
		put_alert_json(f, m, ev);
		fflush(f);
		return;
	case EV_STATE:
		break;
	default:
		return;
	}
	if (ev->target >= m->n)
		return;
	t = &m->v[ev->target];
	fputs("{\"type\":\"state\",\"time\":", f);
	put_iso_time(f, ev->wall_ms);
	put_target_fields(f, m, ev->target);
	fprintf(f, ",\"old\":\"%s\",\"new\":\"%s\"",
		state_name(ev->from), state_name(ev->to));
	/* the result that caused the change is the target's last */
	put_status_latency(f, t);
	fputs(",\"error_class\":", f);
	put_json_str_or_null(f, eclass_name(ev->cls));
	fputs(",\"error\":", f);
	put_json_str_or_null(f, ev->cls ? t->last.msg : NULL);
	fputs(",\"error_detail\":", f);
	put_json_str_or_null(f, ev->cls && t->last.detail[0] ? t->last.detail :
							      NULL);
	put_cert(f, t);
	if (ev->u.outage)
		fputs(",\"outage\":true", f);
	fputs("}\n", f);
	fflush(f);
}

void report_stats_json(FILE *f, const struct engine_stats *s,
		       const struct report_run *run)
{
	double elapsed_s = run->elapsed_s;

	fprintf(f, "{\"type\":\"stats\",\"time\":");
	put_iso_time(f, run->wall_ms);
	fprintf(f,
		",\"final\":%s,\"elapsed_s\":%.3f,\"checks\":%llu,"
		"\"checks_per_sec\":%.1f,\"in_flight\":%zu,\"queued\":%zu,"
		"\"queued_peak\":%zu,\"overdue\":%llu,\"cap\":%zu,",
		run->final ? "true" : "false", elapsed_s,
		(unsigned long long)s->checks,
		elapsed_s > 0 ? (double)s->checks / elapsed_s : 0.0,
		s->in_flight, s->queued, s->queued_peak,
		(unsigned long long)s->overdue, s->cap);
	fprintf(f,
		"\"lag_p50_ms\":%.2f,\"lag_p99_ms\":%.2f,\"lag_max_ms\":%.2f,"
		"\"longest_turn_ms\":%.2f,\"stalls\":%llu,\"checks_voided\":%llu,",
		s->lag_p50_ms, s->lag_p99_ms, s->lag_max_ms, s->longest_turn_ms,
		(unsigned long long)s->stalls, (unsigned long long)s->checks_voided);
	fprintf(f, "\"output_dropped\":%llu,\"alerts_sent\":%llu,\"alerts_failed\":%llu,"
		"\"alerts_dropped\":%llu,\"event_log_dropped\":%llu,\"history\":%s,"
		"\"history_dropped\":%llu,\"peak_rss_kb\":%ld,\"cpu_s\":%.3f}\n",
		(unsigned long long)run->output_dropped, (unsigned long long)run->alerts_sent,
		(unsigned long long)run->alerts_failed, (unsigned long long)run->alerts_dropped,
		(unsigned long long)run->event_log_dropped, run->history_off ? "false" : "true",
		(unsigned long long)run->history_dropped, run->peak_rss_kb, run->cpu_s);
	fflush(f);
}

void report_reload_json(FILE *f, int64_t wall, const char *path,
			const struct config *c, const struct diag *errs)
{
	fputs("{\"type\":\"reload\",\"time\":", f);
	put_iso_time(f, wall);
	fprintf(f, ",\"ok\":%s,\"config\":", c ? "true" : "false");
	put_json_str_or_null(f, path);
	if (c) {
		fprintf(f, ",\"targets\":%zu}\n", c->ntargets);
	} else {
		fputs(",\"errors\":[", f);
		for (size_t i = 0; i < errs->n; i++) {
			if (i)
				fputc(',', f);
			put_json_str(f, errs->msgs[i]);
		}
		fputs("]}\n", f);
	}
	fflush(f);
}

void report_summary(FILE *f, const struct model *m, double seconds)
{
	size_t n[STATE__COUNT] = { 0 };
	static const enum state order[] = { STATE_UP, STATE_DEGRADED, STATE_DOWN,
					    STATE_PENDING };
	const char *sep = "";

	for (size_t i = 0; i < m->n; i++)
		n[report_once_state(&m->v[i])]++;
	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		/* pending only when a round was cut short (a signal) */
		if (order[i] == STATE_PENDING && !n[STATE_PENDING])
			continue;
		fprintf(f, "%s%zu %s", sep, n[order[i]], state_name(order[i]));
		sep = ", ";
	}
	if (seconds < 1)
		fprintf(f, " in %.0f ms\n", seconds * 1000);
	else
		fprintf(f, " in %.1f s\n", seconds);
}

/* ---- Nagios ------------------------------------------------------------ */

#define NAGIOS_PROBLEMS 5     /* problems named in the status text */

/* Outside text for the status text: one line (sanitised) and no '|',
 * which starts the performance data. */
static void nagios_text(char *dst, size_t len, const char *raw)
{
	fmt_sanitize(dst, len, raw, strlen(raw), true);
	for (char *p = dst; *p; p++)
		if (*p == '|')
			*p = '/';
}

/* 'NAME what': a label may hold anything but ' and = (the guidelines). */
static void nagios_label(FILE *f, const char *name, const char *what)
{
	char s[512];

	nagios_text(s, sizeof(s), name);
	for (char *p = s; *p; p++)
		if (*p == '\'' || *p == '=')
			*p = '_';
	fprintf(f, " '%s%s%s'=", s, *s && *what ? " " : "", what);
}

/* Seconds with up to 6 decimals: "0.0125", "5". */
static void nagios_secs(FILE *f, double ms)
{
	char buf[32];
	size_t n;

	snprintf(buf, sizeof(buf), "%.6f", ms > 0 ? ms / 1000.0 : 0.0);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[n - 1] = '\0';
	fputs(buf, f);
}

/* time: warn at max_latency (if set), critical at the timeout. */
static void nagios_perf(FILE *f, const struct target *t, const char *name)
{
	if (!t->has_last)
		return;
	nagios_label(f, name, "time");
	nagios_secs(f, t->last.t.total_ms);
	fputs("s;", f);
	if (t->conf->max_latency_ms > 0)
		nagios_secs(f, (double)t->conf->max_latency_ms);
	fputc(';', f);
	nagios_secs(f, (double)t->conf->timeout_ms);
	fputs(";0", f);
	nagios_label(f, name, "size");
	fprintf(f, "%lluB;;;0", (unsigned long long)t->last.bytes);
}

/* "shop: 200 in 0.012 s" or "shop: status: got 503, expected 200-399";
 * the error cut to `room` bytes (several share one line). */
static void nagios_result(FILE *f, const struct target *t, size_t room)
{
	char name[256], err[RESULT_MSG_LEN + 32], safe[2 * sizeof(err)];

	nagios_text(name, sizeof(name), t->conf->name);
	error_text(t, err, sizeof(err));
	if (err[0]) {
		nagios_text(safe, room < sizeof(safe) ? room : sizeof(safe), err);
		fprintf(f, "%s: %s", name, safe);
	} else {
		fprintf(f, "%s: %d in %.3f s", name, t->last.http_status,
			t->last.t.total_ms / 1000.0);
	}
}

void report_nagios(FILE *f, const struct model *m)
{
	static const char *const words[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	static const enum state order[] = { STATE_DOWN, STATE_DEGRADED, STATE_UP,
					    STATE_PENDING };
	size_t n[STATE__COUNT] = { 0 }, named = 0, problems;
	const char *sep = "";

	for (size_t i = 0; i < m->n; i++)
		n[report_once_state(&m->v[i])]++;
	fprintf(f, "UPTOP %s - ", words[report_exit_code(m, true)]);
	if (m->n == 1) {
		nagios_result(f, &m->v[0], SIZE_MAX);
		fputs(" |", f);
		nagios_perf(f, &m->v[0], "");
		fputc('\n', f);
		return;
	}
	for (size_t k = 0; k < ARRAY_LEN(order); k++) {
		if (!n[order[k]] && order[k] != STATE_UP)
			continue;
		fprintf(f, "%s%zu %s", sep, n[order[k]], state_name(order[k]));
		sep = ", ";
	}
	fprintf(f, " of %zu", m->n);
	problems = n[STATE_DOWN] + n[STATE_DEGRADED];
	/* Down first, then degraded, in config order. */
	for (size_t k = 0; k < 2 && named < NAGIOS_PROBLEMS; k++) {
		for (size_t i = 0; i < m->n && named < NAGIOS_PROBLEMS; i++) {
			if (report_once_state(&m->v[i]) != order[k])
				continue;
			fputs(named++ ? "; " : ": ", f);
			nagios_result(f, &m->v[i], 120);
		}
	}
	if (problems > named)
		fprintf(f, "; and %zu more", problems - named);
	fputs(" |", f);
	for (size_t k = 0; k < ARRAY_LEN(order); k++)
		fprintf(f, " '%s'=%zu;;;0;%zu", state_name(order[k]), n[order[k]], m->n);
	for (size_t i = 0; i < m->n; i++)
		nagios_perf(f, &m->v[i], m->v[i].conf->name);
	fputc('\n', f);
}

int report_exit_code(const struct model *m, bool once)
{
	bool degraded = false;

	for (size_t i = 0; i < m->n; i++) {
		enum state s = once ? report_once_state(&m->v[i]) : m->v[i].state;

		if (s == STATE_DOWN)
			return EXIT_DOWN;
		/* Failing but not yet down: not all up, not down. */
		if (s == STATE_DEGRADED || s == STATE_CONFIRMING)
			degraded = true;
	}
	return degraded ? EXIT_DEGRADED : EXIT_UP;
}

char *report_event_text(const struct model *m, const struct event *ev, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		fatal("open_memstream: out of memory");
	report_event_json(f, m, ev);
	fclose(f);
	if (!n) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
