"""The command line itself: global options before or after the subcommand, unknown flags, and
outputs refused before any work. (`mlpack build` with a real project: test_build.py.)"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import MLPACK, TempTestCase, busybox_rootfs, run  # noqa: E402


def tree(root):
    """Every path under `root`, relative; empty when it does not exist."""
    out = set()
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


class GlobalFlags(TempTestCase):
    def env(self):
        # The cache a run uses when no --cache-dir reaches it.
        return dict(os.environ, MLPACK_CACHE_DIR=self.path("default-cache"))

    def append(self, *args, check=True):
        root = busybox_rootfs(self.path("rootfs"))
        return run([MLPACK, "append", "--layer", root, *args], check=check, env=self.env())

    def test_global_options_after_the_subcommand(self):
        cache = self.path("flag-cache")
        layout = self.path("layout")
        r = self.append("-o", f"oci:{layout}:t", "--cache-dir", cache, "-q", "--color", "never",
                        "--insecure-registry", "registry.example:5000")
        self.assertEqual(r.stderr, "")  # -q reached the command: no "wrote ..." line
        digest = r.stdout.strip()
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
        self.assertTrue(os.listdir(os.path.join(cache, "blobs", "sha256")))
        self.assertFalse(os.path.exists(self.path("default-cache")))
        r = run([MLPACK, "inspect", f"oci:{layout}:t", "--json", "--cache-dir", cache, "-v"], env=self.env())
        self.assertEqual(json.loads(r.stdout)["digest"], digest)

    def test_global_options_before_the_subcommand_still_work(self):
        cache = self.path("flag-cache")
        root = busybox_rootfs(self.path("rootfs"))
        r = run([MLPACK, "--cache-dir", cache, "-q", "append", "--layer", root, "-o", f"oci:{self.path('l')}:t"],
                env=self.env())
        self.assertEqual(r.stderr, "")
        self.assertTrue(os.listdir(os.path.join(cache, "blobs", "sha256")))
        self.assertFalse(os.path.exists(self.path("default-cache")))

    def test_a_global_option_keeps_its_checks_after_the_subcommand(self):
        r = self.append("-o", f"oci:{self.path('l')}:t", "--color", "sometimes", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"^error: .*color")

    def test_unknown_flags_and_extra_arguments_are_exit_2(self):
        for args in (["build", ".", "--no-such-flag"], ["--no-such-flag", "build", "."],
                     ["append", "--layer", ".", "-o", "oci:x", "--bogus"], ["push", "oci:a", "oci:b", "oci:c"],
                     ["version", "--cache"]):
            r = run([MLPACK, *args], check=False, env=self.env())
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertRegex(r.stderr, r"^error: ", args)
            self.assertIn("hint: see `mlpack --help`", r.stderr)
        r = run([MLPACK, "build", ".", "--json", "--no-such-flag"], check=False, env=self.env())
        self.assertEqual(r.returncode, 2)
        self.assertEqual(json.loads(r.stdout)["error"]["kind"], "invalid_input")
        self.assertFalse(os.path.exists(self.path("default-cache")))


class OutputsCheckedFirst(TempTestCase):
    """`-o` that cannot be used is refused (exit 2) before any work: nothing is written."""

    def test_append_refuses_a_folder_that_is_not_a_layout_before_writing_blobs(self):
        root = busybox_rootfs(self.path("rootfs"))
        project = self.path("project")
        os.makedirs(project)
        with open(os.path.join(project, "train.py"), "w") as f:
            f.write("print('not an image')\n")
        cache = self.path("cache")
        for dest in (f"oci:{project}:t", f"oci-archive:{project}", "dir:out", "oci-archiv:out.tar"):
            r = run([MLPACK, "append", "--layer", root, "-o", f"oci:{self.path('ok')}:t", "-o", dest,
                     "--cache-dir", cache], check=False)
            self.assertEqual(r.returncode, 2, (dest, r.stderr))
            self.assertRegex(r.stderr, r"^error: ")
            self.assertEqual(tree(project), {"train.py"})
            self.assertFalse(os.path.exists(cache), dest)
            self.assertFalse(os.path.exists(self.path("ok")), dest)

    def test_push_refuses_a_destination_folder_that_is_not_a_layout(self):
        root = busybox_rootfs(self.path("rootfs"))
        src = self.path("src")
        self.mlpack("append", "--layer", root, "-o", f"oci:{src}:t")
        notes = self.path("notes")
        os.makedirs(notes)
        with open(os.path.join(notes, "a.txt"), "w") as f:
            f.write("mine\n")
        r = self.mlpack("push", f"oci:{src}:t", f"oci:{notes}:t", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("not an OCI layout", r.stderr)
        self.assertEqual(tree(notes), {"a.txt"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
