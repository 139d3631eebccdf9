/* golike.h - the Go standard library rules that Gatus' conditions inherit,
 * in C. Pure, libc only.
 *
 * A Gatus condition is judged by what Go's strconv, time and path/filepath
 * make of its text: "0x1F" and "1_000" are integers, "1h30m" is a
 * duration, JSON numbers print as Go prints a float64 ("1e+06"), and
 * pat() is filepath.Match. uptop must give the same verdict and the same
 * message, so these are Go's rules, edge cases included, not look-alikes.
 * Each function names the Go function whose behaviour it reproduces. None
 * allocates; strings are (pointer, length) and need not be terminated. */
#ifndef UPTOP_GOLIKE_H
#define UPTOP_GOLIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* strings.TrimSpace: trims Unicode white space (ASCII and U+0085, U+00A0,
 * U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) from
 * both ends of s[0..*len); returns the new start, sets *len. */
const char *go_trim_space(const char *s, size_t *len);

/* strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes, underscores
 * between digits. False on a syntax or range error. */
bool go_parse_int(const char *s, size_t len, int64_t *out);

/* strconv.ParseFloat(s, 64): decimal and hex floats, inf, infinity, nan,
 * underscores. False on a syntax error or an overflow to infinity. */
bool go_parse_float(const char *s, size_t len, double *out);

/* time.ParseDuration: "300ms", "-1.5h", "2h45m", "0"; units ns, us, µs,
 * μs, ms, s, m, h. Nanoseconds; false on any error Go reports. */
bool go_parse_duration(const char *s, size_t len, int64_t *ns);

/* int64(f) as Go compiles it on amd64: truncation, and INT64_MIN for NaN
 * and values out of range (CVTTSD2SI's "integer indefinite"). */
int64_t go_float_to_int64(double f);

/* The number a Gatus condition compares with <, <=, >, >=: a non-zero
 * duration in milliseconds, else an integer, else a float truncated,
 * else 0 (sanitizeAndResolveNumerical). */
int64_t go_numeric(const char *s, size_t len);

/* Gatus' formatDuration of ms milliseconds: time.Duration truncated to
 * whole seconds, its String(), then one trailing "0s" and then one "0m"
 * cut off, as Gatus does (so 24h is "24h" and, faithfully, 10s is "1").
 * Writes at most len bytes, terminated; returns the length. */
size_t go_gatus_duration(int64_t ms, char *buf, size_t len);

/* fmt's %v of a float64 (strconv 'g', shortest, %e from exponent 6 on):
 * 1 -> "1", 0.5 -> "0.5", 1e6 -> "1e+06". buf of 32 bytes is enough. */
size_t go_fmt_float(double f, char *buf, size_t len);

/* encoding/json's number form of a float64: 'f' shortest, 'e' below 1e-6
 * or from 1e21 on, with "e-07" written "e-7". */
size_t go_json_float(double f, char *buf, size_t len);

/* Gatus' pattern.Match: "*" matches all; otherwise '/' is removed from
 * both sides and path/filepath.Match decides (*, ?, [a-z], [^x], \\); a
 * malformed pattern matches nothing. */
bool go_pattern_match(const char *pat, size_t plen, const char *s, size_t slen);

/* One UTF-8 sequence as Go's utf8.DecodeRune reads it: the rune and its
 * length; an invalid or short sequence is U+FFFD of length 1 (0 at the
 * end). */
int32_t go_decode_rune(const char *s, size_t len, size_t *n);

#endif
