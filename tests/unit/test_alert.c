/* test_alert.c - what one alert says (alert_text.c): placeholders, uptop's
 * and Gatus' custom provider's, escaped for a JSON body, a URL and a
 * header; the UPTOP_* variables and the JSON line a command reads; and
 * the alerts: keys of the config; what a restart brings back of what the
 * alerts told (alert_recall). No process, no network. */
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "cfgload.h"
#include "config.h"
#include "history.h"
#include "tap.h"
#include "target.h"
#include "util.h"

#define T0 1767323045678LL   /* 2026-01-02T03:04:05.678Z */

static struct alert_ctx ctx(void)
{
	struct alert_ctx c;

	memset(&c, 0, sizeof(c));
	c.alert = "chat";
	c.name = "shop \"eu\" \\ 1";
	c.group = "web";
	c.url = "https://***@shop.example.com/health?a=1&b=2";
	c.from = STATE_UP;
	c.to = STATE_DOWN;
	c.error_class = "status";
	c.error = "got 503, expected 200-399\n\tsecond line";
	c.error_detail = "";
	c.description = "shop is down";
	c.time_wall = T0;
	c.since_wall = T0 - 60000;
	return c;
}

static void test_expand(void)
{
	struct alert_ctx c = ctx();
	char *s;

	s = alert_expand("[NAME] is [STATE] (was [OLD_STATE]) in [GROUP] at [URL]: [ERROR_CLASS]",
			 &c, ALERT_ESC_NONE);
	IS_STR(s, "shop \"eu\" \\ 1 is down (was up) in web at "
		  "https://***@shop.example.com/health?a=1&b=2: status",
	       "placeholders, as they are");
	free(s);
	s = alert_expand("{\"text\": \"[NAME]: [ERROR]\"}", &c, ALERT_ESC_JSON);
	IS_STR(s, "{\"text\": \"shop \\\"eu\\\" \\\\ 1: got 503, expected 200-399\\n\\tsecond "
		  "line\"}", "JSON-escaped in a JSON body: quotes, backslashes, controls");
	free(s);
	c.error_detail = "Failed to connect to h port 1";
	s = alert_expand("[ERROR_DETAIL]", &c, ALERT_ESC_NONE);
	IS_STR(s, "Failed to connect to h port 1", "[ERROR_DETAIL]: the library's text");
	free(s);
	c.error_detail = "";
	s = alert_expand("[TIME] [SINCE] [ALERT]", &c, ALERT_ESC_NONE);
	IS_STR(s, "2026-01-02T03:04:05.678Z 2026-01-02T03:03:05.678Z chat",
	       "times in UTC, the alert");
	free(s);
	s = alert_expand("[ALERT_TRIGGERED_OR_RESOLVED]: [ENDPOINT_GROUP] - [ENDPOINT_NAME] - "
			 "[ALERT_DESCRIPTION] - [RESULT_ERRORS] ([ENDPOINT_URL])", &c,
			 ALERT_ESC_NONE);
	IS_STR(s, "TRIGGERED: web - shop \"eu\" \\ 1 - shop is down - status: got 503, expected "
		  "200-399\n\tsecond line (https://***@shop.example.com/health?a=1&b=2)",
	       "Gatus' custom provider's placeholders");
	free(s);
	c.to = STATE_UP;
	c.from = STATE_DOWN;
	c.resolved = true;
	s = alert_expand("[ALERT_TRIGGERED_OR_RESOLVED]", &c, ALERT_ESC_NONE);
	IS_STR(s, "RESOLVED", "resolved");
	free(s);
	s = alert_expand("https://h/x?n=[NAME]&g=[GROUP]", &c, ALERT_ESC_URL);
	IS_STR(s, "https://h/x?n=shop%20%22eu%22%20%5C%201&g=web", "percent-encoded in a URL");
	free(s);
	s = alert_expand("[ERROR]", &c, ALERT_ESC_HEADER);
	IS_STR(s, "got 503, expected 200-399  second line", "no line break into a header");
	free(s);
	s = alert_expand("[STATUS] [name] [NAME [] x[", &c, ALERT_ESC_NONE);
	IS_STR(s, "[STATUS] [name] [NAME [] x[", "anything else in brackets stays");
	free(s);
	s = alert_expand("", &c, ALERT_ESC_JSON);
	IS_STR(s, "", "an empty template");
	free(s);
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static void test_env_and_line(void)
{
	struct alert_ctx c = ctx();
	size_t n, len;
	char **env = alert_env(&c, &n);
	char *line;

	IS_INT(n, 14, "fourteen variables");
	IS_STR(env_get(env, "UPTOP_NAME"), "shop \"eu\" \\ 1", "UPTOP_NAME");
	IS_STR(env_get(env, "UPTOP_GROUP"), "web", "UPTOP_GROUP");
	IS_STR(env_get(env, "UPTOP_OLD"), "up", "UPTOP_OLD");
	IS_STR(env_get(env, "UPTOP_NEW"), "down", "UPTOP_NEW");
	IS_STR(env_get(env, "UPTOP_ERROR_CLASS"), "status", "UPTOP_ERROR_CLASS");
	IS_STR(env_get(env, "UPTOP_TIME"), "2026-01-02T03:04:05.678Z", "UPTOP_TIME");
	IS_STR(env_get(env, "UPTOP_SINCE"), "2026-01-02T03:03:05.678Z", "UPTOP_SINCE");
	IS_STR(env_get(env, "UPTOP_OUTAGE"), "", "UPTOP_OUTAGE empty without an outage");
	IS_STR(env_get(env, "UPTOP_REPEAT"), "0", "UPTOP_REPEAT");
	alert_env_free(env);
	c.outage = 3;
	c.repeat = true;
	env = alert_env(&c, &n);
	IS_STR(env_get(env, "UPTOP_OUTAGE"), "3", "UPTOP_OUTAGE: its number");
	IS_STR(env_get(env, "UPTOP_REPEAT"), "1", "a reminder");
	alert_env_free(env);
	line = alert_json_line(&c, &len);
	IS_INT(len, strlen(line), "the length is the line's");
	OK(line[len - 1] == '\n' && !memchr(line, '\n', len - 1), "one line");
	IS_STR(line, "{\"alert\":\"chat\",\"name\":\"shop \\\"eu\\\" \\\\ 1\",\"group\":\"web\","
		     "\"url\":\"https://***@shop.example.com/health?a=1&b=2\","
		     "\"transition\":\"down\",\"old\":\"up\",\"new\":\"down\","
		     "\"error_class\":\"status\",\"error\":\"got 503, "
		     "expected 200-399\\n\\tsecond line\",\"error_detail\":null,"
		     "\"description\":\"shop is down\","
		     "\"time\":\"2026-01-02T03:04:05.678Z\",\"since\":\"2026-01-02T03:03:05.678Z\","
		     "\"outage\":3,\"repeat\":true,\"resolved\":false}\n", "the JSON line");
	free(line);
	c.error_class = c.error = "";
	c.outage = 0;
	line = alert_json_line(&c, &len);
	HAS_STR(line, "\"error_class\":null,\"error\":null", "no error: null");
	HAS_STR(line, "\"outage\":null", "no outage: null");
	free(line);
}

static void test_config(void)
{
	struct diag e = { 0 };
	struct config *c;

	setenv("UPTOP_TEST_TOKEN", "t0k3n", 1);
	c = load("alerts:\n"
		 "  - {name: pager, command: [/bin/true, --team, web], repeat: 30m}\n"
		 "  - name: chat\n"
		 "    webhook:\n"
		 "      url: \"https://user:pw@hooks.example.com/${UPTOP_TEST_TOKEN}\"\n"
		 "      headers: {X-Key: \"${UPTOP_TEST_TOKEN}\"}\n"
		 "      body: '{\"text\": \"[NAME]\"}'\n"
		 "    \"on\": [down, up, degraded]\n"
		 "  - {name: ntfy, webhook: {url: \"http://127.0.0.1/t\", "
		 "body: \"[NAME] is down\"}}\n"
		 "defaults: {alerts: [pager]}\n"
		 "targets:\n"
		 "  - {url: \"http://127.0.0.1/a\"}\n"
		 "  - {url: \"http://127.0.0.1/b\", alerts: [chat, ntfy]}\n"
		 "  - {url: \"http://127.0.0.1/c\", alerts: []}\n", &e);
	if (!OK(c != NULL, "alerts: load")) {
		diag_print(&e, stdout);
		diag_clear(&e);
		return;
	}
	IS_INT(c->nalerts, 3, "three alerts");
	IS_INT(c->alerts[0].command.n, 3, "argv as a list");
	IS_INT(c->alerts[0].on, ALERT_ON_DOWN | ALERT_ON_UP, "on: defaults to down and up");
	IS_INT(c->alerts[0].repeat_ms, 1800000, "repeat");
	IS_INT(c->alerts[0].timeout_ms, 10000, "timeout: 10s by default");
	OK(c->alerts[1].is_webhook && c->alerts[1].webhook.json, "a webhook with a JSON body");
	IS_STR(c->alerts[1].webhook.method, "POST", "POST by default");
	IS_STR(c->alerts[1].webhook.url, "https://user:pw@hooks.example.com/t0k3n",
	       "sent expanded");
	IS_STR(c->alerts[1].webhook.url_shown, "https://***@hooks.example.com/${UPTOP_TEST_TOKEN}",
	       "shown as written, the password hidden");
	OK(c->alerts[1].webhook.headers[0].secret, "a header with ${VAR} is a secret");
	IS_INT(c->alerts[1].on, ALERT_ON_DOWN | ALERT_ON_UP | ALERT_ON_DEGRADED, "on: three");
	OK(!c->alerts[2].webhook.json, "\"[NAME] is down\" is a text body");
	OK(c->has_secrets, "the config has secrets");
	IS_INT(c->targets[0].alerts, 1, "defaults' alerts: [pager]");
	IS_INT(c->targets[1].alerts, 6, "a target's own alerts:");
	IS_INT(c->targets[2].alerts, 0, "alerts: [] for none");
	IS_INT(config_alert_index(c, "ntfy"), 2, "config_alert_index");
	config_free(c);

	c = load("alerts:\n"
		 "  - {name: a}\n"
		 "  - {name: b, command: [x], webhook: {url: \"http://h/\"}}\n"
		 "  - {name: 'c d', command: []}\n"
		 "  - {name: e, command: [/bin/true], \"on\": [sideways]}\n"
		 "  - {name: e, webhook: {url: \"ftp://h/\"}}\n"
		 "targets: [{url: \"http://127.0.0.1/\", alerts: [nope]}]\n", &e);
	OK(c == NULL, "mistakes in alerts: are errors");
	OK(has_msg(&e, "t.yaml:2:5: this alert has neither 'command:' nor 'webhook:'"), "neither");
	OK(has_msg(&e, "t.yaml:3:38: an alert has 'command:' or 'webhook:', not both"), "both");
	OK(has_msg(&e, "t.yaml:4:12: name 'c d': use 1 to 64 letters, digits"), "a bad name");
	OK(has_msg(&e, "t.yaml:4:28: command: list the program and its arguments"), "empty argv");
	OK(has_msg(&e, "t.yaml:5:44: on: 'sideways' is not a transition"), "a bad transition");
	OK(has_msg(&e, "t.yaml:6:30: url 'ftp://h/': only http and https"), "a webhook URL");
	{
		bool twice = false;

		for (size_t i = 0; i < e.n; i++)
			twice |= strstr(e.msgs[i], "webhook: no url") != NULL;
		OK(!twice, "a bad url is said once (not also as no url)");
	}
	OK(has_msg(&e, "t.yaml:6:12: duplicate alert name 'e' (first at line 5)"), "duplicates");
	OK(has_msg(&e, "t.yaml:7:47: alerts: no alert is named 'nope' (alerts: a, b"),
	   "an unknown alert name, with the known ones");
	config_free(c);
	diag_clear(&e);
	unsetenv("UPTOP_TEST_TOKEN");
}

static void test_event_name(void)
{
	struct event ev;
	char name[16];
	const char *what;

	memset(&ev, 0, sizeof(ev));
	ev.reason = xstrdup("pager: exited with status 1: no: team");
	what = event_alert_name(&ev, name, sizeof(name));
	IS_STR(name, "pager", "an EV_ALERT's reason starts with the alert's name");
	IS_STR(what, "exited with status 1: no: team", "then what happened");
	free(ev.reason);
}

/* A row of history_told: a state change (alert NULL) or an alert sent. */
static struct history_told row(int64_t time, const char *alert, int from, int to)
{
	struct history_told r;

	memset(&r, 0, sizeof(r));
	r.time = time;
	r.from = (uint8_t)from;
	r.to = (uint8_t)to;
	snprintf(r.alert, sizeof(r.alert), "%s", alert ? alert : "");
	return r;
}

static void test_recall(void)
{
	struct diag e = { 0 };
	struct config *c = load("alerts:\n"
				"  - {name: pager, command: [/bin/true], repeat: 30m}\n"
				"  - {name: chat, command: [/bin/true],\n"
				"     \"on\": [down, up, degraded]}\n"
				"  - {name: mail, command: [/bin/true], \"on\": [degraded]}\n"
				"  - {name: other, command: [/bin/true]}\n"
				"targets:\n"
				"  - {url: \"http://127.0.0.1/\", alerts: [pager, chat, mail]}\n",
				&e);
	const uint64_t pager = 1, chat = 2, mail = 4, mine = pager | chat | mail;
	struct alert_recall r;

	if (!OK(c != NULL, "recall: the config loads")) {
		diag_print(&e, stdout);
		diag_clear(&e);
		return;
	}
	alert_recall(c, mine, NULL, 0, &r);
	OK(!r.fired && !r.downs && !r.since_wall && !r.sent_wall && r.from == STATE_UP,
	   "no rows: nothing was told");
	{
		/* down from UP, told by pager and chat; pager reminds twice;
		 * a row of an alert it no longer uses, one of an unknown name */
		struct history_told v[] = {
			row(T0, NULL, STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 40, "pager", STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 45, "chat", STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 1800040, "pager", STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 3600040, "pager", STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 3600050, "other", STATE_CONFIRMING, STATE_DOWN),
			row(T0 + 3600060, "gone", STATE_CONFIRMING, STATE_DOWN),
		};

		alert_recall(c, mine, v, ARRAY_LEN(v), &r);
		IS_INT(r.fired, pager | chat, "down: the alerts that told of it");
		IS_INT(r.downs, pager | chat, "both told of the DOWN");
		IS_INT(r.since_wall, T0, "since it went down");
		IS_INT(r.sent_wall, T0 + 3600040, "reminders count from the last one");
		IS_INT(r.from, STATE_CONFIRMING, "from the state before DOWN");
		alert_recall(c, chat, v, ARRAY_LEN(v), &r);
		IS_INT(r.fired, chat, "an alert the target no longer uses is left out");
		IS_INT(r.sent_wall, 0, "chat has no repeat: no reminders");
	}
	{
		/* told, then resolved by chat alone (pager's resolved failed:
		 * not in the rows) */
		struct history_told v[] = {
			row(T0, NULL, STATE_UP, STATE_DOWN),
			row(T0 + 40, "pager", STATE_UP, STATE_DOWN),
			row(T0 + 45, "chat", STATE_UP, STATE_DOWN),
			row(T0 + 90000, "chat", STATE_DOWN, STATE_UP),
		};

		alert_recall(c, mine, v, ARRAY_LEN(v), &r);
		IS_INT(r.fired, pager, "a resolved alert no longer counts");
		IS_INT(r.downs, pager, "nor for the DOWN");
	}
	{
		/* DOWN -> DEGRADED: chat told of the down and says resolved;
		 * mail (degraded only) says degraded; then -> CONFIRMING ->
		 * DOWN again, told by pager */
		struct history_told v[] = {
			row(T0, NULL, STATE_UP, STATE_DOWN),
			row(T0 + 40, "pager", STATE_UP, STATE_DOWN),
			row(T0 + 45, "chat", STATE_UP, STATE_DOWN),
			row(T0 + 60000, NULL, STATE_DOWN, STATE_DEGRADED),
			row(T0 + 60040, "pager", STATE_DOWN, STATE_DEGRADED),
			row(T0 + 60045, "chat", STATE_DOWN, STATE_DEGRADED),
			row(T0 + 60050, "mail", STATE_DOWN, STATE_DEGRADED),
		};

		alert_recall(c, mine, v, ARRAY_LEN(v), &r);
		IS_INT(r.fired, mail, "DOWN -> DEGRADED: resolved for pager and chat, "
		       "mail told of DEGRADED");
		IS_INT(r.downs, 0, "no DOWN told now");
		IS_INT(r.since_wall, T0 + 60000, "the incident: since DEGRADED");
		IS_INT(r.sent_wall, 0, "no reminders while DEGRADED");
		{
			struct history_told w[ARRAY_LEN(v) + 2];

			memcpy(w, v, sizeof(v));
			w[ARRAY_LEN(v)] = row(T0 + 70000, NULL, STATE_CONFIRMING, STATE_DOWN);
			w[ARRAY_LEN(v) + 1] = row(T0 + 70040, "pager", STATE_CONFIRMING,
						  STATE_DOWN);
			alert_recall(c, mine, w, ARRAY_LEN(w), &r);
			IS_INT(r.fired, mail | pager, "DEGRADED -> DOWN: mail still, and pager");
			IS_INT(r.downs, pager, "pager told of the DOWN");
			IS_INT(r.since_wall, T0 + 60000, "the incident began when it degraded");
			IS_INT(r.sent_wall, T0 + 70040, "reminders from pager's down");
		}
	}
	{
		/* chat (on: degraded too) did not tell of the down (it was
		 * quiet then): DOWN -> DEGRADED makes it tell of DEGRADED */
		struct history_told v[] = {
			row(T0, NULL, STATE_UP, STATE_DOWN),
			row(T0 + 60000, NULL, STATE_DOWN, STATE_DEGRADED),
			row(T0 + 60045, "chat", STATE_DOWN, STATE_DEGRADED),
		};

		alert_recall(c, mine, v, ARRAY_LEN(v), &r);
		IS_INT(r.fired, chat, "an alert that told no down says degraded, not resolved");
	}
	{
		/* an old incident, over (UP), then a new down nobody told of */
		struct history_told v[] = {
			row(T0, NULL, STATE_UP, STATE_DOWN),
			row(T0 + 40, "pager", STATE_UP, STATE_DOWN),
			row(T0 + 60000, NULL, STATE_DOWN, STATE_UP),
			row(T0 + 90000, NULL, STATE_CONFIRMING, STATE_DOWN),
		};

		alert_recall(c, mine, v, ARRAY_LEN(v), &r);
		OK(!r.fired && !r.downs, "UP ends what was told; the new down is untold");
		IS_INT(r.since_wall, T0 + 90000, "since the new down");
	}
	config_free(c);
}

int main(void)
{
	test_expand();
	test_env_and_line();
	test_config();
	test_event_name();
	test_recall();
	return tap_done();
}
