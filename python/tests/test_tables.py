"""Arrow tables (``params_table``, ``table_for_ids``): every bit the arrays' and the
scalar functions', read by the real pyarrow, polars and DuckDB without a copy of the
columns, computed outside the GIL, pickled, and used after fork."""
import multiprocessing as mp
import pickle
import threading
import time

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import dpa_rs
from conftest import PARAMS, bits

SEEDINGS = [{}, {"rank": 3, "base_seed": 11}, {"seed": 5, "epoch": 2}]


def _equal_to_array(table, arr):
    """Every column of the Arrow table equals the structured array's, bit for bit."""
    assert table.num_rows == len(arr)
    assert np.array_equal(table["sample_id"].to_numpy(), arr["sample_id"])
    if "rank" in arr.dtype.names:
        assert np.array_equal(table["rank"].to_numpy(), arr["rank"])
    for p in PARAMS:
        assert np.array_equal(table[p].to_numpy().view("<u8"), arr[p].view("<u8")), p
    assert table["hash"].to_pylist() == [bytes.fromhex(h.decode()) for h in arr["hash"]]


@pytest.mark.parametrize("seeding", SEEDINGS)
def test_a_range_equals_params_array_bit_for_bit(seeding):
    cfg = dpa_rs.get_preset("aggressive")
    t = pa.table(dpa_rs.params_table(10**6, 20_011, cfg, **seeding))
    want = ["sample_id", *(["rank"] if "rank" in seeding else []), *PARAMS, "hash"]
    assert t.column_names == want
    assert t.schema.field("sample_id").type == pa.uint64()
    assert t.schema.field("hash").type == pa.binary(32)
    assert all(t.schema.field(p).type == pa.float64() for p in PARAMS)
    _equal_to_array(t, dpa_rs.params_array(10**6, 20_011, cfg, **seeding))


def test_rows_equal_the_scalar_dicts():
    cfg = dpa_rs.get_preset("moderate")
    t = pa.table(dpa_rs.params_table(2**64 - 300, 300, cfg))
    rows = t.to_pylist()
    for i in range(0, 300, 7):
        want = dpa_rs.gen_augmentation_params(2**64 - 300 + i, cfg)
        assert rows[i]["sample_id"] == 2**64 - 300 + i
        assert all(bits(rows[i][p]) == bits(want[p]) for p in PARAMS)
        assert rows[i]["hash"].hex() == want["hash"]


@pytest.mark.parametrize("seeding", SEEDINGS)
def test_ids_in_any_order_equal_params_for_ids(seeding):
    ids = np.array([2**64 - 1, 0, 7, 7, 2**63, *range(5000, 100, -3)], dtype=np.uint64)
    t = pa.table(dpa_rs.table_for_ids(ids, None, **seeding))
    _equal_to_array(t, dpa_rs.params_for_ids(ids, None, **seeding))


class _OnlyDlpack:
    """An array of another library that NumPy reads only through DLPack."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_ids_from_any_integer_buffer_without_a_python_loop():
    want = pa.table(dpa_rs.params_table(40, 60))
    for ids in [
        np.arange(40, 100, dtype=np.int64),
        np.arange(40, 100, dtype=np.uint32),
        pa.array(range(40, 100), type=pa.uint64()),
        memoryview(np.arange(40, 100, dtype=np.uint64)),
        range(40, 100),
        [np.uint16(i) for i in range(40, 100)],
        _OnlyDlpack(np.arange(40, 100, dtype=np.int16)),
    ]:
        assert pa.table(dpa_rs.table_for_ids(ids)).equals(want), type(ids)
        assert np.array_equal(dpa_rs.params_for_ids(ids), dpa_rs.params_array(40, 60))


def test_bad_ids_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="non-negative"):
        dpa_rs.table_for_ids(np.array([3, -1]))
    with pytest.raises(TypeError, match="integers, got dtype float64"):
        dpa_rs.table_for_ids(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="ids\\[i\\] must be an int"):
        dpa_rs.table_for_ids([1, "2"])
    with pytest.raises(ValueError, match="one-dimensional"):
        dpa_rs.table_for_ids(np.zeros((2, 2), dtype=np.uint64))
    with pytest.raises(ValueError):
        dpa_rs.params_table(2**64 - 1, 2)
    with pytest.raises(ValueError, match="seed/epoch and rank"):
        dpa_rs.params_table(0, 1, seed=1, rank=1)


def test_consumers_share_the_columns_instead_of_copying_them():
    t = dpa_rs.params_table(0, 100_000)
    address = t.buffer_address("rotation")
    table = pa.table(t)
    assert table["rotation"].chunks[0].buffers()[1].address == address
    batch = pa.record_batch(t)  # through __arrow_c_array__
    assert batch["rotation"].buffers()[1].address == address
    column = table["rotation"].chunks[0].to_numpy(zero_copy_only=True)
    assert column.ctypes.data == address
    # A second import shares the same buffers too: the table lends, never copies.
    assert pa.table(t)["noise"].chunks[0].buffers()[1].address == t.buffer_address("noise")


def test_polars_and_duckdb_read_every_bit():
    t = dpa_rs.params_table(0, 5000, seed=9, epoch=1)
    arr = dpa_rs.params_array(0, 5000, seed=9, epoch=1)
    df = pl.DataFrame(t)
    assert df.schema["sample_id"] == pl.UInt64 and df.schema["rotation"] == pl.Float64
    for p in PARAMS:
        assert np.array_equal(df[p].to_numpy().view("<u8"), arr[p].view("<u8"))
    assert pl.from_arrow(pa.table(t)).equals(df)
    got = duckdb.sql("SELECT sample_id, rotation, hex(hash) AS h FROM t ORDER BY sample_id").fetchall()
    assert [g[0] for g in got] == list(range(5000))
    assert all(bits(g[1]) == bits(float(r)) for g, r in zip(got, arr["rotation"]))
    assert [g[2].lower() for g in got] == [h.decode() for h in arr["hash"]]


def test_the_gil_is_released_while_columns_are_computed():
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    start = time.perf_counter()
    dpa_rs.params_table(0, 2_000_000, threads=1)
    end = time.perf_counter()
    done.set()
    ticker.join()
    # The other thread kept running during the call (it could not while a thread
    # held the GIL for the whole computation).
    assert sum(start < t < end for t in ticks) >= 5


def test_tables_pickle_as_their_records():
    for t in [
        dpa_rs.params_table(5, 1000, dpa_rs.get_preset("mild"), rank=1, base_seed=2),
        dpa_rs.table_for_ids(np.array([9, 1, 2**64 - 1], dtype=np.uint64), seed=4),
    ]:
        again = pickle.loads(pickle.dumps(t))
        assert pa.table(again).equals(pa.table(t))
        assert repr(again).startswith("<dpa_rs.ParamsTable: ")


def _child_table(n):
    return pa.table(dpa_rs.params_table(0, n, threads=2))["rotation"].to_numpy().tobytes()


def test_a_forked_child_computes_tables_after_its_parent_did():
    want = _child_table(30_000)
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map(_child_table, [30_000, 30_000]) == [want, want]
