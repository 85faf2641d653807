"""One CUDA library reaching the image from two ecosystems (issue 14 item 6): a real shared object
built here with gcc (soname libcudart.so.12) is in a conda package of a local channel
(tests/fixtures/conda_channel.py) and in an nvidia-cuda-runtime-cu12 wheel of a local index
(tests/fixtures/python_index.py) that the environment's `pip:` list installs. `mlpack build` warns,
naming both paths and the bytes wasted, on stderr and in `--json` `warnings`; a warm rebuild, every
layer from the cache and no file read, warns alike; one copy gives no warning. The Debian base comes
from a small real signed apt archive (tests/fixtures/apt_archive.py), as in test_conda_build.py."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, need, run, write  # noqa: E402

import apt_archive  # noqa: E402
from conda_channel import build_channel  # noqa: E402
from python_index import Server, build_index, publish_files, write_wheel  # noqa: E402

OS_PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
STATE = {}
WHEEL_PATH = "opt/conda/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12"
CONDA_PATH = "opt/conda/lib/libcudart.so.12.0.107"


def shared_object(work, soname, padding):
    """A real shared library with DT_SONAME `soname`, made larger by `padding` bytes of data."""
    src = os.path.join(work, "cudart.c")
    with open(src, "w") as f:
        f.write(f"static const char pad[{padding}] = {{1}};\n"
                "int cudaRuntimeGetVersion(int *v) { *v = 12000 + pad[0]; return 0; }\n")
    out = os.path.join(work, soname + ".built")
    subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", out, src], check=True)
    with open(out, "rb") as f:
        return f.read()


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "zstd", "gcc")
    work = tempfile.mkdtemp(prefix="mlpack-cuda-libs-")
    STATE["work"] = work
    STATE["apt"], STATE["keyring"] = apt_archive.serve_closure(work, OS_PACKAGES)

    # Two builds of one library, as conda-forge's cuda-cudart and NVIDIA's wheel are: one soname.
    conda_so = shared_object(work, "libcudart.so.12", 200_000)
    wheel_so = shared_object(work, "libcudart.so.12", 150_000)
    STATE["sizes"] = {CONDA_PATH: len(conda_so), WHEEL_PATH: len(wheel_so)}
    served = os.path.join(work, "served")
    build_channel(os.path.join(served, "chan"), [
        {"name": "python", "version": "3.11.9", "build": "h0_0_cpython",
         "files": {"bin/python3.11": b"#!/bin/sh\necho fake python \"$@\"\n"},
         "symlinks": {"bin/python": "python3.11", "bin/python3": "python3.11"}},
        {"name": "cuda-cudart", "version": "12.0.107", "build": "h0_0",
         "files": {"lib/libcudart.so.12.0.107": conda_so}, "modes": {"lib/libcudart.so.12.0.107": 0o755},
         "symlinks": {"lib/libcudart.so.12": "libcudart.so.12.0.107"}},
        {"name": "pip", "version": "24.0", "build": "pyh0_0", "subdir": "noarch", "noarch": "python",
         "depends": ["python >=3.8"], "files": {"site-packages/pip/__init__.py": b"def main():\n    pass\n"},
         "entry_points": ["pip = pip:main"]},
    ])
    pypi = os.path.join(served, "pypi")
    build_index({"six": {"versions": {"1.16.0": {"requires_python": ">=3"}}}}, pypi)
    dist = "nvidia_cuda_runtime_cu12-12.1.105.dist-info"
    wheel = os.path.join(work, "nvidia_cuda_runtime_cu12-12.1.105-py3-none-any.whl")
    write_wheel(wheel, {
        "nvidia/__init__.py": b"",
        "nvidia/cuda_runtime/__init__.py": b"",
        "nvidia/cuda_runtime/lib/__init__.py": b"",
        "nvidia/cuda_runtime/lib/libcudart.so.12": wheel_so,
        f"{dist}/METADATA": b"Metadata-Version: 2.1\nName: nvidia-cuda-runtime-cu12\nVersion: 12.1.105\n"
                            b"Requires-Python: >=3\n",
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mlpack-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }, modes={"nvidia/cuda_runtime/lib/libcudart.so.12": 0o755})
    publish_files(pypi, [wheel])
    STATE["served"] = Server(served)


def tearDownModule():
    for k in ("apt", "served"):
        if k in STATE:
            STATE[k].stop()
    if "work" in STATE:
        shutil.rmtree(STATE["work"], ignore_errors=True)


class CudaLibraries(TempTestCase):
    def project(self, name, deps, pip=None):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"),
              apt_archive.apt_sources_yaml(STATE["apt"], STATE["keyring"]) +
              # A pip: list's nvidia-* wheel decides no CUDA by itself (the decision reads the
              # ecosystems' hints): named here, as a project with such a list does.
              "cuda: \"12.1\"\n")
        env = ("name: cuda-env\nchannels:\n" f"  - {STATE['served'].url}/chan\n" "dependencies:\n" +
               "".join(f"  - {x}\n" for x in deps))
        if pip:
            env += "  - pip:\n" + "".join(f"    - {x}\n" for x in pip)
        write(os.path.join(d, "environment.yml"), env)
        return d

    def build(self, project, out):
        env = dict(os.environ)
        for k in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR"):
            env.pop(k, None)
        env["MLPACK_CACHE_DIR"] = self.cache
        r = run([MLPACK, "build", project, "--json", "-o", out], env=env, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r, json.loads(r.stdout)

    def cudart_warnings(self, texts):
        return [w for w in texts if "libcudart.so.12 is in the image" in w]

    def test_the_same_library_from_conda_and_pip_is_named_cold_and_warm(self):
        project = self.project("both", ["python=3.11", "pip", "cuda-cudart"],
                               pip=[f"--index-url {STATE['served'].url}/pypi/simple/", "nvidia-cuda-runtime-cu12==12.1.105"])
        r, doc = self.build(project, f"oci:{self.path('cold')}:t")
        warned = self.cudart_warnings(doc["warnings"])
        self.assertEqual(len(warned), 1, doc["warnings"])
        w = warned[0]
        sizes = STATE["sizes"]
        self.assertTrue(w.startswith("libcudart.so.12 is in the image twice: "), w)
        # Bottom layer first: conda's package, then the pip list's layer above it, each named by its
        # layer (its one package when it holds one: a layer's files are not yet told apart by package).
        self.assertRegex(w, " " + re.escape(f"/{CONDA_PATH} (conda: ") + r".*cuda-cudart 12\.0\.107.* and ")
        self.assertIn(f" and /{WHEEL_PATH} (conda pip: ", w)
        self.assertLess(w.index(CONDA_PATH), w.index(WHEEL_PATH))
        wasted = min(sizes.values())
        self.assertTrue(w.endswith(" wasted"), w)
        self.assertIn(f"{wasted / 1024:.1f} KiB wasted", w)
        # The same words reach people on stderr.
        self.assertIn(w, r.stderr)
        # The symlink libcudart.so.12 -> libcudart.so.12.0.107 is no third copy.
        self.assertNotIn("opt/conda/lib/libcudart.so.12 ", w)
        # --json lists it with each copy and the bytes wasted.
        [dup] = doc["duplicate_libraries"]
        self.assertEqual(dup["soname"], "libcudart.so.12")
        self.assertEqual(sorted(c["path"].lstrip("/") for c in dup["copies"]), sorted(sizes))
        self.assertEqual(dup["wasted"], wasted)

        # Warm: every layer from the cache, no package unpacked, the same warning.
        r2, warm = self.build(project, f"oci:{self.path('warm')}:t")
        self.assertEqual(warm["image"]["digest"], doc["image"]["digest"])
        ours = [l for l in warm["image"]["layers"] if l["contents"].startswith("conda")]
        self.assertTrue(ours and all(l["cached"] for l in ours), ours)
        self.assertEqual(self.cudart_warnings(warm["warnings"]), warned)
        self.assertIn(w, r2.stderr)

    def test_one_copy_gives_no_warning(self):
        project = self.project("one", ["python=3.11", "cuda-cudart"])
        r, doc = self.build(project, f"oci:{self.path('out-one')}:t")
        self.assertEqual(self.cudart_warnings(doc["warnings"]), [])
        self.assertEqual(doc["duplicate_libraries"], [])
        self.assertNotIn("is in the image twice", r.stderr)
        project = self.project("wheel", ["python=3.11", "pip"],
                               pip=[f"--index-url {STATE['served'].url}/pypi/simple/", "nvidia-cuda-runtime-cu12==12.1.105"])
        r, doc = self.build(project, f"oci:{self.path('out-wheel')}:t")
        self.assertEqual(self.cudart_warnings(doc["warnings"]), [])
        self.assertNotIn("is in the image twice", r.stderr)


if __name__ == "__main__":
    unittest.main()
