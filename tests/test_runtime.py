import pytest
import torch

from jepa_lab import runtime


def test_seed_everything_reproducible():
    g = runtime.seed_everything(3)
    a = (torch.rand(4, generator=g), torch.rand(4))
    g = runtime.seed_everything(3)
    b = (torch.rand(4, generator=g), torch.rand(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_seed_must_be_non_negative_int():
    with pytest.raises(ValueError):
        runtime.seed_everything(-1)


def test_get_device_cpu_and_unavailable():
    assert runtime.get_device("cpu").type == "cpu"
    assert runtime.get_device().type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            runtime.get_device("cuda")


def test_autocast_is_noop_on_cpu():
    with runtime.autocast("cpu"):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


def test_count_params():
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    assert runtime.count_params(m) == 3 * 4 + 4 + 4 * 2 + 2
    m[0].requires_grad_(False)
    assert runtime.count_params(m, trainable_only=True) == 4 * 2 + 2


def test_timer_and_time_call():
    with runtime.Timer() as t:
        sum(range(1000))
    assert t.seconds >= 0
    assert runtime.time_call(lambda: None, repeats=2) >= 0


def test_num_threads_restores():
    before = torch.get_num_threads()
    with runtime.num_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_describe_mentions_everything():
    line = runtime.describe("fast", 0, "cpu")
    for word in ("mode=fast", "seed=0", "device=cpu", "torch="):
        assert word in line


def test_count_flops_sees_matmuls_and_attention():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    assert runtime.count_flops(lambda: a @ b) == 2 * 8 * 16 * 4
    q = torch.randn(1, 2, 32, 8)  # [B, heads, N, d]: QK^T and AV, 2 * N * N * d each per head
    flops = runtime.count_flops(lambda: torch.nn.functional.scaled_dot_product_attention(q, q, q))
    assert flops == 2 * (2 * 32 * 32 * 8) * 2
