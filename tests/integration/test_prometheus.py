"""Past one box, with Prometheus itself: the README's alert rules pass
promtool check rules; a real Prometheus server (its own temp dir, a random
loopback port, scrape and rule interval 1 s) scrapes two uptop shards of
one config, and its HTTP API shows probe_success of a known target, every
target exactly once across the shards, and the README's TargetDown alert
pending for the one that is down.

Everything listens on and talks to 127.0.0.1 only."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import REPO, Fixture, Running, free_port, wait_until, write_config  # noqa: E402

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def readme_rules():
    """The README's uptop-rules.yml block."""
    text = (REPO / "README.md").read_text()
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        if block.startswith("# uptop-rules.yml"):
            return block
    return None


def query(port, q):
    """Prometheus' instant query -> the result list ([] on any error)."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as r:
            doc = json.load(r)
    except (OSError, ValueError):
        return []
    return doc.get("data", {}).get("result", []) if doc.get("status") == "success" else []


def test_rules(t, tmp):
    rules = readme_rules()
    t.ok(rules and "probe_success == 0" in rules and "for: 2m" in rules,
         "the README has the rules: probe_success == 0 for 2m")
    t.ok(rules and "probe_ssl_earliest_cert_expiry - time() < 14 * 86400" in rules,
         "...and certificate expiry under 14 days")
    path = os.path.join(tmp, "uptop-rules.yml")
    with open(path, "w") as f:
        f.write(rules or "")
    r = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
    t.ok(r.returncode == 0 and "SUCCESS: 3 rules found" in r.stdout,
         "promtool check rules: the README's rules are valid", r.stdout + r.stderr)
    return path


def test_scrape(t, tmp, rules):
    with Fixture(tls=False) as fx:
        names = [f"site-{i:02d}" for i in range(40)]
        body = "".join(f'  - {{name: {n}, url: "{fx.url("/ok")}?{n}"}}\n' for n in names)
        body += f'  - {{name: broken, url: "{fx.url("/status/500")}"}}\n'
        cfg = write_config(tmp, f"defaults: {{interval: 1s, timeout: 800ms}}\ntargets:\n{body}")
        ports = [free_port(), free_port()]
        shards = [Running(["--headless", "--shard", f"{k + 1}/2", "--metrics",
                           f"127.0.0.1:{ports[k]}", "-c", cfg]) for k in range(2)]
        prom_port = free_port()
        targets = ", ".join(f'"127.0.0.1:{p}"' for p in ports)
        pcfg = write_config(tmp, f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{rules}"]
scrape_configs:
  - job_name: uptop
    static_configs:
      - targets: [{targets}]
""", name="prometheus.yml")
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={pcfg}",
                                 f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            up = wait_until(lambda: len([r for r in query(prom_port, 'up{job="uptop"}')
                                         if r["value"][1] == "1"]) == 2, timeout=60)
            t.ok(up, "Prometheus scrapes both uptop shards (up == 1)")
            ok = wait_until(lambda: query(prom_port, 'probe_success{target="site-07"}'), 30)
            t.ok(ok and ok[0]["value"][1] == "1" and ok[0]["metric"].get("url", "").endswith("?site-07"),
                 "Prometheus' API: probe_success{target=\"site-07\"} is 1", ok)
            every = wait_until(lambda: len(query(prom_port, "probe_success")) == 41 and
                               query(prom_port, "probe_success"), 30) or []
            seen = sorted(r["metric"]["target"] for r in every)
            t.eq(seen, sorted(names + ["broken"]),
                 "every target exactly once across the two shards")
            split = {r["metric"]["instance"] for r in every}
            t.eq(len(split), 2, "...and both shards hold some of them")
            bad = wait_until(lambda: query(prom_port, 'ALERTS{alertname="TargetDown"}'), 30)
            t.ok(bad and len(bad) == 1 and bad[0]["metric"]["target"] == "broken"
                 and bad[0]["metric"]["alertstate"] == "pending",
                 "the README's TargetDown alert is pending for the broken target only", bad)
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=20)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
            log.close()
            for s in shards:
                s.stop()


def main(t):
    if not PROMETHEUS or not PROMTOOL:
        t.skip("a real Prometheus scrapes uptop", "prometheus not installed "
               "(scripts/deps.sh installs it)")
        return
    tmp = tempfile.mkdtemp(prefix="uptop-prom-")
    try:
        rules = test_rules(t, tmp)
        test_scrape(t, tmp, rules)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


lib.main(main)
