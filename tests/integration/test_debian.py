"""`mlpack lock` / `mlpack build` of projects that need only Debian packages, against a small but
real apt archive the test builds (real .debs, apt-ftparchive indexes, a throwaway signing key)
and serves on loopback. The image runs under runc; dpkg inside it lists the packages."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
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


def add_layer(layout, tag, files, whiteouts=()):
    """Adds one gzip layer on top of the image `tag` in an OCI layout, in place: `files` maps a
    path in the image to (text, mode, uid, gid), `whiteouts` names paths the layer deletes. Built
    here by hand, independently of mlpack, to make base images mlpack would never write."""
    def blob_path(digest):
        return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])

    def put(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(blob_path(digest), "wb") as f:
            f.write(data)
        return digest

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, (text, mode, uid, gid) in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.uid, info.gid = len(data), mode, uid, gid
            tar.addfile(info, io.BytesIO(data))
        for path in whiteouts:
            parent, name = os.path.split(path)
            tar.addfile(tarfile.TarInfo(os.path.join(parent, ".wh." + name)), io.BytesIO(b""))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    compressed = gzip.compress(raw.getvalue(), mtime=0)
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(compressed),
             "size": len(compressed)}
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    entry = next(m for m in index["manifests"]
                 if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    with open(blob_path(entry["digest"])) as f:
        manifest = json.load(f)
    with open(blob_path(manifest["config"]["digest"])) as f:
        config = json.load(f)
    config["rootfs"]["diff_ids"].append(diff_id)
    config.setdefault("history", []).append({"created_by": "test: accounts without app"})
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest["config"].update(digest=put(config_bytes), size=len(config_bytes))
    manifest["layers"].append(layer)
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    entry.update(digest=put(manifest_bytes), size=len(manifest_bytes))
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)


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

    def project(self, apt_txt="libgomp1\n", keyring=None, name="proj", base="debian:bookworm"):
        # The archive holds bookworm's .debs, so the project names that release (not the default).
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "mlpack.yaml"), "w") as f:
            f.write(f"base: {base}\n"
                    "apt_sources:\n"
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
        # The core OS, the plan's Debian layers (python3's runtime, apt.txt's libgomp1), the dpkg
        # database, the project.
        self.assertTrue(groups[0].endswith("(core OS)"), groups)
        self.assertTrue(groups[-2].startswith("debian: dpkg database"), groups)
        self.assertEqual(groups[-1], "project files at /app")
        planned = [l for l in doc["image"]["layers"][1:-2]]
        self.assertTrue(planned and all(l["contents"].startswith("deb: ") and l["packages"] for l in planned), groups)
        self.assertTrue(any(p.startswith("libgomp1 ") for l in planned for p in l["packages"]), groups)
        self.assertTrue(any(p.startswith("python3 ") for l in planned for p in l["packages"]), groups)
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
        # The unpacked contents staged for the layers are gone once the layers are written: the
        # cache keeps .debs and layers, not a third copy of every file.
        staging = os.path.join(self.path("cache-a"), "deb-staging")
        self.assertEqual([f for _, _, files in os.walk(staging) for f in files], [])
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
        derived = self.project("libgomp1\n", name="derived", base=base_ref)
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
        # mlpack built the base, so it has the user: no accounts layer, and uid 1000 is `app`.
        self.assertFalse([l for l in listed if l["contents"].startswith("accounts:")], listed)
        who = runc_run(bundle, ["python3", "-c", "import getpass, os; print(getpass.getuser(), os.getuid(),"
                                " os.path.expanduser('~'))"])
        self.assertIn("app 1000 /home/app", who)

    def test_a_registry_base_without_the_user_gets_it_in_a_layer_of_its_own(self):
        need("umoci")
        registry = Registry(self.tmp)
        self.addCleanup(registry.stop)
        # A base whose accounts know nothing of uid 1000: mlpack's own base, with a layer on top
        # that replaces the account files and deletes /home/app.
        base_project = self.project("", name="base")
        self.build(base_project)
        layout = os.path.join(base_project, ".mlpack", "image")
        passwd = ("root:x:0:0:root:/root:/bin/sh\n"
                  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                  "alice:x:1001:1001:Alice:/home/alice:/bin/sh")  # no final newline
        group = "root:x:0:\nshadow:x:42:\nalice:x:1001:\n"
        shadow = "root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n"
        add_layer(layout, "base", {"etc/passwd": (passwd, 0o644, 0, 0), "etc/group": (group, 0o644, 0, 0),
                                   "etc/shadow": (shadow, 0o640, 0, 42)}, whiteouts=["home/app"])
        base_ref = f"{registry.host}/bases/nouser:1"
        self.mlpack("push", f"oci:{layout}:base", base_ref)

        derived = self.project("", name="derived", base=base_ref)
        doc = json.loads(self.build(derived).stdout)
        contents = [l["contents"] for l in doc["image"]["layers"]]
        self.assertIn("accounts: user app (1000)", contents)
        self.assertEqual(contents[-1], "project files at /app")
        bundle = self.path("bundle-nouser")
        umoci_unpack(f"{os.path.join(derived, '.mlpack', 'image')}:derived", bundle)
        who = runc_run(bundle, ["python3", "-c", "import getpass, os; print(getpass.getuser(), os.getuid(),"
                                " os.path.expanduser('~'))"])
        self.assertIn("app 1000 /home/app", who)
        home = runc_run(bundle, ["python3", "-c", "import os; open('/home/app/x', 'w').write('1');"
                                 " s = os.stat('/home/app'); print('home', s.st_uid, s.st_gid, oct(s.st_mode & 0o7777))"])
        self.assertIn("home 1000 1000 0o755", home)
        rootfs = os.path.join(bundle, "rootfs")
        with open(os.path.join(rootfs, "etc", "passwd")) as f:
            self.assertEqual(f.read(), passwd + "\napp:x:1000:1000:app:/home/app:/bin/sh\n")
        with open(os.path.join(rootfs, "etc", "group")) as f:
            self.assertEqual(f.read(), group + "app:x:1000:\n")
        shadow_stat = os.stat(os.path.join(rootfs, "etc", "shadow"))
        self.assertEqual((oct(shadow_stat.st_mode & 0o7777), shadow_stat.st_gid), ("0o640", 42))
        with open(os.path.join(rootfs, "etc", "shadow")) as f:
            self.assertEqual(f.read(), shadow + "app:*:0:0:99999:7:::\n")

        # Reproducible and cached: an empty cache gives the same image, a warm one reuses the layer.
        cold = json.loads(self.build(derived, "--locked", cache=self.path("cache-cold")).stdout)
        self.assertEqual(cold["image"]["digest"], doc["image"]["digest"])
        warm = json.loads(self.build(derived, "--locked").stdout)
        accounts = [l for l in warm["image"]["layers"] if l["contents"].startswith("accounts:")]
        self.assertEqual(len(accounts), 1)
        self.assertTrue(accounts[0]["cached"], accounts)

        # `user: "0"` needs no account from mlpack: no accounts layer.
        with open(os.path.join(derived, "mlpack.yaml"), "a") as f:
            f.write('user: "0"\n')
        root = json.loads(self.build(derived).stdout)
        self.assertFalse([l for l in root["image"]["layers"] if l["contents"].startswith("accounts:")])

    def test_malformed_apt_txt_is_exit_2(self):
        project = self.project("curl wget\n", name="malformed")
        r = self.build(project, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("apt.txt:1:", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
