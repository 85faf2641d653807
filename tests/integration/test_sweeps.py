"""Nothing half-written outlives a SIGKILL (issue 15 item 7): `mlpack build` of a project with an
apt.txt and a requirements.txt, against a real signed apt archive and a PEP 503 index served on
loopback, is killed with SIGKILL at several points: while a Packages index is downloaded into the
apt index cache, while a .deb is downloaded into the blob store, while a wheel is downloaded into
the Python cache, and while a layer is written. Each kill leaves temporary files where it was (a
SIGKILL cannot be handled); the next run on the same cache removes them before it does anything
else, and in the end builds the very digest a clean run on an empty cache builds. Every finished
entry in the killed runs' cache is what a clean run writes under that name: nothing half-written
sits under a final name.

A second mlpack run on the same cache must never take a live run's temporary files: a run held
part way through a download keeps its file while another run builds and sweeps, then finishes.

The downloads are held open by the test's own server: it sends headers and half the body of a
chosen file, then waits, so each kill point is reached for certain, not raced."""

import fcntl
import functools
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, need, run, write  # noqa: E402

import apt_archive  # noqa: E402
from python_index import build_index, sha256_file  # noqa: E402

PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged",
            "python3", "libgomp1"]
WHEELS = {
    "six": {"versions": {"1.16.0": {"requires_python": ">=2.7", "sdist": False}}},
    "pytz": {"versions": {"2024.1": {"requires_python": None, "sdist": False}}},
}
MODEL = random.Random(7).randbytes(24 << 20)  # incompressible: the /app layer takes a while to write

SERVED = {}  # work, server, keyring: made once in setUpModule


class GatedServer:
    """Serves `root` on loopback. A GET whose path a gate's pattern matches (the first `times` such
    requests) gets its headers and half its body, then waits until the gate opens: the client has
    its temporary file open, part written, for as long as the test wants."""

    def __init__(self, root):
        self.gates = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def copyfile(self, source, outputfile):
                gate = server._take(self.path)
                try:
                    if gate is None:
                        return super().copyfile(source, outputfile)
                except OSError:
                    return  # the client was killed
                data = source.read()
                try:
                    outputfile.write(data[:len(data) // 2])
                    outputfile.flush()
                    gate["hit"].set()
                    gate["open"].wait(300)
                    outputfile.write(data[len(data) // 2:])
                except OSError:
                    pass  # the client was killed

        handler = functools.partial(Handler, directory=str(root))
        server_class = type("Server", (http.server.ThreadingHTTPServer,), {"request_queue_size": 128,
                                                                           "daemon_threads": True})
        self.httpd = server_class(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def gate(self, pattern, times=1):
        g = {"pattern": re.compile(pattern), "times": times, "hit": threading.Event(), "open": threading.Event()}
        with self.lock:
            self.gates.append(g)
        return g

    def open_all(self):
        with self.lock:
            for g in self.gates:
                g["times"] = 0
                g["open"].set()

    def _take(self, path):
        with self.lock:
            for g in self.gates:
                if g["times"] > 0 and g["pattern"].search(path.split("?")[0]):
                    g["times"] -= 1
                    return g
        return None

    def stop(self):
        self.open_all()
        self.httpd.shutdown()
        self.httpd.server_close()


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
    work = tempfile.mkdtemp(prefix="mlpack-sweeps-")
    try:
        debs = apt_archive.fetch_debs(apt_archive.closure(PACKAGES))
    except apt_archive.FixtureSkip as e:
        shutil.rmtree(work, ignore_errors=True)
        raise unittest.SkipTest(str(e))
    www = os.path.join(work, "www")
    key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
    apt_archive.build_archive(os.path.join(www, "apt"), debs, key)
    apt_archive.stop_agent(key.home)
    build_index(WHEELS, os.path.join(www, "pypi"))
    SERVED.update(work=work, server=GatedServer(www), keyring=os.path.join(work, "keyring.gpg"))


def tearDownModule():
    if "server" in SERVED:
        SERVED["server"].stop()
    if "work" in SERVED:
        shutil.rmtree(SERVED["work"], ignore_errors=True)


def temp_names(root):
    """Every path under `root` (relative) whose name holds `.tmp-`, as mlpack's temporary names do."""
    out = set()
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            if ".tmp-" in n:
                out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def finished_files(root):
    out = set()
    for dirpath, _dirs, files in os.walk(root):
        if ".tmp-" in dirpath:
            continue
        for n in files:
            if ".tmp-" not in n:
                out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


class KilledRuns(TempTestCase):
    def setUp(self):
        super().setUp()
        self.server = SERVED["server"]
        self.addCleanup(self.server.open_all)

    def project(self, parent, requirements="six\n"):
        d = os.path.join(parent, "proj")
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"  # the archive holds bookworm's .debs
              "apt_sources:\n"
              f"  - url: {self.server.url}/apt/\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {SERVED['keyring']}\n")
        write(os.path.join(d, "apt.txt"), "libgomp1\n")
        write(os.path.join(d, "requirements.txt"), f"--index-url {self.server.url}/pypi/simple/\n{requirements}")
        write(os.path.join(d, "hello.py"), "print('hello')\n")
        with open(os.path.join(d, "model.bin"), "wb") as f:
            f.write(MODEL)
        return d

    def env(self, cache):
        env = dict(os.environ)
        for k in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
            env.pop(k, None)
        env["MLPACK_CACHE_DIR"] = cache
        return env

    def start(self, project, cache):
        return subprocess.Popen([MLPACK, "build", project, "--json", "--progress", "none"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(cache))

    def build(self, project, cache):
        r = run([MLPACK, "build", project, "--json", "--progress", "none"], env=self.env(cache), check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)["image"]["digest"]

    def wait_for_temp(self, proc, folder, min_size=0, timeout=240):
        """The first temporary name in `folder` (relative to the cache) of at least `min_size`
        bytes, polled while `proc` runs; None when it ended first."""
        deadline = time.time() + timeout
        while proc.poll() is None and time.time() < deadline:
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                names = []
            for n in names:
                if ".tmp-" in n:
                    try:
                        if os.path.getsize(os.path.join(folder, n)) >= min_size:
                            return n
                    except FileNotFoundError:
                        continue
            time.sleep(0.0005)
        return None

    def kill_at_gate(self, project, cache, pattern, folder):
        """Starts a build held at the first request `pattern` matches, kills it with SIGKILL once its
        temporary file is in `folder`, and returns the temporary names the run left in the cache."""
        gate = self.server.gate(pattern)
        proc = self.start(project, cache)
        try:
            self.assertTrue(gate["hit"].wait(240), f"the build never asked for {pattern}")
            self.assertIsNotNone(self.wait_for_temp(proc, os.path.join(cache, folder)),
                                 f"no temporary file in {folder} while {pattern} was downloaded")
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            gate["open"].set()
        self.assertEqual(proc.returncode, -signal.SIGKILL, err)
        left = temp_names(cache)
        self.assertTrue(any(n.startswith(folder + os.sep) for n in left), (folder, left))
        return left

    def test_the_next_run_sweeps_what_killed_runs_left_and_builds_the_clean_digest(self):
        clean_cache = self.path("clean-cache")
        clean_digest = self.build(self.project(self.path("clean")), clean_cache)
        self.assertEqual(temp_names(clean_cache), set())

        cache = self.path("cache")
        project = self.project(self.path("killed"))
        # 1. Locking: a Packages index on its way into the apt index cache.
        left = self.kill_at_gate(project, cache, r"/Packages(\.xz|\.gz)?$", os.path.join("apt", "indexes"))
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")))
        # 2. Building: a .deb on its way into the blob store. The run started by sweeping.
        now = self.kill_at_gate(project, cache, r"\.deb$", os.path.join("blobs", "sha256"))
        self.assertEqual(left & now, set(), "the next run removes what the killed one left")
        self.assertTrue(os.path.exists(os.path.join(project, "mlpack.lock")))
        left = now
        # 3. A wheel on its way into the Python download cache.
        now = self.kill_at_gate(project, cache, r"\.whl$", os.path.join("pypi", "blobs", "sha256"))
        self.assertEqual(left & now, set())
        left = now
        # 4. The /app layer (24 MiB that do not compress) being written into the blob store.
        proc = self.start(project, cache)
        caught = self.wait_for_temp(proc, os.path.join(cache, "blobs", "sha256"), min_size=1 << 20)
        if caught:
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=240)
        now = temp_names(cache)
        self.assertEqual(left & now, set())
        if caught:
            self.assertEqual(proc.returncode, -signal.SIGKILL, err)
            self.assertIn(os.path.join("blobs", "sha256", caught), now)
        else:
            self.assertEqual(proc.returncode, 0, out + err)

        # What a kill leaves where a poll cannot catch it (small files renamed at once): index
        # pages, layer keys, conda and R index entries, activation files. One of each is held by
        # a live writer (this process), and stays.
        planted, held = [], []
        for folder in [("pypi", "http-v1", "ab"), ("layers",), ("conda-activation",),
                       ("conda-repodata-v1", "0" * 32), ("cran-index-v1", "1" * 32), ("apt", "indexes")]:
            d = os.path.join(cache, *folder)
            os.makedirs(d, exist_ok=True)
            write(os.path.join(d, "entry.tmp-killed"), "half")
            planted.append(os.path.join(d, "entry.tmp-killed"))
            write(os.path.join(d, "entry.tmp-alive"), "being written")
            held.append(open(os.path.join(d, "entry.tmp-alive"), "rb"))
            fcntl.flock(held[-1], fcntl.LOCK_EX)
        for f in held:
            self.addCleanup(f.close)
        # And the run marker such a kill leaves, unlocked (util::begin_cache_run sweeps on it).
        write(os.path.join(cache, "runs", "run.tmp-killed"), "")

        # Another run, held part way through downloading a wheel no earlier run fetched, is alive
        # on the same cache while the next run sweeps it.
        other = self.project(self.path("other"), requirements="six\npytz\n")
        gate = self.server.gate(r"/pytz-[^/]*\.whl$")
        alive = self.start(other, cache)
        try:
            self.assertTrue(gate["hit"].wait(240), "the other build never asked for pytz")
            live = self.wait_for_temp(alive, os.path.join(cache, "pypi", "blobs", "sha256"))
            self.assertIsNotNone(live)
            live = os.path.join(cache, "pypi", "blobs", "sha256", live)

            digest = self.build(project, cache)
            self.assertEqual(digest, clean_digest)
            self.assertTrue(os.path.exists(live), "a live run's temporary file was swept")
            self.assertIsNone(alive.poll())
            for p in planted:
                self.assertFalse(os.path.exists(p), p)
            for f in held:
                self.assertTrue(os.path.exists(f.name), f.name)
            rest = temp_names(cache) - {os.path.relpath(f.name, cache) for f in held}
            # The other run's marker stays too: it is held while that run lives.
            markers = {p for p in rest if p.startswith("runs" + os.sep)}
            self.assertEqual(len(markers), 1, rest)
            self.assertEqual(rest - markers, {os.path.relpath(live, cache)})
        finally:
            gate["open"].set()
            out, err = alive.communicate(timeout=240)
        self.assertEqual(alive.returncode, 0, out + err)
        self.assertFalse(os.path.exists(live))

        # Nothing half-written under a final name: every blob is what its name says, and every
        # other entry the clean run also wrote is the same file.
        for blobs in [("blobs", "sha256"), ("pypi", "blobs", "sha256")]:
            d = os.path.join(cache, *blobs)
            for n in os.listdir(d):
                if ".tmp-" not in n:
                    self.assertEqual(sha256_file(os.path.join(d, n)), n, os.path.join(d, n))
        common = finished_files(cache) & finished_files(clean_cache)
        self.assertTrue(any(p.startswith(os.path.join("apt", "indexes")) for p in common), common)
        self.assertTrue(any(p.startswith("layers") for p in common), common)
        for rel in sorted(common):
            if rel.startswith(("blobs", os.path.join("pypi", "blobs"))):
                continue
            with open(os.path.join(cache, rel), "rb") as a, open(os.path.join(clean_cache, rel), "rb") as b:
                self.assertEqual(a.read(), b.read(), rel)
        if not caught:
            self.skipTest("the /app layer was written before a poll saw it; the other kill points passed")


if __name__ == "__main__":
    unittest.main()
