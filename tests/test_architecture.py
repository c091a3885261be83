"""The package's layers, as import-linter contracts in pyproject.toml: app > interpret | scanning >
io > core > engine; interpretation and scanning never import each other; only the engine facade
(exactpwm._engine) imports the compiled core and the numba kernels."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_contracts_hold():
    pytest.importorskip("importlinter")
    config = os.path.join(ROOT, "pyproject.toml")
    run = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                          "lint_imports_command()", config, "--no-cache"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_only_the_facade_imports_the_compiled_core():
    """import-linter cannot see a compiled module, so this is checked on the sources. The one other
    module, _read_ahead, starts reading a FASTA file before numpy (which the facade imports) loads."""
    import re

    import exactpwm

    imports_core = re.compile(r"^\s*(from (exactpwm|\.+) import .*\b_core\b|import exactpwm\._core)", re.MULTILINE)
    pkg = os.path.dirname(exactpwm.__file__)
    offenders = []
    for folder, _, files in os.walk(pkg):
        for name in files:
            if name.endswith(".py") and name not in ("_engine.py", "_read_ahead.py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                if imports_core.search(text):
                    offenders.append(os.path.relpath(os.path.join(folder, name), pkg))
    assert offenders == []


def test_subpackages_do_not_shadow_functions():
    """``import exactpwm.<module>`` gives a module, never a function of the same name."""
    import importlib

    import exactpwm

    for public in exactpwm.__all__:
        try:
            mod = importlib.import_module(f"exactpwm.{public}")
        except ModuleNotFoundError:
            continue
        assert getattr(exactpwm, public) is not mod, public


def test_ruff_is_clean():
    """The style rules in pyproject.toml ([tool.ruff]) hold for the package, tests, benches and examples."""
    ruff = pytest.importorskip("ruff")
    del ruff
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "python", "tests", "bench", "examples"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
def test_core_stubs_match_the_compiled_module():
    """python/exactpwm/_core.pyi describes exactpwm._core as built (mypy's stubtest)."""
    pytest.importorskip("mypy")
    allowlist = os.path.join(os.path.dirname(__file__), "stubtest_allowlist.txt")
    run = subprocess.run([sys.executable, "-m", "mypy.stubtest", "exactpwm._core", "--allowlist", allowlist],
                         capture_output=True, text=True, timeout=600, cwd=os.path.dirname(ROOT))
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_finds_no_type_errors_in_the_package():
    """mypy checks the package ([tool.mypy] in pyproject.toml); the public API is fully annotated (below)."""
    pytest.importorskip("mypy")
    run = subprocess.run([sys.executable, "-m", "mypy", os.path.join(ROOT, "python", "exactpwm")], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_public_api_is_fully_annotated():
    """Every public function and method exported at the top level annotates its arguments and result."""
    import inspect

    import exactpwm

    missing = []
    for name in exactpwm.__all__:
        obj = getattr(exactpwm, name)
        if inspect.isfunction(obj):
            funcs = [(name, obj)]
        elif inspect.isclass(obj):
            funcs = [(f"{name}.{m}", f) for m, f in vars(obj).items()
                     if inspect.isfunction(f) and not m.startswith("_")]
        else:
            continue
        for label, f in funcs:
            sig = inspect.signature(f)
            args = [p for p, v in sig.parameters.items()
                    if p not in ("self", "cls") and v.annotation is inspect.Parameter.empty]
            if args or sig.return_annotation is inspect.Signature.empty:
                missing.append(f"{label}: {args or 'return'}")
    assert not missing, missing


@pytest.mark.slow
@pytest.mark.parametrize("ci, expected", [("1", 1), ("", 0)])
def test_a_check_whose_tool_is_missing_fails_in_ci(tmp_path, ci, expected):
    """Under CI, a test skipped because a module of the test extra is missing fails (conftest.py)."""
    (tmp_path / "test_probe.py").write_text("import pytest\n\n\ndef test_probe():\n"
                                            "    pytest.importorskip('no_such_module_for_exactpwm')\n")
    env = {**os.environ, "CI": ci, "EXACTPWM_REQUIRED_IN_CI": "no_such_module_for_exactpwm",
           "PYTHONPATH": os.path.join(ROOT, "tests")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                          str(tmp_path / "test_probe.py")], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == expected, run.stdout + run.stderr
    if expected:
        assert "must be installed in CI" in run.stdout


def _private_imports() -> list[str]:
    """``from exactpwm.x import _name`` across modules, where exactpwm.x is not private on purpose
    (a module whose own name starts with '_': the engine facade, the numba kernels, format helpers)."""
    import ast

    pkg = os.path.join(ROOT, "python", "exactpwm")
    found = []
    for folder, _, files in os.walk(pkg):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("exactpwm"):
                    private_module = any(part.startswith("_") for part in node.module.split("."))
                    base = os.path.join(pkg, *node.module.split(".")[1:])
                    for alias in node.names:
                        submodule = os.path.exists(os.path.join(base, alias.name + ".py")) or alias.name == "_core"
                        if alias.name.startswith("_") and not alias.name.startswith("__") and not private_module \
                                and not submodule:
                            found.append(f"{os.path.relpath(path, pkg)}: {node.module}.{alias.name}")
    return found


def test_no_private_name_crosses_a_module_boundary():
    """A name with a leading underscore stays in its module, unless the module is private on purpose."""
    assert _private_imports() == []


def test_the_documented_api_is_declared():
    """Every name docs/api.rst documents is public where it lives: a top-level name is in
    exactpwm.__all__; a deeper one is in its module's __all__, and that module in its
    subpackage's __all__ (the subpackages declare their public modules)."""
    import importlib
    import re

    import exactpwm

    text = open(os.path.join(ROOT, "docs", "api.rst"), encoding="utf-8").read()
    missing = []
    for _, name in re.findall(r"^\.\. (autofunction|autoclass|autodata):: (\S+)", text, re.M):
        if not name.startswith("exactpwm."):
            if name not in exactpwm.__all__:
                missing.append(name)
            continue
        parts = name.split(".")
        for i in range(len(parts) - 1, 1, -1):
            try:
                module = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            if parts[i] not in getattr(module, "__all__", ()):
                missing.append(name)
            package = importlib.import_module(".".join(parts[:i - 1]))
            if parts[i - 1] not in getattr(package, "__all__", ()):
                missing.append(f"{name} (module {parts[i - 1]} not in {package.__name__}.__all__)")
            break
    assert not missing, missing
