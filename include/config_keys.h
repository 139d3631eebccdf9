/* config_keys.h - the config key tables and the machinery they drive.
 *
 * Private to config.c (loading), config_keys.c (the tables and the parser
 * of each kind of value) and config_target.c (building one target), and
 * read by their unit test; the rest of the program sees config.h only.
 *
 * One key is one row (struct ckey), in the manner of tmux's
 * options-table.c: its name, its kind, where its value is stored (offsetof
 * into the section's struct), its range, its built-in default as YAML text,
 * and one line of help. The rows drive parsing and its messages (line:col,
 * ranges, "did you mean", where a misplaced key belongs), the built-in
 * defaults, the copy of `defaults:` into each target, freeing,
 * --help-config, and the test that every key is documented.
 *
 * A key whose value needs more than its kind (url, method, headers...)
 * names a parse hook; one whose storage is not one plain field (headers,
 * expect_status) names copy and clear hooks too. Checks across keys
 * (timeout < interval) belong to config_target.c.
 *
 * Adding a key: its field in the section's struct, its row, and a line in
 * config.example.yaml and README.md (a test checks both). */
#ifndef UPTOP_CONFIG_KEYS_H
#define UPTOP_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "yamldoc.h"

/* What a value is written as, and the C type of its field. */
enum key_kind {
	KIND_DURATION,   /* int64_t, ms: "250ms", "5s", "1m30s" */
	KIND_SIZE,       /* int64_t, bytes: "512", "64KiB", "1 MB" */
	KIND_BOOL,       /* bool: true/false, yes/no, on/off */
	KIND_INT,        /* int: a decimal whole number */
	KIND_ENUM,       /* int: the index of the word in .choices */
	KIND_STRING,     /* char *, owned; NULL when unset */
	KIND_LIST,       /* struct strlist; one scalar is a list of one */
	KIND_MAP,        /* a nested struct whose keys are .sub */
	KIND_CLOCK,      /* int, minutes after midnight: "23:00", "7:30" */
};

enum {
	KF_EXPAND = 1 << 0,    /* ${VAR} is taken from the environment */
	KF_OPTIONAL = 1 << 1,  /* an empty value (~) means the built-in default,
				* and "" is a valid string */
	KF_IGNORED = 1 << 2,   /* a key of Gatus' format uptop does not act on:
				* any value is accepted and one warning names
				* every such key found; no storage */
};

/* Every row of a table has an index below this (provenance arrays). */
#define KEYS_MAX 64

struct loader;
struct ckey;
struct ktable;

/* Parses n into obj (the section's struct); false after reporting why. A
 * failed parse leaves the field as it was. */
typedef bool key_parse_fn(struct loader *L, const struct ckey *k, void *obj,
			  const struct ynode *n);
/* dst is a shallow copy of src: replace what it shares with src by copies. */
typedef void key_copy_fn(const struct ckey *k, void *dst, const void *src);
/* Frees what the key owns in obj and leaves it empty. */
typedef void key_clear_fn(const struct ckey *k, void *obj);

struct ckey {
	const char *name;
	enum key_kind kind;
	size_t off;                 /* of the field in the section's struct */
	int64_t min, max;           /* inclusive (ms, bytes, or the number);
				     * lists and maps: max = most entries, 0 any */
	unsigned flags;             /* KF_* */
	const char *word;           /* a word that stores 0 ("none", "auto") */
	const char *def;            /* built-in default as YAML text; NULL: unset */
	const char *const *choices; /* KIND_ENUM: the words, NULL-terminated */
	const struct ktable *sub;   /* KIND_MAP (and hooked lists of mappings):
				     * the keys of the nested mapping */
	key_parse_fn *parse;        /* NULL: the kind's parser */
	key_copy_fn *copy;          /* NULL: the kind's (strings, lists, maps) */
	key_clear_fn *clear;
	const char *help;           /* one line for --help-config */
};

struct ktable {
	const char *title;          /* heading in --help-config */
	const struct ckey *keys;
	size_t n;
	const char *where;          /* in messages: "in a target" */
	const char *home;           /* said when one of its keys is misplaced */
	bool ignore_x;              /* "x-" keys are ignored (anchor parking) */
};

/* Type-checked field locations: a row whose kind does not match the type of
 * its field does not compile. For use in rows: { .name = "interval",
 * KEY_DURATION(struct target_conf, interval_ms), ... }. */
#define KEY_AT(S, f, T) (offsetof(S, f) + 0 * sizeof(_Generic(((S *)0)->f, T: 1)))
#define KEY_DURATION(S, f) .kind = KIND_DURATION, .off = KEY_AT(S, f, int64_t)
#define KEY_SIZE(S, f) .kind = KIND_SIZE, .off = KEY_AT(S, f, int64_t)
#define KEY_BOOL(S, f) .kind = KIND_BOOL, .off = KEY_AT(S, f, bool)
#define KEY_INT(S, f) .kind = KIND_INT, .off = KEY_AT(S, f, int)
#define KEY_ENUM(S, f) .kind = KIND_ENUM, .off = KEY_AT(S, f, int)
#define KEY_STRING(S, f) .kind = KIND_STRING, .off = KEY_AT(S, f, char *)
#define KEY_LIST(S, f) .kind = KIND_LIST, .off = KEY_AT(S, f, struct strlist)
#define KEY_MAP(S, f, T) .kind = KIND_MAP, .off = KEY_AT(S, f, T)
#define KEY_CLOCK(S, f) .kind = KIND_CLOCK, .off = KEY_AT(S, f, int)

/* The tables (config_keys.c). keys_top is only ever parsed: its sections
 * store into the loader (defaults, targets) or into cfg->settings. */
extern const struct ktable keys_top;
extern const struct ktable keys_target;     /* an entry of targets: */
extern const struct ktable keys_defaults;   /* the same keys, in defaults: */
extern const struct ktable keys_settings;

/* Where each key of a mapping got its value, for checks across keys. */
struct kprov {
	const struct ynode *src[KEYS_MAX];   /* NULL: the built-in default */
	bool own[KEYS_MAX];                  /* set by this mapping, not defaults */
	bool bad[KEYS_MAX];                  /* its value did not parse */
};

/* A target as it is assembled from built-in values, defaults and its keys. */
struct tbuild {
	struct target_conf t;
	struct kprov p;
};

/* A target name and where it was given, for the check that names are
 * unique across targets: and endpoints:. */
struct name_ref {
	const char *name;
	const struct ynode *at;
	size_t order;
	size_t target;       /* index in cfg->targets */
	bool gatus;          /* an entry of endpoints: */
};

/* One load: its messages, the config it fills, the defaults template. */
struct loader {
	struct ysink errs;
	struct ysink warns;           /* "warning: ..." lines, kept on success */
	struct config *cfg;
	struct tbuild tpl;            /* built-ins, then defaults: applied */
	bool has_secrets;             /* any ${VAR}, secret header, password */
	bool pair_reported[3];        /* a defaults-only cross-key error, once */
	struct name_ref *names;       /* every target's name so far */
	size_t nnames, capnames;
	bool gatus;                   /* the file has Gatus' endpoints: */
	const struct ynode **ignored; /* the first node of each KF_IGNORED key */
	size_t nignored, capignored;
};

/* ---- config.c --------------------------------------------------------- */

/* A new config with built-in settings and a built-in target template;
 * `file` names the messages. */
void loader_init(struct loader *L, const char *file);
void loader_err(struct loader *L, const struct ynode *at, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
/* A warning: the config loads, and the message is printed with "warning: ". */
void loader_warn(struct loader *L, const struct ynode *at, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
/* Hands out the config (0) when `ok` and no message was noted; otherwise
 * appends the messages to errs, frees the config and returns -1. */
int loader_done(struct loader *L, bool ok, struct config **out, struct diag *errs);
/* settings.metrics: an address config_parse_listen takes. */
key_parse_fn sconf_metrics;

/* ---- config_keys.c: the machinery ------------------------------------ */

/* Applies every row of t found in map to obj: unknown keys get a message
 * (with "did you mean", or where they belong), rows run in table order. prov
 * (may be NULL) records where each value came from. */
void keys_apply(struct loader *L, const struct ktable *t, void *obj, const struct ynode *map,
		struct kprov *prov);
/* Sets every row with a default (nested maps too); obj starts zeroed. */
void keys_init(struct loader *L, const struct ktable *t, void *obj);
/* dst = *src was done: deep-copies what the rows own. */
void keys_copy(const struct ktable *t, void *dst, const void *src);
/* Frees what the rows own in obj and leaves those fields empty. */
void keys_clear(const struct ktable *t, void *obj);
/* The index of the row named `name`, or -1. */
int keys_index(const struct ktable *t, const char *name);

/* For parse hooks. The scalar text of n, or NULL after saying "KEY:
 * expected WANT, got ...". */
const char *key_scalar(struct loader *L, const struct ynode *n, const char *key,
		       const char *want);
/* A string by the row's flags (KF_EXPAND, KF_OPTIONAL); NULL with *bad
 * false: an empty optional value; NULL with *bad true: reported. */
char *key_string(struct loader *L, const struct ckey *k, const struct ynode *n, bool *bad);
/* n's text with ${VAR} expanded; NULL after reporting. *used: a ${VAR}. */
char *key_expand(struct loader *L, const struct ynode *n, const char *key, bool *used);
/* The items of a list value: a sequence's, or *n itself as a list of one
 * ("expect_status: 200"); NULL after "KEY: expected WANT, got a mapping". */
const struct ynode *const *key_items(struct loader *L, const struct ckey *k,
				    const struct ynode *const *n, const char *want, size_t *cnt);
/* 1: n is a mapping to read; 0: an empty value (nothing to read); -1: not
 * a mapping (reported as "KEY: expected a mapping, got ..."). */
int key_mapping(struct loader *L, const struct ckey *k, const struct ynode *n);
/* true/false, yes/no, on/off (any case); false after reporting. */
bool key_bool(struct loader *L, const struct ckey *k, bool *out, const struct ynode *n);
/* Decimal only (no 0x, 1e3, 1_000): 0 ok, -1 not a number, -2 out of range. */
int decimal_parse(const char *s, long long *out);
/* "1h", "1m30s", "250ms" (rotating buffers, 4 live at a time). */
const char *duration_text(int64_t ms);

/* Not isalpha(): after setlocale() a Latin-1 locale would accept bytes
 * that are not part of any of our grammars. */
static inline bool ascii_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool ascii_alnum(int c)
{
	return ascii_alpha(c) || (c >= '0' && c <= '9');
}

/* ---- config_target.c: hooks and target building ------------------------ */

key_parse_fn tconf_url, tconf_method, tconf_headers, tconf_expect, tconf_ca_file;
key_parse_fn tconf_conditions, tconf_regex;
/* cert_expiry (a duration, "21d" days too, 0 or off), send/expect (a
 * warning for a literal "\r"), dns.query_type, and a nested mapping whose
 * rows store into the target itself (dns:, Gatus' client: and ui:). */
key_parse_fn tconf_cert_expiry, tconf_tcp_text, tconf_dns_type, tconf_section;
key_parse_fn tconf_defaults, tconf_targets;
key_parse_fn sconf_theme;
key_copy_fn tconf_headers_copy, tconf_expect_copy, tconf_conditions_copy, tconf_regex_copy;
key_clear_fn tconf_headers_clear, tconf_expect_clear, tconf_conditions_clear, tconf_regex_clear;

/* Shared with the alerts' webhooks (config_alert.c). */
bool config_url_check(const char *url, bool *password, char *why, size_t len);
char *config_url_redacted(const char *url);
bool config_is_token(const char *s, size_t n);
bool config_headers_parse(struct loader *L, const struct ckey *k, const struct ynode *n,
			  struct header **out, size_t *nout);
struct header *config_headers_copy(const struct header *h, size_t n);
void config_headers_free(struct header *h, size_t n);

/* The built-in target every other starts from. */
void tbuild_init(struct loader *L, struct tbuild *b);
/* Records a target's name for the check that names are unique; reports
 * duplicate names among every target and endpoint loaded. */
void tconf_name_add(struct loader *L, size_t target, bool gatus, const struct ynode *at);
void tconf_check_names(struct loader *L);
/* Frees what a target owns beyond its keys_target rows. */
void tconf_clear(struct target_conf *t);

/* Where a tconf_kind message belongs. */
enum kind_at { KIND_AT_URL, KIND_AT_DNS, KIND_AT_IP_VERSION };
/* Sets t->kind (and host and port for TCP and DNS) from the url and dns:,
 * and checks ip_version against an IP literal; false with why and where
 * the message belongs. A DNS check's url is its server (an IP, port 53 by
 * default), its query_type A by default; a PTR query for an IP address
 * asks for its reverse name. */
bool tconf_kind(struct target_conf *t, enum kind_at *at, char *why, size_t len);
/* tconf_kind on a built target (rows of `tab`), its message at the key it
 * is about. `strict`: keys written in the entry that its kind does not use
 * are mistakes too ("send applies to tcp:// targets only"); those
 * inherited from defaults: are not. A DNS check without a name is named
 * "QUERY TYPE @SERVER". */
void tconf_kind_finish(struct loader *L, struct tbuild *b, const struct ktable *tab,
		       const struct ynode *entry, bool strict);
/* ---- config_alert.c: alerts: and maintenance windows ---------------------- */

/* alerts: (top level; parsed before defaults: and targets: so a target's
 * alerts: names what exists), a target's alerts: [names], and
 * maintenance windows (top level, a target's maintenance:, a Gatus
 * endpoint's maintenance-windows:), a mapping or a list of them. */
extern const struct ktable keys_alert;      /* an entry of alerts: */
extern const struct ktable keys_maint;      /* a maintenance window */
key_parse_fn aconf_alerts, aconf_target_alerts, mconf_windows;
key_copy_fn aconf_target_alerts_copy, mconf_windows_copy;
key_clear_fn aconf_target_alerts_clear, mconf_windows_clear;
/* After every section: targets without alerts: get every alert. */
void aconf_finish(struct loader *L);
/* Frees cfg->alerts and cfg->maint. */
void aconf_free(struct config *c);

/* ---- config_gatus.c: Gatus' endpoints: ---------------------------------- */

extern const struct ktable keys_endpoint;   /* an entry of endpoints: */
key_parse_fn tconf_endpoints;

#endif
