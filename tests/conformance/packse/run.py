#!/usr/bin/env python3
"""packse resolver scenarios, run through the real `mlpack lock`.

For every scenario TOML in a folder (default: ../shared/corpora/packse_scenarios/scenarios beside
the checkout, or $MLPACK_CORPORA/packse_scenarios/scenarios), this generates the scenario's
packages as real wheels and sdists, publishes them as a PEP 503 simple index served over HTTP on
loopback, writes a project whose requirements.txt holds the scenario's root requirements, runs
`mlpack lock --json` on it for the scenario's target Python, and compares the locked set with the
scenario's expectation (satisfiable or not; the exact versions when satisfiable).

Skipped, and counted, as the issue allows: universal (fork) scenarios, which need a multi-platform
resolver mode; and scenarios whose expected result needs an sdist built (mlpack never runs build
backends). Every other scenario must pass.

    run.py [FOLDER] [--mlpack BIN] [--only NAME] [-v]

Exit status 0 when every non-skipped scenario passes; 77 (skip) when the folder is absent.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
import skip_policy  # noqa: E402  (under CI=true an unlisted skip fails)
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from python_index import Server, build_index, normalize  # noqa: E402

DEFAULT_PYTHON = "3.12"


def default_folder():
    base = os.environ.get("MLPACK_CORPORA") or str(REPO.parent / "shared" / "corpora")
    return Path(base) / "packse_scenarios" / "scenarios"


# --- what mlpack can be expected to do ----------------------------------------------------------

def tag_runs_on(tag, python):
    """A small PEP 425 check for the linux/x86_64 CPython target, used only to decide skips."""
    major, minor = (int(x) for x in python.split(".")[:2])
    for triple in expand_tags(tag):
        py, abi, plat = triple
        py_ok = py in (f"py{major}", f"py{major}{minor}", f"cp{major}{minor}") or (
            py.startswith(f"py{major}") and py[len(f"py{major}"):].isdigit() and int(py[len(f"py{major}"):]) <= minor)
        abi_ok = abi in ("none", "abi3", f"cp{major}{minor}")
        plat_ok = plat == "any" or plat in ("linux_x86_64",)
        if py_ok and abi_ok and plat_ok:
            return True
    return False


def expand_tags(tag):
    parts = tag.split("-")
    if len(parts) != 3:
        return []
    return [(p, a, f) for p in parts[0].split(".") for a in parts[1].split(".") for f in parts[2].split(".")]


def needs_sdist_build(scenario, python):
    """True when the expected set uses a version that has no usable wheel for the target."""
    expected = scenario.get("expected", {})
    if not expected.get("satisfiable"):
        return False
    no_binary = set(normalize(n) for n in scenario.get("resolver_options", {}).get("no_binary", []))

    def usable(name, spec):
        spec = spec or {}
        return (normalize(name) not in no_binary and spec.get("wheel", True)
                and any(tag_runs_on(t, python) for t in (spec.get("wheel_tags") or ["py3-none-any"])))

    want = {normalize(k): v for k, v in expected.get("packages", {}).items()}
    for name, pkg in scenario.get("packages", {}).items():
        versions = pkg.get("versions", {})
        if normalize(name) in want:
            if not usable(name, versions.get(want[normalize(name)])):
                return True
        elif not want and versions and not any(usable(name, spec) for spec in versions.values()):
            # No expected set is given: a project with no usable wheel at all needs a build.
            return True
    return False


def skip_reason(scenario):
    options = scenario.get("resolver_options", {})
    if options.get("universal"):
        return "universal (fork) resolution"
    if options.get("python_platform") or options.get("required_environments"):
        return "a resolver platform other than the target's"
    python = options.get("python") or scenario.get("environment", {}).get("python", DEFAULT_PYTHON)
    if needs_sdist_build(scenario, python):
        return "the expected result needs an sdist built"
    return None


# --- running ------------------------------------------------------------------------------------

def make_base(mlpack, work):
    """An image base with nothing in it: the lock then needs no OS packages and no network."""
    layer = work / "empty-layer"
    (layer / "etc").mkdir(parents=True)
    base = work / "base"
    subprocess.run([mlpack, "append", "--layer", f"{layer}:/", "-o", f"oci:{base}:empty"],
                   check=True, capture_output=True)
    return f"oci:{base}:empty"


def run_scenario(mlpack, scenario, work, server_url, index, base, cache):
    name = scenario["name"]
    project = work / "projects" / name
    project.mkdir(parents=True)
    lines = [f"--index-url {server_url}/{index}/simple/"]
    options = scenario.get("resolver_options", {})
    if options.get("prereleases"):
        lines.append("--pre")
    if options.get("no_binary"):
        lines.append("--no-binary " + ",".join(options["no_binary"]))
    if options.get("no_build"):
        lines.append("--only-binary " + ",".join(options["no_build"]))
    lines += scenario.get("root", {}).get("requires", [])
    (project / "requirements.txt").write_text("\n".join(lines) + "\n")
    (project / "mlpack.yaml").write_text(f"base: {base}\n")
    options = scenario.get("resolver_options", {})
    python = options.get("python") or scenario.get("environment", {}).get("python", DEFAULT_PYTHON)
    cmd = [mlpack, "--cache-dir", str(cache), "lock", str(project), "--python", python, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return False, f"exit {proc.returncode}, stdout is not one JSON document: {proc.stdout[:300]!r} {proc.stderr[-500:]!r}"
    expected = scenario.get("expected", {})
    if expected.get("satisfiable"):
        if proc.returncode != 0:
            return False, f"expected a solution, got exit {proc.returncode}: {doc.get('error', {}).get('message', '')}"
        got = {p["name"]: p["version"] for p in doc.get("packages", []) if p.get("ecosystem") == "pypi"}
        want = {normalize(k): v for k, v in expected.get("packages", {}).items()}
        if want and got != want:
            return False, f"expected {want}, locked {got}"
        return True, ""
    if proc.returncode != 1 or doc.get("error", {}).get("kind") not in ("unsatisfiable",):
        detail = doc.get("error", {}).get("message") or doc.get("packages")
        return False, f"expected no solution (exit 1, unsatisfiable), got exit {proc.returncode}: {detail}"
    return True, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=default_folder())
    parser.add_argument("--mlpack", default=os.environ.get("MLPACK_BIN", str(REPO / "build" / "mlpack")))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if not args.folder.is_dir():
        return skip_policy.skip_exit(
            "conformance.packse", f"no packse scenarios at {args.folder} (set MLPACK_CORPORA)")

    scenarios = []
    for path in sorted(args.folder.rglob("*.toml")):
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        for s in doc.get("scenarios", [doc]):
            s["_file"] = str(path.relative_to(args.folder))
            scenarios.append(s)
    if args.only:
        scenarios = [s for s in scenarios if s["name"] in args.only]

    passed, failed, skipped = [], [], {}
    with tempfile.TemporaryDirectory(prefix="mlpack-packse-") as tmp:
        work = Path(tmp)
        served = work / "served"
        for i, s in enumerate(scenarios):
            if skip_reason(s) is None:
                build_index(s.get("packages", {}), served / f"s{i}", with_metadata_files=(i % 2 == 0))
        server = Server(served)
        try:
            base = make_base(args.mlpack, work)
            cache = work / "cache"
            for i, s in enumerate(scenarios):
                reason = skip_reason(s)
                if reason:
                    skipped.setdefault(reason, []).append(s["name"])
                    continue
                ok, why = run_scenario(args.mlpack, s, work, server.url, f"s{i}", base, cache)
                (passed if ok else failed).append((s["name"], why))
                if args.verbose or not ok:
                    print(f"{'PASS' if ok else 'FAIL'} {s['_file']} {s['name']}{': ' + why if why else ''}")
        finally:
            server.stop()

    total_skipped = sum(len(v) for v in skipped.values())
    for reason, names in sorted(skipped.items()):
        print(f"skipped {len(names)}: {reason}")
    print(f"packse: {len(passed)} passed, {len(failed)} failed, {total_skipped} skipped, of {len(scenarios)} scenarios")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
