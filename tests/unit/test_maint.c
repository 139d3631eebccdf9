/* test_maint.c - maintenance windows: the config keys (Gatus' shape, a
 * mapping or a list, per target and per Gatus endpoint), and when a
 * window is open, in UTC, on weekdays, across midnight, in a named zone
 * across a daylight saving change. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgload.h"
#include "config.h"
#include "maint.h"
#include "tap.h"
#include "util.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* 2024-01-01 00:00:00 UTC, a Monday. */
#define MON0 1704067200000LL

static void test_keys(void)
{
	struct diag e = { 0 };
	struct config *c = load("maintenance:\n"
				"  start: \"23:00\"\n"
				"  duration: 1h\n"
				"  every: [Monday, thu]\n"
				"  timezone: Europe/Berlin\n"
				"targets:\n"
				"  - url: http://127.0.0.1/\n"
				"    maintenance:\n"
				"      - {start: \"2:30\", duration: 30m}\n"
				"      - {start: \"12:00\", duration: 2h, enabled: false}\n"
				"endpoints:\n"
				"  - name: g\n"
				"    url: http://127.0.0.1/g\n"
				"    conditions: ['[STATUS] == 200']\n"
				"    maintenance-windows:\n"
				"      - {start: \"07:00\", duration: 1h, every: [Sunday]}\n", &e);

	if (!OK(c != NULL, "a Gatus-shaped window, a target's list, an endpoint's windows")) {
		diag_print(&e, stdout);
		diag_clear(&e);
		return;
	}
	IS_INT(c->maint.n, 1, "one top-level window (a mapping)");
	IS_INT(c->maint.v[0].start_min, 23 * 60, "start 23:00");
	IS_INT(c->maint.v[0].duration_ms, HOUR, "duration 1h");
	IS_INT(c->maint.v[0].days, (1 << 1) | (1 << 4), "Monday and Thursday");
	IS_STR(c->maint.v[0].timezone, "Europe/Berlin", "its zone");
	IS_INT(c->targets[0].maint.n, 2, "a target's own list");
	IS_INT(c->targets[0].maint.v[0].start_min, 150, "\"2:30\"");
	IS_INT(c->targets[0].maint.v[0].days, 0x7f, "every day by default");
	OK(!c->targets[0].maint.v[1].enabled, "enabled: false");
	IS_INT(c->targets[1].maint.n, 1, "a Gatus endpoint's maintenance-windows:");
	OK(c->warnings.n == 0, "maintenance is acted on: no 'does not act on' warning");
	config_free(c);

	c = load("maintenance: [{start: \"24:00\", duration: 1h}, {duration: 1h},\n"
		 "  {start: \"1:00\", every: [Funday]}, {start: \"1:00\", duration: 1h,\n"
		 "   timezone: Mars/Olympus}]\n"
		 "targets: [{url: \"http://127.0.0.1/\"}]\n", &e);
	OK(c == NULL, "bad windows are errors");
	OK(has_msg(&e, "t.yaml:1:23: start: '24:00' is not a time of day"), "24:00");
	OK(has_msg(&e, "t.yaml:1:47: this maintenance window has no start"), "no start");
	OK(has_msg(&e, "t.yaml:2:3: this maintenance window has no duration"), "no duration");
	OK(has_msg(&e, "t.yaml:2:27: every: 'Funday' is not a weekday"), "a weekday");
	OK(has_msg(&e, "t.yaml:3:14: timezone 'Mars/Olympus': unknown time zone"), "a zone");
	config_free(c);
	diag_clear(&e);
}

/* A plan of the config's windows, stepped at `at`. */
struct probe {
	struct maint_plan *p;
	int64_t next;
	int changes, opened;
	uint32_t last_owner;
};

static void on_change(void *arg, const struct maint_change *c)
{
	struct probe *pr = arg;

	pr->changes++;
	pr->opened += c->open;
	pr->last_owner = c->owner;
}

static void step(struct probe *pr, int64_t at)
{
	pr->changes = pr->opened = 0;
	pr->next = maint_plan_step(pr->p, at, on_change, pr);
}

static void test_utc(void)
{
	struct diag e = { 0 };
	struct config *c = load("maintenance:\n"
				"  - {start: \"23:00\", duration: 2h, every: [Monday, Thursday]}\n"
				"targets:\n"
				"  - {name: a, url: \"http://127.0.0.1/a\"}\n"
				"  - name: b\n"
				"    url: http://127.0.0.1/b\n"
				"    maintenance: {start: \"12:00\", duration: 30m}\n", &e);
	struct probe pr = { 0 };
	char text[128];

	if (!OK(c != NULL, "loads"))
		return;
	pr.p = maint_plan_new(c, MON0 + 12 * HOUR);
	OK(!maint_plan_empty(pr.p) && !maint_plan_stale(pr.p, MON0), "a plan, not stale");
	step(&pr, MON0 + 10 * HOUR);
	IS_INT(pr.changes, 0, "Monday 10:00: nothing open");
	IS_INT(pr.next, MON0 + 12 * HOUR, "the next change: b's window at 12:00");
	step(&pr, MON0 + 12 * HOUR);
	IS_INT(pr.opened, 1, "12:00: b's window opens");
	IS_INT(pr.last_owner, 1, "it is b's");
	IS_INT(maint_plan_until(pr.p, 1), MON0 + 12 * HOUR + 30 * MIN, "b muted until 12:30");
	IS_INT(maint_plan_until(pr.p, 0), 0, "a is not");
	IS_INT(pr.next, MON0 + 12 * HOUR + 30 * MIN, "the next change: it closes");
	step(&pr, MON0 + 23 * HOUR - 1);
	IS_INT(pr.changes, 1, "12:30: it closed");
	IS_INT(pr.next, MON0 + 23 * HOUR, "next: the global window at 23:00");
	step(&pr, MON0 + 23 * HOUR);
	IS_INT(pr.last_owner, MAINT_GLOBAL, "Monday 23:00: the global window opens");
	IS_INT(maint_plan_until(pr.p, 0), MON0 + 25 * HOUR, "a muted until Tuesday 01:00");
	step(&pr, MON0 + 24 * HOUR + 30 * MIN);
	IS_INT(pr.changes, 0, "Tuesday 00:30: still open across midnight");
	step(&pr, MON0 + 25 * HOUR);
	IS_INT(maint_plan_until(pr.p, 0), 0, "Tuesday 01:00: closed");
	step(&pr, MON0 + DAY + 23 * HOUR + 30 * MIN);
	IS_INT(maint_plan_until(pr.p, 0), 0, "Tuesday 23:30: closed (not its day)");
	IS_INT(pr.next, MON0 + 2 * DAY + 12 * HOUR, "next: b at noon Wednesday");
	step(&pr, MON0 + 3 * DAY + 23 * HOUR + 10 * MIN);
	OK(maint_plan_until(pr.p, 0) == MON0 + 4 * DAY + HOUR, "Thursday 23:10: open");
	maint_window_text(&c->maint.v[0], text, sizeof(text));
	IS_STR(text, "23:00 for 2h on Monday, Thursday (UTC)", "the window in words");
	OK(maint_plan_stale(pr.p, MON0 + 400 * DAY), "a year on the plan is stale");
	maint_plan_free(pr.p);
	config_free(c);
}

static void test_zone(void)
{
	struct diag e = { 0 };
	struct config *c = load("maintenance:\n"
				"  - {start: \"02:30\", duration: 1h, timezone: Europe/Berlin}\n"
				"  - {start: \"23:00\", duration: 25h, every: [Sunday], "
				"enabled: false}\n"
				"targets: [{url: \"http://127.0.0.1/\"}]\n", &e);
	/* 2024-03-30 12:00 UTC: Berlin goes to summer time on the 31st at
	 * 02:00 (01:00 UTC): 02:30 does not exist that day. */
	int64_t sat = 1711800000000LL;
	struct probe pr = { 0 };
	const char *tz = getenv("TZ");
	char *saved = tz ? xstrdup(tz) : NULL;

	if (!OK(c != NULL, "loads"))
		return;
	setenv("TZ", "UTC0", 1);
	tzset();
	pr.p = maint_plan_new(c, sat);
	IS_STR(getenv("TZ"), "UTC0", "TZ is put back after the zone's instants");
	step(&pr, sat);
	/* Saturday 02:30 CET = 01:30 UTC: closed at noon; next Sunday. */
	IS_INT(pr.next, 1711848600000LL,
	       "Sunday's 02:30 does not exist: the window opens at 03:30 CEST (01:30 UTC)");
	step(&pr, 1711848600000LL);
	IS_INT(maint_plan_until(pr.p, 0), 1711852200000LL, "open for an hour");
	step(&pr, 1711852200000LL);
	IS_INT(pr.next, 1711931400000LL, "Monday: 02:30 CEST = 00:30 UTC");
	maint_plan_free(pr.p);
	config_free(c);
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	free(saved);
	tzset();
}

int main(void)
{
	test_keys();
	test_utc();
	test_zone();
	return tap_done();
}
