#!/usr/bin/env python3
"""conda environment files from the wild, run through the real `mlpack detect` and `mlpack lock`.

For every conda environment file in the corpus folder (default: ../shared/corpora/
conda_environment_files beside the checkout, or $MLPACK_CORPORA/conda_environment_files):
environment .yml/.yaml files anywhere below it, `@EXPLICIT` files (.txt) and conda-lock files, this
writes a fresh project holding the file under the name mlpack looks for (environment.yml,
conda-<platform>.lock from its `# platform:` comment, conda-lock.yml), with what its `pip:` list
names beside it (`-r FILE`, `-e ./dir`; the whole folder when the folder is that file's own
project, as advanced-pip/), and an mlpack.yaml whose `conda_channel_alias` and
`conda_default_channels` point channel names and `defaults` at ONE conda channel tree generated
here and served on loopback (every channel name the corpus uses, with packages for every spec name
at versions that satisfy the specs, plus python 3.12 and pip; a PyPI index with every `pip:` name,
given to mlpack as PIP_INDEX_URL). Then:

  valid files        `detect --json` exit 0 listing every conda spec with its line;
                     `lock --json` exit 0 with a conda entry in mlpack.lock for every spec name
                     (an exact pin locked at that version) and a pypi entry for every `pip:` name;
  invalid files      (INVALID) exit 2 naming `environment.yml:LINE:COL`;
  known exceptions   (EXCEPTIONS, one reason each) what can run still runs, and the documented
                     exit code and message are checked, so the exception itself is tested.

    run.py [FOLDER] [--mlpack BIN] [--only RELPATH] [-v]

Exit status 0 when every file behaves as expected; 1 otherwise; 77 (skip) when the corpus is absent.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))
import skip_policy  # noqa: E402  (under CI=true an unlisted skip fails)
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from base_image import glibc_base  # noqa: E402
from conda_channel import build_channel  # noqa: E402
from python_index import Server, build_index, normalize  # noqa: E402

PYTHON_VERSION = "3.12.4"
# Channel names always served: conda-forge (mlpack's channel when a file lists none) and the two
# channels `defaults` maps to through conda_default_channels.
ALWAYS_CHANNELS = ("conda-forge", "pkgs/main", "pkgs/r")
# Values for the ${VAR}s of channels_with_envvars.yml (a token must never be printed).
CHANNEL_VARS = {"CONDA_TOKEN": "tok-s3cr3t-1", "OTHER_KEY": "tok-s3cr3t-2"}

# --- what is expected where a file cannot be run in full -----------------------------------------
#
# Each entry: the corpus-relative path -> (reason, expectations). An expectation per command:
# None (not run: it would need the network), or (exit status, [substrings of the message]).
# A command not named runs and must succeed as for a valid file.

REASON_HTTPS_HOST = "a channel on a fixed https host the test cannot serve (https://localhost on port 443)"
REASON_UNLISTED = "a spec names a channel that `channels:` does not list (mlpack uses exactly the listed channels)"
REASON_PINNED_URLS = ("explicit file pinning package URLs on repo.anaconda.com / conda.anaconda.org "
                      "(lock downloads each package to verify it: detect only)")
REASON_OTHER_PLATFORM = "explicit file for another platform (win-64): nothing to install on linux-64"
REASON_EDITABLE = ("`-e` editable pip lines (mlpack installs wheels only: unsupported), and a pip `--index-url` "
                   "on a public mirror (the network)")

EXCEPTIONS = {
    "conda_tests_env_support/channels_with_envvars.yml": (REASON_HTTPS_HOST, {
        # Without the variables, detect names the first one (nothing guessed, nothing fetched).
        "detect-without-vars": (2, ["environment.yml:4:5", "${CONDA_TOKEN}", "not set"]),
        # The two ${VAR} channels expand from the environment; port 443 on loopback has no server:
        # exit 1 naming the channel, its token masked.
        "lock": (1, ["https://localhost/t/***/stable"]),
    }),
    "conda_tests_env_support/example/environment_host_port.yml": (REASON_UNLISTED, {
        "lock": (2, ["environment.yml:3", "https://104.17.92.24:443", "does not list"]),
    }),
    "conda_tests_env_support/explicit.txt": (REASON_PINNED_URLS, {"lock": None}),
    "rattler_explicit_envs/ros-noetic_linux-64.txt": (REASON_PINNED_URLS, {"lock": None}),
    "rattler_explicit_envs/xtensor_linux-64.txt": (REASON_PINNED_URLS, {"lock": None}),
    "rattler_explicit_envs/vs2015_runtime_win-64.txt": (REASON_OTHER_PLATFORM, {
        "lock": (2, ["no explicit conda lock for linux-64", "conda-win-64.lock (win-64)"]),
    }),
    # `-e git+{ARGH_PATH_PLACEHOLDER}#egg=argh` (line 18, a template never meant to be used as is)
    # is refused before anything is fetched; without it, `--index-url https://pypi.doubanio.com/simple`
    # would replace PIP_INDEX_URL and need the network.
    "conda_tests_env_support/advanced-pip/env_template.yml": (REASON_EDITABLE, {
        "detect": (1, ["environment.yml:18", "-e git+{ARGH_PATH_PLACEHOLDER}#egg=argh", "editable install"]),
        "lock": (1, ["environment.yml:18", "editable install"]),
    }),
}

# Files that are not valid environment files: corpus-relative path -> the `environment.yml:LINE:COL`
# the error must name (both detect and lock exit 2).
INVALID = {
    # `names:`, `chanels:`, `dependecies:`, `prefis:`: conda's own test of misspelt keys.
    "conda_tests_env_support/invalid_keys.yml": "environment.yml:1:1",
}


def default_folder():
    base = os.environ.get("MLPACK_CORPORA") or str(REPO.parent / "shared" / "corpora")
    return Path(base) / "conda_environment_files"


# --- reading the corpus (independently of mlpack) ------------------------------------------------

def is_explicit(text):
    return any(line.strip() == "@EXPLICIT" for line in text.splitlines())


def is_conda_lock(text):
    keys = {m.group(1) for m in re.finditer(r"^([A-Za-z_]+):", text, re.M)}
    return {"version", "metadata", "package"} <= keys


def find_files(folder):
    """[(relative path, kind)] with kind environment / explicit / conda-lock."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        text = path.read_text(errors="replace")
        if path.suffix in (".yml", ".yaml"):
            out.append((rel, "conda-lock" if is_conda_lock(text) else "environment"))
        elif path.suffix in (".txt", ".lock") and is_explicit(text):
            out.append((rel, "explicit"))
    return out


def strip_comment(s):
    # YAML: ` #` starts a comment outside quotes (good enough for environment files).
    m = re.search(r"(^|\s)#", s)
    return s[:m.start()].rstrip() if m else s.rstrip()


def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def read_environment(text):
    """What an environment.yml lists, with lines: {"channels": [...], "deps": [(spec, line)],
    "pip": [(text, line)]} — a small block-YAML reader for the shapes environment files use."""
    doc = {"channels": [], "deps": [], "pip": []}
    section = None
    pip_indent = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw)
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0 and not line.startswith("-"):
            key = line.split(":", 1)[0].strip()
            section = key if key in ("channels", "dependencies") else None
            pip_indent = None
            value = line.split(":", 1)[1].strip() if ":" in line else ""
            if section and value.startswith("["):  # a flow list: `dependencies: [a, b]`
                for item in filter(None, (unquote(x) for x in value.strip("[]").split(","))):
                    doc["deps" if section == "dependencies" else "channels"].append(
                        (item, number) if section == "dependencies" else item)
            continue
        item = line.strip()
        if not item.startswith("-"):
            continue
        item = unquote(item[1:].strip())
        if section == "channels":
            doc["channels"].append(item)
        elif section == "dependencies":
            if pip_indent is not None and indent > pip_indent:
                doc["pip"].append((item, number))
                continue
            pip_indent = None
            if re.fullmatch(r"pip\s*:", item):
                pip_indent = indent
            elif item:
                doc["deps"].append((item, number))
    return doc


def split_spec(spec):
    """conda MatchSpec text -> (channel or None, name, the rest)."""
    channel = None
    if "::" in spec:
        channel, spec = spec.rsplit("::", 1)
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return channel, m.group(1).lower(), m.group(2).strip()


def pinned_version(rest):
    """`==x`, `=x` or `x` (no operator, no wildcard, no build) -> x; else None."""
    m = re.fullmatch(r"(?:==?)?\s*([0-9][0-9A-Za-z_.+!]*)", rest)
    return m.group(1) if m else None


def candidates(rest):
    """{(version, build)} to generate for a spec's version part: an exact pin gives exactly its
    version (with its build, when one is written: `=1.0=py36_0`, `1.0 py36*`); a range gives each
    version number written in it, each with a `.1` after it, and a low and a high one."""
    if not rest:
        return {("1.0.0", "h0_0")}
    pin = pinned_version(rest)
    if pin:
        return {(pin, "h0_0")}
    m = re.fullmatch(r"(?:==?)?\s*([0-9][0-9A-Za-z_.+!]*?)(?:\.\*)?[=\s]+([A-Za-z0-9_.*]+)", rest)
    if m:  # version and build
        return {(m.group(1), m.group(2).replace("*", "x0"))}
    numbers = set(re.findall(r"\d+(?:\.\d+)*", rest))
    return {(v, "h0_0") for v in numbers | {n + ".1" for n in numbers} | {"0.0.1", "999.0"}}


def pip_name(line):
    """A pip requirement line -> (name, pinned version or None), or None for an option line."""
    parsed = pip_requirement(line)
    return parsed and (parsed[0], parsed[1])


def pip_requirement(line):
    """A pip requirement line -> (name, pinned version or None, versions to publish, extras)."""
    if line.startswith(("-", ".", "/")) or ("://" in line and " @ " not in line):
        return None
    m = re.match(r"([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$", line)
    if not m:
        return None
    specifier = m.group(3).split(";")[0].strip()
    extras = [x.strip() for x in (m.group(2) or "").split(",") if x.strip()]
    pin = re.fullmatch(r"===?\s*([0-9][0-9A-Za-z_.+!]*)", specifier)
    if pin:
        versions = {pin.group(1)}
    elif specifier:
        numbers = set(re.findall(r"\d+(?:\.\d+)*", specifier))
        versions = numbers | {n + ".1" for n in numbers} | {"0.0.1", "999.0"}
    else:
        versions = {"1.0.0"}
    return normalize(m.group(1)), (pin.group(1) if pin else None), versions, extras


def included_requirements(env_file, pip_lines):
    """The requirement lines of `-r FILE` includes, from the environment file's folder."""
    out = []
    for text, _ in pip_lines:
        m = re.match(r"(?:-r|--requirement)[\s=]+(\S+)", text)
        if m:
            path = env_file.parent / m.group(1)
            if path.is_file():
                for line in path.read_text().splitlines():
                    line = line.split("#", 1)[0].strip()
                    if line:
                        out.append((line, 0))
    return out


class Entry:
    def __init__(self, folder, rel, kind):
        self.rel, self.kind, self.path = rel, kind, folder / rel
        self.text = self.path.read_text(errors="replace")
        self.env = read_environment(self.text) if kind == "environment" else None
        self.specs = []      # (channel, name, rest, spec text, line)
        self.pip = {}        # normalized name -> pinned version or None
        self.pip_publish = {}  # normalized name -> (versions, extras) for the index
        if self.env:
            for spec, line in self.env["deps"]:
                channel, name, rest = split_spec(spec)
                self.specs.append((channel, name, rest, spec, line))
            for text, _ in self.env["pip"] + included_requirements(self.path, self.env["pip"]):
                parsed = pip_requirement(text)
                if parsed:
                    self.pip[parsed[0]] = parsed[1]
                    versions, extras = self.pip_publish.setdefault(parsed[0], (set(), set()))
                    versions.update(parsed[2])
                    extras.update(parsed[3])
        platform = re.search(r"^#\s*platform:\s*(\S+)", self.text, re.M)
        self.platform = platform.group(1) if platform else "linux-64"

    def project_name(self):
        if self.kind == "explicit":
            return f"conda-{self.platform}.lock"
        return "conda-lock.yml" if self.kind == "conda-lock" else "environment.yml"


# --- the loopback channel tree and index ---------------------------------------------------------

def channel_names(entries):
    names = set(ALWAYS_CHANNELS)
    for e in entries:
        if not e.env:
            continue
        for c in e.env["channels"] + [s[0] for s in e.specs if s[0]]:
            if "://" in c or c.startswith("/") or c in ("defaults", "nodefaults") or "${" in c:
                continue
            names.add(c.strip("/"))
    return sorted(names)


def conda_packages(entries):
    versions = {"python": {(PYTHON_VERSION, "h0_0_cpython")}, "pip": {("24.0", "pyh0_0")}}
    for e in entries:
        for _, name, rest, _, _ in e.specs:
            if name in ("python", "pip") and not rest:
                continue
            versions.setdefault(name, set()).update(candidates(rest))
    packages = []
    for name, vs in sorted(versions.items()):
        for v, build in sorted(vs):
            if name == "python":
                packages.append({"name": name, "version": v, "build": build, "depends": ["__glibc >=2.17,<3.0.a0"]})
            elif name == "pip":
                packages.append({"name": name, "version": v, "build": build, "subdir": "noarch",
                                 "noarch": "python", "depends": ["python"]})
            else:
                packages.append({"name": name, "version": v, "build": build})
    return packages


def pypi_packages(entries):
    versions, extras = {}, {}
    for e in entries:
        for name, (vs, xs) in e.pip_publish.items():
            versions.setdefault(name, set()).update(vs)
            extras.setdefault(name, set()).update(xs)
    return {name: {"versions": {v: {"requires_python": ">=3.8", "sdist": False,
                                    "extras": {x: [] for x in sorted(extras[name])}} for v in sorted(vs)}}
            for name, vs in versions.items()}


def build_served(entries, served):
    chans = channel_names(entries)
    first = served / chans[0]
    build_channel(first, conda_packages(entries))
    for name in chans[1:]:  # every channel holds the same packages
        link = served / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(first.resolve(), target_is_directory=True)
    build_index(pypi_packages(entries), served / "pypi")
    return chans


# --- running ------------------------------------------------------------------------------------

def run(mlpack, command, project, env):
    proc = subprocess.run([mlpack, command, "--json", str(project)], capture_output=True, text=True,
                          env=env, timeout=120)
    try:
        doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        doc = {"_unparsed": proc.stdout[:500]}
    message = (doc.get("error") or {}).get("message", "") if isinstance(doc, dict) else ""
    return proc.returncode, doc, message + "\n" + proc.stderr


def check_expected(what, got, expected):
    """`expected` is (status, [substrings]); returns a failure text or None."""
    status, needles = expected
    code, _, message = got
    if code != status:
        return f"{what}: expected exit {status}, got {code}: {message.strip()[:400]}"
    missing = [n for n in needles if n not in message]
    if missing:
        return f"{what}: exit {code} as expected, but the message lacks {missing}: {message.strip()[:400]}"
    return None


def check_detect(entry, got):
    code, doc, message = got
    if code != 0:
        return f"detect: exit {code}: {message.strip()[:400]}"
    if "conda" not in doc.get("ecosystems", []):
        return f"detect: no conda ecosystem in {doc.get('ecosystems')}"
    conda = doc.get("conda", {})
    if conda.get("files") != [entry.project_name()]:
        return f"detect: conda files {conda.get('files')}, expected [{entry.project_name()}]"
    want_kind = {"environment": "environment", "explicit": "explicit", "conda-lock": "conda-lock"}[entry.kind]
    if conda.get("kind") != want_kind:
        return f"detect: conda kind {conda.get('kind')!r}, expected {want_kind!r}"
    got_specs = [(r["name"], r["line"], r["file"]) for r in doc.get("requirements", []) if r["ecosystem"] == "conda"]
    want_specs = [(name, line, "environment.yml") for _, name, _, _, line in entry.specs]
    if got_specs != want_specs:
        return f"detect: conda requirements {got_specs}, expected {want_specs}"
    got_pip = sorted(normalize(p["name"]) for p in conda.get("pip", []))
    want_pip = sorted(n for n, _ in ((pip_name(t) or (None, None)) for t, _ in (entry.env or {}).get("pip", [])) if n)
    if got_pip != want_pip:
        return f"detect: conda pip {got_pip}, expected {want_pip}"
    if any(v in json.dumps(doc) for v in CHANNEL_VARS.values()):
        return "detect: a channel token is printed"
    return None


def check_lock(entry, project, got, server_url):
    code, doc, message = got
    if code != 0:
        return f"lock: exit {code}: {message.strip()[:600]}"
    lock_path = project / "mlpack.lock"
    if not lock_path.is_file():
        return "lock: exit 0 but no mlpack.lock"
    text = lock_path.read_text()
    conda = {p["name"]: p for p in doc.get("packages", []) if p.get("ecosystem") == "conda"}
    pypi = {normalize(p["name"]): p for p in doc.get("packages", []) if p.get("ecosystem") == "pypi"}
    for _, name, rest, spec, line in entry.specs:
        if name not in conda:
            return f"lock: no conda entry for `{spec}` (line {line}); locked {sorted(conda)}"
        if not re.search(rf"(?m)^\s*(- )?name: {re.escape(name)}$", text):
            return f"lock: mlpack.lock has no entry named {name}"
        pin = pinned_version(rest)
        if pin and conda[name]["version"] != pin:
            return f"lock: `{spec}` locked at {conda[name]['version']}"
    for name, p in conda.items():  # channel names and `defaults` went to the loopback tree
        if not str(p.get("source", "")).startswith(server_url + "/"):
            return f"lock: conda {name} comes from {p.get('source')!r}, not from {server_url}"
    for name, pin in entry.pip.items():
        if name not in pypi:
            return f"lock: no pypi entry for pip requirement {name}; locked {sorted(pypi)}"
        if pin and pypi[name]["version"] != pin:
            return f"lock: pip `{name}=={pin}` locked at {pypi[name]['version']}"
    if any(v in text or v in message for v in CHANNEL_VARS.values()):
        return "lock: a channel token is written or printed"
    return None


def referenced_paths(entry):
    """Paths a `pip:` list names relative to the environment file (`-r`, `-c`, `-e ./dir`, `-f dir`)."""
    out = []
    for text, _ in (entry.env or {}).get("pip", []):
        m = re.match(r"(?:-r|--requirement|-c|--constraint|-e|--editable|-f|--find-links)[\s=]+(\S+)", text)
        if m and "://" not in m.group(1) and "+" not in m.group(1).split("/")[0]:
            out.append(m.group(1))
    return out


def copy_project(entry, project):
    """The file under the name mlpack looks for, with what its `pip:` list names beside it; when
    the file's folder is its own project (no other environment file in it, as advanced-pip/), the
    whole folder comes along."""
    project.mkdir(parents=True)
    folder = entry.path.parent.resolve()
    source = entry.path.resolve()
    siblings = [p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p != source]
    items = set()
    if entry.kind == "environment" and not siblings and entry.rel.count("/") > 1:
        items = {p for p in folder.iterdir() if p != source and not p.name.startswith(".")}
    for ref in referenced_paths(entry):
        path = (folder / ref).resolve()
        if path.exists() and path.is_relative_to(folder):
            items.add(path)
    for item in sorted(items):
        target = project / item.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    shutil.copy2(source, project / entry.project_name())


def run_entry(mlpack, entry, project, yaml_text, env, server_url):
    """[failure texts] for one corpus file, and which commands ran ok."""
    copy_project(entry, project)
    (project / "mlpack.yaml").write_text(yaml_text)
    failures, ok = [], set()
    if entry.rel in INVALID:
        where = INVALID[entry.rel]
        for command in ("detect", "lock"):
            failure = check_expected(command, run(mlpack, command, project, env), (2, [where]))
            (failures.append(failure) if failure else ok.add(command))
        return failures, ok
    expect = EXCEPTIONS.get(entry.rel, (None, {}))[1]
    if "detect-without-vars" in expect:
        bare = {k: v for k, v in env.items() if k not in CHANNEL_VARS}
        failure = check_expected("detect without the channel variables", run(mlpack, "detect", project, bare),
                                 expect["detect-without-vars"])
        if failure:
            failures.append(failure)
    for command in ("detect", "lock"):
        if command in expect and expect[command] is None:
            continue
        got = run(mlpack, command, project, env)
        if command in expect:
            failure = check_expected(command, got, expect[command])
        elif command == "detect":
            failure = check_detect(entry, got)
        else:
            failure = check_lock(entry, project, got, server_url)
        (failures.append(failure) if failure else ok.add(command))
    return failures, ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=default_folder())
    parser.add_argument("--mlpack", default=os.environ.get("MLPACK_BIN", str(REPO / "build" / "mlpack")))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if not args.folder.is_dir():
        return skip_policy.skip_exit(
            "conformance.conda_env", f"no conda environment files at {args.folder} (set MLPACK_CORPORA)")

    entries = [Entry(args.folder, rel, kind) for rel, kind in find_files(args.folder)]
    if not entries:
        print(f"FAIL: no conda environment files found under {args.folder}")
        return 1
    stale = sorted((set(EXCEPTIONS) | set(INVALID)) - {e.rel for e in entries})
    selected = [e for e in entries if not args.only or e.rel in args.only]

    failed, tally, exceptions = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="mlpack-conda-env-") as tmp:
        work = Path(tmp)
        served = work / "served"
        chans = build_served(entries, served)
        server = Server(served)
        try:
            base = glibc_base(args.mlpack, str(work))
            yaml_text = (f"base: {base}\nconda_channel_alias: {server.url}\n"
                         f"conda_default_channels: [{server.url}/pkgs/main, {server.url}/pkgs/r]\n")
            env = dict(os.environ, MLPACK_CACHE_DIR=str(work / "cache"), PIP_INDEX_URL=f"{server.url}/pypi/simple/",
                       **CHANNEL_VARS)
            for var in ("CONDA_CHANNEL_ALIAS", "CONDA_DEFAULT_CHANNELS", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
                env.pop(var, None)
            if args.verbose:
                print(f"channels served at {server.url}: {', '.join(chans)}")
            for i, entry in enumerate(selected):
                failures, ok = run_entry(args.mlpack, entry, work / "projects" / f"p{i}", yaml_text, env,
                                         server.url)
                label = "invalid" if entry.rel in INVALID else "valid"
                if entry.rel in EXCEPTIONS:
                    label = "exception"
                    exceptions.setdefault(EXCEPTIONS[entry.rel][0], []).append(entry.rel)
                counts = tally.setdefault(label, {"files": 0, "detect": 0, "lock": 0})
                counts["files"] += 1
                counts["detect"] += "detect" in ok
                counts["lock"] += "lock" in ok
                if failures:
                    failed.append(entry.rel)
                    for f in failures:
                        print(f"FAIL {entry.rel} ({label}): {f}")
                elif args.verbose:
                    print(f"ok   {entry.rel} ({label}, {entry.kind}): {', '.join(sorted(ok)) or 'nothing run'}")
        finally:
            server.stop()

    for rel in stale:
        print(f"note: {rel} is listed in EXCEPTIONS/INVALID but is not in {args.folder}")
    def part(label, what):
        c = tally.get(label, {"files": 0, "detect": 0, "lock": 0})
        return f"{c['files']} {label}: detect {what} {c['detect']}, lock {what} {c['lock']}"
    print(f"conda_env: {len(selected)} files, {len(failed)} failed")
    print(f"  {part('valid', 'ok')}")
    print(f"  {part('invalid', 'exit 2 with a location')}")
    print(f"  {part('exception', 'as documented')} (lock not run for {sum(1 for e in selected if EXCEPTIONS.get(e.rel, (0, {}))[1].get('lock', 0) is None)})")
    for reason, rels in sorted(exceptions.items()):
        print(f"  exception ({len(rels)}): {reason}: {', '.join(rels)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
