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


def test_help_and_version_load_no_numpy_and_no_job():
    """Pipelines start thousands of commands: ``exactpwm --help``, a command's ``--help`` and
    ``--version`` load the parsers only (no numpy, no job module); exit codes as documented."""
    code = ("import sys\n"
            "from exactpwm.app.cli import main\n"
            "for argv in (['--help'], ['scan', '--help'], ['variants', '--help'], ['gia', '--version']):\n"
            "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code == 0, (argv, e.code)\n"
            "loaded = [m for m in sys.modules if m == 'numpy' or m.startswith('exactpwm.jobs.')]\n"
            "assert not loaded, loaded\n"
            "from exactpwm.jobs import run_scan, ScanOptions, OptionsError\n"
            "import exactpwm.jobs as jobs\n"
            "from exactpwm.core import errors\n"
            "assert jobs.merge.MergeOptions and OptionsError is errors.OptionsError\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_a_command_lets_idle_blas_workers_sleep_unless_the_user_chose():
    """A command's process sets OPENBLAS_THREAD_TIMEOUT=4 before numpy loads (idle OpenBLAS workers
    would spin on the engine's cores); a value the user set is kept; in-process calls after numpy
    is loaded change nothing."""
    import os

    code = ("import os, sys\n"
            "from exactpwm.app.cli import main\n"
            "try:\n    main(['scan', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "4"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "OPENBLAS_THREAD_TIMEOUT": "12"})
    assert run.stdout.splitlines()[-1] == "12"
    late = "import numpy\n" + code
    run = subprocess.run([sys.executable, "-c", late], capture_output=True, text=True, env=env)
    assert run.stdout.splitlines()[-1] == "None"


def test_the_program_freezes_its_objects_as_a_command_ends_and_main_does_not():
    """``exactpwm`` (run: the console script and ``python -m exactpwm``) freezes every object out of
    the collector's reach once its command is done, so the interpreter's shutdown skips traversing
    them; main(), the in-process call, leaves the collector alone."""
    code = ("import gc\n"
            "from exactpwm.app.cli import main, run\n"
            "assert main(['info']) == 0 and gc.get_freeze_count() == 0\n"
            "assert run(['info']) == 0 and gc.get_freeze_count() > 0\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "exactpwm", "info"], capture_output=True, text=True)
    assert done.returncode == 0 and "\"version\"" in done.stdout, done.stderr


def test_a_scanning_command_lets_waiting_openmp_threads_sleep_unless_the_user_chose():
    """A scanning command's process sets OMP_WAIT_POLICY=PASSIVE before the engine (and its OpenMP
    runtime) loads; a value the user set is kept; a command that runs torch is left as it is, and
    so is an in-process call once the engine is loaded."""
    import os

    def policy(command, env, before=""):
        code = (before + "import os, sys\n"
                "import exactpwm.app.cli as cli\n"
                "print('exactpwm._core' in sys.modules)\n"  # the engine not loaded by the command's modules
                f"try:\n    cli.main([{command!r}, '--help'])\nexcept SystemExit:\n    pass\n"
                "print(os.environ.get('OMP_WAIT_POLICY'))\n")
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines()[0] == str(bool(before))
        return run.stdout.splitlines()[-1]

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert policy("scan", env) == "PASSIVE"
    assert policy("fimo", env) == "PASSIVE"
    assert policy("scan", {**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
    assert policy("attribute", env) == "None"
    assert policy("scan", env, before="import exactpwm._core\n") == "None"
