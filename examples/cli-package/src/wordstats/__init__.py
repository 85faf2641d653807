"""Word statistics for text."""

import collections
import re

__all__ = ["stats"]

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def stats(text, top=3):
    """{"lines", "words", "top": [[word, count], ...]} for `text`; ties broken alphabetically."""
    words = [w.lower() for w in WORD.findall(text)]
    counts = collections.Counter(words)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {"lines": len(text.splitlines()), "words": len(words), "top": [list(kv) for kv in ranked]}
