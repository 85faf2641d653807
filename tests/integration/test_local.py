"""A directory becomes an image in every local location (oci:, oci-archive:, docker-archive:),
and independent tools (skopeo, umoci, runc) accept it. Plus reproducibility and bad input."""

import json
import os
import socket
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import MLPACK, TempTestCase, busybox_rootfs, need, run, runc_run, umoci_unpack  # noqa: E402


class LocalImages(TempTestCase):
    def build_busybox(self, dest, *extra):
        root = busybox_rootfs(self.path("rootfs"))
        return self.mlpack("append", "--layer", root, "--entrypoint", "/bin/sh",
                           "--env", "GREETING=hi", "--workdir", "/etc", *extra, "-o", dest)

    def test_oci_layout_runs_with_umoci_and_runc(self):
        need("skopeo", "umoci")
        layout = self.path("layout")
        digest = self.build_busybox(f"oci:{layout}:v1").stdout.strip()
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
        info = json.loads(run(["skopeo", "inspect", f"oci:{layout}:v1"]).stdout)
        self.assertEqual(info["Digest"], digest)
        self.assertIn("GREETING=hi", info["Env"])
        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:v1", bundle)
        with open(os.path.join(bundle, "rootfs", "etc", "hello.txt")) as f:
            self.assertEqual(f.read(), "hello from a layer\n")
        out = runc_run(bundle, ["/bin/sh", "-c", "echo ran-in-runc $GREETING; cat hello.txt"])
        self.assertIn("ran-in-runc hi", out)
        self.assertIn("hello from a layer", out)

    def test_second_tag_keeps_first_and_shares_blobs(self):
        need("skopeo")
        layout = self.path("layout")
        d1 = self.build_busybox(f"oci:{layout}:one").stdout.strip()
        d2 = self.build_busybox(f"oci:{layout}:two", "--label", "which=two").stdout.strip()
        self.assertNotEqual(d1, d2)
        index = json.load(open(os.path.join(layout, "index.json")))
        tags = sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"])
        self.assertEqual(tags, ["one", "two"])
        self.assertEqual(json.loads(run(["skopeo", "inspect", f"oci:{layout}:one"]).stdout)["Digest"], d1)
        self.assertEqual(json.loads(run(["skopeo", "inspect", f"oci:{layout}:two"]).stdout)["Digest"], d2)
        # Same layer, one blob: 1 layer + 2 configs + 2 manifests.
        self.assertEqual(len(os.listdir(os.path.join(layout, "blobs", "sha256"))), 5)

    def test_docker_archive_is_read_by_skopeo(self):
        need("skopeo", "umoci")
        archive = self.path("image.tar")
        digest = self.build_busybox(f"docker-archive:{archive}:example/busybox:v1").stdout.strip()
        self.assertTrue(digest.startswith("sha256:"))
        info = json.loads(run(["skopeo", "inspect", f"docker-archive:{archive}"]).stdout)
        self.assertIn("GREETING=hi", info["Env"])
        # skopeo converts it to a layout; umoci then verifies every diff_id and runc runs it.
        run(["skopeo", "copy", f"docker-archive:{archive}", f"oci:{self.path('copy')}:t"])
        bundle = self.path("bundle")
        umoci_unpack(f"{self.path('copy')}:t", bundle)
        self.assertIn("hi", runc_run(bundle, ["/bin/sh", "-c", "echo $GREETING"]))

    def test_oci_archive_is_read_by_skopeo(self):
        need("skopeo")
        archive = self.path("image-oci.tar")
        digest = self.build_busybox(f"oci-archive:{archive}:v1").stdout.strip()
        info = json.loads(run(["skopeo", "inspect", f"oci-archive:{archive}:v1"]).stdout)
        self.assertEqual(info["Digest"], digest)

    def test_push_between_local_locations_and_inspect(self):
        layout = self.path("layout")
        digest = self.build_busybox(f"oci:{layout}:v1").stdout.strip()
        copy = self.path("copy.tar")
        self.assertEqual(self.mlpack("push", f"oci:{layout}:v1", f"oci-archive:{copy}").stdout.strip(), digest)
        doc = json.loads(self.mlpack("inspect", f"oci-archive:{copy}", "--json").stdout)
        self.assertEqual(doc["digest"], digest)
        self.assertEqual(doc["config"]["Entrypoint"], ["/bin/sh"])
        self.assertEqual(doc["config"]["WorkingDir"], "/etc")
        self.assertEqual(len(doc["layers"]), 1)

    def test_append_onto_a_base(self):
        need("skopeo", "umoci")
        layout = self.path("layout")
        self.build_busybox(f"oci:{layout}:base")
        app = self.path("app")
        os.makedirs(app)
        with open(os.path.join(app, "main.sh"), "w") as f:
            f.write("echo from-app-layer\n")
        self.mlpack("append", "--base", f"oci:{layout}:base", "--layer", f"{app}:/app",
                    "--cmd", "/app/main.sh", "--workdir", "/app", "-o", f"oci:{layout}:app")
        doc = json.loads(self.mlpack("inspect", f"oci:{layout}:app", "--json").stdout)
        self.assertEqual(len(doc["layers"]), 2)
        self.assertEqual(doc["config"]["Entrypoint"], ["/bin/sh"])  # inherited
        self.assertIn("GREETING=hi", doc["config"]["Env"])
        bundle = self.path("bundle")
        umoci_unpack(f"{layout}:app", bundle)
        self.assertIn("from-app-layer", runc_run(bundle, ["/bin/sh", "/app/main.sh"]))


class Reproducibility(TempTestCase):
    def make_tree(self, root, order, umask, mtime):
        old = os.umask(umask)
        try:
            names = ["b/c.txt", "a.txt", "b/d/e.bin", "x/y.sh"]
            for name in (names if order else list(reversed(names))):
                p = os.path.join(root, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as f:
                    f.write("content of " + name)
            os.chmod(os.path.join(root, "x/y.sh"), 0o777 & ~umask | 0o100)
            os.symlink("../a.txt", os.path.join(root, "b", "link"))
            for dirpath, dirs, files in os.walk(root):
                for n in dirs + files:
                    os.utime(os.path.join(dirpath, n), (mtime, mtime), follow_symlinks=False)
        finally:
            os.umask(old)

    def test_same_tree_same_digest(self):
        # The same tree: its modes are part of it (append keeps them), its order and times are not.
        digests = []
        for i, (order, umask, mtime) in enumerate([(True, 0o022, 1_000_000), (False, 0o022, 2_000_000)]):
            root = self.path(f"tree{i}")
            os.makedirs(root)
            self.make_tree(root, order, umask, mtime)
            env = dict(os.environ, MLPACK_CACHE_DIR=self.path(f"cache{i}"))
            env.pop("SOURCE_DATE_EPOCH", None)
            out = run([MLPACK, "append", "--layer", f"{root}:/app",
                       "-o", f"oci:{self.path(f'out{i}')}:t"], env=env)
            digests.append(out.stdout.strip())
        self.assertEqual(digests[0], digests[1])
        for z in ("gzip", "zstd"):
            a = self.mlpack("append", "--compression", z, "--layer", f"{self.path('tree0')}:/app",
                            "-o", f"oci:{self.path('z0')}:t").stdout
            b = self.mlpack("append", "--compression", z, "--layer", f"{self.path('tree1')}:/app",
                            "-o", f"oci:{self.path('z1')}:t").stdout
            self.assertEqual(a, b, z)

    def test_modes_are_the_trees(self):
        """append keeps each entry's mode bits as the tree has them (sticky, setgid, group and other
        write included), checked with an independent reader: /tmp stays 1777."""
        import tarfile
        root = self.path("rootfs")
        for d, mode in (("tmp", 0o1777), ("srv/shared", 0o2775), ("var/mail", 0o2770)):
            os.makedirs(os.path.join(root, d))
            os.chmod(os.path.join(root, d), mode)
        for f, mode in (("etc/motd", 0o664), ("usr/bin/tool", 0o2755), ("usr/bin/su", 0o4755)):
            os.makedirs(os.path.dirname(os.path.join(root, f)), exist_ok=True)
            with open(os.path.join(root, f), "w") as fh:
                fh.write(f)
            os.chmod(os.path.join(root, f), mode)
        layout = self.path("out")
        self.mlpack("append", "--compression", "gzip", "--layer", root, "-o", f"oci:{layout}:t")
        with open(os.path.join(layout, "index.json")) as f:
            top = json.load(f)["manifests"][0]["digest"].split(":")[1]
        with open(os.path.join(layout, "blobs", "sha256", top)) as f:
            layer = json.load(f)["layers"][0]["digest"].split(":")[1]
        with tarfile.open(os.path.join(layout, "blobs", "sha256", layer), "r:gz") as t:
            modes = {m.name.rstrip("/"): stat.S_IMODE(m.mode) for m in t.getmembers()}
        self.assertEqual(modes["tmp"], 0o1777, modes)
        self.assertEqual(modes["srv/shared"], 0o2775, modes)
        self.assertEqual(modes["var/mail"], 0o2770, modes)
        self.assertEqual(modes["etc/motd"], 0o664, modes)
        self.assertEqual(modes["usr/bin/tool"], 0o2755, modes)
        self.assertEqual(modes["usr/bin/su"], 0o4755, modes)

    def test_source_date_epoch_changes_the_digest(self):
        root = self.path("t")
        os.makedirs(root)
        self.make_tree(root, True, 0o022, 5)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        a = self.mlpack("append", "--layer", root, "-o", f"oci:{self.path('a')}:t", env=env).stdout
        b = self.mlpack("append", "--layer", root, "-o", f"oci:{self.path('b')}:t").stdout
        self.assertNotEqual(a, b)
        doc = json.loads(self.mlpack("inspect", f"oci:{self.path('a')}:t", "--json").stdout)
        self.assertEqual(doc["created"], "2023-11-14T22:13:20Z")


class BadInput(TempTestCase):
    def test_socket_in_tree_is_refused(self):
        root = self.path("tree")
        os.makedirs(root)
        s = socket.socket(socket.AF_UNIX)
        s.bind(os.path.join(root, "agent.sock"))
        self.addCleanup(s.close)
        r = self.mlpack("append", "--layer", root, "-o", f"oci:{self.path('out')}:t", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("agent.sock", r.stderr)
        self.assertTrue(r.stderr.startswith("error: "))
        self.assertFalse(os.path.exists(self.path("out", "index.json")))

    def test_symlink_escaping_the_tree_is_refused(self):
        root = self.path("tree")
        os.makedirs(root)
        os.symlink("../../../etc/shadow", os.path.join(root, "escape"))
        r = self.mlpack("append", "--layer", f"{root}:/app", "-o", f"oci:{self.path('out')}:t", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("escape", r.stderr)

    def test_credentials_in_a_location_are_never_shown(self):
        secret = "hunter2x"
        tree = self.path("tree")
        os.makedirs(tree)
        for loc in (f"docker://me:{secret}@localhost:5000/team/app:v1", f"me:{secret}@registry.example/app",
                    f"https://{secret}@registry.example/app:v1"):
            for args in (["push", f"oci:{self.path('x')}:t", loc], ["append", "--base", loc, "--layer", tree,
                                                                   "-o", f"oci:{self.path('y')}:t"],
                         ["inspect", loc], ["inspect", "--json", loc]):
                r = self.mlpack(*args, check=False)
                self.assertEqual(r.returncode, 2, (args, r.stderr))
                self.assertNotIn(secret, r.stderr + r.stdout, args)
                self.assertIn("***@", r.stderr + r.stdout, args)

    def tampered_layout(self):
        """A layout whose config's first diff_id is not its layer's content (the manifest and the
        index are rewritten to match the new config, so only the diff_id is wrong)."""
        import hashlib
        tree = self.path("tree")
        os.makedirs(tree)
        with open(os.path.join(tree, "motd"), "w") as f:
            f.write("hello\n")
        layout = self.path("tampered")
        self.mlpack("append", "--layer", tree, "-o", f"oci:{layout}:t")
        blobs = os.path.join(layout, "blobs", "sha256")

        def put(data):
            digest = hashlib.sha256(data).hexdigest()
            with open(os.path.join(blobs, digest), "wb") as f:
                f.write(data)
            return "sha256:" + digest, len(data)

        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        with open(os.path.join(blobs, index["manifests"][0]["digest"].split(":")[1])) as f:
            manifest = json.load(f)
        with open(os.path.join(blobs, manifest["config"]["digest"].split(":")[1])) as f:
            config = json.load(f)
        config["rootfs"]["diff_ids"][0] = "sha256:" + hashlib.sha256(b"not the layer").hexdigest()
        manifest["config"]["digest"], manifest["config"]["size"] = put(json.dumps(config).encode())
        index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(json.dumps(manifest).encode())
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump(index, f)
        return layout, manifest["layers"][0]["digest"][:19]

    def test_layers_not_matching_the_config_are_refused(self):
        layout, layer = self.tampered_layout()
        tree = self.path("tree")
        for args, out in ((["append", "--base", f"oci:{layout}:t", "--layer", f"{tree}:/app"], "a"),
                          (["push", f"oci:{layout}:t"], "p")):
            dest = self.path(out)
            r = self.mlpack(*args, f"oci:{dest}:t", check=False) if args[0] == "push" else \
                self.mlpack(*args, "-o", f"oci:{dest}:t", check=False)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(f"layer 1 of 1 ({layer}", r.stderr)
            self.assertIn("diff_id", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(dest, "index.json")), args)
        # build --base reads the base's files, and checks its layers on the way.
        project = self.path("project")
        os.makedirs(project)
        with open(os.path.join(project, "apt.txt"), "w") as f:
            f.write("curl\n")
        r = run([MLPACK, "lock", "--base", f"oci:{layout}:t"], check=False, cwd=project,
                env=dict(os.environ, MLPACK_CACHE_DIR=self.path("cache")))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"layer 1 of 1 ({layer}", r.stderr)

    def test_reading_a_base_is_bounded_in_memory(self):
        """A 1 MB layer of 8,000 entries with 60 KB names (980 MB of paths once read) is refused at
        the file view's bound instead of being held: build --base reads a base's files this way."""
        import gzip
        import hashlib

        def header(name, size, kind):
            h = bytearray(512)
            h[0:len(name)] = name
            h[100:108] = b"0000644\0"
            h[108:124] = b"0000000\0" * 2
            h[124:136] = b"%011o\0" % size
            h[136:148] = b"00000000000\0"
            h[148:156] = b" " * 8
            h[156:157] = kind
            h[257:265] = b"ustar\x0000"
            h[148:156] = b"%06o\0 " % sum(h)
            return bytes(h)

        chunks = []
        for i in range(8000):
            body = b"path=d/" + b"x" * 60000 + b"%d\n" % i
            length = len(body) + 2
            while len(b"%d " % length) + len(body) != length:
                length = len(b"%d " % length) + len(body)
            record = b"%d " % length + body
            chunks += [header(b"pax", len(record), b"x"), record, b"\0" * (-len(record) % 512), header(b"f", 0, b"0")]
        tar = b"".join(chunks) + b"\0" * 1024
        layer = gzip.compress(tar, compresslevel=6, mtime=0)
        layout = self.path("base")
        blobs = os.path.join(layout, "blobs", "sha256")
        os.makedirs(blobs)

        def put(data):
            digest = hashlib.sha256(data).hexdigest()
            with open(os.path.join(blobs, digest), "wb") as f:
                f.write(data)
            return {"digest": "sha256:" + digest, "size": len(data)}

        config = put(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
            "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
        manifest = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
                                   "layers": [dict(put(layer), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]
                                   }).encode())
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [dict(manifest, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                              annotations={"org.opencontainers.image.ref.name": "t"})]}, f)
        self.assertLess(len(layer), 2 << 20)
        project = self.path("project")
        os.makedirs(project)
        with open(os.path.join(project, "apt.txt"), "w") as f:
            f.write("curl\n")
        # The peak memory of mlpack alone, measured in a fresh process that runs only it.
        probe = ("import resource, subprocess, sys, json\n"
                 "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
                 "print(json.dumps([r.returncode, r.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
        out = run([sys.executable, "-c", probe, MLPACK, "lock", "--base", f"oci:{layout}:t"], cwd=project,
                  env=dict(os.environ, MLPACK_CACHE_DIR=self.path("cache")))
        code, stderr, max_rss_kib = json.loads(out.stdout)
        self.assertEqual(code, 1, stderr)
        self.assertIn("layer 1 of 1", stderr)
        self.assertIn("more than mlpack reads of a base image", stderr)
        self.assertLess(max_rss_kib, 400 << 10, stderr)

    def test_unwritable_destination(self):
        root = self.path("tree")
        os.makedirs(root)
        open(os.path.join(root, "f"), "w").close()
        blocker = self.path("file-not-dir")
        open(blocker, "w").close()
        r = self.mlpack("append", "--layer", root, "-o", f"oci:{blocker}/layout:t", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(blocker, r.stderr)
        if os.geteuid() != 0:
            ro = self.path("ro")
            os.makedirs(ro)
            os.chmod(ro, 0o555)
            r = self.mlpack("append", "--layer", root, "-o", f"oci:{ro}:t", check=False)
            self.assertEqual(r.returncode, 1, r.stderr)

    def test_previous_index_survives_a_failed_write(self):
        need("skopeo")
        root = busybox_rootfs(self.path("rootfs"))
        layout = self.path("layout")
        d1 = self.mlpack("append", "--layer", root, "-o", f"oci:{layout}:keep").stdout.strip()
        before = open(os.path.join(layout, "index.json")).read()
        sock_tree = self.path("bad")
        os.makedirs(sock_tree)
        s = socket.socket(socket.AF_UNIX)
        s.bind(os.path.join(sock_tree, "s"))
        self.addCleanup(s.close)
        r = self.mlpack("append", "--layer", sock_tree, "-o", f"oci:{layout}:new", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(open(os.path.join(layout, "index.json")).read(), before)
        self.assertEqual(json.loads(run(["skopeo", "inspect", f"oci:{layout}:keep"]).stdout)["Digest"], d1)

    def test_malformed_references_exit_2(self):
        for bad in ["docker://UPPER/Case:tag", "localhost:5000/repo:bad tag", "oci:", "docker://host/repo@sha256:xyz"]:
            r = self.mlpack("inspect", bad, check=False)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
            self.assertTrue(r.stderr.startswith("error: "), r.stderr)
        r = self.mlpack("push", "oci:/nonexistent:t", "not a reference", check=False)
        self.assertEqual(r.returncode, 2)
        r = self.mlpack("append", "--layer", "x", check=False)  # -o missing
        self.assertEqual(r.returncode, 2)

    def test_json_error_document(self):
        r = self.mlpack("inspect", "docker://Bad/Ref", "--json", check=False)
        self.assertEqual(r.returncode, 2)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["error"]["kind"], "invalid_input")
        self.assertIn("Bad/Ref", doc["error"]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
