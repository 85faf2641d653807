"""Every project under examples/ is built with `mlpack build`, unpacked with umoci and its `verify`
script run inside the image with runc; then built again from a fresh copy, in another folder, with
an empty cache, which must give the same manifest digest.

The Debian packages come from a signed apt archive of real .debs served on loopback
(tests/fixtures/apt_archive.py), so the test needs neither deb.debian.org nor PyPI while it runs:
each copy gets an `apt_sources` entry in its mlpack.yaml and, unless the example names a base,
`base: debian:bookworm` (the archive holds this machine's bookworm .debs; an example that names no
base is built on the default, debian:trixie, elsewhere), the only changes made to an example.
The conda example's packages come from a local conda channel (tests/fixtures/conda_channel.py and
conda_debian.py: Debian's python3.11 repacked, tomli and pip generated) that `conda-forge` is mapped
to with CONDA_CHANNEL_ALIAS, and its `pip:` part from a local index (PIP_INDEX_URL).
The R example (a DESCRIPTION project) gets R itself, r-base-core and the helpers its scripts run,
from the same apt archive, and its packages from a local CRAN-like repository of real binaries
(tests/fixtures/cran_repo.py: Debian's r-cran-* builds repacked): its copy's mlpack.yaml also gets
`cran: <that repository>` next to `apt_sources`, in place of Posit Package Manager."""

import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, need, run, runc_run, umoci_unpack  # noqa: E402
from test_sbom import check_layout_spdx  # noqa: E402

import apt_archive  # noqa: E402
import conda_debian  # noqa: E402
import cran_repo  # noqa: E402
from conda_channel import build_channel  # noqa: E402
from python_index import Server, build_index  # noqa: E402

EXAMPLES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
# mlpack's minimal base and the suite's Python, which every example here uses.
BASE = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged", "python3"]
# What an R project's image needs from Debian: R and what its scripts run (bash, sed, grep,
# debianutils; libc-bin for the C.UTF-8 locale), and libxml2 for xml2 (the buildpack adds it from
# xml2's SystemRequirements; libxml2-dev is in the index, as on any mirror, for its Depends).
R_PACKAGES = ["r-base-core", "bash", "sed", "grep", "debianutils", "libc-bin", "libxml2"]
R_INDEX_ONLY = ["libxml2-dev"]
# Left behind by building an example in place; never part of what is tested.
LEFTOVERS = shutil.ignore_patterns(".mlpack", "mlpack.lock", "__pycache__", "*.pyc", "*.tar")


def examples():
    return sorted(e for e in os.listdir(EXAMPLES) if os.path.isfile(os.path.join(EXAMPLES, e, "verify")))


def is_r_project(example):
    return os.path.exists(os.path.join(EXAMPLES, example, "DESCRIPTION"))


def apt_txt_names(example):
    path = os.path.join(EXAMPLES, example, "apt.txt")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        lines = [line.split("#", 1)[0].strip() for line in f]
    return [re.split(r"[=\s]", line, maxsplit=1)[0] for line in lines if line]


def image_config(layout, tag):
    """The config of the image tagged `tag` in an OCI layout, read from the files."""
    def blob(digest):
        with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
            return json.load(f)
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    return blob(blob(desc["digest"])["config"]["digest"])


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("apt-ftparchive", "gpg", "gpgv")
        cls.work = tempfile.mkdtemp(prefix="mlpack-examples-")
        wanted = BASE + [n for e in examples() for n in apt_txt_names(e)]
        extra = []
        if any(is_r_project(e) for e in examples()):
            wanted += R_PACKAGES
            extra = R_INDEX_ONLY
        try:
            debs = apt_archive.fetch_debs(sorted(set(apt_archive.closure(wanted)) | set(extra)))
        except apt_archive.FixtureSkip as e:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise unittest.SkipTest(str(e))
        cls.keyring = os.path.join(cls.work, "keyring.gpg")
        key = apt_archive.make_key(os.path.join(cls.work, "gnupg"), cls.keyring)
        try:
            apt_archive.build_archive(os.path.join(cls.work, "archive"), debs, key)
        finally:
            apt_archive.stop_agent(key.home)
        cls.server = apt_archive.Server(os.path.join(cls.work, "archive"))
        cls.builds = {}

        cls.conda = None
        cls.cran = None

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.conda:
            cls.conda.stop()
        if cls.cran:
            cls.cran.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def copy(self, example, where):
        """A copy of the example at <where>/<example> (the folder name is the image name), its
        Debian packages taken from the local archive."""
        dest = os.path.join(where, example)
        shutil.copytree(os.path.join(EXAMPLES, example), dest, ignore=LEFTOVERS, symlinks=True)
        yaml = os.path.join(dest, "mlpack.yaml")
        names_base = False
        if os.path.exists(yaml):
            with open(yaml) as f:
                names_base = re.search(r"^base:", f.read(), re.M) is not None
        with open(yaml, "a") as f:
            if not names_base:
                f.write("\nbase: debian:bookworm\n")
            f.write("\napt_sources:\n"
                    f"  - url: {self.server.url}\n"
                    "    suite: bookworm\n"
                    "    components: [main]\n"
                    f"    keyring: {self.keyring}\n")
            if is_r_project(example):
                f.write(f"cran: {self.cran_url()}\n")
        return dest

    @classmethod
    def cran_url(cls):
        """For the R example: a local CRAN-like repository of binaries (made once per run)."""
        if cls.cran is None:
            try:
                repo = cran_repo.create(os.path.join(cls.work, "cran"))
            except apt_archive.FixtureSkip as e:
                raise unittest.SkipTest(str(e))
            cls.cran_info = repo
            cls.cran = cran_repo.Server(repo["root"], log=repo["log"], faults_file=repo["faults"])
        return cls.cran.url.rstrip("/")

    @classmethod
    def conda_env(cls):
        """For the conda example: the environment pointing `conda-forge` at a local channel (made
        once per run) and pip at a local index."""
        if cls.conda is None:
            need("dpkg-deb", "patchelf", "zstd")
            served = os.path.join(cls.work, "served")
            try:
                python = conda_debian.python_packages(os.path.join(cls.work, "conda"))
            except apt_archive.FixtureSkip as e:
                raise unittest.SkipTest(str(e))
            noarch = {"subdir": "noarch", "noarch": "python", "depends": ["python >=3.8"]}
            build_channel(os.path.join(served, "conda-forge"), python + [
                {"name": "tomli", "version": "2.0.1", "build": "pyhd8ed1ab_0", **noarch,
                 "files": {"site-packages/tomli/__init__.py": b"from tomllib import *  # the backport, as 3.11 has it\n"
                                                              b"from tomllib import TOMLDecodeError, load, loads\n"}},
                {"name": "pip", "version": "24.0", "build": "pyhd8ed1ab_0", **noarch,
                 "files": {"site-packages/pip/__init__.py": b"def main():\n    pass\n"},
                 "entry_points": ["pip = pip:main"]},
            ])
            build_index({"six": {"versions": {"1.16.0": {"requires_python": ">=3"}}}}, os.path.join(served, "pypi"))
            cls.conda = Server(served)
        return {"CONDA_CHANNEL_ALIAS": cls.conda.url, "PIP_INDEX_URL": f"{cls.conda.url}/pypi/simple/"}

    def build(self, project, cache):
        env = dict(os.environ, MLPACK_CACHE_DIR=cache)
        env.pop("SOURCE_DATE_EPOCH", None)
        if os.path.exists(os.path.join(project, "environment.yml")):
            env.update(self.conda_env())
        return json.loads(run([MLPACK, "build", project, "--json"], env=env).stdout)

    def built(self, example):
        """The example built once per run: (the build's JSON, its OCI layout, the image config)."""
        if example not in self.builds:
            work = os.path.join(self.work, example)
            project = self.copy(example, os.path.join(work, "a"))
            doc = self.build(project, os.path.join(work, "cache-a"))
            layout = os.path.join(project, ".mlpack", "image")
            self.builds[example] = (doc, layout, image_config(layout, example)["config"])
        return self.builds[example]

    def check_build(self, example, ecosystems=("deb",)):
        """Debian packages only (unless told), a non-root user, and the same digest from a fresh
        copy built in another folder with an empty cache."""
        doc, _, config = self.built(example)
        self.assertEqual({p["ecosystem"] for p in doc["packages"]}, set(ecosystems), doc["packages"])
        names = {p["name"] for p in doc["packages"]}
        self.assertTrue(set(apt_txt_names(example)) <= names, names)
        self.assertNotIn(config.get("User", ""), ("", "0", "root", "0:0"), config)
        self.assertEqual(config.get("WorkingDir"), "/app", config)
        work = os.path.join(self.work, example)
        again = self.build(self.copy(example, os.path.join(work, "b")), os.path.join(work, "cache-b"))
        self.assertEqual(again["image"]["digest"], doc["image"]["digest"],
                         "a fresh build elsewhere with an empty cache gave another digest")
        # The default build attaches an SPDX SBOM (test_sbom.py): valid against the schema, every
        # locked package by purl and sha256, the same bytes from the fresh build.
        self.assertEqual([s["format"] for s in doc["sbom"]], ["spdx"])
        check_layout_spdx(self, self.built(example)[1], doc["image"]["digest"], doc["packages"])
        self.assertEqual(again["sbom"][0]["digest"], doc["sbom"][0]["digest"])
        return config

    def check_verify(self, example):
        """The example's own `verify`, run inside the unpacked image with runc."""
        need("umoci", "runc")
        if os.geteuid() != 0:
            raise unittest.SkipTest("runc needs root here (CI runs as root)")
        _, layout, _ = self.built(example)
        bundle = os.path.join(self.work, example, "bundle-" + example)
        if not os.path.exists(bundle):
            umoci_unpack(f"{layout}:{example}", bundle)
        out = runc_run(bundle, ["/app/verify"])
        self.assertEqual(out.strip().splitlines()[-1:], ["ok"], out)

    def test_quickstart_build(self):
        # The README's quick start: Python packages from Debian (apt.txt), no mlpack.yaml of its own.
        self.assertFalse(os.path.exists(os.path.join(EXAMPLES, "quickstart", "mlpack.yaml")))
        self.assertIn("python3-numpy", apt_txt_names("quickstart"))
        self.check_build("quickstart")

    def test_quickstart_verify(self):
        # numpy needs libblas.so.3 and liblapack.so.3, which exist only as update-alternatives links.
        self.check_verify("quickstart")

    def test_model_server_build(self):
        config = self.check_build("model-server")
        self.assertEqual(config.get("Entrypoint"), ["python3", "/app/server.py"], config)
        self.assertEqual(list(config.get("ExposedPorts", {})), ["8080/tcp"], config)
        self.assertIn("PORT=8080", config.get("Env", []), config)

    def test_model_server_verify(self):
        self.check_verify("model-server")

    def test_cli_package_build(self):
        config = self.check_build("cli-package")
        self.assertTrue(any(e.startswith("PATH=/opt/venv/bin:") for e in config.get("Env", [])), config)

    def test_cli_package_verify(self):
        self.check_verify("cli-package")

    def test_system_library_build(self):
        self.assertIn("libmagic1", apt_txt_names("system-library"))
        self.check_build("system-library")

    def test_system_library_verify(self):
        self.check_verify("system-library")

    def test_conda_env_build(self):
        config = self.check_build("conda-env", ecosystems=("deb", "conda", "pypi"))
        doc, layout, _ = self.built("conda-env")
        names = {p["name"] for p in doc["packages"] if p["ecosystem"] == "conda"}
        self.assertEqual(names, {"python", "expat", "tomli", "pip"}, doc["packages"])
        self.assertEqual([p["name"] for p in doc["packages"] if p["ecosystem"] == "pypi"], ["six"])
        self.assertNotIn("python3", {p["name"] for p in doc["packages"] if p["ecosystem"] == "deb"})
        layers = [l["contents"] for l in doc["image"]["layers"]]
        self.assertIn("conda pip: 1 package in /opt/conda", layers)
        env = dict(e.split("=", 1) for e in config.get("Env", []))
        self.assertEqual(env.get("CONDA_PREFIX"), "/opt/conda", config)
        self.assertTrue(env.get("PATH", "").startswith("/opt/conda/bin:"), config)
        self.assertEqual(env.get("GREETING"), "hello from conda-env", config)
        # The lock names the channel as the file does: the alias is where it is fetched from.
        with open(os.path.join(os.path.dirname(layout), "..", "mlpack.lock")) as f:
            self.assertIn("conda-forge", f.read())

    def test_conda_env_verify(self):
        self.check_verify("conda-env")

    def test_r_analysis_build(self):
        config = self.check_build("r-analysis", ecosystems=("deb", "cran"))
        doc, layout, _ = self.built("r-analysis")
        cran = {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "cran"}
        # DESCRIPTION's Imports and what they need, each the repository's binary.
        self.assertTrue({"cli", "jsonlite", "R6", "xml2"} <= set(cran), sorted(cran))
        served = {p["name"]: p for p in self.cran_info["packages"]}
        for name, p in cran.items():
            self.assertEqual((p["version"], p["sha256"]), (served[name]["version"], served[name]["sha256"]), name)
        debs = {p["name"] for p in doc["packages"] if p["ecosystem"] == "deb"}
        self.assertIn("r-base-core", debs)
        self.assertIn("libxml2", debs)  # from xml2's SystemRequirements
        self.assertNotIn("libxml2-dev", debs)
        self.assertNotIn("python3", debs)
        layers = [l["contents"] for l in doc["image"]["layers"]]
        self.assertTrue(any(c.startswith("cran: ") and "jsonlite " in c for c in layers), layers)  # the layer plan's
        self.assertEqual(config.get("Cmd"), ["Rscript", "/app/analysis.R"], config)
        self.assertEqual(config["Labels"]["org.mlpack.r.version"], self.cran_info["r_version"], config)
        self.assertIn("ANALYSIS_DATA=/app/data", config.get("Env", []), config)
        # The lock pins R and every package; runtime.txt's snapshot date does not matter with `cran:`.
        with open(os.path.join(os.path.dirname(layout), "..", "mlpack.lock")) as f:
            lock = f.read()
        self.assertIn(f'r: "{self.cran_info["r_version"]}"', lock)
        self.assertNotIn("packagemanager.posit.co", lock)

    def test_r_analysis_verify(self):
        self.check_verify("r-analysis")

    def test_every_example_is_tested_and_documented(self):
        tested = {name[len("test_"):] for name in dir(self) if name.startswith("test_")}
        for example in examples():
            for kind in ("build", "verify"):
                self.assertIn(f"{example.replace('-', '_')}_{kind}", tested, f"examples/{example} has no {kind} test here")
            verify = os.path.join(EXAMPLES, example, "verify")
            self.assertTrue(os.access(verify, os.X_OK), f"{verify} is not executable")
            with open(verify) as f:
                self.assertTrue(f.readline().startswith("#!"), f"{verify} has no shebang")
            self.assertTrue(os.path.isfile(os.path.join(EXAMPLES, example, "README.md")), example)


if __name__ == "__main__":
    unittest.main(verbosity=2)
