"""Certificates made at test time with openssl(1): a root CA, leaves and
intermediates valid from and until chosen moments (the past included),
for HTTPS listeners of the fixture (Fixture(tls_certs=...)).

    c = Certs(tmpdir)
    root = c.ca("root", "uptop test root", days=3650)
    soon = c.leaf("soon", "soon.uptop.test", root, days=3)   # expires in 3 days
    c.chain(soon)          # -> (chain.pem, key.pem) for the fixture
    soon.not_after         # datetime (UTC, whole seconds)

`openssl ca` is the one openssl 3.0 command that takes explicit start and
end dates (an expired certificate needs both in the past)."""

import datetime
import os
import subprocess

CNF = """\
[req]
distinguished_name = req_dn
[req_dn]

[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
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

[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[inter_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
"""

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


class Cert:
    def __init__(self, path, key, issuer, not_after):
        self.path, self.key, self.issuer, self.not_after = path, key, issuer, not_after


def stamp(dt):
    return dt.strftime("%Y%m%d%H%M%SZ")


class Certs:
    def __init__(self, d):
        self.dir = os.path.join(d, "certs")
        os.makedirs(self.dir, exist_ok=True)
        self.cnf = os.path.join(self.dir, "test.cnf")
        with open(self.cnf, "w") as f:
            f.write(CNF.format(dir=self.dir))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _issue(self, name, cn, issuer, ext, start_days, days):
        """A certificate for cn signed by issuer (None: self-signed), valid
        from start_days until `days` days from now (negative: in the past)."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        start, end = now + datetime.timedelta(days=start_days), \
            now + datetime.timedelta(days=days)
        key, csr = f"{name}-key.pem", f"{name}.csr"
        self._openssl("req", "-new", *EC_KEY, "-config", self.cnf, "-subj", f"/CN={cn}",
                      "-keyout", key, "-out", csr)
        sign = ["-selfsign", "-keyfile", key] if issuer is None else \
            ["-cert", issuer.path, "-keyfile", issuer.key]
        self._openssl("ca", "-batch", "-notext", "-config", self.cnf, *sign,
                      "-extensions", ext, "-in", csr, "-out", f"{name}.pem",
                      "-startdate", stamp(start), "-enddate", stamp(end))
        return Cert(os.path.join(self.dir, f"{name}.pem"), os.path.join(self.dir, key),
                    issuer, end)

    def ca(self, name, cn, issuer=None, days=3650, start_days=-1):
        return self._issue(name, cn, issuer, "root_ext" if issuer is None else "inter_ext",
                           start_days, days)

    def leaf(self, name, cn, issuer, days, start_days=-1):
        return self._issue(name, cn, issuer, "leaf_ext", start_days, days)

    def chain(self, leaf):
        """(chain.pem, key.pem): the leaf, then every intermediate up to
        the root (not included), as a server presents them."""
        path = os.path.join(self.dir, f"{os.path.basename(leaf.path)[:-4]}-chain.pem")
        with open(path, "w") as out:
            c = leaf
            while c is not None and c.issuer is not None:
                with open(c.path) as f:
                    out.write(f.read())
                c = c.issuer
        return path, leaf.key
