"""Result tables that render as tables: a notebook shows them as markdown, a terminal as aligned text.

Introduced in notebook 06.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jepa_lab.tasks import collapse


@dataclass(frozen=True)
class Table:
    """Rows of strings under a header; ``align`` has one ``"l"`` or ``"r"`` per column (numbers: ``"r"``).

    The last expression of a notebook cell renders it as a markdown table (``_repr_markdown_``), which
    wraps by cell instead of breaking a printed line mid-word; ``str``/``repr`` give aligned plain text.
    """

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str = ""

    def __post_init__(self) -> None:
        width = len(self.header)
        if any(len(r) != width for r in self.rows):
            raise ValueError(f"every row needs {width} cells, like the header {list(self.header)}")
        if self.align and (len(self.align) != width or set(self.align) - {"l", "r"}):
            raise ValueError(f"align needs one 'l' or 'r' per column ({width}), got {self.align!r}")

    def _columns(self) -> str:
        return self.align or "l" * len(self.header)

    def _repr_markdown_(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

        rule = "|" + "|".join("---:" if a == "r" else ":---" for a in self._columns()) + "|"
        return "\n".join([line(self.header), rule, *(line(r) for r in self.rows)])

    def __str__(self) -> str:
        widths = [max(len(str(c)) for c in col) for col in zip(self.header, *self.rows, strict=True)]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w)
                             for c, w, a in zip(cells, widths, self._columns(), strict=True)).rstrip()

        return "\n".join([line(self.header), "  ".join("-" * w for w in widths), *(line(r) for r in self.rows)])

    __repr__ = __str__


def collapse_table(results: dict) -> Table:
    """Notebook 06's ablations (``collapse.run_all`` results) as a table: each variant, what it changes, its
    probe, final feature std and effective rank, and the random-init encoder's row last."""
    rows = [[name, collapse.VARIANTS[name][0], f"{r['probe']:.3f}", f"{r['final']['feature_std']:.4f}",
             f"{r['final']['effective_rank']:.1f} / {r['final']['width']}"] for name, r in results["runs"].items()]
    floor = results["random init"]
    rows.append(["random init", "the same encoder, untrained", f"{floor['probe']:.3f}",
                 f"{floor['feature_std']:.4f}", f"{floor['effective_rank']:.1f} / {floor['width']}"])
    return Table(["variant", "what changes", "probe", "feature std", "effective rank"], rows, align="llrrr")
