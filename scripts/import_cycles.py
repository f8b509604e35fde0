#!/usr/bin/env python3
"""Lists import circles among the library's files (src/): file A uses file B (through
`crate::...`, `super::...` or `self::...` paths) and B uses A, directly or through
others. A module's `mod.rs` may declare and re-export its children; those declarations
(`mod x;`, `pub use x::...`) do not count as uses. Exit status 1 when there is a circle.

    python3 scripts/import_cycles.py [SRC_DIR]
"""
import pathlib
import re
import sys

SRC = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")


def module_of(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


FILES = {module_of(p): p for p in SRC.rglob("*.rs")}


def resolve(parts):
    """The file holding the longest prefix of a module path."""
    for n in range(len(parts), -1, -1):
        if tuple(parts[:n]) in FILES:
            return tuple(parts[:n])
    return None


def code_of(path):
    text = path.read_text()
    text = re.sub(r"//[^\n]*", "", text)  # comments and docs (examples use the public API)
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


PATH = re.compile(r"\b(crate|super|self)((?:::[a-z_][a-z0-9_]*)+)")


def uses(mod, path):
    out = set()
    is_dir_module = path.name in ("mod.rs", "lib.rs")
    for line in code_of(path).splitlines():
        stripped = line.strip()
        if is_dir_module and re.match(r"(pub(\([a-z]+\))? )?use (self::)?[a-z_]+::", stripped) and "crate::" not in stripped and "super::" not in stripped:
            continue  # a parent re-exporting its children
        for m in PATH.finditer(line):
            kind, rest = m.group(1), [p for p in m.group(2).split("::") if p]
            if kind == "crate":
                base = list(rest)
            elif kind == "super":
                parent = mod[:-1] if not is_dir_module else mod[:-1]
                base = list(parent) + rest
            else:
                base = list(mod) + rest
            target = resolve(base)
            if target is not None and target != mod and target != ():
                out.add(target)
    return out


GRAPH = {mod: uses(mod, path) for mod, path in FILES.items() if mod != ()}


def cycles():
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    sys.setrecursionlimit(10000)
    for v in GRAPH:
        if v not in index:
            visit(v)
    return comps


found = cycles()
for comp in found:
    names = sorted("/".join(m) + ".rs" for m in comp)
    print("circle:", " <-> ".join(names))
    for m in sorted(comp):
        inner = sorted("/".join(t) for t in GRAPH[m] if t in comp)
        print(f"  {'/'.join(m)} uses {', '.join(inner)}")
print(f"{len(found)} import circles among {len(GRAPH)} files")
sys.exit(1 if found else 0)
