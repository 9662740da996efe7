import json

import pytest

from jepa_lab import config, tasks, widgets
from jepa_lab.tasks import collapse


@pytest.fixture(scope="module")
def tiny():
    return config.for_notebook("06", mode="fast").replace(steps=6, monitor_every=3, monitor_images=32,
                                                          probe_train=60, probe_test=40, sweep=(0.0, 1.0))


def test_variants_are_one_change_each(tiny):
    assert collapse.options(tiny, "wide predictor")["predictor_dim"] == tiny.embed_dim
    assert collapse.options(tiny, "SIGReg, no EMA")["sigreg_weight"] == tiny.sigreg_weight
    assert collapse.options(tiny, "C-JEPA") == {}
    assert collapse.options(tiny, "I-JEPA") == {"var_weight": 0.0, "cov_weight": 0.0}
    with pytest.raises(ValueError, match="choose one of I-JEPA"):
        collapse.options(tiny, "BYOL")


@pytest.mark.slow
def test_run_all_and_fit_or_load(tiny, tmp_path, capsys):
    result = collapse.run_all(tiny)
    assert list(result["runs"]) == list(collapse.VARIANTS) and len(result["sweep"]) == 4
    r = result["runs"]["no stop-gradient"]
    assert [m["step"] for m in r["history"]["monitor"]] == [0, 3, 6]
    assert 0 <= r["probe"] <= 1 and len(r["spectrum"]) == min(tiny.embed_dim, tiny.monitor_images)
    ema_one = [x for x in result["sweep"] if x["target"] == "EMA" and x["var_weight"] == 1.0][0]
    assert ema_one["variant"] == "C-JEPA" and ema_one["options"]["cov_weight"] == pytest.approx(1.0 / 25)
    path = tmp_path / "collapse_fast.json"
    path.write_text(json.dumps(result))
    loaded, _ = tasks.fit_or_load("collapse", tiny, directory=tmp_path)
    assert loaded == json.loads(json.dumps(result))  # the file, not a re-run
    rerun, _ = tasks.fit_or_load("collapse", tiny.replace(steps=5), directory=tmp_path)
    assert "not using collapse_fast.json" in capsys.readouterr().out
    assert rerun["preset"]["steps"] == 5
    dial = widgets.collapse_explorer(loaded)
    assert dial.params == {"target": "EMA", "vicreg": 0.0}
    dial.update(target="momentum 0", vicreg=0.8)  # snaps to the nearest swept weight
    assert dial.params == {"target": "momentum 0", "vicreg": 1.0}
    assert dial.figure._suptitle.get_text().startswith("momentum 0, VICReg variance weight 1: probe")
