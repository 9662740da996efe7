"""A seeded simulator of single-cell gene expression with hidden regulation and knock-down perturbations.

The hidden world (``make_gene_world``): genes in modules; each module has a few *regulator* genes (think
transcription factors) and is driven by its cell type's input, by cell-to-cell noise and by the output of
the modules upstream of it (a random directed acyclic graph of activating and repressing links).
Knocking a regulator down lowers its module's output and so, through the graph, the modules downstream;
knocking another gene down lowers that gene alone. A measured cell is ``log1p`` of the levels with noise.

What a learner may know about a gene without perturbing it, its ``descriptor``: the principal components of
its co-expression with every gene across control cells (which reveals its module) and whether it is a
regulator (as lists of transcription factors do). A perturbation never seen in training is then still
described, which is what lets a model say anything about it.

Introduced in notebook 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class GeneWorld:
    """The hidden structure of one simulated tissue (tensors; ``G`` genes, ``M`` modules, ``C`` cell types)."""

    module: torch.Tensor  # [G] module of each gene
    regulator: torch.Tensor  # [G] bool
    loading: torch.Tensor  # [G] expression scale
    links: torch.Tensor  # [M, M] link weight from module p (row) to module m (column), p < m
    type_input: torch.Tensor  # [C, M] each cell type's drive of each module
    perturbations: torch.Tensor  # [P] genes that are knocked down, one per perturbation
    held_out: torch.Tensor  # [P] bool: never seen in training
    descriptors: torch.Tensor  # [G, K + 1] co-expression components and the regulator flag
    strength: float  # share of a knocked gene's level removed (0.9: knocked down to 10 %)

    @property
    def n_genes(self) -> int:
        return len(self.module)


def simulate(world: GeneWorld, cell_type: torch.Tensor, knocked: torch.Tensor, g: torch.Generator,
             cell_noise: torch.Tensor | None = None) -> torch.Tensor:
    """Measured expression ``[N, G]`` of cells of ``cell_type [N]`` with gene ``knocked [N]`` knocked down
    (-1: none). ``cell_noise [N, M]`` is the cell's own state: pass the same one twice for a matched pair."""
    n, m = len(cell_type), world.type_input.shape[1]
    if cell_noise is None:
        cell_noise = torch.randn(n, m, generator=g)
    keep = torch.ones(n, world.n_genes)
    hit = knocked >= 0
    keep[hit.nonzero().flatten(), knocked[hit]] = 1 - world.strength
    onehot = F.one_hot(world.module, m).float()  # [G, M]
    reg = world.regulator.float()
    reg_keep = (keep * reg) @ onehot / (reg @ onehot).clamp(min=1)  # [N, M] share of each module's output left
    u = world.type_input[cell_type] + 0.4 * cell_noise
    act, out = torch.zeros(n, m), torch.zeros(n, m)
    for j in range(m):  # modules in topological order
        act[:, j] = F.softplus(2 * (u[:, j] + out @ world.links[:, j])) / 2
        out[:, j] = act[:, j] * reg_keep[:, j]
    level = torch.where(world.regulator, act[:, world.module], out[:, world.module]) * world.loading * keep
    noisy = level * torch.exp(0.15 * torch.randn(n, world.n_genes, generator=g))
    return torch.log1p(noisy) + 0.05 * torch.randn(n, world.n_genes, generator=g)


def make_gene_world(seed: int = 0, *, n_genes: int = 96, n_modules: int = 8, n_cell_types: int = 4,
                    regulators: int = 3, n_perturbations: int = 32, n_held_out: int = 8, strength: float = 0.9,
                    n_components: int = 12) -> GeneWorld:
    """A random hidden world (see the module docstring); same seed, same world.

    Perturbations: every regulator plus one other gene per module (up to ``n_perturbations``); ``n_held_out``
    of them are held out, regulators from different modules first, each module keeping a seen regulator.

    Introduced in notebook 10.
    """
    if n_modules < 2 or n_genes < n_modules * (regulators + 1):
        raise ValueError(f"need at least 2 modules and {regulators + 1} genes per module, got {n_genes} genes in "
                         f"{n_modules} modules")
    if regulators < 2:
        raise ValueError(f"each module needs at least 2 regulators (one seen, one held out), got {regulators}")
    if not 0 < strength <= 1 or not 0 < n_held_out < n_perturbations:
        raise ValueError(f"need 0 < strength <= 1 and 0 < n_held_out < n_perturbations, got {strength}, "
                         f"{n_held_out}, {n_perturbations}")
    g = torch.Generator().manual_seed(seed)
    module = torch.arange(n_genes) % n_modules
    regulator = torch.arange(n_genes) < n_modules * regulators  # the first genes of each module
    loading = torch.exp(0.5 + 0.5 * torch.randn(n_genes, generator=g))
    links = torch.zeros(n_modules, n_modules)
    for m in range(1, n_modules):  # one or two upstream modules each, activating or repressing
        parents = torch.randperm(m, generator=g)[: 1 + int(torch.rand(1, generator=g) < 0.5)]
        sign = torch.where(torch.rand(len(parents), generator=g) < 0.6, 1.0, -1.0)
        links[parents, m] = sign * (0.8 + 0.7 * torch.rand(len(parents), generator=g))
    type_input = torch.randn(n_cell_types, n_modules, generator=g) * 0.8
    regs = regulator.nonzero().flatten()
    others = torch.stack([((module == m) & ~regulator).nonzero().flatten()[0] for m in range(n_modules)])
    perturbations = torch.cat([regs, others])[:n_perturbations]
    held = torch.zeros(len(perturbations), dtype=torch.bool)
    order = torch.randperm(n_modules, generator=g).tolist()
    for j in range(n_held_out):  # a regulator of a new module each time, then other genes
        if j < n_modules:
            first = regs[module[regs] == order[j]][0]  # this module's first regulator; the others stay seen
            held[(perturbations == first).nonzero()[0, 0]] = True
        else:
            free = (~held & ~regulator[perturbations]).nonzero().flatten()
            held[free[0]] = True
    world = GeneWorld(module, regulator, loading, links, type_input, perturbations, held, torch.zeros(0), strength)
    control = simulate(world, torch.randint(n_cell_types, (2000,), generator=g), torch.full((2000,), -1), g)
    corr = torch.corrcoef(control.T)  # [G, G] co-expression
    centred = corr - corr.mean(0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    comps = centred @ v[:n_components].T
    comps = comps / comps.std(0).clamp(min=1e-6)
    return GeneWorld(module, regulator, loading, links, type_input, perturbations, held,
                     torch.cat([comps, regulator.float()[:, None] * 2 - 1], dim=1), strength)


def make_pairs(world: GeneWorld, n: int, which: torch.Tensor, g: torch.Generator) -> dict[str, torch.Tensor]:
    """``n`` matched cells: each once as control and once with perturbation ``which[i]`` (indices into
    ``world.perturbations``; -1 for none), the same cell state, fresh measurement noise.

    Returns:
        ``{"control": [n, G], "perturbed": [n, G], "perturbation": [n], "cell_type": [n]}``.

    Introduced in notebook 10.
    """
    if len(which) != n:
        raise ValueError(f"which must hold one perturbation per cell ({n}), got {len(which)}")
    cell_type = torch.randint(world.type_input.shape[0], (n,), generator=g)
    noise = torch.randn(n, world.type_input.shape[1], generator=g)
    knocked = torch.where(which >= 0, world.perturbations[which.clamp(min=0)], -1)
    return {"control": simulate(world, cell_type, torch.full((n,), -1), g, noise),
            "perturbed": simulate(world, cell_type, knocked, g, noise), "perturbation": which, "cell_type": cell_type}
