"""The skip policy itself (tests/skip_policy.py, installed by harness.py): under CI=true a skip that
tests/skips.txt does not name fails the suite; outside CI it stays a skip with its message; the
conformance runners' exit 77 turns into 1 the same way; every entry of the list has its reason; and
every integration suite imports the harness, so none escapes the policy."""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402,F401  (installs the policy in this process too)
import skip_policy  # noqa: E402

TOY = '''
import sys, unittest
sys.path.insert(0, {here!r})
import harness  # noqa: F401


class Toy(unittest.TestCase):
    def test_runs(self):
        pass

    def test_skips(self):
        self.skipTest("needs a frobnicator that is not here")


class ToyClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise unittest.SkipTest("the whole class needs a frobnicator")

    def test_a(self):
        pass


if __name__ == "__main__":
    unittest.main()
'''


class SkipPolicy(unittest.TestCase):
    def run_toy(self, ci):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "toy_suite.py")
            with open(path, "w") as f:
                f.write(TOY.format(here=HERE))
            env = {k: v for k, v in os.environ.items() if k != "CI"}
            if ci is not None:
                env["CI"] = ci
            return subprocess.run([sys.executable, path], capture_output=True, text=True, env=env, timeout=60)

    def test_outside_ci_a_skip_is_a_skip(self):
        r = self.run_toy(None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("skipped=2", r.stderr)
        self.assertNotIn("unexpected skip", r.stderr)

    def test_under_ci_an_unlisted_skip_fails(self):
        r = self.run_toy("true")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("failures=2", r.stderr)
        self.assertIn("unexpected skip under CI=true: __main__.Toy.test_skips: needs a frobnicator that is not here",
                      r.stderr)
        self.assertIn("unexpected skip under CI=true: setUpClass (__main__.ToyClass): the whole class needs",
                      r.stderr)
        self.assertIn("add it to tests/skips.txt with a reason", r.stderr)

    def test_ci_false_is_not_ci(self):
        self.assertEqual(self.run_toy("false").returncode, 0)

    def test_a_listed_skip_is_allowed_and_matching_is_a_glob_over_id_and_reason(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# comment\n\n*.Toy.test_skips: needs a frobnicator* | the frobnicator is optional\n")
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(skip_policy.allowed("__main__.Toy.test_skips", "needs a frobnicator that is not here",
                                             f.name), ("*.Toy.test_skips: needs a frobnicator*",
                                                       "the frobnicator is optional"))
        self.assertIsNone(skip_policy.allowed("__main__.Toy.test_other", "needs a frobnicator", f.name))
        self.assertIsNone(skip_policy.allowed("__main__.Toy.test_skips", "something else", f.name))

    def test_an_entry_without_a_reason_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("*: anything\n")
        self.addCleanup(os.unlink, f.name)
        with self.assertRaises(ValueError):
            skip_policy.allowed("x", "y", f.name)

    def test_the_list_parses_and_every_entry_has_a_reason(self):
        entries = skip_policy.allowed_skips()
        for pattern, why in entries:
            self.assertGreater(len(why), 20, pattern)
            self.assertNotEqual(pattern.strip("*: "), "", "an entry must not allow every skip")

    def test_runner_exit_77_only_outside_ci(self):
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        code = (f"import sys; sys.path.insert(0, {os.path.dirname(HERE)!r}); import skip_policy; "
                "sys.exit(skip_policy.skip_exit('conformance.toy', 'no corpus here'))")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 77, r.stderr)
        self.assertIn("SKIP: no corpus here", r.stdout)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(env, CI="true"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("unexpected skip under CI=true: conformance.toy: no corpus here", r.stderr)

    def test_every_suite_and_runner_is_under_the_policy(self):
        for suite in glob.glob(os.path.join(HERE, "test_*.py")):
            with open(suite) as f:
                text = f.read()
            self.assertRegex(text, r"(?m)^(from harness import|import harness)", suite)
        for runner in glob.glob(os.path.join(HERE, "..", "conformance", "*", "run.py")):
            with open(runner) as f:
                text = f.read()
            self.assertIn("skip_policy.skip_exit(", text, runner)
            self.assertNotRegex(text, r"return 77\b", runner)


if __name__ == "__main__":
    unittest.main(verbosity=2)
