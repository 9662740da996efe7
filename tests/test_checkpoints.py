"""Issue 16, engine side: what a damaged, foreign or non-finite checkpoint does, resume checks, atomic writes."""

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from helpers import tiny_batch, tiny_jepa

from jepa_lab import artifacts, config, tasks, train


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.pt"
    train.save_checkpoint(path, tiny_jepa(), None, 1, {"model": "JEPA"})
    return path


def _refused(path, match):
    with pytest.raises(train.CheckpointError, match=match) as err:
        train.load_checkpoint(path, tiny_jepa())
    assert str(path) in str(err.value) or path.name in str(err.value)
    assert "weights_only" not in str(err.value) and err.value.__cause__ is None  # no unsafe advice, chained or not
    return err.value


def test_damaged_files_are_named_and_explained(saved, tmp_path):
    data = saved.read_bytes()
    (tmp_path / "empty.pt").write_bytes(b"")
    _refused(tmp_path / "empty.pt", "is empty")
    (tmp_path / "half.pt").write_bytes(data[: len(data) // 2])
    _refused(tmp_path / "half.pt", "is truncated")
    (tmp_path / "text.pt").write_text('{"model": 1}')
    _refused(tmp_path / "text.pt", "is not a checkpoint")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    _refused(tmp_path / "list.pt", "is not a jepa_lab checkpoint")
    _refused(tmp_path / "none.pt", "no checkpoint at")
    _refused(tmp_path, "is a directory")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this-should-never-run",))


def test_a_pickle_with_code_is_refused_without_the_unsafe_advice(tmp_path, capfd):
    torch.save({"model": {}, "step": 1, "card": "{}", "x": Evil()}, tmp_path / "evil.pt")
    _refused(tmp_path / "evil.pt", "Python objects other than tensors")
    assert "this-should-never-run" not in capfd.readouterr().out


def test_flipped_bytes_in_a_tensor_are_caught_by_the_checksum(saved):
    weight = torch.load(saved, weights_only=True)["model"]["context_encoder.blocks.0.attn.qkv.weight"]
    data = bytearray(saved.read_bytes())
    at = bytes(data).index(weight.numpy().tobytes()) + 101
    data[at] ^= 0x7F  # one byte inside the tensor's data: torch itself loads this silently
    saved.write_bytes(bytes(data))
    assert not torch.equal(torch.load(saved, weights_only=True)["model"]["context_encoder.blocks.0.attn.qkv.weight"],
                           weight)
    _refused(saved, "checksum mismatch")


def test_checksums_are_stored_verified_and_reported(saved):
    card = json.loads(artifacts.card_path(saved).read_text())
    assert card["sha256"] == artifacts.tensor_checksum(tiny_jepa().state_dict())
    assert train.load_checkpoint(saved, tiny_jepa())["integrity"] == "sha256 verified"
    # shipped files older than checksums in cards: verified against data/checksums.json
    loaded = tasks.get("vjepa").load(tasks.get("vjepa").path("cpu", "perframe"),
                                     config.for_notebook("05", mode="cpu").replace(mask="per_frame"))[1]
    assert "sha256" not in loaded and loaded["integrity"] == "sha256 verified"


def test_a_damaged_file_falls_back_to_training_with_the_reason(tmp_path, capsys):
    preset = config.for_notebook("04", mode="fast", steps=1)
    tasks.get("ijepa").path("fast", directory=tmp_path).write_bytes(b"")
    _, card = tasks.fit_or_load("ijepa", preset, directory=tmp_path, progress=False)
    assert card["step"] == 1 and "command" not in card  # trained here
    assert "not using ijepa_shapes_fast.pt:" in capsys.readouterr().out
    fields = tmp_path / "mlp_fast.pt"
    fields.write_bytes(b"PK\x03\x04 not really")
    p8 = config.for_notebook("08", mode="fast").replace(field_steps=2, field_trajectories=2, field_hidden=8)
    _, card = tasks.fit_or_load("field", p8, "MLP", directory=tmp_path)
    assert "losses" in card and "mlp_fast.pt is damaged" in capsys.readouterr().out


def test_a_non_finite_state_is_never_written(tmp_path):
    model = tiny_jepa()
    with torch.no_grad():
        model.predictor.blocks[0].mlp[0].weight[0, 0] = math.inf
    with pytest.raises(train.CheckpointError, match=r"'predictor.blocks.0.mlp.0.weight' is not finite \(1 "):
        train.save_checkpoint(tmp_path / "x.pt", model, None, 7, {})
    assert list(tmp_path.iterdir()) == []



def _last_update_does(model, change, steps=3):
    """Make the last step's update end with ``change(model)`` (finite losses throughout, as with lr=1e3)."""
    update, calls = model.ema_update, []

    def ema_update(momentum):
        update(momentum)
        calls.append(momentum)
        if len(calls) == steps:
            with torch.no_grad():
                change(model)

    model.ema_update = ema_update
    return model


def test_a_diverged_last_update_is_never_written(tmp_path):
    model = _last_update_does(tiny_jepa(), lambda m: m.target_encoder.norm.weight.fill_(math.inf))
    with pytest.raises(train.TrainingDiverged, match="after step 3: parameter 'target_encoder.norm.weight' is not"):
        train.fit(model, tiny_batch, train.TrainConfig(steps=3), checkpoint=tmp_path / "y.pt")
    assert list(tmp_path.iterdir()) == []


def test_huge_finite_weights_are_caught_by_the_next_batch(tmp_path):
    model = _last_update_does(tiny_jepa(), lambda m: [p.mul_(1e37) for p in m.context_encoder.parameters()])
    with pytest.raises(train.TrainingDiverged, match="after step 3: the weights give a loss of"):
        train.fit(model, tiny_batch, train.TrainConfig(steps=3), checkpoint=tmp_path / "z.pt")
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_are_removed_and_an_interrupted_write_leaves_none(tmp_path, monkeypatch):
    stale = tmp_path / ".m.pt.abc123.tmp"
    stale.write_bytes(b"half a checkpoint from a killed run")
    other = tmp_path / ".other.pt.abc123.tmp"
    other.write_bytes(b"not ours")
    train.save_checkpoint(tmp_path / "m.pt", tiny_jepa(), None, 1, {})
    assert not stale.exists() and other.exists()

    def interrupted(obj, f, *a, **k):
        open(f, "wb").write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.save_checkpoint(tmp_path / "m.pt", tiny_jepa(), None, 2, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.abc123.tmp", "m.json", "m.pt"]
    assert torch.load(tmp_path / "m.pt", weights_only=True)["step"] == 1  # the old checkpoint, intact


def test_a_card_never_shares_the_checkpoint_path(tmp_path):
    with pytest.raises(ValueError, match="cannot be called model.json"):
        train.save_checkpoint(tmp_path / "model.json", tiny_jepa(), None, 1, {})
    assert list(tmp_path.iterdir()) == []


def test_resume_refuses_other_settings_naming_them(tmp_path):
    ckpt = tmp_path / "run.pt"
    cfg = train.TrainConfig(steps=6, lr=1e-3, seed=0)
    train.fit(tiny_jepa(), tiny_batch, cfg, checkpoint=ckpt, until=4, card={"preset": {"steps": 6, "seed": 0}})
    for changes, named in (({"seed": 1}, "seed=0; this run asks seed=1"), ({"lr": 2e-3}, "lr=0.001"),
                           ({"steps": 3}, "steps=6"), ({"steps": 9}, "--allow-new-steps")):
        with pytest.raises(train.CheckpointError, match=named):
            train.fit(tiny_jepa(), tiny_batch, train.TrainConfig(**{**vars(cfg), **changes}), checkpoint=ckpt,
                      resume=True, card={"preset": {"steps": 6, "seed": 0}})
    with pytest.raises(train.CheckpointError, match="already at step 4, past this run's 3"):
        train.fit(tiny_jepa(), tiny_batch, train.TrainConfig(steps=3, lr=1e-3), checkpoint=ckpt, resume=True,
                  allow_new_steps=True, card={"preset": {"steps": 6, "seed": 0}})
    longer = train.TrainConfig(steps=8, lr=1e-3)
    hist = train.fit(tiny_jepa(), tiny_batch, longer, checkpoint=ckpt, resume=True, allow_new_steps=True,
                     card={"preset": {"steps": 6, "seed": 0}})
    assert hist["step"][-1] == 7
    card = artifacts.read_card(ckpt)
    assert card["resumed"] == [{"at_step": 4, "steps_before": 6, "steps_now": 8}]
    train.update_card(ckpt, {}, drop_optimizer=True)  # as shipped: for loading only
    with pytest.raises(train.CheckpointError, match="no optimizer state"):
        train.fit(tiny_jepa(), tiny_batch, longer, checkpoint=ckpt, resume=True,
                  card={"preset": {"steps": 6, "seed": 0}})


def test_periodic_and_on_signal_checkpoints_resume_exactly(tmp_path):
    cfg = train.TrainConfig(steps=6, lr=1e-3, log_every=1)
    straight = tiny_jepa()
    train.fit(straight, tiny_batch, cfg)
    ckpt = tmp_path / "run.pt"

    def sigterm_at_3(step, g):
        if step == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return tiny_batch(step, g)

    with train.stop_on_signals() as asked, pytest.raises(train.TrainingInterrupted, match="after step 4 of 6") as e:
        train.fit(tiny_jepa(), sigterm_at_3, cfg, checkpoint=ckpt, save_every=2, stop_requested=asked)
    assert e.value.step == 4 and torch.load(ckpt, weights_only=True)["step"] == 4
    resumed = tiny_jepa()
    assert train.fit(resumed, tiny_batch, cfg, checkpoint=ckpt, resume=True)["step"] == list(range(6))
    assert all(torch.equal(a, b) for a, b in zip(straight.parameters(), resumed.parameters(), strict=True))
    saves = []
    monkey = train.loop.save_checkpoint
    try:
        train.loop.save_checkpoint = lambda path, m, o, step, card: saves.append(step)
        train.fit(tiny_jepa(), tiny_batch, cfg, checkpoint=ckpt, save_every=2)
    finally:
        train.loop.save_checkpoint = monkey
    assert saves == [2, 4, 6]


def test_only_dead_or_old_writers_temporaries_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    live = tmp_path / f".m.pt.{os.getpid()}.abc.tmp"  # a concurrent writer, still writing
    gone = tmp_path / f".m.pt.{dead}.abc.tmp"
    old = tmp_path / f".m.pt.{os.getpid()}.old.tmp"
    for p in (live, gone, old):
        p.write_bytes(b"partial")
    os.utime(old, (time.time() - 2 * artifacts.STALE_SECONDS,) * 2)
    assert artifacts.remove_stale_temporaries(tmp_path / "m.pt") == sorted([gone, old])
    assert live.exists()


def test_atomic_writes_are_flushed_and_a_failed_periodic_save_only_warns(tmp_path, monkeypatch, capsys):
    synced = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or fsync(fd))
    artifacts.write_text(tmp_path / "a.txt", "x")
    assert len(synced) == 2  # the file before the rename, the folder after it
    real, calls = train.loop.save_checkpoint, []

    def disk_full_at_first(path, *a):
        calls.append(a[2])
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real(path, *a)

    monkeypatch.setattr(train.loop, "save_checkpoint", disk_full_at_first)
    train.fit(tiny_jepa(), tiny_batch, train.TrainConfig(steps=4), checkpoint=tmp_path / "p.pt", save_every=2)
    assert calls == [2, 4] and "warning: could not save" in capsys.readouterr().err
    assert torch.load(tmp_path / "p.pt", weights_only=True)["step"] == 4
    monkeypatch.setattr(train.loop, "save_checkpoint", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):  # the final save still raises
        train.fit(tiny_jepa(), tiny_batch, train.TrainConfig(steps=2), checkpoint=tmp_path / "q.pt")


def test_an_unfinished_or_malformed_checkpoint_falls_back_naming_why(tmp_path, capsys):
    preset = config.for_notebook("04", mode="fast", steps=3)
    model, batch_fn, cfg = tasks.ijepa.build(preset)
    path = tasks.get("ijepa").path("fast", directory=tmp_path)
    train.fit(model, batch_fn, cfg, checkpoint=path, until=2, card={"preset": preset.as_dict()})
    _, card = tasks.fit_or_load("ijepa", preset, directory=tmp_path, progress=False)
    assert "command" not in card  # trained here
    assert "unfinished: step 2 of its configured 3 steps" in capsys.readouterr().out
    _, card = tasks.fit_or_load("ijepa", preset.replace(steps=2), directory=tmp_path, progress=False)
    out = capsys.readouterr().out  # the preset differs in steps only: only steps is named
    assert "made with another preset (steps=3); this run needs steps=2" in out and "image_size" not in out
    p8 = config.for_notebook("08", mode="fast").replace(field_steps=2, field_trajectories=2, field_hidden=8)
    field = tasks.get("field")
    train.save_checkpoint(field.path("fast", "MLP", tmp_path), field.fit(p8, "MLP")[0], None, 2,
                          {"model_name": "MLP"})  # a card without its preset
    tasks.fit_or_load("field", p8, "MLP", directory=tmp_path)
    assert "mlp_fast.pt has a malformed card (no preset)" in capsys.readouterr().out

    def buggy(*a):
        raise KeyError("a bug, not a bad file")

    with pytest.raises(KeyError, match="a bug"):  # bugs are not swallowed as "bad files"
        artifacts.fit_or_load(dataclasses.replace(tasks.get("ijepa"), load=buggy), preset, directory=tmp_path)


def test_resume_reads_the_file_once_and_leaves_a_finished_run_as_it_is(tmp_path, monkeypatch, capsys):
    ckpt = tmp_path / "run.pt"
    cfg = train.TrainConfig(steps=3)
    train.fit(tiny_jepa(), tiny_batch, cfg, checkpoint=ckpt, until=2)
    loads, load = [], torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(a) or load(*a, **k))
    train.fit(tiny_jepa(), tiny_batch, cfg, checkpoint=ckpt, resume=True)
    assert len(loads) == 1
    before = ckpt.stat().st_mtime_ns, artifacts.card_path(ckpt).stat().st_mtime_ns
    train.fit(tiny_jepa(), tiny_batch, cfg, checkpoint=ckpt, resume=True)
    assert (ckpt.stat().st_mtime_ns, artifacts.card_path(ckpt).stat().st_mtime_ns) == before
    assert "run.pt is already complete (step 3 of 3): not rewritten" in capsys.readouterr().out


def test_check_fit_names_what_differs_and_ignores_the_rest():
    card = {"preset": {"steps": 2, "lr": [0.1, 0.2], "rollout": 5}}
    train.check_fit("f.pt", card, {"steps": 2, "lr": (0.1, 0.2)})  # tuples match a card's lists; rollout ignored
    with pytest.raises(train.CheckpointError, match=r"fitted with steps=2; this preset has steps=3; refit it"):
        train.check_fit("f.pt", card, {"steps": 3, "lr": (0.1, 0.2)}, "refit it")
    with pytest.raises(train.CheckpointError, match=r"f.pt has a malformed card \(no preset\)"):
        train.check_fit("runs/f.pt", {"preset": None}, {"steps": 2})
