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
