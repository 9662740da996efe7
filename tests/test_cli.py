"""Issue 16, command-line side: ``python -m jepa_lab.train`` checks before it trains, never touches the
shipped files unless asked, saves periodically and on signals, and resumes only what it can."""

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from jepa_lab import artifacts, config, tasks, train
from jepa_lab.train.__main__ import main, parse_overrides, run

FAST = ["ijepa", "--mode", "fast"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output, runs/, lands here


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: these faults must be found before."""
    def fit(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(train, "fit", fit)


def test_bad_flags_are_refused_before_training(no_training, tmp_path):
    for argv, match in ((["--steps", "0"], "--steps must be at least 1"),
                        (["--set", "mode=full"], "mode comes from --mode"),
                        (["--set", "num_heads=0"], "num_heads must be a whole number of at least 1"),
                        (["--set", "steps=0"], "steps must be at least 1"),
                        (["--out", "out/model.json"], "cannot be called model.json"),
                        (["--out", str(tmp_path)], "is an existing directory"),
                        (["--save-minutes", "-1"], "must not be negative")):
        with pytest.raises(ValueError, match=match):
            main(FAST + argv)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="afile is a file, not a folder"):
        main(FAST + ["--out", str(tmp_path / "afile" / "m.pt")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing written, no out/ made


def test_a_read_only_output_folder_is_refused_before_training(no_training, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    if os.access(ro, os.W_OK):  # root writes in read-only folders; /proc/sys refuses even root
        ro = Path("/proc/sys")
        if not ro.is_dir() or os.access(ro, os.W_OK):
            pytest.skip("no folder here that this user cannot write in")
    with pytest.raises(ValueError, match=f"cannot write {ro}/m.pt: no permission to write in {ro}"):
        main(FAST + ["--out", str(ro / "m.pt")])


def test_the_shell_gets_one_line_not_a_traceback(no_training, capsys):
    assert run(FAST + ["--out", "m.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m jepa_lab.train: error: a checkpoint cannot be called m.json")
    assert "Traceback" not in err


def test_shipped_files_are_written_only_with_ship(no_training):
    shipped = artifacts.CHECKPOINTS / "ijepa_shapes_cpu.pt"
    before = shipped.stat().st_mtime_ns
    for argv in (["--mode", "cpu", "--out", str(shipped)], ["--mode", "cpu", "--out", str(shipped), "--resume"],
                 ["--mode", "cpu", "--out", str(artifacts.DYNAMICS / "mine.pt")]):
        with pytest.raises(ValueError, match="shipped folder .* only with --ship"):
            main(["ijepa", *argv])
    assert shipped.stat().st_mtime_ns == before


def test_without_out_a_run_goes_to_runs_and_probe_with_ship_is_one_request(tmp_path, capsys):
    assert main(FAST + ["--steps", "2"]) == 0
    out = tmp_path / "runs" / "ijepa_shapes_fast.pt"
    assert out.is_file() and "optimizer" in torch.load(out, weights_only=True)
    assert main(FAST + ["--steps", "2", "--probe", "--ship", "--out", "shipped.pt"]) == 0  # --ship implies --probe
    assert "optimizer" in torch.load("runs/shipped.pt", weights_only=True)  # the run itself, resumable
    state = torch.load("shipped.pt", weights_only=True)
    card = json.loads(state["card"])
    assert "optimizer" not in state and card["probe"]["context encoder"]["probe"] >= 0
    assert card["command"].endswith("--out shipped.pt --ship") and card == artifacts.read_card("shipped.pt")


def test_exploding_learning_rates_stop_the_run_and_write_nothing(tmp_path, capsys):
    """The issue's lr=1e3 and lr=1e37 runs: whether the loss or the saved state goes non-finite first (it
    depends on the machine), the run stops naming the step and nothing is written (the engine's tests pin
    the last-update cases: tests/test_checkpoints.py)."""
    for lr in ("1e3", "1e37"):
        assert run(FAST + ["--steps", "3", "--set", f"lr={lr}", "--out", "a.pt"]) == 1
        err = capsys.readouterr().err
        assert re.search(r"training stopped: (loss became \S+ at step \d|after step 3: )", err), err
        assert list(tmp_path.iterdir()) == []


def test_resume_refuses_a_different_run_naming_the_fields(tmp_path):
    assert main(FAST + ["--steps", "4", "--out", "r.pt"]) == 0
    with pytest.raises(ValueError, match=r"made with steps=4, warmup_steps=4; this run asks steps=2, "
                                         r"warmup_steps=2 \(--allow-new-steps"):
        main(FAST + ["--steps", "2", "--out", "r.pt", "--resume"])
    with pytest.raises(ValueError, match="seed=0; this run asks seed=3"):
        main(FAST + ["--steps", "4", "--set", "seed=3", "--out", "r.pt", "--resume"])
    assert main(FAST + ["--steps", "6", "--out", "r.pt", "--resume", "--allow-new-steps"]) == 0
    card = artifacts.read_card("r.pt")
    assert card["history"]["step"][-1] == 5 and card["resumed"] == [{"at_step": 4, "steps_before": 4, "steps_now": 6}]
    train.update_card("r.pt", {}, drop_optimizer=True)
    with pytest.raises(ValueError, match="no optimizer state"):
        main(FAST + ["--steps", "6", "--out", "r.pt", "--resume"])


def _start(argv, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "jepa_lab.train", *FAST, *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc, seconds=120):
    t0 = time.time()
    while not path.is_file():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < seconds, "no checkpoint appeared"
        time.sleep(0.2)


@pytest.mark.slow
def test_killed_and_interrupted_runs_resume_from_their_last_checkpoint(tmp_path):
    argv = ["--steps", "400", "--save-every", "2", "--out", "k.pt"]
    proc = _start(argv, tmp_path)
    _wait_for(tmp_path / "k.pt", proc)
    proc.send_signal(signal.SIGKILL)  # no chance to save: the periodic checkpoint is what is left
    proc.wait()
    killed_at = torch.load(tmp_path / "k.pt", weights_only=True)["step"]
    assert killed_at >= 2
    (tmp_path / ".k.pt.x1y2z3.tmp").write_bytes(b"what a kill during torch.save leaves")  # cleaned at the next save
    proc = _start(argv + ["--resume"], tmp_path)
    t0 = time.time()
    while torch.load(tmp_path / "k.pt", weights_only=True)["step"] <= killed_at + 2 and time.time() - t0 < 120:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # Ctrl-C: save where it is, exit 130
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "run again with --resume" in err
    state = torch.load(tmp_path / "k.pt", weights_only=True)
    card = json.loads(state["card"])
    assert state["step"] > killed_at and card["resumed"][0]["at_step"] == killed_at
    assert not list(tmp_path.glob(".k.pt.*.tmp"))


@pytest.fixture
def fake_data(tmp_path, monkeypatch):
    """A course data/ folder in tmp_path (with its checksums.json) where the ijepa task ships."""
    data = tmp_path / "data"
    monkeypatch.setattr(artifacts, "DATA", data)
    monkeypatch.setattr(artifacts, "CHECKSUMS", data / "checksums.json")
    monkeypatch.setattr(artifacts, "SHIPPED_FOLDERS", (data / "checkpoints",))
    monkeypatch.setitem(tasks.TASKS, "ijepa", dataclasses.replace(tasks.TASKS["ijepa"], folder=data / "checkpoints"))
    return data / "checkpoints" / "ijepa_shapes_fast.pt"


def test_ship_reaches_data_only_finished_probed_and_checksummed(fake_data, tmp_path, monkeypatch, capsys):
    ijepa = tasks.TASKS["ijepa"]

    def crash(model, preset):
        raise RuntimeError("probe crashed")

    monkeypatch.setitem(tasks.TASKS, "ijepa", dataclasses.replace(ijepa, report=crash))
    with pytest.raises(RuntimeError, match="probe crashed"):
        main(FAST + ["--steps", "3", "--save-every", "1", "--ship"])
    run_file = tmp_path / "runs" / "ijepa_shapes_fast.pt"
    assert torch.load(run_file, weights_only=True)["step"] == 3 and not fake_data.parent.exists()
    monkeypatch.setitem(tasks.TASKS, "ijepa", ijepa)
    assert main(FAST + ["--steps", "3", "--ship", "--resume"]) == 0  # finishes the job: probe, then ship
    assert "already complete (step 3 of 3): not rewritten" in capsys.readouterr().out
    shipped = torch.load(fake_data, weights_only=True)
    assert "optimizer" not in shipped and "optimizer" in torch.load(run_file, weights_only=True)
    card = artifacts.read_card(fake_data)
    assert "probe" in card and card["command"].endswith("--ship")
    recorded = json.loads(artifacts.CHECKSUMS.read_text())
    assert recorded == {"checkpoints/ijepa_shapes_fast.pt": card["sha256"]}
    preset = config.for_notebook("04", mode="fast", steps=3)
    assert tasks.fit_or_load("ijepa", preset)[1]["integrity"] == "sha256 verified"


def test_a_replaced_shipped_file_with_its_own_checksum_is_refused(fake_data, tmp_path, capsys):
    assert main(FAST + ["--steps", "2", "--ship"]) == 0
    other = tmp_path / "other.pt"
    model = tasks.ijepa.jepa_model(config.for_notebook("04", mode="fast", steps=2))
    train.save_checkpoint(other, model, None, 2, {**artifacts.read_card(fake_data), "sha256": "x"})
    fake_data.write_bytes(other.read_bytes())  # untrained weights whose card carries their own, valid checksum
    with pytest.raises(train.CheckpointError, match="checksum mismatch.*recorded in data/checksums.json"):
        train.load_checkpoint(fake_data, model)
    train.load_checkpoint(other, model)  # outside data/ the card's checksum is the reference


def test_an_existing_run_is_neither_overwritten_nor_resumed_unless_asked(tmp_path):
    assert main(FAST + ["--steps", "2"]) == 0
    out = tmp_path / "runs" / "ijepa_shapes_fast.pt"
    before = out.stat().st_mtime_ns
    with pytest.raises(ValueError, match=r"ijepa_shapes_fast.pt already exists \(a checkpoint at step 2\): "
                                         r"--resume continues it, --overwrite starts again"):
        main(FAST + ["--steps", "2"])
    assert out.stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="choose one"):
        main(FAST + ["--steps", "2", "--resume", "--overwrite"])
    assert main(FAST + ["--steps", "3", "--overwrite"]) == 0
    assert torch.load(out, weights_only=True)["step"] == 3


def test_set_parses_tuples_with_their_element_type():
    dyn = config.for_notebook("07", mode="fast")
    assert parse_overrides(dyn, ["horizons=1,2"]) == {"horizons": (1, 2)}
    assert parse_overrides(dyn, ["feature_masks=none"]) == {"feature_masks": ("none",)}
    assert parse_overrides(config.for_notebook("05", mode="fast"), ["speeds=0.5,1"]) == {"speeds": (0.5, 1.0)}
    with pytest.raises(ValueError, match=r"--set horizons: '1,x' is not a comma-separated list of int"):
        parse_overrides(dyn, ["horizons=1,x"])
