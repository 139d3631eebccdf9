#!/usr/bin/env python3
"""Self-test of tests/fixture.py and lib.py: every behaviour does what its
name says, over raw sockets, http.client and ssl, on 127.0.0.1 only.
Other tests trust the fixture, so it has to be right first."""

import asyncio
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

HOST = lib.HOST


# ------------------------------------------------------------------ clients

def connect(port, tls_ctx=None, timeout=5):
    sock = socket.create_connection((HOST, port), timeout=timeout)
    if tls_ctx is not None:
        sock = tls_ctx.wrap_socket(sock, server_hostname="localhost")
    return sock


def request_bytes(path, method="GET", headers=""):
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode()


def exchange(port, path, timeout=5, tls_ctx=None, headers="Connection: close\r\n"):
    """Sends one request, reads until EOF -> (bytes, exception or None)."""
    data = b""
    try:
        with connect(port, tls_ctx, timeout) as sock:
            sock.sendall(request_bytes(path, headers=headers))
            while chunk := sock.recv(65536):
                data += chunk
    except (OSError, ssl.SSLError) as e:
        return data, e
    return data, None


def tls_exchange(port, path, ctx, timeout=5):
    """exchange() over TLS driven through memory BIOs on a plain socket: an
    SSLSocket reports a TCP reset as a mere EOF, a plain socket as itself."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    data = b""

    def pump(sock):
        if outgoing.pending:    # even an empty send() reports a reset: recv it first
            sock.sendall(outgoing.read())
        chunk = sock.recv(65536)
        incoming.write(chunk) if chunk else incoming.write_eof()

    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pump(sock)
            tls.write(request_bytes(path, headers="Connection: close\r\n"))
            sock.sendall(outgoing.read())
            while True:
                try:
                    chunk = tls.read(65536)
                    if not chunk:       # close_notify
                        return data, None
                    data += chunk
                except ssl.SSLWantReadError:
                    pump(sock)
                except ssl.SSLZeroReturnError:
                    return data, None
    except OSError as e:
        return data, e


def split(data):
    """Raw response -> (status line, [header lines], body)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    return lines[0], lines[1:], body


def read_response(f):
    """One Content-Length response from a socket's makefile('rb') -> (status, body)."""
    status = int(f.readline().split()[1])
    length = 0
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, f.read(length)


def get(port, path, method="GET", timeout=5):
    """(status, headers dict, body) through http.client."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def timed(fn, *args):
    start = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - start


# -------------------------------------------------------------------- tests

def test_simple(t, fx):
    p = fx.http
    t.eq(get(p, "/ok")[::2], (200, b"ok"), "/ok is 200 ok")
    t.eq(get(p, "/status/404")[::2], (404, b"status 404"), "/status/404")
    t.eq(get(p, "/status/503?x=1")[::2], (503, b"status 503"), "/status/503 with a query")
    t.eq(get(p, "/status/204")[::2], (204, b""), "/status/204 has no body")
    t.eq(get(p, "/status/x418y")[0], 418, "/status parses leniently")
    t.eq(get(p, "/no/such/path")[::2], (404, b"not found"), "unknown path is 404 not found")
    t.eq(get(p, "/body/hello%20world%2Fx/y")[::2], (200, b"hello world/x/y"),
         "/body/TEXT is URL-decoded")
    t.eq(len(get(p, "/size/100000")[2]), 100000, "/size/100000 sends 100000 bytes")
    t.eq(get(p, "/size/0")[::2], (200, b""), "/size/0 sends nothing")
    status, headers, body = get(p, "/ok", method="HEAD")
    t.eq((status, headers.get("Content-Length"), body), (200, "2", b""),
         "HEAD gets headers only")
    first, second = int(get(p, "/count")[2]), int(get(p, "/count")[2])
    t.eq(second, first + 1, "/count counts its requests")


def test_timing(t, fx):
    p = fx.http
    with lib.LagMeter(fx) as lag:
        (status, _, _), took = timed(get, p, "/delay/0.5")
        t.ok(status == 200 and 0.45 <= took < 1.0 + lag.slack(), "/delay/0.5 answers after ~0.5 s",
             f"{took}, {lag}")
        _, took = timed(get, p, "/delay/0.25s")
        t.ok(0.2 <= took < 0.75 + lag.slack(), "/delay/0.25s parses leniently", f"{took}, {lag}")
        _, took = timed(get, p, "/jitter/0.1/0.3")
        t.ok(0.09 <= took < 0.8 + lag.slack(), "/jitter/0.1/0.3 waits within bounds", f"{took}, {lag}")
    t.eq({get(p, "/flap/0")[0] for _ in range(10)}, {200}, "/flap/0 never fails")
    t.eq({get(p, "/flap/1")[0] for _ in range(10)}, {503}, "/flap/1 always fails")
    t.eq({get(p, "/flap/0.5")[0] for _ in range(40)}, {200, 503}, "/flap/0.5 does both")


def test_hang(t, port, tls_ctx=None, label=""):
    with connect(port, tls_ctx, timeout=1) as sock:
        sock.sendall(request_bytes("/hang"))
        start = time.monotonic()
        try:
            data = sock.recv(100)
            t.ok(False, f"{label}/hang never answers", f"got {data!r}")
        except socket.timeout:
            t.ok(time.monotonic() - start >= 0.9, f"{label}/hang never answers (1 s timeout)")


def test_connection_faults(t, fx):
    p = fx.http
    test_hang(t, p)
    t.eq(exchange(p, "/close"), (b"", None), "/close: EOF without a byte")
    data, err = exchange(p, "/reset")
    t.ok(data == b"" and isinstance(err, ConnectionResetError), "/reset: connection reset",
         repr((data, err)))
    data, err = exchange(p, "/reset-mid")
    status, headers, body = split(data)
    t.ok(b"Content-Length: 1000" in headers and len(body) == 100
         and isinstance(err, ConnectionResetError),
         "/reset-mid: 100 of 1000 bytes, then reset", repr((headers, len(body), err)))
    data, err = exchange(p, "/garbage")
    t.ok(err is None and len(data) > 100 and not data.startswith(b"HTTP/"),
         "/garbage is not HTTP", repr(data[:40]))
    data, err = exchange(p, "/http09")
    t.ok(err is None and data and b"\r\n\r\n" not in data and not data.startswith(b"HTTP/"),
         "/http09: body only, no status line", repr(data[:40]))


def test_framing(t, fx):
    p = fx.http
    data, _ = exchange(p, "/badchunk")
    _, headers, body = split(data)
    t.ok(b"Transfer-Encoding: chunked" in headers and body.startswith(b"zz-not-hex\r\n"),
         "/badchunk: chunked with a non-hex size line", repr(data[-60:]))
    try:
        get(p, "/badchunk")
        t.ok(False, "http.client rejects /badchunk")
    except http.client.HTTPException:
        t.ok(True, "http.client rejects /badchunk")

    conn = http.client.HTTPConnection(HOST, p, timeout=5)
    conn.request("GET", "/endless")
    r = conn.getresponse()
    got = r.read(4 << 20)
    t.ok(r.getheader("Transfer-Encoding") == "chunked" and len(got) == 4 << 20,
         "/endless streams a chunked body (4 MiB read)")
    conn.close()

    with connect(p, timeout=3) as sock, lib.LagMeter(fx) as lag:
        sock.sendall(request_bytes("/drip"))
        f = sock.makefile("rb")
        head = b"".join(iter(f.readline, b"\r\n"))
        first = f.read(1)
        t0 = time.monotonic()
        second = f.read(1)
        gap = time.monotonic() - t0
        t.ok(head.startswith(b"HTTP/1.1 200") and first == second == b"." and 0.7 < gap < 1.6 + lag.slack(),
             "/drip: headers, then a byte a second", repr((head[:20], first, second, gap, str(lag))))

    try:
        get(p, "/cl-short")
        t.ok(False, "/cl-short: body shorter than Content-Length")
    except http.client.IncompleteRead as e:
        t.eq((len(e.partial), e.expected), (20, 80), "/cl-short: body shorter than Content-Length")
    data, _ = exchange(p, "/cl-negative")
    t.ok(b"Content-Length: -1" in split(data)[1], "/cl-negative sends Content-Length: -1")


def test_redirects(t, fx):
    p = fx.http
    status, headers, _ = get(p, "/redirect-loop")
    t.eq((status, headers.get("Location")), (302, "/redirect-loop"), "/redirect-loop to itself")
    t.eq(get(p, "/redirect/3")[1].get("Location"), "/redirect/2", "/redirect/3 -> /redirect/2")
    t.eq(get(p, "/redirect/1")[1].get("Location"), "/ok", "/redirect/1 -> /ok")
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"):
        q = target.replace(":", "%3A").replace("/", "%2F")
        status, headers, _ = get(p, "/redirect-to?url=" + q)
        t.eq((status, headers.get("Location")), (302, target), f"/redirect-to {target}")


def test_headers(t, fx):
    p = fx.http
    data, _ = exchange(p, "/hugeheader")
    _, headers, body = split(data)
    t.ok(body == b"ok" and max(map(len, headers)) >= 1 << 20, "/hugeheader: a 1 MiB line")
    data, _ = exchange(p, "/manyheaders")
    _, headers, body = split(data)
    t.eq(sum(h.startswith(b"X-Many-") for h in headers), 10000, "/manyheaders: 10000 lines")


def test_gzipbomb(t, fx):
    data, err = exchange(fx.http, "/gzipbomb", timeout=10)
    _, headers, body = split(data)
    length = next((int(h.split(b":")[1]) for h in headers
                   if h.lower().startswith(b"content-length:")), None)
    t.ok(b"Content-Encoding: gzip" in headers and length == len(body) < 2 << 20,
         "/gzipbomb: gzip, small on the wire", repr((length, len(body), err)))
    inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body[:8192], 1 << 20)
    t.ok(len(inflated) >= 4096 and inflated.count(0) == len(inflated),
         "/gzipbomb: the first KBs inflate to zeros", len(inflated))
    t.eq(int.from_bytes(body[-4:], "little"), 1 << 30, "/gzipbomb: inflates to 1 GiB")


def test_hostile(t, fx):
    data, _ = exchange(fx.http, "/hostile")
    status, headers, body = split(data)
    t.ok(status.startswith(b"HTTP/1.1 200 ") and b"\x1b]0;PWNED\x07" in status,
         "/hostile: escape sequences in the reason phrase", repr(status))
    t.ok(any(h.startswith(b"X-Hostile: ") and b"\x1b[2J" in h for h in headers),
         "/hostile: escape sequences in a header")
    t.ok(all(s in body for s in (b"\x1b[H", b"\x9b31m", b"\x07", b"\x00", b"\x85")),
         "/hostile: CSI, C1, BEL and NUL in the body", repr(body))
    try:
        body.decode("utf-8")
        t.ok(False, "/hostile: body is invalid UTF-8")
    except UnicodeDecodeError:
        t.ok(True, "/hostile: body is invalid UTF-8")
    status = split(exchange(fx.http, "/hostile-status")[0])[0]
    t.ok(status.startswith(b"HTTP/1.1 500 ") and b"\x1b" in status and b"\x9b" in status,
         "/hostile-status: 500 with escapes in the reason", repr(status))


def test_keep_alive(t, fx):
    with connect(fx.http) as sock:
        f = sock.makefile("rb")
        sock.sendall(request_bytes("/ok"))
        one = read_response(f)
        sock.sendall(request_bytes("/body/two"))
        two = read_response(f)
        t.eq((one, two), ((200, b"ok"), (200, b"two")), "keep-alive: two requests, one connection")
        sock.sendall(request_bytes("/ok", headers="Connection: close\r\n"))
        three = read_response(f)
        t.eq((three, f.read()), ((200, b"ok"), b""), "Connection: close is honoured")
    with connect(fx.http) as sock:
        sock.sendall(b"GET /ok HTTP/1.0\r\n\r\n")
        t.eq(read_response(sock.makefile("rb")) + (sock.recv(10),), (200, b"ok", b""),
             "HTTP/1.0 closes by default")


def test_stats(t, fx):
    for q in ("", "?a=1", "?b=2"):
        get(fx.http, "/body/stats-probe" + q)
    stats = fx.stats()
    t.eq(stats.get("/body/stats-probe"), 3, "/__stats counts per path, query stripped")
    t.ok("/__stats" not in stats and fx.hits("/ok") >= 1, "/__stats does not count itself")


def verify_error(port, ctx):
    """The verify code of a failed handshake, 0 when it succeeds."""
    try:
        with connect(port, ctx):
            return 0
    except ssl.SSLCertVerificationError as e:
        return e.verify_code


def test_tls(t, fx):
    ctx = ssl.create_default_context(cafile=fx.ca)
    data, err = exchange(fx.https, "/ok", tls_ctx=ctx)
    t.ok(err is None and data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\nok"),
         "TLS: /ok with the fixture certificate trusted", repr((data[-40:], err)))
    with socket.create_connection((HOST, fx.https), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            t.ok(sock.version() is not None, "TLS: the certificate covers IP 127.0.0.1")
    t.eq(verify_error(fx.https, ssl.create_default_context()), 18,
         "TLS: untrusted -> self-signed certificate (18)")
    t.eq(verify_error(fx.https_wrong_host, ctx), 62, "TLS: wrong host -> hostname mismatch (62)")
    t.eq(verify_error(fx.https_expired, ctx), 10, "TLS: expired -> certificate has expired (10)")
    try:
        with connect(fx.tls_close, ctx):
            t.ok(False, "TLS: close-port fails the handshake")
    except (ssl.SSLError, OSError) as e:
        t.ok(not isinstance(e, socket.timeout), "TLS: close-port fails the handshake", repr(e))
    test_hang(t, fx.https, ctx, "TLS ")
    t.eq(tls_exchange(fx.https, "/close", ctx), (b"", None), "TLS /close: clean close")
    data, err = tls_exchange(fx.https, "/reset", ctx)
    t.ok(data == b"" and isinstance(err, ConnectionResetError), "TLS /reset: connection reset",
         repr((data, err)))
    data, err = tls_exchange(fx.https, "/reset-mid", ctx)
    t.ok(len(split(data)[2]) == 100 and isinstance(err, ConnectionResetError),
         "TLS /reset-mid: 100 bytes, then reset", repr((data[-20:], err)))


async def one_delayed(port):
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(request_bytes("/delay/1", headers="Connection: close\r\n"))
    data = await reader.read()
    writer.close()
    return data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\nok")


async def many_delayed(port, n):
    return await asyncio.gather(*(one_delayed(port) for _ in range(n)), return_exceptions=True)


def test_concurrency(t, fx):
    lib.raise_fd_limit()
    with lib.LagMeter(fx) as lag:
        results, took = timed(lambda: asyncio.run(many_delayed(fx.http, 1000)))
    good = sum(r is True for r in results)
    # One at a time would take 1000 s; the bound widens with the lag.
    t.ok(good == 1000 and took < 3 + lag.slack(), "1000 concurrent /delay/1 in < 3 s",
         f"{good} good in {took:.2f} s ({lag}); first error: "
         f"{next((r for r in results if r is not True), None)!r}")


def test_restart(t, fx):
    port, ca = fx.http, open(fx.ca).read()
    fx.stop()
    try:
        socket.create_connection((HOST, port), timeout=2).close()
        t.ok(False, "stop(): the port refuses connections")
    except ConnectionRefusedError:
        t.ok(True, "stop(): the port refuses connections")
    fx.restart()
    t.ok(fx.http == port and get(port, "/ok")[0] == 200, "restart(): same port serves again")
    t.eq(open(fx.ca).read(), ca, "restart(): the certificate is kept")
    t.eq(fx.stats(), {"/ok": 1}, "restart(): a new process starts counting afresh")


def test_cli(t):
    for host in ("0.0.0.0", "10.1.2.3", "localhost"):
        r = subprocess.run([sys.executable, str(lib.FIXTURE), "--host", host],
                           capture_output=True, timeout=10)
        t.ok(r.returncode == 2 and (b"loopback" in r.stderr or b"not an IP" in r.stderr),
             f"--host {host} is refused", r.stderr.decode(errors="replace"))
    with tempfile.TemporaryDirectory() as d:
        ready = os.path.join(d, "ready")
        proc = subprocess.Popen([sys.executable, str(lib.FIXTURE), "--ready-file", ready],
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = json.loads(proc.stdout.readline())
        t.ok(line == json.load(open(ready)) and line["pid"] == proc.pid and line["http"] > 0
             and line["https"] is None,
             "ready line on stdout and in --ready-file", line)
        proc.send_signal(signal.SIGTERM)
        t.eq(proc.wait(timeout=5), 0, "SIGTERM stops it cleanly")
        proc.stdout.close()
        t.ok(orphan_exits(), "--exit-with-parent: gone soon after its parent dies")


ORPHAN_PARENT = """
import os, subprocess, sys
p = subprocess.Popen([sys.executable, sys.argv[1], "--exit-with-parent"],
                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
print(p.stdout.readline().decode(), end="", flush=True)
os._exit(0)     # dies without killing the fixture
"""


def orphan_exits():
    # stderr is not captured: the orphan keeps it open until it exits.
    out = subprocess.run([sys.executable, "-c", ORPHAN_PARENT, str(lib.FIXTURE)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10).stdout
    pid = json.loads(out)["pid"]
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return False


def test_lib(t):
    port = lib.free_port()
    try:
        socket.create_connection((HOST, port), timeout=2).close()
        t.ok(False, "free_port(): nothing listens there")
    except ConnectionRefusedError:
        t.ok(True, "free_port(): nothing listens there")
    rc, out, err, wall = lib.run_uptop(['{"a": 1}', "\n", '{"b": 2}'], bin="/bin/echo")
    t.eq((rc, lib.json_lines(out)), (0, [{"a": 1}, {"b": 2}]), "run_uptop() and json_lines()")
    rc, out, err, wall = lib.run_uptop(["5"], timeout=0.5, bin="/bin/sleep")
    t.ok(rc is None and wall < 3, "run_uptop(): a timeout kills and returns rc None", wall)
    rc, out, _, _ = lib.run_uptop([], stdin="piped\n", bin="/bin/cat")
    t.eq(out, "piped\n", "run_uptop(): stdin is fed")
    with tempfile.TemporaryDirectory() as d:
        path = lib.write_config(d, """
            targets:
              - url: x
            """)
        t.eq(open(path).read(), "\ntargets:\n  - url: x\n", "write_config() dedents")


def main(t):
    with lib.Fixture() as fx:
        for test in (test_simple, test_timing, test_connection_faults, test_framing,
                     test_redirects, test_headers, test_gzipbomb, test_hostile,
                     test_keep_alive, test_stats, test_tls, test_concurrency):
            test(t, fx)
        test_restart(t, fx)
    test_cli(t)
    test_lib(t)


if __name__ == "__main__":
    lib.main(main)
