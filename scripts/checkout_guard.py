"""Proves the test suite leaves a user's files in the checkout alone.

``snapshot FILE`` records every file in the checkout that git does not track
(ignored ones included, target/ excluded): its path, size and SHA-256.
``check FILE`` compares the checkout with that record and names every file the
suite created, changed or removed, exiting 1 if there is one. A user who ran the
README's first command keeps augmentations.jsonl, byte for byte, whatever the
test script does.

Usage: python scripts/checkout_guard.py snapshot|check FILE
"""

import hashlib
import json
import subprocess
import sys


def untracked_files():
    """Paths git does not track, ignored ones included, outside target/."""
    out = subprocess.run(
        ["git", "ls-files", "--others", "-z"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(p for p in out.split("\0") if p and not p.startswith("target/"))


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint():
    return {p: digest(p) for p in untracked_files()}


def main(argv):
    if len(argv) != 3 or argv[1] not in ("snapshot", "check"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    if argv[1] == "snapshot":
        with open(argv[2], "w") as f:
            json.dump(fingerprint(), f)
        return 0
    with open(argv[2]) as f:
        before = json.load(f)
    after = fingerprint()
    changes = [f"created: {p}" for p in after if p not in before]
    changes += [f"removed: {p}" for p in before if p not in after]
    changes += [f"changed: {p}" for p in before if p in after and before[p] != after[p]]
    for line in changes:
        print(f"the test suite touched a file it did not make its own: {line}", file=sys.stderr)
    if not changes:
        print(f"checkout untouched: {len(after)} untracked files, each byte for byte as before")
    return 1 if changes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
