"""Exceptions raised by senseslens. Every message names the problem and the fix."""

from __future__ import annotations


class SensesLensError(Exception):
    """Base class of every error senseslens raises on purpose."""


class UnsupportedArchitectureError(SensesLensError):
    """No ModelSpec is known for a model class and auto-discovery failed."""


class SpecError(SensesLensError):
    """A ModelSpec does not match the module tree of the model it was applied to."""


class InputError(SensesLensError):
    """Inputs are inconsistent (media vs placeholders, missing required keys, bad shapes)."""


class ProcessorNotFoundError(SensesLensError):
    """No processor could be loaded for a checkpoint (offline, or none shipped)."""


class DataError(SensesLensError):
    """A benchmark row, media file or answer does not fit the schema."""


class StoreError(SensesLensError):
    """An activation store is missing, corrupt, or belongs to another run."""


class AnalysisError(SensesLensError):
    """Degenerate input to an analysis (one class only, too few groups, NaNs...)."""
