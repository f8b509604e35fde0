"""Runs one of the reference's examples with ``src`` as either the reference or dpa_rs.

    python run_example.py {reference,dpa_rs} EXAMPLE.py

The example imports ``src.dpa`` / ``src.distributed`` from the folder above it. With
``dpa_rs``, those names are dpa_rs's modules first (the ``dpa_rs_as_src`` plugin's
mapping), so the unchanged example runs on dpa_rs.
"""
import runpy
import sys

mode, path = sys.argv[1], sys.argv[2]
if mode == "dpa_rs":
    import dpa_rs_as_src  # noqa: F401  (maps src.dpa and src.distributed to dpa_rs)
elif mode != "reference":
    sys.exit(f"unknown mode {mode!r}")
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
