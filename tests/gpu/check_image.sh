#!/bin/sh
# On a machine with an NVIDIA GPU: does `mlpack check-gpu` agree with the driver that is really
# there? NOT run in CI (CI runners have no GPU); run it by hand, or on a lent GPU machine.
#
#   tests/gpu/check_image.sh [IMAGE]...
#
# IMAGE is any location mlpack reads (oci:DIR:TAG, oci-archive:FILE, docker://…), e.g. an image
# `mlpack build` made from a project with `cuda: "12.1"`. Without one, the script makes three
# small images with `mlpack append` carrying the labels and Env a CUDA build writes (11.8, 12.1,
# 13.0), so it needs no network. For each image it reads the local driver with nvidia-smi, runs
# `mlpack check-gpu IMAGE --json` (which asks nvidia-smi itself) and checks, independently of
# mlpack, that the verdict matches `driver >= org.mlpack.cuda.driver-min` (sort -V) and that
# check-gpu used nvidia-smi's driver. Exit 0 when every image agrees.
#
# MLPACK: the binary (default: build/mlpack, else mlpack on PATH).
set -eu

MLPACK=${MLPACK:-}
if [ -z "$MLPACK" ]; then
  if [ -x build/mlpack ]; then MLPACK=build/mlpack; else MLPACK=$(command -v mlpack || true); fi
fi
[ -n "$MLPACK" ] || { echo "no mlpack binary: set MLPACK" >&2; exit 2; }
command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script needs a GPU machine" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3 (to read --json)" >&2; exit 2; }

nvidia-smi
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n 1 | tr -d ' \r')
echo "driver: $driver"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -eq 0 ]; then
  mkdir -p "$work/layer"
  echo weights > "$work/layer/model.txt"
  for v in 11.8:450.80.02 12.1:525.60.13 13.0:580; do
    cuda=${v%%:*}
    floor=${v#*:}
    "$MLPACK" append --layer "$work/layer:/app" \
      --env "NVIDIA_REQUIRE_CUDA=cuda>=$cuda" --env NVIDIA_VISIBLE_DEVICES=all \
      --env NVIDIA_DRIVER_CAPABILITIES=compute,utility \
      --label "org.mlpack.cuda.version=$cuda" --label "org.mlpack.cuda.driver-min=$floor" \
      -o "oci:$work/images:cu$cuda" >/dev/null
    set -- "$@" "oci:$work/images:cu$cuda"
  done
fi

failed=0
for image in "$@"; do
  set +e
  "$MLPACK" check-gpu "$image" --json > "$work/out.json"
  rc=$?
  set -e
  summary=$(python3 - "$work/out.json" "$driver" "$rc" <<'PY'
import json, subprocess, sys
doc = json.load(open(sys.argv[1]))
driver, rc = sys.argv[2], int(sys.argv[3])
problems = []
if doc.get("cuda") is None:
    expected = True
else:
    floor = doc["driver_min"]
    lowest = subprocess.run(["sort", "-V"], input=f"{floor}\n{driver}\n", capture_output=True,
                            text=True).stdout.split()[0]
    expected = lowest == floor
    if doc.get("driver") != driver or doc.get("driver_source") != "nvidia-smi":
        problems.append(f"check-gpu used driver {doc.get('driver')} ({doc.get('driver_source')}), not nvidia-smi's {driver}")
if doc.get("runs") != expected:
    problems.append(f"check-gpu says runs={doc.get('runs')}, the driver table says {expected}")
if rc != (0 if doc.get("runs") else 1):
    problems.append(f"exit {rc} does not match runs={doc.get('runs')}")
print(("FAIL " + "; ".join(problems)) if problems else f"ok   cuda={doc.get('cuda')} runs={doc.get('runs')}: {doc.get('reason')}")
PY
)
  echo "$image: $summary"
  case $summary in FAIL*) failed=1 ;; esac
done
exit $failed
