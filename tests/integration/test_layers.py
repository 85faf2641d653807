"""Layers that images share (issue 17): every package the lock holds goes through one layer plan
(lib/layerplan), so two projects that differ by one package share most of their bytes, a push of
the second after the first sends only the new blobs, and the plan is the same whatever the cache or
folder.

The projects install Debian packages from one small but real signed apt archive (real .debs, see
tests/fixtures/apt_archive.py), served on loopback. The issue's pandas + matplotlib (+ scikit-learn)
set is about 330 MB of downloads; these tests use a smaller realistic set whose .debs the fixture
cache usually has (numpy, libxml2, libcurl4, Tk and their libraries)."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, need, run, write  # noqa: E402

import apt_archive  # noqa: E402

BASE = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
# Project A's apt.txt; B is A plus EXTRA. MIDDLE is a larger set for the removal test.
A = ["python3-numpy", "libxml2", "libcurl4", "tzdata"]
EXTRA = "unzip"
MIDDLE = A + ["libtk8.6", "libcairo2", "zip", "unzip", "gawk", "libsqlite3-0"]
ARCHIVE = {}


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb")
    work = tempfile.mkdtemp(prefix="mlpack-layers-")
    ARCHIVE["work"] = work
    ARCHIVE["server"], ARCHIVE["keyring"] = apt_archive.serve_closure(work, BASE + MIDDLE + ["python3"])


def tearDownModule():
    if "server" in ARCHIVE:
        ARCHIVE["server"].stop()
    if "work" in ARCHIVE:
        shutil.rmtree(ARCHIVE["work"], ignore_errors=True)


def env_for(cache):
    env = dict(os.environ)
    for k in ("SOURCE_DATE_EPOCH", "CI", "NO_COLOR", "GIT_DIR", "GIT_WORK_TREE"):
        env.pop(k, None)
    env["MLPACK_CACHE_DIR"] = cache
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    return env


class LayerCase(TempTestCase):
    def project(self, name, apt, parent=None, yaml_extra=""):
        d = os.path.join(parent or self.tmp, name)
        write(os.path.join(d, "mlpack.yaml"),
              apt_archive.apt_sources_yaml(ARCHIVE["server"], ARCHIVE["keyring"]) + yaml_extra)
        write(os.path.join(d, "apt.txt"), "".join(p + "\n" for p in apt))
        write(os.path.join(d, "main.py"), "print('hello')\n")
        return d

    def build(self, project, *args, cache=None, check=True):
        cache = cache or self.path("cache")
        r = run([MLPACK, "build", project, "--json", "--sbom", "none", *args], env=env_for(cache), check=False,
                timeout=900)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout)
        return r

    @staticmethod
    def package_layers(doc):
        """The layers that hold packages (those the plan or the core OS made): not the dpkg database,
        which lists every package, nor /app."""
        return [l for l in doc["image"]["layers"]
                if l["contents"] != "project files at /app" and "dpkg database" not in l["contents"]]


class Sharing(LayerCase):
    def test_one_package_more_shares_most_bytes_and_the_json_shows_the_plan(self):
        a = self.build(self.project("a", A), cache=self.path("cache-a"))
        b = self.build(self.project("b", A + [EXTRA]), cache=self.path("cache-b"))
        a_digests = {l["digest"] for l in a["image"]["layers"]}
        layers = self.package_layers(b)
        total = sum(l["size"] for l in layers)
        shared = sum(l["size"] for l in layers if l["digest"] in a_digests)
        planned = [l for l in layers if "(core OS)" not in l["contents"]]
        planned_total = sum(l["size"] for l in planned)
        planned_shared = sum(l["size"] for l in planned if l["digest"] in a_digests)
        print(f"\nB in A: {shared / total:.3f} of {total} bytes; above the core OS {planned_shared / planned_total:.3f}"
              f" of {planned_total}; B has {len(b['image']['layers'])} layers, "
              f"{sum(1 for l in layers if l['digest'] not in a_digests)} new", file=sys.stderr)
        self.assertGreaterEqual(shared / total, 0.8)
        self.assertGreaterEqual(planned_shared / planned_total, 0.8)
        # --json: each layer's packages, size and whether it was reused; within the budget.
        self.assertEqual(b["image"]["layer_budget"], 100)
        self.assertLessEqual(len(b["image"]["layers"]), 100)
        names = [p for l in b["image"]["layers"] for p in l["packages"]]
        self.assertTrue(any(p.startswith(EXTRA + " ") for p in names), names)
        self.assertTrue(any(p.startswith("python3-numpy ") for p in names), names)
        self.assertEqual(len(names), len(set(names)))
        for l in planned:
            self.assertTrue(l["packages"], l)
            for p in l["packages"]:
                self.assertIn(p, l["contents"])  # the history text names its packages
            self.assertIn("cached", l)
        # The history names packages, never the project.
        out = run([MLPACK, "inspect", "--json", f"oci:{os.path.join(self.path('b'), '.mlpack', 'image')}:b"],
                  env=env_for(self.path("cache-b"))).stdout
        history = [h["created_by"] for h in json.loads(out)["history"]]
        self.assertEqual(len(history), len(b["image"]["layers"]))
        self.assertTrue(any(EXTRA + " " in h for h in history), history)
        self.assertFalse(any(self.tmp in h for h in history), history)

    def test_plans_are_the_same_across_caches_and_folders(self):
        one = self.build(self.project("p", A, parent=self.path("first")), cache=self.path("cache-1"))
        two = self.build(self.project("p", A, parent=self.path("second", "deeper")), cache=self.path("cache-2"))
        self.assertEqual([l["digest"] for l in one["image"]["layers"]], [l["digest"] for l in two["image"]["layers"]])
        self.assertEqual([l["packages"] for l in one["image"]["layers"]], [l["packages"] for l in two["image"]["layers"]])
        self.assertEqual(one["image"]["digest"], two["image"]["digest"])
        # And a warm rebuild reuses every package layer.
        again = self.build(self.project("p", A, parent=self.path("first")), cache=self.path("cache-1"))
        self.assertEqual(again["image"]["digest"], one["image"]["digest"])
        self.assertEqual(again["summary"]["layers_built"], 0, again["summary"])

    def test_removing_a_package_from_the_middle_changes_at_most_three_layers(self):
        # zip's own dependencies (libc6, libbz2-1.0) stay for the others: one package leaves. (A
        # package that takes what only it needed with it, libcairo2 and its X11 libraries, also
        # changes the bucket of each of those: the planner buckets by name, see lib/layerplan.)
        full = self.build(self.project("full", MIDDLE))
        fewer = [p for p in MIDDLE if p != "zip"]
        less = self.build(self.project("less", fewer))
        before = {l["digest"] for l in self.package_layers(full)}
        changed = [l["contents"] for l in self.package_layers(less) if l["digest"] not in before]
        gone = [l["contents"] for l in self.package_layers(full)
                if l["digest"] not in {x["digest"] for x in self.package_layers(less)}]
        self.assertLessEqual(len(changed), 3, changed)
        self.assertLessEqual(len(gone), 3, gone)

    def test_the_budget_holds_and_is_set_by_flag_or_mlpack_yaml(self):
        project = self.project("tight", MIDDLE)
        roomy = self.build(project)
        self.assertGreater(len(roomy["image"]["layers"]), 12, [l["contents"] for l in roomy["image"]["layers"]])
        tight = self.build(project, "--layers", "12")
        self.assertEqual(tight["image"]["layer_budget"], 12)
        self.assertLessEqual(len(tight["image"]["layers"]), 12, [l["contents"] for l in tight["image"]["layers"]])
        names = sorted(p for l in tight["image"]["layers"] for p in l["packages"])
        self.assertEqual(names, sorted(p for l in roomy["image"]["layers"] for p in l["packages"]))
        yaml = self.project("yaml", MIDDLE, yaml_extra="layers: 12\n")
        self.assertLessEqual(len(self.build(yaml)["image"]["layers"]), 12)
        # Too few for the layers the image needs beside the plan: said, not quietly merged.
        r = self.build(project, "--layers", "3", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("layer", r.stderr)
        bad = self.project("bad", A, yaml_extra="layers: 500\n")
        r = self.build(bad, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("layers", r.stderr)


class Push(LayerCase):
    @classmethod
    def setUpClass(cls):
        need("docker-registry")
        cls.work = tempfile.mkdtemp(prefix="mlpack-layers-registry-")
        cls.registry = Registry(cls.work, request_log=True)

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_pushing_b_after_a_sends_only_the_new_blobs(self):
        host = self.registry.host
        a = self.build(self.project("a", A), "-o", f"docker://{host}/models:a", "--insecure-registry", host)
        seen = len(self.registry.requests())
        b = self.build(self.project("b", A + [EXTRA]), "-o", f"docker://{host}/models:b", "--insecure-registry", host)
        a_blobs = {l["digest"] for l in a["image"]["layers"]}
        new_layers = [l["digest"] for l in b["image"]["layers"] if l["digest"] not in a_blobs]
        uploads = [r for r in self.registry.requests()[seen:]
                   if r["method"] == "PUT" and "/blobs/uploads/" in r["uri"] and r["status"] == 201]
        # The new layers and B's config, nothing else.
        self.assertEqual(len(uploads), len(new_layers) + 1, (uploads, new_layers))
        self.assertLess(len(new_layers), len(b["image"]["layers"]) // 2, new_layers)


if __name__ == "__main__":
    unittest.main(verbosity=2)
