"""The requirements-file and Pipfile conformance gaps of issue 15 (item 8), through the real binary:
UTF-16 / UTF-32 files with a BOM, included or not; a local wheel named by path or bare file name,
locked with its hash and refused outside the project; VCS and direct-URL references listed by
`detect --json` with their URL and refused by `lock`; the options pip's requirements-file parser
does not have; a Pipfile without Pipfile.lock resolved from [packages] (and [dev-packages] with
`--group dev`); the binder folder's Pipfile.lock over the root's. Locks run against a generated
index served on loopback, for a base image that only says it has glibc 2.36."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, write_files  # noqa: E402
from base_image import glibc_base  # noqa: E402
from python_index import Server, build_index, make_wheel, metadata_text, sha256_file  # noqa: E402

PACKAGES = {
    "six": {"versions": {"1.16.0": {"requires_python": ">=2.7"}}},
    "attrs": {"versions": {"23.1.0": {"requires_python": ">=3.7"}, "24.2.0": {"requires_python": ">=3.7"}}},
    "pytest": {"versions": {"8.0.0": {"requires_python": ">=3.8", "requires": ["attrs>=22"]}}},
}


def encoded(text, codec):
    """`text` with the BOM of `codec` (utf-16-le, utf-16-be, utf-32-le, utf-32-be) first."""
    return ("\ufeff" + text).encode(codec)


class RequirementsConformanceTest(TempTestCase):
    @classmethod
    def setUpClass(cls):
        cls.served = tempfile.mkdtemp(prefix="mlpack-reqconf-")
        build_index(PACKAGES, os.path.join(cls.served, "idx"))
        cls.server = Server(cls.served)
        cls.index = f"{cls.server.url}/idx/simple/"
        cls.files = os.path.join(cls.served, "idx", "files")
        cls.base = glibc_base(MLPACK, os.path.join(cls.served, "glibc"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.served, ignore_errors=True)

    def project(self, files, name="proj"):
        return write_files(self.path(name), {"mlpack.yaml": f"base: {self.base}\n", **files})

    def wheel(self, project, rel, name, version, requires=()):
        path = os.path.join(project, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        meta = metadata_text(name, version, {"requires_python": ">=3.8", "requires": list(requires)})
        make_wheel(path, name, version, "py3-none-any", meta)
        return path

    def detect(self, project, *args, check=True):
        r = self.mlpack("detect", project, "--json", *args, check=False)
        doc = json.loads(r.stdout)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r, doc

    def lock(self, project, *args, check=True):
        r = self.mlpack("lock", project, "--python", "3.12", "--json", *args, check=False)
        doc = json.loads(r.stdout)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r, doc

    def pypi(self, doc):
        return {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "pypi"}

    # --- encodings --------------------------------------------------------------------------------

    def test_utf16_and_utf32_with_a_bom_in_the_main_file_and_its_includes(self):
        project = self.project({
            "requirements.txt": encoded(f"--index-url {self.index}\nsix\n-r more.txt\n-c constraints.txt\n", "utf-16-be"),
            "more.txt": encoded("# included\nattrs\n-r deeper.txt\n", "utf-32-le"),
            "deeper.txt": encoded("pytest\n", "utf-16-le"),
            "constraints.txt": encoded("attrs<24\n", "utf-32-be"),
        })
        _, doc = self.detect(project)
        got = [(q["name"], q["file"], q["line"], q["constraint"]) for q in doc["requirements"]]
        self.assertEqual(got, [("six", "requirements.txt", 2, False), ("attrs", "more.txt", 2, False),
                               ("pytest", "deeper.txt", 1, False), ("attrs", "constraints.txt", 1, True)])
        for f in ("requirements.txt", "more.txt", "deeper.txt", "constraints.txt"):
            self.assertIn(f, doc["files"])
        _, lock = self.lock(project)
        self.assertEqual({n: p["version"] for n, p in self.pypi(lock).items()},
                         {"six": "1.16.0", "attrs": "23.1.0", "pytest": "8.0.0"})

    # --- local wheels -----------------------------------------------------------------------------

    def test_a_local_wheel_by_path_or_bare_name_is_locked_with_its_hash(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\n"
                                                    "./wheels/foo-1.0-py3-none-any.whl\n"
                                                    "bar-2.0-py3-none-any.whl\n"})
        foo = self.wheel(project, "wheels/foo-1.0-py3-none-any.whl", "foo", "1.0", requires=["six"])
        bar = self.wheel(project, "bar-2.0-py3-none-any.whl", "bar", "2.0")
        _, doc = self.detect(project)
        reqs = {q["name"]: q for q in doc["requirements"]}
        self.assertTrue(reqs["foo"]["url"].startswith("file://"), reqs["foo"])
        self.assertTrue(reqs["foo"]["url"].endswith("/wheels/foo-1.0-py3-none-any.whl"), reqs["foo"])
        self.assertTrue(reqs["bar"]["url"].endswith("/bar-2.0-py3-none-any.whl"))
        _, lock = self.lock(project)
        got = self.pypi(lock)
        self.assertEqual(set(got), {"foo", "bar", "six"})
        self.assertEqual(got["foo"]["version"], "1.0")
        self.assertEqual(got["foo"]["sha256"], sha256_file(foo))
        self.assertEqual(got["bar"]["sha256"], sha256_file(bar))
        self.assertTrue(got["foo"]["source"].startswith("file://"), got["foo"])
        # The same file, the same lock: nothing of the run's temp paths gets in but the project's.
        _, again = self.lock(project)
        self.assertEqual(self.pypi(again), got)

    def test_a_local_wheel_outside_the_project_is_invalid_input(self):
        outside = self.path("elsewhere")
        wheel = self.wheel(outside, "evil-1.0-py3-none-any.whl", "evil", "1.0")
        for line in (wheel, "../elsewhere/evil-1.0-py3-none-any.whl", "file://" + wheel):
            project = self.project({"requirements.txt": f"six\n{line}\n"})
            r, doc = self.lock(project, check=False)
            self.assertEqual(r.returncode, 2, (line, doc))
            self.assertIn("requirements.txt:2", doc["error"]["message"])
            self.assertIn("outside the project", doc["error"]["message"])
            r, _ = self.detect(project, check=False)
            self.assertEqual(r.returncode, 2, line)

    # --- VCS and direct references ----------------------------------------------------------------

    def test_vcs_and_direct_references_are_listed_by_detect_and_refused_by_lock(self):
        lines = {
            "r": "git+https://user:secret@github.com/o/r.git@v1.0#egg=r",
            "pkg": "pkg @ git+https://github.com/o/pkg.git@main",
            "thing": "https://example.com/src/thing-1.0.tar.gz#egg=thing",
        }
        project = self.project({"requirements.txt": "six\n" + "\n".join(lines.values()) + "\n"})
        _, doc = self.detect(project)
        urls = {q["name"]: q["url"] for q in doc["requirements"]}
        self.assertEqual(urls["six"], None)
        self.assertEqual(urls["r"], "git+https://***@github.com/o/r.git@v1.0#egg=r")
        self.assertEqual(urls["pkg"], "git+https://github.com/o/pkg.git@main")
        self.assertEqual(urls["thing"], "https://example.com/src/thing-1.0.tar.gz#egg=thing")
        for name, line in lines.items():
            project = self.project({"requirements.txt": f"--index-url {self.index}\nsix\n{line}\n"}, name=f"p-{name}")
            r, doc = self.lock(project, check=False)
            self.assertEqual(r.returncode, 1, doc)
            message = doc["error"]["message"]
            self.assertIn("requirements.txt:3", message)
            self.assertIn(f"`{name}`", message)
            self.assertNotIn("secret", message)
            self.assertIn("VCS reference" if name != "thing" else "not a wheel", message)

    # --- options ------------------------------------------------------------------------------------

    def test_options_pip_rejects_are_invalid_input(self):
        for option in ("--user", "--upgrade", "--no-deps", "--install-option=--prefix=/x", "-U"):
            project = self.project({"requirements.txt": f"six\nattrs {option}\n"}, name="opt")
            r, doc = self.lock(project, check=False)
            self.assertEqual(r.returncode, 2, (option, doc))
            self.assertTrue(doc["error"]["message"].find("requirements.txt:2: unknown option") >= 0, doc)

    # --- Pipfile ------------------------------------------------------------------------------------

    def pipfile(self, packages, dev="", requires='[requires]\npython_version = "3.12"\n'):
        return (f'[[source]]\nurl = "{self.index}"\nverify_ssl = false\nname = "local"\n\n'
                f"[packages]\n{packages}\n[dev-packages]\n{dev}\n{requires}")

    def test_a_pipfile_without_its_lock_is_resolved_from_its_packages(self):
        project = self.project({"Pipfile": self.pipfile('six = "*"\nattrs = {version = "<24"}\n', dev='pytest = ">=8"\n')})
        _, doc = self.detect(project)
        self.assertIn("Pipfile", doc["files"])
        self.assertEqual(doc["python"], "3.12")
        self.assertEqual(doc["indexes"], [self.index])
        self.assertEqual([(q["name"], q["file"]) for q in doc["requirements"]],
                         [("six", "Pipfile"), ("attrs", "Pipfile"), ("pytest", "Pipfile")])
        self.assertEqual([q["group"] for q in doc["requirements"]], [None, None, "dev"])
        _, lock = self.lock(project)
        self.assertEqual({n: p["version"] for n, p in self.pypi(lock).items()}, {"six": "1.16.0", "attrs": "23.1.0"})
        _, dev = self.lock(project, "--group", "dev")
        self.assertEqual({n: p["version"] for n, p in self.pypi(dev).items()},
                         {"six": "1.16.0", "attrs": "23.1.0", "pytest": "8.0.0"})
        self.assertEqual(self.pypi(dev)["pytest"].get("sha256"), sha256_file(os.path.join(self.files, "pytest-8.0.0-py3-none-any.whl")))

    def test_a_pipfile_git_package_is_listed_and_refused(self):
        project = self.project({"Pipfile": self.pipfile('six = "*"\nmylib = {git = "https://github.com/o/mylib.git", ref = "v1"}\n')})
        _, doc = self.detect(project)
        urls = {q["name"]: q["url"] for q in doc["requirements"]}
        self.assertEqual(urls["mylib"], "git+https://github.com/o/mylib.git@v1")
        r, lock = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, lock)
        self.assertIn("Pipfile:", lock["error"]["message"])
        self.assertIn("VCS reference", lock["error"]["message"])

    def test_a_malformed_pipfile_is_invalid_input_naming_line_and_column(self):
        project = self.project({"Pipfile": '[packages]\nsix = 3\n'})
        r, doc = self.detect(project, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("Pipfile:2:7", doc["error"]["message"])

    def test_the_binder_folders_pipfile_lock_wins_over_the_roots(self):
        def pipfile_lock(name, version):
            fn = f"{name}-{version}-py3-none-any.whl"
            return json.dumps({
                "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {"python_version": "3.12"},
                          "sources": [{"name": "local", "url": self.index, "verify_ssl": False}]},
                "default": {name: {"hashes": ["sha256:" + sha256_file(os.path.join(self.files, fn))],
                                   "version": f"=={version}"}},
                "develop": {}}, indent=4) + "\n"
        project = self.project({
            "Pipfile": self.pipfile('attrs = "*"\n'), "Pipfile.lock": pipfile_lock("attrs", "24.2.0"),
            "binder/Pipfile": self.pipfile('six = "*"\n'), "binder/Pipfile.lock": pipfile_lock("six", "1.16.0")})
        _, doc = self.detect(project)
        self.assertIn("binder/Pipfile.lock", doc["files"])
        self.assertNotIn("Pipfile.lock", doc["files"])
        _, lock = self.lock(project)
        self.assertEqual({n: p["version"] for n, p in self.pypi(lock).items()}, {"six": "1.16.0"})


if __name__ == "__main__":
    unittest.main()
