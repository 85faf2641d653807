#!/usr/bin/env python3
"""Behaviour snapshots of the mlpack binary, to show that a refactor changed nothing.

    snapshot.py --mlpack BIN --out DIR [--fixtures FDIR]        one snapshot of BIN into DIR
    snapshot.py --compare BEFORE_DIR AFTER_DIR                  compare two snapshots
    snapshot.py --before BIN1 --after BIN2 [--out DIR] [--fixtures FDIR]   both snapshots, then compare

A snapshot builds a fixed set of projects (the four examples and the projects below) with the
binary and keeps, per project, under DIR/projects/NAME/: `mlpack.lock` (its bytes), `digest` (the
image manifest digest, from `build --json`, checked against `--digest-file`), `config_digest`,
`detect.json` (`mlpack detect --json`, with the temporary paths it contains replaced by
placeholders), and for readable diffs `manifest.json`, `config.json` and `layers.json` (what `build
--json` says of each layer, less whether it was cached); plus DIR/summary.json.

The comparison wants, for every project of BEFORE: byte-identical locks, identical manifest and
config digests, the same outcome (a build that failed before must fail the same way), and every
key path of BEFORE's detect document present in AFTER's with the same value (keys may be added;
lists keep their length, dicts inside them may gain keys). Exit 0 when all match, 1 with a diff
otherwise, 2 for bad usage or a snapshot that could not be taken.

Nothing comes from the internet while mlpack runs: the Debian packages come from a signed apt
archive of real .debs (tests/fixtures/apt_archive.py), the wheels from a generated PEP 503 index
(tests/fixtures/python_index.py), the registry base image from a docker-registry on loopback
(tests/integration/harness.py), all started here on fixed loopback ports (--port-base) because
the URLs end up in mlpack.yaml, in the lock and so in the image. The fixtures (archive, signing
key, index, the registry base image) are made once into --fixtures FDIR and reused as they are
whenever FDIR is given again; without --fixtures they are made in a temporary folder, shared by
both binaries of a --before/--after run. A snapshot records a fingerprint of its fixtures and
ports, and --compare refuses to compare snapshots taken with different ones.

Each binary gets a fresh cache (one for all its projects, in a fixed order), a fresh registry,
SOURCE_DATE_EPOCH fixed (except for the git project, which tests the commit time instead), and an
environment with nothing of the caller's (HOME, DOCKER_CONFIG, PIP_*, MLPACK_* and CI are unset
or pointed at empty folders)."""

import argparse
import contextlib
import difflib
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))

import apt_archive  # noqa: E402
import harness  # noqa: E402
from harness import write  # noqa: E402
import python_index  # noqa: E402
import test_examples  # noqa: E402

FORMAT = 1
SOURCE_DATE_EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
GIT_DATE = "2024-02-03T04:05:06+00:00"
DEFAULT_PORT_BASE = 47310  # apt archive, +1 Python index, +2 docker-registry
KEYRING = "apt-keyring.gpg"  # copied into each project; mlpack.yaml names it relative to the project
BASE_REPO = "compat/base:1"
COMMAND_TIMEOUT = 1800

# The Debian packages of the archive: the minimal base and the suite's Python (test_examples.BASE),
# what the examples' apt.txt ask for, and what the projects below add.
APT_EXTRA = ["libgomp1"]

# The Python index. Bookworm's CPython is 3.11; a few candidates are there to be set aside
# (requires-python, a wheel for another interpreter or platform, yanked).
PY_PACKAGES = {
    "six": {"versions": {"1.16.0": {"requires_python": ">=2.7"},
                         "1.17.0": {"requires_python": ">=2.7", "yanked": True}}},
    "python-dateutil": {"versions": {"2.9.0": {"requires_python": ">=3.7", "requires": ["six>=1.5"]}}},
    "pytz": {"versions": {"2024.1": {"requires_python": None}}},
    "tzdata": {"versions": {"2024.1": {"requires_python": None}}},
    "et-xmlfile": {"versions": {"1.1.0": {"requires_python": ">=3.6"}}},
    "openpyxl": {"versions": {"3.1.2": {"requires_python": ">=3.8", "requires": ["et-xmlfile"]}}},
    "fastmath": {"versions": {"1.0": {"wheel_tags": [
        "cp311-cp311-manylinux_2_17_x86_64", "cp312-cp312-manylinux_2_17_x86_64",
        "cp311-cp311-musllinux_1_1_x86_64", "py3-none-any"]}}},
    "toolkit": {"versions": {
        "1.0": {"requires_python": ">=3.8", "requires": ["fastmath>=1", "python-dateutil"],
                "extras": {"tz": ["pytz"]}, "scripts": {"toolkit-hello": "toolkit:main"}},
        "2.0": {"requires_python": ">=3.12"}}},
}
PY_DEFAULT_REQUIRES_PYTHON = ">=3.8"


def log(msg):
    print(f"[snapshot {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class SnapshotError(Exception):
    pass


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# --- services on fixed loopback ports ------------------------------------------------------------
# The fixtures' servers bind port 0; the URL goes into mlpack.yaml, the lock and the image, so
# snapshots taken at different times must use the same ports. The servers are created through
# http.server.ThreadingHTTPServer and harness.free_port, which are swapped for the moment.

@contextlib.contextmanager
def fixed_port(port):
    original = http.server.ThreadingHTTPServer

    class OnFixedPort(original):
        def __init__(self, address, *args, **kwargs):
            if address[1] == 0:
                address = (address[0], port)
            super().__init__(address, *args, **kwargs)

    http.server.ThreadingHTTPServer = OnFixedPort
    try:
        yield
    except OSError as e:
        raise SnapshotError(f"cannot listen on 127.0.0.1:{port} ({e}); choose other ports with --port-base") from e
    finally:
        http.server.ThreadingHTTPServer = original


class Services:
    """The apt archive and the Python index, served from the fixtures, and a docker-registry
    started afresh for each binary."""

    def __init__(self, fixtures, port_base, work):
        self.fixtures, self.port_base, self.work = fixtures, port_base, work
        with fixed_port(port_base):
            self.apt = apt_archive.Server(fixtures.archive)
        with fixed_port(port_base + 1):
            self.pypi = python_index.Server(fixtures.pyindex)
        self.apt_url = self.apt.url                      # http://127.0.0.1:P/
        self.index_url = f"{self.pypi.url}/simple/"
        self.files_url = f"{self.pypi.url}/files/"
        self.registry = None

    @property
    def registry_host(self):
        return f"127.0.0.1:{self.port_base + 2}"

    @property
    def base_ref(self):
        return f"{self.registry_host}/{BASE_REPO}"

    def start_registry(self):
        self.stop_registry()
        original = harness.free_port
        harness.free_port = lambda: self.port_base + 2
        try:
            self.registry = harness.Registry(self.work)
        except RuntimeError as e:
            raise SnapshotError(f"{e}; is port {self.port_base + 2} free? (--port-base)") from e
        finally:
            harness.free_port = original

    def push_base(self):
        """The registry base image from the fixtures, pushed with skopeo (not with the binary
        under test), keeping its digest."""
        harness.need("skopeo")
        harness.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                     f"oci:{self.fixtures.base_layout}:base", f"docker://{self.base_ref}"], timeout=300)
        got = json.loads(harness.run(["skopeo", "inspect", "--tls-verify=false",
                                      f"docker://{self.base_ref}"]).stdout)["Digest"]
        if got != self.fixtures.info["base_digest"]:
            raise SnapshotError(f"the registry base was pushed as {got}, not {self.fixtures.info['base_digest']}")

    def stop_registry(self):
        if self.registry:
            self.registry.stop()
            shutil.rmtree(self.registry.dir, ignore_errors=True)
            self.registry = None

    def stop(self):
        self.stop_registry()
        self.pypi.stop()
        self.apt.stop()


# --- fixtures --------------------------------------------------------------------------------------

class Fixtures:
    """Everything the projects take from outside, made once and then only read:
    archive/ + keyring.gpg (apt), pyindex/ (wheels and simple pages), base-image/ (the registry
    base, an OCI layout that mlpack built), fixtures.json (what was made, and a fingerprint)."""

    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.archive = os.path.join(self.dir, "archive")
        self.keyring = os.path.join(self.dir, "keyring.gpg")
        self.pyindex = os.path.join(self.dir, "pyindex")
        self.base_layout = os.path.join(self.dir, "base-image")
        self.info_path = os.path.join(self.dir, "fixtures.json")
        self.info = None

    def load(self):
        if os.path.exists(self.info_path):
            with open(self.info_path) as f:
                self.info = json.load(f)
        return self.info

    @staticmethod
    def wanted_debs():
        return sorted(set(test_examples.BASE + APT_EXTRA +
                          [n for e in test_examples.examples() for n in test_examples.apt_txt_names(e)]))

    @classmethod
    def spec(cls):
        """What the fixtures are made from; fixtures made from another spec are refused."""
        text = json.dumps({"debs": cls.wanted_debs(), "python": PY_PACKAGES,
                           "requires_python": PY_DEFAULT_REQUIRES_PYTHON}, sort_keys=True)
        return "sha256:" + sha256_bytes(text.encode())

    def ensure_static(self):
        """The apt archive and the Python index: they need no mlpack."""
        static = os.path.join(self.dir, "static.json")
        if os.path.isdir(self.dir) and os.listdir(self.dir):
            if not os.path.exists(static):
                raise SnapshotError(f"{self.dir} holds an unfinished fixture set; remove it and run again")
            with open(static) as f:
                made_from = json.load(f).get("spec")
            if made_from != self.spec():
                raise SnapshotError(f"the fixtures in {self.dir} were made from another package set than this "
                                    f"script's; use another --fixtures folder (and retake the baseline)")
            self.load()
            return
        os.makedirs(self.dir, exist_ok=True)
        harness.need("apt-ftparchive", "gpg", "gpgv", "apt-cache")
        wanted = self.wanted_debs()
        log(f"fixtures: fetching the .debs of {len(wanted)} packages and their dependencies")
        try:
            debs = apt_archive.fetch_debs(apt_archive.closure(wanted))
        except apt_archive.FixtureSkip as e:
            raise SnapshotError(f"cannot build the apt archive: {e}") from e
        key = apt_archive.make_key(os.path.join(self.dir, "gnupg"), self.keyring, name="mlpack compat snapshot")
        try:
            release_dir = apt_archive.build_archive(self.archive, debs, key)
            # apt-ftparchive writes Valid-Until a week ahead: drop it (as Debian's main archive
            # has none) and sign again, so that the saved fixtures stay usable.
            release = os.path.join(release_dir, "Release")
            with open(release) as f:
                lines = [line for line in f.read().splitlines() if not line.startswith("Valid-Until:")]
            write(release, "\n".join(lines) + "\n")
            apt_archive.sign_release(release_dir, key)
        finally:
            apt_archive.stop_agent(key.home)
        shutil.rmtree(os.path.join(self.dir, "gnupg"), ignore_errors=True)
        log("fixtures: generating the Python index")
        python_index.build_index(PY_PACKAGES, self.pyindex, with_metadata_files=True,
                                 default_requires_python=PY_DEFAULT_REQUIRES_PYTHON)
        write(static, json.dumps({"spec": self.spec(), "debs": [p["Package"] for p, _ in debs]}) + "\n")

    def ensure_base(self, binary, services, work):
        """The registry base image: a project with Python and nothing else, built once by
        `binary` into base-image/ (tag `base`); every snapshot pushes these same bytes."""
        if self.info:
            return
        log(f"fixtures: building the registry base image with {binary}")
        project = os.path.join(work, "fixture-base", "compat-base")
        make_base_project(project, Context(services, self))
        env = clean_env(work, os.path.join(work, "fixture-base"))
        cache = os.path.join(work, "fixture-base", "cache")
        out = os.path.join(work, "fixture-base", "layout")
        r = subprocess.run([binary, "--cache-dir", cache, "build", project, "--json", "--progress", "none",
                            "-o", f"oci:{out}:base"], capture_output=True, text=True, env=env,
                           timeout=COMMAND_TIMEOUT)
        if r.returncode != 0:
            raise SnapshotError(f"building the registry base image failed ({r.returncode}):\n{r.stderr}")
        doc = json.loads(r.stdout)
        shutil.copytree(out, self.base_layout)
        self.info = {"format": FORMAT, "port_base": services.port_base, "base_digest": doc["image"]["digest"],
                     "base_built_by": binary_version(binary), "made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.info["fingerprint"] = self.fingerprint()
        write(self.info_path, json.dumps(self.info, indent=2, sort_keys=True) + "\n")

    def fingerprint(self):
        h = hashlib.sha256()
        for top in ("archive", "keyring.gpg", "pyindex", "base-image"):
            path = os.path.join(self.dir, top)
            files = [path] if os.path.isfile(path) else sorted(
                os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs)
            for p in files:
                h.update(os.path.relpath(p, self.dir).encode() + b"\0" + sha256_bytes(read_bytes(p)).encode() + b"\n")
        return "sha256:" + h.hexdigest()

    def check(self):
        got = self.fingerprint()
        if got != self.info["fingerprint"]:
            raise SnapshotError(f"the fixtures in {self.dir} changed since they were made "
                                f"({got} != {self.info['fingerprint']})")


# --- the projects ----------------------------------------------------------------------------------

class Context(types.SimpleNamespace):
    def __init__(self, services, fixtures):
        super().__init__(services=services, fixtures=fixtures)

    def apt_sources(self, base="debian:bookworm"):
        # The archive holds this machine's .debs (bookworm's): the project names that release,
        # since the default base (debian:trixie) would put another release's name on them.
        return (f"base: {base}\n"
                "apt_sources:\n"
                f"  - url: {self.services.apt_url}\n"
                "    suite: bookworm\n"
                "    components: [main]\n"
                f"    keyring: {KEYRING}\n")

    def add_keyring(self, project):
        shutil.copyfile(self.fixtures.keyring, os.path.join(project, KEYRING))

    def file_url(self, filename):
        return self.services.files_url + filename

    def wheel_entry(self, filename):
        path = os.path.join(self.fixtures.pyindex, "files", filename)
        return (f'{{ url = "{self.file_url(filename)}", hash = "sha256:{python_index.sha256_file(path)}", '
                f'size = {os.path.getsize(path)} }}')


def make_files(project, ctx, files, apt=True, base="debian:bookworm"):
    os.makedirs(project, exist_ok=True)
    for rel, content in files.items():
        text, mode = content if isinstance(content, tuple) else (content, None)
        write(os.path.join(project, rel), text, mode)
    if apt:
        ctx.add_keyring(project)
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write(ctx.apt_sources(base))


def make_example(name):
    def make(project, ctx):
        # test_examples.Examples.copy: the copy with the `apt_sources` entry that test makes. The
        # keyring is named relative to the project, so that no temporary path reaches the image.
        owner = types.SimpleNamespace(server=types.SimpleNamespace(url=ctx.services.apt_url), keyring=KEYRING)
        dest = test_examples.Examples.copy(owner, name, os.path.dirname(project))
        assert dest == project, (dest, project)
        ctx.add_keyring(project)
    return make


def make_base_project(project, ctx):
    make_files(project, ctx, {"hello.py": "print('hello from the base')\n"})


def make_requirements(project, ctx):
    make_files(project, ctx, {
        "requirements.txt": (f"--index-url {ctx.services.index_url}\n# pinned and unpinned\n"
                             "python-dateutil>=2.8\ntoolkit[tz]\nsix==1.16.0\n"),
        "main.py": "import dateutil, toolkit\ntoolkit.main()\n",
    })


def make_uv_lock(project, ctx):
    index = ctx.services.index_url

    def package(name, version, wheels, deps=()):
        text = f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "{index}" }}\n'
        if deps:
            text += "dependencies = [\n" + "".join(f"    {d},\n" for d in deps) + "]\n"
        return text + "wheels = [\n" + "".join(f"    {ctx.wheel_entry(w)},\n" for w in wheels) + "]\n"

    lock = "\n".join([
        'version = 1\nrevision = 2\nrequires-python = ">=3.11"\n',
        package("fastmath", "1.0", [f"fastmath-1.0-{t}.whl" for t in PY_PACKAGES["fastmath"]["versions"]["1.0"]["wheel_tags"]]),
        package("python-dateutil", "2.9.0", ["python_dateutil-2.9.0-py3-none-any.whl"], ['{ name = "six" }']),
        package("pytz", "2024.1", ["pytz-2024.1-py3-none-any.whl"]),
        package("six", "1.16.0", ["six-1.16.0-py3-none-any.whl"]),
        package("toolkit", "1.0", ["toolkit-1.0-py3-none-any.whl"],
                ['{ name = "fastmath" }', '{ name = "python-dateutil" }']),
        package("tzdata", "2024.1", ["tzdata-2024.1-py3-none-any.whl"]),
        ('[[package]]\nname = "uvproj"\nversion = "0.2.0"\nsource = { editable = "." }\ndependencies = [\n'
         '    { name = "pytz", marker = "python_full_version >= \'3.9\'" },\n'
         '    { name = "toolkit" },\n'
         '    { name = "tzdata", marker = "sys_platform == \'win32\'" },\n]\n\n'
         '[package.metadata]\nrequires-dist = [\n'
         '    { name = "pytz", marker = "python_full_version >= \'3.9\'" },\n'
         '    { name = "toolkit", specifier = ">=1" },\n'
         '    { name = "tzdata", marker = "sys_platform == \'win32\'" },\n]\n'),
    ])
    make_files(project, ctx, {
        "pyproject.toml": ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                           '[project]\nname = "uvproj"\nversion = "0.2.0"\nrequires-python = ">=3.11"\n'
                           'dependencies = ["toolkit>=1", "pytz; python_full_version >= \'3.9\'",\n'
                           '                "tzdata; sys_platform == \'win32\'"]\n\n'
                           '[project.scripts]\nuvproj = "uvproj:main"\n'),
        "uv.lock": lock,
        "src/uvproj/__init__.py": "def main():\n    print('uvproj')\n",
    })


def make_apt_only(project, ctx):
    make_files(project, ctx, {
        "apt.txt": "# an OS package, no Python at all\nlibgomp1\n",
        "run.sh": ("#!/bin/sh\nls /usr/lib/x86_64-linux-gnu/libgomp.so.1\n", 0o755),
    })


def make_registry_base(project, ctx):
    make_files(project, ctx, {
        "apt.txt": "libgomp1\n",
        "hello.py": "import ctypes\nctypes.CDLL('libgomp.so.1')\nprint('gomp loaded')\n",
    }, base=ctx.services.base_ref)


def make_procfile(project, ctx):
    make_files(project, ctx, {
        "Procfile": "# processes\nworker: python3 work.py\nweb: python3 app.py --port 8080\n",
        "requirements.txt": f"--index-url {ctx.services.index_url}\nsix\n",
        "app.py": "import six, sys\nprint('serving', sys.argv[1:])\n",
        "work.py": "print('working')\n",
    })


def make_pyproject_config(project, ctx):
    make_files(project, ctx, {
        "pyproject.toml": ('[project]\nname = "configured"\nversion = "1.2.3"\nrequires-python = ">=3.10"\n'
                           'dependencies = ["six", "python-dateutil>=2.8"]\n\n'
                           '[project.optional-dependencies]\nxl = ["openpyxl>=3"]\ntz = ["pytz"]\n\n'
                           '[dependency-groups]\ndev = ["tzdata", {include-group = "tools"}]\ntools = ["toolkit"]\n'),
        "mlpack.yaml": ('name: configured-app\npython: "3.11"\n'
                        'env:\n  MODEL_PATH: /app/model/model.json\n  LOG_LEVEL: info\n'
                        'entrypoint: ["python3", "-m", "configured"]\n'
                        'ports: [8080, 9090]\n'
                        'user: "1000:1000"\n'
                        'exclude: ["data/raw/**", "*.tmp"]\n'),
        "configured/__init__.py": "",
        "configured/__main__.py": "import six, dateutil\nprint('configured')\n",
        "model/model.json": '{"weights": [1, 2, 3]}\n',
        "data/raw/big.csv": "a,b\n1,2\n",
        "data/clean.csv": "a\n1\n",
        "scratch.tmp": "not in the image\n",
        ".gitignore": "*.log\n",
        "debug.log": "ignored through .gitignore\n",
        ".dockerignore": "notes/\n",
        "notes/todo.md": "ignored through .dockerignore\n",
    })


def make_git_start(project, ctx):
    """An executable ./start as the command, in a git repository: no SOURCE_DATE_EPOCH, so the
    commit time and the revision and source labels come from git (fixed dates, fixed author)."""
    make_files(project, ctx, {
        "start": ("#!/bin/sh\nexec python3 /app/serve.py\n", 0o755),
        "serve.py": "print('started')\n",
        "requirements.txt": f"--index-url {ctx.services.index_url}\npytz\n",
    })
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="Compat", GIT_AUTHOR_EMAIL="compat@mlpack.invalid", GIT_AUTHOR_DATE=GIT_DATE,
               GIT_COMMITTER_NAME="Compat", GIT_COMMITTER_EMAIL="compat@mlpack.invalid",
               GIT_COMMITTER_DATE=GIT_DATE)
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "compat snapshot"],
                ["remote", "add", "origin", "git@git.example.com:team/git-start.git"]):
        harness.run(["git", "-C", project, *cmd], env=env)


class Project:
    def __init__(self, name, make, build_args=(), env=None, sde=True, needs_registry=False):
        self.name, self.make, self.build_args = name, make, list(build_args)
        self.env, self.sde, self.needs_registry = env or (lambda ctx: {}), sde, needs_registry


def projects():
    out = [Project(f"example-{e}", make_example(e)) for e in test_examples.examples()]
    # The example's folder name is the image name: keep it.
    for p, e in zip(out, test_examples.examples()):
        p.folder = e
    out += [
        Project("requirements", make_requirements),
        Project("uv-lock", make_uv_lock),
        Project("apt-only", make_apt_only),
        Project("registry-base", make_registry_base, needs_registry=True),
        Project("procfile", make_procfile),
        Project("pyproject-config", make_pyproject_config, build_args=["--extra", "xl", "--group", "dev"],
                env=lambda ctx: {"PIP_INDEX_URL": ctx.services.index_url}),
        Project("git-start", make_git_start, sde=False),
    ]
    return out


# --- running one binary ----------------------------------------------------------------------------

def clean_env(work, projects_root):
    home = os.path.join(work, "home")
    docker = os.path.join(work, "docker-config")
    for d in (home, docker):
        os.makedirs(d, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "HOME": home, "LANG": "C.UTF-8",
           "TZ": "UTC", "DOCKER_CONFIG": docker, "TMPDIR": os.path.join(work, "tmp"), "NO_COLOR": "1",
           "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CEILING_DIRECTORIES": projects_root}
    os.makedirs(env["TMPDIR"], exist_ok=True)
    return env


def binary_version(binary):
    r = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=60)
    return r.stdout.strip() or r.stderr.strip()


def normalise(value, replacements):
    if isinstance(value, dict):
        return {k: normalise(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, replacements) for v in value]
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
    return value


def layout_blobs(layout, tag):
    """(manifest, config) of the image tagged `tag` in an OCI layout."""
    def blob(digest):
        return read_bytes(os.path.join(layout, "blobs", *digest.split(":")))
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    manifest = blob(desc["digest"])
    return desc["digest"], manifest, blob(json.loads(manifest)["config"]["digest"])


def snapshot(binary, out, fixtures, services, work, only=None, cold=False):
    """Builds every project with `binary` and writes the snapshot into `out`."""
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        raise SnapshotError(f"{binary} is not an executable")
    if os.path.exists(out) and os.listdir(out):
        raise SnapshotError(f"{out} is not empty")
    os.makedirs(out, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="run-", dir=work)
    projects_root = os.path.join(run_dir, "projects")
    cache = os.path.join(run_dir, "cache")
    env_base = clean_env(run_dir, projects_root)
    ctx = Context(services, fixtures)
    summary = {"format": FORMAT, "mlpack": binary, "version": binary_version(binary),
               "fixtures": fixtures.info["fingerprint"], "port_base": services.port_base,
               "source_date_epoch": SOURCE_DATE_EPOCH, "cold": cold, "projects": {}}
    started = time.time()
    log(f"snapshot of {binary} ({summary['version']}) into {out}")
    services.start_registry()
    try:
        services.push_base()
        for project in projects():
            if only and project.name not in only:
                continue
            t0 = time.time()
            project_cache = os.path.join(cache, project.name) if cold else cache
            result = build_project(binary, project, ctx, projects_root, project_cache, env_base, run_dir,
                                   os.path.join(out, "projects", project.name))
            result["seconds"] = round(time.time() - t0, 1)
            summary["projects"][project.name] = result
            log(f"  {project.name}: {result['status']} {result.get('digest', '')} ({result['seconds']}s)")
    finally:
        services.stop_registry()
    summary["seconds"] = round(time.time() - started, 1)
    write(os.path.join(out, "summary.json"), json.dumps(summary, indent=2, sort_keys=True) + "\n")
    log(f"snapshot done in {summary['seconds']}s")
    return summary


def build_project(binary, project, ctx, projects_root, cache, env_base, run_dir, out):
    folder = getattr(project, "folder", project.name)
    where = os.path.join(projects_root, project.name)
    path = os.path.join(where, folder)
    os.makedirs(where)
    project.make(path, ctx)
    env = dict(env_base, **project.env(ctx))
    if not project.sde:
        env.pop("SOURCE_DATE_EPOCH")
    replacements = [(path, "<project>"), (cache, "<cache>"), (run_dir, "<run>"), (ctx.fixtures.dir, "<fixtures>")]
    os.makedirs(out)
    result = {"status": "ok"}

    def mlpack(*args):
        return subprocess.run([binary, "--cache-dir", cache, *args], capture_output=True, text=True, env=env,
                              timeout=COMMAND_TIMEOUT)

    def failed(step, r):
        result.update(status=f"{step} failed", exit_code=r.returncode,
                      stderr=normalise(r.stderr, replacements).strip().splitlines()[-20:])
        write(os.path.join(out, "error.txt"), normalise(r.stdout + r.stderr, replacements))
        return result

    r = mlpack("detect", path, "--json")
    try:
        detect = json.loads(r.stdout)
    except ValueError:
        return failed("detect", r)
    write(os.path.join(out, "detect.json"), json.dumps(normalise(detect, replacements), indent=2, sort_keys=True) + "\n")
    result["detect_exit_code"] = r.returncode

    digest_file = os.path.join(run_dir, f"digest-{project.name}")
    r = mlpack("build", path, "--json", "--progress", "none", "--digest-file", digest_file, *project.build_args)
    if r.returncode != 0:
        return failed("build", r)
    doc = json.loads(r.stdout)
    image = doc["image"]
    with open(digest_file) as f:
        from_file = f.read().strip()
    if from_file != image["digest"]:
        raise SnapshotError(f"{project.name}: --digest-file says {from_file}, --json says {image['digest']}")
    lock = read_bytes(os.path.join(path, "mlpack.lock"))
    with open(os.path.join(out, "mlpack.lock"), "wb") as f:
        f.write(lock)
    write(os.path.join(out, "digest"), image["digest"] + "\n")
    write(os.path.join(out, "config_digest"), image["config_digest"] + "\n")
    layers = [{k: v for k, v in layer.items() if k != "cached"} for layer in image.get("layers", [])]
    write(os.path.join(out, "layers.json"), json.dumps(normalise(layers, replacements), indent=2, sort_keys=True) + "\n")
    tag = next((o.rsplit(":", 1)[1] for o in image.get("outputs", []) if o.startswith("oci:")), folder)
    layout = os.path.join(path, ".mlpack", "image")
    manifest_digest, manifest, config = layout_blobs(layout, tag)
    if manifest_digest != image["digest"]:
        raise SnapshotError(f"{project.name}: the layout's manifest is {manifest_digest}, --json says {image['digest']}")
    write(os.path.join(out, "manifest.json"), json.dumps(json.loads(manifest), indent=2, sort_keys=True) + "\n")
    write(os.path.join(out, "config.json"), json.dumps(json.loads(config), indent=2, sort_keys=True) + "\n")
    result.update(digest=image["digest"], config_digest=image["config_digest"], lock_sha256=sha256_bytes(lock),
                  packages=len(doc.get("packages", [])), layers=len(layers))
    return result


# --- comparing -------------------------------------------------------------------------------------

def key_paths(value, prefix=""):
    """{key path: leaf value}; lists are walked by index and also recorded by length."""
    out = {}
    if isinstance(value, dict):
        if not value:
            out[prefix or "."] = {}
        for k, v in value.items():
            out.update(key_paths(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(value, list):
        out[f"{prefix}#len"] = len(value)
        for i, v in enumerate(value):
            out.update(key_paths(v, f"{prefix}[{i}]"))
    else:
        out[prefix or "."] = value
    return out


def compare_detect(before, after):
    a, b = key_paths(before), key_paths(after)
    problems = []
    for path, value in a.items():
        if path not in b:
            problems.append(f"    {path}: missing (was {json.dumps(value)})")
        elif b[path] != value and not (value == {} and isinstance(b[path], dict)):
            problems.append(f"    {path}: {json.dumps(value)} -> {json.dumps(b[path])}")
    return problems


def text_diff(a, b, name, limit=60):
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), f"before/{name}", f"after/{name}", lineterm="", n=2))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return ["    " + line for line in lines]


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def compare(before_dir, after_dir):
    """Returns the list of differences (empty when the snapshots match)."""
    def summary(d):
        path = os.path.join(d, "summary.json")
        if not os.path.exists(path):
            raise SnapshotError(f"{d} is not a snapshot (no summary.json)")
        with open(path) as f:
            return json.load(f)

    sa, sb = summary(before_dir), summary(after_dir)
    problems = []
    if sa["fixtures"] != sb["fixtures"] or sa["port_base"] != sb["port_base"]:
        return [f"the snapshots were taken with different fixtures or ports, so they cannot be compared:\n"
                f"  before: {sa['fixtures']} port base {sa['port_base']}\n"
                f"  after:  {sb['fixtures']} port base {sb['port_base']}\n"
                f"  (take both with the same --fixtures DIR and --port-base)"]
    for name, ra in sa["projects"].items():
        rb = sb["projects"].get(name)
        pa, pb = os.path.join(before_dir, "projects", name), os.path.join(after_dir, "projects", name)
        out = []
        if rb is None:
            problems.append(f"{name}: not in the AFTER snapshot")
            continue
        if ra["status"] != rb["status"] or ra.get("exit_code") != rb.get("exit_code"):
            out.append(f"  outcome: {ra['status']} (exit {ra.get('exit_code', 0)}) -> {rb['status']} "
                       f"(exit {rb.get('exit_code', 0)})")
            for side, r in (("before", ra), ("after", rb)):
                if r.get("stderr"):
                    out += [f"    {side}: {line}" for line in r["stderr"][-5:]]
        if ra["status"] == "ok" and rb["status"] == "ok":
            la, lb = read_bytes(os.path.join(pa, "mlpack.lock")), read_bytes(os.path.join(pb, "mlpack.lock"))
            if la != lb:
                out.append("  mlpack.lock differs:")
                out += text_diff(la.decode(errors="replace"), lb.decode(errors="replace"), "mlpack.lock")
            for key in ("digest", "config_digest"):
                if ra[key] != rb[key]:
                    out.append(f"  {key}: {ra[key]} -> {rb[key]}")
            if ra["digest"] != rb["digest"]:
                for f in ("config.json", "layers.json", "manifest.json"):
                    ta, tb = read_text(os.path.join(pa, f)), read_text(os.path.join(pb, f))
                    if ta != tb and ta is not None and tb is not None:
                        out.append(f"  {f} differs:")
                        out += text_diff(ta, tb, f)
        da, db = read_text(os.path.join(pa, "detect.json")), read_text(os.path.join(pb, "detect.json"))
        if da is not None:
            if db is None:
                out.append("  detect --json: no document after")
            else:
                diffs = compare_detect(json.loads(da), json.loads(db))
                if diffs:
                    out.append("  detect --json (key paths of BEFORE missing or changed in AFTER):")
                    out += diffs
        if ra.get("detect_exit_code") != rb.get("detect_exit_code"):
            out.append(f"  detect exit code: {ra.get('detect_exit_code')} -> {rb.get('detect_exit_code')}")
        if out:
            problems.append(f"{name}:\n" + "\n".join(out))
    return problems


def report(before_dir, after_dir):
    problems = compare(before_dir, after_dir)
    if problems:
        print(f"DIFFERENT: {before_dir} vs {after_dir}\n")
        print("\n\n".join(problems))
        return 1
    with open(os.path.join(before_dir, "summary.json")) as f:
        n = len(json.load(f)["projects"])
    print(f"SAME: {n} projects: locks byte-identical, manifest and config digests identical, "
          f"detect --json keeps every key and value")
    return 0


# --- main ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def environment(args):
    """(fixtures, services, work): the fixtures made or loaded, and their services running."""
    work = tempfile.mkdtemp(prefix="mlpack-compat-")
    services = None
    try:
        fixtures = Fixtures(args.fixtures or os.path.join(work, "fixtures"))
        fixtures.ensure_static()
        info = fixtures.load()
        port_base = args.port_base or (info or {}).get("port_base") or DEFAULT_PORT_BASE
        if info and info["port_base"] != port_base:
            log(f"warning: the fixtures were made with --port-base {info['port_base']}; "
                f"snapshots with {port_base} compare only with each other")
        services = Services(fixtures, port_base, work)
        first = args.mlpack or args.before
        fixtures.ensure_base(os.path.abspath(first), services, work)
        fixtures.check()
        yield fixtures, services, work
    finally:
        if services:
            services.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--mlpack", metavar="BIN", help="take one snapshot with BIN into --out")
    ap.add_argument("--out", metavar="DIR", help="where the snapshot goes (with --before/--after: DIR/before and "
                    "DIR/after; default a temporary folder, removed)")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE_DIR", "AFTER_DIR"), help="compare two snapshots")
    ap.add_argument("--before", metavar="BIN1")
    ap.add_argument("--after", metavar="BIN2")
    ap.add_argument("--fixtures", metavar="FDIR", help="fixtures to reuse, made there when missing "
                    "(default: made afresh in a temporary folder)")
    ap.add_argument("--port-base", type=int, help=f"first of three loopback ports (default: the fixtures', "
                    f"else {DEFAULT_PORT_BASE})")
    ap.add_argument("--only", metavar="NAME,...", help="only these projects (for debugging a difference)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (projects, caches)")
    ap.add_argument("--cold", action="store_true", help="an empty cache for every project (default: one cache "
                    "per binary, shared by its projects in a fixed order)")
    args = ap.parse_args()

    modes = [bool(args.mlpack), bool(args.compare), bool(args.before or args.after)]
    if sum(modes) != 1 or (modes[2] and not (args.before and args.after)) or (args.mlpack and not args.out):
        ap.error("give one of: --mlpack BIN --out DIR | --compare BEFORE_DIR AFTER_DIR | --before BIN1 --after BIN2")
    for binary in (args.mlpack, args.before, args.after):
        if binary and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            ap.error(f"{binary} is not an executable")
    only = set(args.only.split(",")) if args.only else None
    if only:
        unknown = only - {p.name for p in projects()}
        if unknown:
            ap.error(f"unknown project(s) {', '.join(sorted(unknown))}; known: {', '.join(p.name for p in projects())}")
    try:
        if args.compare:
            return report(*args.compare)
        if args.mlpack:
            with environment(args) as (fixtures, services, work):
                snapshot(args.mlpack, os.path.abspath(args.out), fixtures, services, work, only, args.cold)
            return 0
        with environment(args) as (fixtures, services, work):
            out = os.path.abspath(args.out) if args.out else os.path.join(work, "snapshots")
            snapshot(args.before, os.path.join(out, "before"), fixtures, services, work, only, args.cold)
            snapshot(args.after, os.path.join(out, "after"), fixtures, services, work, only, args.cold)
            return report(os.path.join(out, "before"), os.path.join(out, "after"))
    except (SnapshotError, unittest.SkipTest) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
