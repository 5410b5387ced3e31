"""The model layer: specs, spans, batches, sites/edits, and the OmniModel wrapper."""

from .batch import Batch
from .loading import load
from .registry import discover_spec, get_spec, register_spec, registered_specs, resolve_spec, supported_architectures
from .sites import Edit, Knockout, Site, resid
from .spans import ModalitySpans, Span
from .spec import MediaSpec, ModelSpec
from .wrapper import OmniModel

__all__ = [
    "Batch", "Edit", "Knockout", "MediaSpec", "ModalitySpans", "ModelSpec", "OmniModel", "Site", "Span",
    "discover_spec", "get_spec", "load", "register_spec", "registered_specs", "resid", "resolve_spec",
    "supported_architectures",
]
