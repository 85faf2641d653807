"""End to end through the mlpack binary, against real local services, for features that had no
such test (issue 15 item 10):

- chunked blob upload: a layer over the 64 MiB single-PUT limit goes to a real docker-registry in
  PATCH chunks, counted in the registry's own log, and skopeo reads the image back intact;
- Bearer token refresh: docker-registry with token auth, a token server on loopback issuing short
  lived RS256 JWTs (x5c header, `access` claim), and a proxy in front of the registry that holds
  one answer until the first token has expired: mlpack asks for a new one and never sends an
  expired one;
- `.dockerignore`: the /app layer, read with Python's tarfile, holds exactly the files Docker's
  rules leave (`**`, `!` exceptions, folders, root-anchored names);
- zip confusion: wheels whose local headers disagree with the central directory, or whose members
  overlap, served from a PEP 503 index, are refused by `mlpack build` naming the wheel, and nothing
  is written;
- an expired Release: `mlpack lock` against a signed archive whose Valid-Until has passed fails
  naming the InRelease and the date.

The images build on tiny local bases made with `mlpack append` (a dpkg status saying which glibc,
and for Python a stub interpreter: mlpack writes the venv itself and never runs it), so nothing
here needs Debian's archive except the expired-Release case, which uses the cached real .debs of
tests/fixtures/apt_archive.py."""

import base64
import hashlib
import http.client
import http.server
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, docker_config, free_port, need, run, write  # noqa: E402

import apt_archive  # noqa: E402
from python_index import Server, build_index, metadata_text, publish_files, write_wheel  # noqa: E402

BASES = {}  # "glibc": a base with only a dpkg status; "python": plus python3.12; "debian": plus os-release


def setUpModule():
    work = tempfile.mkdtemp(prefix="mlpack-e2e-gaps-")
    BASES["work"] = work
    layer = os.path.join(work, "layer")
    write(os.path.join(layer, "var", "lib", "dpkg", "status"),
          "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
          "Version: 2.36-9+deb12u4\nMaintainer: x\nDescription: C library\n")
    BASES["glibc"] = f"oci:{os.path.join(work, 'bases')}:glibc"
    run([MLPACK, "append", "--layer", f"{layer}:/", "-o", BASES["glibc"]])
    # A stub interpreter: the build only needs the base to say it has Python 3.12.
    write(os.path.join(layer, "usr", "bin", "python3.12"), "#!/bin/sh\nexit 1\n", mode=0o755)
    BASES["python"] = f"oci:{os.path.join(work, 'bases')}:python"
    run([MLPACK, "append", "--layer", f"{layer}:/", "-o", BASES["python"]])
    # For apt.txt: a base that says it is Debian 12.
    write(os.path.join(layer, "etc", "os-release"),
          'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
    BASES["debian"] = f"oci:{os.path.join(work, 'bases')}:debian"
    run([MLPACK, "append", "--layer", f"{layer}:/", "-o", BASES["debian"]])


def tearDownModule():
    shutil.rmtree(BASES.get("work", ""), ignore_errors=True)


# --- reading an OCI layout, independently of mlpack ---------------------------------------------

def layout_blob(layout, digest):
    algo, hexdigest = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algo, hexdigest), "rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == hexdigest, f"blob {digest} is not what its name says"
    return data


def layout_manifest(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return json.loads(layout_blob(layout, m["digest"]))
    raise AssertionError(f"no manifest tagged {tag} in {layout}: {index}")


def tar_files(blob):
    """{path: bytes} of the regular files in a (gzip) layer, and the set of its folders."""
    files, dirs = {}, set()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as t:
        for m in t.getmembers():
            name = m.name.lstrip("./").rstrip("/")
            if m.isdir():
                dirs.add(name)
            elif m.isfile():
                files[name] = t.extractfile(m).read()
    return files, dirs


def procfile_project(path, files):
    """A project mlpack builds without any language: a Procfile, plus `files` {relpath: bytes|str}."""
    os.makedirs(path, exist_ok=True)
    for rel, data in {"Procfile": "web: cat /app/README.md\n", **files}.items():
        p = os.path.join(path, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    return path


# --- .dockerignore ------------------------------------------------------------------------------

DOCKERIGNORE = """\
# Docker's rules: patterns are relative to the root, `**` is any number of folders, a later `!`
# takes a path back, a folder pattern takes everything under it.
**/*.log
!keep/**/important.log
data/
!data/sub/wanted.txt
build
secrets/*.key
**/tmp
*.md
!README.md
"""

DOCKERIGNORE_TREE = {
    # in
    ".dockerignore": DOCKERIGNORE,
    "README.md": "readme\n",            # *.md, then !README.md
    "docs/guide.md": "guide\n",          # *.md matches at the root only
    "keep/a/b/important.log": "kept\n",  # **/*.log, then !keep/**/important.log
    "src/build": "a file named build, not at the root\n",
    "secrets/readme.txt": "not a key\n",
    "data/sub/wanted.txt": "taken back from an excluded folder\n",
    "notes.txt": "plain\n",
    # out
    "NOTES.md": "root markdown\n",
    "app.log": "root log\n",
    "src/deep/er/run.log": "deep log\n",
    "keep/a/other.log": "not important\n",
    "data/big.bin": "data\n",
    "data/sub/other.txt": "still excluded\n",
    "build/out.txt": "build output\n",
    "secrets/api.key": "KEY\n",
    "tmp/t.txt": "root tmp\n",
    "src/x/tmp/t2.txt": "nested tmp\n",
}

DOCKERIGNORE_EXPECTED = {"Procfile", ".dockerignore", "README.md", "docs/guide.md", "keep/a/b/important.log",
                         "src/build", "secrets/readme.txt", "data/sub/wanted.txt", "notes.txt"}


class Dockerignore(TempTestCase):
    def test_app_layer_holds_exactly_what_dockerignore_leaves(self):
        project = procfile_project(self.path("proj"), DOCKERIGNORE_TREE)
        out = self.path("out")
        doc = json.loads(self.mlpack("build", project, "--base", BASES["glibc"], "--json",
                                     "-o", f"oci:{out}:v1").stdout)
        app = [l for l in doc["image"]["layers"] if l["contents"] == "project files at /app"]
        self.assertEqual(len(app), 1, doc["image"]["layers"])
        # The layer as the manifest lists it, read from the layout with tarfile, not mlpack's account.
        manifest = layout_manifest(out, "v1")
        self.assertIn(app[0]["digest"], [l["digest"] for l in manifest["layers"]])
        files, dirs = tar_files(layout_blob(out, app[0]["digest"]))
        under_app = {n[len("app/"):] for n in files if n.startswith("app/")}
        self.assertEqual(set(files) - {f"app/{n}" for n in under_app}, set(), "files outside /app in the /app layer")
        # mlpack.lock is written into the project by the build and belongs in /app.
        self.assertEqual(under_app - {"mlpack.lock"}, DOCKERIGNORE_EXPECTED)
        self.assertEqual(files["app/data/sub/wanted.txt"], b"taken back from an excluded folder\n")
        # An excluded folder with nothing taken back is not there, not even empty; one with an
        # exception holds only that file; a folder whose files alone are excluded stays, as in
        # Docker's build context.
        for d in ("app/build", "app/tmp", "app/src/x/tmp"):
            self.assertNotIn(d, dirs)
        self.assertIn("app/src/deep/er", dirs)


class DefaultOutput(TempTestCase):
    # Issue 15 item 7: the default output (.mlpack/image) is checked before any work, like -o.
    def test_a_default_output_that_cannot_be_written_is_refused_before_locking(self):
        project = procfile_project(self.path("proj"), {"README.md": "x\n"})
        with open(os.path.join(project, ".mlpack"), "w") as f:
            f.write("a file where the folder goes\n")
        r = self.mlpack("build", project, "--base", BASES["glibc"], check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # as a folder that cannot be made
        self.assertIn(".mlpack` is in the way: it is not a directory", r.stderr)
        self.assertNotIn("lock:", r.stderr)  # refused before the lock step began
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")))


# --- chunked upload -----------------------------------------------------------------------------



class ChunkedUpload(TempTestCase):
    @classmethod
    def setUpClass(cls):
        need("docker-registry", "skopeo")
        cls.work = tempfile.mkdtemp(prefix="mlpack-chunked-")
        cls.registry = Registry(cls.work, request_log=True)

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_layer_over_the_limit_goes_up_in_patch_chunks_and_reads_back_intact(self):
        # The threshold lowered to 1 MiB (--upload-chunk-size); incompressible bytes, so the gzip
        # layer stays over it: at least 5 chunks.
        chunk = 1 << 20
        big = random.Random(15).randbytes(5 * chunk + 12345)
        project = procfile_project(self.path("proj"), {"README.md": "chunked\n", "weights.bin": big})
        host = self.registry.host
        ref = f"{host}/chunked/app:1"
        doc = json.loads(self.mlpack("--upload-chunk-size", str(chunk), "build", project, "--base", BASES["glibc"],
                                     "--json", "-o", f"docker://{ref}").stdout)
        layer = next(l for l in doc["image"]["layers"] if l["contents"] == "project files at /app")
        self.assertGreater(layer["size"], 5 * chunk)

        # The registry's own log: the upload session that committed the big layer took its bytes in
        # more than one PATCH, and no other upload of it happened.
        requests = self.registry.requests()
        commits = [r for r in requests if r["method"] == "PUT" and "/blobs/uploads/" in r["uri"]
                   and layer["digest"] in urllib.parse.unquote(r["uri"])]
        self.assertEqual(len(commits), 1, requests)
        self.assertEqual(commits[0]["status"], 201, commits)
        session = commits[0]["uri"].split("/blobs/uploads/", 1)[1].split("?", 1)[0]
        patches = [r for r in requests if r["method"] == "PATCH" and f"/blobs/uploads/{session}" in r["uri"]]
        self.assertGreaterEqual(len(patches), 5, requests)
        self.assertTrue(all(r["status"] == 202 for r in patches), patches)

        # Read back by an independent client: the same manifest digest, the layer's bytes as built,
        # and the file in it as written.
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"]).stdout)
        self.assertEqual(info["Digest"], doc["image"]["digest"])
        pulled = self.path("pulled")
        run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{pulled}:1"])
        blob = layout_blob(pulled, layer["digest"])
        self.assertEqual(len(blob), layer["size"])
        files, _ = tar_files(blob)
        self.assertEqual(hashlib.sha256(files["app/weights.bin"]).hexdigest(), hashlib.sha256(big).hexdigest())


# --- Bearer token refresh -----------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class TokenServer:
    """A Docker token endpoint (distribution's token auth spec) on loopback: GET /token with Basic
    credentials, `service` and `scope` parameters answers {"token", "expires_in", "issued_at"},
    the token an RS256 JWT signed by the key whose self-signed certificate is the registry's
    rootcertbundle, with the certificate in its x5c header and the asked-for actions in `access`.
    Every issue is recorded in `issued` as {"time", "account", "scopes", "jti", "exp"}."""

    def __init__(self, workdir, user, password, service, issuer, expires_in):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        need("openssl")
        self.key_path = os.path.join(workdir, "token-key.pem")
        self.cert_path = os.path.join(workdir, "token-cert.pem")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", self.key_path,
             "-out", self.cert_path, "-subj", "/CN=mlpack test token issuer"])
        with open(self.key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        from cryptography import x509
        with open(self.cert_path, "rb") as f:
            der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
        header = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}).encode())
        self.issued = []
        lock = threading.Lock()
        outer = self

        def sign(claims):
            body = header + "." + b64url(json.dumps(claims).encode())
            sig = key.sign(body.encode(), padding.PKCS1v15(), hashes.SHA256())
            return body + "." + b64url(sig)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                auth = self.headers.get("Authorization", "")
                account = None
                if auth.startswith("Basic "):
                    account = base64.b64decode(auth[6:]).decode()
                if url.path != "/token" or account != f"{user}:{password}" or query.get("service") != [service]:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                access = []
                for scope in query.get("scope", []):
                    kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else (scope, "", "")
                    access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
                now = int(time.time())
                claims = {"iss": issuer, "sub": user, "aud": service, "iat": now, "nbf": now - 1,
                          "exp": now + expires_in, "jti": uuid.uuid4().hex, "access": access}
                with lock:
                    outer.issued.append({"time": time.time(), "account": user, "scopes": query.get("scope", []),
                                         "jti": claims["jti"], "exp": claims["exp"]})
                body = json.dumps({"token": sign(claims), "expires_in": expires_in,
                                   "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TokenRegistry:
    """docker-registry (distribution v2) with `auth: token`, trusting the token server's certificate."""

    def __init__(self, workdir, tokens, service, issuer):
        need("docker-registry")
        self.dir = tempfile.mkdtemp(dir=workdir, prefix="token-registry-")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        with open(os.path.join(self.dir, "config.yml"), "w") as f:
            f.write("version: 0.1\n"
                    "log: {level: info, accesslog: {disabled: true}}\n"
                    f"storage: {{filesystem: {{rootdirectory: {self.dir}/data}}}}\n"
                    f"http: {{addr: '{self.host}'}}\n"
                    "auth:\n  token:\n"
                    f"    realm: {tokens.url}\n    service: {service}\n    issuer: {issuer}\n"
                    f"    rootcertbundle: {tokens.cert_path}\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", os.path.join(self.dir, "config.yml")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " + open(os.path.join(self.dir, "registry.log")).read())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/v2/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("docker-registry did not start")
                time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class HoldingProxy:
    """A plain HTTP proxy in front of a registry that records (time received, method, path,
    Authorization, status) of every request, and before answering one calls `hold(method, path)`,
    which may sleep: the client waits for that answer as it would for a slow registry."""

    def __init__(self, upstream_port, hold):
        self.log = []
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                received = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                headers["Host"] = outer.host
                up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                up.request(self.command, self.path, body=body, headers=headers)
                resp = up.getresponse()
                data = resp.read()
                up.close()
                with lock:
                    outer.log.append({"time": received, "method": self.command, "path": self.path,
                                      "authorization": self.headers.get("Authorization"), "status": resp.status})
                hold(self.command, self.path)
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def grants_push(token):
    return any("push" in s.split(":")[2].split(",") for s in token["scopes"] if s.count(":") >= 2)


class BearerTokenRefresh(TempTestCase):
    USER, PASSWORD = "tokenuser", "tokenpass"
    SERVICE, ISSUER = "mlpack-test-registry", "mlpack-test-issuer"
    # Short, but past mlpack's 10 s safety margin, so a token is reused for a moment.
    EXPIRES_IN = 12

    @classmethod
    def setUpClass(cls):
        need("docker-registry", "skopeo", "openssl")
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("needs python3-cryptography to sign tokens")
        cls.work = tempfile.mkdtemp(prefix="mlpack-token-")
        cls.tokens = TokenServer(cls.work, cls.USER, cls.PASSWORD, cls.SERVICE, cls.ISSUER, cls.EXPIRES_IN)
        cls.registry = TokenRegistry(cls.work, cls.tokens, cls.SERVICE, cls.ISSUER)
        cls.held = threading.Event()

        def hold(method, path):
            # The first committed blob upload is answered only once the first push token has
            # expired: everything after it in the push needs a token asked for later.
            if method == "PUT" and "/blobs/uploads/" in path and not cls.held.is_set():
                cls.held.set()
                first = min(t["exp"] for t in cls.tokens.issued if grants_push(t))
                time.sleep(max(0.0, first + 1 - time.time()))

        cls.proxy = HoldingProxy(cls.registry.port, hold)

    @classmethod
    def tearDownClass(cls):
        for s in ("proxy", "registry", "tokens"):
            if hasattr(cls, s):
                getattr(cls, s).stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_push_outliving_its_token_gets_a_new_one_and_succeeds(self):
        host = self.proxy.host
        project = procfile_project(self.path("proj"), {"README.md": "token\n", "weights.bin": os.urandom(4096)})
        env = dict(os.environ, DOCKER_CONFIG=docker_config(self.tmp, host, self.USER, self.PASSWORD))
        ref = f"{host}/tok/app:1"
        r = self.mlpack("build", project, "--base", BASES["glibc"], "--json", "-o", f"docker://{ref}",
                        env=env, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        doc = json.loads(r.stdout)
        self.assertTrue(self.held.is_set(), "no blob upload was held")

        issued = list(self.tokens.issued)
        by_jti = {t["jti"]: t for t in issued}
        # (method, path, jti of the token sent, status), for the checks and their messages
        summary = [(e["method"], e["path"].split("?")[0], e["authorization"] and jwt_claims(e["authorization"][7:])["jti"],
                    e["status"]) for e in self.proxy.log]
        # Every token was asked for with the Docker config's credentials, for the pushed repository.
        self.assertTrue(all(s.startswith("repository:tok/app:") and set(s.split(":")[2].split(",")) <= {"pull", "push"}
                            for t in issued for s in t["scopes"]), issued)
        push_tokens = sorted((t for t in issued if grants_push(t)), key=lambda t: t["time"])
        first_exp = push_tokens[0]["exp"]
        # Requests went on after the first push token had expired ...
        late = [e for e in self.proxy.log if e["time"] > first_exp]
        self.assertTrue(any(e["method"] == "PUT" and "/manifests/" in e["path"] for e in late), summary)
        # ... and none carried an expired token: mlpack asked for a new one first (not after a
        # refusal), and the new one is what the rest of the push used.
        for e in self.proxy.log:
            if (e["authorization"] or "").startswith("Bearer "):
                jti = jwt_claims(e["authorization"][7:])["jti"]
                self.assertIn(jti, by_jti, "a token the token server did not issue")
                self.assertLess(e["time"], by_jti[jti]["exp"], f"an expired token sent: {e['method']} {e['path']}\n{summary}")
        manifest_tokens = {e[2] for e in summary if e[0] == "PUT" and "/manifests/" in e[1]}
        self.assertNotIn(push_tokens[0]["jti"], manifest_tokens, summary)
        # Tokens are reused while they last, not fetched for every request.
        sent = [e for e in self.proxy.log if e["authorization"]]
        self.assertLess(len(issued), len(sent), (issued, summary))
        # The registry refused no token it was sent.
        self.assertEqual([e for e in summary if e[3] == 401 and e[2]], [], summary)

        # The registry holds the image: skopeo reads it through the same token server.
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"{self.USER}:{self.PASSWORD}",
                               f"docker://{self.registry.host}/tok/app:1"]).stdout)
        self.assertEqual(info["Digest"], doc["image"]["digest"])


# --- zip confusion --------------------------------------------------------------------------------

def local_header_offset(path, member):
    with zipfile.ZipFile(path) as z:
        return z.getinfo(member).header_offset


def patch(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def duplicate_central_entry(path, member):
    """Adds a second central directory entry for `member`, pointing at the same local header: two
    members over the same bytes (the overlap of zip bombs and of parser confusion)."""
    with open(path, "rb") as f:
        data = f.read()
    eocd = data.rfind(b"PK\x05\x06")
    disk_entries, total, cd_size, cd_offset = struct.unpack_from("<HHII", data, eocd + 8)
    cd = data[cd_offset:cd_offset + cd_size]
    at = 0
    while at < len(cd):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", cd, at + 28)
        end = at + 46 + name_len + extra_len + comment_len
        if cd[at + 46:at + 46 + name_len].decode() == member:
            entry = cd[at:end]
            break
        at = end
    else:
        raise AssertionError(f"{member} not in {path}")
    cd += entry
    tail = bytearray(data[eocd:])
    struct.pack_into("<HHII", tail, 8, disk_entries + 1, total + 1, len(cd), cd_offset)
    with open(path, "wb") as f:
        f.write(data[:cd_offset] + cd + bytes(tail))


class ZipConfusion(TempTestCase):
    """Each wheel is valid as Python's zipfile writes it, then changed so a reader trusting the
    central directory and one trusting the local headers would install different things."""

    CASES = {
        # The local header names another file than the central directory does (same length).
        "confname": "the local header names",
        # The local header's uncompressed size differs from the central directory's.
        "confsize": "the local header's CRC-32 or sizes differ",
        # Two central directory entries over one local header.
        "confoverlap": "members overlap",
    }

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="mlpack-zipconf-")
        cls.index_root = os.path.join(cls.work, "index")
        build_index({"plainpkg": {"versions": {"1.0": {"requires_python": ">=3.8", "sdist": False}}}}, cls.index_root)
        made = os.path.join(cls.work, "made")
        os.makedirs(made)
        paths, metadata = [], {}
        for name in cls.CASES:
            fn = f"{name}-1.0-py3-none-any.whl"
            meta = metadata_text(name, "1.0", {"requires_python": ">=3.8"})
            path = os.path.join(made, fn)
            write_wheel(path, {f"{name}/__init__.py": b"X = 1\n", f"{name}/mod.py": b"Y = 2\n",
                               f"{name}-1.0.dist-info/METADATA": meta.encode(),
                               f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\n"
                                                              b"Root-Is-Purelib: true\nTag: py3-none-any\n"})
            member = f"{name}/mod.py"
            if name == "confname":
                patch(path, local_header_offset(path, member) + 30, f"{name}/moe.py".encode())
            elif name == "confsize":
                patch(path, local_header_offset(path, member) + 22, struct.pack("<I", 7))
            else:
                duplicate_central_entry(path, member)
            paths.append(path)
            metadata[fn] = meta
        cls.sha = publish_files(cls.index_root, paths, metadata=metadata)
        cls.pypi = Server(cls.index_root)

    @classmethod
    def tearDownClass(cls):
        cls.pypi.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def build(self, name, requirement):
        project = self.path(name)
        write(os.path.join(project, "requirements.txt"), f"--index-url {self.pypi.url}/simple/\n{requirement}\n")
        out = self.path(f"out-{name}")
        r = self.mlpack("build", project, "--base", BASES["python"], "--python", "3.12", "-o", f"oci:{out}:x",
                        check=False)
        return r, out

    def test_the_same_wheel_unchanged_installs(self):
        # The control: a wheel made the same way but left alone builds, so the refusals below are
        # the confusion's doing.
        r, out = self.build("plain", "plainpkg")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "index.json")))

    def test_wheels_whose_headers_disagree_are_refused(self):
        for name, why in self.CASES.items():
            with self.subTest(name):
                r, out = self.build(name, name)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertEqual(r.stderr.count("error: "), 1, r.stderr)
                self.assertIn(f"{name}-1.0-py3-none-any.whl", r.stderr)
                self.assertIn(why, r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                # Nothing installed: no image written, and no layer of the package in the cache.
                self.assertFalse(os.path.exists(out), "the refused build wrote its output")
                for root, _, files in os.walk(self.cache):
                    for fn in files:
                        if "layers" in root.split(os.sep):
                            with open(os.path.join(root, fn), errors="replace") as f:
                                self.assertNotIn(f"{name} 1.0", f.read(), f"a cached layer of {name}")


# --- an expired Release ---------------------------------------------------------------------------

class ExpiredRelease(TempTestCase):
    @classmethod
    def setUpClass(cls):
        need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
        cls.work = tempfile.mkdtemp(prefix="mlpack-expired-")
        cls.servers = {}
        try:
            for name, expired in (("expired", True), ("fresh", False)):
                info = apt_archive.create(os.path.join(cls.work, name), ["netbase"], expired=expired)
                cls.servers[name] = (apt_archive.Server(info["root"], log=info["log"]), info["keyring"])
        except apt_archive.FixtureSkip as e:
            cls.tearDownClass()
            raise unittest.SkipTest(str(e))

    @classmethod
    def tearDownClass(cls):
        for server, _ in cls.servers.values():
            server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def lock(self, archive):
        server, keyring = self.servers[archive]
        project = self.path(archive)
        write(os.path.join(project, "mlpack.yaml"),
              f"apt_sources:\n  - url: {server.url}\n    suite: bookworm\n    components: [main]\n"
              f"    keyring: {keyring}\n")
        write(os.path.join(project, "apt.txt"), "netbase\n")
        return project, self.mlpack("lock", project, "--base", BASES["debian"], check=False)

    def test_lock_against_a_fresh_archive_succeeds(self):
        # The control: the same project against an archive that differs only in Valid-Until.
        project, r = self.lock("fresh")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(project, "mlpack.lock")) as f:
            self.assertIn("netbase", f.read())

    def test_lock_against_an_expired_release_fails_naming_it_and_its_date(self):
        project, r = self.lock("expired")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stderr.count("error: "), 1, r.stderr)
        server, _ = self.servers["expired"]
        self.assertIn(f"{server.url.rstrip('/')}/dists/bookworm/InRelease", r.stderr)
        self.assertIn("expired on 2001-01-01", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")), "a lock from an expired Release")


if __name__ == "__main__":
    unittest.main(verbosity=2)
