import json
import subprocess
import sys


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "exactpwm", *args], capture_output=True, text=True, cwd=cwd)


def test_info():
    r = run_cli("info")
    assert r.returncode == 0
    info = json.loads(r.stdout)
    assert info["auto"] in ("cpp", "numba")


def test_demo_runs_and_checks_theorem1(tmp_path):
    r = run_cli("demo", "--length", "100000", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "Theorem 1 check" in r.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["theorem1_max_abs_error"] < 1e-9
    assert (tmp_path / "out" / "example_pwms.npz").exists()


def test_usage_error_exit_code():
    r = run_cli("demo", "--length", "many")
    assert r.returncode == 2
    assert "invalid int value" in r.stderr
