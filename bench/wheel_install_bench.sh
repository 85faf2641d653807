#!/usr/bin/env bash
# Installing a data-science set of wheels into a layer, side by side with pip, in one run:
#   the set: 73 generated wheels shaped like a real stack (bench/make_wheel_set.py: numpy, pandas,
#   scipy, scikit-learn, matplotlib, pyarrow, ... down to six), Debian's real pip and setuptools
#   wheels (/usr/share/python-wheels) and the valid wheels of pip's own test data
#   (../shared/corpora/pip_test_data/packages), one per project, none installing a path twice;
#   mlpack: bench/wheel_install_bench (linked against mlpack_wheel/archive/util) doing what
#   `mlpack build` does for /opt/venv: venv_entries, install_wheel for each (4 at a time),
#   layer_entries, archive::write_layer into an AtomicFile; once uncompressed, once gzip;
#   pip: `python3 -m pip install --no-deps --no-index --target DIR WHEELS...`, as it comes
#   (byte-compiling) and with --no-compile (the same files as the layer), each also followed by
#   `tar czf` of DIR (a layer-like .tar.gz).
# Each figure is the median of RUNS (default 3), the variants interleaved; wall and CPU (user+sys,
# all threads/children) seconds are both printed, since the machine may be shared.
# Usage: bench/wheel_install_bench.sh   (builds build-bench with -DMLPACK_BENCH=ON, 2 jobs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(realpath -m "${BENCH_DIR:-/tmp/mlpack-wheel-install-bench}")
build=${BUILD_DIR:-$root/build-bench}
runs=${RUNS:-3}
corpus=${PIP_TEST_DATA:-$root/../shared/corpora/pip_test_data/packages}
mkdir -p "$work"

# --- tools ---------------------------------------------------------------------------------------
if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get install -y -q python3-pip >&2
fi
if ! ls /usr/share/python-wheels/*.whl >/dev/null 2>&1; then
  apt-get install -y -q python3-pip-whl python3-setuptools-whl >&2 || echo "no Debian wheels; going on without" >&2
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMLPACK_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target wheel_install_bench >&2
bench="$build/bench/wheel_install_bench"

# --- the wheel set (generated once per version of the generator) --------------------------------
stamp=$(sha256sum "$here/make_wheel_set.py" | cut -c1-16)
if [ "$(cat "$work/wheels/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$work/wheels"; mkdir -p "$work/wheels"
  echo "generating the wheel set into $work/wheels..." >&2
  python3 "$here/make_wheel_set.py" "$work/wheels" >/dev/null
  echo "$stamp" >"$work/wheels/.stamp"
fi
# Real wheels: each must install alone with pip (tags, metadata) and with mlpack (RECORD, paths);
# then one per project, in order, skipping any that installs a path another already does.
pip=(python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --no-index)
real=()
for w in /usr/share/python-wheels/*.whl "$corpus"/*.whl; do
  [ -f "$w" ] || continue
  rm -rf "$work/check"
  if "${pip[@]}" --no-compile --target "$work/check" "$w" >/dev/null 2>&1; then real+=("$w"); else
    echo "pip refuses $(basename "$w")" >&2; fi
done
rm -rf "$work/check"
mapfile -t wheels < <("$bench" select "$work"/wheels/*.whl "${real[@]}" 2> >(sed 's/^/mlpack: /' >&2))
python3 - "${wheels[@]}" <<'EOF'
import sys, zipfile, os
n = files = size = wsize = 0
for w in sys.argv[1:]:
    z = zipfile.ZipFile(w)
    ms = [i for i in z.infolist() if not i.is_dir()]
    n += 1; files += len(ms); size += sum(i.file_size for i in ms); wsize += os.path.getsize(w)
print(f"set: {n} wheels, {files} files, {size / 2**20:.0f} MiB installed, {wsize / 2**20:.0f} MiB of wheels; "
      f"{os.cpu_count()} cores")
EOF

# --- timing --------------------------------------------------------------------------------------
# timed NAME CMD...: appends "wall cpu" for NAME to $work/times (CPU of the children, user+sys).
timed() {
  local name=$1; shift
  python3 - "$work/times" "$name" "$@" <<'EOF'
import os, resource, subprocess, sys, time
out, name, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.monotonic()
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
t = time.monotonic() - t0; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
with open(out, "a") as f:
    f.write(f"{name} {t:.3f} {cpu:.3f}\n")
EOF
}
rm -f "$work/times" "$work/phases"
echo "load average at the start: $(cut -d' ' -f1 /proc/loadavg)"
for i in $(seq "$runs"); do
  echo "run $i of $runs..." >&2
  "$bench" run --compression none --out "$work/layer.tar" "${wheels[@]}" >>"$work/phases"   # warms the page cache
  timed mlpack_tar "$bench" run --compression none --out "$work/layer.tar" "${wheels[@]}"
  timed mlpack_gzip "$bench" run --compression gzip --out "$work/layer.tar.gz" "${wheels[@]}"
  "$bench" run --compression gzip --out "$work/layer.tar.gz" "${wheels[@]}" >>"$work/phases"
  rm -rf "$work/pip"
  timed pip "${pip[@]}" --target "$work/pip" "${wheels[@]}"
  timed pip_tgz tar czf "$work/pip.tar.gz" -C "$work/pip" .
  rm -rf "$work/pip-nc"
  timed pip_nc "${pip[@]}" --no-compile --target "$work/pip-nc" "${wheels[@]}"
  timed pip_nc_tgz tar czf "$work/pip-nc.tar.gz" -C "$work/pip-nc" .
done

python3 - "$work" "$runs" <<'EOF'
import os, statistics, subprocess, sys, tarfile
work, runs = sys.argv[1], int(sys.argv[2])
t = {}
for line in open(f"{work}/times"):
    name, wall, cpu = line.split()
    t.setdefault(name, []).append((float(wall), float(cpu)))
med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in t.items()}
# pip + tar: per run sums, then the median
for a, b in (("pip", "pip_tgz"), ("pip_nc", "pip_nc_tgz")):
    sums = [(x[0] + y[0], x[1] + y[1]) for x, y in zip(t[a], t[b])]
    med[a + "+tgz"] = (statistics.median(s[0] for s in sums), statistics.median(s[1] for s in sums))
def files_in(d):
    return sum(len(fs) for _, _, fs in os.walk(d))
with tarfile.open(f"{work}/layer.tar") as tf:
    layer_files = sum(1 for m in tf if m.isfile())
sz = lambda p: os.path.getsize(p) / 2**20
print(f"layer: {layer_files} files, tar {sz(work + '/layer.tar'):.0f} MiB, gzip {sz(work + '/layer.tar.gz'):.0f} MiB; "
      f"pip --no-compile: {files_in(work + '/pip-nc')} files (tar.gz {sz(work + '/pip-nc.tar.gz'):.0f} MiB), "
      f"pip: {files_in(work + '/pip')} files (tar.gz {sz(work + '/pip.tar.gz'):.0f} MiB)")
rows = [
    ("pip install --target", "pip"),
    ("pip install --target --no-compile", "pip_nc"),
    ("pip install --target + tar czf", "pip+tgz"),
    ("pip --no-compile + tar czf", "pip_nc+tgz"),
    ("mlpack install -> tar layer", "mlpack_tar"),
    ("mlpack install -> gzip layer", "mlpack_gzip"),
]
print(f"{'':36} {'wall':>8} {'cpu':>8}")
for label, k in rows:
    print(f"{label:36} {med[k][0]:7.2f}s {med[k][1]:7.2f}s")
print("ratios (wall; cpu in brackets):")
for label, a, b in (("pip                 / mlpack tar ", "pip", "mlpack_tar"),
                    ("pip --no-compile    / mlpack tar ", "pip_nc", "mlpack_tar"),
                    ("pip + tar czf       / mlpack gzip", "pip+tgz", "mlpack_gzip"),
                    ("pip --no-compile + tar czf / mlpack gzip", "pip_nc+tgz", "mlpack_gzip")):
    print(f"  {label}  {med[a][0] / med[b][0]:5.1f}x  ({med[a][1] / med[b][1]:.1f}x)")
print(f"(median of {runs} runs each; load average at the end: {open('/proc/loadavg').read().split()[0]})")
print("mlpack phases, untimed runs (seconds; install = venv_entries + install_wheel x N + layer_entries):")
for line in open(f"{work}/phases"):
    print("  " + line.strip())
EOF
