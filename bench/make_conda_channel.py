#!/usr/bin/env python3
"""Writes a conda-forge-like channel for bench/conda_solve_bench.sh: what the real pytorch channel's
packages depend on but do not ship (python, numpy, mkl, pytorch-mutex, the CUDA libraries, ...),
many versions and builds of each, as linux-64 and noarch repodata.json.

The pytorch channel's own records are read to know which names are needed and which versions its
specs ask for (`gnutls >=3.6.5,<3.7.0a0` gets a gnutls 3.6.5), so every record in it can be
installed; the rest is generated: a Python 3.7-3.12 interpreter series, compiled Python packages
with one build per Python minor, noarch Python packages, C libraries with a few build numbers.
Deterministic (a fixed seed): the same output on every run.

usage: make_conda_channel.py PYTORCH_LINUX64_REPODATA OUT_DIR
"""
import hashlib
import json
import os
import random
import re
import sys

PYTHON_MINORS = [7, 8, 9, 10, 11, 12]
# Compiled packages: one build per Python minor.
COMPILED_PY = {"numpy", "pillow", "pyyaml", "psutil", "cffi", "scipy", "markupsafe", "sympy_core", "pycosat",
               "zstandard", "brotli-python", "charset-normalizer-c", "aiohttp", "pandas"}
# Pure-Python packages: noarch.
NOARCH_PY = {"filelock", "jinja2", "networkx", "sympy", "typing_extensions", "requests", "tqdm", "six", "future",
             "dataclasses", "enum34", "urllib3", "idna", "certifi", "charset-normalizer", "mpmath", "portalocker",
             "librosa", "setuptools", "packaging", "fsspec", "pysocks", "torchdata-extras", "sortedcontainers"}
# What the generated packages depend on, beyond python (name -> [dependency names]).
EXTRA_DEPS = {
    "numpy": ["libblas", "libcblas", "liblapack", "libstdcxx-ng"],
    "pillow": ["libjpeg-turbo", "libpng", "libtiff", "freetype", "libwebp-base", "zlib"],
    "scipy": ["numpy", "libblas", "liblapack", "libgfortran-ng"],
    "pandas": ["numpy", "python-dateutil", "pytz"],
    "jinja2": ["markupsafe"],
    "sympy": ["mpmath"],
    "requests": ["urllib3", "idna", "certifi", "charset-normalizer"],
    "cffi": ["libffi", "pycparser"],
    "aiohttp": ["yarl", "multidict"],
}
C_LIB_DEPS = ["libgcc-ng"]
SPECIALS = {"python", "python_abi", "pytorch-mutex", "cpuonly", "blas", "mkl", "cuda-version", "libgcc-ng",
            "libstdcxx-ng", "libgomp", "_openmp_mutex"}


def spec_versions(spec):
    """Versions a spec names (lower bounds, exact versions, prefixes), to make sure they exist."""
    parts = spec.split()
    if len(parts) < 2:
        return []
    out = []
    for piece in re.split(r"[,|]", parts[1]):
        m = re.match(r"^(>=|==|=|~=)?([0-9][0-9a-zA-Z.]*?)(\.\*|\*)?$", piece.strip())
        if m and m.group(1) in (None, ">=", "==", "=", "~="):
            out.append(m.group(2))
    return out


def vkey(v):
    return [int(x) if x.isdigit() else -1 for x in re.split(r"[._]", v)]


class Channel:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.subdirs = {"linux-64": {}, "noarch": {}}
        self.clock = 1_600_000_000_000

    def add(self, subdir, name, version, build, build_number, depends, constrains=None, track_features=None, noarch=None):
        fn = f"{name}-{version}-{build}.conda"
        self.clock += self.rng.randint(1000, 10_000_000)
        rec = {"build": build, "build_number": build_number, "depends": depends, "license": "BSD-3-Clause",
               "md5": hashlib.md5(fn.encode()).hexdigest(), "name": name,
               "sha256": hashlib.sha256(fn.encode()).hexdigest(), "size": self.rng.randint(10_000, 50_000_000),
               "subdir": subdir, "timestamp": self.clock, "version": version}
        if constrains:
            rec["constrains"] = constrains
        if track_features:
            rec["track_features"] = track_features
        if noarch:
            rec["noarch"] = noarch
        self.subdirs[subdir][fn] = rec

    def write(self, out):
        for subdir, packages in self.subdirs.items():
            os.makedirs(os.path.join(out, subdir), exist_ok=True)
            doc = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": packages, "repodata_version": 1}
            with open(os.path.join(out, subdir, "repodata.json"), "w") as f:
                json.dump(doc, f, indent=1, sort_keys=True)


def series(rng, wanted, count):
    """`count` versions ending at the newest wanted one, plus every wanted one."""
    out = set(wanted)
    base = sorted(wanted, key=vkey)[-1] if wanted else f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.0"
    nums = [int(x) for x in re.findall(r"\d+", base)[:3]] + [0, 0, 0]
    major, minor, patch = nums[0], nums[1], nums[2]
    while len(out) < count + len(wanted):
        out.add(f"{major}.{minor}.{patch}")
        if patch > 0:
            patch -= 1
        elif minor > 0:
            minor, patch = minor - 1, rng.randint(0, 4)
        elif major > 0:
            major, minor, patch = major - 1, rng.randint(3, 12), rng.randint(0, 4)
        else:
            break
    return sorted(out, key=vkey)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        pytorch = json.load(f)
    records = list(pytorch.get("packages", {}).values()) + list(pytorch.get("packages.conda", {}).values())
    shipped = {r["name"] for r in records}
    wanted = {}
    for r in records:
        for spec in r.get("depends", []) + r.get("constrains", []):
            name = spec.split()[0]
            if name.startswith("__"):
                continue
            wanted.setdefault(name, set()).update(spec_versions(spec))
    for deps in EXTRA_DEPS.values():
        for d in deps:
            wanted.setdefault(d, set())
    for name in ("libgomp", "_openmp_mutex", "pycparser", "python-dateutil", "pytz", "yarl", "multidict",
                 "libtiff", "libwebp-base", "libgfortran-ng", "libblas", "libcblas", "liblapack", "libffi",
                 "openssl", "bzip2", "ncurses", "readline", "sqlite", "tk", "xz", "libzlib"):
        wanted.setdefault(name, set())
    wanted.pop("python", None)

    ch = Channel(20261206)
    rng = ch.rng
    # The interpreter: 3.7.0 .. 3.12.x, two build numbers each.
    py_runtime = ["libgcc-ng >=12", "libzlib >=1.2.13,<2.0a0", "openssl >=3.0.0,<4.0a0", "bzip2 >=1.0.8,<2.0a0",
                  "libffi >=3.4,<4.0a0", "ncurses >=6.3", "readline >=8.1,<9.0a0", "sqlite >=3.40", "tk >=8.6.12,<8.7.0a0",
                  "xz >=5.2.6,<6.0a0"]
    for spec in py_runtime:
        wanted.setdefault(spec.split()[0], set()).update(spec_versions(spec))
    for minor in PYTHON_MINORS:
        for patch in range(0, 16):
            for bn in (0, 1):
                ch.add("linux-64", "python", f"3.{minor}.{patch}", f"h{bn}a{minor}_{bn}_cpython", bn,
                       py_runtime + [f"python_abi 3.{minor}.* *_cp3{minor}"])
        ch.add("linux-64", "python_abi", f"3.{minor}", f"4_cp3{minor}", 4, [],
               constrains=[f"python 3.{minor}.* *_cpython"])
    # pytorch's mutexes, metapackages and blas variants.
    for flavour in ("cpu", "cuda"):
        ch.add("noarch", "pytorch-mutex", "1.0", flavour, 100, [], noarch="generic",
               track_features=["pytorch-mutex"] if flavour == "cpu" else None)
    ch.add("noarch", "cpuonly", "2.0", "0", 0, ["pytorch-mutex 1.0 cpu"], noarch="generic")
    for mkl in series(rng, ["2023.1.0", "2018.0.3"], 12):
        ch.add("linux-64", "mkl", mkl, "h6d00ec8_46343", 46343, ["_openmp_mutex >=4.5", "llvm-openmp >=14.0.6", "tbb 2021.*"])
    wanted.setdefault("tbb", set()).add("2021.8.0")
    wanted.setdefault("llvm-openmp", set()).add("14.0.6")
    for v in ("1.0", "2.0"):
        ch.add("linux-64", "blas", v, "mkl", 0, ["mkl"])
        ch.add("linux-64", "blas", v, "openblas", 0, ["libopenblas"], track_features=["blas_openblas"])
    wanted.setdefault("libopenblas", set())
    for v in series(rng, ["13.2.0", "12.3.0", "11.2.0", "7.5.0"], 20):
        for lib in ("libgcc-ng", "libstdcxx-ng", "libgomp"):
            ch.add("linux-64", lib, v, "h77fa898_7", 7, ["_openmp_mutex >=4.5"] if lib == "libgcc-ng" else [])
    ch.add("linux-64", "_openmp_mutex", "4.5", "2_gnu", 2, ["libgomp >=7.5.0"])
    for cuda in ("11.7", "11.8", "12.0", "12.1", "12.2", "12.4"):
        ch.add("noarch", "cuda-version", cuda, "h0", 3, [], constrains=[f"__cuda >={cuda}", f"cudatoolkit {cuda}|{cuda}.*"],
               noarch="generic")

    for name in sorted(wanted):
        if name in SPECIALS or name in shipped:
            continue
        versions = series(rng, sorted(wanted[name], key=vkey), rng.randint(20, 60))
        deps = [f"{d}" for d in EXTRA_DEPS.get(name, [])]
        if name in NOARCH_PY:
            for v in versions:
                ch.add("noarch", name, v, "pyhd8ed1ab_0", 0, ["python >=3.7"] + deps, noarch="python")
        elif name in COMPILED_PY:
            for v in versions[-40:]:
                for minor in PYTHON_MINORS[1:]:
                    ch.add("linux-64", name, v, f"py3{minor}h{minor}_0", 0,
                           [f"python >=3.{minor},<3.{minor + 1}.0a0", f"python_abi 3.{minor}.* *_cp3{minor}",
                            "libgcc-ng >=12"] + deps)
        else:
            # cuda-cudart, cuda-runtime, ... carry the CUDA version itself; cuda-version ties them to
            # `__cuda` through its constrains, as conda-forge's CUDA 12 packages do.
            cuda_floor = name.startswith("cuda-")
            for v in versions:
                for bn in range(rng.randint(1, 3)):
                    d = C_LIB_DEPS + deps
                    if cuda_floor:
                        major, minor = (v.split(".") + ["0"])[:2]
                        d = d + [f"cuda-version >={major}.{minor},<{major}.{int(minor) + 1}.0a0"]
                    ch.add("linux-64", name, v, f"h{bn}f{len(v)}_{bn}", bn, d)
    ch.write(sys.argv[2])
    total = sum(len(p) for p in ch.subdirs.values())
    print(f"wrote {total} records for {len(wanted)} names to {sys.argv[2]}")


if __name__ == "__main__":
    main()
