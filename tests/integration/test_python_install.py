"""End to end: Python packages installed into images. `mlpack build` of projects with a
requirements.txt, only a uv.lock, a pylock.toml, a Pipfile.lock or a poetry.lock, or a pyproject.toml
with a src/ layout, on a Debian base built from a local signed archive of real .debs, with wheels
from a PEP 503 index on loopback (real wheels from pip's test data plus generated ones, one a
platlib wheel for CPython 3.11 on manylinux). Images are pushed to a real docker-registry, pulled
back with skopeo, unpacked with umoci and run with runc, where Python itself reports what is
installed. Bad wheels and lockfiles fail with the documented exit code, name the package, and
leave neither an image nor a cache entry behind."""

import configparser
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, corpus_dir, need, run, runc_run, umoci_unpack  # noqa: E402
from test_debian import BASE, EXTRA  # noqa: E402

import apt_archive  # noqa: E402
from python_index import Server, build_index, metadata_text, publish_files, sha256_file, write_wheel  # noqa: E402

PIP_PACKAGES = os.path.join(corpus_dir("pip_test_data"), "packages")
CORPUS_WHEELS = [
    "simplewheel-1.0-py2.py3-none-any.whl",
    "simplewheel-2.0-py2.py3-none-any.whl",
    "has.script-1.0-py2.py3-none-any.whl",
    "script.wheel1-0.1-py2.py3-none-any.whl",
    "prjwithdatafile-1.0-py2.py3-none-any.whl",
    "simple_namespace-1.0-py2.py3-none-any.whl",
    "console_scripts_uppercase-1.0-py2.py3-none-any.whl",
]
CORRUPT_WHEEL = "corruptwheel-1.0-py2.py3-none-any.whl"  # pip's test data: not a zip at all

VENV = "/opt/venv"
SITE = f"{VENV}/lib/python3.11/site-packages"
# Debian bookworm: CPython 3.11, glibc 2.36. Of these fastmath wheels only the first fits and
# beats the pure one; manylinux_2_39 would rank higher if the base's glibc were ignored.
FASTMATH_TAGS = {
    "cp311-cp311-manylinux_2_17_x86_64": "cp311-manylinux_2_17",
    "cp311-cp311-manylinux_2_39_x86_64": "needs-glibc-2.39",
    "cp312-cp312-manylinux_2_17_x86_64": "cp312",
    "cp311-cp311-musllinux_1_1_x86_64": "musl",
    "py3-none-any": "pure-fallback",
}
FASTMATH_WHEEL = "fastmath-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"

# Run inside the image by the venv's python: what is installed, as Python sees it.
CHECK_VENV = r'''
import base64, hashlib, importlib, importlib.metadata as md, json, os, stat, sys
spec = json.load(open(sys.argv[1]))
out = {"prefix": sys.prefix, "executable": sys.executable, "version": list(sys.version_info[:2]),
       "files": {}, "imports": {}, "dists": {}}
for p in spec["files"]:
    try:
        st = os.lstat(p)
        data = open(p, "rb").read()
        out["files"][p] = {"sha256": hashlib.sha256(data).hexdigest(), "mode": stat.S_IMODE(st.st_mode)}
    except OSError as e:
        out["files"][p] = {"error": str(e)}
for name in spec["imports"]:
    try:
        m = importlib.import_module(name)
        out["imports"][name] = getattr(m, "__file__", None) or sorted(m.__path__)
    except Exception as e:
        out["imports"][name] = "error: %r" % (e,)
for d in md.distributions():
    bad = []
    for f in d.files or []:
        if not f.hash:
            continue
        try:
            digest = base64.urlsafe_b64encode(hashlib.sha256(f.locate().read_bytes()).digest()).rstrip(b"=").decode()
        except OSError as e:
            bad.append("%s: %s" % (f, e))
            continue
        if f.hash.mode != "sha256" or f.hash.value != digest:
            bad.append(str(f))
    out["dists"][d.metadata["Name"]] = {
        "version": d.version, "installer": d.read_text("INSTALLER"), "requested": d.read_text("REQUESTED") is not None,
        "entry_points": sorted([ep.group, ep.name, ep.value] for ep in d.entry_points),
        "record_files": len(d.files or []), "record_bad": bad}
print(json.dumps(out))
'''


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def expected_install(wheel_path):
    """What installing this wheel into /opt/venv must give, read from the wheel itself:
    {image path: (sha256 of the installed bytes, mode)}, its console/gui scripts, and its name."""
    files = {}
    with zipfile.ZipFile(wheel_path) as z:
        names = [n for n in z.namelist() if not n.endswith("/")]
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        data_dir = dist_info[:-len(".dist-info")] + ".data"
        dist_name = dist_info[:-len(".dist-info")].rsplit("-", 1)[0]
        scripts = []
        if f"{dist_info}/entry_points.txt" in names:
            cp = configparser.ConfigParser(delimiters=("=",))
            cp.optionxform = str  # entry point names are case-sensitive (cmdName)
            cp.read_string(z.read(f"{dist_info}/entry_points.txt").decode())
            for group in ("console_scripts", "gui_scripts"):
                if cp.has_section(group):
                    scripts += list(cp[group])
        for n in names:
            if n in (f"{dist_info}/RECORD", f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"):
                continue
            data = z.read(n)
            executable = bool((z.getinfo(n).external_attr >> 16) & 0o111)
            mode = 0o755 if executable else 0o644
            if n.startswith(data_dir + "/"):
                scheme, rest = n[len(data_dir) + 1:].split("/", 1)
                dest = {"purelib": f"{SITE}/{rest}", "platlib": f"{SITE}/{rest}", "scripts": f"{VENV}/bin/{rest}",
                        "headers": f"{VENV}/include/site/python3.11/{dist_name}/{rest}", "data": f"{VENV}/{rest}"}[scheme]
                if scheme == "scripts":
                    mode = 0o755
                    if data.startswith(b"#!python"):  # the spec: point `#!python` at the venv's interpreter;
                        # as pip does, the new first line ends in "\n" even where the script has "\r\n"
                        data = f"#!{VENV}/bin/python\n".encode() + data[data.index(b"\n") + 1:]
            else:
                dest = f"{SITE}/{n}"
            files[dest] = (hashlib.sha256(data).hexdigest(), mode)
        files[f"{SITE}/{dist_info}/INSTALLER"] = (hashlib.sha256(b"mlpack\n").hexdigest(), 0o644)
    return {"files": files, "scripts": scripts, "dist_info": dist_info}


class PythonInstall(TempTestCase):
    @classmethod
    def setUpClass(cls):
        need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "docker-registry", "skopeo", "umoci", "runc")
        cls.work = tempfile.mkdtemp(prefix="mlpack-pyinstall-")
        try:
            debs = apt_archive.fetch_debs(apt_archive.closure(BASE + EXTRA))
        except apt_archive.FixtureSkip as e:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise unittest.SkipTest(str(e))
        key = apt_archive.make_key(os.path.join(cls.work, "gnupg"), os.path.join(cls.work, "keyring.gpg"))
        apt_archive.build_archive(os.path.join(cls.work, "archive"), debs, key)
        apt_archive.stop_agent(key.home)
        cls.apt = apt_archive.Server(os.path.join(cls.work, "archive"))
        cls.registry = Registry(cls.work)
        cls.index_root = os.path.join(cls.work, "index")
        cls.make_index()
        cls.pypi = Server(cls.index_root)
        cls.index = f"{cls.pypi.url}/simple/"
        # One cache for the class: the Debian layers are assembled once and reused by every build.
        cls.shared_cache = os.path.join(cls.work, "cache")

    @classmethod
    def tearDownClass(cls):
        for s in ("pypi", "registry", "apt"):
            if hasattr(cls, s):
                getattr(cls, s).stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # --- the index ----------------------------------------------------------------------------

    @classmethod
    def make_index(cls):
        build_index({
            "toolkit": {"versions": {"1.0": {"requires_python": ">=3.8",
                                             "requires": ["fastmath>=1", "console-scripts-uppercase"],
                                             "scripts": {"toolkit-hello": "toolkit:main"}}}},
            "plainpkg": {"versions": {"1.0": {"requires_python": ">=3.8", "sdist": False}}},
            "winonly": {"versions": {"1.0": {"requires_python": None, "sdist": False,
                                             "wheel_tags": ["cp311-cp311-win_amd64"]}}},
        }, cls.index_root)
        made = os.path.join(cls.work, "made")
        os.makedirs(made)
        native = cls.native_library(made)
        paths = [cls.fastmath_wheel(made, tag, kind, native) for tag, kind in FASTMATH_TAGS.items()]

        def bad(name, members, **kw):
            dist = f"{name}-1.0.dist-info"
            members = {**members, f"{dist}/METADATA": metadata_text(name, "1.0", {"requires_python": ">=3.8"}).encode(),
                       f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
            path = os.path.join(made, f"{name}-1.0-py3-none-any.whl")
            write_wheel(path, members, **kw)
            return path

        paths.append(bad("evil", {"evil/__init__.py": b"", "../../../etc/evil.conf": b"owned\n"}))
        tampered = bad("tampered", {"tampered/__init__.py": b"X = 'as built'\n"})
        with zipfile.ZipFile(tampered) as z:  # the same RECORD, one file's content changed
            members = {n: z.read(n) for n in z.namelist()}
        record = members.pop("tampered-1.0.dist-info/RECORD").decode()
        members["tampered/__init__.py"] = b"X = 'changed after RECORD was written'\n"
        write_wheel(tampered, members, record=record)
        paths.append(tampered)
        # A wheel posing as another distribution: its file name (and the index's PEP 658 metadata)
        # say `impostor`, its own METADATA says `plainpkg` (issue 15).
        impostor = bad("impostor", {"impostor/__init__.py": b""})
        with zipfile.ZipFile(impostor) as z:
            members = {n: z.read(n) for n in z.namelist() if not n.endswith("/RECORD")}
        members["impostor-1.0.dist-info/METADATA"] = metadata_text("plainpkg", "1.0", {"requires_python": ">=3.8"}).encode()
        write_wheel(impostor, members)
        paths.append(impostor)
        # A decompression bomb (issue 15): 64 KB of wheel whose one file inflates to 64 MiB, past
        # 1000:1 (zlib's default level makes ~1020:1 of zeros; the 2 MB wheel that became 2 GiB).
        paths.append(bad("bomb", {"bomb/__init__.py": b"", "bomb/zeros.bin": bytes(64 << 20)}))
        # A real wheel cut short: its central directory is gone.
        truncated = bad("truncated", {"truncated/__init__.py": b"X = 1\n" * 200})
        with open(truncated, "r+b") as f:
            f.truncate(os.path.getsize(truncated) // 2)
        paths.append(truncated)
        metadata = {os.path.basename(truncated): metadata_text("truncated", "1.0", {"requires_python": ">=3.8"}),
                    os.path.basename(impostor): metadata_text("impostor", "1.0", {"requires_python": ">=3.8"}),
                    "bomb-1.0-py3-none-any.whl": metadata_text("bomb", "1.0", {"requires_python": ">=3.8"}),
                    CORRUPT_WHEEL: metadata_text("corruptwheel", "1.0", {"requires_python": None})}
        cls.corpus = all(os.path.isfile(os.path.join(PIP_PACKAGES, w)) for w in CORPUS_WHEELS + [CORRUPT_WHEEL])
        if cls.corpus:
            paths += [os.path.join(PIP_PACKAGES, w) for w in CORPUS_WHEELS + [CORRUPT_WHEEL]]
        cls.sha = publish_files(cls.index_root, paths, metadata=metadata)
        for fn in os.listdir(os.path.join(cls.index_root, "files")):
            if fn.endswith((".whl", ".tar.gz")) and fn not in cls.sha:
                cls.sha[fn] = sha256_file(os.path.join(cls.index_root, "files", fn))

    @staticmethod
    def native_library(made):
        """A real ELF shared library (no libc needed), for the platlib wheel to load with ctypes."""
        need("gcc")
        src = os.path.join(made, "native.c")
        with open(src, "w") as f:
            f.write("int fastmath_add(int a, int b) { return a + b; }\n")
        out = os.path.join(made, "native.so")
        run(["gcc", "-shared", "-fPIC", "-nostdlib", "-O2", "-o", out, src])
        with open(out, "rb") as f:
            return f.read()

    @staticmethod
    def fastmath_wheel(made, tag, kind, native):
        dist = "fastmath-1.0.dist-info"
        members = {
            "fastmath/__init__.py": (f"import ctypes, os\nKIND = {kind!r}\n\n\ndef add(a, b):\n"
                                     "    lib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), '_native.so'))\n"
                                     "    return lib.fastmath_add(a, b)\n").encode(),
            "fastmath/_native.so": native,
            "fastmath-1.0.data/platlib/fastmath_ext.py": b"NAME = 'ext from platlib'\n",
            "fastmath-1.0.data/headers/fastmath.h": b"int fastmath_add(int a, int b);\n",
            "fastmath-1.0.data/scripts/fastmath-info": (b"#!python\nimport fastmath, fastmath_ext\n"
                                                        b"print('fastmath', fastmath.KIND, 'add', fastmath.add(2, 3),"
                                                        b" fastmath_ext.NAME)\n"),
            f"{dist}/METADATA": metadata_text("fastmath", "1.0", {"requires_python": ">=3.8"}).encode(),
            f"{dist}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {'true' if tag == 'py3-none-any' else 'false'}\n"
                              f"Tag: {tag}\n").encode(),
        }
        path = os.path.join(made, f"fastmath-1.0-{tag}.whl")
        write_wheel(path, members, modes={"fastmath/_native.so": 0o755})
        return path

    def wheel_path(self, filename):
        return os.path.join(self.index_root, "files", filename)

    def file_url(self, filename):
        return f"{self.pypi.url}/files/{filename}"

    def need_corpus(self):
        if not self.corpus:
            self.skipTest(f"pip's test wheels are not in {PIP_PACKAGES} (set MLPACK_CORPORA to the corpora folder,"
                          " or put them in ../shared/corpora beside the repository)")

    # --- projects, builds and images ----------------------------------------------------------

    def project(self, name, files):
        d = self.path(name)
        os.makedirs(d)
        files = {"mlpack.yaml": ("base: debian:bookworm\n"  # the archive holds bookworm's .debs
                                 "apt_sources:\n"
                                 f"  - url: {self.apt.url}\n"
                                 "    suite: bookworm\n"
                                 "    components: [main]\n"
                                 f"    keyring: {os.path.join(self.work, 'keyring.gpg')}\n"),
                 "check_venv.py": CHECK_VENV, **files}
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
        return d

    def env(self, **extra):
        env = dict(os.environ, MLPACK_CACHE_DIR=self.shared_cache, **extra)
        env.pop("SOURCE_DATE_EPOCH", None)
        for k in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
            if k not in extra:
                env.pop(k, None)
        return env

    def mlpack_cmd(self, *args, check=True, **env):
        r = run([MLPACK, *args], env=self.env(**env), check=False)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def build_and_pull(self, project, repo, **env):
        """Builds `project` straight into the registry, pulls it back and unpacks it."""
        ref = f"{self.registry.host}/e2e/{repo}:1"
        doc = json.loads(self.mlpack_cmd("build", project, "--json", "-o", f"docker://{ref}", **env).stdout)
        self.assertEqual(doc["image"]["outputs"], [f"docker://{ref}"])
        self.assertFalse(os.path.exists(os.path.join(project, ".mlpack", "image")), "only the -o output is written")
        pushed = json.loads(run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"]).stdout)
        self.assertEqual(pushed["Digest"], doc["image"]["digest"])
        layout = self.path(f"pulled-{repo}")
        run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{layout}:{repo}"])
        bundle = self.path(f"bundle-{repo}")
        umoci_unpack(f"{layout}:{repo}", bundle)
        return doc, bundle

    def inspect_venv(self, bundle, files=(), imports=()):
        spec = os.path.join(bundle, "rootfs", "tmp", "check-spec.json")
        with open(spec, "w") as f:
            json.dump({"files": sorted(files), "imports": sorted(imports)}, f)
        return json.loads(runc_run(bundle, ["python", "/app/check_venv.py", "/tmp/check-spec.json"]))

    def assert_installed(self, bundle, doc, wheels, requested, imports):
        """The image's venv holds exactly the locked distributions, each as its wheel says: every
        file with its bytes and mode, launchers for its entry points, INSTALLER `mlpack`, RECORD
        true to the files, REQUESTED on `requested` only."""
        pypi = {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "pypi"}
        self.assertEqual(set(pypi), {normalize(w.split("-")[0]) for w in wheels})
        for w in wheels:
            self.assertEqual(pypi[normalize(w.split("-")[0])]["sha256"], self.sha[w], w)
        self.assertEqual(doc["target"]["python"], "3.11")
        # The venv's layers, as the image's layer plan has them: the skeleton alone, then each wheel
        # in exactly one "pypi: …" layer whose history text names it.
        counted = []
        for layer in doc["image"]["layers"]:
            if layer["contents"].startswith("pypi: "):
                for p in layer["packages"]:
                    self.assertIn(p.split(" ")[0], pypi, layer)
                    self.assertIn(p, layer["contents"])
                    counted.append(p.split(" ")[0])
        self.assertEqual(sorted(counted), sorted(pypi), doc["image"]["layers"])
        self.assertTrue(any(l["contents"].startswith(f"python: the virtual environment {VENV} (")
                            for l in doc["image"]["layers"]), doc["image"]["layers"])

        expected = {w: expected_install(self.wheel_path(w)) for w in wheels}
        launchers = {f"{VENV}/bin/{s}" for e in expected.values() for s in e["scripts"]}
        paths = {p for e in expected.values() for p in e["files"]} | launchers
        got = self.inspect_venv(bundle, paths, imports)
        self.assertEqual(got["prefix"], VENV)
        self.assertEqual(got["version"], [3, 11])
        for w, e in expected.items():
            for path, (sha, mode) in e["files"].items():
                self.assertEqual(got["files"][path], {"sha256": sha, "mode": mode}, f"{w}: {path}")
        for path in launchers:
            self.assertEqual(got["files"][path].get("mode"), 0o755, path)
        for name, where in got["imports"].items():
            self.assertFalse(str(where).startswith("error"), f"import {name}: {where}")
        dists = got["dists"]
        self.assertEqual({normalize(n) for n in dists}, set(pypi), "importlib.metadata sees exactly the locked set")
        for w, e in expected.items():
            name = next(n for n in dists if normalize(n) == normalize(w.split("-")[0]))
            d = dists[name]
            self.assertEqual(d["version"], w.split("-")[1])
            self.assertEqual(d["installer"], "mlpack\n", name)
            self.assertEqual(d["record_bad"], [], f"{name}: RECORD disagrees with the installed files")
            self.assertGreaterEqual(d["record_files"], len(e["files"]) + len(e["scripts"]), name)
            self.assertEqual(d["requested"], normalize(name) in requested, f"REQUESTED of {name}")
            with zipfile.ZipFile(self.wheel_path(w)) as z:
                ep = f"{e['dist_info']}/entry_points.txt"
                if ep in z.namelist():
                    cp = configparser.ConfigParser(delimiters=("=",))
                    cp.optionxform = str
                    cp.read_string(z.read(ep).decode())
                    want = sorted([g, k, v] for g in cp.sections() for k, v in cp[g].items())
                    self.assertEqual(d["entry_points"], want, name)
                else:
                    self.assertEqual(d["entry_points"], [], name)
        return got

    # --- cache and output invariants for failures ----------------------------------------------

    def cache_state(self):
        layers = os.path.join(self.shared_cache, "layers")
        entries = {}
        for root, _, files in os.walk(layers):
            for fn in files:
                with open(os.path.join(root, fn), errors="replace") as f:
                    entries[os.path.join(root, fn)] = f.read()
        blobs = set()
        for root, _, files in os.walk(self.shared_cache):
            for fn in files:
                blobs.add(os.path.relpath(os.path.join(root, fn), self.shared_cache))
        return entries, blobs

    def assert_nothing_left(self, before, out_dir, *names):
        """A failed build added no venv layer to the layer cache, no blob that is not what its name
        says, no file naming the failed packages, and wrote no output."""
        entries, files = self.cache_state()
        for k in set(entries) - set(before[0]):
            try:
                contents = json.loads(entries[k]).get("contents", "")
            except (ValueError, AttributeError):
                contents = entries[k]
            self.assertFalse(contents.startswith(("python", "pypi")), f"a layer cache entry for `{contents}` after a failed install")
        for rel in files - before[1]:
            parts = rel.split(os.sep)
            if "sha256" in parts[:-1]:
                with open(os.path.join(self.shared_cache, rel), "rb") as f:
                    self.assertEqual(hashlib.sha256(f.read()).hexdigest(), parts[-1], f"cache blob {rel}")
            for n in names:
                self.assertNotIn(n, rel, f"cache file {rel} names the failed package")
        self.assertFalse(os.path.exists(out_dir), "the failed build wrote its output")

    def build_fails(self, project, code, *names, args=(), package=True, **env):
        """`mlpack build` fails with `code` and one error naming each of `names`; the first names the
        failed package unless `package` is False, and no file in the cache may be named after it."""
        out = self.path("out-" + os.path.basename(project))
        before = self.cache_state()
        r = self.mlpack_cmd("build", project, "-o", f"oci:{out}:bad", *args, check=False, **env)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertEqual(r.stderr.count("error: "), 1, r.stderr)
        for n in names:
            self.assertIn(n, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(project, ".mlpack", "image")))
        self.assert_nothing_left(before, out, *(names[:1] if package else ()))
        return r

    # --- what the index offers -----------------------------------------------------------------

    def test_corpus_wheels_are_what_the_tests_assume(self):
        """The expectations below are read from the wheels; this pins that they hold what the
        install tests exercise (scripts, data files, a namespace .pth, an uppercase script)."""
        self.need_corpus()
        contents = {w: set(zipfile.ZipFile(os.path.join(PIP_PACKAGES, w)).namelist()) for w in CORPUS_WHEELS}
        self.assertIn("has.script-1.0.data/scripts/script.py", contents["has.script-1.0-py2.py3-none-any.whl"])
        self.assertTrue({"test.py", "script.wheel1-0.1.data/scripts/t1-script.py", "script.wheel1-0.1.data/scripts/t1.exe",
                         "script.wheel1-0.1.dist-info/entry_points.txt"} <= contents["script.wheel1-0.1-py2.py3-none-any.whl"])
        self.assertTrue({"prjwithdatafile-1.0.data/data/packages1/README.txt", "prjwithdatafile-1.0.data/data/packages2/README.txt",
                         "prjwithdatafile/somemodule.py"} <= contents["prjwithdatafile-1.0-py2.py3-none-any.whl"])
        self.assertTrue({"simple_namespace-1.0-py3.7-nspkg.pth", "simple_namespace/module/__init__.py"}
                        <= contents["simple_namespace-1.0-py2.py3-none-any.whl"])
        self.assertNotIn("simple_namespace/__init__.py", contents["simple_namespace-1.0-py2.py3-none-any.whl"])
        self.assertEqual(expected_install(self.wheel_path("console_scripts_uppercase-1.0-py2.py3-none-any.whl"))["scripts"],
                         ["cmdName"])
        self.assertEqual(expected_install(self.wheel_path("script.wheel1-0.1-py2.py3-none-any.whl"))["scripts"], ["t1"])
        with self.assertRaises(zipfile.BadZipFile):
            zipfile.ZipFile(os.path.join(PIP_PACKAGES, CORRUPT_WHEEL))

    # --- installs that work --------------------------------------------------------------------

    def full_set(self):
        """The wheels a project asking for the corpus wheels and toolkit gets, and its direct ones."""
        wheels = [
            "simplewheel-1.0-py2.py3-none-any.whl", "has.script-1.0-py2.py3-none-any.whl",
            "script.wheel1-0.1-py2.py3-none-any.whl", "prjwithdatafile-1.0-py2.py3-none-any.whl",
            "simple_namespace-1.0-py2.py3-none-any.whl", "toolkit-1.0-py3-none-any.whl",
            FASTMATH_WHEEL, "console_scripts_uppercase-1.0-py2.py3-none-any.whl"]
        direct = {"simplewheel", "has-script", "script-wheel1", "prjwithdatafile", "simple-namespace", "toolkit"}
        return wheels, direct

    # script.wheel1's top-level `test.py` is left out: Debian's python3.11 has a `test` package in
    # the standard library, which comes first on sys.path (as it would after `pip install`).
    IMPORTS = ["simplewheel", "prjwithdatafile.somemodule", "simple_namespace.module", "toolkit",
               "fastmath", "fastmath_ext", "cmdmod"]

    def assert_full_set_runs(self, bundle, doc, direct):
        wheels, _ = self.full_set()
        got = self.assert_installed(bundle, doc, wheels, direct, self.IMPORTS)
        for name, where in got["imports"].items():
            self.assertTrue(str(where).startswith(SITE), f"import {name}: {where}")
        self.assertEqual(got["imports"]["fastmath"], f"{SITE}/fastmath/__init__.py")
        self.assertEqual(got["imports"]["simple_namespace.module"], f"{SITE}/simple_namespace/module/__init__.py")
        # assert_installed compared every file's bytes with the wheel's: data files under the
        # prefix, scripts in bin/ with `#!python` pointed at the venv. Spelled out for the reader:
        with open(self.wheel_path("prjwithdatafile-1.0-py2.py3-none-any.whl"), "rb") as f:
            readme = zipfile.ZipFile(f).read("prjwithdatafile-1.0.data/data/packages1/README.txt")
        self.assertEqual(got["files"][f"{VENV}/packages1/README.txt"]["sha256"], hashlib.sha256(readme).hexdigest())
        self.assertEqual(got["files"][f"{VENV}/bin/script.py"]["mode"], 0o755)
        self.assertEqual(got["files"][f"{VENV}/include/site/python3.11/fastmath/fastmath.h"]["mode"], 0o644)
        self.assertEqual(got["files"][f"{SITE}/fastmath/_native.so"]["mode"], 0o755)
        self.assertIn("Hello world!", runc_run(bundle, ["cmdName"]))
        # `t1` runs `from test import main`, which the standard library's `test` package shadows on
        # Debian; with site-packages put first, mlpack's launcher runs script.wheel1's own test.py.
        self.assertIn("Hello, world!", runc_run(bundle, [
            "python", "-c", f"import runpy, sys; sys.path.insert(0, '{SITE}'); "
                            f"runpy.run_path('{VENV}/bin/t1', run_name='__main__')"]))
        self.assertIn("hello from toolkit 1.0", runc_run(bundle, ["toolkit-hello"]))
        self.assertIn("fastmath cp311-manylinux_2_17 add 5 ext from platlib", runc_run(bundle, ["fastmath-info"]))
        head = runc_run(bundle, ["python", "-c", f"print(open('{VENV}/bin/t1-script.py').readline())"])
        self.assertEqual(head.strip(), f"#!{VENV}/bin/python")

    def test_requirements_txt_installs_real_wheels_into_a_venv_that_runs(self):
        self.need_corpus()
        project = self.project("reqs", {"requirements.txt": (
            f"--index-url {self.index}\nsimplewheel<2\nhas.script\nscript.wheel1==0.1\nprjwithdatafile\n"
            "simple_namespace\ntoolkit\n")})
        doc, bundle = self.build_and_pull(project, "reqs")
        pypi = {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "pypi"}
        self.assertEqual(pypi["fastmath"]["wheel"], FASTMATH_WHEEL)
        self.assertEqual(pypi["simplewheel"]["version"], "1.0")
        self.assert_full_set_runs(bundle, doc, self.full_set()[1])
        # Python on PATH is the venv's, and the config says so.
        config = json.loads(run(["skopeo", "inspect", "--config", "--tls-verify=false",
                                 f"docker://{self.registry.host}/e2e/reqs:1"]).stdout)
        env = dict(e.split("=", 1) for e in config["config"]["Env"])
        self.assertTrue(env["PATH"].startswith(f"{VENV}/bin:"), env)
        self.assertEqual(env["VIRTUAL_ENV"], VENV)

    def uv_lock(self, root_name="uvproj", version=1, wrong_hash_for=None):
        def wheel(fn):
            sha = self.sha[fn] if fn != wrong_hash_for else hashlib.sha256(b"not " + fn.encode()).hexdigest()
            return (f'{{ url = "{self.file_url(fn)}", hash = "sha256:{sha}", '
                    f'size = {os.path.getsize(self.wheel_path(fn))} }}')

        def package(name, version, wheels, deps=(), sdist=None):
            text = f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "{self.index}" }}\n'
            if deps:
                text += "dependencies = [\n" + "".join(f'    {{ name = "{d}" }},\n' for d in deps) + "]\n"
            if sdist:
                text += f"sdist = {wheel(sdist)}\n"
            return text + "wheels = [\n" + "".join(f"    {wheel(w)},\n" for w in wheels) + "]\n"

        blocks = [
            f'version = {version}\nrevision = 2\nrequires-python = ">=3.11"\n',
            package("console-scripts-uppercase", "1.0", ["console_scripts_uppercase-1.0-py2.py3-none-any.whl"]),
            package("fastmath", "1.0", [f"fastmath-1.0-{t}.whl" for t in FASTMATH_TAGS]),
            package("has-script", "1.0", ["has.script-1.0-py2.py3-none-any.whl"]),
            package("prjwithdatafile", "1.0", ["prjwithdatafile-1.0-py2.py3-none-any.whl"]),
            package("script-wheel1", "0.1", ["script.wheel1-0.1-py2.py3-none-any.whl"]),
            package("simple-namespace", "1.0", ["simple_namespace-1.0-py2.py3-none-any.whl"]),
            package("simplewheel", "1.0", ["simplewheel-1.0-py2.py3-none-any.whl"]),
            package("toolkit", "1.0", ["toolkit-1.0-py3-none-any.whl"], deps=["console-scripts-uppercase", "fastmath"],
                    sdist="toolkit-1.0.tar.gz"),
            (f'[[package]]\nname = "{root_name}"\nversion = "0.1.0"\nsource = {{ virtual = "." }}\ndependencies = [\n'
             '    { name = "has-script" },\n    { name = "prjwithdatafile" },\n    { name = "script-wheel1" },\n'
             '    { name = "simple-namespace" },\n    { name = "simplewheel" },\n    { name = "toolkit" },\n'
             '    { name = "winonly", marker = "sys_platform == \'win32\'" },\n]\n\n'
             '[package.metadata]\nrequires-dist = [\n    { name = "has-script" },\n    { name = "prjwithdatafile" },\n'
             '    { name = "script-wheel1", specifier = "==0.1" },\n    { name = "simple-namespace" },\n'
             '    { name = "simplewheel", specifier = "<2" },\n    { name = "toolkit" },\n'
             '    { name = "winonly", marker = "sys_platform == \'win32\'" },\n]\n'),
            package("winonly", "1.0", ["winonly-1.0-cp311-cp311-win_amd64.whl"]),
        ]
        return "\n".join(blocks)

    def assert_taken_from(self, project, doc, lockfile):
        """mlpack.lock records that every Python pin came from the project's lockfile."""
        with open(os.path.join(project, "mlpack.lock")) as f:
            text = f.read()
        count = sum(p["ecosystem"] == "pypi" for p in doc["packages"])
        self.assertEqual(text.count(f"lockfile: {lockfile}\n"), count, text)

    def test_uv_lock_only_project(self):
        self.need_corpus()
        project = self.project("uvonly", {"uv.lock": self.uv_lock()})
        doc, bundle = self.build_and_pull(project, "uvonly")
        self.assert_taken_from(project, doc, "uv.lock")
        self.assertNotIn("winonly", {p["name"] for p in doc["packages"]})
        self.assert_full_set_runs(bundle, doc, self.full_set()[1])

    def pylock(self):
        def entry(fn):
            return (f'{{ url = "{self.file_url(fn)}", size = {os.path.getsize(self.wheel_path(fn))}, '
                    f'hashes = {{ sha256 = "{self.sha[fn]}" }} }}')

        def package(name, version, wheels, marker=None):
            text = f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
            if marker:
                text += f'marker = "{marker}"\n'
            return text + f'index = "{self.index}"\nwheels = [\n' + "".join(f"    {entry(w)},\n" for w in wheels) + "]\n"

        wheels, _ = self.full_set()
        blocks = ['lock-version = "1.0"\nenvironments = ["sys_platform == \'linux\'"]\nrequires-python = ">=3.11"\n'
                  'extras = []\ndependency-groups = []\ndefault-groups = []\ncreated-by = "uv"\n']
        for w in wheels:
            if w == FASTMATH_WHEEL:
                blocks.append(package("fastmath", "1.0", [f"fastmath-1.0-{t}.whl" for t in FASTMATH_TAGS]))
            else:
                blocks.append(package(normalize(w.split("-")[0]), w.split("-")[1], [w]))
        blocks.append(package("winonly", "1.0", ["winonly-1.0-cp311-cp311-win_amd64.whl"], marker="sys_platform == 'win32'"))
        return "\n".join(blocks)

    def test_pylock_toml_only_project(self):
        self.need_corpus()
        project = self.project("pylockonly", {"pylock.toml": self.pylock()})
        doc, bundle = self.build_and_pull(project, "pylockonly")
        self.assert_taken_from(project, doc, "pylock.toml")
        # PEP 751 records no direct requirements, so nothing is marked REQUESTED.
        self.assert_full_set_runs(bundle, doc, set())

    SMALL = ["simplewheel-1.0-py2.py3-none-any.whl", FASTMATH_WHEEL, "toolkit-1.0-py3-none-any.whl",
             "console_scripts_uppercase-1.0-py2.py3-none-any.whl"]

    def assert_small_set_runs(self, bundle, doc, requested):
        self.assert_installed(bundle, doc, self.SMALL, requested, ["simplewheel", "fastmath", "toolkit", "cmdmod"])
        self.assertIn("fastmath cp311-manylinux_2_17 add 5", runc_run(bundle, ["fastmath-info"]))
        self.assertIn("Hello world!", runc_run(bundle, ["cmdName"]))

    def test_pipfile_lock_only_project_finds_files_by_hash(self):
        self.need_corpus()

        def entry(hashes):
            return {"hashes": sorted(f"sha256:{self.sha[h]}" for h in hashes), "index": "local"}

        lock = {
            "_meta": {"hash": {"sha256": hashlib.sha256(b"Pipfile").hexdigest()}, "pipfile-spec": 6,
                      "requires": {"python_version": "3.11"},
                      "sources": [{"name": "local", "url": self.index, "verify_ssl": False}]},
            "default": {
                "simplewheel": {**entry(["simplewheel-1.0-py2.py3-none-any.whl"]), "version": "==1.0"},
                "toolkit": {**entry(["toolkit-1.0-py3-none-any.whl", "toolkit-1.0.tar.gz"]), "version": "==1.0"},
                "fastmath": {**entry([f"fastmath-1.0-{t}.whl" for t in FASTMATH_TAGS]), "version": "==1.0"},
                "console-scripts-uppercase": {**entry(["console_scripts_uppercase-1.0-py2.py3-none-any.whl"]),
                                              "version": "==1.0"},
                "winonly": {**entry(["winonly-1.0-cp311-cp311-win_amd64.whl"]), "version": "==1.0",
                            "markers": "sys_platform == 'win32'"},
            },
            "develop": {},
        }
        project = self.project("pipfile", {
            "Pipfile": (f'[[source]]\nurl = "{self.index}"\nverify_ssl = false\nname = "local"\n\n'
                        '[packages]\nsimplewheel = "<2"\ntoolkit = "*"\n'
                        'winonly = {version = "*", markers = "sys_platform == \'win32\'"}\n\n[dev-packages]\n'),
            "Pipfile.lock": json.dumps(lock, indent=4, sort_keys=True) + "\n"})
        doc, bundle = self.build_and_pull(project, "pipfile")
        self.assert_taken_from(project, doc, "Pipfile.lock")
        self.assert_small_set_runs(bundle, doc, {"simplewheel", "toolkit"})

    def test_poetry_lock_only_project_finds_files_on_the_index_by_hash(self):
        self.need_corpus()

        def package(name, version, files, deps=""):
            return (f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\noptional = false\n'
                    f'python-versions = ">=3.8"\nfiles = [\n'
                    + "".join(f'    {{file = "{f}", hash = "sha256:{self.sha[f]}"}},\n' for f in files) + "]\n"
                    + (f"\n[package.dependencies]\n{deps}" if deps else ""))

        lock = "\n".join([
            "# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.\n",
            package("console-scripts-uppercase", "1.0", ["console_scripts_uppercase-1.0-py2.py3-none-any.whl"]),
            package("fastmath", "1.0", [f"fastmath-1.0-{t}.whl" for t in FASTMATH_TAGS]),
            package("simplewheel", "1.0", ["simplewheel-1.0-py2.py3-none-any.whl"]),
            package("toolkit", "1.0", ["toolkit-1.0-py3-none-any.whl", "toolkit-1.0.tar.gz"],
                    deps='console-scripts-uppercase = "*"\nfastmath = ">=1"\n'),
            '[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n'
            f'content-hash = "{hashlib.sha256(b"pyproject").hexdigest()}"\n',
        ])
        project = self.project("poetry", {
            "pyproject.toml": ('[tool.poetry]\nname = "poetryproj"\nversion = "0.1.0"\ndescription = ""\n'
                               'authors = ["Data Team <data@example.com>"]\n\n[tool.poetry.dependencies]\n'
                               'python = "^3.11"\nsimplewheel = "<2"\ntoolkit = "^1.0"\n\n[build-system]\n'
                               'requires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'),
            "poetry.lock": lock})
        # poetry.lock names no index for PyPI packages: the files are looked up on PIP_INDEX_URL.
        doc, bundle = self.build_and_pull(project, "poetry", PIP_INDEX_URL=self.index)
        self.assert_taken_from(project, doc, "poetry.lock")
        self.assert_small_set_runs(bundle, doc, {"simplewheel", "toolkit"})

    def test_pyproject_src_layout_is_importable_and_its_script_runs(self):
        project = self.project("srcapp", {
            "pyproject.toml": ('[project]\nname = "srcapp"\nversion = "0.3.0"\nrequires-python = ">=3.10"\n'
                               'dependencies = ["plainpkg"]\n\n[project.scripts]\nsrcapp-hello = "srcapp.cli:main"\n\n'
                               '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'),
            "src/srcapp/__init__.py": "import plainpkg\nVERSION = '0.3.0'\n",
            "src/srcapp/cli.py": ("import os, sys, srcapp\n\n\ndef main():\n"
                                  "    print('srcapp', srcapp.VERSION, 'from', srcapp.__file__, 'cwd', os.getcwd(),"
                                  " 'argv0', sys.argv[0])\n"),
        })
        doc, bundle = self.build_and_pull(project, "srcapp", PIP_INDEX_URL=self.index)
        self.assertEqual({p["name"] for p in doc["packages"] if p["ecosystem"] == "pypi"}, {"plainpkg"})
        self.assertIn("python project srcapp (importable from /app/src)", [l["contents"] for l in doc["image"]["layers"]])
        out = runc_run(bundle, ["srcapp-hello"])
        self.assertIn("srcapp 0.3.0 from /app/src/srcapp/__init__.py cwd /app", out)
        self.assertIn(f"argv0 {VENV}/bin/srcapp-hello", out)
        got = self.inspect_venv(bundle, imports=["srcapp", "srcapp.cli", "plainpkg"])
        self.assertEqual(got["imports"]["srcapp"], "/app/src/srcapp/__init__.py")
        self.assertEqual(got["imports"]["plainpkg"], f"{SITE}/plainpkg/__init__.py")
        self.assertEqual(got["dists"]["srcapp"]["version"], "0.3.0")
        self.assertEqual(got["dists"]["srcapp"]["entry_points"], [["console_scripts", "srcapp-hello", "srcapp.cli:main"]])
        self.assertEqual(got["dists"]["plainpkg"]["installer"], "mlpack\n")
        self.assertTrue(got["dists"]["plainpkg"]["requested"])
        self.assertEqual(got["dists"]["plainpkg"]["record_bad"], [])

    # --- bad input ------------------------------------------------------------------------------

    def requirements_project(self, name, requirement):
        return self.project(name, {"requirements.txt": f"--index-url {self.index}\n{requirement}\n"})

    def test_wheel_with_a_parent_path_member_is_refused(self):
        r = self.build_fails(self.requirements_project("evil", "evil"), 1, "evil", "../../../etc/evil.conf")
        self.assertIn("unsafe path", r.stderr)

    def test_wheel_whose_file_differs_from_record_is_refused(self):
        r = self.build_fails(self.requirements_project("tampered", "tampered"), 1, "tampered", "tampered/__init__.py")
        self.assertIn("RECORD", r.stderr)

    def test_wheel_whose_metadata_names_another_distribution_is_refused(self):
        r = self.build_fails(self.requirements_project("impostor", "impostor"), 1, "impostor",
                             "impostor-1.0-py3-none-any.whl")
        self.assertIn("its METADATA says it is `plainpkg 1.0`, but its file name says `impostor 1.0`", r.stderr)

    def test_wheel_that_would_unpack_past_the_limits_is_refused(self):
        r = self.build_fails(self.requirements_project("bomb", "bomb"), 1, "bomb", "bomb-1.0-py3-none-any.whl",
                             "`bomb/zeros.bin` would unpack to 67108864 bytes")
        self.assertIn("more than 1000 times its compressed size", r.stderr)
        self.assertIn("--unpack-max-ratio", r.stderr)  # the error says how to raise the limit
        # A genuine package that compresses that well builds once the limit is raised for it; the
        # total stays bounded (--no-cache: a cached layer would not be unpacked again).
        project = self.requirements_project("bomb-ok", "bomb")
        r = self.mlpack_cmd("build", project, "-o", f"oci:{self.path('out-bomb-ok')}:ok",
                            "--unpack-max-ratio", "100000", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.mlpack_cmd("build", project, "-o", f"oci:{self.path('out-bomb-small')}:x",
                            "--unpack-max-ratio", "100000", "--unpack-max-size", str(1 << 20), "--no-cache",
                            check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_truncated_wheel_is_refused(self):
        self.build_fails(self.requirements_project("truncated", "truncated"), 1, "truncated")

    def test_corrupt_wheel_from_pips_test_data_is_refused(self):
        self.need_corpus()
        self.build_fails(self.requirements_project("corrupt", "corruptwheel"), 1, "corruptwheel")

    def test_wheel_whose_sha256_differs_from_mlpack_lock(self):
        project = self.requirements_project("lockedit", "plainpkg")
        self.mlpack_cmd("lock", project)
        real = self.sha["plainpkg-1.0-py3-none-any.whl"]
        fake = hashlib.sha256(b"some other wheel").hexdigest()
        lock_path = os.path.join(project, "mlpack.lock")
        with open(lock_path) as f:
            text = f.read()
        self.assertEqual(text.count(real), 1, text)
        with open(lock_path, "w") as f:
            f.write(text.replace(real, fake))
        self.build_fails(project, 1, "plainpkg", fake, args=("--locked",))
        self.assertFalse(os.path.exists(os.path.join(self.shared_cache, "pypi", "blobs", "sha256", fake)))
        self.assertFalse(os.path.exists(os.path.join(self.shared_cache, "blobs", "sha256", fake)))

    def test_wheel_whose_sha256_differs_from_uv_lock(self):
        self.need_corpus()
        project = self.project("uvbadhash", {"uv.lock": self.uv_lock(
            wrong_hash_for="simplewheel-1.0-py2.py3-none-any.whl")})
        self.build_fails(project, 1, "simplewheel")

    def test_requirements_hash_that_differs_from_the_index(self):
        project = self.requirements_project("badpin", f"plainpkg==1.0 --hash=sha256:{'0' * 64}")
        self.build_fails(project, 1, "plainpkg")

    def test_lockfiles_of_an_unknown_version_are_invalid_input(self):
        self.need_corpus()
        project = self.project("uv99", {"uv.lock": self.uv_lock(version=99)})
        self.build_fails(project, 2, "uv.lock", "99", package=False)
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")))
        project = self.project("pylock2", {"pylock.toml": self.pylock().replace('lock-version = "1.0"',
                                                                                 'lock-version = "2.0"')})
        self.build_fails(project, 2, "pylock.toml", "2.0", package=False)
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
