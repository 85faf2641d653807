"""R projects end to end: `mlpack build` of a DESCRIPTION project and of an renv.lock project, with
R packages from a CRAN-like repository of real binaries served on loopback (tests/fixtures/
cran_repo.py: Debian bookworm's r-cran-* trees repacked as binary packages, PACKAGES index,
Archive) and R itself from a small real signed apt archive (tests/fixtures/apt_archive.py:
r-base-core and its closure). No R runs at build time. The image is read with umoci, independently
of mlpack, and `Rscript -e 'library(...)'` runs under runc as the image's user (uid 1000)."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, clean_env, need, run, runc_run, umoci_unpack, write  # noqa: E402

import apt_archive  # noqa: E402
import cran_repo  # noqa: E402

OS_PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
# R; the system library xml2 needs (libxml2) is in the archive but not in R's closure: the
# buildpack must add it.
APT_PACKAGES = OS_PACKAGES + ["r-base-core", "bash", "sed", "grep", "debianutils", "libc-bin"]
STATE = {}


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
    work = tempfile.mkdtemp(prefix="mlpack-r-")
    STATE["work"] = work
    try:
        # libxml2-dev is in the index as on any mirror (its Depends name the runtime library the
        # buildpack takes), but nothing installs it.
        debs = apt_archive.fetch_debs(sorted(set(apt_archive.closure(APT_PACKAGES + ["libxml2"])) | {"libxml2-dev"}))
        repo = cran_repo.create(os.path.join(work, "cran"), archive={"jsonlite": "1.8.0"})
        bad = cran_repo.create(os.path.join(work, "cran-bad"), packages=["r-cran-jsonlite", "r-cran-xml2"],
                               source_only=["jsonlite"], strip_sysreqs=["xml2"])
        # Like Posit Package Manager: binaries for R's User-Agent, sources for anyone else.
        ppm = cran_repo.create(os.path.join(work, "cran-ppm"), packages=["r-cran-r6", "r-cran-jsonlite"], ppm=True)
    except apt_archive.FixtureSkip as e:
        shutil.rmtree(work, ignore_errors=True)
        raise unittest.SkipTest(str(e))
    key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
    apt_archive.build_archive(os.path.join(work, "archive"), debs, key)
    apt_archive.stop_agent(key.home)
    STATE["apt"] = apt_archive.Server(os.path.join(work, "archive"))
    STATE["keyring"] = os.path.join(work, "keyring.gpg")
    STATE["repo"] = repo
    STATE["cran"] = cran_repo.Server(repo["root"], log=repo["log"], faults_file=repo["faults"])
    STATE["bad"] = bad
    STATE["cran_bad"] = cran_repo.Server(bad["root"], log=bad["log"], faults_file=bad["faults"])
    STATE["ppm"] = ppm
    STATE["cran_ppm"] = cran_repo.Server(ppm["root"], source_root=ppm["source_root"], log=ppm["log"],
                                         faults_file=ppm["faults"])


def tearDownModule():
    for k in ("apt", "cran", "cran_bad", "cran_ppm"):
        if k in STATE:
            STATE[k].stop()
    if "work" in STATE:
        shutil.rmtree(STATE["work"], ignore_errors=True)


def version_of(name, repo=None):
    for p in (repo or STATE["repo"])["packages"]:
        if p["name"] == name:
            return p["version"]
    raise KeyError(name)


def image_config(layout, tag):
    def blob(digest):
        with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
            return json.load(f)
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    return blob(blob(desc["digest"])["config"]["digest"])


DESCRIPTION = """Package: analysis
Version: 0.1.0
Title: A Small Analysis
Depends:
    R (>= 4.1)
Imports:
    jsonlite (>= 1.7),
    xml2,
    cli
License: MIT
"""

SCRIPT = 'library(jsonlite)\ncat(toJSON(list(ok = TRUE)), "\\n")\n'


class RBuild(TempTestCase):
    def project(self, name, files, server="cran"):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"  # the archive holds bookworm's .debs (R 4.2.2)
              "apt_sources:\n"
              f"  - url: {STATE['apt'].url}\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {STATE['keyring']}\n"
              f"cran: {STATE[server].url.rstrip('/')}\n")
        for rel, text in files.items():
            write(os.path.join(d, rel), text)
        return d

    def mlpack(self, *args, cache=None, check=True):
        r = run([MLPACK, *args], env=clean_env(cache or self.cache), check=False, timeout=600)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def build(self, project, out, cache=None, check=True):
        r = self.mlpack("build", project, "--json", "-o", out, cache=cache, check=check)
        return r, (json.loads(r.stdout) if r.stdout.strip() else {})

    def lock_of(self, project):
        r = self.mlpack("lock", project, "--json")
        return json.loads(r.stdout)

    def run_r(self, layout, tag, code):
        bundle = self.path("bundle-" + tag)
        umoci_unpack(f"{layout}:{tag}", bundle)
        if os.geteuid() != 0:
            self.skipTest("runc needs root here")
        return bundle, runc_run(bundle, ["sh", "-c", "id -u; Rscript -e '" + code + "'"])

    def test_detect_shows_r_and_each_requirement_with_its_line(self):
        d = self.project("detect", {"DESCRIPTION": DESCRIPTION, "runtime.txt": "r-4.2-2023-06-01\n"})
        doc = json.loads(self.mlpack("detect", d, "--json").stdout)
        self.assertIn("cran", doc["ecosystems"])
        self.assertEqual(doc["r"], "4.2")
        reqs = {r["name"]: r for r in doc["requirements"] if r["ecosystem"] == "cran"}
        self.assertEqual(sorted(reqs), ["cli", "jsonlite", "xml2"])
        self.assertEqual((reqs["jsonlite"]["file"], reqs["jsonlite"]["line"]), ("DESCRIPTION", 7))
        self.assertEqual(reqs["jsonlite"]["specifier"], ">= 1.7")
        text = self.mlpack("detect", d).stdout
        self.assertIn("R 4.2", text)
        self.assertIn("jsonlite >= 1.7", text)

    def test_description_project_loads_every_package_as_uid_1000(self):
        need("umoci")
        d = self.project("desc", {"DESCRIPTION": DESCRIPTION, "analysis.R": SCRIPT})
        lock = self.lock_of(d)
        self.assertEqual(lock["target"]["r"], STATE["repo"]["r_version"])
        cran = {p["name"]: p for p in lock["packages"] if p["ecosystem"] == "cran"}
        # The closure: what DESCRIPTION asks for and what those need (cli, glue, rlang…).
        for name in ("jsonlite", "xml2", "cli"):
            self.assertIn(name, cran)
            self.assertEqual(cran[name]["version"], version_of(name))
            self.assertRegex(cran[name]["sha256"], "^[0-9a-f]{64}$")
        expected = {p["name"]: p["sha256"] for p in STATE["repo"]["packages"]}
        for name, p in cran.items():
            self.assertEqual(p["sha256"], expected[name], name)
        debs = {p["name"]: p for p in lock["packages"] if p["ecosystem"] == "deb"}
        self.assertEqual(debs["r-base-core"]["layer"], "runtime")
        # xml2's SystemRequirements (libxml2) became Debian's runtime library, not libxml2-dev.
        self.assertEqual(debs["libxml2"]["layer"], "libs")
        self.assertNotIn("libxml2-dev", debs)

        layout = self.path("layout")
        _, doc = self.build(d, f"oci:{layout}:desc")
        contents = [l["contents"] for l in doc["image"]["layers"]]
        # The image's layer plan: R packages in cran layers naming them; libxml2 (a system library)
        # with Debian's tier-2 packages.
        self.assertTrue(any(c.startswith("cran: ") and "jsonlite " in c for c in contents), contents)
        # libxml2 (the lock put it in the libs group) in a Debian layer of the plan: its own (1 MiB and
        # more) or a tier-2 bucket.
        self.assertTrue(any(c.startswith("deb: libxml2 ") or (c.startswith("deb: ") and "(tier 2" in c and "libxml2 " in c)
                            for c in contents), contents)
        names = sorted(cran)
        code = "; ".join(f"suppressPackageStartupMessages(library({n}))" for n in names) + \
            '; cat("loaded", length(.packages()), "\\n"); cat(.libPaths()[1], "\\n"); ' \
            'cat(as.character(packageVersion("jsonlite")), "\\n"); ' \
            'cat(file.access("/usr/local/lib/R/site-library", 2), "\\n"); ' \
            'x <- xml2::read_xml("<a><b>hi</b></a>"); cat(xml2::xml_text(x), "\\n")'
        bundle, out = self.run_r(layout, "desc", code)
        lines = out.split("\n")
        self.assertEqual(lines[0], "1000")
        self.assertIn("loaded", out)
        self.assertIn("/usr/local/lib/R/site-library", out)
        self.assertIn(version_of("jsonlite"), out)
        self.assertIn("-1", out.split())  # the site library is not writable by the user
        self.assertIn("hi", out.split())   # xml2's compiled code ran, against the image's libxml2
        # The image's own command runs the project's one R script, and says which R it has.
        config = image_config(layout, "desc")
        self.assertEqual(config["config"]["Cmd"], ["Rscript", "/app/analysis.R"])
        self.assertEqual(config["config"]["Labels"]["org.mlpack.r.version"], STATE["repo"]["r_version"])

    def test_two_caches_one_digest_and_warm_rebuild_reuses_layers(self):
        a = self.project("twice", {"DESCRIPTION": DESCRIPTION})
        b = os.path.join(self.path("elsewhere"), "twice")
        shutil.copytree(a, b)
        _, first = self.build(a, f"oci:{self.path('la')}:t", cache=self.path("cache-1"))
        _, second = self.build(b, f"oci:{self.path('lb')}:t", cache=self.path("cache-2"))
        self.assertEqual(first["image"]["digest"], second["image"]["digest"])
        _, warm = self.build(a, f"oci:{self.path('lc')}:t", cache=self.path("cache-1"))
        self.assertEqual(warm["image"]["digest"], first["image"]["digest"])
        r_layers = [l for l in warm["image"]["layers"] if l["contents"].startswith("cran: ")]
        self.assertTrue(r_layers and all(l["cached"] for l in r_layers), r_layers)

    def test_an_renv_lock_project_twice_gives_one_digest(self):
        renv = {"R": {"Version": STATE["repo"]["r_version"],
                      "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]},
                "Packages": {"R6": {"Package": "R6", "Version": version_of("R6"), "Source": "Repository",
                                    "Repository": "CRAN"},
                             "jsonlite": {"Package": "jsonlite", "Version": "1.8.0", "Source": "Repository",
                                          "Repository": "CRAN"}}}
        a = self.project("renv-twice", {"renv.lock": json.dumps(renv, indent=2)})
        b = os.path.join(self.path("elsewhere-renv"), "renv-twice")
        shutil.copytree(a, b)
        _, first = self.build(a, f"oci:{self.path('ra')}:t", cache=self.path("renv-cache-1"))
        _, second = self.build(b, f"oci:{self.path('rb')}:t", cache=self.path("renv-cache-2"))
        self.assertEqual(first["image"]["digest"], second["image"]["digest"])
        with open(os.path.join(a, "mlpack.lock")) as fa, open(os.path.join(b, "mlpack.lock")) as fb:
            self.assertEqual(fa.read(), fb.read())

    def test_renv_lock_pins_an_archived_version(self):
        need("umoci")
        archived = STATE["repo"]["archive"][0]
        self.assertEqual((archived["name"], archived["version"]), ("jsonlite", "1.8.0"))
        renv = {
            "R": {"Version": STATE["repo"]["r_version"],
                  "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]},
            "Packages": {
                "jsonlite": {"Package": "jsonlite", "Version": "1.8.0", "Source": "Repository", "Repository": "CRAN",
                             "Requirements": ["methods"]},
                "R6": {"Package": "R6", "Version": version_of("R6"), "Source": "Repository", "Repository": "CRAN"},
            },
        }
        d = self.project("renv", {"renv.lock": json.dumps(renv, indent=2), "main.R": SCRIPT})
        lock = self.lock_of(d)
        cran = {p["name"]: p for p in lock["packages"] if p["ecosystem"] == "cran"}
        self.assertEqual(sorted(cran), ["R6", "jsonlite"])  # exactly the pins: no re-resolve
        self.assertEqual(cran["jsonlite"]["version"], "1.8.0")
        self.assertEqual(cran["jsonlite"]["sha256"], archived["sha256"])
        self.assertIn("Archive/jsonlite/jsonlite_1.8.0.tar.gz", cran["jsonlite"]["source"])
        layout = self.path("layout")
        self.build(d, f"oci:{layout}:renv")
        # The fixture's archived jsonlite is the current binary relabelled in its DESCRIPTION only
        # (packageVersion() reads Meta/package.rds, which still says the newer version).
        _, out = self.run_r(layout, "renv", 'library(jsonlite); library(R6); '
                            'cat(read.dcf(system.file("DESCRIPTION", package = "jsonlite"), "Version"))')
        self.assertIn("1.8.0", out)

    # --- bad inputs -----------------------------------------------------------------------------

    def test_a_source_package_is_refused_never_compiled(self):
        d = self.project("source", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: jsonlite\n"}, server="cran_bad")
        r = self.mlpack("lock", d, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("jsonlite", r.stderr)
        self.assertIn("source package", r.stderr)
        self.assertIn("snapshot", r.stderr)  # the hint

    def test_a_library_nobody_provides_names_package_object_and_soname(self):
        # xml2 without its SystemRequirements: only the ELF check can tell libxml2 is missing.
        d = self.project("nolib", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: xml2\n"}, server="cran_bad")
        r, _ = self.build(d, f"oci:{self.path('l')}:t", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("xml2", r.stderr)
        self.assertIn("libs/xml2.so", r.stderr)
        self.assertIn("libxml2.so.2", r.stderr)
        self.assertIn("apt.txt", r.stderr)
        # ... and naming it in apt.txt fixes it.
        write(os.path.join(d, "apt.txt"), "libxml2\n")
        self.build(d, f"oci:{self.path('l2')}:t")

    def test_renv_records_that_need_building_are_listed(self):
        renv = {"R": {"Version": "4.2.2", "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]},
                "Packages": {
                    "mypkg": {"Package": "mypkg", "Version": "0.1", "Source": "GitHub", "RemoteType": "github",
                              "RemoteUsername": "me", "RemoteRepo": "mypkg"},
                    "local": {"Package": "local", "Version": "1.0", "Source": "Local"},
                    "R6": {"Package": "R6", "Version": version_of("R6"), "Source": "Repository", "Repository": "CRAN"}}}
        d = self.project("github", {"renv.lock": json.dumps(renv)})
        r = self.mlpack("lock", d, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("mypkg 0.1 (GitHub)", r.stderr)
        self.assertIn("local 1.0 (Local)", r.stderr)
        self.assertNotIn("R6", r.stderr)

    def test_install_r_with_code_is_refused_naming_the_line(self):
        d = self.project("installr", {"install.R": 'install.packages("jsonlite")\nx <- 1\n'})
        r = self.mlpack("detect", d, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("install.R:2", r.stderr)
        self.assertIn("DESCRIPTION", r.stderr)

    def test_install_r_plain_calls_build(self):
        d = self.project("installr-ok", {"install.R": 'install.packages(c("jsonlite", "R6"))\n'})
        lock = self.lock_of(d)
        self.assertEqual(sorted(p["name"] for p in lock["packages"] if p["ecosystem"] == "cran"), ["R6", "jsonlite"])

    def test_an_r_version_the_suite_lacks_is_refused(self):
        d = self.project("rver", {"DESCRIPTION": DESCRIPTION, "runtime.txt": "r-4.3-2024-01-15\n"})
        r = self.mlpack("lock", d, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("R 4.3 wanted (runtime.txt:1)", r.stderr)
        self.assertIn(STATE["repo"]["r_version"], r.stderr)

    def test_a_package_no_repository_has(self):
        d = self.project("missing", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: notapackage\n"})
        r = self.mlpack("lock", d, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("notapackage", r.stderr)

    def test_a_corrupted_download_is_refused(self):
        d = self.project("flip", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: R6\n"})
        r6 = [p for p in STATE["repo"]["packages"] if p["name"] == "R6"][0]
        STATE["cran"].faults["/" + r6["file"]] = "flip"
        try:
            r = self.mlpack("lock", d, check=False, cache=self.path("fresh-cache"))
        finally:
            STATE["cran"].faults.pop("/" + r6["file"], None)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("R6", r.stderr)

    def test_a_ppm_like_repository_serves_binaries_to_r_s_user_agent(self):
        d = self.project("ppm", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: jsonlite, R6\n"}, server="cran_ppm")
        lock = self.lock_of(d)
        binaries = {p["name"]: p["sha256"] for p in STATE["ppm"]["packages"]}
        sources = {p["name"]: p["sha256"] for p in STATE["ppm"]["source_packages"]}
        for p in lock["packages"]:
            if p["ecosystem"] == "cran":
                self.assertEqual(p["sha256"], binaries[p["name"]], p["name"])
                self.assertNotEqual(p["sha256"], sources[p["name"]], p["name"])
        # Every request said it was R, or the repository would have answered with sources.
        self.assertTrue(all(line.split(" ", 3)[3].startswith("R (") for line in STATE["cran_ppm"].requests()))

    def test_the_user_agent_is_r_s(self):
        d = self.project("ua", {"DESCRIPTION": "Package: p\nVersion: 1.0\nImports: R6\n"})
        self.lock_of(d)
        uas = [line.split(" ", 3)[3] for line in STATE["cran"].requests() if "PACKAGES" in line]
        self.assertTrue(uas)
        self.assertTrue(all(ua.startswith("R (" + STATE["repo"]["r_version"] + " x86_64-pc-linux-gnu") for ua in uas), uas)


if __name__ == "__main__":
    unittest.main()
