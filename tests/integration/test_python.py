"""Python resolution through the real binary: `mlpack detect` and `mlpack lock` of projects with a
requirements.txt or a pyproject.toml, against a generated package index served over HTTP on
loopback, for a target Python that need not exist on this machine. Also every bad input the
Python issue names: each exits with the documented code and a message naming what is wrong."""

import json
import os
import shutil
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, run, write_files  # noqa: E402
from base_image import glibc_base  # noqa: E402
from python_index import Server, build_index  # noqa: E402

PACKAGES = {
    "numpy": {"versions": {
        "1.26.4": {"requires_python": ">=3.9", "wheel_tags": ["cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"]},
        "2.1.0": {"requires_python": ">=3.10", "wheel_tags": [
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp312-cp312-musllinux_1_1_x86_64",
            "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp312-cp312-win_amd64"]},
        "3.0.0": {"requires_python": ">=3.14", "wheel_tags": ["cp314-cp314-manylinux_2_17_x86_64"]},
    }},
    "pandas": {"versions": {
        "2.2.0": {"requires_python": ">=3.9", "requires": ["numpy>=1.26", "python-dateutil>=2.8",
                                                         "pytz; python_version < '3.20'", "tzdata; sys_platform == 'win32'"],
                  "extras": {"excel": ["openpyxl>=3"]},
                  "wheel_tags": ["cp312-cp312-manylinux_2_17_x86_64"]},
    }},
    "python-dateutil": {"versions": {"2.9.0": {"requires_python": ">=3.7", "requires": ["six>=1.5"]}}},
    "six": {"versions": {"1.16.0": {"requires_python": ">=2.7"}, "1.17.0": {"requires_python": ">=2.7", "yanked": True}}},
    "pytz": {"versions": {"2024.1": {"requires_python": None}}},
    "tzdata": {"versions": {"2024.1": {"requires_python": None}}},
    "openpyxl": {"versions": {"3.1.2": {"requires_python": ">=3.8"}}},
    "sdistonly": {"versions": {"1.0": {"requires_python": None, "wheel": False}}},
    "winonly": {"versions": {"1.0": {"requires_python": None, "wheel_tags": ["cp312-cp312-win_amd64"]}}},
    "old": {"versions": {"1.0": {"requires_python": None}, "2.0": {"requires_python": None}}},
    "needs-old1": {"versions": {"1.0": {"requires_python": None, "requires": ["old==1.0"]}}},
}


class PythonLockTest(TempTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.served = tempfile.mkdtemp(prefix="mlpack-pyindex-")
        build_index(PACKAGES, os.path.join(cls.served, "idx"), with_metadata_files=True)
        build_index(PACKAGES, os.path.join(cls.served, "nometa"), with_metadata_files=False)
        cls.server = Server(cls.served)
        cls.index = f"{cls.server.url}/idx/simple/"
        # A base image that says, through its dpkg database, that it has glibc 2.36: manylinux
        # wheels up to 2_36 then fit, whatever the host has.
        cls.base = glibc_base(MLPACK, os.path.join(cls.served, "glibc"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.served, ignore_errors=True)

    def project(self, files, name="proj"):
        return write_files(self.path(name), {"mlpack.yaml": f"base: {self.base}\n", **files})

    def lock(self, project, *args, check=True):
        r = self.mlpack("lock", project, "--python", "3.12", "--json", *args, check=False)
        doc = json.loads(r.stdout)  # one document, success or not
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r, doc

    def pypi(self, doc):
        return {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "pypi"}

    def test_requirements_lock_is_pinned_for_the_target_not_the_host(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\npandas[excel]\n"})
        r, doc = self.lock(project)
        got = self.pypi(doc)
        self.assertEqual({k: v["version"] for k, v in got.items()}, {
            "numpy": "2.1.0", "pandas": "2.2.0", "python-dateutil": "2.9.0", "six": "1.16.0", "pytz": "2024.1",
            "openpyxl": "3.1.2"})
        self.assertEqual(got["numpy"]["wheel"], "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        for p in got.values():
            self.assertRegex(p["sha256"], "^[0-9a-f]{64}$")
            self.assertTrue(p["source"].startswith(self.server.url), p)
        self.assertEqual(doc["target"]["python"], "3.12")
        with open(os.path.join(project, "mlpack.lock")) as f:
            text = f.read()
        self.assertIn("ecosystem: pypi", text)
        self.assertIn("requested", text)
        # The lock is reused while the inputs are unchanged.
        r2, doc2 = self.lock(project)
        self.assertTrue(doc2["reused"])

    def test_range_requests_when_the_index_has_no_metadata_files(self):
        index = f"{self.server.url}/nometa/simple/"
        project = self.project({"requirements.txt": f"--index-url {index}\npandas\n"})
        r, doc = self.lock(project)
        self.assertEqual(self.pypi(doc)["pandas"]["version"], "2.2.0")

    def test_pyproject_with_extras_and_groups(self):
        project = self.project({"pyproject.toml": (
            '[project]\nname = "app"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = ["six"]\n'
            '[project.optional-dependencies]\nxl = ["openpyxl"]\n'
            '[dependency-groups]\ndev = ["pytz", {include-group = "more"}]\nmore = ["tzdata"]\n')})
        env = dict(os.environ, PIP_INDEX_URL=self.index, MLPACK_CACHE_DIR=self.cache)
        r = run([MLPACK, "lock", project, "--python", "3.12", "--json"], env=env)
        self.assertEqual(set(self.pypi(json.loads(r.stdout))), {"six"})
        r = run([MLPACK, "lock", project, "--python", "3.12", "--json", "--extra", "xl", "--group", "dev"], env=env)
        self.assertEqual(set(self.pypi(json.loads(r.stdout))), {"six", "openpyxl", "pytz", "tzdata"})

    def test_project_requires_python_the_target_does_not_meet(self):
        project = self.project({"pyproject.toml": '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.13"\n'})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("3.13", doc["error"]["message"])

    def test_relative_project_paths(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\nsix\n"}, name="rel")
        r = run([MLPACK, "detect", "rel", "--json"], env=dict(os.environ), cwd=self.tmp)
        self.assertEqual([q["name"] for q in json.loads(r.stdout)["requirements"]], ["six"])
        self.assertTrue(os.path.isdir(project))

    def test_detect_reports_requirements_as_pip_parses_them(self):
        project = self.project({
            "requirements.txt": (f"--index-url {self.index}\n-r more.txt\n# comment\n"
                                 "pandas[excel] >=2 ; python_version >= '3.9'  # trailing\n"
                                 "six==1.16.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"),
            "more.txt": "numpy>=1.26,<3\n",
            "runtime.txt": "python-3.12\n"})
        r = run([MLPACK, "detect", project, "--json"])
        doc = json.loads(r.stdout)
        reqs = {q["name"]: q for q in doc["requirements"]}
        self.assertEqual(reqs["pandas"]["extras"], ["excel"])
        self.assertEqual(reqs["pandas"]["specifier"], ">=2")
        self.assertEqual(reqs["pandas"]["marker"], 'python_version >= "3.9"')
        self.assertEqual(reqs["pandas"]["line"], 4)
        self.assertEqual(reqs["numpy"]["file"], "more.txt")
        self.assertEqual(reqs["six"]["hashes"], ["sha256:" + "a" * 64])
        self.assertEqual(doc["python"], "3.12")
        self.assertIn("pypi", doc["ecosystems"])
        self.assertEqual(doc["indexes"], [self.index])

    # --- bad input ---------------------------------------------------------------------------

    def test_malformed_requirement_names_file_and_line(self):
        project = self.project({"requirements.txt": "six\nnumpy >= = 2\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("requirements.txt:2", doc["error"]["message"])
        r = self.mlpack("detect", project, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("requirements.txt:2", r.stderr)

    def test_recursive_include_is_invalid_input(self):
        project = self.project({"requirements.txt": "-r a.txt\n", "a.txt": "-r requirements.txt\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 2, doc)
        self.assertIn("a.txt", doc["error"]["message"])

    def test_unreachable_index_is_named(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        index = f"http://user:secret@127.0.0.1:{port}/simple/"
        project = self.project({"requirements.txt": f"--index-url {index}\nsix\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertIn(f"127.0.0.1:{port}", doc["error"]["message"])
        self.assertNotIn("secret", r.stdout + r.stderr)

    def test_index_that_answers_404_is_named(self):
        index = f"{self.server.url}/no-such-index/simple/"
        project = self.project({"requirements.txt": f"--index-url {index}\nsix\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertIn("six", doc["error"]["message"])
        self.assertIn("/no-such-index/simple/", doc["error"]["message"])

    def test_hash_that_differs_from_the_index(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\nsix==1.16.0 --hash=sha256:{'0' * 64}\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertEqual(doc["error"]["kind"], "integrity")
        self.assertIn("six", doc["error"]["message"])

    def test_conflicting_pins_are_explained(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\nold==2.0\nneeds-old1\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertEqual(doc["error"]["kind"], "unsatisfiable")
        message = doc["error"]["message"]
        self.assertIn("needs-old1 1.0", message)
        self.assertIn("old==1.0", message)
        self.assertIn("old==2.0", message)

    def test_sdist_only_package_names_it_and_the_wheels_that_exist(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\nsdistonly\n"})
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertIn("sdistonly 1.0 has only an sdist", doc["error"]["message"])
        project = self.project({"requirements.txt": f"--index-url {self.index}\nwinonly\n"}, name="win")
        r, doc = self.lock(project, check=False)
        self.assertEqual(r.returncode, 1, doc)
        self.assertIn("winonly-1.0-cp312-cp312-win_amd64.whl", doc["error"]["message"])

    def test_locked_refuses_a_stale_python_lock(self):
        project = self.project({"requirements.txt": f"--index-url {self.index}\nsix\n"})
        self.lock(project)
        with open(os.path.join(project, "requirements.txt"), "a") as f:
            f.write("pytz\n")
        r = self.mlpack("build", project, "--python", "3.12", "--locked", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("Python requirements", r.stderr)

    def test_json_failure_is_one_document(self):
        r = self.mlpack("lock", self.path("does-not-exist"), "--json", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("error", json.loads(r.stdout))
        r = self.mlpack("lock", "--no-such-flag", "--json", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("error", json.loads(r.stdout))


if __name__ == "__main__":
    unittest.main()
