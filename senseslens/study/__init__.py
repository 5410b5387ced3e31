"""The whole study as one call: `study(model, benchmark, out)`."""

from .config import StudyConfig
from .pipeline import STEPS, StudyResult, study

__all__ = ["STEPS", "StudyConfig", "StudyResult", "study"]
