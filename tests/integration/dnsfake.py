"""A tiny DNS server on 127.0.0.1 for tests: answers A queries from a
table, drops queries for names it is told to ignore (a resolver that never
answers), and counts queries per name. Standard library only.

    FakeDNS(answers={"svc.test": "127.0.0.2", "*.cdn.test": "127.0.0.1"},
            silent={"slow.test"}, ttl=60)

Records of any type the DNS checks ask for, in answer order, and chosen
rcodes (the header's, with no answer) for names:

    FakeDNS(records={("mx.test", "MX"): [(10, "mail.test")],
                     ("txt.test", "TXT"): [["v=spf1", " -all"], ["two"]],
                     ("www.test", "A"): [("CNAME", "edge.test"), "127.0.0.9"]},
            rcodes={"refused.test": 5, "servfail.test": 2})

A record's data by type: A/AAAA an address; CNAME/NS/PTR a name; MX
(preference, name); SRV (priority, weight, port, name); TXT a list of
strings (one record); SOA (mname, rname, serial, refresh, retry, expire,
minimum). ("TYPE", data) in a list is a record of another type in the same
answer (a CNAME before the address it points to).

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
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33}


def wire_name(name):
    """A name in wire form, uncompressed."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def rdata(rtype, data):
    """One record's data in wire form."""
    if rtype == "A":
        return socket.inet_aton(data)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, data)
    if rtype in ("CNAME", "NS", "PTR"):
        return wire_name(data)
    if rtype == "MX":
        return struct.pack(">H", data[0]) + wire_name(data[1])
    if rtype == "SRV":
        return struct.pack(">HHH", *data[:3]) + wire_name(data[3])
    if rtype == "TXT":
        return b"".join(bytes([len(t.encode("latin-1"))]) + t.encode("latin-1") for t in data)
    if rtype == "SOA":
        return wire_name(data[0]) + wire_name(data[1]) + struct.pack(">IIIII", *data[2:])
    raise ValueError(rtype)


class FakeDNS:
    def __init__(self, answers=None, silent=(), ttl=60, drop_first=False, records=None,
                 rcodes=None):
        self.answers = {k.lower().rstrip("."): v for k, v in (answers or {}).items()}
        self.records = {(k[0].lower().rstrip("."), k[1]): v for k, v in (records or {}).items()}
        self.rcodes = {k.lower().rstrip("."): v for k, v in (rcodes or {}).items()}
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
        if name in self.rcodes:
            return header(self.rcodes[name], 0)
        names = {v: k for k, v in TYPES.items()}
        if (name, names.get(qtype)) in self.records:
            answers = b""
            recs = self.records[(name, names[qtype])]
            for rec in recs:
                rtype, data = rec if isinstance(rec, tuple) and rec and rec[0] in TYPES \
                    else (names[qtype], rec)
                rd = rdata(rtype, data)
                answers += b"\xc0\x0c" + struct.pack(">HHIH", TYPES[rtype], 1, self.ttl,
                                                     len(rd)) + rd
            return header(NOERROR, len(recs)) + answers
        ip = None if self.mode == "nxdomain" else self.lookup(name)
        if ip is None:
            return header(NXDOMAIN, 0)
        if qtype != 1:
            # no AAAA records: an empty answer (NOERROR, NODATA)
            return header(NOERROR, 0)
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, self.ttl, 4) + socket.inet_aton(ip)
        return header(NOERROR, 1) + answer
