"""Pushes to and pulls from a real docker-registry: anonymous over HTTP, and htpasswd Basic
auth over TLS with a self-signed certificate. skopeo, umoci and runc check the result."""

import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (RegistryTestCase, busybox_rootfs, docker_config, need, run,  # noqa: E402
                     runc_run, umoci_unpack)


class AnonymousRegistry(RegistryTestCase):
    registry_options = {"request_log": True}

    def build(self, tag_dest, *extra):
        root = busybox_rootfs(self.path("rootfs"))
        return self.mlpack("append", "--layer", root, "--entrypoint", "/bin/sh", *extra,
                           "-o", tag_dest).stdout.strip()

    def test_push_then_skopeo_umoci_runc(self):
        need("skopeo", "umoci")
        host = self.registry.host
        digest = self.build(f"docker://{host}/demo/busybox:v1", "--env", "WHERE=registry")
        info = json.loads(run(["skopeo", "inspect", "--tls-verify=false", f"docker://{host}/demo/busybox:v1"]).stdout)
        self.assertEqual(info["Digest"], digest)
        run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{host}/demo/busybox:v1",
             f"oci:{self.path('pulled')}:v1"])
        bundle = self.path("bundle")
        umoci_unpack(f"{self.path('pulled')}:v1", bundle)
        self.assertIn("registry", runc_run(bundle, ["/bin/sh", "-c", "echo $WHERE"]))

    def test_repush_sends_nothing_and_mount_across_repositories(self):
        host = self.registry.host
        layout = self.path("layout")
        digest = self.build(f"oci:{layout}:v1")
        first = json.loads(self.mlpack("push", f"oci:{layout}:v1", f"{host}/a/img:v1", "--json").stdout)
        self.assertEqual(first["digest"], digest)
        self.assertEqual(first["blobs_copied"], 2)
        again = json.loads(self.mlpack("push", f"oci:{layout}:v1", f"{host}/a/img:v1", "--json").stdout)
        self.assertEqual(again["blobs_copied"], 0)
        self.assertEqual(again["blobs_skipped"], 2)
        # Registry to registry on the same host: blobs are mounted, not uploaded. The registry's own
        # log says so, not only mlpack's count: for b/img it answered one mount (201) per blob and
        # took no blob data (no PATCH, no PUT of an upload).
        seen = len(self.registry.requests())
        moved = json.loads(self.mlpack("push", f"docker://{host}/a/img:v1", f"docker://{host}/b/img:v2",
                                       "--json").stdout)
        self.assertEqual(moved["digest"], digest)
        self.assertEqual(moved["bytes_copied"], 0, moved)
        uploads = [r for r in self.registry.requests()[seen:] if r["uri"].startswith("/v2/b/img/blobs/uploads/")]
        query = [urllib.parse.parse_qs(urllib.parse.urlsplit(r["uri"]).query) for r in uploads]
        mounts = [r for r, q in zip(uploads, query) if r["method"] == "POST"
                  and q.get("mount", [""])[0].startswith("sha256:") and q.get("from") == ["a/img"]]
        self.assertEqual(len(mounts), 2, uploads)
        self.assertTrue(all(r["status"] == 201 for r in mounts), uploads)
        self.assertEqual([r for r in uploads if r["method"] in ("PATCH", "PUT")], [], uploads)
        status, _ = self.registry.api("GET", "/v2/b/img/manifests/v2",
                                      headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        self.assertEqual(status, 200)

    def test_pull_into_layout_and_use_as_base(self):
        need("skopeo")
        host = self.registry.host
        digest = self.build(f"{host}/base/img:v1")
        self.assertEqual(self.mlpack("push", f"{host}/base/img:v1", f"oci:{self.path('pulled')}:v1").stdout.strip(),
                         digest)
        self.assertEqual(json.loads(run(["skopeo", "inspect", f"oci:{self.path('pulled')}:v1"]).stdout)["Digest"],
                         digest)
        # The pulled blobs land in the content-addressed cache.
        cached = os.listdir(os.path.join(self.cache, "blobs", "sha256"))
        self.assertTrue(cached)
        app = self.path("app")
        os.makedirs(app)
        open(os.path.join(app, "x"), "w").write("x")
        self.mlpack("append", "--base", f"{host}/base/img:v1", "--layer", f"{app}:/app",
                    "-o", f"{host}/derived/img:v1")
        doc = json.loads(self.mlpack("inspect", f"{host}/derived/img:v1", "--json").stdout)
        self.assertEqual(len(doc["layers"]), 2)
        self.assertEqual(doc["config"]["Entrypoint"], ["/bin/sh"])

    def test_inspect_missing_tag_fails_with_exit_1(self):
        r = self.mlpack("inspect", f"{self.registry.host}/nothing/here:v1", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("nothing/here", r.stderr)


class AuthenticatedTlsRegistry(RegistryTestCase):
    user, password = "mlpack-user", "s3cret-Passw0rd"
    registry_options = {"tls": True, "user": user, "password": password}

    def env(self, password):
        cfg = docker_config(self.tmp, self.registry.host, self.user, password)
        return dict(os.environ, DOCKER_CONFIG=cfg, SSL_CERT_FILE=self.registry.ca, MLPACK_CACHE_DIR=self.cache)

    def test_push_with_basic_auth_over_tls(self):
        need("skopeo")
        host = self.registry.host
        root = busybox_rootfs(self.path("rootfs"))
        digest = self.mlpack("append", "--layer", root, "-o", f"{host}/secure/img:v1",
                             env=self.env(self.password)).stdout.strip()
        info = json.loads(run(["skopeo", "inspect", "--cert-dir", self.registry.cert_dir,
                               "--creds", f"{self.user}:{self.password}", f"docker://{host}/secure/img:v1"]).stdout)
        self.assertEqual(info["Digest"], digest)
        doc = json.loads(self.mlpack("inspect", f"{host}/secure/img:v1", "--json", env=self.env(self.password)).stdout)
        self.assertEqual(doc["digest"], digest)

    def test_wrong_credentials(self):
        host = self.registry.host
        root = busybox_rootfs(self.path("rootfs"))
        r = self.mlpack("append", "--layer", root, "-o", f"{host}/secure/img:v2",
                        env=self.env("wrong-password-value"), check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(host, r.stderr)
        self.assertNotIn("wrong-password-value", r.stdout + r.stderr)
        status, _ = self.registry.api("GET", "/v2/secure/img/manifests/v2", auth=(self.user, self.password))
        self.assertEqual(status, 404)

    def test_no_credentials(self):
        host = self.registry.host
        env = dict(os.environ, DOCKER_CONFIG=self.path("empty"), SSL_CERT_FILE=self.registry.ca)
        r = self.mlpack("inspect", f"{host}/secure/img:v1", env=env, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(host, r.stderr)

    def test_untrusted_certificate_is_refused(self):
        host = self.registry.host
        env = dict(os.environ, DOCKER_CONFIG=docker_config(self.tmp, host, self.user, self.password))
        env.pop("SSL_CERT_FILE", None)
        r = self.mlpack("inspect", f"{host}/secure/img:v1", env=env, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
