"""The default base follows Debian's current stable: a project that names no base is built on
`debian:trixie` (Python 3.13, glibc 2.41), and `debian:bookworm` (Python 3.11, glibc 2.36) stays
available by name (mlpack.yaml `base`, or `--base`).

The locks here are made against the real deb.debian.org (its signed InRelease verified with the
machine's debian-archive-keyring, then the Packages indexes), so the test says what a user gets.
Without a route to deb.debian.org the class skips, and under CI=true that skip fails the run (it is
not in tests/skips.txt): the fixtures the other suites build need Debian's mirror too."""

import json
import os
import re
import shutil
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import MLPACK, TempTestCase, clean_env, run, write_files  # noqa: E402

ARCHIVE = "http://deb.debian.org/debian"


def reachable(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read(64)
        return None
    except (urllib.error.URLError, OSError) as e:
        return str(e)


class DefaultBase(TempTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists("/usr/share/keyrings/debian-archive-keyring.gpg"):
            raise unittest.SkipTest("no /usr/share/keyrings/debian-archive-keyring.gpg (debian-archive-keyring)")
        why = reachable(f"{ARCHIVE}/dists/trixie/InRelease")
        if why:
            raise unittest.SkipTest(f"deb.debian.org is unreachable: {why}")
        # One cache for the class: each suite's indexes are fetched once.
        cls.shared = tempfile.mkdtemp(prefix="mlpack-default-base-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.shared, ignore_errors=True)

    def project(self, name, yaml=None):
        # A Python project with no requirements: the OS buildpack adds the suite's python3, and
        # nothing is asked of PyPI.
        files = {"app.py": "print('hello')\n", "requirements.txt": ""}
        if yaml is not None:
            files["mlpack.yaml"] = yaml
        return write_files(self.path(name), files)

    def lock(self, project, *args):
        env = clean_env(os.path.join(self.shared, "cache"))
        r = run([MLPACK, "lock", project, "--json", *args], env=env, check=False, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        doc = json.loads(r.stdout)
        with open(os.path.join(project, "mlpack.lock")) as f:
            text = f.read()
        debs = {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "deb"}
        return doc, text, debs

    def lock_base(self, text):
        m = re.search(r"^base: *(\S+) *$", text, re.M)
        self.assertIsNotNone(m, text[:2000])
        return m.group(1).strip("'\"")

    def assert_release(self, doc, text, debs, codename, python, glibc):
        self.assertEqual(self.lock_base(text), f"debian:{codename}")
        self.assertIn(f"{codename}-security", text)
        self.assertEqual(doc["target"]["python"], python)
        self.assertTrue(debs["python3"]["version"].startswith(python + "."), debs["python3"])
        self.assertIn(f"python{python}", debs)
        self.assertIn(f"libpython{python}-stdlib", debs)
        # From the release's own archive (or its security suite), not a mirror of another.
        self.assertRegex(debs[f"python{python}"]["source"], r"^http://deb\.debian\.org/debian(-security)?/pool/")
        self.assertTrue(debs["libc6"]["version"].startswith(glibc + "-"), debs["libc6"])
        if doc["target"].get("glibc") is not None:
            self.assertEqual(doc["target"]["glibc"], glibc)
        # Nothing of the other release slipped in.
        other = {"3.13": "3.11", "3.11": "3.13"}[python]
        self.assertNotIn(f"python{other}", debs)

    def test_help_names_trixie_as_the_default(self):
        r = run([MLPACK, "lock", "--help"], env=clean_env(self.cache))
        self.assertIn("else debian:trixie", " ".join(r.stdout.split()))

    def test_a_project_naming_no_base_gets_trixie(self):
        doc, text, debs = self.lock(self.project("default"))
        self.assert_release(doc, text, debs, "trixie", "3.13", "2.41")

    def test_bookworm_by_name_in_mlpack_yaml(self):
        doc, text, debs = self.lock(self.project("named", "base: debian:bookworm\n"))
        self.assert_release(doc, text, debs, "bookworm", "3.11", "2.36")

    def test_bookworm_by_flag_over_the_default(self):
        doc, text, debs = self.lock(self.project("flag"), "--base", "debian:bookworm")
        self.assert_release(doc, text, debs, "bookworm", "3.11", "2.36")


if __name__ == "__main__":
    unittest.main()
