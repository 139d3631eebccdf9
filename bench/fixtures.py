"""Loopback servers for the benchmark: nginx (the real one) or the project's
Python fixture (for the smoke test on a machine without nginx).

Both answer the same paths:
    /delay/S     "ok" after S seconds (fractions allowed)
    /ok          "ok" at once
    /hang        never answers (within any benchmark's time)
    /status/N    status N
Both only ever listen on 127.0.0.0/8.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# nginx listens on several loopback addresses so that 10,000+ concurrent
# client connections spread over several (source, destination) pairs and do
# not run out of ephemeral ports.
NGINX_ADDRS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
STATUSES = (200, 204, 301, 404, 500, 502, 503)


def free_port(host="127.0.0.1"):
    """A port where nothing listens right now on host."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def refuses(host, port):
    """True when a TCP connect to host:port is refused (nothing listens)."""
    with socket.socket() as s:
        s.settimeout(1.0)
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
        return False


def wait_listening(host, port, deadline):
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.02)
    return False


def make_cert(dirpath):
    """A self-signed EC P-256 certificate for 127.0.0.1..4, made now with
    openssl. EC keeps the server's handshake cost low so the client's cost
    dominates what the TLS workloads measure. Returns (cert, key)."""
    cert, key = os.path.join(dirpath, "cert.pem"), os.path.join(dirpath, "key.pem")
    san = ",".join(f"IP:{a}" for a in NGINX_ADDRS) + ",DNS:localhost"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=uptop-bench",
                    "-addext", f"subjectAltName={san}",
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class Fixture:
    """What every workload needs from a server: URLs by behaviour."""

    addrs = ["127.0.0.1"]
    http_port = tls_port = refused_port = None
    ca = None
    name = "?"

    def url(self, path, i=0, tls=False):
        """URL of path on the i-th address (round robin), http or https."""
        host = self.addrs[i % len(self.addrs)]
        scheme, port = ("https", self.tls_port) if tls else ("http", self.http_port)
        return f"{scheme}://{host}:{port}/{path.lstrip('/')}"

    def refused_url(self, i=0):
        host = self.addrs[i % len(self.addrs)]
        return f"http://{host}:{self.refused_port}/refused"

    def _pick_refused_port(self):
        for _ in range(20):
            p = free_port()
            if all(refuses(a, p) for a in self.addrs):
                self.refused_port = p
                return
        raise RuntimeError("no port that refuses on every fixture address")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class Nginx(Fixture):
    """nginx with the echo module, one worker, in its own prefix dir."""

    name = "nginx"

    def __init__(self, workdir, cert, key, workers=1):
        self.addrs = NGINX_ADDRS
        self.dir = os.path.join(workdir, "nginx")
        self.cert, self.key, self.ca = cert, key, cert
        self.workers = workers
        self.proc = None

    @staticmethod
    def available():
        return (shutil.which("nginx") is not None and os.path.exists(ECHO_MODULE)
                and shutil.which("openssl") is not None)

    def _conf(self):
        d = self.dir
        listens = "\n".join(
            f"    listen {a}:{self.http_port} backlog=32768;\n"
            f"    listen {a}:{self.tls_port} ssl backlog=32768;" for a in self.addrs)
        statuses = "\n".join(
            f"    location = /status/{s} {{ return {s} \"status {s}\\n\"; }}"
            for s in STATUSES)
        # Why each setting: one worker leaves the other core to the client
        # under test; 40,000 connections and fds cover 10,000 clients plus
        # hung ones; huge keepalive_requests/timeout so steady-state runs
        # keep their connections; no access log (it would be the bottleneck).
        return f"""\
load_module {ECHO_MODULE};
worker_processes {self.workers};
worker_rlimit_nofile 65536;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 40000; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  ssl_certificate {self.cert};
  ssl_certificate_key {self.key};
  default_type text/plain;
  server {{
{listens}
    location = /ok {{ echo ok; }}
    location ~ ^/delay/(?<secs>[0-9.]+)$ {{ echo_sleep $secs; echo ok; }}
    location = /hang {{ echo_sleep 3600; echo late; }}
    # tests/fixture.py's /json/health, for workload g (a JSON condition)
    location = /json/health {{ default_type application/json;
      return 200 '{{"status": "UP", "data": {{"id": 1, "name": "john", "users": [{{"id": 1, "name": "ann"}}, {{"id": 2, "name": "bob"}}]}}}}'; }}
{statuses}
  }}
}}
"""

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.http_port = free_port()
        self.tls_port = free_port()
        self._pick_refused_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self._conf())
        self.log = open(os.path.join(self.dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", conf],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 10
        for a in self.addrs:
            for p in (self.http_port, self.tls_port):
                if not wait_listening(a, p, deadline):
                    self.stop()
                    raise RuntimeError(f"nginx did not start: {self.log_tail()}")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def version(self):
        r = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
        return r.stderr.strip().replace("nginx version: ", "")


class PyFixture(Fixture):
    """tests/fixture.py: slower, 127.0.0.1 only, but needs no package."""

    name = "tests/fixture.py"

    def __init__(self, workdir, tls=True):
        self.dir = os.path.join(workdir, "pyfixture")
        self.tls = tls
        self.proc = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        ready = os.path.join(self.dir, "ready.json")
        if os.path.exists(ready):
            os.unlink(ready)    # a previous workload's server wrote it
        argv = [sys.executable, str(REPO / "tests" / "fixture.py"), "--host", "127.0.0.1",
                "--port", "0", "--ready-file", ready]
        if self.tls:
            argv += ["--tls-port", "0", "--cert-dir", os.path.join(self.dir, "certs")]
        self.log = open(os.path.join(self.dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tests/fixture.py did not start")
            time.sleep(0.02)
        with open(ready) as f:
            info = json.load(f)
        self.http_port, self.tls_port, self.ca = info["http"], info.get("https"), info.get("ca")
        self._pick_refused_port()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
            self.log.close()
        self.proc = None

    def version(self):
        return "tests/fixture.py"
