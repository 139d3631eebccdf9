#!/usr/bin/env python3
"""The mistake from the blog post uptop started from: a blocking HTTP call
(urllib.request here, requests there) inside `async def`, "made concurrent"
with asyncio.gather. Every call blocks the event loop, so the checks run one
after another: 20 URLs that each answer after 1 s take 20 s.

    peer_blocking.py [--timeout S] URLFILE

Same output as peer_aiohttp.py. Run it on a handful of URLs only.
"""

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request

# No proxies from the environment: the benchmark talks to loopback only.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


async def check(url, timeout):
    try:
        with OPENER.open(url, timeout=timeout) as resp:     # blocks the loop
            resp.read()
            return {"url": url, "ok": True, "code": resp.status, "error": None,
                    "error_type": None}
    except urllib.error.HTTPError as e:
        ok = 200 <= e.code <= 399
        return {"url": url, "ok": ok, "code": e.code, "error": None if ok else str(e),
                "error_type": None if ok else "HTTPError"}
    except Exception as e:
        return {"url": url, "ok": False, "code": 0, "error": str(e),
                "error_type": type(e).__name__}


async def main_async(urls, timeout):
    return await asyncio.gather(*(check(u, timeout) for u in urls))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("urlfile")
    a = p.parse_args()
    with open(a.urlfile) as f:
        urls = [line.strip() for line in f if line.strip()]
    t0 = time.monotonic()
    results = asyncio.run(main_async(urls, a.timeout))
    wall = time.monotonic() - t0
    for r in results:
        sys.stdout.write(json.dumps(r) + "\n")
    ok = sum(r["ok"] for r in results)
    sys.stdout.write(json.dumps({"type": "summary", "ok": ok, "failed": len(results) - ok,
                                 "wall_s": round(wall, 3)}) + "\n")


if __name__ == "__main__":
    main()
