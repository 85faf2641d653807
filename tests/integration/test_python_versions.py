"""Which Python a project gets, through the real binary (issue 15 item 8).

- X.Y.Z from `--python`, mlpack.yaml `python` and runtime.txt: exactly the base's X.Y.Z, else exit 2
  naming what the base provides; `python-3` in runtime.txt takes the base's Python 3 (repo2docker's
  reading). The base is an OCI layout whose dpkg database says python3 3.11.2, as bookworm's does.
- A project with no Python requirement files but notebooks or an executable `#!/usr/bin/env python`
  script gets Python, as repo2docker gives it: `detect --json` says `pypi`, and `lock` against a real
  apt archive (bookworm's .debs) puts Debian's python3 into the lock. A shell script does not.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, need, run, write  # noqa: E402

import apt_archive  # noqa: E402

DPKG_STATUS = (
    "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n"
    "Maintainer: x\nDescription: C library\n\n"
    "Package: python3\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.11.2-1+b1\n"
    "Maintainer: x\nDescription: interactive high-level object-oriented language\n")


def python_base(folder):
    """An OCI layout whose dpkg database has Debian's python3 3.11.2 (bookworm's), with its
    interpreter's path; returns its location."""
    layer = os.path.join(folder, "layer")
    write(os.path.join(layer, "var", "lib", "dpkg", "status"), DPKG_STATUS)
    write(os.path.join(layer, "usr", "bin", "python3.11"), "", mode=0o755)
    os.symlink("python3.11", os.path.join(layer, "usr", "bin", "python3"))
    base = f"oci:{os.path.join(folder, 'base')}:py"
    subprocess.run([MLPACK, "append", "--layer", f"{layer}:/", "-o", base], check=True, capture_output=True)
    return base


class VersionRequests(TempTestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="mlpack-pyver-")
        cls.base = python_base(cls.work)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def project(self, files, name="proj"):
        root = self.path(name)
        files = dict(files)
        files["mlpack.yaml"] = f"base: {self.base}\n" + files.get("mlpack.yaml", "")
        for rel, text in files.items():
            write(os.path.join(root, rel), text)
        return root

    def lock(self, project, *args):
        r = self.mlpack("lock", project, "--json", *args, check=False)
        return r, json.loads(r.stdout)

    def assert_refused(self, r, doc, *names):
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(doc["error"]["kind"], "invalid_input")
        for name in names:
            self.assertIn(name, doc["error"]["message"])

    def test_the_base_s_exact_version_is_accepted_everywhere(self):
        for files, args in (({"runtime.txt": "python-3.11.2\n"}, ()),
                            ({".python-version": "3.11.2\n"}, ()),
                            ({"mlpack.yaml": "python: 3.11.2\n"}, ()),
                            ({}, ("--python", "3.11.2"))):
            with self.subTest(files=files, args=args):
                project = self.project(files, name="exact")
                r, doc = self.lock(project, *args)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(doc["target"]["python"], "3.11")
                shutil.rmtree(project)

    def test_another_patch_release_is_refused_naming_what_the_base_provides(self):
        r, doc = self.lock(self.project({"runtime.txt": "python-3.11.9\n"}))
        self.assert_refused(r, doc, "exactly Python 3.11.9 (runtime.txt)", "provides Python 3.11.2",
                            "ask for 3.11 (any 3.11.x) or 3.11.2", "python:3.11.9-slim")
        r, doc = self.lock(self.project({}, name="flag"), "--python", "3.11.9")
        self.assert_refused(r, doc, "exactly Python 3.11.9 (--python 3.11.9)", "provides Python 3.11.2")
        r, doc = self.lock(self.project({"mlpack.yaml": "python: '3.11.9'\n"}, name="yaml"))
        self.assert_refused(r, doc, "exactly Python 3.11.9 (mlpack.yaml `python: 3.11.9`)", "3.11.2")
        self.assertFalse(os.path.exists(os.path.join(self.path("yaml"), "mlpack.lock")))

    def test_x_y_takes_the_base_s_patch_release_and_another_minor_is_refused(self):
        r, doc = self.lock(self.project({"runtime.txt": "python-3.11\n"}))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(doc["target"]["python"], "3.11")
        r, doc = self.lock(self.project({"runtime.txt": "python-3.12.1\n"}, name="minor"))
        self.assert_refused(r, doc, "Python 3.12.1 (runtime.txt)", "provides Python 3.11", "ask for 3.11")

    def test_runtime_txt_python_3_is_the_base_s_python_3(self):
        project = self.project({"runtime.txt": "python-3\n"})
        d = json.loads(self.mlpack("detect", project, "--json").stdout)
        self.assertEqual(d["python"], "3")
        self.assertIn("pypi", d["ecosystems"])
        self.assertIn("python: 3.x from the base", self.mlpack("detect", project).stdout)
        r, doc = self.lock(project)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(doc["target"]["python"], "3.11")
        r, doc = self.lock(self.project({"runtime.txt": "python-2\n"}, name="two"))
        self.assert_refused(r, doc, "Python 2 (runtime.txt)", "provides Python 3.11.2")

    def test_detect_reports_the_version_as_asked(self):
        d = json.loads(self.mlpack("detect", self.project({"runtime.txt": "python-3.11.2\n"}), "--json").stdout)
        self.assertEqual(d["python"], "3.11.2")
        d = json.loads(self.mlpack("detect", self.project({}, name="flag"), "--python", "3.12.1", "--json").stdout)
        self.assertEqual(d["python"], "3.12.1")

    def test_malformed_versions_are_invalid_input_naming_where(self):
        cases = (({"runtime.txt": "python-3.x\n"}, (), "runtime.txt:1: expected `python-X.Y`"),
                 ({"mlpack.yaml": "python: 3.x\n"}, (), "mlpack.yaml:2:9: `python` must be X.Y or X.Y.Z"),
                 ({"mlpack.yaml": "python: '3'\n"}, (), "`python` must be X.Y or X.Y.Z"),
                 ({}, ("--python", "3.11.2.1"), "invalid `--python 3.11.2.1`"),
                 ({}, ("--python", "3"), "invalid `--python 3`"))
        for i, (files, args, message) in enumerate(cases):
            with self.subTest(message=message):
                r = self.mlpack("detect", self.project(files, name=f"bad{i}"), *args, check=False)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(message, r.stderr)


class ProjectsWithoutRequirementFiles(TempTestCase):
    """repo2docker's rule: notebooks or Python scripts and no requirement files still get Python."""

    def project(self, name, files):
        root = self.path(name)
        for rel, (text, mode) in files.items():
            write(os.path.join(root, rel), text, mode=mode)
        return root

    SHEBANG = ("#!/usr/bin/env python3\nprint('hello')\n", 0o755)
    CASES = {
        "notebooks": {"notebooks/analysis.ipynb": ('{"cells": [], "nbformat": 4, "nbformat_minor": 5}', 0o644)},
        "script": {"bin/train": SHEBANG},
        "nested_py": {"src/model/fit.py": ("print('fit')\n", 0o644)},
    }
    NOT_PYTHON = {
        "shell": {"run": ("#!/bin/sh\necho hi\n", 0o755), "README.md": ("# hi\n", 0o644)},
        "not_executable": {"train": ("#!/usr/bin/env python3\n", 0o644)},
        "checkpoints_only": {".ipynb_checkpoints/a-checkpoint.ipynb": ("{}", 0o644)},
    }

    def test_detect_gives_python_to_notebooks_and_python_scripts(self):
        for name, files in self.CASES.items():
            with self.subTest(name):
                root = self.project(name, files)
                d = json.loads(self.mlpack("detect", root, "--json").stdout)
                self.assertIn("pypi", d["ecosystems"], d)
                self.assertIn(f"python: from the base (for {next(iter(files))})", self.mlpack("detect", root).stdout)
        for name, files in self.NOT_PYTHON.items():
            with self.subTest(name):
                d = json.loads(self.mlpack("detect", self.project(name, files), "--json").stdout)
                self.assertNotIn("pypi", d["ecosystems"], d)

    def test_lock_installs_debian_s_python3_for_them(self):
        need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
        work = tempfile.mkdtemp(prefix="mlpack-pyver-apt-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        base = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
        try:
            debs = apt_archive.fetch_debs(apt_archive.closure(base + ["python3"]))
        except apt_archive.FixtureSkip as e:
            self.skipTest(str(e))
        key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
        archive = os.path.join(work, "archive")
        apt_archive.build_archive(archive, debs, key)
        apt_archive.stop_agent(key.home)
        server = apt_archive.Server(archive)
        self.addCleanup(server.stop)
        sources = ("base: debian:bookworm\n"  # the archive holds bookworm's .debs
                   "apt_sources:\n"
                   f"  - url: {server.url}\n    suite: bookworm\n    components: [main]\n"
                   f"    keyring: {os.path.join(work, 'keyring.gpg')}\n")
        python3 = [p["Version"] for p, _ in debs if p["Package"] == "python3"]
        self.assertEqual(len(python3), 1, python3)
        upstream = python3[0].split(":")[-1].split("-")[0].split("+")[0]  # "3.11.2-1+b1" → "3.11.2"

        def lock(name, files):
            root = self.project(name, {**files, "mlpack.yaml": (sources, 0o644)})
            r = self.mlpack("lock", root, "--json", check=False)
            return r, json.loads(r.stdout)

        for name, files in self.CASES.items():
            with self.subTest(name):
                r, doc = lock(name, files)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                names = {p["name"] for p in doc["packages"] if p["ecosystem"] == "deb"}
                self.assertIn("python3", names)
                self.assertEqual(doc["target"]["python"], ".".join(upstream.split(".")[:2]))
        r, doc = lock("shell", self.NOT_PYTHON["shell"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("python3", {p["name"] for p in doc["packages"]})
        # Against the real archive: its own X.Y.Z is accepted, any other patch release refused.
        r, doc = lock("exact", {"runtime.txt": (f"python-{upstream}\n", 0o644)})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        other = upstream.rsplit(".", 1)[0] + ".99"
        r, doc = lock("other", {"runtime.txt": (f"python-{other}\n", 0o644)})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"provides Python {upstream}", doc["error"]["message"])
        r, doc = lock("major", {"runtime.txt": ("python-3\n", 0o644), **self.CASES["notebooks"]})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("python3", {p["name"] for p in doc["packages"]})


if __name__ == "__main__":
    unittest.main()
