"""dpa_rs is typed (py.typed, stubs of the compiled part): `mypy --strict` passes on a
file that uses every public name and on the examples, and that file runs."""
import pathlib
import runpy
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
FILES = [HERE / "typing" / "uses_every_name.py", *sorted((HERE.parent / "examples").glob("*.py"))]


def test_mypy_strict_passes_on_every_public_name_and_the_examples(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *map(str, FILES)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # the installed dpa_rs, not python/dpa_rs (its compiled part is not there)
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Success: no issues found in {len(FILES)} source files" in proc.stdout, proc.stdout


def test_the_typed_uses_run():
    runpy.run_path(str(FILES[0]), run_name="__main__")
