"""Probe suite: the CLI's answers to the probe's cases (D13, D19, and the tracebacks of D1, D2, D14). Bad input
exits 2 and a store or file fault exits 1, each with one line on stderr, control characters escaped."""
import json
import os
import subprocess
import sys

import pytest
from probe_helpers import ROOT
from sample_runs import valid_run

from advisor.cli import run


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    return err


# D13: ports outside 1-65535.

@pytest.mark.parametrize("port", ["70000", "65536", "0", "-1", "1e3", "abc", "8000.5"])
def test_D13_serve_refuses_a_port_outside_1_to_65535(capsys, port):
    """The probe: `serve --port 70000` started and listened on 4464 (70000 mod 65536)."""
    assert run(["serve", "--port", port]) == 2
    assert "--port" in _one_line(capsys)


@pytest.mark.parametrize("workers", ["0", "-3", "65", "two"])
def test_serve_refuses_a_bad_number_of_workers(capsys, workers):
    assert run(["serve", "--workers", workers]) == 2
    assert "--workers" in _one_line(capsys)


def test_serve_refuses_a_host_that_is_no_address(capsys):
    """The probe: `serve --host 'not a host!!'` printed uvicorn's multi-line log and exited 1."""
    assert run(["serve", "--host", "not a host!!", "--port", "8000"]) == 2
    assert "--host" in _one_line(capsys)


# D19: messages that name the real limit.

@pytest.mark.parametrize("args, option, limit", [
    (["--budget-usd", "99999999"], "--budget-usd", "1,000,000"),  # said "0 or more, got 1e+08"
    (["--reference-score", "1e8", "--reference-hours", "2"], "--reference-score", "10,000,000"),
    (["--reference-gpu", "t4", "--reference-hours", "0.0001"], "--reference-hours", "0.001"),
    (["--reference-gpu", "t4", "--reference-hours", "1e6"], "--reference-hours", "100,000"),
    (["--session-hours", "1e-320"], "--session-hours", "0.01"),  # a subnormal: said "0 or more"
    (["--budget-usd", "-inf"], "--budget-usd", "0 to"),  # said "expected one argument"
    (["--session-hours", "-inf"], "--session-hours", "0.01"),
    (["--gpu-mem-gb", "nan"], "--gpu-mem-gb", "from"),
])
def test_D19_out_of_range_numbers_name_the_real_limit(capsys, args, option, limit):
    assert run(["recommend", *args]) == 2
    err = _one_line(capsys)
    assert option in err and limit in err, err


@pytest.fixture
def odd_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "link-to-zero"
    link.symlink_to("/dev/zero")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    return {"fifo": fifo, "directory": folder, "device": "/dev/zero", "link to a device": link,
            "/dev/null": "/dev/null", "dangling link": dangling}


@pytest.mark.parametrize("kind", ["fifo", "directory", "device", "link to a device", "/dev/null"])
def test_D19_import_of_something_that_is_not_a_file_says_so(capsys, odd_files, kind):
    """The probe: each said 'no such file' though it existed. Nothing may hang on a FIFO or a device."""
    assert run(["import", str(odd_files[kind])]) == 2
    err = _one_line(capsys)
    assert "not a regular file" in err and "no such file" not in err


def test_D19_import_of_a_missing_or_dangling_path_says_no_such_file(capsys, odd_files, tmp_path):
    for path in (tmp_path / "absent.json", odd_files["dangling link"]):
        assert run(["import", str(path)]) == 2
        assert "no such file" in _one_line(capsys)


# Faults are one line, exit 1; odd input is one line, never a traceback (D1, D2, D14 in the CLI).

def test_D14_a_run_id_too_large_for_sqlite_is_refused(capsys):
    assert run(["recommend", "--reference-run", "10000000000000000000000000000000"]) == 2
    assert "--reference-run" in _one_line(capsys)


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,  # D2: a traceback (RecursionError)
    '{"a":' * 2000 + "1" + "}" * 2000,
    json.dumps(valid_run(started_at="2026-11-20T10:00:00")),  # D1: naive start, aware finish: a traceback
])
def test_D1_D2_odd_imports_answer_in_one_line(capsys, tmp_path, text):
    path = tmp_path / "odd.json"
    path.write_text(text)
    assert run(["import", str(path)]) in (1, 2)
    _one_line(capsys)


@pytest.mark.parametrize("breakage", ["corrupt", "directory"])
def test_store_faults_exit_1_with_one_line(capsys, tmp_path, breakage):
    store = tmp_path / "runs.sqlite"
    if breakage == "corrupt":
        store.write_bytes(os.urandom(4096))
    else:
        store.mkdir()
    assert run(["runs", "--store", str(store)]) == 1
    _one_line(capsys)
    good = tmp_path / "run.json"
    good.write_text(json.dumps(valid_run()))
    assert run(["import", str(good), "--store", str(store)]) == 1
    _one_line(capsys)


def test_control_characters_in_input_are_escaped(capsys):
    assert run(["recommend", "--reference-gpu", "\x1b[2J\x1b]0;PWNED\x07\nsecond line", "--reference-hours", "2"]) == 2
    err = _one_line(capsys)
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_the_console_script_and_python_m_agree(tmp_path):
    """`advisor` (pyproject's console script, as installed) and `python -m advisor` give the same one line."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    python_m = subprocess.run([sys.executable, "-m", "advisor", "serve", "--port", "70000"], env=env,
                              capture_output=True, text=True, timeout=60)
    script = subprocess.run([sys.executable, "-c", "from advisor.cli import main; main()", "serve", "--port", "70000"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert python_m.returncode == script.returncode == 2
    assert python_m.stderr == script.stderr and python_m.stderr.count("\n") == 1


def test_D6_a_stored_name_with_terminal_escapes_is_never_printed_raw(capsys, tmp_path):
    """The probe: `advisor runs` printed a stored device name raw (set the terminal title, cleared the screen, forged
    a row with a newline). Whether the run is refused at import (control characters in names) or stored, nothing
    the CLI prints may hold an escape or a line break from it."""
    run_file = tmp_path / "evil.json"
    record = valid_run()
    record["device"]["name"] = "\x1b]0;PWNED\x07\x1b[2J\x1b[31mEVIL\nforged row"
    run_file.write_text(json.dumps(record))
    store = tmp_path / "runs.sqlite"
    imported = run(["import", str(run_file), "--store", str(store)])
    captured = capsys.readouterr()
    assert imported in (0, 2)
    assert run(["runs", "--store", str(store)]) == 0
    out = capsys.readouterr().out + captured.out + captured.err
    assert "\x1b" not in out and "\x07" not in out and "\nforged row" not in out
