"""The `wordstats` command: word statistics of files (or stdin) as JSON."""

import argparse
import json
import sys

from . import stats


def main(argv=None):
    parser = argparse.ArgumentParser(prog="wordstats", description=__doc__)
    parser.add_argument("files", nargs="*", help="text files; stdin when none")
    parser.add_argument("--top", type=int, default=3, help="how many of the most common words")
    args = parser.parse_args(argv)
    if args.files:
        text = ""
        for name in args.files:
            with open(name, encoding="utf-8") as f:
                text += f.read()
    else:
        text = sys.stdin.read()
    print(json.dumps(stats(text, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
