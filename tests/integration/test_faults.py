"""Faults between mlpack and a real registry, injected by a proxy in front of it."""

import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import FaultProxy, RegistryTestCase, busybox_rootfs  # noqa: E402


class RegistryFaults(RegistryTestCase):
    def layout(self):
        root = busybox_rootfs(self.path("rootfs"))
        layout = self.path("layout")
        digest = self.mlpack("append", "--layer", root, "-o", f"oci:{layout}:v1").stdout.strip()
        return layout, digest

    def proxy(self, rules):
        p = FaultProxy(self.registry.port, rules)
        self.addCleanup(p.stop)
        return p

    def tag_points_at_complete_image(self, repo, tag):
        """True if the tag exists and every blob it references exists; None if no tag."""
        status, body = self.registry.api("GET", f"/v2/{repo}/manifests/{tag}",
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        if status == 404:
            return None
        manifest = json.loads(body)
        for d in [manifest["config"], *manifest["layers"]]:
            s, _ = self.registry.api("HEAD", f"/v2/{repo}/blobs/{d['digest']}")
            if s != 200:
                return False
        return True

    def test_500_twice_then_accepted(self):
        layout, digest = self.layout()
        p = self.proxy([{"method": "PUT", "path_contains": "/manifests/", "action": "status", "status": 500,
                         "times": 2},
                        {"method": "POST", "path_contains": "/blobs/uploads/", "action": "status", "status": 503,
                         "times": 2, "headers": {"Retry-After": "0"}}])
        r = self.mlpack("push", f"oci:{layout}:v1", f"{p.host}/faults/retry:v1")
        self.assertEqual(r.stdout.strip(), digest)
        injected = [e for e in p.log if e[2] in (500, 503)]
        self.assertEqual(len(injected), 4, p.log)
        self.assertTrue(self.tag_points_at_complete_image("faults/retry", "v1"))

    def test_ping_retried_after_503_and_a_dropped_connection(self):
        layout, digest = self.layout()
        p = self.proxy([{"method": "GET", "path_contains": "/v2/", "action": "status", "status": 503, "times": 1,
                         "headers": {"Retry-After": "0"}},
                        {"method": "GET", "path_contains": "/v2/", "action": "drop", "times": 1}])
        r = self.mlpack("push", f"oci:{layout}:v1", f"{p.host}/faults/ping:v1", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), digest)
        pings = [e for e in p.log if e[0] == "GET" and e[1] == "/v2/"]
        self.assertEqual([e[2] for e in pings[:3]], [503, "dropped", 200], p.log)
        self.assertTrue(self.tag_points_at_complete_image("faults/ping", "v1"))

    def test_dropped_connection_mid_upload(self):
        """A connection dropped while a blob is uploaded is retried like any other transient fault:
        the push succeeds, and the registry holds every blob and the tag."""
        layout, digest = self.layout()
        p = self.proxy([{"method": "PUT", "path_contains": "/blobs/uploads/", "action": "drop", "times": 1},
                        {"method": "PATCH", "path_contains": "/blobs/uploads/", "action": "drop", "times": 1}])
        r = self.mlpack("push", f"oci:{layout}:v1", f"{p.host}/faults/drop:v1", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), digest)
        dropped = [i for i, e in enumerate(p.log) if e[2] == "dropped"]
        self.assertTrue(dropped, p.log)
        # Each blob ends in one accepted upload, and one came after the drop: the retry.
        with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1])) as f:
            manifest = json.load(f)
        blobs = {d["digest"] for d in [manifest["config"], *manifest["layers"]]}
        stored = [(i, urllib.parse.parse_qs(urllib.parse.urlsplit(e[1]).query).get("digest", [""])[0])
                  for i, e in enumerate(p.log) if e[0] == "PUT" and "/blobs/uploads/" in e[1] and e[2] == 201]
        self.assertEqual(sorted(d for _, d in stored), sorted(blobs), p.log)
        self.assertTrue(any(i > dropped[0] for i, _ in stored), p.log)
        manifest_puts = [i for i, e in enumerate(p.log) if e[0] == "PUT" and "/manifests/" in e[1]]
        self.assertEqual(len(manifest_puts), 1, p.log)
        self.assertGreater(manifest_puts[0], max(i for i, _ in stored), p.log)
        self.assertIs(self.tag_points_at_complete_image("faults/drop", "v1"), True)

    def test_registry_that_always_fails_gives_up_without_tagging(self):
        layout, _ = self.layout()
        p = self.proxy([{"method": "PUT", "path_contains": "/blobs/uploads/", "action": "status", "status": 500,
                         "times": 1000}])
        r = self.mlpack("push", f"oci:{layout}:v1", f"{p.host}/faults/never:v1", check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("500", r.stderr)
        self.assertIn("sha256:", r.stderr)
        self.assertIsNone(self.tag_points_at_complete_image("faults/never", "v1"))
        self.assertFalse([e for e in p.log if "/manifests/" in e[1] and e[0] == "PUT"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
