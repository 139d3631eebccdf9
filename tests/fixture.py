#!/usr/bin/env python3
"""Loopback HTTP/1.1 and HTTPS fixture server for uptop's tests, demo and benchmarks.

    python3 tests/fixture.py [--host 127.0.0.1] [--port 0] [--tls-port N]
        [--tls-wrong-host-port N] [--tls-expired-port N] [--tls-close-port N]
        [--banner-port N] [--silent-port N] [--all-status N]
        [--tls-cert NAME=CHAIN.pem:KEY.pem ...]
        [--cert-dir DIR] [--ready-file FILE] [--exit-with-parent]

Port 0 picks a free port; a TLS listener exists only when its flag is given.
Once every listener is up, one JSON line goes to stdout and (atomically) to
--ready-file:

    {"http": P, "https": P|null, "https_wrong_host": P|null,
     "https_expired": P|null, "tls_close": P|null, "banner": P|null,
     "silent": P|null, "tls_certs": {NAME: P, ...}, "ca": "DIR/cert.pem"|null,
     "cert_dir": DIR|null, "pid": PID}

TLS: cert.pem is a self-signed certificate for DNS:localhost and IP:127.0.0.1.
It is also the issuer of the wrong-host certificate (SAN wrong.example) and of
the expired one (localhost, valid only on 2020-01-01), so a client that trusts
cert.pem sees exactly one problem per port: hostname mismatch or expiry. The
tls-close port reads the ClientHello and closes. Certificates already present
in --cert-dir are reused, so a restarted fixture keeps the same trust anchor.
--tls-cert NAME=CHAIN:KEY (repeatable) adds an HTTPS listener on a free port
that presents CHAIN (a PEM file: the leaf, then any intermediates, as sent)
with KEY: certificates a test made (about to expire, an intermediate that
expires first).

Other services on a TCP port: --banner-port sends an SSH server's banner at
once and closes a second later (a client expecting HTTP or TLS gets neither);
--silent-port accepts and never sends a byte. --all-status N answers every
HTTP path with status N: a server that is up but broken.

Behaviours are chosen by path (the ROUTES table); a query string is ignored
unless named; numbers are parsed leniently ("/delay/0.25s" is 0.25 s):

  /ok  /status/N  /delay/S  /jitter/MIN/MAX  /flap/P  /body/TEXT  /size/N
  /gzip/TEXT     TEXT gzip-compressed (Content-Encoding: gzip)
  /hang          read the request, never answer, wait for the client to close
  /close         close without a byte      /reset  RST after the request
  /reset-mid     Content-Length 1000, 100 bytes, RST
  /garbage       random non-HTTP bytes     /http09  body only, no status line
  /badchunk      invalid chunk size        /endless  chunked body forever
  /drip          a body byte a second      /cl-short  /cl-negative
  /redirect-loop  /redirect/N (N hops to /ok)  /redirect-to?url=X
  /redirect-unique?zone=Z   to http://uN.Z:PORT/ok, N new on every request
  /hugeheader    one 1 MiB header line     /manyheaders  10,000 headers
  /gzipbomb      ~1 MiB of gzip inflating to 1 GiB of zeros
  /hostile  /hostile-status   terminal escapes, C1, BEL, NUL, bad UTF-8
  /json/NAME     a canned JSON document (JSON_DOCS: health, down, users, array, nested)
  /method        the request's method, as the body
  /respond?status=N&body=TEXT&type=CT&header=Name:Value (header repeats)
                 any status, body, content type and headers
  /count         how many /count requests so far (this one included)
  /__conns       connections accepted so far, every listener (keep-alive)
  /record/ANY?status=N&fail=K   a webhook receiver: keeps the request
                 (time, method, path, headers, body); answers N (default 200),
                 and 500 to the first K requests to that path
  /__records     JSON list of the kept requests, oldest first
  /__stats       JSON hits per path, query stripped, /__stats not counted
  anything else  404 "not found"

Only loopback addresses are accepted: this server is hostile on purpose.
"""

import argparse
import asyncio
import gzip
import http
import ipaddress
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import zlib
from collections import Counter
from dataclasses import dataclass

MAX_HEAD = 64 * 1024          # request line + headers; larger gets 431
BACKLOG = 8192                # the kernel caps it at net.core.somaxconn
STREAM_CHUNK = 64 * 1024
MAX_DELAY = 24 * 3600.0

# Errors that only mean "the client went away or misbehaved".
CLIENT_GONE = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)

# Terminal-hostile bytes: OSC title change, clear screen, cursor home, 8-bit
# CSI, C1 controls, BEL and invalid UTF-8. No CR/LF (they would end the line)
# and no NUL in the head (curl may reject the reply before uptop sees it).
HOSTILE_HEAD = (b"\x1b]0;PWNED\x07\x1b[2J\x1b[H\x9b31m\x1b[5mBLINK\x85\x90\x9d"
                b"\x07\xff\xfe\xc3\x28 evil")
HOSTILE_BODY = HOSTILE_HEAD + b"\x00NUL\x00\x1b]52;c;cHduZWQ=\x07\x1bP+q\x1b\\\n"


class State:
    """Per-process counters shared by every listener."""

    def __init__(self):
        self.hits = Counter()
        self.count = 0
        self.conns = 0
        self.records = []
        self.unique = 0
        self.all_status = None

    def record(self, path):
        if path not in ("/__stats", "/__records"):
            self.hits[path] += 1


STATE = State()


# ---------------------------------------------------------------- requests

class BadRequest(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict           # lower-case name -> last value
    raw_headers: list = None    # [(name, value)] as sent
    body: bytes = b""       # the first MAX_KEEP bytes of the request body

    @property
    def path(self):
        return urllib.parse.urlsplit(self.target).path or "/"

    @property
    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query))

    @property
    def keep_alive(self):
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if "close" in tokens:
            return False
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return True


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


def parse_head(head):
    """Request line and headers (CRLF separated, latin-1) -> Request."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(400)
    headers, raw = {}, []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(400)
        headers[name.strip().lower()] = value.strip()
        raw.append((name.strip(), value.strip()))
    return Request(parts[0], parts[1], parts[2], headers, raw)


MAX_KEEP = 1 << 20          # request body bytes kept (for /record)


async def discard(reader, n, keep=None):
    """Reads n bytes; the first MAX_KEEP go into keep (a bytearray) if given."""
    while n > 0:
        data = await reader.read(min(n, STREAM_CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", n)
        if keep is not None and len(keep) < MAX_KEEP:
            keep += data[:MAX_KEEP - len(keep)]
        n -= len(data)


async def discard_chunked(reader, keep=None):
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest(400) from None
        if size == 0:
            break
        await discard(reader, size, keep)
        await discard(reader, 2)
    while await reader.readuntil(b"\r\n") != b"\r\n":   # trailers
        pass


async def read_request(c):
    """Next request on the connection with its body consumed, or None at EOF."""
    try:
        head = await c.reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest(431) from None
    head = head.lstrip(b"\r\n")     # RFC 9112 lets clients send blank lines first
    if not head:
        return await read_request(c)
    req = parse_head(head[:-4])
    if req.headers.get("expect", "").lower() == "100-continue":
        await send(c, b"HTTP/1.1 100 Continue\r\n\r\n")
    keep = bytearray()
    if "chunked" in req.headers.get("transfer-encoding", "").lower():
        await discard_chunked(c.reader, keep)
    else:
        await discard(c.reader, int(number(req.headers.get("content-length"), 0)), keep)
    req.body = bytes(keep)
    return req


# --------------------------------------------------------------- responses

NUMBER_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def number(text, default):
    """First number found in text (URL-decoded), else default: '0.5s' -> 0.5."""
    m = NUMBER_RE.search(urllib.parse.unquote(text or ""))
    return float(m.group()) if m else default


def seconds(text, default=0.0):
    return min(max(number(text, default), 0.0), MAX_DELAY)


def arg(args, i):
    return args[i] if i < len(args) else ""


def to_bytes(x):
    return x if isinstance(x, bytes) else str(x).encode("latin-1")


def reason_for(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def has_no_body(status):
    return status < 200 or status in (204, 304)


def response_head(req, status, headers=(), reason=None, length=None):
    """Status line and headers ending with the blank line, as bytes."""
    lines = [b"HTTP/1.1 %d %s" % (status, to_bytes(reason if reason is not None
                                                     else reason_for(status)))]
    lines += [to_bytes(name) + b": " + to_bytes(value) for name, value in headers]
    if length is not None:
        lines.append(b"Content-Length: %d" % length)
    if not req.keep_alive:
        lines.append(b"Connection: close")
    elif req.version == "HTTP/1.0":
        lines.append(b"Connection: keep-alive")
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def send(c, data):
    c.writer.write(data)
    await c.writer.drain()


async def respond(c, req, status, body=b"", headers=(), reason=None):
    """A complete response with Content-Length; returns whether to keep the connection."""
    body = to_bytes(body)
    length = None if has_no_body(status) else len(body)    # RFC 9110 8.6
    headers = list(headers)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", "text/plain"))
    head = response_head(req, status, headers, reason, length)
    await send(c, head if req.method == "HEAD" else head + body)
    return req.keep_alive


async def stream(c, chunks):
    """Writes chunks, yielding to other connections between them: drain()
    returns at once while the socket accepts data, which on loopback would
    let one fast reader starve the whole server."""
    for chunk in chunks:
        await send(c, chunk)
        await asyncio.sleep(0)


def reset(c):
    """Closes with a TCP RST: SO_LINGER 0 then close."""
    sock = c.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.writer.transport.abort()


async def flushed(c, limit=2.0):
    """Waits until asyncio handed everything to the kernel (abort() drops the rest)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while c.writer.transport.get_write_buffer_size() and loop.time() < end:
        await asyncio.sleep(0.005)


async def client_closed(c):
    """Returns once the client closes its side; whatever it sends is dropped."""
    while await c.reader.read(STREAM_CHUNK):
        pass


async def until_client_closes(c, producer):
    """Runs producer until it ends or the client closes, whichever is first.
    Watching the read side notices a gone client at once instead of on the
    next failed write (up to a second later for /drip)."""
    tasks = {asyncio.ensure_future(client_closed(c)), asyncio.ensure_future(producer)}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if not t.cancelled() and t.exception():
                raise t.exception()
    finally:
        for t in tasks:
            t.cancel()


# -------------------------------------------------------------- behaviours
# Each handler gets (conn, request, path segments after the name) and returns
# True when the connection may serve another request.

async def h_ok(c, req, args):
    return await respond(c, req, 200, "ok")


async def h_not_found(c, req, args):
    return await respond(c, req, 404, "not found")


async def h_status(c, req, args):
    status = min(max(int(number(arg(args, 0), 200)), 100), 999)
    body = "" if has_no_body(status) else f"status {status}"
    return await respond(c, req, status, body)


async def h_delay(c, req, args):
    await asyncio.sleep(seconds(arg(args, 0)))
    return await respond(c, req, 200, "ok")


async def h_jitter(c, req, args):
    low, high = sorted((seconds(arg(args, 0)), seconds(arg(args, 1))))
    await asyncio.sleep(random.uniform(low, high))
    return await respond(c, req, 200, "ok")


async def h_flap(c, req, args):
    if random.random() < number(arg(args, 0), 0.5):
        return await respond(c, req, 503, "flap failed")
    return await respond(c, req, 200, "ok")


async def h_body(c, req, args):
    return await respond(c, req, 200, urllib.parse.unquote_to_bytes("/".join(args)))


async def h_gzip(c, req, args):
    """TEXT gzip-compressed, Content-Encoding: gzip, whatever was asked."""
    return await respond(c, req, 200, gzip.compress(urllib.parse.unquote_to_bytes(
        "/".join(args))), headers=[("Content-Encoding", "gzip")])


# Canned documents for conditions ("[BODY].status == UP"), Gatus-style.
JSON_DOCS = {
    "health": {"status": "UP", "data": {"id": 1, "name": "john",
                                        "users": [{"id": 1, "name": "ann"},
                                                  {"id": 2, "name": "bob"}]}},
    "down": {"status": "DOWN", "errors": ["disk full"], "data": {"id": 7}},
    "users": {"users": [{"name": "ann"}, {"name": "bob"}], "count": 1000000},
    "array": [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}],
    "nested": {"a": {"b": [{"c": "deep"}]}, "n": None, "f": 0.5},
}


async def h_json(c, req, args):
    doc = JSON_DOCS.get(arg(args, 0))
    if doc is None:
        return await respond(c, req, 404, "no such document")
    return await respond(c, req, 200, json.dumps(doc),
                         headers=[("Content-Type", "application/json")])


async def h_method(c, req, args):
    return await respond(c, req, 200, req.method)


async def h_respond(c, req, args):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(req.target).query, keep_blank_values=True)
    status = min(max(int(number((q.get("status") or ["200"])[-1], 200)), 100), 999)
    headers = [("Content-Type", (q.get("type") or ["text/plain"])[-1])]
    for h in q.get("header", []):
        name, _, value = h.partition(":")
        headers.append((name.strip(), value.strip()))
    body = (q.get("body") or [""])[-1].encode("utf-8", "surrogateescape")
    if has_no_body(status):
        body = b""
    length = None if has_no_body(status) else len(body)
    head = response_head(req, status, headers, None, length)
    await send(c, head if req.method == "HEAD" else head + body)
    return req.keep_alive


async def h_size(c, req, args):
    size = max(int(number(arg(args, 0), 0)), 0)
    await send(c, response_head(req, 200, [("Content-Type", "application/octet-stream")],
                                length=size))
    if req.method != "HEAD":
        block = b"x" * STREAM_CHUNK
        full, rest = divmod(size, STREAM_CHUNK)
        await stream(c, [block] * full + [block[:rest]])
    return req.keep_alive


async def h_hang(c, req, args):
    await client_closed(c)
    return False


async def h_close(c, req, args):
    return False


async def h_reset(c, req, args):
    reset(c)
    return False


async def h_reset_mid(c, req, args):
    await send(c, response_head(req, 200, [("Content-Type", "text/plain")], length=1000))
    await send(c, b"r" * 100)
    await flushed(c)
    reset(c)
    return False


async def h_garbage(c, req, args):
    # A fixed non-HTTP prefix so the random part can never look like "HTTP/".
    await send(c, b"\xde\xad\xbe\xef\x00garbage\x01" + os.urandom(500))
    return False


async def h_http09(c, req, args):
    await send(c, b"hello from HTTP/0.9: no status line, no headers\n")
    return False


async def h_badchunk(c, req, args):
    await send(c, response_head(req, 200, [("Transfer-Encoding", "chunked")]))
    await send(c, b"zz-not-hex\r\nhello\r\n0\r\n\r\n")
    return False


async def endless_chunks(c):
    chunk = b"%x\r\n%s\r\n" % (STREAM_CHUNK, b"e" * STREAM_CHUNK)
    while True:
        await stream(c, [chunk])


async def h_endless(c, req, args):
    await send(c, response_head(req, 200, [("Transfer-Encoding", "chunked")]))
    await until_client_closes(c, endless_chunks(c))
    return False


async def drip_bytes(c):
    while True:
        await asyncio.sleep(1)
        await send(c, b".")


async def h_drip(c, req, args):
    # No length: the body runs "until close", one byte a second.
    req.headers["connection"] = "close"
    await send(c, response_head(req, 200, [("Content-Type", "text/plain")]))
    await until_client_closes(c, drip_bytes(c))
    return False


async def h_cl_short(c, req, args):
    await send(c, response_head(req, 200, [("Content-Type", "text/plain")], length=100))
    await send(c, b"only 20 bytes here..")
    return False


async def h_cl_negative(c, req, args):
    await send(c, response_head(req, 200, [("Content-Type", "text/plain"),
                                           ("Content-Length", "-1")]) + b"ok")
    return False


async def redirect(c, req, location):
    return await respond(c, req, 302, "redirect", [("Location", location)])


async def h_redirect_loop(c, req, args):
    return await redirect(c, req, "/redirect-loop")


async def h_redirect(c, req, args):
    hops = int(number(arg(args, 0), 0))
    if hops <= 0:
        return await respond(c, req, 200, "ok")
    return await redirect(c, req, "/ok" if hops == 1 else f"/redirect/{hops - 1}")


async def h_redirect_to(c, req, args):
    return await redirect(c, req, req.query.get("url", "/ok"))


async def h_redirect_unique(c, req, args):
    STATE.unique += 1
    port = c.writer.get_extra_info("sockname")[1]
    zone = req.query.get("zone", "test")
    return await redirect(c, req, f"http://u{STATE.unique}.{zone}:{port}/ok")


async def h_hugeheader(c, req, args):
    return await respond(c, req, 200, "ok", [("X-Huge", "h" * (1 << 20))])


async def h_manyheaders(c, req, args):
    return await respond(c, req, 200, "ok", [(f"X-Many-{i}", i) for i in range(10000)])


GZIP_BOMB_SIZE = 1 << 30
_gzip_bomb = None


def build_gzip_bomb():
    """~1 MiB of gzip that inflates to 1 GiB of zeros, built in ~0.2 s.
    A full flush makes each compressed 1 MiB block independent of the one
    before, so the block is compressed once and repeated; only the CRC
    still walks the whole gibibyte."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(GZIP_BOMB_SIZE // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    blocks = GZIP_BOMB_SIZE // len(zeros)
    return (header, block, blocks,
            tail + struct.pack("<II", crc, GZIP_BOMB_SIZE & 0xFFFFFFFF))


async def h_gzipbomb(c, req, args):
    global _gzip_bomb
    if _gzip_bomb is None:      # built on first use so start-up stays instant
        _gzip_bomb = asyncio.ensure_future(asyncio.to_thread(build_gzip_bomb))
    header, block, blocks, trailer = await _gzip_bomb
    length = len(header) + len(block) * blocks + len(trailer)
    await send(c, response_head(req, 200, [("Content-Type", "text/plain"),
                                           ("Content-Encoding", "gzip")], length=length))
    if req.method != "HEAD":
        # Batches of blocks keep the write calls few and the memory small.
        batch = block * 64
        await stream(c, [header] + [batch] * (blocks // 64) + [block] * (blocks % 64)
                     + [trailer])
    return req.keep_alive


async def h_hostile(c, req, args):
    return await respond(c, req, 200, HOSTILE_BODY, [("X-Hostile", HOSTILE_HEAD)],
                         reason=b"OK " + HOSTILE_HEAD)


async def h_hostile_status(c, req, args):
    return await respond(c, req, 500, HOSTILE_BODY, reason=b"Internal " + HOSTILE_HEAD)


async def h_count(c, req, args):
    STATE.count += 1
    return await respond(c, req, 200, str(STATE.count))


async def h_conns(c, req, args):
    return await respond(c, req, 200, str(STATE.conns))
async def h_record(c, req, args):
    q = req.query
    STATE.records.append({"time": time.time(), "method": req.method, "path": req.path,
                          "query": q,
                          "headers": req.raw_headers,
                          "body": req.body.decode("utf-8", "surrogateescape")})
    seen = sum(1 for r in STATE.records if r["path"] == req.path)
    if seen <= int(number(q.get("fail"), 0)):
        return await respond(c, req, 500, "failing on purpose")
    status = min(max(int(number(q.get("status"), 200)), 100), 999)
    return await respond(c, req, status, "" if has_no_body(status) else f"recorded {seen}")


async def h_records(c, req, args):
    return await respond(c, req, 200, json.dumps(STATE.records),
                         [("Content-Type", "application/json"), ("Cache-Control", "no-store")])


async def h_stats(c, req, args):
    return await respond(c, req, 200, json.dumps(dict(STATE.hits), sort_keys=True),
                         [("Cache-Control", "no-store")])


ROUTES = {
    "ok": h_ok, "status": h_status, "delay": h_delay, "jitter": h_jitter,
    "flap": h_flap, "body": h_body, "gzip": h_gzip, "size": h_size,
    "hang": h_hang, "close": h_close, "reset": h_reset, "reset-mid": h_reset_mid,
    "garbage": h_garbage, "http09": h_http09,
    "badchunk": h_badchunk, "endless": h_endless, "drip": h_drip,
    "cl-short": h_cl_short, "cl-negative": h_cl_negative,
    "redirect-loop": h_redirect_loop, "redirect": h_redirect,
    "redirect-to": h_redirect_to, "redirect-unique": h_redirect_unique,
    "hugeheader": h_hugeheader, "manyheaders": h_manyheaders,
    "gzipbomb": h_gzipbomb, "hostile": h_hostile, "hostile-status": h_hostile_status,
    "count": h_count, "__stats": h_stats, "__conns": h_conns, "json": h_json, "respond": h_respond,
    "record": h_record, "__records": h_records,
    "method": h_method,
}


def route(path):
    """'/delay/0.5' -> (h_delay, ['0.5'])."""
    name, *args = path.lstrip("/").split("/")
    return ROUTES.get(name, h_not_found), args


# ------------------------------------------------------------- connections

async def serve_connection(reader, writer):
    """Serves requests on one connection until a handler or the client ends it."""
    c = Conn(reader, writer)
    STATE.conns += 1
    try:
        while True:
            try:
                req = await read_request(c)
            except BadRequest as e:
                await send(c, b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close"
                              b"\r\n\r\n" % (e.status, to_bytes(reason_for(e.status))))
                break
            if req is None:
                break
            STATE.record(req.path)
            handler, args = route(req.path)
            if STATE.all_status and req.path != "/__stats":
                handler, args = h_status, [str(STATE.all_status)]
            if not await handler(c, req, args):
                break
    except CLIENT_GONE:
        pass
    except Exception:           # a fixture bug must not take the server down
        traceback.print_exc()
    finally:
        writer.close()


async def serve_tls_close(reader, writer):
    """Reads one TLS record (the ClientHello) and closes mid-handshake.
    Reading all of it first makes the close a clean FIN, not an RST."""
    try:
        header = await asyncio.wait_for(reader.readexactly(5), 10)
        await asyncio.wait_for(reader.readexactly(int.from_bytes(header[3:5], "big")), 10)
    except (*CLIENT_GONE, asyncio.TimeoutError):
        pass
    finally:
        writer.close()


async def serve_banner(reader, writer):
    """Speaks first, like an SSH server, then gives up on the client."""
    try:
        writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        await writer.drain()
        await asyncio.sleep(1)
    except CLIENT_GONE:
        pass
    finally:
        writer.close()


async def serve_silent(reader, writer):
    """Accepts and never sends a byte, until the client leaves."""
    try:
        while await reader.read(4096):
            pass
    except CLIENT_GONE:
        pass
    finally:
        writer.close()


# --------------------------------------------------------------- TLS setup

OPENSSL_CNF = """\
[req]
distinguished_name = req_dn
[req_dn]

[ca]
default_ca = fixture_ca
[fixture_ca]
dir = {dir}/ca
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_any]
commonName = supplied

# Self-signed, and also the issuer of the two broken certificates below.
[self_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1

[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[expired_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
"""

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def issue(cert_dir, name, cn, extensions, validity):
    """A leaf signed by cert.pem through `openssl ca`, the one openssl 3.0
    command that takes explicit start/end dates (needed for the expired one)."""
    openssl("req", "-new", *EC_KEY, "-config", "fixture.cnf", "-subj", f"/CN={cn}",
            "-keyout", f"{name}-key.pem", "-out", f"{name}.csr", cwd=cert_dir)
    openssl("ca", "-batch", "-notext", "-config", "fixture.cnf", "-cert", "cert.pem",
            "-keyfile", "key.pem", "-extensions", extensions, "-in", f"{name}.csr",
            "-out", f"{name}.pem", *validity, cwd=cert_dir)


def make_certs(cert_dir):
    """Creates the certificates in cert_dir unless they are already there."""
    wanted = ["cert.pem", "key.pem", "wrong-host.pem", "wrong-host-key.pem",
              "expired.pem", "expired-key.pem"]
    if all(os.path.exists(os.path.join(cert_dir, f)) for f in wanted):
        return
    os.makedirs(os.path.join(cert_dir, "ca"), exist_ok=True)
    with open(os.path.join(cert_dir, "fixture.cnf"), "w") as f:
        f.write(OPENSSL_CNF.format(dir=os.path.abspath(cert_dir)))
    open(os.path.join(cert_dir, "ca", "index.txt"), "w").close()
    with open(os.path.join(cert_dir, "ca", "serial"), "w") as f:
        f.write("1000\n")
    openssl("req", "-x509", *EC_KEY, "-config", "fixture.cnf", "-extensions", "self_ext",
            "-subj", "/CN=uptop fixture", "-days", "3650",
            "-keyout", "key.pem", "-out", "cert.pem", cwd=cert_dir)
    issue(cert_dir, "wrong-host", "wrong.example", "wrong_host_ext", ["-days", "3650"])
    issue(cert_dir, "expired", "localhost", "expired_ext",
          ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])


def server_context(cert_dir, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key = "key.pem" if name == "cert" else f"{name}-key.pem"
    ctx.load_cert_chain(os.path.join(cert_dir, f"{name}.pem"), os.path.join(cert_dir, key))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


# -------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1", help="a 127.x address (default %(default)s)")
    p.add_argument("--port", type=int, default=0, help="HTTP port, 0 = any free one")
    p.add_argument("--tls-port", type=int, help="HTTPS port with the good certificate")
    p.add_argument("--tls-wrong-host-port", type=int, help="HTTPS, certificate for wrong.example")
    p.add_argument("--tls-expired-port", type=int, help="HTTPS, expired certificate")
    p.add_argument("--tls-close-port", type=int, help="closes during the TLS handshake")
    p.add_argument("--banner-port", type=int, help="sends an SSH banner, speaks no HTTP")
    p.add_argument("--silent-port", type=int, help="accepts, never sends a byte")
    p.add_argument("--http-ports", type=int, default=0, metavar="N",
                   help="N more plain HTTP listeners on free ports (distinct "
                        "host:port pairs, each its own connection pool entry)")
    p.add_argument("--all-status", type=int, help="answer every HTTP path with this status")
    p.add_argument("--tls-cert", action="append", default=[], metavar="NAME=CHAIN:KEY",
                   help="an HTTPS port presenting this chain (repeatable)")
    p.add_argument("--cert-dir", help="where certificates are made or reused (default: temp)")
    p.add_argument("--ready-file", help="gets the JSON line once listening")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="exit when the parent process dies (tests killed by a timeout)")
    args = p.parse_args(argv)
    try:
        addr = ipaddress.ip_address(args.host)
    except ValueError:
        p.error(f"--host {args.host!r} is not an IP address")
    if addr.version != 4 or not addr.is_loopback:
        p.error(f"--host {args.host} is not a 127.x loopback address")
    return args


def raise_fd_limit():
    """Thousands of concurrent connections need thousands of fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def write_ready(path, info):
    line = json.dumps(info) + "\n"
    if path:
        tmp = f"{path}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(line)
        os.replace(tmp, path)   # readers never see a half-written file
    try:
        sys.stdout.write(line)
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass


def quiet_exceptions(loop, context):
    """asyncio reports failed handshakes and resets that hostile tests cause on
    purpose; only genuine surprises are worth printing."""
    if isinstance(context.get("exception"), CLIENT_GONE):
        return
    loop.default_exception_handler(context)


async def listen(handler, host, port, ctx=None):
    server = await asyncio.start_server(handler, host, port, ssl=ctx, backlog=BACKLOG,
                                        limit=MAX_HEAD, reuse_address=True)
    return server, server.sockets[0].getsockname()[1]


async def watch_parent(stop, parent):
    """Sets stop once we are re-parented, i.e. the process that started us died
    without cleaning up (SIGKILL, a timeout): no fixture outlives its test.
    parent is read first thing in main(): a parent that dies right after the
    ready line must not be mistaken for the real one."""
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    stop.set()


async def serve(args, cert_dir):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exceptions)
    servers = []

    async def maybe(port, handler, ctx=None):
        if port is None:
            return None
        server, bound = await listen(handler, args.host, port, ctx)
        servers.append(server)
        return bound

    info = {"http": await maybe(args.port, serve_connection)}
    tls = {"https": (args.tls_port, "cert"),
           "https_wrong_host": (args.tls_wrong_host_port, "wrong-host"),
           "https_expired": (args.tls_expired_port, "expired")}
    for key, (port, cert) in tls.items():
        ctx = server_context(cert_dir, cert) if port is not None else None
        info[key] = await maybe(port, serve_connection, ctx)
    info["tls_certs"] = {}
    for spec in args.tls_cert:
        name, _, files = spec.partition("=")
        chain, _, key = files.partition(":")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, key)
        ctx.set_alpn_protocols(["http/1.1"])
        info["tls_certs"][name] = await maybe(0, serve_connection, ctx)
    info["tls_close"] = await maybe(args.tls_close_port, serve_tls_close)
    info["banner"] = await maybe(args.banner_port, serve_banner)
    info["silent"] = await maybe(args.silent_port, serve_silent)
    info["http_ports"] = [await maybe(0, serve_connection) for _ in range(args.http_ports)]
    STATE.all_status = args.all_status
    info["ca"] = os.path.join(cert_dir, "cert.pem") if cert_dir else None
    info["cert_dir"] = cert_dir
    info["pid"] = os.getpid()

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_with_parent:
        asyncio.ensure_future(watch_parent(stop, args.parent))
    write_ready(args.ready_file, info)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv=None):
    parent = os.getppid()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.parent = parent
    raise_fd_limit()
    wants_tls = any(p is not None for p in (args.tls_port, args.tls_wrong_host_port,
                                             args.tls_expired_port))
    cert_dir, temp_dir = args.cert_dir, None
    if wants_tls and not cert_dir:
        cert_dir = temp_dir = tempfile.mkdtemp(prefix="uptop-fixture-")
    try:
        if wants_tls:
            try:
                make_certs(cert_dir)
            except subprocess.CalledProcessError as e:
                sys.exit(f"fixture: openssl failed: {e.stderr.decode(errors='replace')}")
        asyncio.run(serve(args, cert_dir and os.path.abspath(cert_dir)))
    finally:
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
