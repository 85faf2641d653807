"""The CUDA decision (issue 14): `mlpack detect` decides from the project's files alone (an explicit
variant, else a framework's default on PyPI, else none; mlpack.yaml `cuda`, and `--cuda` over it),
two contradicting variants are exit 2 naming both places, the lock records the decision, the
image says what it needs (NVIDIA_* Env, the CUDA and driver-floor labels), and `mlpack check-gpu`
reads that back against a driver.

Detection needs nothing but the binary. The build runs against the small signed apt archive of
tests/fixtures/apt_archive.py (real .debs served on loopback), as test_build.py does."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, need, run, write  # noqa: E402
import apt_archive  # noqa: E402

PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged",
            "python3", "libgomp1"]
REF_NAME = "org.opencontainers.image.ref.name"


class Detect(TempTestCase):
    def project(self, files):
        self.count = getattr(self, "count", 0) + 1
        d = self.path(f"proj{self.count}")
        for name, text in files.items():
            write(os.path.join(d, name), text)
        return d

    def detect(self, files, *args, check=True):
        d = self.project(files)
        r = run([MLPACK, "detect", "--json", d, *args], check=check)
        r.doc = json.loads(r.stdout) if r.stdout.strip() else None
        return r

    def cuda(self, files, *args):
        return self.detect(files, *args).doc["cuda"]

    def test_local_version(self):
        c = self.cuda({"requirements.txt": "numpy==1.26.4\ntorch==2.3.1+cu121\n"})
        self.assertEqual(c["setting"], "auto")
        self.assertEqual(c["version"], "12.1")
        self.assertEqual(c["reason"], "torch==2.3.1+cu121 (requirements.txt:2)")

    def test_pytorch_backend_index(self):
        c = self.cuda({"requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu118\ntorch==2.3.1\n"})
        self.assertEqual(c["version"], "11.8")
        self.assertIn("https://download.pytorch.org/whl/cu118 (requirements.txt:1)", c["reason"])

    def test_cpu_index_means_none(self):
        c = self.cuda({"requirements.txt": "--index-url https://download.pytorch.org/whl/cpu\ntorch==2.3.1\n"})
        self.assertIsNone(c["version"])
        self.assertIn("a CPU build", c["reason"])

    def test_nvidia_wheels(self):
        c = self.cuda({"requirements.txt": "nvidia-cublas-cu12\n"})
        self.assertEqual(c["version"], "12.0")
        self.assertIn("nvidia-cublas-cu12 (requirements.txt:1)", c["reason"])
        # With a framework of the same major, its X.Y.
        c = self.cuda({"requirements.txt": "nvidia-cublas-cu12\ntorch==2.5.1\n"})
        self.assertEqual(c["version"], "12.4")

    def test_framework_default(self):
        c = self.cuda({"requirements.txt": "torch==2.3.1\n"})
        self.assertEqual(c["version"], "12.1")
        self.assertEqual(c["reason"], "torch==2.3.1 (requirements.txt:1): CUDA 12.1 by default on PyPI")
        c = self.cuda({"pyproject.toml": '[project]\nname = "m"\nversion = "1"\ndependencies = [\n  "numpy",\n'
                                          '  "tensorflow[and-cuda]==2.16.1",\n]\n'})
        self.assertEqual(c["version"], "12.3")
        self.assertIn("pyproject.toml:6", c["reason"])
        # Plain tensorflow brings no CUDA.
        self.assertIsNone(self.cuda({"requirements.txt": "tensorflow==2.16.1\n"})["version"])

    def test_nothing_is_none(self):
        c = self.cuda({"requirements.txt": "numpy==1.26.4\n"})
        self.assertEqual(c, {"setting": "auto", "version": None,
                             "reason": "no GPU framework or CUDA variant in the project"})

    def test_contradiction_is_exit_2_naming_both_places(self):
        files = {"requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu118\n"
                                     "torch==2.3.1+cu121\n"}
        r = self.detect(files, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        message = r.doc["error"]["message"] if r.doc and "error" in r.doc else r.stdout + r.stderr
        self.assertIn("requirements.txt:1", message)
        self.assertIn("requirements.txt:2", message)
        self.assertIn("CUDA 11.8", message)
        self.assertIn("CUDA 12.1", message)
        plain = run([MLPACK, "detect", self.path(f"proj{self.count}")], check=False)
        self.assertEqual(plain.returncode, 2)
        self.assertIn("requirements.txt:1", plain.stderr)
        self.assertIn("requirements.txt:2", plain.stderr)
        # A setting settles it: --cuda none, or mlpack.yaml.
        c = self.cuda(files, "--cuda", "none")
        self.assertEqual(c, {"setting": "none", "version": None, "reason": "--cuda none on the command line"})
        files["mlpack.yaml"] = 'cuda: "11.8"\n'
        c = self.cuda(files)
        self.assertEqual(c["setting"], "11.8")
        self.assertEqual(c["version"], "11.8")
        self.assertIn("mlpack.yaml:1", c["reason"])
        # The command line wins over mlpack.yaml.
        c = self.cuda(files, "--cuda", "12.4")
        self.assertEqual((c["setting"], c["version"]), ("12.4", "12.4"))

    def test_cuda_none_overrides_the_project(self):
        c = self.cuda({"requirements.txt": "torch==2.3.1+cu121\n"}, "--cuda", "none")
        self.assertIsNone(c["version"])
        self.assertEqual(c["setting"], "none")

    def test_bad_settings_are_exit_2(self):
        r = self.detect({"requirements.txt": "torch==2.3.1\n"}, "--cuda", "cu121", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--cuda cu121", r.stdout + r.stderr)
        r = self.detect({"requirements.txt": "torch==2.3.1\n", "mlpack.yaml": "cuda: twelve\n"}, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("mlpack.yaml:1:7", r.stdout + r.stderr)

    def test_people_see_the_decision_and_why(self):
        d = self.project({"requirements.txt": "torch==2.3.1+cu121\n"})
        out = run([MLPACK, "detect", d]).stdout
        self.assertIn("cuda: 12.1, from torch==2.3.1+cu121 (requirements.txt:1)", out)


class Build(TempTestCase):
    """A small project built with a CUDA setting: the lock, the image config, check-gpu."""

    @classmethod
    def setUpClass(cls):
        need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
        cls.work = tempfile.mkdtemp(prefix="mlpack-cuda-")
        cls.server, cls.keyring = apt_archive.serve_closure(cls.work, PACKAGES)
        cls.cache = os.path.join(cls.work, "cache")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def env(self, **extra):
        env = dict(os.environ)
        for k in ("SOURCE_DATE_EPOCH", "CI", "MLPACK_CACHE_DIR"):
            env.pop(k, None)
        env["MLPACK_CACHE_DIR"] = self.cache
        env.update(extra)
        return env

    def project(self, cuda_line):
        d = self.path("gpu")
        write(os.path.join(d, "mlpack.yaml"), apt_archive.apt_sources_yaml(self.server, self.keyring) + cuda_line)
        write(os.path.join(d, "model.txt"), "weights\n")
        return d

    def config(self, project, tag="gpu"):
        layout = os.path.join(project, ".mlpack", "image")
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        [entry] = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_NAME) == tag]

        def blob(d):
            with open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1]), "rb") as f:
                return json.loads(f.read())

        return blob(blob(entry["digest"])["config"]["digest"])

    def check_gpu(self, ref, *args, env=None):
        r = run([MLPACK, "check-gpu", ref, "--json", *args], check=False, env=env or self.env())
        r.doc = json.loads(r.stdout)
        return r

    def test_image_states_its_need_and_check_gpu_reads_it(self):
        d = self.project('cuda: "12.1"\n')
        r = run([MLPACK, "build", d, "--json"], env=self.env())
        doc = json.loads(r.stdout)
        self.assertEqual(doc["target"]["cuda"], "12.1")
        with open(os.path.join(d, "mlpack.lock")) as f:
            self.assertIn('cuda: "12.1"', f.read())
        cfg = self.config(d)["config"]
        for e in ("NVIDIA_REQUIRE_CUDA=cuda>=12.1", "NVIDIA_VISIBLE_DEVICES=all",
                  "NVIDIA_DRIVER_CAPABILITIES=compute,utility"):
            self.assertIn(e, cfg["Env"])
        self.assertEqual(cfg["Labels"]["org.mlpack.cuda.version"], "12.1")
        self.assertEqual(cfg["Labels"]["org.mlpack.cuda.driver-min"], "525.60.13")

        ref = f"oci:{os.path.join(d, '.mlpack', 'image')}:gpu"
        above = self.check_gpu(ref, "--driver", "530.30.02")
        self.assertEqual(above.returncode, 0, above.stdout)
        self.assertEqual((above.doc["runs"], above.doc["cuda"], above.doc["driver_min"], above.doc["driver"]),
                         (True, "12.1", "525.60.13", "530.30.02"))
        below = self.check_gpu(ref, "--driver", "470.57.02")
        self.assertEqual(below.returncode, 1, below.stdout)
        self.assertFalse(below.doc["runs"])
        self.assertIn("older than 525.60.13", below.doc["reason"])
        human = run([MLPACK, "check-gpu", ref, "--driver", "470.57.02"], check=False, env=self.env())
        self.assertEqual(human.returncode, 1)
        self.assertIn("does not run", human.stdout)
        bad = run([MLPACK, "check-gpu", ref, "--driver", "latest"], check=False, env=self.env())
        self.assertEqual(bad.returncode, 2)

        # No --driver: the local nvidia-smi's (a stand-in here), else the floor alone.
        bin_dir = self.path("bin")
        write(os.path.join(bin_dir, "nvidia-smi"), "#!/bin/sh\necho 470.57.02\n", mode=0o755)
        smi = self.check_gpu(ref, env=self.env(PATH=bin_dir + os.pathsep + os.environ["PATH"]))
        self.assertEqual(smi.returncode, 1, smi.stdout)
        self.assertEqual((smi.doc["driver"], smi.doc["driver_source"]), ("470.57.02", "nvidia-smi"))
        empty = self.path("empty-bin")
        os.makedirs(empty, exist_ok=True)
        floor = self.check_gpu(ref, env=self.env(PATH=empty))
        self.assertEqual(floor.returncode, 0, floor.stdout)
        self.assertIsNone(floor.doc["driver"])
        self.assertIn("525.60.13", floor.doc["reason"])

        # Another setting makes the lock stale, naming CUDA.
        stale = run([MLPACK, "build", d, "--locked", "--cuda", "none"], check=False, env=self.env())
        self.assertNotEqual(stale.returncode, 0)
        self.assertIn("CUDA", stale.stderr)

        # none: nothing of the kind in the image; check-gpu says it runs anywhere.
        r = run([MLPACK, "build", d, "--json", "--cuda", "none"], env=self.env())
        self.assertIsNone(json.loads(r.stdout)["target"]["cuda"])
        cfg = self.config(d)["config"]
        self.assertFalse([e for e in cfg.get("Env", []) if e.startswith("NVIDIA_")], cfg.get("Env"))
        self.assertFalse([k for k in cfg.get("Labels", {}) if k.startswith("org.mlpack.cuda")], cfg.get("Labels"))
        cpu = self.check_gpu(ref, "--driver", "470.57.02")
        self.assertEqual(cpu.returncode, 0)
        self.assertIsNone(cpu.doc["cuda"])


if __name__ == "__main__":
    unittest.main()
