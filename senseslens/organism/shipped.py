"""Load the organism that ships inside the package (``senseslens/organism/weights/``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProcessorNotFoundError

WEIGHTS_DIR = Path(__file__).with_name("weights")


def load_shipped(device: str = "cpu"):
    """The shipped organism and its processor: ``(SensesOrganismForConditionalGeneration, SensesOrganismProcessor)``.

    The model is in eval mode on ``device``. Raises if the package was installed without
    its weights (package data ``organism/weights/*``).
    """
    from .modeling import SensesOrganismForConditionalGeneration
    from .processing import SensesOrganismProcessor

    if not (WEIGHTS_DIR / "model.safetensors").exists():
        raise ProcessorNotFoundError(
            f"no shipped organism weights in {WEIGHTS_DIR}; reinstall senseslens with its package data, "
            "or train one with `senseslens organism train --seed 0 --out DIR` and load DIR with from_pretrained."
        )
    model = SensesOrganismForConditionalGeneration.from_pretrained(WEIGHTS_DIR).to(device).eval()
    processor = SensesOrganismProcessor.from_pretrained(WEIGHTS_DIR)
    return model, processor
