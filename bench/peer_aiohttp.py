#!/usr/bin/env python3
"""The usual Python answer to "check 1,000 URLs at once": aiohttp with
asyncio.gather, one coroutine per URL, as the blog posts write it.

    peer_aiohttp.py [--limit N] [--timeout S] [--cacert FILE] URLFILE

--limit is TCPConnector(limit=N): aiohttp's default is 100, 0 means no
limit. The timeout is ClientTimeout(total=S), which starts when the request
is made, so time spent waiting for a free connector slot counts: that is
why the default connector reports half of 1,000 slow-but-fine URLs down.

Prints one JSON line per URL {"url","ok","code","error","error_type"} where
error is str(exception) as such a script would show it (often empty for a
timeout), then {"type":"summary","ok","failed","wall_s"}.
"""

import argparse
import asyncio
import json
import ssl
import sys
import time

import aiohttp


async def check(session, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as resp:
            await resp.read()
            ok = 200 <= resp.status <= 399
            return {"url": url, "ok": ok, "code": resp.status,
                    "error": None if ok else f"status {resp.status}", "error_type": None}
    except Exception as e:          # what the script would print for this URL
        return {"url": url, "ok": False, "code": 0, "error": str(e),
                "error_type": type(e).__name__}


async def main_async(urls, limit, timeout_s, cacert):
    ctx = ssl.create_default_context(cafile=cacert) if cacert else None
    connector = aiohttp.TCPConnector(limit=limit, ssl=ctx) if ctx else \
        aiohttp.TCPConnector(limit=limit)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await asyncio.gather(*(check(session, u, timeout) for u in urls))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--cacert")
    p.add_argument("urlfile")
    a = p.parse_args()
    with open(a.urlfile) as f:
        urls = [line.strip() for line in f if line.strip()]
    t0 = time.monotonic()
    results = asyncio.run(main_async(urls, a.limit, a.timeout, a.cacert))
    wall = time.monotonic() - t0
    out = sys.stdout
    for r in results:
        out.write(json.dumps(r) + "\n")
    ok = sum(r["ok"] for r in results)
    out.write(json.dumps({"type": "summary", "ok": ok, "failed": len(results) - ok,
                          "wall_s": round(wall, 3)}) + "\n")


if __name__ == "__main__":
    main()
