"""`mlpack lock` / `mlpack build` of projects that need only Debian packages, against a small but
real apt archive the test builds (real .debs, apt-ftparchive indexes, a throwaway signing key)
and serves on loopback. The image runs under runc; dpkg inside it lists the packages."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, need, run, runc_run, umoci_unpack  # noqa: E402

import apt_archive  # noqa: E402

BASE = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
EXTRA = ["python3", "libgomp1"]


def make_deb(workdir, name, control_extra):
    """A tiny synthetic package, for conflicts the real archive does not have."""
    root = os.path.join(workdir, name)
    os.makedirs(os.path.join(root, "DEBIAN"))
    os.makedirs(os.path.join(root, "usr", "share", "doc", name))
    with open(os.path.join(root, "usr", "share", "doc", name, "README"), "w") as f:
        f.write("synthetic test package\n")
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\n"
                f"Description: synthetic\n{control_extra}")
    path = os.path.join(workdir, f"{name}_1.0_all.deb")
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", root, path])
    return {"Package": name, "Version": "1.0", "Architecture": "all"}, path


class DebianBuilds(TempTestCase):
    @classmethod
    def setUpClass(cls):
        need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
        cls.work = tempfile.mkdtemp(prefix="mlpack-debian-")
        try:
            debs = apt_archive.fetch_debs(apt_archive.closure(BASE + EXTRA))
        except apt_archive.FixtureSkip as e:
            raise unittest.SkipTest(str(e))
        debs.append(make_deb(cls.work, "conflicts-with-dash", "Conflicts: dash\n"))
        cls.key = apt_archive.make_key(os.path.join(cls.work, "gnupg"), os.path.join(cls.work, "keyring.gpg"))
        other = apt_archive.make_key(os.path.join(cls.work, "gnupg-other"), os.path.join(cls.work, "other.gpg"),
                                     name="someone else")
        apt_archive.stop_agent(other.home)
        cls.archive = os.path.join(cls.work, "archive")
        apt_archive.build_archive(cls.archive, debs, cls.key)
        apt_archive.stop_agent(cls.key.home)
        cls.server = apt_archive.Server(cls.archive)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def project(self, apt_txt="libgomp1\n", keyring=None, name="proj"):
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "mlpack.yaml"), "w") as f:
            f.write("apt_sources:\n"
                    f"  - url: {self.server.url}\n"
                    "    suite: bookworm\n"
                    "    components: [main]\n"
                    f"    keyring: {keyring or os.path.join(self.work, 'keyring.gpg')}\n")
        with open(os.path.join(d, "apt.txt"), "w") as f:
            f.write(apt_txt)
        with open(os.path.join(d, "hello.py"), "w") as f:
            f.write("import os, ssl, sys\n"
                    "print('python', sys.version_info[:2], 'uid', os.getuid(),"
                    " 'certs', ssl.create_default_context().cert_store_stats()['x509_ca'])\n")
        return d

    def build(self, project, *extra, cache=None, check=True):
        env = dict(os.environ, MLPACK_CACHE_DIR=cache or self.cache)
        env.pop("SOURCE_DATE_EPOCH", None)
        return run([MLPACK, "build", project, "--json", *extra], env=env, check=check)

    def test_build_runs_python_as_non_root_and_dpkg_lists_packages(self):
        need("umoci")
        project = self.project()
        doc = json.loads(self.build(project).stdout)
        names = {p["name"] for p in doc["packages"]}
        self.assertTrue({"libc6", "python3", "libgomp1", "ca-certificates"} <= names, names)
        self.assertTrue(all(p["ecosystem"] == "deb" and len(p["sha256"]) == 64 for p in doc["packages"]))
        groups = [l["contents"] for l in doc["image"]["layers"]]
        self.assertEqual(len(groups), 5, groups)  # os, runtime, apt, dpkg db, project
        layout = os.path.join(project, ".mlpack", "image")
        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:proj", bundle)
        out = runc_run(bundle, ["python3", "/app/hello.py"])
        self.assertIn("uid 1000", out)
        self.assertRegex(out, r"certs [1-9]\d*")
        home = runc_run(bundle, ["python3", "-c", "import os; open('/home/app/x', 'w').write('1');"
                                 " s = os.stat('/home/app'); print('home', s.st_uid, oct(s.st_mode & 0o7777))"])
        self.assertIn("home 1000 0o755", home)
        # `#!/usr/bin/env python3` scripts work: the core OS has coreutils.
        script = os.path.join(bundle, "rootfs", "tmp", "envscript")
        with open(script, "w") as f:
            f.write("#!/usr/bin/env python3\nimport sys; print('env found', sys.version_info[0])\n")
        os.chmod(script, 0o755)
        self.assertIn("env found 3", runc_run(bundle, ["/tmp/envscript"]))
        listing = runc_run(bundle, ["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"])
        self.assertIn("libgomp1 install ok installed", listing)
        self.assertIn("python3 install ok installed", listing)
        # The lock pins every package the image holds.
        with open(os.path.join(project, "mlpack.lock")) as f:
            lock = f.read()
        for line in listing.splitlines():
            self.assertIn(f"name: {line.split()[0]}\n", lock)

    def test_project_layer_honours_exclude(self):
        project = self.project(name="excl")
        os.makedirs(os.path.join(project, "data", "raw"))
        for rel in ("data/raw/big.bin", "data/keep.csv", "notes.tmp", ".git/HEAD"):
            os.makedirs(os.path.dirname(os.path.join(project, rel)), exist_ok=True)
            with open(os.path.join(project, rel), "w") as f:
                f.write("x")
        with open(os.path.join(project, "mlpack.yaml"), "a") as f:
            f.write('exclude: ["data/raw/**", "*.tmp"]\n')
        doc = json.loads(self.build(project).stdout)
        app = doc["image"]["layers"][-1]
        blob = os.path.join(project, ".mlpack", "image", "blobs", "sha256", app["digest"].split(":")[1])
        names = run(["tar", "-tzf", blob]).stdout.split()
        self.assertIn("app/data/keep.csv", names)
        self.assertIn("app/hello.py", names)
        for gone in ("app/data/raw/big.bin", "app/notes.tmp", "app/.git/HEAD", "app/.mlpack/"):
            self.assertNotIn(gone, names)

    def test_rebuild_from_the_lock_gives_the_same_digest(self):
        project = self.project(name="repro")
        first = json.loads(self.build(project, cache=self.path("cache-a")).stdout)
        again = json.loads(self.build(project, "--locked", cache=self.path("cache-b")).stdout)
        self.assertEqual(first["image"]["digest"], again["image"]["digest"])
        warm = json.loads(self.build(project, "--locked", cache=self.path("cache-b")).stdout)
        self.assertEqual(warm["image"]["digest"], first["image"]["digest"])
        self.assertTrue(all(l["cached"] for l in warm["image"]["layers"][:-1]), warm["image"]["layers"])

    def test_python_requirements_install_into_a_venv_that_runs(self):
        need("umoci", "runc")
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
        from python_index import Server, build_index
        build_index({"helloapp": {"versions": {"1.0": {"requires_python": ">=3.8", "requires": ["dep-lib>=1"],
                                                       "scripts": {"hello": "helloapp:main"}}}},
                     "dep-lib": {"versions": {"1.0": {"requires_python": ">=3.8"},
                                              "2.0": {"requires_python": ">=3.8"}}}},
                    self.path("index"))
        server = Server(self.path("index"))
        self.addCleanup(server.stop)
        project = self.project(apt_txt="", name="venv")
        with open(os.path.join(project, "requirements.txt"), "w") as f:
            f.write(f"--index-url {server.url}/simple/\nhelloapp\n")
        doc = json.loads(self.build(project).stdout)
        pypi = {p["name"]: p["version"] for p in doc["packages"] if p["ecosystem"] == "pypi"}
        self.assertEqual(pypi, {"helloapp": "1.0", "dep-lib": "2.0"})
        self.assertEqual(doc["target"]["python"], "3.11")
        self.assertTrue(any("/opt/venv" in l["contents"] for l in doc["image"]["layers"]), doc["image"]["layers"])
        bundle = self.path("bundle-venv")
        umoci_unpack(f"{os.path.join(project, '.mlpack', 'image')}:venv", bundle)
        self.assertIn("hello from helloapp 1.0", runc_run(bundle, ["hello"]))
        out = runc_run(bundle, ["python", "-c", "import sys, helloapp, dep_lib, importlib.metadata as m; "
                                "print(sys.prefix, sorted((d.metadata['Name'], d.read_text('INSTALLER').strip()) "
                                "for d in m.distributions()))"])
        self.assertIn("/opt/venv", out)
        self.assertIn("('dep-lib', 'mlpack')", out)
        self.assertIn("('helloapp', 'mlpack')", out)
        # A warm rebuild reuses the venv layer.
        again = json.loads(self.build(project).stdout)
        venv_layers = [l for l in again["image"]["layers"] if "/opt/venv" in l["contents"]]
        self.assertTrue(venv_layers and venv_layers[0]["cached"], again["image"]["layers"])

    def test_locked_refuses_a_lock_that_no_longer_matches(self):
        project = self.project(name="stale")
        self.build(project)
        with open(os.path.join(project, "apt.txt"), "a") as f:
            f.write("netbase\n")
        r = self.build(project, "--locked", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("mlpack lock", r.stderr)
        self.assertIn("OS packages", r.stderr)
        self.assertNotIn("Python requirements", r.stderr)

    def test_lock_json_lists_deb_packages(self):
        project = self.project(name="lockjson")
        env = dict(os.environ, MLPACK_CACHE_DIR=self.cache)
        doc = json.loads(run([MLPACK, "lock", project, "--json"], env=env).stdout)
        self.assertEqual(doc["lock"], os.path.join(project, "mlpack.lock"))
        self.assertEqual(doc["target"]["platform"], "linux/amd64")
        libc = [p for p in doc["packages"] if p["name"] == "libc6"]
        self.assertEqual(len(libc), 1)
        self.assertTrue(libc[0]["source"].startswith(self.server.url))

    def test_unknown_package_names_close_matches(self):
        project = self.project("libgompp1\n", name="typo")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("libgompp1", r.stderr)
        self.assertIn("libgomp1", r.stderr.split("libgompp1", 1)[1])
        self.assertFalse(os.path.exists(os.path.join(project, "mlpack.lock")))

    def test_unsatisfiable_set_is_explained(self):
        project = self.project("conflicts-with-dash\n", name="conflict")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot install", r.stderr)
        self.assertIn("conflicts-with-dash", r.stderr)
        self.assertIn("dash", r.stderr.replace("conflicts-with-dash", ""))

    def test_wrong_keyring_is_refused(self):
        project = self.project(keyring=os.path.join(self.work, "other.gpg"), name="badkey")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("signature", r.stderr.lower())

    def test_apt_txt_on_a_registry_base_image(self):
        need("umoci")
        registry = Registry(self.tmp)
        self.addCleanup(registry.stop)
        base_project = self.project("", name="base")
        base_ref = f"{registry.host}/bases/python:1"
        base_doc = json.loads(self.build(base_project, "-o", base_ref).stdout)
        derived = self.project("libgomp1\n", name="derived")
        with open(os.path.join(derived, "mlpack.yaml"), "a") as f:
            f.write(f"base: {base_ref}\n")
        with open(os.path.join(derived, "hello.py"), "w") as f:
            f.write("import ctypes; ctypes.CDLL('libgomp.so.1'); print('gomp loaded')\n")
        doc = json.loads(self.build(derived).stdout)
        # Only what the base lacks is installed; the base's packages satisfy the rest.
        self.assertEqual([p["name"] for p in doc["packages"]], ["libgomp1"])
        # --json lists every layer of the image: the base's own first, reused, then mlpack's.
        theirs = base_doc["image"]["layers"]
        listed = doc["image"]["layers"]
        self.assertEqual([l["digest"] for l in listed[:len(theirs)]], [l["digest"] for l in theirs])
        self.assertEqual([l["diff_id"] for l in listed[:len(theirs)]], [l["diff_id"] for l in theirs])
        for i, l in enumerate(listed[:len(theirs)]):
            self.assertTrue(l["cached"], l)
            self.assertEqual(l["contents"], f"base image {base_ref}: layer {i + 1} of {len(theirs)}")
        self.assertGreater(len(listed), len(theirs))
        self.assertGreaterEqual(doc["summary"]["layers_reused"], len(theirs))
        self.assertEqual(doc["summary"]["layers_built"] + doc["summary"]["layers_reused"], len(listed))
        with open(os.path.join(derived, ".mlpack", "image", "index.json")) as f:
            index = json.load(f)
        digest = index["manifests"][0]["digest"].split(":", 1)[1]
        with open(os.path.join(derived, ".mlpack", "image", "blobs", "sha256", digest)) as f:
            manifest = json.load(f)
        self.assertEqual([l["digest"] for l in manifest["layers"]], [l["digest"] for l in listed])
        with open(os.path.join(derived, "mlpack.lock")) as f:
            self.assertIn("base_digest: sha256:", f.read())
        bundle = self.path("bundle-derived")
        umoci_unpack(f"{os.path.join(derived, '.mlpack', 'image')}:derived", bundle)
        self.assertIn("gomp loaded", runc_run(bundle, ["python3", "/app/hello.py"]))
        listing = runc_run(bundle, ["dpkg-query", "-W", "-f", "${Package}\\n"])
        self.assertIn("libgomp1", listing.split())
        self.assertIn("python3", listing.split())  # the base's packages are still recorded

    def test_malformed_apt_txt_is_exit_2(self):
        project = self.project("curl wget\n", name="malformed")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("apt.txt:1:", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
