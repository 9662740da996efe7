"""Bio-JEPA in miniature: genes are tokens; the baseline (control) cell is the context, the knocked-down cell
the target; a predictor conditioned on the perturbation (cross-attention, or FiLM) predicts the target's
embedding. VICReg's variance and covariance terms keep the embeddings spread out.

Judged on perturbations held out of training, against two baselines in the same embedding: "no change"
(the control cell's own embedding) and "mean shift" (it plus the average shift of the seen perturbations).

Introduced in notebook 10.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import evaluate, vit
from jepa_lab.datasets.genes import GeneWorld, make_gene_world, make_pairs
from jepa_lab.family.conditioning import ConditionedPredictor
from jepa_lab.losses import covariance_term, variance_term


class GeneEncoder(nn.Module):
    """Cells ``[B, G]`` -> gene tokens ``[B, G, D]``: each token is its gene's learned embedding plus its
    standardised expression value times a learned direction, then transformer blocks."""

    def __init__(self, *, n_genes: int, dim: int, depth: int, num_heads: int) -> None:
        super().__init__()
        self.n_genes = n_genes
        self.gene_embed = nn.Parameter(torch.randn(1, n_genes, dim) * 0.02)
        self.value = nn.Linear(1, dim)
        self.blocks = nn.ModuleList(vit.Block(dim, num_heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.apply(vit.init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.n_genes:
            raise ValueError(f"cells must be [B, {self.n_genes}] expression values, got {tuple(x.shape)}")
        z = self.gene_embed + self.value((x - 0.57)[..., None] / 0.54)  # the simulator's mean and std
        for blk in self.blocks:
            z = blk(z)
        return self.norm(z)


class BioJEPA(nn.Module):
    """Context encoder, its EMA copy as target encoder, a perturbation embedding and a conditioned predictor.

    Forward ``(control [B, G], perturbed [B, G], genes [B])`` (the knocked gene of each pair) -> loss.
    """

    def __init__(self, preset, descriptors: torch.Tensor) -> None:
        super().__init__()
        torch.manual_seed(preset.seed)
        n_genes, d = descriptors.shape[0], preset.embed_dim
        self.context_encoder = GeneEncoder(n_genes=n_genes, dim=d, depth=preset.depth, num_heads=preset.num_heads)
        self.target_encoder = copy.deepcopy(self.context_encoder).requires_grad_(False)
        self.register_buffer("descriptors", descriptors.clone())
        self.perturbation = nn.Sequential(nn.Linear(descriptors.shape[1], d), nn.GELU(), nn.Linear(d, d))
        self.predictor = ConditionedPredictor(dim=d, depth=preset.predictor_depth, num_heads=preset.num_heads,
                                              cond_dim=d, kind=preset.conditioning)
        self.var_weight, self.cov_weight = preset.var_weight, preset.cov_weight

    def condition(self, genes: torch.Tensor) -> torch.Tensor:
        """Perturbation tokens ``[B, 1, D]``: what is known of the knocked gene (its descriptor) plus its
        learned gene embedding (trained on every cell, so held-out genes have one too)."""
        emb = self.context_encoder.gene_embed[0, genes]
        return (self.perturbation(self.descriptors[genes]) + emb)[:, None]

    def target_tokens(self, cells: torch.Tensor) -> torch.Tensor:
        """Layer-normed target-encoder tokens ``[B, G, D]`` (no gradient)."""
        with torch.no_grad():
            h = self.target_encoder(cells)
            return F.layer_norm(h, h.shape[-1:])

    def predict_tokens(self, control: torch.Tensor, genes: torch.Tensor) -> torch.Tensor:
        """Predicted target tokens ``[B, G, D]`` of the perturbed cell from its control and the knocked genes."""
        return self.predictor(self.context_encoder(control), self.condition(genes))

    def forward(self, control: torch.Tensor, perturbed: torch.Tensor, genes: torch.Tensor) -> torch.Tensor:
        z_ctx = self.context_encoder(control)  # [B, G, D]
        z_pred = self.predictor(z_ctx, self.condition(genes))
        loss = F.smooth_l1_loss(z_pred, self.target_tokens(perturbed))
        pooled = z_ctx.mean(1)  # VICReg on the cell embeddings
        return loss + self.var_weight * variance_term(pooled) + self.cov_weight * covariance_term(pooled)

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """``target <- momentum * target + (1 - momentum) * context``."""
        for t, c in zip(self.target_encoder.parameters(), self.context_encoder.parameters(), strict=True):
            t.mul_(momentum).add_(c, alpha=1 - momentum)

    @torch.no_grad()
    def embed(self, cells: torch.Tensor) -> torch.Tensor:
        """Cell embeddings ``[B, D]``: the mean layer-normed target token (where predictions are judged)."""
        return self.target_tokens(cells).mean(1)

    @torch.no_grad()
    def predict_embedding(self, control: torch.Tensor, genes: torch.Tensor) -> torch.Tensor:
        """Predicted embeddings ``[B, D]`` of the perturbed cells."""
        return self.predict_tokens(control, genes).mean(1)


def world_of(preset) -> GeneWorld:
    """The simulated world of a Bio-JEPA preset (seeded)."""
    return make_gene_world(preset.seed, n_genes=preset.n_genes, n_modules=preset.n_modules,
                           n_held_out=preset.n_held_out)


def batch_function(preset, world: GeneWorld):
    """``batch_fn(step, g) -> (control, perturbed, knocked genes)`` over the seen perturbations only."""
    seen = (~world.held_out).nonzero().flatten()

    def batch_fn(step: int, g: torch.Generator):
        which = seen[torch.randint(len(seen), (preset.batch_size,), generator=g)]
        pairs = make_pairs(world, preset.batch_size, which, g)
        return pairs["control"], pairs["perturbed"], world.perturbations[which]

    return batch_fn


@torch.no_grad()
def perturbation_errors(model: BioJEPA, world: GeneWorld, cells: int = 200, seed: int = 1) -> dict:
    """Errors per perturbation of the model and both baselines, on fresh cells (``seed``).

    The headline is the error of the **effect**: the mean embedding shift over ``cells`` cells, predicted
    against measured (a single cell's embedding also carries its own measurement noise, which no model
    can predict; ``cell ...`` entries hold those per-cell errors too).

    Returns:
        ``{"model", "no change", "mean shift": [P] squared error of the mean shift, "cell model",
        "cell no change", "cell mean shift": [P] mean per-cell squared error, "held_out": [P] bool,
        "mean shift vector": [D]}``; the mean shift is measured on the seen perturbations only.

    Introduced in notebook 10.
    """
    model.eval()
    p = len(world.perturbations)
    pairs = make_pairs(world, p * cells, torch.arange(p).repeat_interleave(cells), torch.Generator().manual_seed(seed))
    z_ctl, z_true = model.embed(pairs["control"]), model.embed(pairs["perturbed"])
    z_pred = model.predict_embedding(pairs["control"], world.perturbations[pairs["perturbation"]])
    shift = (z_true - z_ctl).view(p, cells, -1)[~world.held_out].mean((0, 1))
    guesses = {"model": z_pred, "no change": z_ctl, "mean shift": z_ctl + shift}
    true_effect = (z_true - z_ctl).view(p, cells, -1).mean(1)  # [P, D]
    out = {}
    for name, z in guesses.items():
        out[name] = ((z - z_ctl).view(p, cells, -1).mean(1) - true_effect).pow(2).sum(1)
        out[f"cell {name}"] = (z - z_true).pow(2).sum(1).view(p, cells).mean(1)
    return {**out, "held_out": world.held_out, "mean shift vector": shift}


@torch.no_grad()
def expression_changes(model: BioJEPA, world: GeneWorld, cells: int = 200, seed: int = 2) -> dict[str, torch.Tensor]:
    """Per perturbation, the true mean expression change ``[P, G]`` and the model's, read from its predicted
    embedding by a ridge decoder (embedding -> expression) fitted on control and perturbed cells of the seen
    perturbations; the decoder's own reading of the true embedding beside it (its ceiling)."""
    p = len(world.perturbations)
    g = torch.Generator().manual_seed(seed)
    fit = make_pairs(world, 2000, (~world.held_out).nonzero().flatten()[torch.randint(int((~world.held_out).sum()),
                                                                                       (2000,), generator=g)], g)
    cells_x = torch.cat([fit["control"], fit["perturbed"]])
    decode = evaluate.fit_ridge(model.embed(cells_x), cells_x)
    pairs = make_pairs(world, p * cells, torch.arange(p).repeat_interleave(cells), g)
    z_ctl = model.embed(pairs["control"])
    base = decode(z_ctl)
    pred = decode(model.predict_embedding(pairs["control"], world.perturbations[pairs["perturbation"]])) - base
    read = decode(model.embed(pairs["perturbed"])) - base
    true = pairs["perturbed"] - pairs["control"]
    return {name: t.view(p, cells, -1).mean(1) for name, t in (("true", true), ("predicted", pred), ("decoded", read))}
