"""Shared pieces of the integration suites: the built binary, real local services on free
loopback ports (docker-registry, plain and TLS + htpasswd), a fault-injecting proxy, and the
independent tools (skopeo, umoci, runc) that check what mlpack wrote."""

import base64
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import skip_policy  # noqa: E402

MLPACK = os.environ.get("MLPACK_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "mlpack")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus_dir(name):
    """Where a third-party corpus is: $MLPACK_CORPORA/<name>, else ../shared/corpora/<name> beside
    the repository. The path is returned whether or not it exists; callers skip, saying where they
    looked, when it does not."""
    base = os.environ.get("MLPACK_CORPORA") or os.path.join(os.path.dirname(REPO), "shared", "corpora")
    return os.path.join(base, name)


def _install_skip_policy():
    """Under CI=true a skip that tests/skips.txt does not name is recorded as a failure (see
    tests/skip_policy.py). Every suite imports this module, so the policy holds for all of them,
    class-level skips (SkipTest in setUpClass) included."""
    def wrap(cls):
        original = cls.addSkip

        def addSkip(self, test, reason):
            message = skip_policy.unexpected(test.id(), reason)
            if message is None:
                return original(self, test, reason)
            try:
                raise AssertionError(message)
            except AssertionError:
                self.addFailure(test, sys.exc_info())
        addSkip._mlpack_skip_policy = True
        cls.addSkip = addSkip

    for cls in (unittest.TestResult, unittest.TextTestResult):
        if not getattr(cls.addSkip, "_mlpack_skip_policy", False):
            wrap(cls)


_install_skip_policy()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, check=True, env=None, input=None, timeout=300, cwd=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, input=input, timeout=timeout, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def clean_env(cache, **extra):
    """The environment of a CI job for an mlpack run: os.environ without what would change its
    answer from outside the test (pip's PIP_* settings, CI, SOURCE_DATE_EPOCH, NO_COLOR, GIT_DIR,
    GIT_WORK_TREE), with MLPACK_CACHE_DIR set to `cache`, then `extra` (a value of None removes
    the variable)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k not in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR", "GIT_DIR",
                                                       "GIT_WORK_TREE", "MLPACK_CACHE_DIR")}
    env["MLPACK_CACHE_DIR"] = cache
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def mlpack(*args, check=True, env=None, cache=None):
    e = dict(os.environ if env is None else env)
    if cache is not None:
        e["MLPACK_CACHE_DIR"] = cache
    return run([MLPACK, *args], check=check, env=e)


def write(path, text, mode=None):
    """Writes `text` (str, or bytes as they are) to `path`, making its folders, and sets `mode`
    when given."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(text, bytes) else "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def write_files(root, files):
    """Writes each {relative path: text or bytes} of `files` under `root`; returns `root`."""
    os.makedirs(root, exist_ok=True)
    for rel, content in files.items():
        write(os.path.join(root, rel), content)
    return root


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise unittest.SkipTest(f"needs {', '.join(missing)} (installed by scripts/setup.sh)")


def busybox_rootfs(root):
    """A tiny real rootfs: the static busybox from the busybox-static package plus links."""
    need("busybox")
    if os.path.exists(os.path.join(root, "bin", "busybox")):
        return root
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(root, "bin", "busybox"))
    os.chmod(os.path.join(root, "bin", "busybox"), 0o755)
    for applet in ("sh", "echo", "cat", "ls"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc", "hello.txt"), "w") as f:
        f.write("hello from a layer\n")
    return root


class Registry:
    """A real docker-registry on a free loopback port, optionally with TLS and htpasswd.
    With request_log, the registry logs every request it answered, which `requests()` reads: what
    the registry itself saw, for checks that must not trust mlpack's own account."""

    def __init__(self, workdir, tls=False, user=None, password=None, request_log=False):
        need("docker-registry")
        self.dir = tempfile.mkdtemp(dir=workdir, prefix="registry-")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.tls = tls
        self.ca = None
        cfg = ["version: 0.1",
               f"log: {{level: {'info' if request_log else 'error'}, accesslog: {{disabled: true}}}}",
               "storage:",
               f"  filesystem: {{rootdirectory: {self.dir}/data}}",
               "  delete: {enabled: true}",
               "http:",
               f"  addr: 127.0.0.1:{self.port}"]
        if tls:
            need("openssl")
            key, cert = f"{self.dir}/key.pem", f"{self.dir}/cert.pem"
            run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            cfg += ["  tls:", f"    certificate: {cert}", f"    key: {key}"]
            self.ca = cert
            self.cert_dir = f"{self.dir}/certs"
            os.makedirs(self.cert_dir)
            shutil.copy(cert, f"{self.cert_dir}/ca.crt")
        if user:
            need("htpasswd")
            htpasswd = f"{self.dir}/htpasswd"
            out = run(["htpasswd", "-Bbn", user, password]).stdout
            with open(htpasswd, "w") as f:
                f.write(out)
            cfg += ["auth:", "  htpasswd:", "    realm: mlpack-test", f"    path: {htpasswd}"]
        with open(f"{self.dir}/config.yml", "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.log = open(f"{self.dir}/registry.log", "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", f"{self.dir}/config.yml"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " + open(f"{self.dir}/registry.log").read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not start")

    def requests(self):
        """[{"method", "uri", "status"}] of the requests the registry answered, in order, from its
        own log ("response completed" lines; needs request_log=True)."""
        out = []
        with open(f"{self.dir}/registry.log") as f:
            for line in f:
                if 'msg="response completed' not in line:
                    continue
                fields = dict(re.findall(r'(http\.(?:request|response)\.[a-z]+)=("(?:[^"\\]|\\.)*"|\S+)', line))
                uri = fields.get("http.request.uri", "")
                if uri.startswith('"'):
                    uri = json.loads(uri)
                out.append({"method": fields.get("http.request.method"), "uri": uri,
                            "status": int(fields.get("http.response.status", "0"))})
        return out

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def skopeo_flags(self):
        if self.tls:
            return ["--cert-dir", self.cert_dir]
        return ["--tls-verify=false"]

    def api(self, method, path, auth=None, headers=None):
        """A raw call to the registry API, for checks independent of mlpack."""
        scheme = "https" if self.tls else "http"
        req = urllib.request.Request(f"{scheme}://{self.host}{path}", method=method, headers=headers or {})
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
        ctx = ssl.create_default_context(cafile=self.ca) if self.tls else None
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def docker_config(workdir, host, user, password):
    """A DOCKER_CONFIG directory with base64 auths for `host`."""
    d = tempfile.mkdtemp(dir=workdir, prefix="docker-config-")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"auths": {host: {"auth": token}}}, f)
    return d


class FaultProxy:
    """An HTTP proxy in front of a real registry that injects faults.

    rules: list of dicts {"method", "path_contains", "action": "status"|"drop", "status", "times"}.
    A rule fires for the first `times` matching requests. "drop" reads part of the request body
    and then closes the connection without answering, as a dropped link would.
    Every request is recorded in `self.log` as (method, path, status-or-"dropped").
    """

    def __init__(self, upstream_port, rules):
        self.upstream_port = upstream_port
        self.rules = [dict(r) for r in rules]
        self.log = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        self.stopping = True
        self.sock.close()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _rule_for(self, method, path):
        with self.lock:
            for r in self.rules:
                if r.get("times", 1) > 0 and r["method"] == method and r["path_contains"] in path:
                    r["times"] = r.get("times", 1) - 1
                    return dict(r)
        return None

    def _serve(self, conn):
        f = conn.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers = []
                while True:
                    h = f.readline().decode("latin-1")
                    if h in ("\r\n", "\n", ""):
                        break
                    k, v = h.split(":", 1)
                    headers.append((k.strip(), v.strip()))
                hmap = {k.lower(): v for k, v in headers}
                length = int(hmap.get("content-length", "0") or 0)
                rule = self._rule_for(method, path)
                if rule and rule["action"] == "drop":
                    f.read(min(length, 4096))
                    with self.lock:
                        self.log.append((method, path, "dropped"))
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                    return
                body = f.read(length) if length else b""
                if rule and rule["action"] == "status":
                    status = rule["status"]
                    payload = b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}'
                    extra = "".join(f"{k}: {v}\r\n" for k, v in rule.get("headers", {}).items())
                    with self.lock:  # before answering: the client may be gone by the time it reads
                        self.log.append((method, path, status))
                    conn.sendall((f"HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\n"
                                  f"Content-Length: {len(payload)}\r\n{extra}\r\n").encode() + payload)
                    continue
                up = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
                fwd = {k: v for k, v in headers if k.lower() not in ("connection", "host")}
                fwd["Host"] = self.host
                up.request(method, path, body=body, headers=fwd)
                resp = up.getresponse()
                data = resp.read()
                out = [f"HTTP/1.1 {resp.status} {resp.reason}\r\n"]
                for k, v in resp.getheaders():
                    if k.lower() in ("transfer-encoding", "connection", "content-length"):
                        continue
                    out.append(f"{k}: {v}\r\n")
                out.append(f"Content-Length: {len(data)}\r\n\r\n")
                up.close()
                with self.lock:  # before answering, as above
                    self.log.append((method, path, resp.status))
                conn.sendall("".join(out).encode("latin-1") + (b"" if method == "HEAD" else data))
        except (OSError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def umoci_unpack(layout_ref, bundle):
    """umoci verifies every layer against its diff_id while unpacking."""
    need("umoci")
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    run(["umoci", "unpack", *rootless, "--image", layout_ref, bundle])


def runc_run(bundle, args):
    """Runs `args` in the unpacked bundle with runc and returns stdout."""
    need("runc")
    if os.geteuid() != 0:
        raise unittest.SkipTest("runc needs root here (CI runs as root)")
    cfg_path = os.path.join(bundle, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = args
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    name = "mlpack-test-" + os.path.basename(bundle) + str(os.getpid())
    proc = run(["runc", "run", "--bundle", bundle, name], timeout=60)
    return proc.stdout


class TempTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mlpack-it-")
        self.cache = os.path.join(self.tmp, "cache")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def mlpack(self, *args, check=True, env=None):
        return mlpack(*args, check=check, env=env, cache=self.cache)


class RegistryTestCase(TempTestCase):
    """A test class sharing one real registry, started once for the class and removed after.
    Subclasses may set `registry_options` (keyword arguments of Registry)."""

    registry_options = {}

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="mlpack-registry-")
        cls.registry = Registry(cls.work, **cls.registry_options)

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)
