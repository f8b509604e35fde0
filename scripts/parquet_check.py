#!/usr/bin/env python3
"""Checks dpa's Parquet output with pyarrow, polars and DuckDB against the JSON Lines output of the same run.

Usage: parquet_check.py PATH RECORDS.jsonl

PATH is one Parquet file, or a folder of part files (dpa-mpi --output-dir), which each
reader must read as one table (pyarrow.dataset.dataset(dir), pl.scan_parquet("dir/*.parquet"),
DuckDB read_parquet('dir/*.parquet')). Every sample_id (uint64, also past 2^63), every
float (by its bits) and every hash (32 bytes; hex() as each tool spells it) must be the
JSON Lines record's. For a single file, the claims dpa keeps in its metadata must be
visible in pyarrow's table.schema.metadata. Prints "ok N" or exits non-zero.
"""
import json
import os
import struct
import sys

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq

FLOATS = ["rotation", "brightness", "noise", "scale", "contrast"]


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def expected(jsonl):
    rows = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows[r["sample_id"]] = r
    return rows


def compare(name, columns, want):
    ids = columns["sample_id"]
    if sorted(ids) != sorted(want):
        sys.exit(f"{name}: ids differ from the JSON Lines ids")
    for i, sid in enumerate(ids):
        r = want[sid]
        for f in FLOATS:
            if bits(columns[f][i]) != bits(r[f]):
                sys.exit(f"{name}: sample {sid} {f}: {columns[f][i]!r} != {r[f]!r}")
        if columns["hash"][i] != r["hash"]:
            sys.exit(f"{name}: sample {sid} hash {columns['hash'][i]} != {r['hash']}")
        if "rank" in r and columns["rank"][i] != r["rank"]:
            sys.exit(f"{name}: sample {sid} rank differs")


def with_pyarrow(path):
    table = ds.dataset(path, format="parquet").to_table() if os.path.isdir(path) else pq.read_table(path)
    cols = {c: table[c].to_pylist() for c in table.column_names if c != "hash"}
    cols["hash"] = [h.hex() for h in table["hash"].to_pylist()]
    return table, cols


def with_polars(path):
    pattern = os.path.join(path, "*.parquet") if os.path.isdir(path) else path
    df = pl.scan_parquet(pattern).with_columns(pl.col("hash").bin.encode("hex")).collect()
    return {c: df[c].to_list() for c in df.columns}


def with_duckdb(path):
    pattern = os.path.join(path, "*.parquet") if os.path.isdir(path) else path
    rel = duckdb.sql(f"SELECT * EXCLUDE (hash), lower(hex(hash)) AS hash FROM read_parquet('{pattern}')")
    names = rel.columns
    rows = rel.fetchall()
    return {n: [row[i] for row in rows] for i, n in enumerate(names)}


def main():
    path, jsonl = sys.argv[1], sys.argv[2]
    want = expected(jsonl)
    table, cols = with_pyarrow(path)
    if str(table.schema.field("sample_id").type) != "uint64":
        sys.exit(f"sample_id is {table.schema.field('sample_id').type}")
    if str(table.schema.field("hash").type) != "fixed_size_binary[32]":
        sys.exit(f"hash is {table.schema.field('hash').type}")
    compare("pyarrow", cols, want)
    compare("polars", with_polars(path), want)
    compare("duckdb", with_duckdb(path), want)
    if not os.path.isdir(path):
        meta = table.schema.metadata or {}
        for key in (b"dpa", b"dpa.format_version", b"dpa.statistics"):
            if key not in meta:
                sys.exit(f"pyarrow's schema metadata lacks {key!r}: {list(meta)}")
        claims = json.loads(meta[b"dpa"])
        if claims["num_samples"] != len(want):
            sys.exit(f"dpa metadata claims {claims['num_samples']} rows")
    print("ok", len(want))


if __name__ == "__main__":
    main()
