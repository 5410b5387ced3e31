"""The TransformerLens backend: the same ``run`` call, served by TransformerLens 4.3 hooks.

Selected with ``sl.load(..., backend="transformer_lens")``, which calls
`attach_transformer_lens`. It boots ``TransformerBridge.boot_transformers`` on the
loaded HF model (``hf_model=``) and reads / edits sites through the bridge's hook
points (see `tl_sites.SITE_TO_HOOK`).

Conventions and caveats (all measured on TransformerLens 4.3.0, transformers 5.25):

- **The forward is the HF model's own.** The bridge replaces submodules of the HF
  model in place with components that carry hook points, so ``omni.root(**inputs)``
  fires them. ``run`` calls the model exactly like that, with the processor's
  inputs unchanged (``pixel_values``, grids, ``mm_token_type_ids``,
  ``token_type_ids``, ``feature_attention_mask``...). It does not go through
  ``bridge.forward``, which derives ``position_ids`` from the attention mask for
  left-padded rows of non-mRoPE models and so departs from HF's own positions.
- **Booting changes the HF model**: its submodules are wrapped, and its attention
  implementation is switched to ``eager`` (recorded as ``attn_before`` /
  ``attn_after``). The nnsight backend of the same model then also runs eager.
- **Nothing is installed**: booting runs under `tl_guard.no_package_installs`, and
  TransformerLens' processor lookup is skipped (the bridge gets the processor
  senseslens already has) and it is given a private copy of the tokenizer, so the
  user's tokenizer is not modified.
- **Knockouts** edit the attention mask handed to each attention module (a PyTorch
  pre-hook on the bridge's attention component), the same pre-softmax edit as the
  nnsight backend, on every architecture. TransformerLens' ``hook_attn_scores`` is
  not used: it is live (pre-softmax, edits reach the output) where TransformerLens
  computes attention itself (LLaVA, Idefics3, SmolVLM, Gemma 3, Qwen2-Audio), but on
  the Qwen-VL / Omni adapters attention stays HF-native and the hook fires after the
  fact, so an edit there is discarded.
- **Audio towers** have no TransformerLens hooks: capturing ``audio_out`` raises.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import torch

from ...errors import ProcessorNotFoundError, UnsupportedArchitectureError
from ..batch import Batch
from ..sites import TOWER_ROLES, Edit, Knockout, Site
from ..spec import get_submodule
from .common import RunOutput, RunPlan, apply_edit, plan_run, reduce_positions, split_tower_features
from .tl_adapters import registered_adapters, support_for
from .tl_guard import MissingPackageError, no_package_installs
from .tl_sites import SITE_TO_HOOK, hook_name

if TYPE_CHECKING:
    from ..wrapper import OmniModel

__all__ = ["TransformerLensBackend", "attach_transformer_lens", "boot_bridge"]


def _mask_index(module: torch.nn.Module) -> int | None:
    """0-based position of ``attention_mask`` among the positional parameters of ``module.forward``."""
    params = [
        p.name
        for p in inspect.signature(type(module).forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][1:]
    return params.index("attention_mask") if "attention_mask" in params else None


def _tokenizer_copy(tokenizer: Any) -> Any:
    """A private copy TransformerLens may normalise (padding side, BOS, pad token) at will.

    Marking it as BOS-adding keeps TransformerLens from re-loading the tokenizer from
    disk by name, which fails for models built in memory; senseslens hands the bridge
    token ids, never strings, so this flag is never used to tokenize.
    """
    tok = copy.deepcopy(tokenizer)
    tok.init_kwargs.setdefault("name_or_path", getattr(tok, "name_or_path", "") or "")
    tok.init_kwargs["add_bos_token"] = True
    return tok


@contextlib.contextmanager
def _processor_given(processor: Any) -> Iterator[None]:
    """Skip TransformerLens' processor lookup; attach ``processor`` to the bridge instead."""
    import transformer_lens.model_bridge.sources.transformers.source as source

    original = source.load_modality_processor

    def attach(bridge: Any, *_args: Any, **_kwargs: Any) -> None:
        bridge.processor = processor

    source.load_modality_processor = attach
    try:
        yield
    finally:
        source.load_modality_processor = original


def boot_bridge(hf_model: torch.nn.Module, tokenizer: Any, processor: Any = None, model_name: str | None = None) -> Any:
    """``TransformerBridge.boot_transformers`` on a loaded model, safely.

    Installs nothing, loads no processor, leaves ``tokenizer`` untouched, and uses
    our adapter table (`tl_adapters`). Raises `UnsupportedArchitectureError` for
    architectures TransformerLens cannot bridge.
    """
    from transformer_lens.model_bridge import TransformerBridge
    import transformer_lens.model_bridge.sources.transformers  # noqa: F401  (attaches boot_transformers)

    arch = type(hf_model).__name__
    _check_supported(arch)
    if tokenizer is None:
        raise ProcessorNotFoundError(
            f"booting TransformerLens on {arch} needs its tokenizer; pass the processor's tokenizer "
            "(AutoTokenizer.from_pretrained(checkpoint_dir, local_files_only=True))."
        )
    device = next(hf_model.parameters()).device
    dtype = next(hf_model.parameters()).dtype
    with no_package_installs(), registered_adapters(), _processor_given(processor):
        try:
            return TransformerBridge.boot_transformers(
                model_name or arch,
                hf_model=hf_model,
                tokenizer=_tokenizer_copy(tokenizer),
                device=str(device),
                dtype=dtype,
                hf_config_overrides={"architectures": [arch]},
            )
        except ValueError as exc:
            if "architecture" in str(exc).lower():
                raise UnsupportedArchitectureError(
                    f"TransformerLens 4.3 has no adapter for {arch}. Use the nnsight backend: "
                    "sl.load(model, processor, backend='nnsight')."
                ) from exc
            raise


def _check_supported(arch: str) -> None:
    row = support_for(arch)
    if row is not None and row.kind == "unsupported":
        raise UnsupportedArchitectureError(
            f"the TransformerLens backend does not support {arch}: {row.reason}. Use the nnsight backend "
            "(sl.load(model, processor, backend='nnsight'))."
        )
    if row is None:
        from transformer_lens.factories.architecture_adapter_factory import SUPPORTED_ARCHITECTURES

        if arch not in SUPPORTED_ARCHITECTURES:
            raise UnsupportedArchitectureError(
                f"TransformerLens 4.3 has no adapter for {arch} and senseslens registers none. Use the "
                "nnsight backend: sl.load(model, processor, backend='nnsight')."
            )


def _tokenizer_of(omni: "OmniModel") -> Any:
    tokenizer = getattr(omni.processor, "tokenizer", omni.processor)
    if tokenizer is None and omni.name and Path(omni.name).is_dir():
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(omni.name, local_files_only=True)
        except Exception:  # transformers raises OSError/ValueError variants here
            tokenizer = None
    if tokenizer is None:
        raise ProcessorNotFoundError(
            f"the TransformerLens backend needs the tokenizer of {omni.name}, and no processor or tokenizer "
            "was found. Pass one: sl.load(model, processor, backend='transformer_lens')."
        )
    return tokenizer


def attach_transformer_lens(omni: "OmniModel") -> "TransformerLensBackend":
    """Boot TransformerLens on ``omni``'s model and make it ``omni.backend``.

    Idempotent: a model that already runs on TransformerLens keeps its bridge.
    """
    if isinstance(omni.backend, TransformerLensBackend):
        return omni.backend
    if importlib.util.find_spec("transformer_lens") is None:
        raise MissingPackageError(
            "backend='transformer_lens' needs TransformerLens 4.3, which is not installed. Install it yourself "
            "(pip install 'senseslens[tl]', keeping your torch), or use the default nnsight backend."
        )
    tokenizer = _tokenizer_of(omni)
    attn_before = getattr(omni.root.config, "_attn_implementation", None)
    bridge = boot_bridge(omni.root, tokenizer, omni.processor)
    attn_after = getattr(omni.root.config, "_attn_implementation", None)
    omni.backend = TransformerLensBackend(omni.root, bridge, omni.spec.module_paths(), omni.n_layers, attn_before, attn_after)
    return omni.backend



class TransformerLensBackend:
    """Runs batches of one model through a booted ``TransformerBridge``.

    Attributes:
        bridge: the ``TransformerBridge`` (use it directly for any other hook point).
        attn_before, attn_after: the HF attention implementation before / after booting.
    """

    name = "transformer_lens"

    def __init__(self, root: torch.nn.Module, bridge: Any, paths: dict[str, str], n_layers: int, attn_before: str | None = None, attn_after: str | None = None):
        self.root = root
        self.bridge = bridge
        self.paths = dict(paths)
        self.n_layers = n_layers
        self.attn_before = attn_before
        self.attn_after = attn_after
        self.hook_names = frozenset(bridge.hook_dict)

    def __repr__(self) -> str:
        return f"TransformerLensBackend({type(self.root).__name__}, layers={self.n_layers}, attention {self.attn_before}->{self.attn_after})"

    # --- planning ---------------------------------------------------------------------
    def _plan(self, capture: Sequence[Site], edits: Sequence[Edit], knockouts: Sequence[Knockout]) -> RunPlan:
        for site in capture:
            if site.component in TOWER_ROLES:
                hook_name(site.component)  # raises for audio sites: TransformerLens has no audio hooks
        return plan_run(capture, edits, knockouts, self.n_layers, self.paths)

    # --- hooks ------------------------------------------------------------------------
    @staticmethod
    def _residual_hook(sites: Sequence[Site], edits: Sequence[Edit], spans: Any, saved: dict[Site, Any]) -> Callable:
        def hook(act: Any, hook: Any = None) -> Any:
            hidden = act[0] if isinstance(act, tuple) else act
            if edits:
                hidden = hidden.clone()
                for e in edits:
                    apply_edit(hidden, e, spans)
            for site in sites:
                saved[site] = reduce_positions(hidden, site, spans)
            if not edits:
                return None
            return (hidden, *act[1:]) if isinstance(act, tuple) else hidden

        return hook

    def _knockout_hooks(self, plan: RunPlan, spans: Any) -> list[Any]:
        from .knockout import knockout_inputs

        handles = []
        for i, kos in plan.knockouts.items():
            attn = self.bridge.blocks[i].attn
            mask_index = _mask_index(getattr(attn, "original_component", None) or attn)

            def pre(module: Any, args: tuple, kwargs: dict, kos: list[Knockout] = kos, mask_index: int | None = mask_index) -> tuple:
                return knockout_inputs(mask_index, args, kwargs, kos, spans)

            handles.append(attn.register_forward_pre_hook(pre, with_kwargs=True))
        return handles

    def _tower_hooks(self, plan: RunPlan, saved: dict[Site, Any]) -> list[Any]:
        handles = []
        for role, sites in plan.tower_sites.items():
            module = get_submodule(self.root, self.paths[role])

            def post(module: Any, args: Any, output: Any, sites: list[Site] = sites) -> None:
                for site in sites:
                    saved[site] = output

            handles.append(module.register_forward_hook(post))
        return handles

    # --- running ----------------------------------------------------------------------
    def run(
        self,
        batch: Batch,
        capture: Sequence[Site] = (),
        edits: Sequence[Edit] = (),
        knockouts: Sequence[Knockout] = (),
        logits: str = "last",
    ) -> RunOutput:
        """One HF forward with TransformerLens hooks; same contract as `OmniModel.run`."""
        plan = self._plan(capture, edits, knockouts)
        spans = batch.spans
        saved: dict[Site, Any] = {}
        fwd: list[tuple[str, Callable]] = []
        if plan.embed_sites or plan.embed_edits:
            fwd.append((SITE_TO_HOOK["embed"], self._residual_hook(plan.embed_sites, plan.embed_edits, spans, saved)))  # type: ignore[arg-type]
        for i in sorted(set(plan.layer_sites) | set(plan.layer_edits)):
            fwd.append((hook_name("resid", i), self._residual_hook(plan.layer_sites.get(i, ()), plan.layer_edits.get(i, ()), spans, saved)))
        handles = self._tower_hooks(plan, saved) + (self._knockout_hooks(plan, spans) if plan.knockouts else [])
        try:
            with torch.no_grad(), self.bridge.hooks(fwd_hooks=fwd):
                out_logits = self.root(**batch.inputs).logits
        finally:
            for h in handles:
                h.remove()
        last = torch.as_tensor(spans.last, dtype=torch.long, device=out_logits.device)
        final = out_logits if logits == "all" else out_logits[torch.arange(len(batch), device=out_logits.device), last]
        captures: dict[Site, Any] = {}
        for site, value in saved.items():
            captures[site] = split_tower_features(value, site, spans) if site.component in TOWER_ROLES else value
        return RunOutput(logits=final.detach(), captures=captures)

    def readout(self, resid: torch.Tensor) -> torch.Tensor:
        """Logit-lens readout through the bridge: ``unembed(ln_final(resid))``."""
        with torch.no_grad():
            return self.bridge.unembed(self.bridge.ln_final(resid))
