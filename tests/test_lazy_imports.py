"""``import exactpwm`` loads its names on first use (the command line starts faster), and every
public name and module is still there."""

from __future__ import annotations

import os
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


def test_the_program_ends_its_process_once_the_command_is_done_and_said():
    """``exactpwm`` (run: the console script and ``python -m exactpwm``) ends the process when its
    command returns: what it printed is flushed, exit handlers run, the exit code is the command's,
    and nothing after the call runs. With another thread still running, the interpreter ends as
    usual (the thread is waited for), with the objects frozen out of the collector's reach; main(),
    the in-process call, returns and leaves the collector alone."""
    code = ("import atexit, gc, sys\n"
            "from exactpwm.app.cli import main, run\n"
            "atexit.register(lambda: print('exit handler ran'))\n"
            "assert main(['info']) == 0 and gc.get_freeze_count() == 0\n"
            "print('unflushed', end='')\n"
            "run(['scan', 'no-such.meme', 'no-such.fa'] if len(sys.argv) > 1 else ['info'])\n"
            "print('after run')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout held in its buffer
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "unflushed" in done.stdout and done.stdout.rstrip().endswith("exit handler ran")
    assert "after run" not in done.stdout
    failed = subprocess.run([sys.executable, "-c", code, "fail"], capture_output=True, text=True, env=env)
    assert failed.returncode == 1 and "no-such.meme: no such file" in failed.stderr
    assert "exit handler ran" in failed.stdout and "after run" not in failed.stdout
    threaded = ("import threading, time, gc, atexit\n"
                "from exactpwm.app.cli import run\n"
                "def late():\n    time.sleep(0.3)\n    print('thread done', flush=True)\n"
                "threading.Thread(target=late).start()\n"
                "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
                "run(['info'])\n")
    done = subprocess.run([sys.executable, "-c", threaded], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["thread done", "frozen True"]
    done = subprocess.run([sys.executable, "-m", "exactpwm", "info"], capture_output=True, text=True)
    assert done.returncode == 0 and "\"version\"" in done.stdout, done.stderr
    for returned, status in (("None", 0), ("3", 3), ("'odd'", 1)):  # as sys.exit reads a command's result
        code = f"import exactpwm.app.cli as cli\ncli.main = lambda argv=None: {returned}\ncli.run([])\n"
        assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == status


def test_a_scanning_command_lets_waiting_openmp_threads_spin_briefly_unless_the_user_chose():
    """A scanning command's process sets GOMP_SPINCOUNT and KMP_BLOCKTIME (short spins, then sleep)
    before the engine (and its OpenMP runtime) loads; a wait policy or spin the user set is kept; a
    command that runs torch is left as it is, and so is an in-process call once the engine is loaded."""
    names = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")

    def waits(command, env, before=""):
        code = (before + "import os, sys\n"
                "import exactpwm.app.cli as cli\n"
                "print('exactpwm._core' in sys.modules)\n"  # the engine not loaded by the command's modules
                f"try:\n    cli.main([{command!r}, '--help'])\nexcept SystemExit:\n    pass\n"
                f"print([os.environ.get(n) for n in {names!r}])\n")
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines()[0] == str(bool(before))
        return run.stdout.splitlines()[-1]

    env = {k: v for k, v in os.environ.items() if k not in names}
    assert waits("scan", env) == "[None, '30000', '1']"
    assert waits("fimo", env) == "[None, '30000', '1']"
    assert waits("scan", {**env, "OMP_WAIT_POLICY": "PASSIVE"}) == "['PASSIVE', None, None]"
    assert waits("scan", {**env, "GOMP_SPINCOUNT": "0"}) == "[None, '0', None]"
    assert waits("attribute", env) == "[None, None, None]"
    assert waits("scan", env, before="import exactpwm._core\n") == "[None, None, None]"


