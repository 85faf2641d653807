#!/usr/bin/env python3
"""What two images of different projects share (issue 17's measure), side by side for two mlpack
binaries (e.g. one built before the layer planner and one after):

  A: apt.txt python3-pandas, python3-matplotlib
  B: the same + python3-sklearn

from Debian bookworm's real packages (a local signed apt archive of their closure,
tests/fixtures/apt_archive.py; the .debs are cached in $MLPACK_TEST_DEB_CACHE). With --venv the
same pair is made of wheels instead (bench/make_wheel_set.py's data-science set, Debian's python3
underneath): A is the set without scikit-learn, joblib and threadpoolctl, B the whole set. A is
built into an OCI layout, then B into the same layout: the bytes of B's layers whose blobs A
already wrote are what a registry, a CI cache or a node shares between them. Also prints each
build's time and layer count, and a warm rebuild's.

    bench/layer_share.py [--venv] BINARY [BINARY...]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import apt_archive  # noqa: E402

BASE = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
A = ["python3-pandas", "python3-matplotlib"]
B = A + ["python3-sklearn"]


def manifest_layers(layout, tag):
    def blob(d):
        with open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])) as f:
            return json.load(f)
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    m = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    return blob(m["digest"])["layers"]


SKLEARN = {"scikit-learn", "joblib", "threadpoolctl"}


def wheel_projects(work):
    """requirements.txt contents for A and B over the generated wheel set (find-links, no index)."""
    wheels = os.path.join(work, "wheels")
    out = subprocess.run([sys.executable, os.path.join(HERE, "make_wheel_set.py"), wheels], check=True,
                         capture_output=True, text=True).stdout
    pins = []
    for line in out.splitlines():
        name, version = line.split()[0].split("-")[:2]
        pins.append((name.replace("_", "-"), version))
    head = f"--no-index\n--find-links {wheels}\n"
    a = head + "".join(f"{n}=={v}\n" for n, v in pins if n not in SKLEARN)
    b = head + "".join(f"{n}=={v}\n" for n, v in pins)
    return a, b


def main():
    args = sys.argv[1:]
    venv = "--venv" in args
    binaries = [a for a in args if a != "--venv"] or [os.path.join(HERE, "..", "build", "mlpack")]
    work = tempfile.mkdtemp(prefix="mlpack-layer-share-")
    debs = apt_archive.fetch_debs(apt_archive.closure(BASE + (["python3"] if venv else B + ["python3"])))
    wheel_reqs = wheel_projects(work) if venv else None
    key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
    apt_archive.build_archive(os.path.join(work, "archive"), debs, key)
    apt_archive.stop_agent(key.home)
    server = apt_archive.Server(os.path.join(work, "archive"))
    try:
        projects = {}
        for k, (name, packages) in enumerate((("a", A), ("b", B))):
            d = os.path.join(work, name)
            os.makedirs(d)
            with open(os.path.join(d, "mlpack.yaml"), "w") as f:
                f.write(f"apt_sources:\n  - url: {server.url}\n    suite: bookworm\n    components: [main]\n"
                        f"    keyring: {work}/keyring.gpg\n")
            if venv:
                with open(os.path.join(d, "requirements.txt"), "w") as f:
                    f.write(wheel_reqs[k])
            else:
                with open(os.path.join(d, "apt.txt"), "w") as f:
                    f.write("\n".join(packages) + "\n")
            with open(os.path.join(d, "main.py"), "w") as f:
                f.write("import pandas, matplotlib\n")
            projects[name] = d
        for i, binary in enumerate(binaries):
            cache = os.path.join(work, f"cache-{i}")
            layout = os.path.join(work, f"layout-{i}")
            env = dict(os.environ, MLPACK_CACHE_DIR=cache)
            times = {}
            for name in ("a", "b"):
                t = time.time()
                r = subprocess.run([binary, "build", projects[name], "--json", "--sbom", "none", "-o",
                                    f"oci:{layout}:{name}"], env=env, capture_output=True, text=True)
                times[name] = time.time() - t
                if r.returncode != 0:
                    sys.exit(f"{binary} build {name} failed:\n{r.stderr}")
            warm = []
            for _ in range(3):
                t = time.time()
                subprocess.run([binary, "build", projects["b"], "--sbom", "none", "-o", f"oci:{layout}:b"], env=env,
                               capture_output=True, check=True)
                warm.append(time.time() - t)
            la, lb = manifest_layers(layout, "a"), manifest_layers(layout, "b")
            in_a = {l["digest"] for l in la}
            total = sum(l["size"] for l in lb)
            shared = sum(l["size"] for l in lb if l["digest"] in in_a)
            new = [l for l in lb if l["digest"] not in in_a]
            print(f"{binary}: A {len(la)} layers {sum(l['size'] for l in la) / 1e6:.1f} MB, "
                  f"B {len(lb)} layers {total / 1e6:.1f} MB; B's bytes in A's layers: {shared / total:.1%} "
                  f"({len(new)} new layers, {sum(l['size'] for l in new) / 1e6:.1f} MB to push after A); "
                  f"cold A {times['a']:.1f} s, B after A {times['b']:.1f} s, warm B median {statistics.median(warm):.2f} s",
                  flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
