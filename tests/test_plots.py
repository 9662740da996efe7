import pytest
import torch
from matplotlib.figure import Figure

from jepa_lab import plots
from jepa_lab.datasets import pendulum


def _ax():
    return Figure().subplots()


def test_probe_bars_show_the_accuracies_in_order_with_chance():
    acc = {"context encoder": 0.66, "random init": 0.29, "raw pixels": 0.24}
    ax = plots.plot_probe_bars(acc, chance=0.1, ax=_ax())
    assert [b.get_width() for b in ax.patches] == pytest.approx(list(acc.values()))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(acc)
    assert ax.yaxis_inverted() and ax.lines[0].get_xdata()[0] == 0.1


def test_probe_groups_one_bar_per_encoder_and_label():
    results = {"a": {"direction": 0.4, "shape": 0.3}, "b": {"direction": 0.2, "shape": 0.6}}
    ax = plots.plot_probe_groups(results, ["direction", "shape"], ax=_ax())
    assert [b.get_height() for b in ax.patches] == pytest.approx([0.4, 0.3, 0.2, 0.6])


def test_energy_of_the_exact_pendulum_stays_at_one_and_is_drawn_black():
    x = pendulum.simulate(torch.tensor([1.0]), torch.tensor([0.5]), 200, 0.05)[0].float()  # [200, 2]
    ax = plots.plot_energy({"exact": x, "model": x * 1.01}, 0.05, ax=_ax())
    exact, model = ax.lines
    assert abs(exact.get_ydata() - 1).max() < 1e-5 and exact.get_color() == "k"
    assert exact.get_xdata()[-1] == pytest.approx(199 * 0.05)
    assert abs(model.get_ydata()[0] - 1) < 1e-6  # normalised by its own start
    phase = plots.plot_phase_portrait({"exact": x}, ax=_ax())
    assert phase.lines[0].get_xydata() == pytest.approx(x.numpy())


def test_ball_rollout_draws_the_box_with_y_down():
    true = torch.rand(11, 4)
    pred = torch.rand(10, 4)
    ax = plots.plot_ball_rollout(true, pred, ax=_ax(), title="t", legend=False)
    assert ax.get_ylim() == (1, 0) and ax.get_xlim() == (0, 1) and ax.get_legend() is None
    assert ax.lines[1].get_xydata() == pytest.approx(pred[:, :2].numpy())


def _monitor_run(values):
    return {"history": {"monitor": [{"step": i, "feature_std": v, "mean_cosine": 1 - v} for i, v in enumerate(values)]}}


def test_monitor_legends_cover_no_curve():
    runs = {f"run {i}": _monitor_run([0.1 / (i + 1), 0.05 / (i + 1)]) for i in range(7)}
    ax = plots.plot_monitor(runs, "feature_std", ax=_ax(), reference=0.01)
    legend = ax.get_legend()
    assert len(legend.get_texts()) == 8 and legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1  # outside
    assert plots.plot_monitor(runs, ax=_ax(), legend=False).get_legend() is None
    few = plots.plot_monitor({"I-JEPA": _monitor_run([0.1, 0.01])}, ax=_ax(), reference=0.01).get_legend()
    assert few._loc == 0  # two entries: the best place inside ('best' is code 0)


def test_spectra_leave_out_numerical_zeros_and_say_so():
    s = [0.5, 0.3, 0.2 - 1e-8, 1e-8]  # the last component of centred features: a numerical zero
    ax = plots.plot_spectra({"run": s}, ax=_ax())
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3] and min(ax.lines[0].get_ydata()) > 1e-6 * s[0]
    assert "not drawn" in ax.get_xlabel() and ax.get_ylim()[0] > 1e-4


def test_tables_render_as_markdown_and_as_aligned_text():
    t = plots.Table(["variant", "probe"], [["I-JEPA", "0.229"], ["a | b", "0.4"]], align="lr")
    md = t._repr_markdown_().splitlines()
    assert md[:2] == ["| variant | probe |", "|:---|---:|"] and md[3] == "| a \\| b | 0.4 |"
    assert str(t).splitlines()[2:] == ["I-JEPA   0.229", "a | b      0.4"]  # numbers right-aligned
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        plots.Table(["a", "b"], [["1"]])
    results = {"runs": {"I-JEPA": {"probe": 0.2, "final": {"feature_std": 0.001, "effective_rank": 3.0, "width": 8}}},
               "random init": {"probe": 0.1, "feature_std": 0.01, "effective_rank": 4.0, "width": 8}}
    rows = plots.collapse_table(results).rows
    assert rows[0][:3] == ["I-JEPA", "EMA target, stop-gradient, narrow predictor", "0.200"]
    assert rows[-1][0] == "random init" and rows[-1][-1] == "4.0 / 8"
