"""`mlpack build` of a conda environment (environment.yml) into /opt/conda, with no conda, mamba or
Python run at build time: packages from a local channel the test generates (tests/fixtures/
conda_channel.py: text and binary prefix placeholders, symlinks, a `noarch: python` package with an
entry point, activation scripts, a post-link script, a package over 50 MiB), on the Debian base
made from a small real signed apt archive (tests/fixtures/apt_archive.py). The image is read with
umoci, independently of mlpack, and a script runs under runc as the image's user (uid 1000)."""

import json
import os
import random
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from harness import MLPACK, TempTestCase, clean_env, need, run, runc_run, umoci_unpack, write  # noqa: E402

import apt_archive  # noqa: E402
import conda_debian  # noqa: E402
from conda_channel import PLACEHOLDER, build_channel  # noqa: E402
from python_index import Server, build_index  # noqa: E402

OS_PACKAGES = ["base-files", "ca-certificates", "coreutils", "dash", "dpkg", "libc6", "netbase", "usr-is-merged"]
PH = PLACEHOLDER.encode()
# An ELF-like file whose RUNPATH names the build prefix: binary mode keeps every offset.
BINARY = (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"RUNPATH=" + PH + b"/lib:" + PH + b"/lib64\x00" +
          b"\x00" * 16 + b"after\x00")
BIG = random.Random(12).randbytes(51 << 20)  # incompressible: the .conda is over 50 MiB too


def pkg(name, version, build="h0_0", **kw):
    return {"name": name, "version": version, "build": build, **kw}


PACKAGES = [
    pkg("python", "3.11.9", "h0_0_cpython",
        files={"bin/python3.11": b"#!/bin/sh\necho fake python \"$@\"\n"},
        symlinks={"bin/python": "python3.11", "bin/python3": "python3.11"}),
    pkg("demo", "1.0", "h0_0", depends=["libdemo >=2"],
        files={"bin/demo-tool": b"#!/bin/sh\necho prefix=" + PH + b"\ncat " + PH + b"/share/demo/data.txt\n",
               "share/demo/data.txt": b"demo data\n",
               "etc/conda/activate.d/demo.sh": b"# set by demo\nexport DEMO_HOME=${CONDA_PREFIX}/share/demo\n",
               "etc/conda/activate.d/fancy.sh": b'if [ -n "$X" ]; then export FANCY=1; fi\n',
               "bin/.demo-post-link.sh": b"#!/bin/sh\necho ran > /tmp/post-link-ran\n"},
        prefix={"bin/demo-tool": "text"}),
    pkg("libdemo", "2.0", "h0_0", format="tar.bz2",
        files={"lib/libdemo.so.2": BINARY}, prefix={"lib/libdemo.so.2": "binary"},
        symlinks={"lib/libdemo.so": "libdemo.so.2"}),
    pkg("hello", "0.1", "pyh0_0", subdir="noarch", noarch="python", depends=["python >=3.8"],
        files={"site-packages/hello/__init__.py": b"def main():\n    print('hello from conda')\n",
               "python-scripts/hello-script": b"#!" + PH + b"/bin/python\nprint(1)\n"},
        prefix={"python-scripts/hello-script": "text"}, entry_points=["hello = hello:main"]),
    pkg("bigdata", "1.0", "h0_0", files={"share/bigdata/blob.bin": BIG}),
    pkg("pip", "24.0", "pyh0_0", subdir="noarch", noarch="python", depends=["python >=3.8"],
        files={"site-packages/pip/__init__.py": b"def main():\n    pass\n"}, entry_points=["pip = pip:main"]),
]
ARCHIVE = {}


def setUpModule():
    need("apt-ftparchive", "gpg", "gpgv", "dpkg-deb", "zstd")
    work = tempfile.mkdtemp(prefix="mlpack-conda-build-")
    ARCHIVE["work"] = work
    try:
        debs = apt_archive.fetch_debs(apt_archive.closure(OS_PACKAGES))
    except apt_archive.FixtureSkip as e:
        raise unittest.SkipTest(str(e))
    key = apt_archive.make_key(os.path.join(work, "gnupg"), os.path.join(work, "keyring.gpg"))
    apt_archive.build_archive(os.path.join(work, "archive"), debs, key)
    apt_archive.stop_agent(key.home)
    ARCHIVE["apt"] = apt_archive.Server(os.path.join(work, "archive"))
    ARCHIVE["keyring"] = os.path.join(work, "keyring.gpg")
    served = os.path.join(work, "served")
    ARCHIVE["records"] = build_channel(os.path.join(served, "chan"), PACKAGES)
    build_index({"six": {"versions": {"1.16.0": {"requires_python": ">=3", "scripts": {"six-hello": "six:main"}}}}},
                os.path.join(served, "pypi"))
    ARCHIVE["conda"] = Server(served)


def tearDownModule():
    for k in ("apt", "conda"):
        if k in ARCHIVE:
            ARCHIVE[k].stop()
    if "work" in ARCHIVE:
        shutil.rmtree(ARCHIVE["work"], ignore_errors=True)


class CondaBuild(TempTestCase):
    def project(self, name="proj", deps=("python=3.11", "demo", "hello", "bigdata"), pip=None):
        d = self.path(name)
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"  # the archive holds bookworm's .debs
              "apt_sources:\n"
              f"  - url: {ARCHIVE['apt'].url}\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {ARCHIVE['keyring']}\n")
        env = ("name: demo-env\nchannels:\n" f"  - {ARCHIVE['conda'].url}/chan\n" "dependencies:\n" +
               "".join(f"  - {x}\n" for x in deps))
        if pip:
            env += "  - pip:\n" + "".join(f"    - {x}\n" for x in pip)
        env += "variables:\n  MY_VAR: from-environment\n"
        write(os.path.join(d, "environment.yml"), env)
        return d

    def build(self, project, out, cache=None, check=True):
        r = run([MLPACK, "build", project, "--json", "-o", out], env=clean_env(cache or self.cache), check=False)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r, (json.loads(r.stdout) if r.stdout.strip() else {})

    def config_of(self, layout, tag):
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        digest = [m for m in index["manifests"]
                  if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]["digest"]

        def blob(d):
            with open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1]), "rb") as f:
                return f.read()
        manifest = json.loads(blob(digest))
        return json.loads(blob(manifest["config"]["digest"]))

    def test_environment_in_opt_conda_runs_as_uid_1000(self):
        need("umoci")
        project = self.project()
        layout = self.path("layout")
        r, doc = self.build(project, f"oci:{layout}:demo")
        layers = [l["contents"] for l in doc["image"]["layers"]]
        # The image's layer plan (lib/layerplan): 4 MiB and more, a layer of its own; the others in
        # buckets by name, each layer's history naming its packages.
        self.assertIn("conda: bigdata 1.0", layers)
        planned = [l for l in doc["image"]["layers"] if l["contents"].startswith("conda: ") and "history" not in l["contents"]]
        members = sorted(p.split(" ")[0] for l in planned for p in l["packages"])
        self.assertEqual(members, sorted(p["name"] for p in doc["packages"] if p["ecosystem"] == "conda"), planned)
        for l in planned:
            for p in l["packages"]:
                self.assertIn(p, l["contents"])
        self.assertIn("conda: conda-meta/history", layers)
        # The post-link script is not run, and it says so; so is the activation script it cannot read.
        self.assertRegex(r.stderr, r"warning: conda package demo-1.0-h0_0 has link scripts .*bin/\.demo-post-link\.sh")
        self.assertRegex(r.stderr, r"warning: .*activate\.d/fancy\.sh")
        # ... and --json lists the same warnings, for CI.
        self.assertTrue(any("demo-1.0-h0_0 has link scripts" in w for w in doc["warnings"]), doc["warnings"])
        self.assertTrue(any("activate.d/fancy.sh" in w for w in doc["warnings"]), doc["warnings"])

        env = dict(e.split("=", 1) for e in self.config_of(layout, "demo")["config"]["Env"])
        self.assertEqual(env["CONDA_PREFIX"], "/opt/conda")
        self.assertEqual(env["CONDA_DEFAULT_ENV"], "base")
        self.assertTrue(env["PATH"].startswith("/opt/conda/bin:"), env["PATH"])
        self.assertEqual(env["MY_VAR"], "from-environment")
        self.assertEqual(env["DEMO_HOME"], "/opt/conda/share/demo")
        self.assertNotIn("FANCY", env)

        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:demo", bundle)
        prefix = os.path.join(bundle, "rootfs", "opt", "conda")
        with open(os.path.join(prefix, "bin", "demo-tool"), "rb") as f:
            tool = f.read()
        self.assertNotIn(PH, tool)
        self.assertIn(b"echo prefix=/opt/conda\n", tool)
        with open(os.path.join(prefix, "lib", "libdemo.so.2"), "rb") as f:
            lib = f.read()
        self.assertEqual(len(lib), len(BINARY))
        self.assertNotIn(PH, lib)
        self.assertIn(b"RUNPATH=/opt/conda/lib:/opt/conda/lib64\x00", lib)
        self.assertTrue(lib.endswith(b"after\x00"))  # the rest of the file did not move
        self.assertEqual(os.readlink(os.path.join(prefix, "lib", "libdemo.so")), "libdemo.so.2")
        self.assertTrue(os.path.isfile(os.path.join(prefix, "lib", "python3.11", "site-packages", "hello", "__init__.py")))
        with open(os.path.join(prefix, "bin", "hello-script")) as f:
            self.assertEqual(f.readline(), "#!/opt/conda/bin/python\n")
        with open(os.path.join(prefix, "bin", "hello")) as f:
            launcher = f.read()
        self.assertTrue(launcher.startswith("#!/opt/conda/bin/python\n"))
        self.assertIn("from hello import main", launcher)
        self.assertEqual(os.stat(os.path.join(prefix, "bin", "hello")).st_mode & 0o777, 0o755)
        with open(os.path.join(prefix, "share", "bigdata", "blob.bin"), "rb") as f:
            self.assertEqual(f.read(), BIG)
        # conda-meta: a record per package, and the history, as conda reads them.
        metas = sorted(os.listdir(os.path.join(prefix, "conda-meta")))
        self.assertEqual(metas, ["bigdata-1.0-h0_0.json", "demo-1.0-h0_0.json", "hello-0.1-pyh0_0.json", "history",
                                 "libdemo-2.0-h0_0.json", "python-3.11.9-h0_0_cpython.json"])
        with open(os.path.join(prefix, "conda-meta", "demo-1.0-h0_0.json")) as f:
            demo = json.load(f)
        rec = ARCHIVE["records"]["demo-1.0-h0_0.conda"]
        self.assertEqual(demo["sha256"], rec["sha256"])
        self.assertEqual(demo["md5"], rec["md5"])
        self.assertEqual(demo["fn"], "demo-1.0-h0_0.conda")
        self.assertEqual(demo["channel"], f"{ARCHIVE['conda'].url}/chan")
        self.assertEqual(demo["url"], f"{ARCHIVE['conda'].url}/chan/linux-64/demo-1.0-h0_0.conda")
        self.assertEqual(demo["requested_spec"], "demo")
        self.assertEqual(demo["depends"], ["libdemo >=2"])
        self.assertIn("bin/demo-tool", demo["files"])
        tool_path = [p for p in demo["paths_data"]["paths"] if p["_path"] == "bin/demo-tool"][0]
        self.assertEqual(tool_path["prefix_placeholder"], PLACEHOLDER)
        with open(os.path.join(prefix, "conda-meta", "libdemo-2.0-h0_0.json")) as f:
            self.assertEqual(json.load(f)["requested_spec"], "")
        with open(os.path.join(prefix, "conda-meta", "history")) as f:
            history = f.read()
        for p in PACKAGES[:-1]:  # not pip: the environment does not ask for it
            self.assertIn(f"::{p['name']}-{p['version']}-{p['build']}\n", history)

        # Under runc, as the image's user: the environment's bin is on PATH, the activation is in
        # Env, and the placeholder-replaced script finds its data.
        if os.geteuid() != 0:
            return
        out = runc_run(bundle, ["sh", "-c", "id -u; demo-tool; echo home=$DEMO_HOME var=$MY_VAR; "
                                "cat /opt/conda/share/demo/data.txt >/dev/null && echo readable; "
                                "test -e /tmp/post-link-ran || echo never-ran"])
        self.assertEqual(out.split(), ["1000", "prefix=/opt/conda", "demo", "data",
                                       "home=/opt/conda/share/demo", "var=from-environment", "readable", "never-ran"])

    def test_two_caches_give_one_digest_and_a_warm_rebuild_reuses_every_layer(self):
        a = self.project("a")
        b = os.path.join(self.path("elsewhere", "deeper"), "a")
        shutil.copytree(a, b)
        _, first = self.build(a, f"oci:{self.path('la')}:t", cache=self.path("cache-1"))
        _, second = self.build(b, f"oci:{self.path('lb')}:t", cache=self.path("cache-2"))
        self.assertEqual(first["image"]["digest"], second["image"]["digest"])
        r, warm = self.build(a, f"oci:{self.path('lc')}:t", cache=self.path("cache-1"))
        self.assertEqual(warm["image"]["digest"], first["image"]["digest"])
        conda_layers = [l for l in warm["image"]["layers"] if l["contents"].startswith("conda: ") and
                        "history" not in l["contents"]]
        self.assertEqual(len(conda_layers), len([l for l in first["image"]["layers"] if l["contents"].startswith("conda: ")
                                                  and "history" not in l["contents"]]))
        self.assertTrue(all(l["cached"] for l in conda_layers), conda_layers)
        # The activation comes back from the cache with the layers.
        env = dict(e.split("=", 1) for e in self.config_of(self.path("lc"), "t")["config"]["Env"])
        self.assertEqual(env["DEMO_HOME"], "/opt/conda/share/demo")
        self.assertIn("link scripts", r.stderr)

    def test_pip_list_installs_into_the_environment_site_packages(self):
        need("umoci")
        project = self.project("withpip", deps=("python=3.11", "demo"),
                               pip=[f"--index-url {ARCHIVE['conda'].url}/pypi/simple/", "six==1.16.0"])
        layout = self.path("layout")
        _, doc = self.build(project, f"oci:{layout}:t")
        layers = [l["contents"] for l in doc["image"]["layers"]]
        self.assertEqual(layers[-2:-1], ["conda pip: 1 package in /opt/conda"], layers)  # above conda's, below /app
        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:t", bundle)
        site = os.path.join(bundle, "rootfs", "opt", "conda", "lib", "python3.11", "site-packages")
        self.assertTrue(os.path.isfile(os.path.join(site, "six", "__init__.py")))
        with open(os.path.join(site, "six-1.16.0.dist-info", "INSTALLER")) as f:
            self.assertEqual(f.read(), "mlpack\n")
        with open(os.path.join(bundle, "rootfs", "opt", "conda", "bin", "six-hello")) as f:
            self.assertEqual(f.readline(), "#!/opt/conda/bin/python\n")
        self.assertFalse(os.path.exists(os.path.join(bundle, "rootfs", "opt", "venv")))

    def test_a_package_that_changed_after_locking_is_refused(self):
        project = self.project("changed", deps=("demo",))
        run([MLPACK, "lock", project], env=clean_env(self.cache))
        with open(os.path.join(project, "mlpack.lock")) as f:
            text = f.read()
        sha = ARCHIVE["records"]["demo-1.0-h0_0.conda"]["sha256"]
        self.assertIn(sha, text)
        with open(os.path.join(project, "mlpack.lock"), "w") as f:
            f.write(text.replace(sha, "0" * 64))
        r, doc = self.build(project, f"oci:{self.path('l')}:t", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("demo", r.stderr + json.dumps(doc))


# --- the end to end with real binaries -------------------------------------------------------------

HELLO_C = r"""
#include <stdio.h>
/* The build prefix, as conda-build leaves it in a compiled program: binary mode rewrites it. */
static const char greeting[] = "/opt/anaconda1anaconda2anaconda3/share/hello-c/greeting.txt";
int main(void) {
  FILE* f = fopen(greeting, "r");
  char line[256] = "";
  if (!f || !fgets(line, sizeof line, f)) { printf("cannot read %s\n", greeting); return 1; }
  printf("%s read from %s\n", strtok(line, "\n"), greeting);
  return 0;
}
"""


def debian_packages(work):
    """Debian bookworm's own python3.11 and libexpat repacked as conda packages
    (tests/fixtures/conda_debian.py), and a C program compiled here with the build prefix in it."""
    python = conda_debian.python_packages(work)
    src = os.path.join(work, "hello.c")
    with open(src, "w") as f:
        f.write("#include <string.h>\n" + HELLO_C)
    binary = os.path.join(work, "hello-c")
    run(["gcc", "-O2", "-o", binary, src])
    with open(binary, "rb") as f:
        hello_bin = f.read()
    return python + [
        pkg("hello-c", "1.0", "h0_0", files={"bin/hello-c": hello_bin, "share/hello-c/greeting.txt": b"hi there\n",
                                             "bin/which-prefix": b"#!" + PH + b"/bin/python3.11\n"
                                                                 b"import sys\nprint('prefix', sys.prefix)\n",
                                             "etc/conda/activate.d/hello-c.sh": b"export HELLO_C_HOME=${CONDA_PREFIX}/share/hello-c\n"},
            prefix={"bin/hello-c": "binary", "bin/which-prefix": "text"}),
        pkg("greet", "0.2", "pyh0_0", subdir="noarch", noarch="python", depends=["python >=3.8"],
            files={"site-packages/greet/__init__.py": b"import json, sys\n\n\ndef main():\n"
                                                      b"    print(json.dumps({'greet': __file__, 'exe': sys.executable}))\n"},
            entry_points=["greet = greet:main"]),
    ]


class RealBinaries(TempTestCase):
    @classmethod
    def setUpClass(cls):
        need("patchelf", "gcc", "umoci")
        cls.work = tempfile.mkdtemp(prefix="mlpack-conda-real-")
        try:
            packages = debian_packages(cls.work)
        except apt_archive.FixtureSkip as e:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise unittest.SkipTest(str(e))
        cls.records = build_channel(os.path.join(cls.work, "served", "real"), packages)
        cls.server = Server(os.path.join(cls.work, "served"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_debian_python_repacked_runs_from_opt_conda_as_uid_1000(self):
        d = self.path("real")
        write(os.path.join(d, "mlpack.yaml"),
              "base: debian:bookworm\n"  # the archive holds bookworm's .debs
              "apt_sources:\n"
              f"  - url: {ARCHIVE['apt'].url}\n"
              "    suite: bookworm\n"
              "    components: [main]\n"
              f"    keyring: {ARCHIVE['keyring']}\n")
        write(os.path.join(d, "environment.yml"),
              f"name: real\nchannels:\n  - {self.server.url}/real\ndependencies:\n  - python=3.11\n  - hello-c\n  - greet\n")
        layout = self.path("layout")
        r = run([MLPACK, "build", d, "--json", "-o", f"oci:{layout}:real"], env=clean_env(self.cache), check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:real", bundle)
        rootfs = os.path.join(bundle, "rootfs")
        # Nothing of Debian's own python in the image: the interpreter is the environment's.
        self.assertFalse(os.path.exists(os.path.join(rootfs, "usr", "bin", "python3.11")))
        if os.geteuid() != 0:
            self.skipTest("runc needs root here")
        out = runc_run(bundle, ["sh", "-c",
                                "id -u; python -c 'import sys, json, pyexpat; print(sys.prefix, sys.executable)' 2>&1; "
                                "greet 2>&1; hello-c 2>&1; which-prefix 2>&1; echo home=$HELLO_C_HOME; "
                                "ls /opt/conda/conda-meta"])
        lines = out.splitlines()
        self.assertEqual(lines[0], "1000")
        self.assertEqual(lines[1], "/opt/conda /opt/conda/bin/python")
        self.assertEqual(json.loads(lines[2]), {"greet": "/opt/conda/lib/python3.11/site-packages/greet/__init__.py",
                                                "exe": "/opt/conda/bin/python"})
        self.assertEqual(lines[3], "hi there read from /opt/conda/share/hello-c/greeting.txt")
        self.assertEqual(lines[4], "prefix /opt/conda")
        self.assertEqual(lines[5], "home=/opt/conda/share/hello-c")
        self.assertEqual(sorted(lines[6:]), ["expat-2.5.0-debian_0.json", "greet-0.2-pyh0_0.json",
                                             "hello-c-1.0-h0_0.json", "history", "python-3.11.2-debian_0.json"])


if __name__ == "__main__":
    unittest.main()
