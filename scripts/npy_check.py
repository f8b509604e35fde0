#!/usr/bin/env python3
"""Checks a dpa .npy file with NumPy itself, against the JSON Lines output of the same run.

Usage: npy_check.py ARRAY.npy RECORDS.jsonl

Loads the array with np.load(mmap_mode="r") and compares every field of every row with
the JSON Lines records, floats by their bits. Then checks the sidecar (ARRAY.npy.json):
its size and SHA-256 are the file's, and its statistics are, bit for bit, what CPython's
statistics module computes from NumPy's columns. Prints "ok N" or exits non-zero.
"""
import hashlib
import json
import statistics
import struct
import sys

import numpy as np

FLOATS = ["rotation", "brightness", "noise", "scale", "contrast"]


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def check_rows(array, records):
    ranked = "rank" in records[0]
    names = ["sample_id"] + (["rank"] if ranked else []) + FLOATS + ["hash"]
    assert list(array.dtype.names) == names, array.dtype
    for name in names:
        want = {"hash": "|S64", "sample_id": "<u8", "rank": "<u8"}.get(name, "<f8")
        assert array.dtype[name].str == want, (name, array.dtype[name].str)
    assert array.shape == (len(records),), array.shape
    ids = array["sample_id"]
    for i, r in enumerate(records):
        assert int(ids[i]) == r["sample_id"] == int(ids[0]) + i, (i, ids[i])
        if ranked:
            assert int(array["rank"][i]) == r["rank"], i
        assert array["hash"][i].decode("ascii") == r["hash"], i
    for name in FLOATS:
        column = np.ascontiguousarray(array[name]).view("<u8")
        want = np.array([bits(r[name]) for r in records], dtype="<u8")
        bad = np.flatnonzero(column != want)
        assert bad.size == 0, (name, bad[:5])


def check_sidecar(path, array):
    with open(path + ".json") as f:
        side = json.load(f)
    with open(path, "rb") as f:
        data = f.read()
    assert side["bytes"] == len(data) and side["sha256"] == hashlib.sha256(data).hexdigest()
    assert side["rows"] == array.shape[0] == side["metadata"]["num_samples"]
    for name in FLOATS:
        values = [float(v) for v in array[name]]
        got = side["statistics"][name]
        want = {
            "mean": statistics.mean(values),
            "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values),
            "max": max(values),
        }
        for key, value in want.items():
            assert bits(got[key]) == bits(value), (name, key, got[key], value)
        assert got["count"] == len(values)


def main():
    path, jsonl = sys.argv[1], sys.argv[2]
    array = np.load(path, mmap_mode="r")
    assert isinstance(array, np.memmap), type(array)
    with open(jsonl) as f:
        records = [json.loads(line) for line in f]
    check_rows(array, records)
    check_sidecar(path, array)
    print("ok", len(records))


if __name__ == "__main__":
    main()
