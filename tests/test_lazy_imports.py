"""``import exactpwm`` loads its names on first use (the command line starts faster), and every
public name and module is still there."""

from __future__ import annotations

import subprocess
import sys

import exactpwm


def test_every_public_name_resolves_and_is_listed():
    for name in exactpwm.__all__:
        assert getattr(exactpwm, name) is not None, name
    assert set(exactpwm.__all__) <= set(dir(exactpwm))
    for package in (exactpwm.core, exactpwm.io, exactpwm.scanning):
        for module in package.__all__:
            assert getattr(package, module).__name__ == f"{package.__name__}.{module}"


def test_import_loads_the_scanner_only_when_asked():
    code = ("import sys, exactpwm\n"
            "assert 'exactpwm.scanning.scan' not in sys.modules\n"
            "exactpwm.scan\n"
            "assert 'exactpwm.scanning.scan' in sys.modules\n"
            "assert exactpwm.interpret.heuristic.METHODS\n"
            "from exactpwm import _core\n"
            "try:\n    exactpwm.no_such_name\nexcept AttributeError as e:\n    print(e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "no attribute 'no_such_name'" in run.stdout
