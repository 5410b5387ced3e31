"""TransformerLens 4.3 support, one row per HF architecture, and the adapters we add.

``TL_SUPPORT`` is the table the TransformerLens backend consults before booting:

- ``"native"``: TransformerLens ships an adapter and it is used as is.
- ``"native-no-torchvision"``: TransformerLens ships an adapter that refuses to be
  built without torchvision (``required_libraries``). torchvision is only needed by
  the HF *processor* (its video part), never by the model's forward, so a subclass
  without that requirement is used while booting.
- ``"registered"``: TransformerLens has no adapter; one defined here is registered
  (in ``SUPPORTED_ARCHITECTURES`` and with ``ArchitectureAdapterFactory``) while
  booting. Each reproduces the HF forward bit for bit on the tiny models
  (``tests/tlens``).
- ``"unsupported"``: booting is refused with the reason; use the nnsight backend.

Audio towers get no TransformerLens hooks on any architecture.
Registration is scoped: `registered_adapters()` restores TransformerLens' tables on
exit, so importing senseslens never changes what TransformerLens itself selects.
Call `register_adapters()` to make the added adapters permanent in this process.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

__all__ = ["TLSupport", "TL_SUPPORT", "adapter_classes", "register_adapters", "registered_adapters", "support_for"]


@dataclass(frozen=True)
class TLSupport:
    """How TransformerLens handles one HF architecture.

    Attributes:
        kind: ``native``, ``native-no-torchvision``, ``registered`` or ``unsupported``.
        reason: why (for ``unsupported``) or what was changed (other kinds).
    """

    kind: str
    reason: str = ""


#: HF architecture class name -> support. Architectures absent here are tried as
#: TransformerLens would (its own adapter table decides).
TL_SUPPORT: Mapping[str, TLSupport] = {
    "LlavaForConditionalGeneration": TLSupport("native"),
    "LlavaOnevisionForConditionalGeneration": TLSupport("native"),
    "Idefics3ForConditionalGeneration": TLSupport("native"),
    "Gemma3ForConditionalGeneration": TLSupport("native"),
    "Gemma3nForConditionalGeneration": TLSupport("native", "vision tower needs timm"),
    "Qwen2AudioForConditionalGeneration": TLSupport("native", "text decoder only; no audio-tower hooks"),
    "Qwen2_5_VLForConditionalGeneration": TLSupport("native-no-torchvision", "torchvision requirement dropped"),
    "Qwen3VLForConditionalGeneration": TLSupport("native-no-torchvision", "torchvision requirement dropped"),
    "Qwen2VLForConditionalGeneration": TLSupport("registered", "Qwen2.5-VL adapter with Qwen2-VL's fc1/fc2 vision MLP"),
    "SmolVLMForConditionalGeneration": TLSupport("registered", "Idefics3 adapter (same module tree)"),
    "Qwen2_5OmniThinkerForConditionalGeneration": TLSupport(
        "registered", "Qwen2.5-VL adapter with separate q/k/v vision attention; audio tower left unbridged"
    ),
    "Qwen3OmniMoeThinkerForConditionalGeneration": TLSupport(
        "registered", "Qwen3-VL-MoE adapter with the thinker's merger_list; audio tower left unbridged"
    ),
    "Qwen2_5OmniForConditionalGeneration": TLSupport(
        "unsupported", "the full Omni model has no forward of its own; load its .thinker instead"
    ),
    "Qwen3OmniMoeForConditionalGeneration": TLSupport(
        "unsupported", "the full Omni model has no forward of its own; load its .thinker instead"
    ),
    "Phi4MultimodalForCausalLM": TLSupport(
        "unsupported", "TransformerLens 4.3 has no adapter for Phi-4-multimodal and its LoRA-switched layers"
    ),
}


def support_for(architecture: str) -> TLSupport | None:
    """The table row for ``architecture`` (an HF class name), or None if absent."""
    return TL_SUPPORT.get(architecture)


def _adapter_classes() -> dict[str, type]:
    """Build the adapter subclasses (imports TransformerLens, so only when needed)."""
    from transformer_lens.model_bridge.generalized_components import LinearBridge
    from transformer_lens.model_bridge.generalized_components.base import GeneralizedComponent
    from transformer_lens.model_bridge.generalized_components.qwen3_5_vision_encoder import (
        Qwen3_5VisionBlockBridge,
        Qwen3_5VisionEncoderBridge,
    )
    from transformer_lens.model_bridge.supported_architectures.idefics3 import Idefics3ArchitectureAdapter
    from transformer_lens.model_bridge.supported_architectures.qwen2_5_vl import Qwen2_5_VLArchitectureAdapter
    from transformer_lens.model_bridge.supported_architectures.qwen3_vl import (
        Qwen3VLArchitectureAdapter,
        _DeepStackMergerBridge,
    )
    from transformer_lens.model_bridge.supported_architectures.qwen3_vl_moe import Qwen3VLMoeArchitectureAdapter

    class Qwen2_5_VLNoTorchvision(Qwen2_5_VLArchitectureAdapter):
        """Qwen2.5-VL adapter without the torchvision requirement (a processor-only need)."""

        required_libraries: list[str] = []

    class Qwen3VLNoTorchvision(Qwen3VLArchitectureAdapter):
        """Qwen3-VL adapter without the torchvision requirement (a processor-only need)."""

        required_libraries: list[str] = []

    class Qwen2VLAdapter(Qwen2_5_VLNoTorchvision):
        """Qwen2-VL: Qwen2.5-VL's layout; vision blocks use fc1/fc2 MLPs, no window attention."""

        def __init__(self, cfg: Any) -> None:
            super().__init__(cfg)
            self.component_mapping["vision_encoder"] = Qwen3_5VisionEncoderBridge(
                name="model.visual",
                config=self.cfg,
                submodules={
                    "pos_embed": GeneralizedComponent(name="rotary_pos_emb"),
                    "blocks": Qwen3_5VisionBlockBridge(
                        name="blocks",
                        submodules={
                            "mlp": GeneralizedComponent(
                                name="mlp",
                                submodules={"in": LinearBridge(name="fc1"), "out": LinearBridge(name="fc2")},
                            )
                        },
                    ),
                },
            )

    class SmolVLMAdapter(Idefics3ArchitectureAdapter):
        """SmolVLM: the Idefics3 module tree under other class names."""

    class Qwen2_5OmniThinkerAdapter(Qwen2_5_VLNoTorchvision):
        """Qwen2.5-Omni thinker: Qwen2.5-VL's layout; vision attention has separate q/k/v; audio not bridged."""

        def __init__(self, cfg: Any) -> None:
            super().__init__(cfg)
            linear = lambda *names: {n: LinearBridge(name=n) for n in names}  # noqa: E731
            self.component_mapping["vision_encoder"] = Qwen3_5VisionEncoderBridge(
                name="model.visual",
                config=self.cfg,
                submodules={
                    "pos_embed": GeneralizedComponent(name="rotary_pos_emb"),
                    "blocks": Qwen3_5VisionBlockBridge(
                        name="blocks",
                        submodules={
                            "attn": GeneralizedComponent(name="attn", submodules=linear("q", "k", "v", "proj")),
                            "mlp": GeneralizedComponent(
                                name="mlp",
                                submodules={
                                    "gate": LinearBridge(name="gate_proj"),
                                    "in": LinearBridge(name="up_proj"),
                                    "out": LinearBridge(name="down_proj"),
                                },
                            ),
                        },
                    ),
                },
            )

    class Qwen3OmniMoeThinkerAdapter(Qwen3VLMoeArchitectureAdapter):
        """Qwen3-Omni-MoE thinker: Qwen3-VL-MoE's decoder; deepstack mergers live in ``merger_list``."""

        required_libraries: list[str] = []

        def __init__(self, cfg: Any) -> None:
            super().__init__(cfg)
            self.component_mapping["vision_encoder"] = Qwen3_5VisionEncoderBridge(
                name="model.visual",
                config=self.cfg,
                submodules={"deepstack_mergers": _DeepStackMergerBridge(name="merger_list")},
            )

    return {
        "Qwen2_5_VLForConditionalGeneration": Qwen2_5_VLNoTorchvision,
        "Qwen3VLForConditionalGeneration": Qwen3VLNoTorchvision,
        "Qwen2VLForConditionalGeneration": Qwen2VLAdapter,
        "SmolVLMForConditionalGeneration": SmolVLMAdapter,
        "Qwen2_5OmniThinkerForConditionalGeneration": Qwen2_5OmniThinkerAdapter,
        "Qwen3OmniMoeThinkerForConditionalGeneration": Qwen3OmniMoeThinkerAdapter,
    }


_CACHE: dict[str, type] = {}


def adapter_classes() -> dict[str, type]:
    """HF architecture -> adapter class that the backend installs while booting."""
    if not _CACHE:
        _CACHE.update(_adapter_classes())
    return dict(_CACHE)


@contextlib.contextmanager
def registered_adapters(architectures: Iterable[str] | None = None) -> Iterator[None]:
    """Install our adapters in TransformerLens' two tables; restore both on exit.

    TransformerLens resolves an architecture twice: ``SUPPORTED_ARCHITECTURES`` (to
    recognise the config) and ``ArchitectureAdapterFactory._adapters`` (to build the
    adapter), so both are set.
    """
    from transformer_lens.factories import architecture_adapter_factory as factory_mod

    wanted = adapter_classes()
    if architectures is not None:
        names = set(architectures)
        wanted = {k: v for k, v in wanted.items() if k in names}
    tables = (factory_mod.SUPPORTED_ARCHITECTURES, factory_mod.ArchitectureAdapterFactory._adapters)
    missing = object()
    saved = [{k: table.get(k, missing) for k in wanted} for table in tables]
    try:
        for table in tables[:1]:
            table.update(wanted)
        for arch, cls in wanted.items():
            factory_mod.ArchitectureAdapterFactory.register_adapter(arch, cls)
        yield
    finally:
        for table, old in zip(tables, saved):
            for key, value in old.items():
                if value is missing:
                    table.pop(key, None)
                else:
                    table[key] = value


def register_adapters() -> list[str]:
    """Register the added adapters for good in this process (for direct TransformerLens use).

    Returns the architectures registered. The torchvision-free variants of TransformerLens'
    own Qwen2.5-VL / Qwen3-VL adapters are not installed by this call.
    """
    from transformer_lens.factories import architecture_adapter_factory as factory_mod

    added = [a for a, s in TL_SUPPORT.items() if s.kind == "registered"]
    classes = adapter_classes()
    for arch in added:
        factory_mod.SUPPORTED_ARCHITECTURES[arch] = classes[arch]
        factory_mod.ArchitectureAdapterFactory.register_adapter(arch, classes[arch])
    return added
