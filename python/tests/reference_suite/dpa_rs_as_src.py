"""pytest plugin (``-p dpa_rs_as_src``): the reference's own tests, run against dpa_rs.

DPA 0.2.1's tests import ``src.dpa`` and ``src.distributed``. Before any test module is
collected, this plugin makes those names dpa_rs's modules, so the unchanged test files
exercise dpa_rs. At the end it fails the run if anything replaced them (for example the
reference's own package being imported instead).
"""

import sys
import types

import pytest

import dpa_rs.distributed
import dpa_rs.dpa

_src = types.ModuleType("src")
_src.__path__ = []  # a package: `from src.dpa import ...` looks in sys.modules
_src.dpa = dpa_rs.dpa
_src.distributed = dpa_rs.distributed
sys.modules.update({"src": _src, "src.dpa": dpa_rs.dpa, "src.distributed": dpa_rs.distributed})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if sys.modules.get("src.dpa") is not dpa_rs.dpa or sys.modules.get("src.distributed") is not dpa_rs.distributed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\ndpa_rs_as_src: src.dpa / src.distributed were not dpa_rs's modules", file=sys.stderr)


def pytest_report_header(config: pytest.Config) -> str:
    return f"reference suite against dpa_rs: src.dpa = {dpa_rs.dpa.__file__}"
