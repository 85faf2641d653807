"""Project files stay in the project (issue 15): whatever a project says or links to, mlpack reads
only regular files inside the project's real path, of a bounded size, and never echoes what lies
outside it (environment variables, credentials) on stdout, stderr or in --json."""

import json
import os
import subprocess
import unittest

from harness import MLPACK, TempTestCase, write

SECRET = "mlpack-it-secret-4f1c9a"


class ConfinementTest(TempTestCase):
    def detect(self, project, timeout=30):
        env = dict(os.environ, MLPACK_TEST_SECRET=SECRET)
        results = []
        for extra in ([], ["--json"]):
            results.append(subprocess.run([MLPACK, "detect", project, *extra], capture_output=True, text=True,
                                          env=env, timeout=timeout))
        return results

    def assert_refused(self, project, *names):
        for r in self.detect(project):
            out = r.stdout + r.stderr
            self.assertEqual(r.returncode, 2, out)
            self.assertNotIn(SECRET, out)
            for name in names:
                self.assertIn(name, out)
        # --json carries the error as a document, naming the reference.
        doc = json.loads(self.detect(project)[1].stdout)
        self.assertEqual(doc["error"]["kind"], "invalid_input")
        return doc["error"]["message"]

    def test_include_of_proc_self_environ_is_refused_unread(self):
        project = self.path("environ")
        write(os.path.join(project, "requirements.txt"), "numpy\n-r /proc/self/environ\n")
        message = self.assert_refused(project, "/proc/self/environ")
        self.assertIn("requirements.txt:2", message)
        self.assertIn("outside the project", message)

    def test_include_climbing_out_of_the_project_is_refused(self):
        write(self.path("outside.txt"), f"TOKEN={SECRET}\n")
        project = self.path("climb")
        write(os.path.join(project, "requirements.txt"), "-r ../outside.txt\n")
        self.assert_refused(project, "../outside.txt")

    def test_constraints_file_linked_out_of_the_project_is_refused(self):
        write(self.path("outside.txt"), f"TOKEN={SECRET}\n")
        project = self.path("constraint-link")
        write(os.path.join(project, "requirements.txt"), "-c constraints.txt\nsix\n")
        os.symlink(self.path("outside.txt"), os.path.join(project, "constraints.txt"))
        self.assert_refused(project, "constraints.txt")

    def test_requirements_txt_linked_out_of_the_project_is_refused(self):
        write(self.path("secret", "config.json"), '{"auths": {"r.example": {"auth": "%s"}}}\n' % SECRET)
        project = self.path("link")
        os.makedirs(project)
        os.symlink(self.path("secret", "config.json"), os.path.join(project, "requirements.txt"))
        self.assert_refused(project, "requirements.txt")

    def test_other_project_files_linked_outside_are_refused(self):
        write(self.path("outside.txt"), f"{SECRET} {SECRET}\n")
        for name in ("runtime.txt", ".python-version", "apt.txt", "mlpack.yaml", "Procfile", "pyproject.toml",
                     "uv.lock", "environment.yml", "conda-lock.yml", "conda-linux-64.lock"):
            with self.subTest(name=name):
                project = self.path("link-" + name.strip("."))
                os.makedirs(project)
                if name != "pyproject.toml":
                    write(os.path.join(project, "requirements.txt"), "six\n")
                os.symlink(self.path("outside.txt"), os.path.join(project, name))
                for r in self.detect(project):
                    self.assertNotIn(SECRET, r.stdout + r.stderr)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertIn(name, r.stdout + r.stderr)

    def test_binder_folder_linked_outside_is_refused(self):
        write(self.path("elsewhere", "requirements.txt"), f"{SECRET}==1\n")
        project = self.path("binder-link")
        os.makedirs(project)
        os.symlink(self.path("elsewhere"), os.path.join(project, "binder"))
        self.assert_refused(project, "requirements.txt")

    def test_fifo_named_mlpack_yaml_does_not_hang(self):
        project = self.path("fifo")
        os.makedirs(project)
        os.mkfifo(os.path.join(project, "mlpack.yaml"))
        # Before the fix this waited for a writer forever: the timeout fails the test.
        message = self.assert_refused(project, "mlpack.yaml")
        self.assertIn("FIFO", message)

    def test_fifo_included_by_requirements_does_not_hang(self):
        project = self.path("fifo-include")
        write(os.path.join(project, "requirements.txt"), "-r more.txt\n")
        os.mkfifo(os.path.join(project, "more.txt"))
        self.assert_refused(project, "more.txt")

    def test_other_fifos_are_refused_not_skipped(self):
        # (The ignore files are read by `build`, for the /app layer: unit-tested in
        # tests/unit/detectors/project_file_test.cpp.)
        for name in ("requirements.txt", "pyproject.toml", "uv.lock", "runtime.txt", "apt.txt", "Procfile"):
            with self.subTest(name=name):
                project = self.path("fifo-" + name.strip("."))
                os.makedirs(project)
                if name != "requirements.txt":
                    write(os.path.join(project, "requirements.txt"), "six\n")
                os.mkfifo(os.path.join(project, name))
                message = self.assert_refused(project, name)
                self.assertIn("FIFO", message)

    def test_over_large_project_files_are_invalid_input(self):
        for name, body in (("requirements.txt", "#" * (17 << 20)), ("runtime.txt", "#" * (1 << 17)),
                           ("mlpack.yaml", "#" * (2 << 20))):
            with self.subTest(name=name):
                project = self.path("large-" + name)
                write(os.path.join(project, name), body + "\n")
                message = self.assert_refused(project, name)
                self.assertIn("MiB" if name != "runtime.txt" else "KiB", message)

    def test_quoted_lines_are_escaped_and_cut(self):
        project = self.path("control")
        line = "bad\x1b[31mred\x07 " + "x" * 5000
        write(os.path.join(project, "requirements.txt"), line + "\n")
        for r in self.detect(project):
            out = r.stdout + r.stderr
            self.assertEqual(r.returncode, 2, out)
            self.assertNotIn("\x1b", out)
            self.assertNotIn("\x07", out)
            self.assertIn("\\x1b[31m", out.replace("\\\\", "\\"))
            self.assertLess(len(out), 2000, out)

    def test_files_inside_the_project_through_links_are_read(self):
        project = self.path("inside")
        write(os.path.join(project, "reqs", "base.txt"), "six==1.16.0\n")
        os.symlink("reqs/base.txt", os.path.join(project, "requirements.txt"))
        r = subprocess.run([MLPACK, "detect", project, "--json"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [q["name"] for q in json.loads(r.stdout)["requirements"]]
        self.assertEqual(names, ["six"])


if __name__ == "__main__":
    unittest.main()
