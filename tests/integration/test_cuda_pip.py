"""pip follows the CUDA decision (issue 14 item 2): the torch family comes from the PyTorch backend
index of the decision (`<pytorch-index>/cuXYZ`, the newest backend not above X.Y that has the version,
or `/cpu` for none), local versions (`+cu121`) are honoured in pins and in the lock, and nvidia-*-cuNN
wheels of another major than the decision's, or any under none, are refused naming the chain of
requirements that pulled them in. Against a PyTorch-style index (tests/fixtures/pytorch_index.py) and
a PyPI-style one (python_index.py) on loopback; `mlpack lock` for a target Python that need not exist
here."""

import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, run  # noqa: E402
from base_image import glibc_base  # noqa: E402
import python_index  # noqa: E402
import pytorch_index  # noqa: E402

LINUX = 'platform_system == "Linux" and platform_machine == "x86_64"'
NVIDIA_TAG = "py3-none-manylinux1_x86_64"

# The backends, as download.pytorch.org has them for torch 2.3.1: the CUDA builds require the
# nvidia wheels of their major (pinned, with the Linux x86_64 marker, as the real wheels do).
BACKENDS = {
    "cpu": {"torch": {"2.3.1": {"requires": ["filelock"]}}},
    "cu118": {"torch": {"2.3.1": {"requires": ["filelock", f"nvidia-cublas-cu11==11.11.3.6; {LINUX}"]}}},
    "cu121": {"torch": {"2.3.1": {"requires": ["filelock", f"nvidia-cublas-cu12==12.1.3.1; {LINUX}"]}},
              "torchvision": {"0.18.1": {"requires": ["torch==2.3.1"]}}},
    # cu124 starts at torch 2.4 (and has no torchvision here: 403, as the real index answers).
    "cu124": {"torch": {"2.4.0": {"requires": ["filelock", f"nvidia-cublas-cu12==12.4.2.65; {LINUX}"]}}},
}

# The project's own index (PyPI's part): the nvidia wheels, filelock, and a plain torch 2.3.1 that
# must never be chosen for the torch family.
PYPI = {
    "filelock": {"versions": {"3.13.1": {"requires_python": ">=3.8"}}},
    "nvidia-cublas-cu11": {"versions": {"11.11.3.6": {"requires_python": ">=3", "wheel_tags": [NVIDIA_TAG]}}},
    "nvidia-cublas-cu12": {"versions": {"12.1.3.1": {"requires_python": ">=3", "wheel_tags": [NVIDIA_TAG]},
                                        "12.4.2.65": {"requires_python": ">=3", "wheel_tags": [NVIDIA_TAG]}}},
    "torch": {"versions": {"2.3.1": {"requires_python": ">=3.8"}}},
    "speech-kit": {"versions": {"1.0": {"requires_python": ">=3.8", "requires": ["audio-ops>=2"]}}},
    "audio-ops": {"versions": {"2.0": {"requires_python": ">=3.8", "requires": ["nvidia-cublas-cu11"]}}},
    "tensorflow": {"versions": {"2.16.1": {"requires_python": ">=3.8",
                                           "extras": {"and-cuda": ["nvidia-cublas-cu12==12.1.3.1"]}}}},
    "jax": {"versions": {"0.4.30": {"requires_python": ">=3.8",
                                    "extras": {"cuda12-pip": ["nvidia-cublas-cu12==12.1.3.1"],
                                               "cuda11-pip": ["nvidia-cublas-cu11"]}}}},
}


class CudaPip(TempTestCase):
    @classmethod
    def setUpClass(cls):
        cls.served = tempfile.mkdtemp(prefix="mlpack-cuda-pip-")
        pytorch_index.build_pytorch_index(BACKENDS, cls.served)
        python_index.build_index(PYPI, os.path.join(cls.served, "pypi"))
        cls.server = pytorch_index.Server(cls.served)
        cls.pytorch = f"{cls.server.url}/whl"
        cls.index = f"{cls.server.url}/pypi/simple/"
        cls.base = glibc_base(MLPACK, os.path.join(cls.served, "glibc"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.served, ignore_errors=True)

    def project(self, requirements, mlpack_yaml=""):
        self.count = getattr(self, "count", 0) + 1
        root = self.path(f"proj{self.count}")
        os.makedirs(root)
        with open(os.path.join(root, "mlpack.yaml"), "w") as f:
            f.write(f"base: {self.base}\n" + mlpack_yaml)
        with open(os.path.join(root, "requirements.txt"), "w") as f:
            f.write(f"--index-url {self.index}\n" + requirements)
        return root

    def lock(self, project, *args, check=True, env=None, pytorch=True):
        extra = ["--pytorch-index", self.pytorch] if pytorch else []
        e = dict(os.environ if env is None else env)
        e["MLPACK_CACHE_DIR"] = self.cache
        r = run([MLPACK, "lock", project, "--python", "3.12", "--json", *extra, *args], check=False, env=e)
        r.doc = json.loads(r.stdout) if r.stdout.strip() else None
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def pypi(self, doc):
        return {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "pypi"}

    def error(self, r):
        return r.doc["error"]["message"] if r.doc and "error" in r.doc else r.stdout + r.stderr

    def test_framework_default_takes_the_backend_of_its_cuda(self):
        # torch==2.3.1 decides CUDA 12.1 (its PyPI default): torch 2.3.1+cu121 from /whl/cu121, never
        # the project index's plain torch; its nvidia-cublas-cu12 from the project's index.
        d = self.project("torch==2.3.1\n")
        doc = self.lock(d).doc
        got = self.pypi(doc)
        self.assertEqual(doc["target"]["cuda"], "12.1")
        self.assertEqual(got["torch"]["version"], "2.3.1+cu121")
        self.assertTrue(got["torch"]["source"].startswith(f"{self.pytorch}/cu121/torch-2."), got["torch"])
        self.assertEqual(got["torch"]["wheel"], "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl")
        self.assertEqual(got["nvidia-cublas-cu12"]["version"], "12.1.3.1")
        self.assertTrue(got["nvidia-cublas-cu12"]["source"].startswith(f"{self.server.url}/pypi/"))
        self.assertEqual(set(got), {"torch", "filelock", "nvidia-cublas-cu12"})
        with open(os.path.join(d, "mlpack.lock")) as f:
            text = f.read()
        self.assertIn("2.3.1+cu121", text)
        # The lock is reused, and installs the same local version.
        again = self.lock(d).doc
        self.assertTrue(again["reused"])
        # detect says where the torch family comes from.
        det = json.loads(run([MLPACK, "detect", "--json", d, "--pytorch-index", self.pytorch]).stdout)
        self.assertEqual(det["torch_indexes"], [f"{self.pytorch}/cu121/"])

    def test_one_line_of_mlpack_yaml_picks_the_variant_never_the_machine(self):
        # The promise: cu121, cu118 or cpu wheels by changing one line of mlpack.yaml. A
        # GPU on the build machine (an nvidia-smi that answers) changes nothing.
        bin_dir = self.path("gpu-bin")
        os.makedirs(bin_dir)
        smi = os.path.join(bin_dir, "nvidia-smi")
        with open(smi, "w") as f:
            f.write("#!/bin/sh\necho 550.54.14\n")
        os.chmod(smi, 0o755)
        gpu_env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])
        for line, torch, nvidia in (('cuda: "12.1"\n', "2.3.1+cu121", "nvidia-cublas-cu12"),
                                    ('cuda: "11.8"\n', "2.3.1+cu118", "nvidia-cublas-cu11"),
                                    ("cuda: none\n", "2.3.1+cpu", None)):
            for env in (None, gpu_env):
                d = self.project("torch==2.3.1\n", line)
                got = self.pypi(self.lock(d, env=env).doc)
                self.assertEqual(got["torch"]["version"], torch, line)
                self.assertEqual([n for n in got if n.startswith("nvidia-")], [nvidia] if nvidia else [], line)

    def test_cuda_12_4_takes_the_newest_backend_not_above_it_that_has_the_version(self):
        d = self.project("torch==2.3.1\ntorchvision\n")
        got = self.pypi(self.lock(d, "--cuda", "12.4").doc)
        self.assertEqual(got["torch"]["version"], "2.3.1+cu121")  # cu124 has only 2.4.0
        self.assertEqual(got["torchvision"]["version"], "0.18.1+cu121")  # cu124 answers 403
        # Unpinned, 2.4.0 from cu124 is the newest.
        d = self.project("torch\n")
        got = self.pypi(self.lock(d, "--cuda", "12.4").doc)
        self.assertEqual(got["torch"]["version"], "2.4.0+cu124")
        self.assertEqual(got["nvidia-cublas-cu12"]["version"], "12.4.2.65")

    def test_none_takes_the_cpu_build(self):
        d = self.project("torch==2.3.1\n")
        doc = self.lock(d, "--cuda", "none").doc
        got = self.pypi(doc)
        self.assertIsNone(doc["target"]["cuda"])
        self.assertEqual(got["torch"]["version"], "2.3.1+cpu")
        self.assertTrue(got["torch"]["source"].startswith(f"{self.pytorch}/cpu/torch-2."), got["torch"])
        self.assertFalse([n for n in got if n.startswith("nvidia-")])

    def test_explicit_local_pin_decides_and_is_honoured(self):
        d = self.project("torch==2.3.1+cu118\n")
        doc = self.lock(d).doc
        got = self.pypi(doc)
        self.assertEqual(doc["target"]["cuda"], "11.8")
        self.assertEqual(got["torch"]["version"], "2.3.1+cu118")
        self.assertTrue(got["torch"]["source"].startswith(f"{self.pytorch}/cu118/torch-2."), got["torch"])
        self.assertEqual(got["nvidia-cublas-cu11"]["version"], "11.11.3.6")

    def test_environment_variable_names_the_pytorch_index(self):
        d = self.project("torch==2.3.1\n")
        env = dict(os.environ, MLPACK_PYTORCH_INDEX=self.pytorch + "/")
        got = self.pypi(self.lock(d, env=env, pytorch=False).doc)
        self.assertTrue(got["torch"]["source"].startswith(f"{self.pytorch}/cu121/torch-2."), got["torch"])
        # The flag wins over the variable.
        env["MLPACK_PYTORCH_INDEX"] = "http://127.0.0.1:9/whl"
        d = self.project("torch==2.3.1\n")
        got = self.pypi(self.lock(d, env=env).doc)
        self.assertEqual(got["torch"]["version"], "2.3.1+cu121")
        bad = self.lock(d, "--pytorch-index", "download.pytorch.org/whl", check=False, pytorch=False)
        self.assertEqual(bad.returncode, 2, bad.stdout + bad.stderr)
        self.assertIn("--pytorch-index", self.error(bad))

    def test_project_that_names_its_pytorch_index_keeps_it(self):
        d = self.project(f"--extra-index-url {self.pytorch}/cu118\ntorch==2.3.1\n")
        doc = self.lock(d, pytorch=False).doc
        got = self.pypi(doc)
        self.assertEqual(doc["target"]["cuda"], "11.8")
        self.assertEqual(got["torch"]["version"], "2.3.1+cu118")
        self.assertTrue(got["torch"]["source"].startswith(f"{self.pytorch}/cu118/torch-2."), got["torch"])

    def test_cuda_11_wheels_under_a_12_decision_name_the_chain(self):
        d = self.project("torch==2.3.1\nspeech-kit==1.0\n")
        r = self.lock(d, check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        message = self.error(r)
        self.assertIn("the project's CUDA is 12.1", message)
        self.assertIn("nvidia-cublas-cu11 11.11.3.6 (CUDA 11), pulled in by speech-kit==1.0 (requirements.txt:3) → "
                      "speech-kit 1.0 → audio-ops 2.0 → nvidia-cublas-cu11 11.11.3.6", message)
        self.assertNotIn("nvidia-cublas-cu12 ", message)
        self.assertFalse(os.path.exists(os.path.join(d, "mlpack.lock")))

    def test_nvidia_wheels_under_none_are_refused(self):
        d = self.project("nvidia-cublas-cu12==12.1.3.1\n")
        r = self.lock(d, "--cuda", "none", check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        message = self.error(r)
        self.assertIn("the project's CUDA is none (--cuda none", message)
        self.assertIn("nvidia-cublas-cu12 12.1.3.1 (CUDA 12), pulled in by nvidia-cublas-cu12==12.1.3.1 "
                      "(requirements.txt:2)", message)
        # A CUDA 12.x setting with a cu11 pin: the pin is not there for the decision's backends.
        d = self.project("torch==2.3.1+cu118\n")
        r = self.lock(d, "--cuda", "12.1", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("`torch` has 2.3.1+cu121, listed by " + f"{self.pytorch}/cu121/", self.error(r))

    def test_tensorflow_and_jax_get_the_extra_that_matches(self):
        # tensorflow[and-cuda]: its CUDA wheels under a CUDA decision, none under none.
        d = self.project("tensorflow[and-cuda]==2.16.1\n")
        doc = self.lock(d).doc
        self.assertEqual(doc["target"]["cuda"], "12.3")
        self.assertIn("nvidia-cublas-cu12", self.pypi(doc))
        d = self.project("tensorflow[and-cuda]==2.16.1\n")
        self.assertEqual(set(self.pypi(self.lock(d, "--cuda", "none").doc)), {"tensorflow"})
        # jax[cuda12_pip] under CUDA 11.8 takes jax[cuda11_pip]; under none, plain jax.
        d = self.project("jax[cuda12_pip]==0.4.30\n")
        got = self.pypi(self.lock(d, "--cuda", "11.8").doc)
        self.assertEqual(set(got), {"jax", "nvidia-cublas-cu11"})
        d = self.project("jax[cuda12_pip]==0.4.30\n")
        self.assertEqual(set(self.pypi(self.lock(d, "--cuda", "none").doc)), {"jax"})

    def test_a_cuda_without_a_pytorch_build_says_which_exist(self):
        d = self.project("torch==2.3.1\n")
        r = self.lock(d, "--cuda", "12.0", check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        message = self.error(r)
        self.assertIn("PyTorch publishes no build for CUDA 12 at or below it", message)
        self.assertIn("cu121", message)


if __name__ == "__main__":
    import unittest
    unittest.main()
