"""SBOMs from the lock (issue 16): `mlpack build` attaches an SPDX 2.3 (default) or CycloneDX 1.6
document to the image in its OCI layout as an OCI 1.1 artifact, writes it with `--sbom-file`, and
`mlpack sbom` reads it back. The documents are validated against the official JSON schemas
(tests/data/sbom, with python3-jsonschema); every locked package must appear exactly once with a
purl that parses under the purl spec's rules and the lock's sha256; two builds from two caches
must give the same bytes; skopeo and umoci must still read the layout, and the image's digest must
not change with the SBOM.

The project is a Debian base from a local signed archive of real .debs plus wheels from a PEP 503
index on loopback (tests/fixtures), so nothing leaves the machine."""

import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import unittest
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, Registry, TempTestCase, need, run, umoci_unpack, write  # noqa: E402
from test_debian import BASE, EXTRA  # noqa: E402

import apt_archive  # noqa: E402
from python_index import Server, build_index  # noqa: E402

SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "data", "sbom")
SDE = "1700000000"
SDE_TEXT = "2023-11-14T22:13:20Z"
REF_NAME = "org.opencontainers.image.ref.name"
SPDX = "application/spdx+json"
CYCLONEDX = "application/vnd.cyclonedx+json"

INDEX = {
    "toolkit": {"versions": {"1.0": {"requires_python": ">=3.8", "requires": ["helper>=1"], "sdist": False}}},
    "helper": {"versions": {"2.0": {"requires_python": ">=3.8", "sdist": False}}},
}

WORK = {}


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "skopeo", "umoci")
    work = tempfile.mkdtemp(prefix="mlpack-sbom-")
    WORK["work"] = work
    WORK["apt"], WORK["keyring"] = apt_archive.serve_closure(work, BASE + EXTRA)
    build_index(INDEX, os.path.join(work, "index"))
    WORK.update(pypi=Server(os.path.join(work, "index")), warm=os.path.join(work, "warm-cache"))


def tearDownModule():
    for s in ("apt", "pypi"):
        if s in WORK:
            WORK[s].stop()
    if "work" in WORK:
        shutil.rmtree(WORK["work"], ignore_errors=True)


# --- the schemas -----------------------------------------------------------------------------

def import_jsonschema():
    try:
        import jsonschema
    except ImportError:
        # Debian's python3-jsonschema, for an interpreter that is not Debian's own.
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import jsonschema
        except ImportError:
            return None
    return jsonschema


def validator(name):
    """A Draft 7 validator for the schema file `name`, resolving the `$ref`s between the files
    of tests/data/sbom locally (nothing is fetched)."""
    jsonschema = import_jsonschema()
    if jsonschema is None:
        raise unittest.SkipTest("needs python3-jsonschema (installed by scripts/setup.sh)")
    store = {}
    for f in os.listdir(SCHEMAS):
        if f.endswith(".json"):
            with open(os.path.join(SCHEMAS, f), encoding="utf-8") as fh:
                doc = json.load(fh)
            store[f] = doc
            if "$id" in doc:
                store[doc["$id"]] = doc
    schema = store[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        base = schema.get("$id", name)
        resolver = jsonschema.RefResolver(base_uri=base, referrer=schema, store=store)
        # `$ref: "spdx.SNAPSHOT.schema.json"` resolves against the $id's folder.
        for f, doc in list(store.items()):
            if not f.startswith("http"):
                store[urllib.parse.urljoin(base, f)] = doc
        jsonschema.Draft7Validator.check_schema(schema)
        return jsonschema.Draft7Validator(schema, resolver=resolver)


def schema_errors(name, document):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        v = validator(name)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in v.iter_errors(document)]


# --- purls, by the purl spec's parsing rules -------------------------------------------------

def parse_purl(text):
    """(type, namespace, name, version, qualifiers) or raises ValueError, following the spec's
    "how to parse": scheme `pkg:`, a type of letters, digits and `.+-` not starting with a digit,
    a name, qualifier keys of letters, digits and `.-_`, percent-encoding that decodes."""
    def decode(s):
        if re.search(r"%(?![0-9A-Fa-f]{2})", s):
            raise ValueError(f"bad escape in {text}")
        return urllib.parse.unquote(s, errors="strict")

    rest, _, _subpath = text.partition("#")
    rest, _, qs = rest.partition("?")
    if not rest.startswith("pkg:"):
        raise ValueError(f"no pkg: scheme: {text}")
    rest = rest[4:].strip("/")
    ptype, _, rest = rest.partition("/")
    if not re.fullmatch(r"[A-Za-z.+-][A-Za-z0-9.+-]*", ptype):
        raise ValueError(f"bad type: {text}")
    qualifiers = {}
    for pair in filter(None, qs.split("&")):
        k, eq, v = pair.partition("=")
        if not eq or not re.fullmatch(r"[A-Za-z.\-_][A-Za-z0-9.\-_]*", k) or k.lower() in qualifiers:
            raise ValueError(f"bad qualifier {pair!r}: {text}")
        qualifiers[k.lower()] = decode(v)
    rest, at, version = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if at and not version:
        raise ValueError(f"empty version: {text}")
    segments = [s for s in rest.split("/") if s]
    if not segments:
        raise ValueError(f"no name: {text}")
    # A character the spec says must be encoded must not appear raw.
    for part in segments + ([version] if version else []):
        if re.search(r"[^A-Za-z0-9.\-_~:%]", part):
            raise ValueError(f"unencoded character in {part!r}: {text}")
    return ptype.lower(), "/".join(decode(s) for s in segments[:-1]), decode(segments[-1]), decode(version), qualifiers


class PurlParserTest(unittest.TestCase):
    """The test's own purl parser refuses what it must, so a pass means something."""

    def test_refuses_bad_purls(self):
        for bad in ["deb/debian/x@1", "pkg:9x/y@1", "pkg:deb/x@", "pkg:deb/x@1%zz", "pkg:deb/x?a=1&a=2",
                    "pkg:deb/debian/libc6@2.36-9+deb12u4", "pkg:pypi/a b@1"]:
            with self.assertRaises(ValueError, msg=bad):
                parse_purl(bad)
        self.assertEqual(parse_purl("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"),
                         ("deb", "debian", "libc6", "2.36-9+deb12u4", {"arch": "amd64", "distro": "debian-12"}))


# --- builds ---------------------------------------------------------------------------------

class SbomBuildTest(TempTestCase):
    def project(self, name="sbomproj", requirements="toolkit\n"):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"), apt_archive.apt_sources_yaml(WORK["apt"], WORK["keyring"]))
        write(os.path.join(d, "requirements.txt"), f"--index-url {WORK['pypi'].url}/simple/\n{requirements}")
        write(os.path.join(d, "app.py"), "print('hi')\n")
        return d

    def env(self, cache=None):
        env = dict(os.environ, MLPACK_CACHE_DIR=cache or WORK["warm"], SOURCE_DATE_EPOCH=SDE)
        for k in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "CI"):
            env.pop(k, None)
        return env

    def build(self, project, *args, cache=None, check=True):
        r = run([MLPACK, "build", project, "--json", *args], env=self.env(cache), check=check)
        if check:
            r.doc = json.loads(r.stdout)
        return r

    @staticmethod
    def lock_packages(project):
        r = run([MLPACK, "lock", project, "--json"], env=dict(os.environ, MLPACK_CACHE_DIR=WORK["warm"]))
        return json.loads(r.stdout)["packages"]

    @staticmethod
    def index(layout):
        with open(os.path.join(layout, "index.json")) as f:
            return json.load(f)

    @staticmethod
    def blob(layout, digest):
        with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
            return f.read()

    def attached(self, layout, image_digest, artifact_type):
        """The artifact manifests in the layout's index that refer to `image_digest`."""
        out = []
        for m in self.index(layout)["manifests"]:
            if m.get("artifactType") != artifact_type:
                continue
            manifest = json.loads(self.blob(layout, m["digest"]))
            if manifest.get("subject", {}).get("digest") == image_digest:
                out.append((m, manifest))
        return out

    def check_packages_listed(self, packages, purls_and_hashes):
        check_packages_listed(self, packages, purls_and_hashes)

    def test_default_build_attaches_a_valid_spdx_sbom_to_the_layout(self):
        project = self.project()
        built = self.build(project).doc
        digest = built["image"]["digest"]
        layout = os.path.join(project, ".mlpack", "image")
        # build --json lists it: one SPDX artifact, written into the layout.
        [listed] = built["sbom"]
        self.assertEqual(listed["format"], "spdx")
        self.assertEqual(listed["media_type"], SPDX)
        self.assertEqual(listed["written"], [f"oci:{layout}:sbomproj"])
        # The layout: the image keeps its tag and digest; the artifact is listed untagged.
        index = self.index(layout)
        images = [m for m in index["manifests"] if REF_NAME in m.get("annotations", {})]
        self.assertEqual([m["digest"] for m in images], [digest])
        [(entry, artifact)] = self.attached(layout, digest, SPDX)
        self.assertNotIn(REF_NAME, entry.get("annotations", {}))
        self.assertEqual(entry["digest"], listed["digest"])
        self.assertEqual(artifact["artifactType"], SPDX)
        self.assertEqual(artifact["config"]["mediaType"], "application/vnd.oci.empty.v1+json")
        self.assertEqual(self.blob(layout, artifact["config"]["digest"]), b"{}")
        [layer] = artifact["layers"]
        self.assertEqual(layer["mediaType"], SPDX)
        self.assertEqual(layer["digest"], listed["document_digest"])
        self.assertEqual(artifact["subject"]["mediaType"], "application/vnd.oci.image.manifest.v1+json")
        text = self.blob(layout, layer["digest"])
        doc = json.loads(text)

        # The official schema, then what it cannot say.
        self.assertEqual(schema_errors("spdx-schema-2.3.json", doc), [])
        self.assertEqual(doc["spdxVersion"], "SPDX-2.3")
        self.assertEqual(doc["creationInfo"]["created"], SDE_TEXT)
        packages = self.lock_packages(project)
        self.assertTrue(any(p["ecosystem"] == "deb" for p in packages))
        self.assertEqual({p["name"] for p in packages if p["ecosystem"] == "pypi"}, {"toolkit", "helper"})
        listed_purls = []
        for p in doc["packages"]:
            [ref] = [r for r in p["externalRefs"] if r["referenceType"] == "purl"]
            sha = next((c["checksumValue"] for c in p.get("checksums", []) if c["algorithm"] == "SHA256"), None)
            listed_purls.append((ref["referenceLocator"], sha))
        self.check_packages_listed(packages, listed_purls)
        ids = {p["SPDXID"] for p in doc["packages"]}
        contains = {r["relatedSpdxElement"] for r in doc["relationships"] if r["relationshipType"] == "CONTAINS"}
        self.assertEqual(len(contains), len(packages))
        for r in doc["relationships"]:
            self.assertIn(r["relatedSpdxElement"], ids)
        image = next(p for p in doc["packages"] if p["SPDXID"] == "SPDXRef-Image")
        self.assertEqual(image["versionInfo"], digest)
        notes = {a["comment"] for a in image.get("annotations", [])}
        self.assertIn("mlpack:cuda=none", notes)
        self.assertIn("mlpack:python=3.11", notes)
        # Debian's packages name their distribution; nothing carries credentials.
        libc = next(p for p in doc["packages"] if p["name"] == "libc6")
        self.assertIn("distro=debian-12", libc["externalRefs"][0]["referenceLocator"])
        self.assertEqual(libc["supplier"], f"Organization: {WORK['apt'].url}")

        # `mlpack sbom` gives the same bytes back; another format is not there (exit 1).
        r = run([MLPACK, "sbom", f"oci:{layout}:sbomproj"])
        self.assertEqual(r.stdout.rstrip("\n").encode(), text)
        r = run([MLPACK, "sbom", f"oci:{layout}", "--format", "cyclonedx"], check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("has no SBOM in cyclonedx format", r.stderr)

        # An oci-archive of that layout (made here with tarfile, as other tools make them) too.
        archive = self.path("layout.tar")
        with tarfile.open(archive, "w") as tar:
            for entry in sorted(os.listdir(layout)):
                tar.add(os.path.join(layout, entry), arcname=entry)
        r = run([MLPACK, "sbom", f"oci-archive:{archive}:sbomproj"])
        self.assertEqual(r.stdout.rstrip("\n").encode(), text)

        # skopeo and umoci still read the layout, and the image is unchanged.
        inspected = json.loads(run(["skopeo", "inspect", f"oci:{layout}:sbomproj"]).stdout)
        self.assertEqual(inspected["Digest"], digest)
        copy = self.path("copy")
        run(["skopeo", "copy", f"oci:{layout}:sbomproj", f"oci:{copy}:x"])
        self.assertEqual(json.loads(run(["skopeo", "inspect", f"oci:{copy}:x"]).stdout)["Digest"], digest)
        umoci_unpack(f"{layout}:sbomproj", self.path("bundle"))
        self.assertTrue(os.path.exists(self.path("bundle", "rootfs", "app", "app.py")))
        # mlpack's own readers: the layout still names one image without a tag.
        r = run([MLPACK, "inspect", f"oci:{layout}", "--json"])
        self.assertEqual(json.loads(r.stdout)["digest"], digest)

        # The same build without an SBOM: the same image digest, and no SBOM to print.
        bare = self.build(project, "--sbom", "none", "-o", f"oci:{self.path('bare')}:x").doc
        self.assertEqual(bare["image"]["digest"], digest)
        self.assertEqual(bare["sbom"], [])
        self.assertEqual([m for m in self.index(self.path("bare"))["manifests"] if "artifactType" in m], [])
        r = run([MLPACK, "build", project, "--sbom", "none", "--sbom-file", self.path("x.json")], check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertFalse(os.path.exists(self.path("x.json")))
        r = run([MLPACK, "sbom", f"oci:{self.path('bare')}:x"], check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no SBOM", r.stderr)
        self.assertIn("hint:", r.stderr)
        self.assertIn("--sbom", r.stderr)

    def test_cyclonedx_and_sbom_file_validate_and_match_the_layout(self):
        project = self.project("cdx")
        out = self.path("out", "image.spdx.json")
        built = self.build(project, "--sbom", "both", "--sbom-file", out).doc
        digest = built["image"]["digest"]
        layout = os.path.join(project, ".mlpack", "image")
        self.assertEqual([s["format"] for s in built["sbom"]], ["spdx", "cyclonedx"])
        cdx_file = self.path("out", "image.cdx.json")
        self.assertIn(out, built["sbom"][0]["written"])
        self.assertIn(cdx_file, built["sbom"][1]["written"])
        with open(cdx_file, "rb") as f:
            cdx_text = f.read()
        [(_, artifact)] = self.attached(layout, digest, CYCLONEDX)
        self.assertEqual(self.blob(layout, artifact["layers"][0]["digest"]), cdx_text)
        self.assertEqual(run([MLPACK, "sbom", f"oci:{layout}:cdx", "--format", "cyclonedx"]).stdout.rstrip("\n").encode(),
                         cdx_text)
        with open(out) as f:
            self.assertEqual(schema_errors("spdx-schema-2.3.json", json.load(f)), [])

        doc = json.loads(cdx_text)
        self.assertEqual(schema_errors("bom-1.6.SNAPSHOT.schema.json", doc), [])
        self.assertEqual(doc["specVersion"], "1.6")
        self.assertEqual(doc["metadata"]["timestamp"], SDE_TEXT)
        self.assertEqual(doc["metadata"]["component"]["version"], digest)
        packages = self.lock_packages(project)
        self.check_packages_listed(packages, [
            (c["purl"], next((h["content"] for h in c.get("hashes", []) if h["alg"] == "SHA-256"), None))
            for c in doc["components"]])
        refs = {c["bom-ref"] for c in doc["components"]} | {doc["metadata"]["component"]["bom-ref"]}
        for dep in doc["dependencies"]:
            self.assertIn(dep["ref"], refs)
            for d in dep.get("dependsOn", []):
                self.assertIn(d, refs)
        props = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
        self.assertEqual(props["mlpack:cuda"], "none")
        # A schema that can fail: a document missing what the schema requires is refused.
        broken = dict(doc)
        del broken["bomFormat"]
        self.assertNotEqual(schema_errors("bom-1.6.SNAPSHOT.schema.json", broken), [])
        with open(out) as f:
            spdx = json.load(f)
        del spdx["creationInfo"]
        self.assertNotEqual(schema_errors("spdx-schema-2.3.json", spdx), [])

    def test_two_builds_from_two_caches_give_the_same_sboms(self):
        project = self.project("twice")
        self.build(project, "--sbom", "both")  # writes the lock with the warm cache
        docs = []
        for name in ("one", "two"):
            cache = self.path(f"cache-{name}")
            dest = self.path(f"layout-{name}")
            built = self.build(project, "--locked", "--sbom", "both", "-o", f"oci:{dest}:t",
                               "--sbom-file", self.path(f"{name}.spdx.json"), cache=cache).doc
            docs.append((built, dest))
        (a, la), (b, lb) = docs
        self.assertEqual(a["image"]["digest"], b["image"]["digest"])
        self.assertEqual([s["digest"] for s in a["sbom"]], [s["digest"] for s in b["sbom"]])
        for ext in ("spdx.json", "cdx.json"):
            with open(self.path(f"one.{ext}"), "rb") as f1, open(self.path(f"two.{ext}"), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), ext)
        self.assertEqual(self.index(la), self.index(lb))

    def test_a_cached_sbom_is_the_fresh_one_and_a_damaged_entry_is_written_again(self):
        """A warm build reads its documents from the cache (<cache>/sbom) instead of writing them
        again: the same bytes as the build that wrote them from an empty cache. An entry cut short
        or changed fails its digest check and is written again; its bytes are never attached."""
        project = self.project("cached")
        cache = self.path("cache-cached")
        self.build(project, "--sbom", "both", "--sbom-file", self.path("fresh.spdx.json"), cache=cache)
        fresh = {}
        for ext in ("spdx.json", "cdx.json"):
            with open(self.path(f"fresh.{ext}"), "rb") as f:
                fresh[ext] = f.read()
        entries_dir = os.path.join(cache, "sbom")
        entries = {}
        for name in sorted(os.listdir(entries_dir)):
            with open(os.path.join(entries_dir, name), "rb") as f:
                entries[name] = f.read()
        self.assertEqual(len(entries), 2, entries.keys())  # one per format

        def build_again(name):
            layout = self.path(f"layout-{name}")
            built = self.build(project, "--locked", "--sbom", "both", "-o", f"oci:{layout}:t",
                               "--sbom-file", self.path(f"{name}.spdx.json"), cache=cache).doc
            self.assertEqual(built["summary"]["layers_built"], 0, built["summary"])
            for ext, listed in zip(("spdx.json", "cdx.json"), built["sbom"]):
                with open(self.path(f"{name}.{ext}"), "rb") as f:
                    self.assertEqual(f.read(), fresh[ext], f"{name}: {ext}")
                [(_, artifact)] = self.attached(layout, built["image"]["digest"], listed["media_type"])
                self.assertEqual(self.blob(layout, artifact["layers"][0]["digest"]), fresh[ext], f"{name}: {ext}")
            return built

        # From the cache: the Debian packages' copyright records are not read (gone here, and not
        # made again), yet the documents state their licences as the fresh build did.
        shutil.rmtree(os.path.join(cache, "deb-copyright"))
        build_again("warm")
        self.assertFalse(os.path.exists(os.path.join(cache, "deb-copyright")))

        def other_hex_digit_at(b, i):
            return b[:i] + (b"1" if b[i:i + 1] == b"0" else b"0") + b[i + 1:]

        damages = {
            "cut-short": lambda b: b[: len(b) - 100],
            "one-byte-changed": lambda b: b[: len(b) // 2] + bytes([b[len(b) // 2] ^ 0x20]) + b[len(b) // 2 + 1:],
            "digest-changed": lambda b: other_hex_digit_at(b, b.index(b"sha256:") + len("sha256:")),
            "empty": lambda b: b"",
        }
        for name, damage in damages.items():
            for entry, text in entries.items():
                with open(os.path.join(entries_dir, entry), "wb") as f:
                    f.write(damage(text))
            build_again(name)
            # Written again, whole: the records were read again to write it.
            for entry, text in entries.items():
                with open(os.path.join(entries_dir, entry), "rb") as f:
                    self.assertEqual(f.read(), text, f"{name}: {entry}")
        self.assertTrue(os.listdir(os.path.join(cache, "deb-copyright")))

    def test_a_licence_that_is_not_an_spdx_expression_is_noassertion_with_its_text(self):
        project = self.project("lic")
        self.build(project, "--sbom", "none")
        # Buildpacks record a package's licence in the lock's `extra` when its metadata states
        # one (conda's repodata does); here two are written into the lock by hand.
        lock_path = os.path.join(project, "mlpack.lock")
        with open(lock_path) as f:
            text = f.read()
        text = add_extra(text, "toolkit", "license", "GPL (>= 2) | file LICENCE")
        text = add_extra(text, "helper", "license", "apache-2.0 OR mit")
        with open(lock_path, "w") as f:
            f.write(text)
        out = self.path("lic.spdx.json")
        cdx = self.path("lic.cdx.json")
        self.build(project, "--locked", "--sbom", "both", "--sbom-file", out)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(schema_errors("spdx-schema-2.3.json", doc), [])
        by_name = {p["name"]: p for p in doc["packages"]}
        self.assertEqual(by_name["toolkit"]["licenseDeclared"], "NOASSERTION")
        self.assertIn("GPL (>= 2) | file LICENCE", by_name["toolkit"]["licenseComments"])
        self.assertEqual(by_name["helper"]["licenseDeclared"], "Apache-2.0 OR MIT")
        with open(lock_path) as f:
            self.assertIn("GPL (>= 2) | file LICENCE", f.read())  # the lock as edited, still whole
        self.assertEqual(by_name["helper"]["supplier"], f"Organization: {WORK['pypi'].url}/simple/")
        self.assertNotIn("licenseComments", by_name["helper"])
        with open(cdx) as f:
            c = json.load(f)
        self.assertEqual(schema_errors("bom-1.6.SNAPSHOT.schema.json", c), [])
        comps = {x["name"]: x for x in c["components"]}
        self.assertEqual(comps["toolkit"]["licenses"], [{"license": {"name": "GPL (>= 2) | file LICENCE"}}])
        self.assertEqual(comps["helper"]["licenses"], [{"expression": "Apache-2.0 OR MIT"}])

    def test_docker_archive_gets_the_sbom_beside_it(self):
        project = self.project("arch")
        archive = self.path("img.tar")
        built = self.build(project, "-o", f"docker-archive:{archive}:arch:latest").doc
        self.assertEqual(built["sbom"][0]["written"], [archive + ".spdx.json"])
        with open(archive + ".spdx.json") as f:
            doc = json.load(f)
        self.assertIn(built["image"]["digest"], [p.get("versionInfo") for p in doc["packages"]])


    def test_oci_archive_carries_the_sbom(self):
        project = self.project("ociarch")
        archive = self.path("img.oci.tar")
        built = self.build(project, "--sbom", "both", "-o", f"oci-archive:{archive}:t").doc
        digest = built["image"]["digest"]
        self.assertEqual([s["written"] for s in built["sbom"]], [[f"oci-archive:{archive}:t"]] * 2, built["sbom"])
        self.assertEqual([s["skipped"] for s in built["sbom"]], [[], []])
        # The archive lists the image and both artifacts, as a layout does; `mlpack sbom` reads
        # each back, byte for byte what --json reported.
        extracted = self.path("extracted")
        with tarfile.open(archive) as tar:
            tar.extractall(extracted)
        for s, media in zip(built["sbom"], (SPDX, CYCLONEDX)):
            [(desc, manifest)] = self.attached(extracted, digest, media)
            self.assertEqual(desc["digest"], s["digest"])
            fmt = "spdx" if media == SPDX else "cyclonedx"
            r = run([MLPACK, "sbom", f"oci-archive:{archive}:t", "--format", fmt])
            self.assertEqual(json.loads(r.stdout), json.loads(self.blob(extracted, manifest["layers"][0]["digest"])))
        # skopeo still reads the image by its tag, unchanged.
        inspected = json.loads(run(["skopeo", "inspect", f"oci-archive:{archive}:t"]).stdout)
        self.assertEqual(inspected["Digest"], digest)

    def test_debian_packages_state_the_licences_of_their_copyright_files(self):
        project = self.project("deblic")
        cache = self.path("cache-deblic")
        out = self.path("cold.spdx.json")
        self.build(project, "--sbom", "both", "--sbom-file", out, cache=cache)
        with open(out, "rb") as f:
            cold = f.read()
        doc = json.loads(cold)
        self.assertEqual(schema_errors("spdx-schema-2.3.json", doc), [])
        by_name = {p["name"]: p for p in doc["packages"]}
        # Machine-readable copyright files (bookworm's), mapped to SPDX; never a conclusion.
        self.assertEqual(by_name["netbase"]["licenseDeclared"], "GPL-2.0-only")
        self.assertEqual(by_name["ca-certificates"]["licenseDeclared"], "GPL-2.0-or-later AND MPL-2.0")
        self.assertEqual(by_name["netbase"]["licenseConcluded"], "NOASSERTION")
        # One with a short name SPDX lacks: NOASSERTION, the statement kept as written.
        self.assertEqual(by_name["dash"]["licenseDeclared"], "NOASSERTION")
        self.assertIn("public-domain", by_name["dash"]["licenseComments"])
        # A free-text copyright file (libc6's) states nothing machine-readable.
        self.assertEqual(by_name["libc6"]["licenseDeclared"], "NOASSERTION")
        self.assertNotIn("licenseComments", by_name["libc6"])
        with open(self.path("cold.cdx.json")) as f:
            comps = {c["name"]: c for c in json.load(f)["components"]}
        self.assertEqual(comps["netbase"]["licenses"], [{"expression": "GPL-2.0-only"}])

        # A warm build (every layer from the cache, nothing unpacked) states the same, and so does
        # one whose records of the copyright files are gone (read again from the cached .debs; the
        # cached documents go too, or the build would not read them).
        for name in ("warm", "no-records"):
            if name == "no-records":
                shutil.rmtree(os.path.join(cache, "deb-copyright"))
                shutil.rmtree(os.path.join(cache, "sbom"))
            again = self.path(f"{name}.spdx.json")
            built = self.build(project, "--locked", "--sbom", "both", "--sbom-file", again, cache=cache).doc
            self.assertEqual(built["summary"]["layers_built"], 0, built["summary"])
            with open(again, "rb") as f:
                self.assertEqual(f.read(), cold, name)
        self.assertTrue(os.listdir(os.path.join(cache, "deb-copyright")))

    def test_registry_keeps_the_sbom_under_the_referrers_tag(self):
        need("docker-registry")
        registry = Registry(self.tmp)
        self.addCleanup(registry.stop)
        project = self.project("pushed")
        dest = f"docker://{registry.host}/team/pushed:v1"
        first = self.build(project, "-o", dest).doc
        digest = first["image"]["digest"]
        self.assertEqual(first["sbom"][0]["written"], [dest])
        # docker-registry has no referrers API: the sha256-<hex> tag holds an index of them.
        fallback = f"docker://{registry.host}/team/pushed:sha256-{digest.split(':', 1)[1]}"
        raw = json.loads(run(["skopeo", "inspect", "--raw", *registry.skopeo_flags(), fallback]).stdout)
        self.assertEqual(raw["mediaType"], "application/vnd.oci.image.index.v1+json")
        self.assertEqual([(m["digest"], m["artifactType"]) for m in raw["manifests"]],
                         [(first["sbom"][0]["digest"], SPDX)])
        # The image itself is untouched.
        self.assertEqual(json.loads(run(["skopeo", "inspect", *registry.skopeo_flags(), dest]).stdout)["Digest"], digest)
        spdx = run([MLPACK, "sbom", dest]).stdout.rstrip("\n")
        self.assertEqual(json.loads(spdx)["spdxVersion"], "SPDX-2.3")
        self.assertEqual(schema_errors("spdx-schema-2.3.json", json.loads(spdx)), [])
        # A second push of the same image with a CycloneDX SBOM keeps the SPDX one listed.
        second = self.build(project, "--locked", "--sbom", "cyclonedx", "-o", dest).doc
        self.assertEqual(second["image"]["digest"], digest)
        raw = json.loads(run(["skopeo", "inspect", "--raw", *registry.skopeo_flags(), fallback]).stdout)
        self.assertEqual(sorted((m["digest"], m["artifactType"]) for m in raw["manifests"]),
                         sorted([(first["sbom"][0]["digest"], SPDX), (second["sbom"][0]["digest"], CYCLONEDX)]))
        cdx = json.loads(run([MLPACK, "sbom", dest, "--format", "cyclonedx"]).stdout)
        self.assertEqual(cdx["metadata"]["component"]["version"], digest)
        self.assertEqual(run([MLPACK, "sbom", dest]).stdout.rstrip("\n"), spdx)
        # An image pushed without one has none.
        bare = f"docker://{registry.host}/team/bare:v1"
        self.build(project, "--locked", "--sbom", "none", "-o", bare)
        r = run([MLPACK, "sbom", bare], check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("has no SBOM", r.stderr)


    def test_a_registry_base_is_listed_by_digest_with_its_own_packages(self):
        layer = self.path("baselayer")
        write(os.path.join(layer, "etc", "os-release"), 'ID=debian\nVERSION_CODENAME=bookworm\nVERSION_ID="12"\n')
        write(os.path.join(layer, "var", "lib", "dpkg", "status"),
              "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n"
              "Maintainer: x\nDescription: C library\n\n"
              "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n"
              "Maintainer: x\nDescription: time zones\n\n"
              "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n"
              "Maintainer: x\nDescription: removed\n")
        base = f"oci:{self.path('base')}:b"
        run([MLPACK, "append", "--layer", f"{layer}:/", "-o", base])
        base_digest = json.loads(run([MLPACK, "inspect", base, "--json"]).stdout)["digest"]
        project = self.path("onbase")
        write(os.path.join(project, "mlpack.yaml"), f"base: {base}\n")
        write(os.path.join(project, "app.py"), "print('hi')\n")
        out = self.path("onbase.spdx.json")
        self.build(project, "--sbom", "both", "--sbom-file", out)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(schema_errors("spdx-schema-2.3.json", doc), [])
        by_name = {p["name"]: p for p in doc["packages"]}
        base_pkg = by_name[base]
        self.assertEqual(base_pkg["versionInfo"], base_digest)
        self.assertEqual(base_pkg["primaryPackagePurpose"], "CONTAINER")
        ptype, _, pname, pversion, _ = parse_purl(base_pkg["externalRefs"][0]["referenceLocator"])
        self.assertEqual((ptype, pname, pversion), ("oci", "base", base_digest))
        rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
        self.assertIn(("SPDXRef-Image", "DESCENDANT_OF", base_pkg["SPDXID"]), rels)
        for name, purl in [("libc6", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"),
                           ("tzdata", "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12")]:
            self.assertEqual(by_name[name]["externalRefs"][0]["referenceLocator"], purl)
            self.assertIn((base_pkg["SPDXID"], "CONTAINS", by_name[name]["SPDXID"]), rels)
            self.assertIn("mlpack:role=base", by_name[name]["comment"])
        self.assertNotIn("gone", by_name)
        with open(self.path("onbase.cdx.json")) as f:
            cdx = json.load(f)
        self.assertEqual(schema_errors("bom-1.6.SNAPSHOT.schema.json", cdx), [])
        self.assertIn(base_digest.split(":", 1)[1],
                      [h["content"] for c in cdx["components"] for h in c.get("hashes", [])])


def add_extra(lock_text, package, key, value):
    """Adds `key: value` to the `extra` map of one pypi package of an mlpack.lock (YAML as mlpack
    writes it: one `- ecosystem:` line per package, its fields indented below it)."""
    lines = lock_text.split("\n")
    start = next(i for i, line in enumerate(lines)
                 if re.fullmatch(r"\s*- ecosystem: pypi", line) and i + 1 < len(lines)
                 and re.fullmatch(rf"\s*name: {re.escape(package)}", lines[i + 1]))
    indent = re.match(r"(\s*)", lines[start + 1]).group(1)
    end = start + 1
    while end < len(lines) and lines[end].startswith(indent) and lines[end].strip():
        end += 1
    entry = f"{indent}  {key}: {json.dumps(value)}"
    extra = next((i for i in range(start + 1, end) if lines[i] == f"{indent}extra:"), None)
    if extra is None:
        lines[end:end] = [f"{indent}extra:", entry]
    else:
        lines.insert(extra + 1, entry)
    return "\n".join(lines)

# --- checks shared with other suites (test_examples.py) ---------------------------------------

def check_packages_listed(test, packages, purls_and_hashes):
    """Every locked package (as `lock --json` / `build --json` list them) exactly once, by a purl
    that parses, with the lock's sha256; and nothing else but images."""
    by_key = {}
    for purl, sha in purls_and_hashes:
        ptype, _ns, name, version, q = parse_purl(purl)
        if ptype == "oci":
            continue
        key = (ptype, name.lower().replace("_", "-"), version, q.get("arch", ""))
        test.assertNotIn(key, by_key, f"{purl} listed twice")
        by_key[key] = sha
    expected = set()
    for p in packages:
        eco = p["ecosystem"]
        name = re.sub(r"[-_.]+", "-", p["name"]).lower() if eco == "pypi" else p["name"].lower()
        key = (eco, name.replace("_", "-"), p["version"], p.get("architecture", ""))
        expected.add(key)
        test.assertIn(key, by_key, f"{p['name']} {p['version']} is missing from the SBOM")
        test.assertEqual(by_key[key], p["sha256"], p["name"])
    test.assertEqual(set(by_key), expected)


def check_layout_spdx(test, layout, image_digest, packages):
    """The layout lists one SPDX SBOM artifact for the image; it validates against the SPDX 2.3
    schema and lists every locked package. Returns the document's bytes."""
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)

    def blob(digest):
        with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
            return f.read()

    found = []
    for m in index["manifests"]:
        if m.get("artifactType") == SPDX:
            artifact = json.loads(blob(m["digest"]))
            if artifact.get("subject", {}).get("digest") == image_digest:
                found.append(artifact)
    test.assertEqual(len(found), 1, index)
    text = blob(found[0]["layers"][0]["digest"])
    doc = json.loads(text)
    test.assertEqual(schema_errors("spdx-schema-2.3.json", doc), [])
    refs = []
    for p in doc["packages"]:
        [ref] = [r for r in p["externalRefs"] if r["referenceType"] == "purl"]
        refs.append((ref["referenceLocator"], next((c["checksumValue"] for c in p.get("checksums", [])
                                                    if c["algorithm"] == "SHA256"), None)))
    check_packages_listed(test, packages, refs)
    return text


if __name__ == "__main__":
    unittest.main()
