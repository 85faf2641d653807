#!/usr/bin/env python3
"""Generates a data-science-like set of wheels for bench/wheel_install_bench.sh, deterministically.

    python3 bench/make_wheel_set.py OUTDIR

Each distribution is shaped after the real cp311 manylinux x86_64 wheel of the same name (file
count, installed bytes, big shared objects, console scripts, .data directories), scaled down for
the few giants (pyarrow, llvmlite, scipy's OpenBLAS) so one pip run stays under a minute on 2
cores. Content is synthetic but realistic to compress: Python files are code-like text (about
4:1 under deflate), shared objects mix incompressible bytes, symbol-table text and zero padding
(about 2.3:1). RECORD lists every file with its real sha256 and size. Everything comes from
fixed seeds and fixed zip timestamps, so the same OUTDIR bytes come out on every run.
Prints one line per wheel: filename, files, installed bytes.
"""

import base64
import hashlib
import io
import math
import random
import sys
import zipfile
from pathlib import Path

BIN_TAG = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
PURE_TAG = "py3-none-any"
SO = ".cpython-311-x86_64-linux-gnu.so"
MB = 1024 * 1024

# name, version, binary?, files, installed MiB, big binaries [(path, MiB)], extra small .so count,
# console scripts, .data members {path-under-.data: bytes}, package dirs (top-level names)
# Numbers after the real wheels (pip show -f / unzip -l of the cp311 manylinux wheels, 2024).
SET = [
    ("numpy", "1.26.4", True, 1000, 30, [
        ("numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so", 14.0),
        ("numpy/core/_multiarray_umath" + SO, 7.3),
        ("numpy.libs/libgfortran-040039e1.so.5.0.0", 2.6),
        ("numpy/random/_generator" + SO, 1.0), ("numpy/random/mtrand" + SO, 0.8),
        ("numpy.libs/libquadmath-96973f99.so.0.0.0", 0.25)], 14, ["f2py"], {}),
    ("pandas", "2.2.2", True, 1900, 55, [
        ("pandas/_libs/groupby" + SO, 2.6), ("pandas/_libs/hashtable" + SO, 2.3),
        ("pandas/_libs/algos" + SO, 2.1), ("pandas/_libs/join" + SO, 1.5),
        ("pandas/_libs/interval" + SO, 1.5), ("pandas/_libs/lib" + SO, 0.9),
        ("pandas/_libs/tslibs/offsets" + SO, 1.2), ("pandas/_libs/tslibs/timestamps" + SO, 0.7)], 36, [], {}),
    ("scipy", "1.13.1", True, 1700, 62, [
        ("scipy.libs/libopenblasp-r0-24bff013.3.26.dev.so", 16.0),
        ("scipy.libs/libgfortran-040039e1.so.5.0.0", 2.6),
        ("scipy/special/_ufuncs" + SO, 1.8), ("scipy/linalg/_flapack" + SO, 2.3),
        ("scipy/sparse/_sparsetools" + SO, 4.1), ("scipy/spatial/_qhull" + SO, 1.1),
        ("scipy/optimize/_highs/_highs_wrapper" + SO, 4.0), ("scipy/stats/_unuran/unuran_wrapper" + SO, 1.5),
        ("scipy/io/_fast_matrix_market/_fmm_core" + SO, 3.6)], 100, [], {}),
    ("scikit-learn", "1.5.0", True, 1000, 36, [
        ("scikit_learn.libs/libgomp-a34b3233.so.1.0.0", 0.25),
        ("sklearn/_loss/_loss" + SO, 3.2), ("sklearn/metrics/_pairwise_distances_reduction/_datasets_pair" + SO, 1.0),
        ("sklearn/ensemble/_hist_gradient_boosting/histogram" + SO, 1.1), ("sklearn/tree/_tree" + SO, 2.2),
        ("sklearn/neighbors/_kd_tree" + SO, 1.8), ("sklearn/neighbors/_ball_tree" + SO, 1.8)], 64, [], {}),
    ("matplotlib", "3.8.4", True, 850, 24, [
        ("matplotlib/ft2font" + SO, 1.5), ("matplotlib/_qhull" + SO, 1.2),
        ("matplotlib/backends/_backend_agg" + SO, 0.6), ("matplotlib/_path" + SO, 0.5),
        ("matplotlib/_image" + SO, 0.5), ("matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf", 0.7),
        ("matplotlib/mpl-data/fonts/ttf/DejaVuSans-Bold.ttf", 0.7),
        ("matplotlib/mpl-data/fonts/ttf/DejaVuSansMono.ttf", 0.33),
        ("matplotlib/mpl-data/fonts/ttf/DejaVuSerif.ttf", 0.37),
        ("matplotlib/mpl-data/fonts/ttf/STIXGeneral.ttf", 0.44)], 8, [], {}),
    ("pyarrow", "16.1.0", True, 900, 44, [
        ("pyarrow/libarrow.so.1600", 18.0), ("pyarrow/libparquet.so.1600", 5.5),
        ("pyarrow/libarrow_acero.so.1600", 2.0), ("pyarrow/libarrow_dataset.so.1600", 2.6),
        ("pyarrow/libarrow_flight.so.1600", 4.0), ("pyarrow/lib" + SO, 4.6),
        ("pyarrow/libarrow_python.so.1600", 2.8)], 20, ["plasma_store"], {}),
    ("sympy", "1.12.1", False, 1400, 32, [], 0, ["isympy"], {}),
    ("statsmodels", "0.14.2", True, 1400, 32, [], 26, [], {}),
    ("numba", "0.59.1", True, 800, 14, [("numba/_helperlib" + SO, 0.8), ("numba/np/ufunc/omppool" + SO, 0.6)], 20,
     [], {"scripts/numba": "#!python\n# EASY-INSTALL-DEV-SCRIPT\nfrom numba.misc.numba_entry import main\n"
                              "if __name__ == '__main__':\n    main()\n"}),
    ("llvmlite", "0.42.0", True, 50, 28, [("llvmlite/binding/libllvmlite.so", 27.5)], 0, [], {}),
    ("pillow", "10.3.0", True, 180, 13, [
        ("PIL/_imaging" + SO, 2.9), ("pillow.libs/libharfbuzz-0692ba82.so.0.60830.0", 3.0),
        ("pillow.libs/libfreetype-be14bf51.so.6.20.1", 1.4), ("pillow.libs/libtiff-0a86184d.so.6.0.2", 0.7),
        ("pillow.libs/libjpeg-77ae51ab.so.62.4.0", 0.6), ("pillow.libs/libopenjp2-05423b53.so", 0.6),
        ("pillow.libs/libwebp-2fd3cdca.so.7.1.9", 0.5), ("pillow.libs/liblzma-13fa198c.so.5.4.5", 0.3),
        ("pillow.libs/libpng16-58efbb84.so.16.43.0", 0.3)], 10, [], {}),
    ("fonttools", "4.51.0", True, 420, 12, [("fontTools/cu2qu/cu2qu" + SO, 0.9), ("fontTools/qu2cu/qu2cu" + SO, 1.1),
                                             ("fontTools/feaLib/lexer" + SO, 0.8)], 2,
     ["fonttools", "pyftmerge", "pyftsubset", "ttx"], {"data/share/man/man1/ttx.1": 5200}),
    ("kiwisolver", "1.4.5", True, 10, 1.5, [("kiwisolver/_cext" + SO, 1.4)], 0, [], {}),
    ("contourpy", "1.2.1", True, 20, 1.2, [("contourpy/_contourpy" + SO, 0.9)], 0, [], {}),
    ("xgboost", "2.0.3", False, 40, 9, [("xgboost/lib/libxgboost.so", 8.2)], 0, [], {}),
    ("lightgbm", "4.3.0", False, 30, 4.5, [("lightgbm/lib/lib_lightgbm.so", 4.0)], 0, [], {}),
    ("pydantic-core", "2.18.4", True, 10, 5.2, [("pydantic_core/_pydantic_core" + SO, 5.0)], 0, [], {}),
    ("pydantic", "2.7.4", False, 100, 1.8, [], 0, [], {}),
    ("msgpack", "1.0.8", True, 15, 0.4, [], 1, [], {}),
    ("psutil", "5.9.8", True, 70, 1.6, [], 1, [], {}),
    ("pyyaml", "6.0.1", True, 25, 2.6, [("yaml/_yaml" + SO, 2.2)], 0, [], {}),
    ("markupsafe", "2.1.5", True, 10, 0.1, [], 1, [], {}),
    ("tornado", "6.4.1", True, 120, 3.1, [], 1, [], {}),
    ("charset-normalizer", "3.3.2", True, 25, 0.7, [], 2, ["normalizer"], {}),
    ("pytz", "2024.1", False, 620, 2.9, [], 0, [], {}),
    ("tzdata", "2024.1", False, 640, 1.7, [], 0, [], {}),
    ("certifi", "2024.2.2", False, 8, 0.3, [], 0, [], {}),
    ("six", "1.16.0", False, 5, 0.04, [], 0, [], {}),
    ("idna", "3.7", False, 12, 0.5, [], 0, [], {}),
    ("urllib3", "2.2.1", False, 35, 0.6, [], 0, [], {}),
    ("requests", "2.32.3", False, 20, 0.3, [], 0, [], {}),
    ("packaging", "24.0", False, 20, 0.2, [], 0, [], {}),
    ("pyparsing", "3.1.2", False, 25, 0.5, [], 0, [], {}),
    ("cycler", "0.12.1", False, 5, 0.02, [], 0, [], {}),
    ("et-xmlfile", "1.1.0", False, 12, 0.05, [], 0, [], {}),
    ("joblib", "1.4.2", False, 220, 2.5, [], 0, [], {}),
    ("threadpoolctl", "3.5.0", False, 5, 0.1, [], 0, [], {}),
    ("cloudpickle", "3.0.0", False, 8, 0.1, [], 0, [], {}),
    ("toolz", "0.12.1", False, 45, 0.5, [], 0, [], {}),
    ("fsspec", "2024.6.0", False, 120, 1.4, [], 0, [], {}),
    ("tenacity", "8.3.0", False, 25, 0.15, [], 0, [], {}),
    ("zipp", "3.19.2", False, 8, 0.04, [], 0, [], {}),
    ("typing-extensions", "4.12.2", False, 5, 0.15, [], 0, [], {}),
    ("mpmath", "1.3.0", False, 95, 3.0, [], 0, [], {}),
    ("locket", "1.0.0", False, 5, 0.02, [], 0, [], {}),
    ("sniffio", "1.3.1", False, 12, 0.03, [], 0, [], {}),
    ("annotated-types", "0.7.0", False, 7, 0.05, [], 0, [], {}),
    ("slicer", "0.0.8", False, 15, 0.1, [], 0, [], {}),
    ("zict", "3.0.0", False, 30, 0.2, [], 0, [], {}),
    ("click", "8.1.7", False, 20, 0.5, [], 0, [], {}),
    ("tqdm", "4.66.4", False, 45, 0.5, [], 0, ["tqdm"], {"data/share/man/man1/tqdm.1": 9100}),
    ("python-dateutil", "2.9.0.post0", False, 30, 0.7, [("dateutil/zoneinfo/dateutil-zoneinfo.tar.gz", 0.15)], 0, [], {}),
    ("jinja2", "3.1.4", False, 28, 0.8, [], 0, [], {}),
    ("openpyxl", "3.1.3", False, 170, 2.5, [], 0, [], {}),
    ("importlib-metadata", "7.1.0", False, 18, 0.1, [], 0, [], {}),
    ("partd", "1.4.2", False, 22, 0.1, [], 0, [], {}),
    ("anyio", "4.4.0", False, 55, 0.6, [], 0, [], {}),
    ("starlette", "0.37.2", False, 65, 0.6, [], 0, [], {}),
    ("fastapi", "0.111.0", False, 50, 0.45, [], 0, ["fastapi"], {}),
    ("patsy", "0.5.6", False, 55, 1.3, [], 0, [], {}),
    ("numexpr", "2.10.0", True, 35, 1.0, [("numexpr/interpreter" + SO, 0.8)], 0, [], {}),
    ("bottleneck", "1.3.8", True, 45, 1.5, [], 6, [], {}),
    ("networkx", "3.3", False, 620, 8.0, [], 0, [], {}),
    ("seaborn", "0.13.2", False, 55, 1.6, [], 0, [], {}),
    ("dask", "2024.5.2", False, 260, 5.5, [], 0, ["dask"], {}),
    ("distributed", "2024.5.2", False, 420, 7.0, [], 0, ["dask-scheduler", "dask-worker", "dask-ssh"], {}),
    ("xarray", "2024.6.0", False, 210, 8.0, [], 0, [], {}),
    ("shap", "0.45.1", True, 180, 3.0, [("shap/_cext" + SO, 0.2)], 0, [], {}),
    ("umap-learn", "0.5.6", False, 40, 0.3, [], 0, [], {}),
    ("pynndescent", "0.5.13", False, 30, 0.3, [], 0, [], {}),
    ("greenlet", "3.0.3", True, 40, 1.3, [("greenlet/_greenlet" + SO, 1.0)], 0, [],
     {"headers/greenlet.h": 4900}),
    ("jupyterlab-widgets", "3.0.11", False, 60, 5.0, [], 0, [],
     {f"data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/static/{i}.{h}.js": s
      for i, h, s in [(113, "a1b2c3d4e5", 310000), (134, "b2c3d4e5f6", 45000), (150, "c3d4e5f6a7", 620000),
                      (327, "d4e5f6a7b8", 95000), (336, "e5f6a7b8c9", 1200000), (495, "f6a7b8c9d0", 33000),
                      (596, "a7b8c9d0e1", 880000), (644, "b8c9d0e1f2", 12000), (699, "c9d0e1f2a3", 410000)]}
     | {"data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/package.json": 5600,
        "data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/install.json": 190,
        "data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/static/remoteEntry.js": 14000,
        "data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/static/style.js": 160,
        "data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/schemas/plugin.json": 900}),
    ("widgetsnbextension", "4.0.11", False, 15, 2.4, [], 0, [],
     {"data/share/jupyter/nbextensions/jupyter-js-widgets/extension.js": 1900000,
      "data/share/jupyter/nbextensions/jupyter-js-widgets/extension.js.map": 420000,
      "data/etc/jupyter/nbconfig/notebook.d/widgetsnbextension.json": 70}),
]

WORDS = ("self return def class import from if else elif for while in not and or is None True False "
         "try except finally raise with as yield lambda pass break continue assert global del "
         "array dtype shape axis index values result data value name kwargs args np pd os sys "
         "len range isinstance ValueError TypeError KeyError str int float list dict tuple "
         "frame series column columns other key obj func out arr copy fill_value mask ndim "
         "Parameters Returns Examples Notes See also optional default").split()


def code_text(rng, n):
    """~n bytes of Python-looking text."""
    lines, size = [], 0
    indent = 0
    while size < n:
        r = rng.random()
        if r < 0.08:
            line = f"def {rng.choice(WORDS)}_{rng.choice(WORDS)}({rng.choice(WORDS)}, {rng.choice(WORDS)}=None):"
            indent = 1
        elif r < 0.12:
            line = f'    """{" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))}."""'
        elif r < 0.2:
            line = ""
        else:
            k = rng.randint(2, 10)
            line = "    " * indent + " ".join(rng.choice(WORDS) for _ in range(k)) + \
                   rng.choice(["", ")", "]", ":", f" = {rng.randint(0, 999)}", f"({rng.choice(WORDS)})"])
            if rng.random() < 0.1:
                indent = rng.randint(1, 3)
        lines.append(line)
        size += len(line) + 1
    return ("\n".join(lines) + "\n")[:n].encode()


def binary_blob(rng, n, corpus):
    """n bytes shaped like a shared object: code (incompressible-ish), string tables, padding."""
    out = bytearray()
    while len(out) < n:
        r = rng.random()
        k = rng.randint(2048, 16384)
        if r < 0.3:
            out += rng.randbytes(k)
        elif r < 0.75:
            o = rng.randrange(0, len(corpus) - k)
            out += corpus[o:o + k].replace(b" ", b"\0")
        else:
            out += bytes(k // 4) + (rng.randbytes(8) * (k // 32))
    return bytes(out[:n])


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def sizes(rng, count, total):
    """count sizes, lognormal like real package files (median ~1/3 of the mean), summing to ~total."""
    if count <= 0:
        return []
    raw = [math.exp(rng.gauss(0, 1.3)) for _ in range(count)]
    s = sum(raw)
    return [max(0, int(total * x / s)) for x in raw]


def dist_name(name):
    return name.replace("-", "_")


def make(outdir, spec):
    name, version, binary, nfiles, mib, blobs, nso, scripts, data = spec
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{name}-{version}".encode()).digest()[:8], "big"))
    corpus = code_text(rng, 1 << 18)
    top = {"scikit-learn": "sklearn", "pillow": "PIL", "pyyaml": "yaml", "fonttools": "fontTools",
           "python-dateutil": "dateutil", "umap-learn": "umap", "typing-extensions": "typing_extensions",
           "importlib-metadata": "importlib_metadata", "et-xmlfile": "et_xmlfile",
           "charset-normalizer": "charset_normalizer", "pydantic-core": "pydantic_core",
           "jupyterlab-widgets": "jupyterlab_widgets"}.get(name, dist_name(name))
    dn = dist_name(name)
    dist_info = f"{dn}-{version}.dist-info"
    data_dir = f"{dn}-{version}.data"
    files = {}  # path -> (bytes, executable)

    for path, size in blobs:
        b = binary_blob(rng, int(size * MB), corpus) if path.endswith((".so", SO)) or ".so." in path \
            else rng.randbytes(int(size * MB))
        files[path] = (b, path.endswith(".so") or ".so." in path)
    for path, size in data.items():
        full = f"{data_dir}/{path}"
        files[full] = (data[path].encode() if isinstance(size, str) else code_text(rng, size), path.startswith("scripts/"))
    # small extension modules next to the code
    subdirs = [top] + [f"{top}/{rng.choice(WORDS)}_{i}" for i in range(max(1, nfiles // 60))]
    subdirs += [f"{d}/tests" for d in subdirs[: max(1, len(subdirs) // 2)]]
    for i in range(nso):
        path = f"{rng.choice(subdirs)}/_{rng.choice(WORDS)}_{i}{SO}"
        files[path] = (binary_blob(rng, int(rng.uniform(0.05, 0.6) * MB), corpus), True)

    meta_files = 6 + (1 if scripts else 0)  # METADATA WHEEL RECORD top_level LICENSE INSTALLER-less
    left = nfiles - len(files) - meta_files
    used = sum(len(b) for b, _ in files.values())
    remaining = max(int(mib * MB) - used, left * 200)
    for d in subdirs:
        if left > 0:
            files[f"{d}/__init__.py"] = (code_text(rng, rng.randint(0, 3000)), False)
            left -= 1
    exts = [".py"] * 14 + [".pyi", ".json", ".txt", ".csv", ".pxd", ".h"]
    zoneinfo = name in ("pytz", "tzdata")  # hundreds of small binary tz files, no extension
    regions = ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"]
    for i, s in enumerate(sizes(rng, max(left, 0), remaining)):
        if zoneinfo and i >= 20:
            path = f"{top}/zoneinfo/{rng.choice(regions)}/{rng.choice(WORDS).capitalize()}_{i}"
            files[path] = (b"TZif2" + bytes(40) + rng.randbytes(s // 2) + bytes(s // 2), False)
            continue
        d = rng.choice(subdirs)
        ext = rng.choice(exts)
        stem = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"
        if d.endswith("/tests") and ext == ".py":
            stem = "test_" + stem
        files[f"{d}/{stem}{ext}"] = (code_text(rng, s), False)

    tag = BIN_TAG if binary else PURE_TAG
    meta = (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: synthetic {name}\n"
            f"License: BSD-3-Clause\nRequires-Python: >=3.9\n\n").encode() + code_text(rng, rng.randint(2000, 20000))
    dist_files = {
        f"{dist_info}/LICENSE.txt": code_text(rng, rng.randint(1000, 30000)),
        f"{dist_info}/METADATA": meta,
        f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: bench-make-wheel-set\n"
                               f"Root-Is-Purelib: {'false' if binary else 'true'}\nTag: {tag}\n").encode(),
        f"{dist_info}/top_level.txt": f"{top}\n".encode(),
    }
    if scripts:
        dist_files[f"{dist_info}/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            f"{s} = {top}.{rng.choice(WORDS)}_cli:main\n" for s in scripts)).encode()
    allf = {p: files[p] for p in sorted(files)}
    allf.update({p: (b, False) for p, b in dist_files.items()})
    record = "".join(f"{p},{record_hash(b)},{len(b)}\n" for p, (b, _) in allf.items()) + f"{dist_info}/RECORD,,\n"
    allf[f"{dist_info}/RECORD"] = (record.encode(), False)

    filename = f"{dn}-{version}-{tag}.whl"
    with zipfile.ZipFile(outdir / filename, "w", zipfile.ZIP_DEFLATED) as z:
        for p, (b, exe) in allf.items():
            info = zipfile.ZipInfo(p, date_time=(2024, 6, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100755 if exe else 0o100644) << 16
            z.writestr(info, b, compresslevel=6)
    return filename, len(allf), sum(len(b) for b, _ in allf.values())


def main():
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    for spec in SET:
        fn, n, size = make(outdir, spec)
        print(f"{fn} {n} {size}")


if __name__ == "__main__":
    main()
