"""A tiny DNS server on 127.0.0.1 for tests: answers A queries from a
table, drops queries for names it is told to ignore (a resolver that never
answers), and counts queries per name. Standard library only.

    FakeDNS(answers={"svc.test": "127.0.0.2", "*.cdn.test": "127.0.0.1"},
            silent={"slow.test"}, ttl=60)

A "*.zone" key answers every name under zone. The table, the TTL and the
failure mode can change while uptop runs:

    dns.set("svc.test", "127.0.0.3")  # the name moves
    dns.drop_first = True             # the first query per (name, type) is lost
    dns.mode = "servfail"             # every answer is SERVFAIL ("drop": none)
    dns.mode = "nxdomain"             # every name is gone
    dns.mode = None                   # back to normal
"""

import socket
import struct
import threading

NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3


class FakeDNS:
    def __init__(self, answers=None, silent=(), ttl=60, drop_first=False):
        self.answers = {k.lower().rstrip("."): v for k, v in (answers or {}).items()}
        self.silent = {s.lower().rstrip(".") for s in silent}
        self.ttl = ttl
        self.drop_first = drop_first
        self.mode = None
        self.queries = {}
        self.dropped = 0
        self._seen = set()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.sock.close()

    @property
    def server(self):
        return f"127.0.0.1:{self.port}"

    def set(self, name, ip):
        self.answers[name.lower().rstrip(".")] = ip

    def lookup(self, name):
        if name in self.answers:
            return self.answers[name]
        labels = name.split(".")
        for i in range(1, len(labels)):
            ip = self.answers.get("*." + ".".join(labels[i:]))
            if ip is not None:
                return ip
        return None

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            reply = self._handle(data)
            if reply:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    pass

    @staticmethod
    def _qname(data, off):
        labels = []
        while data[off]:
            n = data[off]
            labels.append(data[off + 1:off + 1 + n].decode("ascii", "replace"))
            off += n + 1
        return ".".join(labels).lower(), off + 1

    def _handle(self, data):
        if len(data) < 12:
            return None
        qid, _flags, qd = struct.unpack(">HHH", data[:6])
        if qd != 1:
            return None
        name, off = self._qname(data, 12)
        qtype, _qclass = struct.unpack(">HH", data[off:off + 4])
        question = data[12:off + 4]
        self.queries[name] = self.queries.get(name, 0) + 1
        if name in self.silent or self.mode == "drop":
            return None
        if self.drop_first and (name, qtype) not in self._seen:
            self._seen.add((name, qtype))
            self.dropped += 1
            return None

        def header(rcode, ancount):
            return struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, ancount, 0, 0) + question

        if self.mode == "servfail":
            return header(SERVFAIL, 0)
        ip = None if self.mode == "nxdomain" else self.lookup(name)
        if ip is None:
            return header(NXDOMAIN, 0)
        if qtype != 1:
            # no AAAA records: an empty answer (NOERROR, NODATA)
            return header(NOERROR, 0)
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, self.ttl, 4) + socket.inet_aton(ip)
        return header(NOERROR, 1) + answer
