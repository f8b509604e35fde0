"""dpa_rs: DPA 0.2.1's Python API, computed by dpa (Rust).

``dpa_rs.dpa`` and ``dpa_rs.distributed`` are the reference's ``src/dpa.py`` and
``src/distributed.py``: the same names, signatures, return values, exceptions, printed
lines and files, every float bit for bit. Porting is an import::

    from src.dpa import gen_augmentation_params        # DPA 0.2.1
    from dpa_rs import gen_augmentation_params         # the same, from dpa

Beyond the reference, ``params_array``, ``params_for_ids`` and ``statistics_array``
compute whole ranges as NumPy arrays on several threads, outside the GIL;
``params_table`` and ``table_for_ids`` the same as Arrow tables (PyCapsule interface,
no copy into pyarrow, polars or DuckDB). Every object
pickles; the thread pool is rebuilt in a forked child. See docs/PYTHON.md.
"""

import os as _os

from . import _native, distributed, dpa
from ._arrays import params_array, params_for_ids, row_dtype, statistics_array
from ._statistics import StatisticsPart, merge_statistics, statistics_part
from ._tables import ParamsTable, params_table, table_for_ids
from .distributed import *  # noqa: F401,F403
from .distributed import __all__ as _distributed_all
from .dpa import *  # noqa: F401,F403
from .dpa import __all__ as _dpa_all

# The workspace's one version (Cargo.toml): the distribution's, the CLI's, the crates'.
# ``dpa_rs.dpa.__version__`` stays the reference's own (0.2.1), as its module says.
__version__: str = _native.__version__

__all__ = [
    *_dpa_all,
    *_distributed_all,
    "params_array",
    "params_for_ids",
    "statistics_array",
    "row_dtype",
    "params_table",
    "table_for_ids",
    "ParamsTable",
    "statistics_part",
    "merge_statistics",
    "StatisticsPart",
    "dpa",
    "distributed",
]

if hasattr(_os, "register_at_fork"):
    # A forked child builds its own thread pools (the parent's threads are not there).
    _os.register_at_fork(after_in_child=_native.forget_pools)
