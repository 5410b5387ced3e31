"""Where every published number in :mod:`senseslens.paper` comes from."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAPER", "PaperRef", "Source"]


@dataclass(frozen=True)
class PaperRef:
    """Bibliographic identity of the study whose numbers are stored here."""

    title: str
    arxiv_id: str
    year: int
    month: int
    authors: tuple[str, ...]
    code: str
    dataset: str

    @property
    def url(self) -> str:
        """arXiv abstract page."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"


PAPER = PaperRef(
    title="Senses Wide Shut",
    arxiv_id="2605.13737",
    year=2026,
    month=5,
    authors=(
        "Nguyen Quang Trung",
        "Yiming Gao",
        "Fanyi Pu",
        "Kaichen Zhang",
        "Shuo Sun",
        "Ziwei Liu",
    ),
    code="github.com/ngquangtrung57/imavb",
    dataset="huggingface.co/datasets/ngqtrung/IMAVB",
)


@dataclass(frozen=True)
class Source:
    """One place in the paper a number was read from.

    ``location`` names the table or section as the paper's own headings describe it
    (e.g. ``"behaviour table (accuracy %, fixed option order)"``); table numbers of the
    PDF are not recorded because they are not needed to find the numbers again.
    """

    location: str
    note: str = ""
    paper: PaperRef = PAPER

    def cite(self) -> str:
        """Short human-readable citation, e.g. for a figure caption."""
        extra = f"; {self.note}" if self.note else ""
        return f"{self.paper.title} (arXiv {self.paper.arxiv_id}), {self.location}{extra}"


BEHAVIOUR_TABLE = Source("behaviour table (accuracy %, fixed option order)")
MODELS_TABLE = Source("models table (checkpoint, LM width / hidden-state entries)")
PROBE_TABLE = Source(
    "probing results table (probe V/A, residualised V/A, reject mis_v/mis_a)",
    note="probe accuracy at the peak layer l*, 4-fold grouped CV, mean over folds",
)
PEAK_LAYERS = Source("probing protocol: peak layers l* = argmax over layers of the global probe")
TEXT_CONTROLS = Source("probing protocol: text-only controls on the question text")
BEHAVIOUR_TEXT = Source("behaviour section text (failure modes, modality ablation, runner-up)")
PGLA_RESULTS = Source(
    "PGLA results",
    note="nested 5-fold CV on the 75% of items not used to train the probe",
)
