/* metrics.h - Prometheus: the model as text exposition (format 0.0.4),
 * served at GET /metrics from the loop, or written once (--once --format
 * prometheus, for node_exporter's textfile collector).
 *
 * Two parts. The exposition (metrics.c) is pure: a cursor over the model
 * that writes the next whole lines into a caller's buffer, so a scrape of
 * 10,000 targets is produced a chunk at a time and never in one loop
 * turn. Each target's values are copied the first time the cursor reaches
 * it (its labels escaped then too), so every family shows the same result
 * of a target even when new results arrive while the scrape is sent. The
 * server (metrics_http.c, the only includer of microhttpd.h) runs
 * libmicrohttpd in its external epoll mode: one epoll fd in our poll(),
 * one timer from MHD_get_timeout, bounded work per turn.
 *
 * The names are blackbox_exporter's, so its dashboards and alert rules
 * work unchanged: probe_success, probe_duration_seconds,
 * probe_http_status_code, probe_http_duration_seconds{phase},
 * probe_dns_lookup_time_seconds, probe_ssl_earliest_cert_expiry,
 * probe_http_content_length, probe_http_redirects, probe_ip_protocol,
 * each labelled target (the name), group and url (credentials redacted);
 * a target that has no result yet has none of them. uptop's own:
 * uptop_target_state{state}, uptop_checks_total{result},
 * uptop_loop_lag_seconds, uptop_overdue_total, uptop_in_flight,
 * uptop_queued, uptop_outage_active, uptop_alerts_total{result},
 * uptop_build_info. */
#ifndef UPTOP_METRICS_H
#define UPTOP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

struct model;
struct loop;
struct engine;
struct listen_addr;
struct alert;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the exposition (metrics.c): pure ---------------------------------- */

/* The values that are not a target's, taken when a scrape starts. */
struct metrics_global {
	double lag_q[3];          /* seconds: p50, p90, p99 over the last minute */
	double lag_sum_s;         /* every turn since start */
	uint64_t lag_count;
	uint64_t overdue;
	size_t in_flight, queued;
	bool outage_active;
	uint64_t alerts_sent;     /* alerts since start, by outcome */
	uint64_t alerts_failed;
	uint64_t alerts_dropped;
	int64_t now_wall;         /* the scrape's wall ms: where the uptime
				   * windows (uptop_target_up_ratio) end */
	bool once;                /* --once: one check decides each state, as
				   * report_once_state (failures_before_down
				   * does not apply) */
};

struct metrics_expo;

/* A cursor over m (which must not change shape, i.e. be reloaded, while
 * the cursor lives; values may change). O(1); the snapshot array is
 * allocated here and filled as the cursor goes. */
struct metrics_expo *metrics_expo_new(const struct model *m,
				      const struct metrics_global *g);
void metrics_expo_free(struct metrics_expo *x);
/* Writes the next bytes of the exposition into buf (at most max, max >=
 * 1), ending on a line where it can: a line longer than what is left goes
 * out over two calls. Returns the bytes written; 0 only at the end. The
 * work per call is O(max) plus one target's lines. */
size_t metrics_expo_fill(struct metrics_expo *x, char *buf, size_t max);

/* ---- the server and the one-shot writer (metrics_http.c) --------------- */

struct metrics;

/* Starts serving GET /metrics on `at` (see config_parse_listen), its fds
 * in the loop. `origin` names the setting in messages ("--metrics",
 * "settings.metrics"). A non-loopback address is served, with a warning
 * in warns. Returns NULL with a message in errs when the address cannot
 * be listened on. */
struct metrics *metrics_new(struct loop *l, struct engine *e,
			    const struct listen_addr *at, const char *origin,
			    struct diag *errs, struct diag *warns);
/* Closes every connection (scrapes in progress are cut) and the socket. */
void metrics_free(struct metrics *m);
/* After engine_reload: scrapes in progress end with an error (their
 * targets are gone) and the next ones see the new model. */
void metrics_reload(struct metrics *m);
/* The alerts whose outcomes uptop_alerts_total counts (NULL: none, and
 * the counters stay 0); `a` must outlive m. */
void metrics_set_alert(struct metrics *m, const struct alert *a);
/* The port actually listened on. */
int metrics_port(const struct metrics *m);

/* --once --format prometheus: the whole exposition of the engine's model
 * now, states as --once decides them. Returns 0, or -1 with errno when
 * writing failed. */
int metrics_write(FILE *f, const struct engine *e, const struct loop *l);

/* "libmicrohttpd/0.9.75", for --version. */
const char *metrics_version(void);

#endif
