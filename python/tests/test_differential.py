"""dpa_rs against the reference itself (DPA 0.2.1's src/, run from ../shared/reference),
call for call: return values (floats by their bits), exceptions (type name and
message), printed lines and the bytes of every file written. The one difference
allowed is the reference's reseeding of Python's global ``random``.

Each case runs once per side, in its own empty working folder, with stdout captured.
"""
import contextlib
import dataclasses
import decimal
import fractions
import io
import json
import math
import os
import re
import struct

import numpy as np
import pytest

import dpa_rs.distributed
import dpa_rs.dpa

PARAMS = ("rotation", "brightness", "noise", "scale", "contrast")


class Side:
    """One implementation: its ``dpa`` and ``distributed`` modules."""

    def __init__(self, dpa, distributed):
        self.d, self.x = dpa, distributed

    def cfg(self, **kw):
        return self.d.AugmentationConfig(**kw)


@pytest.fixture(scope="module")
def sides(reference_package):
    import importlib

    ref = Side(
        importlib.import_module(f"{reference_package}.dpa"),
        importlib.import_module(f"{reference_package}.distributed"),
    )
    return ref, Side(dpa_rs.dpa, dpa_rs.distributed)


def canon(v):
    """A comparable form: floats by their bits, containers and dataclasses by parts
    (a progress record without its clock)."""
    if isinstance(v, float):
        return ("f", struct.pack("<d", v).hex())
    if isinstance(v, dict):
        return ("d", [(canon(k), canon(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [canon(x) for x in v])
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = [(f.name, canon(getattr(v, f.name))) for f in dataclasses.fields(v) if f.name != "start_time"]
        return (type(v).__name__, fields)
    if isinstance(v, str):
        return ("s", _untimed(v))
    if isinstance(v, (bool, int, type(None), bytes)):
        return (type(v).__name__, v)
    if isinstance(v, (np.integer, fractions.Fraction, decimal.Decimal)):
        return (type(v).__name__, str(v))
    return ("other", type(v).__name__)


def _untimed(text):
    text = re.sub(r"elapsed: [0-9.]+s", "elapsed: Ts", text)
    return re.sub(r"ETA: [0-9.]+s", "ETA: Ts", text)


def run(side, case, folder):
    """The outcome of one case on one side: value or exception, stdout, files."""
    out = io.StringIO()
    cwd = os.getcwd()
    os.makedirs(folder)
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            try:
                result = ("ok", canon(case(side)))
            except Exception as e:  # compared by type name and message
                cause = type(e.__cause__).__name__ if e.__cause__ is not None else None
                result = ("raise", type(e).__name__, _untimed(str(e)), cause)
        files = {}
        for root, _, names in os.walk("."):
            for name in names:
                with open(os.path.join(root, name), "rb") as f:
                    files[os.path.join(root, name)] = f.read()
    finally:
        os.chdir(cwd)
    return result, _untimed(out.getvalue()), files


# -- The cases ------------------------------------------------------------------

IDS = [0, 1, 2, 17, 255, 10**6, 2**32, 2**53 + 1, 2**64 - 1, 2**64, 2**70 + 5, -1, -0.0, 0.0, 3.5,
       True, False, fractions.Fraction(7, 2), decimal.Decimal("1.25"), np.int64(12),
       np.uint64(2**63), "5", None]

CONFIGS = {
    "none": None,
    "default": {},
    "mild": "mild",
    "aggressive": "aggressive",
    "big ints": dict(rotation_range=(-(2**60), 2**60 + 1), scale_range=(2**53 - 1, 2**53 + 3)),
    "lists": dict(rotation_range=[-1, 1], noise_range=[0.0, 0.5]),
    "floats": dict(brightness_range=(0.1, 0.7), contrast_range=(-1e-300, 5e-324)),
    "nan and inf": dict(rotation_range=(float("nan"), 1), noise_range=(0, float("inf"))),
    "depth 1": dict(augmentation_depth=1),
    "depth 37": dict(augmentation_depth=37, scale_range=(1, 3)),
    "bools": dict(noise_range=(False, True)),
}


def make(side, spec):
    if spec is None:
        return None
    if isinstance(spec, str):
        return side.d.get_preset(spec)
    return side.cfg(**spec)


def mutated(side, name):
    c = side.cfg()
    changes = {
        "depth 0": ("augmentation_depth", 0),
        "depth 2.5": ("augmentation_depth", 2.5),
        "reversed": ("rotation_range", (5, -5)),
        "three bounds": ("noise_range", (0, 1, 2)),
        "strings": ("scale_range", ("a", "b")),
        "decimal": ("scale_range", (decimal.Decimal("0.5"), decimal.Decimal("1.5"))),
        "float32": ("contrast_range", (np.float32(0.5), np.float32(1.5))),
    }
    field, value = changes[name]
    setattr(c, field, value)
    return c


MUTATIONS = ["depth 0", "depth 2.5", "reversed", "three bounds", "strings", "decimal", "float32"]


def param_cases():
    for sid in IDS:
        for name, spec in CONFIGS.items():
            yield f"params {sid!r} {name}", lambda s, sid=sid, spec=spec: s.d.gen_augmentation_params(sid, make(s, spec))
    for name in MUTATIONS:
        for sid in (3, 2**65):
            yield f"params {sid} {name}", lambda s, sid=sid, name=name: s.d.gen_augmentation_params(sid, mutated(s, name))
    yield "params dict config", lambda s: s.d.gen_augmentation_params(1, {"augmentation_depth": 3})
    yield "params object config", lambda s: s.d.gen_augmentation_params(1, object())
    for depth in (1, 2, 10, 0, -1, 2.5, True):
        for sid in (0, 99, 2**64 + 1, -3):
            yield f"seed {sid} {depth}", lambda s, sid=sid, depth=depth: s.d.gen_augmentation_seed(sid, depth)
    for n in (-1, 0, 1, 2, 10, 94, 200, 2.5, 1.0, True, "3"):
        yield f"fib {n!r}", lambda s, n=n: s.d.fib(n)
    for args in ((2, 3), (1.0,)):
        yield f"config {args}", lambda s, a=args: s.cfg(rotation_range=a)
    yield "config depth 0", lambda s: s.cfg(augmentation_depth=0)
    yield "config reversed", lambda s: s.cfg(brightness_range=(2, 1))
    yield "config nan", lambda s: s.cfg(brightness_range=(float("nan"), 1))
    yield "presets", lambda s: s.d.PRESETS
    yield "unknown preset", lambda s: s.d.get_preset("wild")


def records(values):
    return [dict(zip(PARAMS + ("hash",), (*row, "h"))) for row in values]


def statistics_cases():
    for n in (1, 2, 3, 10, 50):
        yield f"stats chain {n}", lambda s, n=n: s.d.compute_statistics(s.d.generate_augmentation_chain(n))
    yield "stats empty", lambda s: s.d.compute_statistics([])
    yield "stats ints", lambda s: s.d.compute_statistics(records([(1, 2, 3, 4, 5), (2, 2, 3, 4, 6)]))
    yield "stats mixed", lambda s: s.d.compute_statistics(records([(1, 2.5, 3, 4, 5), (2.0, 2, 3, 4, 6)]))
    yield "stats nan", lambda s: s.d.compute_statistics(records([(math.nan, 1.0, 1.0, 1.0, 1.0), (1.0,) * 5]))
    yield "stats inf", lambda s: s.d.compute_statistics(records([(math.inf, 1.0, 1.0, 1.0, 1.0), (1.0,) * 5]))
    yield "stats zeros", lambda s: s.d.compute_statistics(records([(0.0, -0.0, 0.0, -0.0, 5e-324), (-0.0, 0.0, 5e-324, 0.0, 0.0)]))
    yield "stats missing key", lambda s: s.d.compute_statistics([{"rotation": 1.0}])
    for n in (0, 1, 2, 25):
        yield f"streaming stats {n}", lambda s, n=n: s.d.compute_streaming_statistics(s.d.stream_augmentation_chain(n))


def chain_cases():
    for n in (0, 1, 5, 20):
        for verbose in (False, True):
            yield f"chain {n} {verbose}", lambda s, n=n, v=verbose: s.d.generate_augmentation_chain(n, verbose=v)
    yield "chain saved", lambda s: s.d.generate_augmentation_chain(12, s.d.get_preset("mild"), save_path="a/b/c.json")
    yield "chain saved no config", lambda s: s.d.save_augmentation_chain(s.d.generate_augmentation_chain(3), "x.json")
    yield "chain saved no stats", lambda s: s.d.save_augmentation_chain(s.d.generate_augmentation_chain(3), "y.json", s.cfg(), False)
    yield "chain save to a folder", lambda s: (os.mkdir("d"), s.d.save_augmentation_chain([], "d"))
    yield "chain empty save", lambda s: s.d.save_augmentation_chain([], "e.json")
    yield "chain negative", lambda s: s.d.generate_augmentation_chain(-1)
    yield "chain float", lambda s: s.d.generate_augmentation_chain(2.5)
    yield "chain mutated", lambda s: s.d.generate_augmentation_chain(3, mutated(s, "reversed"))
    yield "load saved", lambda s: (s.d.generate_augmentation_chain(4, save_path="l.json"), s.d.load_augmentation_chain("l.json"))
    yield "load missing", lambda s: s.d.load_augmentation_chain("nope.json")
    yield "load invalid", lambda s: (open("bad.json", "w").write("{"), s.d.load_augmentation_chain("bad.json"))


def stream_cases():
    for n in (0, 1, 7, 150):
        for chunk in (None, 1, 4, 200):
            for verbose in (False, True):
                def case(s, n=n, chunk=chunk, verbose=verbose):
                    seen = []
                    items = list(s.d.stream_augmentation_chain(
                        n, start_id=3, chunk_size=chunk, verbose=verbose,
                        progress_callback=lambda p, m: seen.append((p, m))))
                    return items, seen
                yield f"stream {n} {chunk} {verbose}", case
    bad = [dict(num_samples=-1), dict(num_samples=3, start_id=-1), dict(num_samples=3, chunk_size=0),
           dict(num_samples=3, chunk_size=-2), dict(num_samples=3, rank=0), dict(num_samples=3, world_size=2),
           dict(num_samples=3, rank=2, world_size=2), dict(num_samples=3, rank=-1, world_size=2),
           dict(num_samples=3, rank=0, world_size=0), dict(num_samples=3, chunk_size=2, batch_config=object()),
           dict(num_samples=2.5)]
    for kw in bad:
        yield f"stream {kw}", lambda s, kw=kw: list(s.d.stream_augmentation_chain(**kw))
    for lo, hi, chunk in ((0, 5, None), (10, 13, 2), (5, 5, None), (-1, 3, None), (4, 3, None), (2**64 - 2, 2**64 + 1, None)):
        yield f"range {lo} {hi}", lambda s, a=(lo, hi, chunk): list(s.d.stream_augmentation_range(a[0], a[1], chunk_size=a[2]))
    yield "lazy", lambda s: (s.d.stream_augmentation_chain(-5), "no error before next()")
    yield "to list", lambda s: s.d.generator_to_list(s.d.stream_augmentation_chain(10), max_items=4)
    yield "to list negative", lambda s: s.d.generator_to_list(iter([]), max_items=-1)
    yield "to generator", lambda s: list(s.d.list_to_generator([{"a": 1}, 2]))


def save_stream_cases():
    for stats in (True, False):
        for buffer in (1, 3, 1000):
            for verbose in (False, True):
                def case(s, stats=stats, buffer=buffer, verbose=verbose):
                    seen = []
                    s.d.save_augmentation_stream(
                        s.d.stream_augmentation_chain(25), "out/s.json", s.d.get_preset("mild"), stats, buffer,
                        verbose, lambda p, m: seen.append((p, m)))
                    return seen
                yield f"save stream {stats} {buffer} {verbose}", case
    for stats in (True, False):
        yield f"save empty {stats}", lambda s, st=stats: s.d.save_augmentation_stream(iter([]), "e.json", include_stats=st)
        yield f"save buffer 0 {stats}", lambda s, st=stats: s.d.save_augmentation_stream(iter([]), "z.json", include_stats=st, buffer_size=0)
        yield f"save bad items {stats}", lambda s, st=stats: s.d.save_augmentation_stream(iter([{"rotation": 1}]), "b.json", include_stats=st)
        yield f"save to folder {stats}", lambda s, st=stats: (os.mkdir("f"), s.d.save_augmentation_stream(s.d.stream_augmentation_chain(2), "f", include_stats=st))
    for skip in (0, 3, 30):
        yield f"resume {skip}", lambda s, k=skip: s.d.resume_streaming_save(s.d.stream_augmentation_chain(8), "r.json", k, include_stats=False, verbose=True)
    yield "resume negative", lambda s: s.d.resume_streaming_save(iter([]), "r.json", -1)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def load_stream_cases():
    def saved(s):
        s.d.save_augmentation_stream(s.d.stream_augmentation_chain(130), "s.json", include_stats=False)
    for chunk in (1, 0, 3, 1000):
        for verbose in (False, True):
            yield f"load stream {chunk} {verbose}", lambda s, c=chunk, v=verbose: (saved(s), list(s.d.load_augmentation_stream("s.json", c, v)))
    files = {"missing key": '{"x": 1}', "not a list": '{"augmentations": {"a": 1}}', "int": '{"augmentations": 5}',
             "bad items": '{"augmentations": [{"a": 1}, 2]}', "invalid": "{", "list": "[1, 2]"}
    for name, text in files.items():
        for chunk in (1, 2):
            yield f"load stream {name} {chunk}", lambda s, t=text, c=chunk: (write("t.json", t), list(s.d.load_augmentation_stream("t.json", c)))
    yield "load stream missing", lambda s: list(s.d.load_augmentation_stream("none.json"))
    yield "load stream lazy", lambda s: (s.d.load_augmentation_stream("none.json"), "no error before next()")
    for cut in (0, 40, 200, 500, -3):
        def case(s, cut=cut):
            saved(s)
            text = open("s.json").read()
            write("torn.json", text[:cut])
            return s.d.recover_partial_write("torn.json", verbose=True)
        yield f"recover {cut}", case
    yield "recover missing", lambda s: s.d.recover_partial_write("none.json")


def distributed_cases():
    for sid in (0, 5, 2**64 - 1, 2**64, -1, 2.5):
        for rank, world in ((0, 1), (1, 4), (3, 4), (4, 4), (-1, 2), (0, 0)):
            for base in (0, 7, -1):
                yield f"dist {sid} {rank}/{world} {base}", lambda s, a=(sid, rank, world, base): s.x.gen_distributed_augmentation_params(a[0], a[1], s.cfg(augmentation_depth=4), a[3], a[2])
    for name in ("depth 0", "depth 2.5", "strings"):
        yield f"dist {name}", lambda s, n=name: s.x.gen_distributed_augmentation_params(2, 0, mutated(s, n))
    for base, world in ((0, 1), (3, 2), (-1, 1), (0, 0)):
        for sid, rank, depth in ((4, 0, 10), (4, 1, 2), (-1, 0, 10), (4, 0, 0), (4, 0, 2.5)):
            yield f"seedgen {base} {world} {sid} {rank} {depth}", lambda s, a=(base, world, sid, rank, depth): s.x.RankAwareSeedGenerator(a[0], a[1]).generate_seed(a[2], a[3], a[4])
    for total, world in ((0, 1), (10, 3), (5, 8), (100, 7), (-1, 2), (3, 0)):
        def case(s, total=total, world=world):
            sp = s.x.DistributedRangeSplitter(total, world)
            out = [sp.get_all_ranges(), sp.get_all_rank_ranges(), sp.validate_ranges()]
            for rank in (0, world - 1, world, -1):
                try:
                    out.append(sp.get_rank_range(rank))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            for sid in (0, total - 1, total, -1):
                try:
                    out.append(sp.get_rank_for_sample(sid))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            return out
        yield f"splitter {total} {world}", case
    for n, rank, world in ((10, 1, 3), (5, 4, 8), (30, 0, 2), (-1, 0, 1), (3, 2, 2)):
        for chunk in (None, 2, 0):
            for verbose in (False, True):
                yield f"dist stream {n} {rank}/{world} {chunk} {verbose}", lambda s, a=(n, rank, world, chunk, verbose): list(s.x.stream_distributed_augmentation_chain(a[0], a[1], a[2], base_seed=9, chunk_size=a[3], verbose=a[4]))
    for lo, hi in ((3, 9), (5, 5), (4, 2), (-2, 3)):
        for verbose in (False, True):
            yield f"dist range {lo} {hi} {verbose}", lambda s, a=(lo, hi, verbose): list(s.x.stream_distributed_augmentation_range(a[0], a[1], 1, 2, chunk_size=4, verbose=a[2]))


def utility_cases():
    for n in (0, 10, 10**7, -1):
        yield f"estimate {n}", lambda s, n=n: (s.d.estimate_memory_usage(n), s.d.get_memory_usage_estimate(n))
    for size in (0, 1023, 1024, 1536, 2**20, 3 * 2**30, float("nan")):
        yield f"format size {size}", lambda s, b=size: s.d.format_memory_size(b)
    for args in ((200, 1000, 0.1), (0, 1, 0.1), (1, 0, 0.1), (1, 1, 1), (10**9, 1, 0.5)):
        yield f"batch size {args}", lambda s, a=args: s.d.estimate_optimal_batch_size(*a)
    results = [{}, {"generation": {"throughput_samples_per_second": 10.0}, "streaming": {"overhead_vs_generation_percent": 12},
                    "system_info": {"memory_usage_mb": 900.0, "config": {"augmentation_depth": 20}},
                    "batch_processing": {"best_throughput": 30.0, "best_strategy": "adaptive"}},
               {"generation": {"throughput_samples_per_second": 1e6}, "streaming": {"overhead_vs_generation_percent": 2}}]
    for r in results:
        yield f"advice {len(r)}", lambda s, r=r: s.d.get_performance_recommendations(r, 100.0, 500)
    for kw in (dict(total_samples=-1), dict(chunk_size=0), dict(buffer_size=0), dict(start_id=-1), dict(total_samples=5)):
        yield f"metadata {kw}", lambda s, kw=kw: s.d.create_streaming_metadata(**kw)
    yield "progress", lambda s: s.d.format_progress_info(s.d.create_streaming_progress(10, 2))
    yield "progress negative", lambda s: s.d.create_streaming_progress(-1)
    yield "update negative", lambda s: s.d.update_streaming_progress(s.d.create_streaming_progress(), 1, -1)
    yield "callback", lambda s: s.d.create_simple_progress_callback()(s.d.create_streaming_progress(3), s.d.create_streaming_metadata(3))


ALL_CASES = [*param_cases(), *statistics_cases(), *chain_cases(), *stream_cases(), *save_stream_cases(),
             *load_stream_cases(), *distributed_cases(), *utility_cases()]


def test_there_are_several_hundred_cases():
    assert len(ALL_CASES) >= 500, len(ALL_CASES)


@pytest.mark.parametrize("name,case", ALL_CASES, ids=[name for name, _ in ALL_CASES])
def test_same_as_the_reference(sides, tmp_path, name, case):
    ref, ours = sides
    want = run(ref, case, tmp_path / "reference")
    got = run(ours, case, tmp_path / "dpa_rs")
    assert got[0] == want[0], "return value or exception"
    assert got[1] == want[1], "printed lines"
    assert got[2] == want[2], "files written"
