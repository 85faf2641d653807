"""Variants in one image index (issue 14 item 7): `mlpack build --cuda 12.1 --cuda none -o REF`
locks and builds the project once per CUDA decision and writes one OCI image index holding a
manifest per variant, annotated `org.mlpack.cuda=12.1|none`, sharing every layer that does not
depend on the variant, plus a tag per variant (`TAG-cu121`, `TAG-cpu`) where the location has tags.
Each variant keeps its own lock, `mlpack.<suffix>.lock`.

The project is real: Debian packages from the signed apt archive of tests/fixtures/apt_archive.py,
and torch from a PyTorch-style backend index (tests/fixtures/pytorch_index.py) whose CUDA build
requires an nvidia-*-cu12 wheel from a PyPI-style index (python_index.py), all on loopback. The
index is checked with skopeo and umoci, in an OCI layout and in a real docker-registry."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, need, run, umoci_unpack, write  # noqa: E402
from test_debian import BASE, EXTRA  # noqa: E402

import apt_archive  # noqa: E402
import python_index  # noqa: E402
import pytorch_index  # noqa: E402

LINUX = 'platform_system == "Linux" and platform_machine == "x86_64"'
CP311 = "cp311-cp311-linux_x86_64"  # bookworm's Python
BACKENDS = {
    "cpu": {"torch": {"2.3.1": {"requires": ["filelock"], "tags": [CP311]}}},
    "cu121": {"torch": {"2.3.1": {"requires": ["filelock", f"nvidia-cublas-cu12==12.1.3.1; {LINUX}"],
                                  "tags": [CP311]}}},
}
PYPI = {
    "filelock": {"versions": {"3.13.1": {"requires_python": ">=3.8", "sdist": False}}},
    "nvidia-cublas-cu12": {"versions": {"12.1.3.1": {"requires_python": ">=3", "sdist": False,
                                                     "wheel_tags": ["py3-none-manylinux1_x86_64"]}}},
}
INDEX = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
SDE = "1700000000"
WORK = {}


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "skopeo", "umoci")
    work = tempfile.mkdtemp(prefix="mlpack-variants-")
    WORK["work"] = work
    WORK["apt"], WORK["keyring"] = apt_archive.serve_closure(work, BASE + EXTRA)
    served = os.path.join(work, "served")
    pytorch_index.build_pytorch_index(BACKENDS, served)
    python_index.build_index(PYPI, os.path.join(served, "pypi"))
    WORK.update(web=pytorch_index.Server(served), cache=os.path.join(work, "cache"))


def tearDownModule():
    for s in ("apt", "web"):
        if s in WORK:
            WORK[s].stop()
    if "work" in WORK:
        shutil.rmtree(WORK["work"], ignore_errors=True)


class Variants(TempTestCase):
    def project(self, name="model"):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"), apt_archive.apt_sources_yaml(WORK["apt"], WORK["keyring"]))
        write(os.path.join(d, "requirements.txt"), f"--index-url {WORK['web'].url}/pypi/simple/\ntorch==2.3.1\n")
        write(os.path.join(d, "serve.py"), "print('serving')\n")
        return d

    def env(self):
        env = dict(os.environ, MLPACK_CACHE_DIR=WORK["cache"], SOURCE_DATE_EPOCH=SDE,
                   MLPACK_PYTORCH_INDEX=f"{WORK['web'].url}/whl")
        for k in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "CI"):
            env.pop(k, None)
        return env

    def mlpack(self, *args, check=True):
        r = run([MLPACK, *args], check=False, env=self.env())
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def build(self, project, *args, check=True):
        r = self.mlpack("build", project, "--json", "--cuda", "12.1", "--cuda", "none", *args, check=check)
        r.doc = json.loads(r.stdout) if r.stdout.strip() else None
        return r

    def blob(self, layout, digest):
        with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
            return json.loads(f.read())

    def test_two_variants_in_one_index_in_a_layout(self):
        d = self.project()
        layout = self.path("out")
        ref = f"oci:{layout}:model"
        doc = self.build(d, "-o", ref).doc

        # One index; one lock per variant; no plain mlpack.lock.
        self.assertEqual(doc["image"]["media_type"], INDEX)
        self.assertEqual([v["variant"]["suffix"] for v in doc["variants"]], ["cu121", "cpu"])
        self.assertFalse(os.path.exists(os.path.join(d, "mlpack.lock")))
        locks = {}
        for v in doc["variants"]:
            self.assertEqual(v["lock"], os.path.join(d, f"mlpack.{v['variant']['suffix']}.lock"))
            locks[v["variant"]["suffix"]] = {p["name"]: p["version"] for p in v["packages"] if p["ecosystem"] == "pypi"}
        self.assertEqual(locks["cu121"]["torch"], "2.3.1+cu121")
        self.assertEqual(locks["cu121"]["nvidia-cublas-cu12"], "12.1.3.1")
        self.assertEqual(locks["cpu"]["torch"], "2.3.1+cpu")
        self.assertNotIn("nvidia-cublas-cu12", locks["cpu"])
        self.assertEqual(doc["variants"][0]["target"]["cuda"], "12.1")
        self.assertIsNone(doc["variants"][1]["target"]["cuda"])

        # index.json: the index under the tag, each variant under TAG-<suffix>.
        with open(os.path.join(layout, "index.json")) as f:
            top = json.load(f)
        tagged = {m["annotations"][REF_NAME]: m for m in top["manifests"] if REF_NAME in m.get("annotations", {})}
        self.assertEqual(tagged["model"]["mediaType"], INDEX)
        self.assertEqual(tagged["model"]["digest"], doc["image"]["digest"])
        index = self.blob(layout, doc["image"]["digest"])
        self.assertEqual([m["annotations"] for m in index["manifests"]],
                         [{"org.mlpack.cuda": "12.1"}, {"org.mlpack.cuda": "none"}])
        self.assertEqual([m["platform"] for m in index["manifests"]],
                         [{"architecture": "amd64", "os": "linux"}] * 2)
        for m, v in zip(index["manifests"], doc["variants"]):
            self.assertEqual(m["digest"], v["image"]["digest"])
            self.assertEqual(tagged[f"model-{v['variant']['suffix']}"]["digest"], v["image"]["digest"])
            self.assertEqual(v["image"]["outputs"], [f"{ref}-{v['variant']['suffix']}"])

        # The variants share every layer but torch's (and the nvidia wheel's, cu121 alone).
        gpu, cpu = (self.blob(layout, m["digest"]) for m in index["manifests"])
        gpu_layers = [l["digest"] for l in gpu["layers"]]
        cpu_layers = [l["digest"] for l in cpu["layers"]]
        shared = set(gpu_layers) & set(cpu_layers)
        self.assertGreaterEqual(len(shared), len(cpu_layers) - 2, (gpu_layers, cpu_layers))
        self.assertNotEqual(set(gpu_layers), set(cpu_layers))
        gpu_cfg = self.blob(layout, gpu["config"]["digest"])["config"]
        cpu_cfg = self.blob(layout, cpu["config"]["digest"])["config"]
        self.assertIn("NVIDIA_REQUIRE_CUDA=cuda>=12.1", gpu_cfg["Env"])
        self.assertEqual(gpu_cfg["Labels"]["org.mlpack.cuda.version"], "12.1")
        self.assertFalse([e for e in cpu_cfg.get("Env", []) if e.startswith("NVIDIA_")])

        # Other tools read it: skopeo sees the index and copies it whole; umoci unpacks a variant.
        raw = json.loads(run(["skopeo", "inspect", "--raw", ref]).stdout)
        self.assertEqual(len(raw["manifests"]), 2)
        copied = self.path("copied")
        run(["skopeo", "copy", "--all", ref, f"oci:{copied}:model"])
        with open(os.path.join(copied, "index.json")) as f:
            self.assertEqual(json.load(f)["manifests"][0]["digest"], doc["image"]["digest"])
        umoci_unpack(f"{layout}:model-cpu", self.path("bundle"))
        self.assertTrue(os.path.isdir(os.path.join(self.path("bundle"), "rootfs", "opt", "venv")))

        # Each variant carries its own SBOM, naming its own torch.
        for suffix, torch in (("cu121", "2.3.1+cu121"), ("cpu", "2.3.1+cpu")):
            spdx = json.loads(self.mlpack("sbom", f"{ref}-{suffix}").stdout)
            versions = {p["name"]: p.get("versionInfo") for p in spdx["packages"]}
            self.assertEqual(versions.get("torch"), torch, suffix)

        # --locked rebuilds the same index from the two locks; the warm build builds no layer.
        again = self.build(d, "-o", ref, "--locked").doc
        self.assertEqual(again["image"]["digest"], doc["image"]["digest"])
        self.assertEqual(again["summary"]["layers_built"], 0, again["summary"])

    def test_lock_writes_one_lock_per_variant(self):
        d = self.project("locked")
        r = self.mlpack("lock", d, "--json", "--cuda", "12.1", "--cuda", "none")
        doc = json.loads(r.stdout)
        self.assertEqual([v["variant"]["suffix"] for v in doc["variants"]], ["cu121", "cpu"])
        with open(os.path.join(d, "mlpack.cu121.lock")) as f:
            self.assertIn("2.3.1+cu121", f.read())
        with open(os.path.join(d, "mlpack.cpu.lock")) as f:
            self.assertIn("2.3.1+cpu", f.read())

    def test_registry_gets_the_index_and_a_tag_per_variant(self):
        need("docker-registry")
        registry = Registry(self.tmp)
        self.addCleanup(registry.stop)
        d = self.project("pushed")
        dest = f"docker://{registry.host}/team/model:v1"
        doc = self.build(d, "-o", dest).doc
        raw = json.loads(run(["skopeo", "inspect", "--raw", *registry.skopeo_flags(), dest]).stdout)
        self.assertEqual(raw["mediaType"], INDEX)
        self.assertEqual([m["digest"] for m in raw["manifests"]], [v["image"]["digest"] for v in doc["variants"]])
        for v in doc["variants"]:
            alone = f"{dest}-{v['variant']['suffix']}"
            got = json.loads(run(["skopeo", "inspect", *registry.skopeo_flags(), alone]).stdout)
            self.assertEqual(got["Digest"], v["image"]["digest"])
            # The SBOM is found again through the registry (referrers' tag fallback).
            spdx = json.loads(self.mlpack("sbom", alone).stdout)
            self.assertIn("torch", {p["name"] for p in spdx["packages"]})

    def test_what_an_index_cannot_take_is_exit_2(self):
        d = self.project("refused")
        archive = self.path("one.tar")
        r = self.build(d, "-o", f"docker-archive:{archive}", check=False)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("holds one image", r.doc["error"]["message"])
        self.assertFalse(os.path.exists(archive))
        twice = self.mlpack("build", d, "--cuda", "12.1", "--cuda", "12.1", check=False)
        self.assertEqual(twice.returncode, 2, twice.stderr)
        self.assertIn("both `cu121`", twice.stderr)
        detect = self.mlpack("detect", d, "--cuda", "12.1", "--cuda", "none", check=False)
        self.assertEqual(detect.returncode, 2, detect.stderr)
        self.assertIn("only `mlpack build` and `mlpack lock`", detect.stderr)


if __name__ == "__main__":
    unittest.main()
