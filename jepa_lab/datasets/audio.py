"""Synthetic sounds a listener would recognise, and their log-mel spectrograms (computed with ``torch.stft``).

Nine classes (``SOUND_CLASSES``) with a random pitch, onset, length and loudness over a faint noise floor.
Five of them differ only in how the pitch *moves* (a steady tone, chirps up and down, a vibrato that wobbles
a few times a second, a siren that rises and falls): which frequencies sound is not enough to tell them
apart, their shape over time is.
Spectrograms are ``[n, 1, n_mels, frames]``: one channel, frequency bands as rows (low first), time as
columns, so the course's patch embedding cuts them into time-frequency patches.

torchaudio is not used: it does not install beside the pinned torch CPU build, and ``torch.stft`` plus a
mel filterbank of a few lines is all a log-mel spectrogram needs.

Introduced in notebook 10.
"""

from __future__ import annotations

import math

import torch

SOUND_CLASSES = ("tone", "chirp up", "chirp down", "harmonic stack", "clicks", "noise burst", "beeps", "vibrato",
                 "siren")
SAMPLE_RATE = 8000
N_FFT = 256
LOG_MEAN, LOG_STD = -8.0, 2.8  # log-mel level of this dataset, to standardise spectrograms to about N(0, 1)


def num_samples(frames: int, hop: int, n_fft: int = N_FFT) -> int:
    """Waveform length that ``torch.stft`` (no centring) cuts into exactly ``frames`` frames."""
    return hop * (frames - 1) + n_fft


def mel_filterbank(n_mels: int, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Triangular filters ``[n_mels, n_fft // 2 + 1]``, equally spaced on the mel scale from 0 Hz to Nyquist."""
    if n_mels < 1 or n_fft < 2 * n_mels:
        raise ValueError(f"need 1 <= n_mels <= n_fft / 2, got n_mels={n_mels}, n_fft={n_fft}")
    mel = torch.linspace(0, 2595 * math.log10(1 + sample_rate / 2 / 700), n_mels + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)  # [n_mels + 2] edges
    bins = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1)  # [F]
    lo, mid, hi = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    up, down = (bins - lo) / (mid - lo), (hi - bins) / (hi - mid)
    return torch.clamp(torch.minimum(up, down), min=0)


def log_mel(waves: torch.Tensor, n_mels: int = 32, hop: int = 125, n_fft: int = N_FFT,
            sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Standardised log-mel spectrograms of waveforms ``[n, L]`` -> ``[n, 1, n_mels, frames]`` (low bands first).

    Introduced in notebook 10.
    """
    if waves.ndim != 2:
        raise ValueError(f"waves must be [n, L], got {tuple(waves.shape)}")
    window = torch.hann_window(n_fft)
    spec = torch.stft(waves, n_fft, hop_length=hop, window=window, center=False, return_complex=True)
    power = spec.abs().pow(2) / window.pow(2).sum()  # [n, F, frames]
    mel = torch.einsum("mf,nft->nmt", mel_filterbank(n_mels, n_fft, sample_rate), power)
    return ((torch.log(mel + 1e-6) - LOG_MEAN) / LOG_STD)[:, None]


def _envelope(t: torch.Tensor, onset: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """A smooth on/off window ``[n, L]``: 10 ms ramps at both ends of ``[onset, onset + length]``."""
    ramp = 0.01
    rise = ((t - onset[:, None]) / ramp).clamp(0, 1)
    fall = ((onset[:, None] + length[:, None] - t) / ramp).clamp(0, 1)
    return rise * fall


def synthesise(label: torch.Tensor, n_samples: int, g: torch.Generator,
               sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Waveforms ``[n, L]`` of the classes ``label [n]`` (indices into ``SOUND_CLASSES``), peak about 1."""
    n = len(label)
    t = torch.arange(n_samples, dtype=torch.float32)[None] / sample_rate  # [1, L]
    dur = n_samples / sample_rate
    length = dur * (0.35 + 0.4 * torch.rand(n, generator=g))
    onset = (dur - length) * torch.rand(n, generator=g)
    f0 = 250 * 5 ** torch.rand(n, generator=g)  # 250 .. 1250 Hz, log-uniform
    ratio = 2 + torch.rand(n, generator=g)  # chirps sweep over one to one and a half octaves
    phase0 = 2 * math.pi * torch.rand(n, 1, generator=g)
    tau = (t - onset[:, None]).clamp(min=0)  # time since onset
    env = _envelope(t, onset, length)
    out = torch.zeros(n, n_samples)

    def put(k: int, wave: torch.Tensor) -> None:
        sel = label == k
        out[sel] = wave[sel]

    put(0, torch.sin(2 * math.pi * f0[:, None] * tau + phase0) * env)
    for k, (a, b) in ((1, (1.0, ratio)), (2, (ratio, 1.0))):  # exponential sweeps a*f0 -> b*f0 over the event
        start = f0 * (a if isinstance(a, float) else a)
        rate = torch.log(torch.as_tensor(b) / torch.as_tensor(a)).expand(n) / length  # d log f / dt
        phase = 2 * math.pi * start[:, None] * (torch.exp(rate[:, None] * tau) - 1) / rate[:, None]
        put(k, torch.sin(phase + phase0) * env)
    stack = sum(torch.sin(2 * math.pi * h * (f0[:, None] / 1.6) * tau + h * phase0) / h for h in range(1, 5))
    put(3, stack / 1.5 * env)
    rate = 8 + 12 * torch.rand(n, 1, generator=g)  # clicks per second
    clicks = ((tau * rate) % 1 < 0.004 * rate).float() * torch.sign(torch.randn(n, n_samples, generator=g))
    put(4, clicks * env)
    put(5, torch.randn(n, n_samples, generator=g) * 0.5 * env)
    gap = length / 3
    beeps = _envelope(t, onset, gap) + _envelope(t, onset + 2 * gap, gap)
    put(6, torch.sin(2 * math.pi * f0[:, None] * tau + phase0) * beeps)
    wobbles = 4 + 4 * torch.rand(n, 1, generator=g)  # vibrato: f0 * (1 + depth * sin(2 pi wobbles tau))
    depth = 0.15 + 0.1 * torch.rand(n, 1, generator=g)
    turn = 2 * math.pi * wobbles
    put(7, torch.sin(2 * math.pi * f0[:, None] * (tau - depth / turn * (torch.cos(turn * tau) - 1)) + phase0) * env)
    up = (tau / length[:, None]).clamp(0, 1)  # siren: log f rises to ratio * f0 mid-event and falls back
    pitch = f0[:, None] * torch.exp(torch.log(ratio)[:, None] * (1 - (2 * up - 1).abs()))
    put(8, torch.sin(2 * math.pi * torch.cumsum(pitch, 1) / sample_rate + phase0) * env)
    return out


def make_sounds(n: int, seed: int = 0, *, n_mels: int = 32, frames: int = 32, hop: int = 125,
                loudness_db: tuple[float, float] = (-20.0, 0.0), noise_db: float = -45.0,
                waves: bool = False) -> tuple[torch.Tensor, ...]:
    """``n`` labelled sounds (classes balanced) as log-mel spectrograms.

    Args:
        n: number of sounds.
        seed: same seed, same sounds.
        n_mels, frames, hop: spectrogram size (``frames`` of ``hop`` samples at 8 kHz; 32 x 125 = 0.5 s).
        loudness_db: range of each sound's level (dB, 0 = full scale).
        noise_db: level of the white noise floor under every sound.
        waves: also return the waveforms ``[n, L]``.
    Returns:
        spectrograms ``[n, 1, n_mels, frames]``, labels ``[n]`` int64 (indices into ``SOUND_CLASSES``)
        (and the waveforms when ``waves``).

    Introduced in notebook 10.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if frames < 2 or hop < 1:
        raise ValueError(f"need frames >= 2 and hop >= 1, got frames={frames}, hop={hop}")
    if loudness_db[0] > loudness_db[1]:
        raise ValueError(f"loudness_db must be (low, high) with low <= high, got {loudness_db}")
    g = torch.Generator().manual_seed(seed)
    label = (torch.arange(n) % len(SOUND_CLASSES))[torch.randperm(n, generator=g)]
    length = num_samples(frames, hop)
    x = synthesise(label, length, g)
    gain_db = loudness_db[0] + (loudness_db[1] - loudness_db[0]) * torch.rand(n, 1, generator=g)
    x = x * 10 ** (gain_db / 20) + 10 ** (noise_db / 20) * torch.randn(n, length, generator=g)
    spec = log_mel(x, n_mels, hop)
    return (spec, label, x) if waves else (spec, label)
