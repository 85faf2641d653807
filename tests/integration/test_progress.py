"""Download progress of `mlpack build`: on a terminal a bar with bytes, rate and files rewritten in
place; in plain mode (CI) one line per finished download with its size and rate; in both a total
for the burst. The downloads are real: .debs from the signed apt archive that test_build serves on
loopback, into a cold cache each time (a warm cache downloads nothing, and says nothing)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
# The archive, its server and the project helpers are test_build's; importing its module fixtures
# makes unittest run them for this module too.
from test_build import ANSI, ARCHIVE, BuildCase, run_pty, setUpModule, tearDownModule  # noqa: E402,F401
from harness import MLPACK  # noqa: E402

SIZE = r"\d+(\.\d)? (B|kB|MB|GB)"
FETCH_LINE = re.compile(rf"^   fetch: (\S+\.deb) \({SIZE}, {SIZE}/s\)$", re.M)
TOTAL_LINE = re.compile(rf"^   fetch: (\d+) files? downloaded, ({SIZE}) in \d+\.\ds \({SIZE}/s\)$", re.M)


class DownloadProgress(BuildCase):
    def test_plain_mode_names_each_download_with_size_and_rate_then_a_total(self):
        project = self.project(name="plain-fetch")
        r = self.build(project, "--progress", "plain", json_out=False, cache=self.path("cold"))
        names = FETCH_LINE.findall(r.stderr)
        self.assertTrue(names, r.stderr)
        files = [n[0] for n in names]
        # Every package of the lock was downloaded once, and each line names its pool file.
        self.assertEqual(len(files), len(set(files)), files)
        self.assertIn("libgomp1", " ".join(files))
        totals = TOTAL_LINE.findall(r.stderr)
        self.assertEqual(len(totals), 1, r.stderr)
        self.assertEqual(int(totals[0][0]), len(files))
        self.assertNotIn("\r", r.stderr)
        self.assertIsNone(ANSI.search(r.stderr))
        # The total comes before the layers built from those downloads.
        self.assertLess(TOTAL_LINE.search(r.stderr).start(), r.stderr.index("   layer: "))

        # Warm: nothing is downloaded, so nothing is said about downloads.
        again = self.build(project, "--progress", "plain", json_out=False, cache=self.path("cold"))
        self.assertIsNone(FETCH_LINE.search(again.stderr), again.stderr)
        self.assertIsNone(TOTAL_LINE.search(again.stderr), again.stderr)

    def test_terminal_shows_a_download_bar_rewritten_in_place(self):
        project = self.project(name="tty-fetch")
        rc, _out, tty = run_pty([MLPACK, "build", project, "-o", f"oci:{self.path('out')}:t"],
                                self.env(self.path("cold-tty"), NO_COLOR="1"))
        self.assertEqual(rc, 0, tty)
        bars = re.findall(r"\r\x1b\[K   fetch: \[[=> ]{16}\] " + SIZE + " of " + SIZE + ", " + SIZE +
                          r"/s, \d+/\d+ files", tty)
        self.assertTrue(bars, repr(tty[:3000]))
        # The last bar drawn is full: every byte that was expected arrived.
        finals = re.findall(r"\r\x1b\[K   fetch: \[(={16})\] (" + SIZE + ") of (" + SIZE + r"), .*?, (\d+)/(\d+) files",
                            tty)
        self.assertTrue(finals, repr(tty[:3000]))
        last = finals[-1]
        self.assertEqual(last[1], last[4])      # bytes: got == expected
        self.assertEqual(last[-2], last[-1])     # files: done == all
        # The total is a line of its own, once the bar is cleared.
        self.assertRegex(tty.replace("\r\x1b[K", "\n"), TOTAL_LINE)
        # Writing the output is a bar of blobs: every layer and the config, the last one full.
        outputs = re.findall(r"\r\x1b\[K  output: \[([=> ]{16})\] (\d+)/(\d+) blobs, " + SIZE + r" written \(" + SIZE +
                             r"/s\), \d+ there", tty)
        self.assertTrue(outputs, repr(tty[-2000:]))
        layers = len(re.findall(r"^   layer: ", tty, re.M))
        self.assertEqual(outputs[-1][0], "=" * 16)
        self.assertEqual((int(outputs[-1][1]), int(outputs[-1][2])), (layers + 1, layers + 1))
        # No line is wider than the terminal (the pty reports 0 columns, so 80 is assumed).
        for status in re.findall(r"\r\x1b\[K([^\r\n]*)", tty):
            self.assertLessEqual(len(status), 79, status)

    def test_progress_none_and_json_say_nothing_about_downloads(self):
        project = self.project(name="quiet-fetch")
        r = self.build(project, "--progress", "none", json_out=False, cache=self.path("cold-none"))
        self.assertNotIn("fetch:", r.stderr)
        r = self.build(self.project(name="json-fetch"), cache=self.path("cold-json"))
        self.assertNotIn("fetch:", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
