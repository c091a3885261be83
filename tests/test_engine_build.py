"""The C++ engine builds on its own: no Python, no OpenMP, warnings as errors, and passes its self-test."""

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the contributors' fast lane (pytest -m "not slow") leaves these out

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
def test_engine_builds_without_openmp_and_python(tmp_path):
    if not (ROOT / "cpp" / "tests" / "engine_selftest.cpp").exists():
        pytest.skip("source tree not available")
    configure = ["cmake", "-S", str(ROOT), "-B", str(tmp_path), "-DCMAKE_BUILD_TYPE=Release",
                 "-DEXACTPWM_OPENMP=OFF", "-DEXACTPWM_WERROR=ON", "-DEXACTPWM_SELFTEST=ON"]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    subprocess.run(configure, check=True, capture_output=True, text=True)
    build = subprocess.run(["cmake", "--build", str(tmp_path), "--target", "engine_selftest"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([str(tmp_path / "engine_selftest")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "openmp=0 ok" in run.stdout
