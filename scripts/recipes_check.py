"""Runs every loading recipe of docs/PYTHON.md ("Loading dpa's files exactly"): each
code block after a `<!-- recipe: NAME -->` line, with `jsonl_path`, `parquet_path` and
`cache_dir` set, must leave `ids` and `rotation` equal, every bit, to the JSON Lines
file's own records (read here with Python's json module, which is exact).

Usage: python scripts/recipes_check.py DOCS.md FILE.jsonl FILE.parquet CACHE_DIR
"""
import json
import re
import sys

import numpy as np


def recipes(text):
    found = re.findall(r"<!-- recipe: (\w+) -->\n```python\n(.*?)```", text, re.S)
    if not found:
        raise SystemExit("no recipes found")
    return found


def main(docs, jsonl, parquet, cache):
    rows = [json.loads(line) for line in open(jsonl)]
    want_ids = np.array([r["sample_id"] for r in rows], dtype=np.uint64)
    want_rot = np.array([r["rotation"] for r in rows], dtype=np.float64)
    assert (want_ids >= 2**63).any() and (want_ids < 2**63).any(), "ids on both sides of 2**63"
    names = []
    for name, code in recipes(open(docs).read()):
        scope = {"jsonl_path": jsonl, "parquet_path": parquet, "cache_dir": cache}
        exec(compile(code, f"recipe {name}", "exec"), scope)
        ids, rot = np.asarray(scope["ids"]), np.asarray(scope["rotation"])
        assert ids.dtype == np.uint64, f"{name}: ids are {ids.dtype}"
        assert np.array_equal(ids, want_ids), f"{name}: ids differ"
        assert rot.dtype == np.float64 and np.array_equal(rot.view("<u8"), want_rot.view("<u8")), f"{name}: floats differ"
        names.append(name)
    print("recipes exact:", ", ".join(names))


if __name__ == "__main__":
    main(*sys.argv[1:])
