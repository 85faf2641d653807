"""R itself from CRAN's Debian repository when the suite's r-base-core is too old (issue 13 item 2).

Two signed apt repositories on loopback: the suite (a small real bookworm archive of r-base-core's
closure, tests/fixtures/apt_archive.py) and a flat `bookworm-cran40/` repository laid out as
https://cloud.r-project.org/bin/linux/debian is (Release, InRelease and Packages under the suite
folder, Filename relative to the URL above it), holding bookworm's real r-base-core .deb repacked
with dpkg-deb under a newer version, 4.4.1-1~bookwormcran.0 (its control file edited; the binary
stays 4.2, which is fine for resolving, locking and laying out). Each is signed by its own test key;
the CLI is pointed at the CRAN one with MLPACK_CRAN_DEBIAN_URL and MLPACK_CRAN_DEBIAN_KEY. R
packages come from a CRAN-like repository of real binaries (tests/fixtures/cran_repo.py)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, need, run, umoci_unpack, write  # noqa: E402

import apt_archive  # noqa: E402
import cran_repo  # noqa: E402

OS_PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
APT_PACKAGES = OS_PACKAGES + ["r-base-core", "bash", "sed", "grep", "debianutils", "libc-bin"]
CRAN_VERSION = "4.4.1-1~bookwormcran.0"
SUITE = "bookworm-cran40"
STATE = {}


def repack(deb, version, out_dir):
    """The .deb with its control file's Version replaced, built again with dpkg-deb."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tree = out_dir / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True, capture_output=True)
    control = tree / "DEBIAN" / "control"
    lines = [f"Version: {version}" if l.startswith("Version:") else l
             for l in control.read_text().splitlines()]
    control.write_text("\n".join(lines) + "\n")
    dest = out_dir / f"r-base-core_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b", str(tree), str(dest)],
                   check=True, capture_output=True)
    shutil.rmtree(tree)
    return dest


def flat_repository(root, debs, key):
    """CRAN's layout: root/<SUITE>/{Packages*,Release,InRelease,Release.gpg,*.deb}, Filename
    `<SUITE>/<file>` relative to root (the URL the sources line names)."""
    root = Path(root)
    suite_dir = root / SUITE
    suite_dir.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        shutil.copyfile(deb, suite_dir / Path(deb).name)
    packages = subprocess.run(["apt-ftparchive", "packages", SUITE], cwd=root, check=True,
                              capture_output=True, text=True).stdout
    apt_archive._write_indexes(suite_dir, packages)
    release = subprocess.run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=CRAN",
                              "-o", "APT::FTPArchive::Release::Label=CRAN",
                              "-o", f"APT::FTPArchive::Release::Suite={SUITE}",
                              "-o", "APT::FTPArchive::Release::Architectures=amd64 arm64",
                              "release", "."], cwd=suite_dir, check=True, capture_output=True, text=True).stdout
    (suite_dir / "Release").write_text(release)
    apt_archive.sign_release(suite_dir, key)
    return suite_dir


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
    work = Path(tempfile.mkdtemp(prefix="mlpack-r-cran-debian-"))
    STATE["work"] = work
    try:
        debs = apt_archive.fetch_debs(sorted(set(apt_archive.closure(APT_PACKAGES))))
        repo = cran_repo.create(work / "cran", packages=["r-cran-r6"])
    except apt_archive.FixtureSkip as e:
        shutil.rmtree(work, ignore_errors=True)
        raise unittest.SkipTest(str(e))
    suite_r = next(p for p, _ in debs if p["Package"] == "r-base-core")
    STATE["suite_r"] = suite_r["Version"]
    newer = repack(next(path for p, path in debs if p["Package"] == "r-base-core"), CRAN_VERSION, work / "repack")
    STATE["cran_deb_sha256"] = apt_archive._sha256(newer)

    suite_key = apt_archive.make_key(work / "gnupg-suite", work / "suite.gpg")
    cran_key = apt_archive.make_key(work / "gnupg-cran", work / "cran-debian.gpg", name="test CRAN Debian")
    try:
        apt_archive.build_archive(work / "archive", debs, suite_key)
        flat_repository(work / "cran-debian", [newer], cran_key)
        # The same repository with its signed text altered after signing: a bad signature.
        shutil.copytree(work / "cran-debian", work / "cran-debian-bad")
        inrelease = work / "cran-debian-bad" / SUITE / "InRelease"
        text = inrelease.read_text()
        inrelease.write_text(text.replace("Label: CRAN", "Label: CRAM", 1))
        os.unlink(work / "cran-debian-bad" / SUITE / "Release.gpg")
    finally:
        apt_archive.stop_agent(suite_key.home)
        apt_archive.stop_agent(cran_key.home)
    STATE["apt"] = apt_archive.Server(work / "archive")
    STATE["cran_debian"] = apt_archive.Server(work / "cran-debian", log=work / "cran-debian.log")
    STATE["cran_debian_bad"] = apt_archive.Server(work / "cran-debian-bad")
    STATE["suite_keyring"] = str(work / "suite.gpg")
    STATE["cran_keyring"] = str(work / "cran-debian.gpg")
    STATE["repo"] = repo
    STATE["cran"] = cran_repo.Server(repo["root"], log=repo["log"], faults_file=repo["faults"])


def tearDownModule():
    for k in ("apt", "cran_debian", "cran_debian_bad", "cran"):
        if k in STATE:
            STATE[k].stop()
    if "work" in STATE:
        shutil.rmtree(STATE["work"], ignore_errors=True)


def description(r):
    return f"Package: p\nVersion: 1.0\nDepends: R (>= {r})\nImports: R6\nLicense: MIT\n"


class RFromCranDebian(TempTestCase):
    def env(self, cache=None, server="cran_debian"):
        env = dict(os.environ)
        for k in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR", "MLPACK_CACHE_DIR"):
            env.pop(k, None)
        env["MLPACK_CACHE_DIR"] = cache or self.cache
        env["MLPACK_CRAN_DEBIAN_URL"] = STATE[server].url.rstrip("/")
        env["MLPACK_CRAN_DEBIAN_KEY"] = STATE["cran_keyring"]
        return env

    def project(self, name, r):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"  # the suite archive holds bookworm's .debs; CRAN's is bookworm-cran40/
              "apt_sources:\n"
              f"  - url: {STATE['apt'].url}\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {STATE['suite_keyring']}\n"
              f"cran: {STATE['cran'].url.rstrip('/')}\n")
        write(os.path.join(d, "DESCRIPTION"), description(r))
        return d

    def mlpack(self, *args, cache=None, server="cran_debian", check=True):
        r = run([MLPACK, *args], env=self.env(cache, server), check=False, timeout=600)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def lock_file(self, d):
        # The lock as written: YAML, read with mlpack's own --json view where it has one.
        with open(os.path.join(d, "mlpack.lock")) as f:
            return f.read()

    def debs(self, doc):
        return {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "deb"}

    def test_r_from_cran_debian_when_the_suite_is_too_old(self):
        d = self.project("new", "4.4")
        doc = json.loads(self.mlpack("lock", d, "--json").stdout)
        r = self.debs(doc)["r-base-core"]
        self.assertEqual(r["version"], CRAN_VERSION)
        self.assertEqual(r["sha256"], STATE["cran_deb_sha256"])
        cran_url = STATE["cran_debian"].url.rstrip("/")
        self.assertTrue(r["source"].startswith(cran_url), r)
        self.assertIn(f"{SUITE}/r-base-core_{CRAN_VERSION}_amd64.deb", r.get("filename", "") + r["source"] + r.get("url", ""), r)
        self.assertEqual(r["layer"], "runtime")
        self.assertEqual(doc["target"]["r"], "4.4.1")
        # R's own dependencies still came from the suite.
        self.assertTrue(self.debs(doc)["libc6"]["source"].startswith(STATE["apt"].url.rstrip("/")))
        lock = self.lock_file(d)
        self.assertIn(cran_url, lock)
        self.assertIn(f"{SUITE}/", lock)
        self.assertIn(STATE["cran_deb_sha256"], lock)

        # Built; and --locked in a fresh cache with the repository still served gives the same image.
        need("umoci")
        layout = self.path("layout")
        first = json.loads(self.mlpack("build", d, "--json", "-o", f"oci:{layout}:new").stdout)
        again = json.loads(self.mlpack("build", d, "--locked", "--json", "-o", f"oci:{layout}:again",
                                       cache=os.path.join(self.tmp, "cache-2")).stdout)
        self.assertEqual(first["image"]["digest"], again["image"]["digest"])
        bundle = os.path.join(self.tmp, "bundle")
        umoci_unpack(f"{layout}:new", bundle)
        with open(os.path.join(bundle, "rootfs", "var", "lib", "dpkg", "status")) as f:
            status = f.read()
        block = next(b for b in status.split("\n\n") if b.startswith("Package: r-base-core\n"))
        self.assertIn(f"Version: {CRAN_VERSION}\n", block)

    def test_the_suite_r_when_it_is_new_enough(self):
        d = self.project("old", "4.2")
        doc = json.loads(self.mlpack("lock", d, "--json").stdout)
        r = self.debs(doc)["r-base-core"]
        self.assertEqual(r["version"], STATE["suite_r"])
        self.assertTrue(r["source"].startswith(STATE["apt"].url.rstrip("/")), r)
        self.assertNotIn(STATE["cran_debian"].url.rstrip("/"), self.lock_file(d))

    def test_a_bad_signature_names_the_repository(self):
        d = self.project("bad", "4.4")
        r = self.mlpack("lock", d, server="cran_debian_bad", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(STATE["cran_debian_bad"].url.rstrip("/"), r.stderr)
        self.assertIn(SUITE, r.stderr)
        self.assertIn("CRAN's Debian repository", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "mlpack.lock")))

    def test_a_version_neither_has_names_both(self):
        d = self.project("none", "4.9")
        r = self.mlpack("lock", d, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("R >= 4.9 wanted", r.stderr)
        self.assertIn(STATE["suite_r"], r.stderr)
        self.assertIn(CRAN_VERSION, r.stderr)


if __name__ == "__main__":
    unittest.main()
