"""VL-JEPA in miniature: from image tokens and a question, predict the *embedding* of the answer, then answer
by the nearest candidate text embedding (decode only when words are needed). ``TokenDecoder`` is the usual
alternative of similar size: it generates the answer word by word.

Introduced in notebook 10.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import vit
from jepa_lab.datasets import captions
from jepa_lab.family.conditioning import ConditionedPredictor

QUESTION_LEN, ANSWER_LEN = 6, 7  # words; answers hold at most 6 words and the end token
NEGATIVES = ("bank", "batch")  # what VL-JEPA's InfoNCE contrasts each answer with (see ``VLJEPA``)


class TextEncoder(nn.Module):
    """A small transformer over word ids ``[B, L]`` (0 = padding) -> unit-norm text embeddings ``[B, E]``."""

    def __init__(self, *, dim: int, out_dim: int, depth: int = 1, num_heads: int = 4, length: int = ANSWER_LEN) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(captions.VOCAB), dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.blocks = nn.ModuleList(vit.Block(dim, num_heads) for _ in range(depth))
        self.norm, self.proj = nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, out_dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        z = self.embed(ids) + self.pos[:, : ids.shape[1]]
        for blk in self.blocks:
            z = blk(z)
        keep = (ids != captions.PAD).float()[..., None]  # mean over the words, not the padding
        pooled = (self.norm(z) * keep).sum(1) / keep.sum(1).clamp(min=1)
        return F.normalize(self.proj(pooled), dim=-1)


def image_encoder(preset) -> vit.Encoder:
    """The image encoder both models use (same architecture, trained from scratch with each)."""
    return vit.Encoder(image_size=preset.image_size, patch_size=preset.patch_size, embed_dim=preset.embed_dim,
                       depth=preset.depth, num_heads=preset.num_heads)


class VLJEPA(nn.Module):
    """Image encoder + question embedding + a predictor whose question tokens cross-attend to the image
    tokens; the pooled result is mapped to the text-embedding space.

    Forward ``(images [B, 3, S, S], questions [B, Lq], answers [B, La])`` -> InfoNCE loss of the predicted
    embeddings against the text encoder's embeddings of the negatives ``preset.negatives`` names: every
    candidate answer (``"bank"``, the 951 of ``captions.answer_candidates``) or only the distinct answers in
    the batch (``"batch"``, as CLIP-style training does when the answers cannot be listed).
    """

    def __init__(self, preset) -> None:
        super().__init__()
        torch.manual_seed(preset.seed)
        d = preset.embed_dim
        self.image_encoder = image_encoder(preset)
        self.question_embed = nn.Embedding(len(captions.VOCAB), d)
        self.question_pos = nn.Parameter(torch.randn(1, QUESTION_LEN, d) * 0.02)
        self.predictor = ConditionedPredictor(dim=d, depth=preset.predictor_depth, num_heads=preset.num_heads,
                                              cond_dim=d, kind="cross")
        self.head = nn.Linear(d, preset.text_dim)
        self.text_encoder = TextEncoder(dim=d, out_dim=preset.text_dim, depth=preset.text_depth,
                                        num_heads=preset.num_heads)
        self.temperature = preset.temperature
        if preset.negatives not in NEGATIVES:
            raise ValueError(f"negatives must be one of {NEGATIVES}, got {preset.negatives!r}")
        self.negatives = preset.negatives
        bank = captions.encode(captions.answer_candidates(), ANSWER_LEN)
        self.register_buffer("candidates", bank, persistent=False)  # [A, La] word ids; not saved

    def predict(self, images: torch.Tensor, questions: torch.Tensor) -> torch.Tensor:
        """Unit-norm predicted answer embeddings ``[B, E]`` (one forward pass, whatever the answer's length)."""
        q = self.question_embed(questions) + self.question_pos[:, : questions.shape[1]]
        h = self.predictor(q, self.image_encoder(images))  # [B, Lq, D]
        keep = (questions != captions.PAD).float()[..., None]
        return F.normalize(self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1)), dim=-1)

    def forward(self, images: torch.Tensor, questions: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        if self.negatives == "batch":
            texts, which = torch.unique(answers, dim=0, return_inverse=True)  # repeated answers are one class
        else:
            padded = F.pad(answers, (0, self.candidates.shape[1] - answers.shape[1]))
            match = (padded[:, None] == self.candidates[None]).all(-1)  # [B, A]
            if not bool(match.any(1).all()):
                raise ValueError("an answer is not among captions.answer_candidates(); use negatives='batch'")
            texts, which = self.candidates, match.float().argmax(1)
        logits = self.predict(images, questions) @ self.text_encoder(texts).T / self.temperature
        return F.cross_entropy(logits, which)

    @torch.no_grad()
    def answer(self, images: torch.Tensor, questions: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
        """Index ``[B]`` of the nearest candidate embedding in ``bank [A, E]`` (see ``candidate_bank``)."""
        return (self.predict(images, questions) @ bank.T).argmax(1)


@torch.no_grad()
def candidate_bank(model: VLJEPA) -> tuple[list[str], torch.Tensor]:
    """Every candidate answer (``captions.answer_candidates``) and its text embedding ``[A, E]``: computed once."""
    texts = captions.answer_candidates()
    return texts, model.text_encoder(captions.encode(texts, ANSWER_LEN))


class TokenDecoder(nn.Module):
    """The token-generating alternative: the same image encoder, then a causal transformer over
    ``question, <ans>, answer words, <eos>`` whose tokens cross-attend to the image tokens, and a word head.

    Forward ``(images, questions [B, Lq], answers [B, La])`` -> next-word cross-entropy on the answer.
    """

    def __init__(self, preset) -> None:
        super().__init__()
        torch.manual_seed(preset.seed)
        d = preset.embed_dim
        self.image_encoder = image_encoder(preset)
        self.embed = nn.Embedding(len(captions.VOCAB), d)
        self.pos = nn.Parameter(torch.randn(1, QUESTION_LEN + ANSWER_LEN + 1, d) * 0.02)
        self.decoder = ConditionedPredictor(dim=d, depth=preset.decoder_depth, num_heads=preset.num_heads,
                                            cond_dim=d, kind="cross", causal=True)
        self.head = nn.Linear(d, len(captions.VOCAB))

    def logits(self, image_tokens: torch.Tensor, seq: torch.Tensor) -> torch.Tensor:
        """Next-word logits ``[B, L, V]`` of a sequence ``[B, L]`` (question then answer so far)."""
        h = self.decoder(self.embed(seq) + self.pos[:, : seq.shape[1]], image_tokens)
        return self.head(h)

    def forward(self, images: torch.Tensor, questions: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        b = len(answers)
        ans = torch.cat([answers, torch.zeros(b, 1, dtype=torch.long)], dim=1)  # room for <eos>
        ans.scatter_(1, (ans != captions.PAD).sum(1, keepdim=True), captions.EOS)
        seq = torch.cat([questions, torch.full((b, 1), captions.ANS), ans], dim=1)  # [B, Lq + 1 + La + 1]
        logits = self.logits(self.image_encoder(images), seq[:, :-1])[:, QUESTION_LEN:]  # from <ans> on
        return F.cross_entropy(logits.flatten(0, 1), ans.flatten(), ignore_index=captions.PAD)

    @torch.no_grad()
    def generate(self, images: torch.Tensor, questions: torch.Tensor) -> tuple[list[str], int]:
        """Greedy answers (strings) and the number of decoder passes run (one per generated word; the whole
        sequence is recomputed each pass, without a key-value cache)."""
        image_tokens = self.image_encoder(images)
        seq = torch.cat([questions, torch.full((len(questions), 1), captions.ANS)], dim=1)
        done = torch.zeros(len(questions), dtype=torch.bool)
        passes = 0
        for _ in range(ANSWER_LEN):
            nxt = self.logits(image_tokens, seq)[:, -1].argmax(-1)
            passes += 1
            nxt = torch.where(done, torch.full_like(nxt, captions.PAD), nxt)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
            done |= nxt == captions.EOS
            if done.all():
                break
        return [captions.decode(s[QUESTION_LEN + 1:]) for s in seq], passes


def encode_vqa(data: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images, question ids ``[n, Lq]`` and answer ids ``[n, La - 1]`` of a ``captions.make_vqa`` dict."""
    return (data["images"], captions.encode(data["questions"], QUESTION_LEN),
            captions.encode(data["answers"], ANSWER_LEN - 1))


@torch.no_grad()
def evaluate_answers(model: nn.Module, data: dict, batch_size: int = 250) -> dict:
    """Exact-match accuracy of ``model``'s answers on ``data`` (overall and per question kind) and its cost:
    wall seconds per answer (one thread as set), forward passes per batch, parameters.

    Introduced in notebook 10.
    """
    model.eval()
    images, questions, _ = encode_vqa(data)
    bank = candidate_bank(model) if isinstance(model, VLJEPA) else None
    answers, passes = [], []
    start = time.perf_counter()
    for i in range(0, len(images), batch_size):
        x, q = images[i: i + batch_size], questions[i: i + batch_size]
        if bank is not None:
            answers += [bank[0][j] for j in model.answer(x, q, bank[1])]
            passes.append(1)
        else:
            got, n = model.generate(x, q)
            answers += got
            passes.append(n)
    seconds = time.perf_counter() - start
    right = torch.tensor([a == b for a, b in zip(answers, data["answers"], strict=True)])
    per_kind = {k: float(right[data["kind"] == i].float().mean()) for i, k in enumerate(captions.QUESTION_KINDS)}
    return {"accuracy": float(right.float().mean()), "per_kind": per_kind, "answers": answers,
            "seconds_per_answer": seconds / len(images), "passes": float(sum(passes) / len(passes)),
            "params": sum(p.numel() for p in model.parameters())}
