#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 80 lines, signature to closing
brace) in the given folders, test modules excluded. Exit status 1 when there is one.

    python3 scripts/long_functions.py [--max N] DIR...
"""
import pathlib
import re
import sys

args = sys.argv[1:]
limit = 80
if args[:1] == ["--max"]:
    limit, args = int(args[1]), args[2:]
FN = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?(const\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+([a-zA-Z0-9_]+)")
found = []
for folder in args or ["src", "bin", "python/src"]:
    for path in sorted(pathlib.Path(folder).rglob("*.rs")):
        lines = path.read_text().splitlines()
        test_at = next((i for i, l in enumerate(lines) if l.strip() == "#[cfg(test)]"), len(lines))
        i = 0
        while i < test_at:
            m = FN.match(lines[i])
            if not m:
                i += 1
                continue
            depth, started, j = 0, False, i
            while j < len(lines):
                code = re.sub(r"b?'(\\.|[^'\\])'", "''", lines[j])  # char literals ('{')
                code = re.sub(r'"(\\.|[^"\\])*"', '""', code.split("//")[0])
                depth += code.count("{") - code.count("}")
                started = started or "{" in code
                if started and depth <= 0:
                    break
                if not started and code.rstrip().endswith(";"):
                    break
                j += 1
            if started and j - i + 1 > limit:
                found.append(f"{path}:{i + 1}: fn {m.group(6)} is {j - i + 1} lines")
            i = j + 1 if started else i + 1
for f in found:
    print(f)
print(f"{len(found)} functions over {limit} lines")
sys.exit(1 if found else 0)
