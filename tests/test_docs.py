"""The documentation site builds from docs/ and the docstrings with no warning (Sphinx -W)."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the contributors' fast lane (pytest -m "not slow") leaves these out

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
                          os.path.join(ROOT, "docs"), str(tmp_path / "html")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    for page in ("index", "interpret", "scan", "compare", "cli", "conventions", "engine", "api"):
        assert (tmp_path / "html" / f"{page}.html").is_file()
