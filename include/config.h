/* config.h - the immutable configuration: targets and settings.
 *
 * Loaded from YAML by config_load() (the only module besides theme that
 * touches libyaml) or built from bare URLs by config_from_urls(). Once
 * loaded a config is never modified; a reload builds a new one. Every key
 * is one row of the key table (config_keys.h): a new key is a field here
 * and a row there. */
#ifndef UPTOP_CONFIG_H
#define UPTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "diag.h"

/* The key table's built-in defaults, for code that needs them as numbers;
 * test_config keeps the two equal. */
#define CONFIG_DEFAULT_INTERVAL_MS 30000
#define CONFIG_DEFAULT_TIMEOUT_MS 5000
#define CONFIG_DEFAULT_MAX_BODY (1024 * 1024)
/* follow_redirects: hops at most */
#define CONFIG_MAX_REDIRECTS 5
/* cert_expiry: an https target is degraded with less validity left */
#define CONFIG_DEFAULT_CERT_EXPIRY_MS (14LL * 24 * 3600 * 1000)
/* A DNS check's server port when its url gives none */
#define CONFIG_DNS_PORT 53

/* What a target checks, from its url (and dns:). */
enum check_kind {
	CHECK_HTTP = 0,   /* http:// or https://: a request through probe */
	CHECK_TCP,        /* tcp://HOST:PORT: a connect (and banner) through conn */
	CHECK_DNS,        /* dns: a query to the server at url (IP[:PORT]) through resolve */
};

/* ip_version: which addresses of a name a check may connect to. */
enum ip_version { IPV_ANY = 0, IPV_4, IPV_6 };

struct header {
	char *name;
	char *value;   /* after ${VAR} expansion: what is sent */
	char *shown;   /* before expansion ("Bearer ${TOKEN}"), for display */
	bool secret;   /* Authorization, Proxy-Authorization, Cookie, or ${VAR} */
};

/* A list of strings, as a list key stores it. */
struct strlist {
	char **v;
	size_t n;
};

struct cond_list;
struct cond_regex;

/* A maintenance window, Gatus-shaped (config_alert.c): open for
 * `duration` from `start` (local time in `timezone`) on the weekdays in
 * `days`. Alerts are muted while it is open; checks go on. */
struct maint_window {
	int start_min;             /* minutes after midnight, 0..1439 */
	int64_t duration_ms;       /* > 0, at most a day */
	uint8_t days;              /* bit d: weekday d open (0 Sunday .. 6
				    * Saturday); 0x7f every day */
	char *timezone;            /* IANA name ("Europe/Berlin"); NULL: UTC;
				    * "Local": the machine's */
	bool enabled;              /* Gatus' enabled: false: never opens */
	int line;                  /* 1-based line of the window */
};

struct maint_list {
	struct maint_window *v;
	size_t n;
};

/* alerts: where alerts go (config_alert.c). */
enum {
	ALERT_ON_DOWN = 1 << 0,      /* a target goes DOWN */
	ALERT_ON_UP = 1 << 1,        /* resolved: it answers again after an
				      * alert told of its failure */
	ALERT_ON_DEGRADED = 1 << 2,  /* a target goes DEGRADED */
};
#define CONFIG_MAX_ALERTS 64     /* a target's alerts are a uint64_t mask */
#define ALERT_NAME_MAX 64        /* an alert's name, at most (bytes) */

struct webhook_conf {
	char *url;                 /* expanded: may carry a token */
	char *url_shown;           /* as written (${VAR} unexpanded), any
				    * password as ***: what uptop shows */
	char *method;              /* POST by default */
	struct header *headers;
	size_t nheaders;
	char *body;                /* with placeholders; NULL: no body */
	bool json;                 /* the body is JSON (Content-Type *json, or
				    * it starts with { or [): values JSON-escaped */
};

struct alert_conf {
	char *name;                /* [A-Za-z0-9_.-], unique */
	struct strlist command;    /* argv, never a shell; n == 0: a webhook */
	struct webhook_conf webhook;
	bool is_webhook;
	int on;                    /* ALERT_ON_* */
	int64_t repeat_ms;         /* remind while still down; 0: never */
	int64_t timeout_ms;        /* a command is killed after it; a
				    * webhook request gives up */
	int line;
};

struct status_range {
	int lo, hi;    /* inclusive; a single code has lo == hi */
};

struct target_conf {
	char *name;
	char *url;             /* expanded; may carry user:password */
	int kind;              /* enum check_kind, from the url (and dns:) */
	char *host;            /* TCP and DNS: the url's host ([v6] bracketed);
				* NULL for HTTP (each hop parses its own) */
	int port;              /* TCP and DNS: the url's port */
	char *group;           /* "" when unset */
	char *method;          /* "GET" by default, upper-cased */
	char *body;            /* request body, NULL when unset */
	char *body_contains;   /* NULL when unset */
	char *ca_file;         /* NULL: the system bundle */
	struct header *headers;
	size_t nheaders;
	struct status_range *expect;   /* default: one range 200-399 */
	size_t nexpect;
	bool expect_set;               /* expect_status written (defaults or
					* target): it applies beside conditions */
	struct cond_list *conditions;  /* cond.h; NULL: none (the status decides) */
	bool conditions_unresolved;    /* Gatus ui.dont-resolve-failed-conditions */
	struct cond_regex *body_matches;      /* cond.h; NULL: unset */
	struct cond_regex *body_not_matches;
	char *dns_resolver;            /* Gatus client.dns-resolver, "udp://IP:53":
					* this target's names are looked up there
					* (resolve.h); NULL: the system's servers */
	char *dns_query_name;          /* dns.query_name (Gatus: query-name); a
					* PTR query for an IP is its reverse name;
					* NULL: not a DNS check */
	char *dns_query_type;          /* dns.query_type, upper-case: A, AAAA, ... */
	char *tcp_send;                /* TCP: bytes sent once connected; NULL: none */
	bool tcp_send_secret;          /* ... built with ${VAR}: never shown */
	char *tcp_expect;              /* TCP: text the answer must contain; NULL:
					* up when connected (and answered, with send) */
	int64_t cert_expiry_ms;        /* HTTPS: degraded (cert_expiry) when the
					* chain has less validity left; 0: off */
	int ip_version;                /* enum ip_version */
	int64_t interval_ms;
	int64_t interval_down_ms;      /* while confirming or down; 0: interval_ms;
					* always > timeout_ms */
	int64_t timeout_ms;            /* always < interval_ms */
	int64_t max_latency_ms;        /* 0: no latency limit */
	int64_t max_body;              /* bytes read at most */
	int failures_before_down;      /* >= 1 */
	int successes_before_up;       /* >= 1: answers in a row to leave down */
	bool follow_redirects;
	bool verify_tls;
	bool fresh_connection;
	bool enabled;                  /* Gatus' enabled: false drops it at load */
	uint64_t alerts;               /* bit i: cfg->alerts[i] fires for it
					* (alerts:; default every alert) */
	bool alerts_set;               /* alerts: was written */
	struct maint_list maint;       /* its own maintenance windows */
	int line;                      /* 1-based line of the entry, 0 if none */
};

struct settings {
	int max_concurrency;   /* 0: auto (derived from RLIMIT_NOFILE) */
	bool bell;             /* ring on a transition to down */
	char *theme;           /* NULL: default */
	char *canary;          /* a target's name (checked at load), or NULL */
	char *event_log;       /* a file of JSON lines, one per event; NULL: none */
	char *history;         /* the history database; NULL: the default
				* path; "off": none (history.h) */
	int64_t retention_ms;  /* history kept */
	int64_t alert_wait_ms; /* a down alert of a network failure waits this
				* long for a mass outage to explain it */
	char *metrics;         /* "ADDR:PORT" for GET /metrics; NULL: off */
};

struct config {
	char *path;            /* NULL when built from URLs */
	struct target_conf *targets;
	size_t ntargets;
	struct settings settings;
	struct alert_conf *alerts;     /* alerts: */
	size_t nalerts;
	struct maint_list maint;       /* maintenance: windows of every target */
	bool has_secrets;      /* any ${VAR}, secret header or URL password */
	struct diag warnings;  /* "FILE:LINE:COL: warning: ..." of a valid file:
				* keys uptop does not act on, doubtful
				* conditions; print them, never drop them */
};

/* Loads and validates a YAML config file. On success returns 0 and sets
 * *out. On failure returns -1, leaves *out NULL and appends every mistake
 * found to `errs`, each formatted "FILE:LINE:COL: message". */
int config_load(const char *path, struct config **out, struct diag *errs);

/* Same, from a buffer; `name` is used as FILE in messages. */
int config_load_buffer(const char *name, const char *buf, size_t len,
		       struct config **out, struct diag *errs);

/* Ad-hoc URL lists (`uptop URL...`, `uptop -`): each URL and where it
 * came from, which messages name ("argument 3", "stdin line 2"). */
struct url_arg {
	const char *url;
	int argn;              /* position in argv, or 0 */
	int line;              /* line of standard input, or 0 */
};

/* Command-line settings for every URL of a list; 0, NULL or false keep the
 * key table's default. */
struct url_opts {
	int64_t interval_ms;           /* --interval */
	int64_t timeout_ms;            /* --timeout */
	const struct status_range *expect;   /* --expect */
	size_t nexpect;
	bool insecure;                 /* --insecure: verify_tls false */
};

/* A config of bare URLs with the defaults and `o` (may be NULL). Each URL
 * is validated like a config url (http/https only); a host with no scheme
 * gets a "did you mean http://HOST:PORT/?"; messages say where the URL
 * came from. The same URL twice is kept once, with a warning in warns;
 * two URLs that differ only in hidden credentials are an error (their
 * names would be the same). The flag values are checked against the key
 * table's ranges and timeout < interval. */
int config_from_urls(const struct url_arg *urls, size_t n, const struct url_opts *o,
		     struct config **out, struct diag *errs, struct diag *warns);

/* --expect: "200,204,300-308,2xx" -> ranges (the caller frees *out).
 * Returns 0, or -1 with a message in err. */
int config_parse_expect(const char *list, struct status_range **out, size_t *n, char *err,
			size_t elen);

void config_free(struct config *c);

/* Finds the config file when -c is absent: $UPTOP_CONFIG, ./uptop.yaml,
 * $XDG_CONFIG_HOME/uptop/config.yaml (default ~/.config/uptop/config.yaml).
 * Returns a malloc'd path or NULL when none exists. */
char *config_find(void);

/* Prints every config key (section, name, kind, default, range, one line
 * of help), generated from the key table: `uptop --help-config`. */
void config_help(FILE *f);

/* The index of the alert named `name`, or -1. */
int config_alert_index(const struct config *c, const char *name);

/* Where /metrics listens (settings.metrics, --metrics): "ADDR:PORT" with a
 * numeric IPv4 address, "[IPv6]:PORT", "localhost:PORT", or ":PORT" for
 * 127.0.0.1. Names other than localhost are refused (no lookup at start). */
struct listen_addr {
	char host[48];         /* numeric, without brackets */
	int port;              /* 1..65535 */
	bool v6;
	bool loopback;         /* 127.0.0.0/8 or ::1: this machine only */
};

/* Returns 0 and fills *out, or -1 with a message in err. */
int config_parse_listen(const char *s, struct listen_addr *out, char *err, size_t elen);

/* --shard K/N: this instance checks the targets whose name hashes to
 * shard K of N (1 <= K <= N <= 1000). The hash is 64-bit FNV-1a of the
 * name's bytes, modulo N, plus one: stable across versions and machines,
 * so N instances given one config split it with no coordination. */
int config_parse_shard(const char *s, unsigned *k, unsigned *n, char *err, size_t elen);
unsigned config_shard_of(const char *name, unsigned n);
/* Keeps only shard k of n's targets (in order) and frees the others; the
 * config must not be in use yet. Returns how many it keeps (may be 0). */
size_t config_shard(struct config *c, unsigned k, unsigned n);

/* Parses "250ms", "5s", "2m", "1h" (also combined like "1m30s").
 * Returns 0 and sets *ms, or -1 with a message in err (size errlen). */
int config_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);

#endif
