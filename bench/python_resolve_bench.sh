#!/usr/bin/env bash
# Python dependency resolution, side by side with pip, in one run:
#   a generated data-science-like index (77 projects, 3-8 versions each, version ranges, caps that
#   force backtracking, markers, extras, a yanked release, newest releases needing Python 3.12,
#   five layers deep, pure py3-none-any wheels with PEP 658 .metadata files) served over HTTP on
#   loopback by tests/fixtures/python_index.py;
#   cold: `mlpack lock --upgrade` with an empty cache vs `pip install --dry-run --no-cache-dir`;
#   warm: `mlpack lock --upgrade` again with the same cache vs pip with a filled --cache-dir.
# Each figure is the median of RUNS (default 3). The four answers are compared, and each is checked
# against the index's metadata; the script exits 1 when one is not a valid resolution.
# Usage: bench/python_resolve_bench.sh   (needs python3 with pip; nothing outside loopback)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlpack=${MLPACK_BIN:-$here/../build/mlpack}
work=$(realpath -m "${BENCH_DIR:-/tmp/mlpack-python-resolve-bench}")   # absolute: see README
runs=${RUNS:-3}
rm -rf "$work"; mkdir -p "$work"

# --- the index ---------------------------------------------------------------------------------
PYTHONPATH="$here/../tests/fixtures" python3 - "$work/index" <<'EOF'
import random, sys
from python_index import build_index

rng = random.Random(20261121)
# name: the dependencies of each of its versions, "name" or "name; marker" (ranges are added
# below). Leaves first, then layer by layer.
GRAPH = {
    # leaves
    "six": [], "pytz": [], "tzdata": [], "certifi": [], "idna": [], "charset-normalizer": [],
    "urllib3": [], "pysocks": [], "packaging": [], "pyparsing": [], "cycler": [], "kiwisolver": [],
    "fonttools": [], "pillow": [], "markupsafe": [], "et-xmlfile": [], "joblib": [],
    "threadpoolctl": [], "colorama": [], "cloudpickle": [], "toolz": [], "fsspec": [], "pyyaml": [],
    "tenacity": [], "zipp": [], "typing-extensions": [], "tomli": [], "exceptiongroup": [],
    "mpmath": [], "msgpack": [], "psutil": [], "tornado": [], "locket": [], "llvmlite": [],
    "sniffio": [], "annotated-types": [], "slicer": [], "zict": [], "pywin32": [],
    "numpy": [],
    # layer 1
    "click": ["colorama; platform_system == 'Windows'"],
    "tqdm": ["colorama; platform_system == 'Windows'"],
    "python-dateutil": ["six"],
    "requests": ["charset-normalizer", "idna", "urllib3", "certifi"],
    "jinja2": ["markupsafe"],
    "openpyxl": ["et-xmlfile"],
    "importlib-metadata": ["zipp", "typing-extensions; python_version < '3.8'"],
    "importlib-resources": ["zipp; python_version < '3.10'"],
    "partd": ["locket", "toolz"],
    "sympy": ["mpmath"],
    "anyio": ["idna", "sniffio", "exceptiongroup; python_version < '3.11'",
              "typing-extensions; python_version < '3.11'"],
    "pydantic-core": ["typing-extensions"],
    # layer 2
    "scipy": ["numpy"], "contourpy": ["numpy"], "numexpr": ["numpy"], "bottleneck": ["numpy"],
    "pyarrow": ["numpy"], "patsy": ["numpy", "six"], "numba": ["llvmlite", "numpy"],
    "pydantic": ["annotated-types", "pydantic-core", "typing-extensions"],
    "starlette": ["anyio", "typing-extensions; python_version < '3.10'"],
    "pandas": ["numpy", "python-dateutil", "pytz", "tzdata"],
    "matplotlib": ["contourpy", "cycler", "fonttools", "kiwisolver", "numpy", "packaging", "pillow",
                   "pyparsing", "python-dateutil", "importlib-resources; python_version < '3.10'"],
    "networkx": [],
    "plotly": ["tenacity", "packaging"],
    "dask": ["click", "cloudpickle", "fsspec", "packaging", "partd", "pyyaml", "toolz",
             "importlib-metadata; python_version < '3.12'"],
    # layer 3
    "scikit-learn": ["numpy", "scipy", "joblib", "threadpoolctl"],
    "seaborn": ["numpy", "pandas", "matplotlib"],
    "statsmodels": ["numpy", "scipy", "pandas", "patsy", "packaging"],
    "xarray": ["numpy", "pandas", "packaging"],
    "distributed": ["dask", "click", "cloudpickle", "jinja2", "msgpack", "psutil", "pyyaml",
                    "tornado", "toolz", "urllib3", "zict", "pywin32; sys_platform == 'win32'"],
    "fastapi": ["starlette", "pydantic", "typing-extensions"],
    # layer 4
    "xgboost": ["numpy", "scipy"],
    "lightgbm": ["numpy", "scipy"],
    "pynndescent": ["scikit-learn", "numba", "llvmlite", "joblib"],
    "umap-learn": ["numpy", "scipy", "scikit-learn", "numba", "pynndescent", "tqdm"],
    "shap": ["numpy", "scipy", "scikit-learn", "pandas", "tqdm", "packaging", "slicer", "numba",
             "cloudpickle"],
}
EXTRAS = {
    "requests": {"socks": ["pysocks"], "use-chardet-on-py3": ["charset-normalizer; python_version < '3.7'"]},
    "pandas": {"excel": ["openpyxl"], "performance": ["numexpr", "bottleneck"], "parquet": ["pyarrow"],
               "plot": ["matplotlib"]},
    "dask": {"array": ["numpy"], "dataframe": ["pandas", "dask[array]"],
             "distributed": ["distributed"], "diagnostics": ["jinja2", "bokeh-missing; python_version < '3.0'"]},
    "networkx": {"default": ["numpy", "scipy", "matplotlib", "pandas"], "extra": ["sympy"]},
    "lightgbm": {"scikit-learn": ["scikit-learn"], "pandas": ["pandas"]},
    "xarray": {"io": ["scipy", "pyarrow"], "accel": ["numba", "bottleneck"]},
    "scikit-learn": {"benchmark": ["matplotlib", "pandas"]},
    "pydantic": {"email": ["idna"]},
}
# Release lines: a few real-looking majors, so caps (`<2`) bite on some projects.
SPECIAL = {"numpy": ["1.24.0", "1.25.0", "1.26.0", "1.26.4", "2.0.0", "2.1.0", "2.2.0", "2.3.0rc1"],
           "pandas": ["1.5.0", "2.0.0", "2.1.0", "2.2.0", "2.2.3"],
           "urllib3": ["1.26.0", "1.26.18", "2.0.0", "2.1.0", "2.2.0"],
           "pytz": ["2023.3", "2024.1", "2024.2"],
           "tzdata": ["2023.4", "2024.1", "2024.2"]}

def versions_for(name):
    if name in SPECIAL:
        return SPECIAL[name]
    n = rng.randint(3, 8)
    major, minor = rng.randint(0, 3), rng.randint(0, 9)
    out = []
    for _ in range(n):
        out.append(f"{major}.{minor}.{rng.randint(0, 3)}")
        if rng.random() < 0.2:
            major, minor = major + 1, 0
        else:
            minor += 1
    return out

def release(v):
    return tuple(int(x) for x in v.split(".")[:3]) if v.replace(".", "").isdigit() else None

vers = {name: versions_for(name) for name in GRAPH}

def spec(dep, i, n, capped):
    """A requirement on dep for version i of n of the dependent: newer dependents want newer deps;
    older ones sometimes cap the next major (like numpy<2)."""
    name, _, marker = dep.partition(";")
    name = name.strip()
    base = name.split("[")[0]
    if base not in vers:                      # only behind a marker that is false on 3.11/linux
        return f"{name}>=1.0 ;{marker}" if marker else name
    dv = [v for v in vers[base] if release(v)]
    frac = i / max(n - 1, 1)
    j = int(frac * (len(dv) - 1) * rng.uniform(0.3, 0.9))
    parts = [f">={dv[j]}"] if j > 0 else []
    if capped:
        cap = int(dv[j].split(".")[0]) + 1
        if any(release(v)[0] >= cap for v in dv):
            parts.append(f"<{cap}")
    text = name + ",".join(parts)
    return f"{text} ;{marker}" if marker else text

packages = {}
for name, deps in GRAPH.items():
    vs = vers[name]
    n = len(vs)
    pv = {}
    for i, v in enumerate(vs):
        capped = i < n - 1 and rng.random() < 0.35
        req = [spec(d, i, n, capped and rng.random() < 0.6) for d in deps]
        extras = {e: [spec(d, i, n, False) if d.split("[")[0].split(";")[0].strip() != name else d
                      for d in ds] for e, ds in EXTRAS.get(name, {}).items()}
        rp = ">=3.8" if i < n - 1 or rng.random() < 0.8 else ">=3.12"   # some newest need 3.12
        pv[v] = {"requires": req, "extras": extras, "requires_python": rp,
                 "wheel_tags": ["py3-none-any"], "sdist": False}
    packages[name] = {"versions": pv}
# Realistic wrinkles: a yanked release, the numpy 2 transition.
packages["scipy"]["versions"][vers["scipy"][-1]]["yanked"] = True
packages["pandas"]["versions"]["2.2.3"]["requires"] = ["numpy>=1.26.0", "python-dateutil>=2.8", "pytz>=2023.3", "tzdata>=2024.1"]
packages["pandas"]["versions"]["1.5.0"]["requires"] = ["numpy>=1.24.0,<2", "python-dateutil", "pytz", "tzdata"]
build_index(packages, sys.argv[1], with_metadata_files=True, default_requires_python=">=3.8")
files = sum(len(p["versions"]) for p in packages.values())
print(f"index: {len(packages)} projects, {files} wheels")
EOF

# The fixture's server with a listen backlog of 128 instead of socketserver's 5 (mlpack opens
# connections in parallel; SYNs past the backlog are dropped and retried 1 s later). It stays
# HTTP/1.0, one connection a request: its HTTP/1.1 writes headers and body apart, and Nagle with
# delayed ACKs then costs 40 ms a request.
PYTHONPATH="$here/../tests/fixtures" python3 -c '
import http.server, sys, time
import python_index
http.server.ThreadingHTTPServer.request_queue_size = 128
s = python_index.Server(sys.argv[1]); print(s.url, flush=True)
while True: time.sleep(3600)' "$work/index" >"$work/url" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
index="$(cat "$work/url")/simple/"

# --- the project, and a base that says it has glibc 2.36 -----------------------------------------
mkdir -p "$work/layer/var/lib/dpkg" "$work/project"
printf 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\nMaintainer: x\nDescription: C library\n' \
  >"$work/layer/var/lib/dpkg/status"
"$mlpack" -q --cache-dir "$work/base-cache" append --layer "$work/layer:/" -o "oci:$work/base:glibc" >/dev/null
echo "base: oci:$work/base:glibc" >"$work/project/mlpack.yaml"
cat >"$work/project/requirements.txt" <<EOF
--index-url $index
pandas[excel,performance]>=2.0
scikit-learn
matplotlib
seaborn
statsmodels
dask[dataframe]
requests[socks]
xgboost
umap-learn
fastapi
numpy<2
EOF

now() { date +%s.%N; }
# median of $runs runs of "$@", in seconds; each run's stdout goes to $work/last.out
median_of() {
  local times=()
  for k in $(seq "$runs"); do
    [ -n "${before:-}" ] && $before
    local t0=$(now)
    "$@" >"$work/last.out" 2>"$work/last.err" || { echo "failed: $*" >&2; cat "$work/last.err" >&2; exit 1; }
    local t1=$(now)
    times+=("$(python3 -c "print($t1 - $t0)")")
  done
  python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "${times[@]}"
}

ml_lock() { "$mlpack" --cache-dir "$work/ml-cache" lock "$work/project" --python 3.11 --upgrade --json; }
pip_cold() { python3 -m pip install --dry-run --ignore-installed --quiet --no-cache-dir --report "$work/pip-cold.json" \
  --index-url "$index" -r "$work/project/requirements.txt"; }
pip_warm() { python3 -m pip install --dry-run --ignore-installed --quiet --cache-dir "$work/pip-cache" --report "$work/pip-warm.json" \
  --index-url "$index" -r "$work/project/requirements.txt"; }
fresh_ml_cache() { rm -rf "$work/ml-cache"; }

before=fresh_ml_cache t_ml_cold=$(median_of ml_lock)
cp "$work/last.out" "$work/ml-cold.json"
before= t_ml_warm=$(median_of ml_lock)          # the cache the last cold run filled
cp "$work/last.out" "$work/ml-warm.json"
before= t_pip_cold=$(median_of pip_cold)
pip_warm >/dev/null 2>&1                         # fill pip's cache once
before= t_pip_warm=$(median_of pip_warm)

# --- same versions? all valid? ---------------------------------------------------------------------
# Caps can leave more than one answer that no resolver would call worse (newest a with an older b,
# or an older a with the newest b), so every set is also checked against the index's own metadata
# for Python 3.11 on linux: each requirement met, each Requires-Python met, nothing unrequired.
status=0
python3 - "$work" <<'EOF' || status=1
import email.parser, json, re, sys
from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.version import Version
w = sys.argv[1]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
ENV = dict(default_environment(), python_version="3.11", python_full_version="3.11.0",
           sys_platform="linux", platform_system="Linux", os_name="posix")
def ml(f):
    doc = json.load(open(f"{w}/{f}"))
    return {norm(p["name"]): p["version"] for p in doc["packages"] if p["ecosystem"] == "pypi"}
def pip(f):
    doc = json.load(open(f"{w}/{f}"))
    return {norm(p["metadata"]["name"]): p["metadata"]["version"] for p in doc["install"]}
def metadata(name, version):
    path = f"{w}/index/files/{name.replace('-', '_')}-{version}-py3-none-any.whl.metadata"
    return email.parser.Parser().parsestr(open(path).read())
def problems(got):
    out, needed, seen = [], set(), set()
    lines = open(f"{w}/project/requirements.txt").read().splitlines()
    todo = [(Requirement(l), "requirements.txt") for l in lines if l and not l.startswith("-")]
    while todo:
        req, by = todo.pop()
        name = norm(req.name)
        needed.add(name)
        if name not in got:
            out.append(f"{by} needs {req}, missing")
            continue
        v = got[name]
        if not req.specifier.contains(Version(v), prereleases=True):
            out.append(f"{by} needs {req}, got {v}")
        meta = metadata(name, v)
        if not SpecifierSet(meta.get("Requires-Python") or "").contains("3.11"):
            out.append(f"{name} {v} needs Python {meta['Requires-Python']}")
        for extra in [""] + sorted(req.extras):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for line in meta.get_all("Requires-Dist") or []:
                r = Requirement(line)
                if extra and (not r.marker or "extra" not in str(r.marker)):
                    continue                  # the base's own requirements, done with ""
                if r.marker and not r.marker.evaluate(dict(ENV, extra=extra)):
                    continue
                todo.append((r, f"{name} {v}" + (f"[{extra}]" if extra else "")))
    return out + [f"{n} {got[n]} is not required" for n in sorted(set(got) - needed)]
sets = {"mlpack cold": ml("ml-cold.json"), "mlpack warm": ml("ml-warm.json"),
        "pip cold": pip("pip-cold.json"), "pip warm": pip("pip-warm.json")}
ref = sets["pip cold"]
for label, got in sets.items():
    bad = problems(got)
    diff = [f"{n} {got.get(n)} (pip: {ref.get(n)})" for n in sorted(set(got) | set(ref)) if got.get(n) != ref.get(n)]
    print(f"{label:11s}  {len(got)} packages, " + ("INVALID: " + "; ".join(bad) if bad else "valid")
          + ("; differs from pip in " + ", ".join(diff) if diff else ", same versions as pip cold"))
sys.exit(1 if any(problems(got) for got in sets.values()) else 0)
EOF

ratio() { python3 -c "print(f'{$1 / $2:.1f}')"; }
printf '%-8s %10s %10s %10s\n' "" "pip" "mlpack" "pip/mlpack"
printf '%-8s %9.3fs %9.3fs %9sx\n' cold "$t_pip_cold" "$t_ml_cold" "$(ratio "$t_pip_cold" "$t_ml_cold")"
printf '%-8s %9.3fs %9.3fs %9sx\n' warm "$t_pip_warm" "$t_ml_warm" "$(ratio "$t_pip_warm" "$t_ml_warm")"
echo "(median of $runs runs each; $(nproc) cores; $(python3 -m pip --version | cut -d' ' -f1,2), $(python3 --version))"
exit "$status"
