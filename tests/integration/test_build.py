"""`mlpack build` as a CI step: reproducible digests, the image config it writes, its progress and
machine-readable output, warm rebuilds and pushes that send only what changed, bad input, and
interrupted or concurrent builds.

Every build runs against one small but real signed apt archive (real .debs from Debian, served on
loopback, see tests/fixtures/apt_archive.py), made once for the module; the project points at it
through `apt_sources` in mlpack.yaml. Results are checked by reading the OCI layout directly and
with skopeo, independently of mlpack."""

import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, FaultProxy, Registry, TempTestCase, need, run, write  # noqa: E402

import apt_archive  # noqa: E402
from python_index import sha256_file  # noqa: E402

PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged",
            "python3", "libgomp1"]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SDE = 1700000000
SDE_TEXT = "2023-11-14T22:13:20Z"
REF_NAME = "org.opencontainers.image.ref.name"

ARCHIVE = {}  # work, server, keyring, warm cache: made once in setUpModule


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "skopeo")
    work = tempfile.mkdtemp(prefix="mlpack-build-")
    try:
        debs = apt_archive.fetch_debs(apt_archive.closure(PACKAGES))
    except apt_archive.FixtureSkip as e:
        shutil.rmtree(work, ignore_errors=True)
        raise unittest.SkipTest(str(e))
    key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
    archive = os.path.join(work, "archive")
    apt_archive.build_archive(archive, debs, key)
    apt_archive.stop_agent(key.home)
    ARCHIVE.update(work=work, server=apt_archive.Server(archive), keyring=os.path.join(work, "keyring.gpg"),
                   warm=os.path.join(work, "warm-cache"))


def tearDownModule():
    if "server" in ARCHIVE:
        ARCHIVE["server"].stop()
    if "work" in ARCHIVE:
        shutil.rmtree(ARCHIVE["work"], ignore_errors=True)


def clean_env(cache, **extra):
    """The environment of a CI job: nothing inherited that changes the build's output."""
    env = dict(os.environ)
    for k in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR", "GIT_DIR", "GIT_WORK_TREE", "MLPACK_CACHE_DIR"):
        env.pop(k, None)
    env["MLPACK_CACHE_DIR"] = cache
    env.update({k: str(v) for k, v in extra.items()})
    return env


def layout_files(layout):
    out = set()
    for root, _dirs, files in os.walk(layout):
        for f in files:
            out.add(os.path.relpath(os.path.join(root, f), layout))
    return out


def read_image(layout, tag):
    """(manifest digest, manifest, config) of `tag` in an OCI layout, read without mlpack."""
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    entries = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_NAME) == tag]
    assert len(entries) == 1, index
    digest = entries[0]["digest"]

    def blob(d):
        with open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1]), "rb") as f:
            return f.read()

    manifest = json.loads(blob(digest))
    config = json.loads(blob(manifest["config"]["digest"]))
    return digest, manifest, config


def layer_blob(layout, descriptor):
    return os.path.join(layout, "blobs", "sha256", descriptor["digest"].split(":", 1)[1])


class BuildCase(TempTestCase):
    """Projects pointed at the module's archive, built with a clean CI-like environment."""

    def project(self, name="proj", apt_txt="libgomp1\n", yaml_extra="", parent=None):
        d = os.path.join(parent or self.tmp, name)
        # The archive holds bookworm's .debs: the project names that release (not the default).
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"
              "apt_sources:\n"
              f"  - url: {ARCHIVE['server'].url}\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {ARCHIVE['keyring']}\n" + yaml_extra)
        if apt_txt is not None:
            write(os.path.join(d, "apt.txt"), apt_txt)
        # Content of its own: the /app layer is cached by content across projects.
        write(os.path.join(d, "hello.py"), f"print('hello from {name}')\n")
        return d

    def env(self, cache=None, **extra):
        return clean_env(cache or ARCHIVE["warm"], **extra)

    def build(self, project, *args, cache=None, env=None, check=True, json_out=True, global_args=()):
        cmd = [MLPACK, *global_args, "build", project, *(["--json"] if json_out else []), *args]
        r = run(cmd, env=env or self.env(cache), check=check)
        if json_out and check:
            r.doc = json.loads(r.stdout)
        return r

    def layout(self, project):
        return os.path.join(project, ".mlpack", "image")

    def assert_layout_valid(self, layout, tag, digest=None):
        """Every blob is named by its sha256, no stray files, and skopeo reads the image."""
        for rel in layout_files(layout):
            if rel in ("index.json", "oci-layout"):
                continue
            parts = rel.split(os.sep)
            self.assertEqual(parts[:2], ["blobs", "sha256"], rel)
            self.assertRegex(parts[2], r"^[0-9a-f]{64}$", f"stray file in the layout: {rel}")
            self.assertEqual(sha256_file(os.path.join(layout, rel)), parts[2], rel)
        got, manifest, _ = read_image(layout, tag)
        for d in [manifest["config"], *manifest["layers"]]:
            self.assertTrue(os.path.exists(layer_blob(layout, d)), d)
        out = json.loads(run(["skopeo", "inspect", "--raw", f"oci:{layout}:{tag}"]).stdout)
        self.assertEqual(out["config"]["digest"], manifest["config"]["digest"])
        if digest:
            self.assertEqual(got, digest)
        return got


# ---------------------------------------------------------------------------------------------
# 1. Reproducibility


class Reproducibility(BuildCase):
    def test_same_project_two_cold_caches_two_folders_same_digest(self):
        a = self.project(parent=self.path("first"))
        b = os.path.join(self.path("second", "elsewhere", "deeper"), "proj")
        shutil.copytree(a, b)
        c = os.path.join(self.path("third"), "proj")
        d = os.path.join(self.path("fourth", "x"), "proj")
        shutil.copytree(a, c)
        shutil.copytree(a, d)
        plain = [self.build(p, cache=self.path(f"cache-{i}")).doc for i, p in enumerate((a, b))]
        self.assertEqual(plain[0]["image"]["digest"], plain[1]["image"]["digest"])
        self.assertEqual(plain[0]["summary"]["layers_reused"], 0, plain[0]["summary"])
        dated = [self.build(p, cache=self.path(f"cache-sde-{i}"),
                            env=self.env(self.path(f"cache-sde-{i}"), SOURCE_DATE_EPOCH=SDE)).doc
                 for i, p in enumerate((c, d))]
        self.assertEqual(dated[0]["image"]["digest"], dated[1]["image"]["digest"])
        # SOURCE_DATE_EPOCH is what changed, and it is what the image says.
        self.assertNotEqual(dated[0]["image"]["digest"], plain[0]["image"]["digest"])
        # Only the /app layer carries that time: package layers are shared whatever the date.
        digests = [[l["digest"] for l in doc["image"]["layers"]] for doc in (plain[0], dated[0])]
        self.assertEqual(digests[0][:-1], digests[1][:-1])
        self.assertNotEqual(digests[0][-1], digests[1][-1])
        _, _, config = read_image(self.layout(c), "proj")
        self.assertEqual(config["created"], SDE_TEXT)
        self.assertEqual(config["config"]["Labels"]["org.opencontainers.image.created"], SDE_TEXT)
        self.assertTrue(all(h["created"] == SDE_TEXT for h in config["history"]), config["history"])
        _, manifest, plain_config = read_image(self.layout(a), "proj")
        self.assertEqual(plain_config["created"], "1970-01-01T00:00:00Z")
        # Files in the layers carry the same time.
        with tarfile.open(layer_blob(self.layout(c), read_image(self.layout(c), "proj")[1]["layers"][-1])) as t:
            mtimes = {m.mtime for m in t.getmembers()}
        self.assertEqual(mtimes, {SDE})

    def git(self, project, *args, env=None):
        e = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_SYSTEM="/dev/null",
                 GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                 GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", **(env or {}))
        return run(["git", "-C", project, *args], env=e).stdout.strip()

    def test_git_repository_gives_created_revision_and_source(self):
        need("git")
        project = self.project(name="repo")
        self.git(project, "init", "-q")
        self.git(project, "add", ".")
        stamp = "@1600000000 +0000"
        self.git(project, "commit", "-q", "-m", "first", env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
        self.git(project, "remote", "add", "origin", "git@github.com:org/repo.git")
        head = self.git(project, "rev-parse", "HEAD")
        doc = self.build(project).doc
        _, manifest, config = read_image(self.layout(project), "repo")
        labels = config["config"]["Labels"]
        self.assertEqual(config["created"], "2020-09-13T12:26:40Z")
        self.assertEqual(labels["org.opencontainers.image.created"], "2020-09-13T12:26:40Z")
        self.assertEqual(labels["org.opencontainers.image.revision"], head)
        self.assertEqual(labels["org.opencontainers.image.source"], "https://github.com/org/repo")
        self.assertEqual(labels["org.opencontainers.image.title"], "repo")
        with tarfile.open(layer_blob(self.layout(project), manifest["layers"][-1])) as t:
            self.assertEqual({m.mtime for m in t.getmembers()}, {1600000000})
        # SOURCE_DATE_EPOCH wins over the commit time.
        self.build(project, env=self.env(SOURCE_DATE_EPOCH=SDE))
        _, _, config = read_image(self.layout(project), "repo")
        self.assertEqual(config["created"], SDE_TEXT)
        # Credentials in the remote never reach the image.
        self.git(project, "remote", "set-url", "origin", "https://ci-bot:s3cr3t-token@example.com/org/repo.git")
        self.build(project)
        digest, manifest, config = read_image(self.layout(project), "repo")
        self.assertEqual(config["config"]["Labels"]["org.opencontainers.image.source"], "https://example.com/org/repo")
        with open(layer_blob(self.layout(project), manifest["config"]), "rb") as f:
            self.assertNotIn(b"s3cr3t", f.read())

    def test_outside_a_repository_no_revision_or_source(self):
        project = self.project(name="norepo")
        self.build(project)
        _, _, config = read_image(self.layout(project), "norepo")
        labels = config["config"]["Labels"]
        self.assertNotIn("org.opencontainers.image.revision", labels)
        self.assertNotIn("org.opencontainers.image.source", labels)
        self.assertEqual(labels["org.opencontainers.image.created"], "1970-01-01T00:00:00Z")
        self.assertEqual(labels["org.opencontainers.image.title"], "norepo")


# ---------------------------------------------------------------------------------------------
# 2. The image config


class ImageConfig(BuildCase):
    def config(self, project, tag):
        digest, manifest, config = read_image(self.layout(project), tag)
        # skopeo reads the same config.
        sk = json.loads(run(["skopeo", "inspect", "--config", f"oci:{self.layout(project)}:{tag}"]).stdout)
        self.assertEqual(sk["config"], config["config"])
        return manifest, config["config"], config

    def test_entrypoint_precedence(self):
        project = self.project(name="entry", yaml_extra="ports: [9090, 8080]\n")
        # A start script that is not executable is no entrypoint.
        write(os.path.join(project, "start"), "#!/bin/sh\nexec python3 hello.py\n", mode=0o644)
        self.build(project)
        _, cfg, _ = self.config(project, "entry")
        self.assertEqual(cfg.get("Cmd"), ["python3"])
        self.assertNotIn("Entrypoint", cfg)
        self.assertEqual(sorted(cfg["ExposedPorts"]), ["8080/tcp", "9090/tcp"])

        os.chmod(os.path.join(project, "start"), 0o755)
        self.build(project)
        _, cfg, _ = self.config(project, "entry")
        self.assertEqual(cfg.get("Entrypoint"), ["/app/start"])
        self.assertNotIn("Cmd", cfg)

        write(os.path.join(project, "Procfile"), "# processes\nworker: python3 work.py\nweb: python3 hello.py --port 8080\n")
        self.build(project)
        _, cfg, _ = self.config(project, "entry")
        self.assertEqual(cfg.get("Cmd"), ["/bin/sh", "-c", "python3 hello.py --port 8080"])
        self.assertNotIn("Entrypoint", cfg)

        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write('entrypoint: ["python3", "serve.py"]\n')
        self.build(project)
        _, cfg, _ = self.config(project, "entry")
        self.assertEqual(cfg.get("Entrypoint"), ["python3", "serve.py"])
        self.assertNotIn("Cmd", cfg)

    def test_procfile_without_web_falls_back(self):
        project = self.project(name="noweb")
        write(os.path.join(project, "Procfile"), "worker: python3 work.py\n")
        self.build(project)
        _, cfg, _ = self.config(project, "noweb")
        self.assertEqual(cfg.get("Cmd"), ["python3"])

    def test_user_env_workdir_and_history(self):
        project = self.project(name="cfg", yaml_extra="env: {MODEL_PATH: /app/model.pkl}\n")
        doc = self.build(project).doc
        manifest, cfg, config = self.config(project, "cfg")
        self.assertEqual(cfg["User"], "1000")
        self.assertEqual(cfg["WorkingDir"], "/app")
        env = dict(e.split("=", 1) for e in cfg["Env"])
        self.assertEqual(env["LANG"], "C.UTF-8")
        self.assertEqual(env["PYTHONUNBUFFERED"], "1")
        self.assertEqual(env["MODEL_PATH"], "/app/model.pkl")
        self.assertIn("/usr/bin", env["PATH"].split(":"))
        self.assertNotIn("VIRTUAL_ENV", env)  # no requirements, no venv
        self.assertNotIn("ExposedPorts", cfg)
        # One history entry per layer, in order, naming what the layer holds.
        layers = doc["image"]["layers"]
        self.assertEqual(len(config["history"]), len(manifest["layers"]))
        self.assertEqual(len(config["rootfs"]["diff_ids"]), len(manifest["layers"]))
        self.assertEqual([l["digest"] for l in layers], [l["digest"] for l in manifest["layers"]])
        for h, l in zip(config["history"], layers):
            self.assertFalse(h.get("empty_layer", False), h)
            self.assertIn(l["contents"], h["created_by"])
        self.assertIn("/app", config["history"][-1]["created_by"])
        # The layer plan's history names the packages (apt.txt's libgomp1), never the project.
        self.assertTrue(any("libgomp1 " in h["created_by"] for h in config["history"]), config["history"])
        self.assertFalse(any("proj" in h["created_by"] for h in config["history"][:-1]), config["history"])
        self.assertEqual(len({h["created_by"] for h in config["history"]}), len(config["history"]))

    def test_user_from_mlpack_yaml(self):
        project = self.project(name="usr", yaml_extra='user: "2000:2000"\n')
        self.build(project)
        _, cfg, _ = self.config(project, "usr")
        self.assertEqual(cfg["User"], "2000:2000")

    def test_venv_sets_virtual_env_and_path(self):
        from python_index import Server, build_index
        build_index({"helloapp": {"versions": {"1.0": {"requires_python": ">=3.8"}}}}, self.path("index"))
        server = Server(self.path("index"))
        self.addCleanup(server.stop)
        project = self.project(name="venv", apt_txt="")
        write(os.path.join(project, "requirements.txt"), f"--index-url {server.url}/simple/\nhelloapp\n")
        self.build(project)
        _, cfg, _ = self.config(project, "venv")
        env = dict(e.split("=", 1) for e in cfg["Env"])
        self.assertEqual(env["VIRTUAL_ENV"], "/opt/venv")
        self.assertEqual(env["PATH"].split(":")[0], "/opt/venv/bin")
        self.assertEqual(cfg.get("Cmd"), ["python"])


# ---------------------------------------------------------------------------------------------
# 3. The CI interface


def run_pty(args, env, timeout=180):
    """Runs `args` with stderr on a pseudo-terminal (stdout a pipe): (returncode, stdout, terminal text).
    The terminal is raw, so the bytes read are exactly the bytes written (no \n -> \r\n)."""
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out, stdout = [], []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()))
    reader.start()
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not data:
            break
        out.append(data)
    os.close(master)
    proc.wait(timeout=30)
    reader.join()
    proc.stdout.close()
    return proc.returncode, stdout[0].decode(), b"".join(out).decode(errors="replace")


STEP = re.compile(r"^ {0,8}(detect|lock|plan|fetch|layer|output|blob|digest|done|image): ", re.M)


class CiInterface(BuildCase):
    def test_plain_progress_lines_and_digest_on_stdout(self):
        project = self.project(name="plain")
        r = self.build(project, "--progress", "plain", json_out=False)
        err = r.stderr
        self.assertNotIn("\r", err)
        self.assertIsNone(ANSI.search(err), repr(err))
        for pattern in (r"^  detect: .*apt\.txt", r"^    lock: (wrote|reused) .*mlpack\.lock",
                        r"^    plan: debian:bookworm.*deb packages", r"^   layer: project files at /app \(.*, built\)$",
                        r"^   layer: deb: 1 package \(tier 2, bucket \d of \d\): libgomp1 \S+ \(.*, (built|reused)\)$", r"^  output: oci:.*plain",
                        r"^  digest: sha256:[0-9a-f]{64}$", r"^    done: \d+ layers \(1 built, \d+ reused\)"):
            self.assertRegex(err, re.compile(pattern, re.M))
        digest, _, _ = read_image(self.layout(project), "plain")
        self.assertEqual(r.stdout, digest + "\n")  # the digest alone on stdout
        self.assertIn(f"  digest: {digest}", err)

    def test_ci_true_without_flag_is_plain_even_on_a_terminal(self):
        project = self.project(name="ci")
        self.build(project)  # the lock and layers exist; the next run writes to a fresh output
        env = self.env(CI="true", NO_COLOR="1")
        rc, out, tty = run_pty([MLPACK, "build", project, "-o", f"oci:{self.path('ci-out')}:t"], env)
        self.assertEqual(rc, 0, tty)
        self.assertNotIn("\r", tty)
        self.assertNotIn("\x1b[K", tty)
        self.assertRegex(tty, re.compile(r"^\s+output: oci:", re.M))
        self.assertRegex(out, r"^sha256:[0-9a-f]{64}\n$")

    def test_terminal_status_line_and_no_color(self):
        project = self.project(name="tty")
        self.build(project)
        rc, out, tty = run_pty([MLPACK, "build", project, "-o", f"oci:{self.path('tty-1')}:t"], self.env())
        self.assertEqual(rc, 0, tty)
        self.assertIn("\r\x1b[K", tty)           # the status line is rewritten in place
        self.assertIn("\x1b[1m", tty)            # step names in bold
        rc, out, tty = run_pty([MLPACK, "build", project, "-o", f"oci:{self.path('tty-2')}:t"],
                               self.env(NO_COLOR="1"))
        self.assertEqual(rc, 0, tty)
        self.assertIn("\r\x1b[K", tty)           # still a status line, only without colour
        self.assertEqual(set(ANSI.findall(tty)), {"\x1b[K"}, repr(tty))
        rc, out, tty = run_pty([MLPACK, "--color", "never", "build", project, "-o", f"oci:{self.path('tty-3')}:t"],
                               self.env())
        self.assertEqual(rc, 0, tty)
        self.assertNotIn("\x1b[1m", tty)
        # --color always colours even into a pipe.
        r = self.build(project, "--progress", "plain", json_out=False, global_args=("--color", "always"))
        self.assertIn("\x1b[1m", r.stderr)

    def test_progress_none_prints_no_steps(self):
        project = self.project(name="quiet")
        r = self.build(project, "--progress", "none", json_out=False)
        for step in ("detect:", "lock:", "plan:", "layer:", "output:"):
            self.assertNotIn(step, r.stderr)
        self.assertRegex(r.stdout, r"^sha256:[0-9a-f]{64}\n$")

    def test_json_is_one_document_on_success_and_failure(self):
        project = self.project(name="js")
        digest_file = self.path("out", "digest.txt")
        os.makedirs(os.path.dirname(digest_file))
        r = self.build(project, "--digest-file", digest_file)
        doc = r.doc  # json.loads fails on anything besides one document
        for k in ("layers_built", "layers_reused", "blobs_pushed", "blobs_skipped", "bytes_pushed", "seconds"):
            self.assertIn(k, doc["summary"])
        self.assertEqual(doc["summary"]["layers_built"] + doc["summary"]["layers_reused"], len(doc["image"]["layers"]))
        self.assertIsInstance(doc["timings"], dict)
        self.assertTrue(doc["timings"])
        self.assertIsNone(STEP.search(r.stderr), r.stderr)  # no progress lines with --json
        with open(digest_file) as f:
            self.assertEqual(f.read().strip(), doc["image"]["digest"])
        self.assertEqual(read_image(self.layout(project), "js")[0], doc["image"]["digest"])
        # Failure: malformed mlpack.yaml.
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write("ports: [8080\n")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        err = json.loads(r.stdout)
        self.assertEqual(set(err), {"error"})
        self.assertEqual(err["error"]["kind"], "invalid_input")
        self.assertRegex(err["error"]["message"], r"mlpack\.yaml:\d+:\d+")
        # A bad flag with --json is one document too.
        r = self.build(project, "--progress", "fancy", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("error", json.loads(r.stdout))

    def test_exit_codes(self):
        ok = self.project(name="ok")
        self.assertEqual(self.build(ok, json_out=False).returncode, 0)
        r = self.build(ok, "--progress", "fancy", json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"^error: .*progress")
        bad = self.project(name="unknownpkg", apt_txt="libgomp-does-not-exist\n")
        r = self.build(bad, json_out=False, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("error: ", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.build(bad, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("libgomp-does-not-exist", json.loads(r.stdout)["error"]["message"])


# ---------------------------------------------------------------------------------------------
# 4. Warm rebuilds and pushes


class WarmRebuilds(BuildCase):
    def test_code_change_rebuilds_one_layer(self):
        project = self.project(name="warm")
        first = self.build(project).doc
        write(os.path.join(project, "hello.py"), "print('hello again')\n")
        second = self.build(project).doc
        self.assertEqual(second["summary"]["layers_built"], 1, second["image"]["layers"])
        built = [l for l in second["image"]["layers"] if not l["cached"]]
        self.assertEqual([l["contents"] for l in built], ["project files at /app"])
        self.assertEqual(second["image"]["layers"][-1]["contents"], "project files at /app")
        self.assertEqual([l["digest"] for l in first["image"]["layers"][:-1]],
                         [l["digest"] for l in second["image"]["layers"][:-1]])
        self.assertNotEqual(first["image"]["digest"], second["image"]["digest"])
        # Nothing changed: every layer is reused, the /app layer too (cached by its content).
        third = self.build(project).doc
        self.assertEqual(third["summary"]["layers_built"], 0, third["image"]["layers"])
        self.assertEqual(third["image"]["digest"], second["image"]["digest"])
        self.assertEqual(third["summary"]["blobs_pushed"], 0, third["summary"])
        # --no-cache builds every layer again, to the same digest.
        fresh = self.build(project, "--no-cache").doc
        self.assertEqual(fresh["summary"]["layers_reused"], 0, fresh["summary"])
        self.assertEqual(fresh["image"]["digest"], second["image"]["digest"])

    def test_second_push_sends_only_the_changed_layer(self):
        registry = Registry(self.tmp)
        self.addCleanup(registry.stop)
        proxy = FaultProxy(registry.port, [])
        self.addCleanup(proxy.stop)
        project = self.project(name="push")
        ref = f"{proxy.host}/ci/push:1"
        # The image's blobs only: what an SBOM adds to a push is test_sbom.py's.
        first = self.build(project, "-o", ref, "--sbom", "none").doc
        n = len(first["image"]["layers"])
        self.assertEqual(first["summary"]["blobs_pushed"], n + 1, first["summary"])  # layers + config
        write(os.path.join(project, "hello.py"), "print('changed')\n")
        proxy.log.clear()
        second = self.build(project, "-o", ref, "--sbom", "none").doc
        self.assertEqual(second["summary"]["blobs_pushed"], 2, second["summary"])  # /app layer + config
        self.assertEqual(second["summary"]["blobs_skipped"], n - 1, second["summary"])
        app = second["image"]["layers"][-1]
        raw = json.loads(run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{registry.host}/ci/push:1"]).stdout)
        self.assertEqual(second["summary"]["bytes_pushed"], app["size"] + raw["config"]["size"], second["summary"])
        uploads = [p for m, p, s in proxy.log if m == "PUT" and "/blobs/uploads/" in p]
        self.assertEqual(len(uploads), 2, proxy.log)
        manifests = [p for m, p, s in proxy.log if m == "PUT" and "/manifests/" in p]
        self.assertEqual(len(manifests), 1, proxy.log)
        out = json.loads(run(["skopeo", "inspect", "--tls-verify=false", f"docker://{registry.host}/ci/push:1"]).stdout)
        self.assertEqual(out["Digest"], second["image"]["digest"])


# ---------------------------------------------------------------------------------------------
# 5. Bad input


class BadInput(BuildCase):
    def test_empty_folder_is_exit_2_and_says_what_is_looked_for(self):
        d = self.path("empty")
        os.makedirs(d)
        r = self.build(d, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"(?m)^error: nothing to build")
        self.assertIn("requirements.txt", r.stderr)
        self.assertIn("apt.txt", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, ".mlpack")))
        self.assertFalse(os.path.exists(os.path.join(d, "mlpack.lock")))

    def test_environment_yml_with_python_wins_over_requirements_with_a_note(self):
        # conda's environment provides the Python (test_conda.py locks and explains it); the
        # project's requirements.txt is named as not installed, never silently dropped.
        project = self.project(name="both", apt_txt="")
        write(os.path.join(project, "requirements.txt"), "# no packages pinned yet\n")
        write(os.path.join(project, "environment.yml"), "name: x\ndependencies: [python, numpy]\n")
        r = run([MLPACK, "detect", project], env=self.env())
        self.assertRegex(r.stdout, r"(?m)^note: environment\.yml describes the Python environment.*requirements\.txt")
        doc = json.loads(run([MLPACK, "detect", project, "--json"], env=self.env()).stdout)
        self.assertIn("conda", doc["ecosystems"])
        self.assertTrue(any("environment.yml" in n and "conda-forge" in n for n in doc["notes"]), doc["notes"])

    def test_malformed_mlpack_yaml_names_line_and_column(self):
        project = self.project(name="badyaml")
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write('ports: "eighty"\n')  # line 7
        r = self.build(project, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"mlpack\.yaml:7:8: .*ports")
        write(os.path.join(project, "mlpack.yaml"), "name: x\nports: [8080\n")
        r = self.build(project, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"mlpack\.yaml:\d+:\d+")

    def test_unknown_key_suggests_the_nearest(self):
        project = self.project(name="typo")
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write('entrypont: ["python3", "hello.py"]\n')  # line 7
        r = self.build(project, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"mlpack\.yaml:7:1: unknown key `entrypont`.*did you mean `entrypoint`")

    def test_malformed_pyproject_names_the_location(self):
        project = self.project(name="badtoml")
        write(os.path.join(project, "pyproject.toml"), '[project]\nname = "x"\ndependencies = ["a",\n')
        r = self.build(project, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"pyproject\.toml:\d+:\d+")

    def test_malformed_procfile_is_exit_2(self):
        project = self.project(name="badproc")
        write(os.path.join(project, "Procfile"), "web python3 hello.py\n")
        r = self.build(project, json_out=False, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("Procfile:1", r.stderr)

    def test_large_file_warns_and_suggests_exclude(self):
        project = self.project(name="large")
        run(["truncate", "-s", "101M", os.path.join(project, "weights.bin")])
        r = self.build(project, "--progress", "plain", json_out=False)
        self.assertRegex(r.stderr, r"warning: .*weights\.bin.*exclude")
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write('exclude: ["weights.bin"]\n')
        r = self.build(project, "--progress", "plain", json_out=False)
        self.assertNotIn("weights.bin", r.stderr)


# ---------------------------------------------------------------------------------------------
# 6. Interruption and concurrency


def other_filesystem_dir(test, near):
    """A fresh folder on another filesystem than `near` (/dev/shm), so blobs are streamed into a
    layout under a temporary name rather than hard-linked from the cache."""
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(near).st_dev or not os.access(shm, os.W_OK):
        raise unittest.SkipTest("needs /dev/shm on a filesystem of its own")
    d = tempfile.mkdtemp(prefix="mlpack-it-", dir=shm)
    test.addCleanup(shutil.rmtree, d, ignore_errors=True)
    return d


def temp_files(layout):
    return sorted(f for f in layout_files(layout) if ".tmp-" in f or "incoming" in f)


class Interruption(BuildCase):
    def start(self, project, *args, cache):
        return subprocess.Popen([MLPACK, "build", project, "--progress", "plain", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(cache))

    def wait_for_line(self, proc, pattern, timeout=120):
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if re.search(pattern, line):
                return seen
        self.fail(f"no line matching {pattern!r} in {seen!r}")

    def interrupt_mid_blob(self, proc, layout, sig=signal.SIGINT):
        """Sends `sig` to `proc` while it streams a layer (over 1 MB written) into `layout`; False
        when the build finished first."""
        blobs = os.path.join(layout, "blobs", "sha256")
        while proc.poll() is None:
            try:
                names = os.listdir(blobs)
            except FileNotFoundError:
                names = []
            for n in names:
                if ".tmp-" in n:
                    try:
                        big = os.path.getsize(os.path.join(blobs, n)) > (1 << 20)
                    except FileNotFoundError:
                        continue
                    if big:
                        proc.send_signal(sig)
                        proc.communicate(timeout=30)
                        return True
            time.sleep(0.0005)
        proc.communicate(timeout=30)
        return False

    def interrupted_build_keeps_previous_image(self, sig):
        project = self.project(name="intr")
        first = self.build(project).doc
        layout = self.layout(project)
        before = layout_files(layout)
        with open(os.path.join(layout, "index.json"), "rb") as f:
            index = f.read()
        write(os.path.join(project, "hello.py"), "print('half done')\n")
        cold = self.path("cold")
        proc = self.start(project, cache=cold)
        # A cold cache: the Debian packages are downloaded and unpacked after this line (seconds).
        self.wait_for_line(proc, r"fetch: .*Debian packages: downloading")
        proc.send_signal(sig)
        rest = proc.communicate(timeout=30)
        self.assertNotEqual(proc.returncode, 0, rest)
        self.assertEqual(layout_files(layout), before)
        with open(os.path.join(layout, "index.json"), "rb") as f:
            self.assertEqual(f.read(), index)
        self.assert_layout_valid(layout, "intr", first["image"]["digest"])
        # The next build (same, partly filled cache) succeeds.
        again = self.build(project, cache=cold).doc
        self.assertNotEqual(again["image"]["digest"], first["image"]["digest"])
        self.assert_layout_valid(layout, "intr", again["image"]["digest"])

    def test_sigint_keeps_previous_image(self):
        self.interrupted_build_keeps_previous_image(signal.SIGINT)

    def test_sigterm_keeps_previous_image(self):
        self.interrupted_build_keeps_previous_image(signal.SIGTERM)

    def test_sigterm_while_pushing_to_a_stalled_registry(self):
        # A registry that accepts connections and never answers.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.addCleanup(sock.close)
        stalled = f"127.0.0.1:{sock.getsockname()[1]}"
        project = self.project(name="stall")
        first = self.build(project).doc
        layout = self.layout(project)
        before = layout_files(layout)
        write(os.path.join(project, "hello.py"), "print('never pushed')\n")
        proc = self.start(project, "-o", f"{stalled}/x/y:1", "-o", f"oci:{layout}:stall", cache=ARCHIVE["warm"])
        self.wait_for_line(proc, r"output: .*" + re.escape(stalled))
        time.sleep(0.5)
        self.assertIsNone(proc.poll())
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(layout_files(layout), before)
        self.assert_layout_valid(layout, "stall", first["image"]["digest"])

    def interrupted_mid_blob(self, sig):
        """A build that `sig` ends while it streams a blob into a layout: the previous image is
        intact, and no temporary file is left once the next build has opened the layout. Returns
        the layout, as the signalled build left it, for the checks that depend on the signal."""
        project = self.project(name="midblob")
        layout = os.path.join(other_filesystem_dir(self, self.tmp), "layout")
        first = self.build(project, "-o", f"oci:{layout}:t").doc
        before = layout_files(layout)
        write(os.path.join(project, "hello.py"), "print('changed')\n")
        # Incompressible data makes the new /app layer big enough to catch while it is streamed.
        with open(os.path.join(project, "model.bin"), "wb") as f:
            f.write(random.Random(7).randbytes(24 << 20))
        proc = subprocess.Popen([MLPACK, "build", project, "--progress", "none", "-o", f"oci:{layout}:t"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env())
        if not self.interrupt_mid_blob(proc, layout, sig):
            self.skipTest("the build finished before a layer was being written")
        # The process ends by the signal itself, so a shell or CI runner sees 128 + signal.
        self.assertEqual(proc.returncode, -sig)
        left = temp_files(layout)
        self.assert_layout_valid_ignoring_temp(layout, "t", first["image"]["digest"])
        self.assertLessEqual(before, layout_files(layout))
        again = self.build(project, "-o", f"oci:{layout}:t").doc
        self.assert_layout_valid_ignoring_temp(layout, "t", again["image"]["digest"])
        self.assertEqual(temp_files(layout), [])
        self.assertEqual(temp_files(os.path.join(ARCHIVE["warm"], "blobs")), [])
        return left

    # An interrupt removes the temporary files at once; the signal still ends the process.
    def test_sigint_while_writing_the_layout_leaves_no_temp_files(self):
        self.assertEqual(self.interrupted_mid_blob(signal.SIGINT), [])

    def test_sigterm_while_writing_the_layout_leaves_no_temp_files(self):
        self.assertEqual(self.interrupted_mid_blob(signal.SIGTERM), [])

    # SIGKILL cannot be handled: the half-written blob stays until the next build opens the layout
    # and removes it, as nothing holds it any more.
    def test_sigkill_while_writing_the_layout_leaves_temp_files_the_next_build_removes(self):
        left = self.interrupted_mid_blob(signal.SIGKILL)
        self.assertTrue(any(".tmp-" in f for f in left), left)

    # A temporary file that no process holds, as a killed build leaves in the blob cache, goes at
    # the next build; a blob and a temporary file a live process holds stay.
    def test_next_build_removes_temporary_files_a_killed_build_left_in_the_cache(self):
        project = self.project(name="cachetmp")
        cache = self.path("cache")
        self.build(project, cache=cache)
        blobs = os.path.join(cache, "blobs", "sha256")
        stale = [os.path.join(blobs, ".incoming.tmp-killed1"), os.path.join(blobs, "download.tmp-killed2")]
        for p in stale:
            write(p, "half")
        # A killed build also leaves its run marker, unlocked: that is what makes the next run sweep.
        write(os.path.join(cache, "runs", "run.tmp-killed3"), "")
        held = os.path.join(blobs, ".incoming.tmp-alive")
        write(held, "being written")
        with open(held, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            self.build(project, cache=cache)
            self.assertTrue(os.path.exists(held))
        for p in stale:
            self.assertFalse(os.path.exists(p), p)

    def assert_layout_valid_ignoring_temp(self, layout, tag, digest):
        """The image is intact and every finished blob is what its name says."""
        for rel in set(layout_files(layout)) - set(temp_files(layout)) - {"index.json", "oci-layout"}:
            self.assertEqual(sha256_file(os.path.join(layout, rel)), os.path.basename(rel), rel)
        got, manifest, _ = read_image(layout, tag)
        self.assertEqual(got, digest)
        for d in [manifest["config"], *manifest["layers"]]:
            self.assertEqual(sha256_file(layer_blob(layout, d)), d["digest"].split(":")[1])
        out = json.loads(run(["skopeo", "inspect", "--raw", f"oci:{layout}:{tag}"]).stdout)
        self.assertEqual(out["config"]["digest"], manifest["config"]["digest"])

    # A first build to a new layout that is interrupted must not leave a folder later builds refuse.
    def test_interrupted_first_build_to_a_new_layout_does_not_block_the_next(self):
        project = self.project(name="firstout")
        self.build(project, "-o", f"oci:{self.path('warmup')}:t")  # lock and layers cached
        layout = os.path.join(other_filesystem_dir(self, self.tmp), "layout")
        proc = subprocess.Popen([MLPACK, "build", project, "--progress", "none", "-o", f"oci:{layout}:t"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env())
        if not self.interrupt_mid_blob(proc, layout):
            self.skipTest("the build finished before a layer was being written")
        self.assertFalse(os.path.exists(os.path.join(layout, "index.json")))
        r = self.build(project, "-o", f"oci:{layout}:t", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_layout_valid_ignoring_temp(layout, "t", json.loads(r.stdout)["image"]["digest"])


class Concurrency(BuildCase):
    def spawn(self, project, *args, cache=None):
        return subprocess.Popen([MLPACK, "build", project, "--json", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(cache))

    def finish(self, procs):
        results = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, results):
            self.assertEqual(p.returncode, 0, err + out)
        return [json.loads(out) for out, _ in results]

    def test_two_builds_at_once_share_a_cold_cache(self):
        project = self.project(name="twice")
        cache = self.path("shared-cold")
        outs = [self.path("out-a"), self.path("out-b")]
        docs = self.finish([self.spawn(project, "-o", f"oci:{o}:t", cache=cache) for o in outs])
        self.assertEqual(docs[0]["image"]["digest"], docs[1]["image"]["digest"])
        for o in outs:
            self.assert_layout_valid(o, "t", docs[0]["image"]["digest"])
        # The shared cache is sound: a third build reuses every layer, to the same image.
        again = self.build(project, "-o", f"oci:{self.path('out-c')}:t", cache=cache).doc
        self.assertEqual(again["image"]["digest"], docs[0]["image"]["digest"])
        self.assertEqual(again["summary"]["layers_built"], 0, again["summary"])

    def test_two_builds_at_once_to_the_same_default_output(self):
        project = self.project(name="same")
        self.build(project)  # the lock and the layout exist
        write(os.path.join(project, "hello.py"), "print('both at once')\n")
        docs = self.finish([self.spawn(project), self.spawn(project)])
        self.assertEqual(docs[0]["image"]["digest"], docs[1]["image"]["digest"])
        self.assert_layout_valid(self.layout(project), "same", docs[0]["image"]["digest"])

    def test_two_tags_written_at_once_into_one_layout_are_both_kept(self):
        a, b = self.project(name="tag-a"), self.project(name="tag-b")
        shared = self.path("shared-layout")
        self.build(a, "-o", f"oci:{shared}:seed")
        self.build(b)
        for i in range(3):
            docs = self.finish([self.spawn(a, "-o", f"oci:{shared}:a{i}"), self.spawn(b, "-o", f"oci:{shared}:b{i}")])
            self.assert_layout_valid(shared, f"a{i}", docs[0]["image"]["digest"])
            self.assert_layout_valid(shared, f"b{i}", docs[1]["image"]["digest"])
        self.assert_layout_valid(shared, "seed")

    # Two builds writing to the same new layout at once both succeed.
    def test_two_builds_at_once_to_a_new_layout(self):
        a, b = self.project(name="new-a"), self.project(name="new-b")
        self.build(a, "-o", f"oci:{self.path('warm-a')}:t")
        self.build(b, "-o", f"oci:{self.path('warm-b')}:t")
        # Each round loses the race about two times in three here; twelve rounds make a pass by luck
        # vanishingly rare.
        for i in range(12):
            shared = self.path(f"fresh-{i}")
            docs = self.finish([self.spawn(a, "-o", f"oci:{shared}:a"), self.spawn(b, "-o", f"oci:{shared}:b")])
            self.assert_layout_valid(shared, "a", docs[0]["image"]["digest"])
            self.assert_layout_valid(shared, "b", docs[1]["image"]["digest"])


# ---------------------------------------------------------------------------------------------
# 7. The command line: global options after `build`, outputs refused before any work


class CommandLine(BuildCase):
    def test_global_options_after_build(self):
        project = self.project(name="flagsafter")
        cache = self.path("after-cache")
        default = self.path("unused-cache")
        r = self.build(project, "--cache-dir", cache, "--insecure-registry", "registry.example:5000", "-q",
                       "--color", "never", json_out=False, env=self.env(default))
        self.assertRegex(r.stdout.strip(), r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(r.stderr, "")  # -q: no progress, no summary
        self.assertTrue(os.listdir(os.path.join(cache, "blobs", "sha256")))
        self.assertFalse(os.path.exists(default))

    def test_an_output_that_cannot_be_used_is_refused_before_any_work(self):
        project = self.project(name="badout")
        notes = self.path("notes")
        write(os.path.join(notes, "todo.txt"), "mine\n")
        cache = self.path("untouched-cache")
        before = layout_files(project)
        for dest, why in ((f"oci:{notes}:t", "not an OCI layout"), (f"oci-archive:{notes}", "is a directory"),
                          ("dir:out", "unknown transport"), (f"oci:{self.path('x')}:bad tag", "invalid tag"),
                          ("docker://localhost:5000/UPPER:1", "invalid location")):
            for json_flag in ([], ["--json"]):
                r = self.build(project, "-o", f"oci:{self.path('fine')}:t", "-o", dest, *json_flag, json_out=False,
                               check=False, cache=cache)
                self.assertEqual(r.returncode, 2, (dest, r.stderr))
                self.assertIn(why, r.stderr, dest)
                if json_flag:
                    self.assertEqual(json.loads(r.stdout)["error"]["kind"], "invalid_input")
                # Nothing resolved, downloaded or written: no lock, no cache, no other output.
                self.assertEqual(layout_files(project), before, dest)
                self.assertFalse(os.path.exists(cache), dest)
                self.assertFalse(os.path.exists(self.path("fine")), dest)
                self.assertEqual(layout_files(notes), {"todo.txt"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
