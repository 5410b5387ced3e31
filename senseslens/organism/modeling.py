"""`SensesOrganismForConditionalGeneration`: a tiny omnimodal causal LM.

Module tree (the organism contract of ``docs/architecture.md``)::

    model.vision_tower            pixel patches  -> [B, n_img, vision_hidden]
    model.multi_modal_projector   -> [B, n_img, H]
    model.audio_tower             spectrogram    -> [B, n_aud, audio_hidden]
    model.audio_projector         -> [B, n_aud, H]
    model.language_model.embed_tokens / embed_positions
    model.language_model.layers[i]   pre-LN block, returns a plain tensor [B, T, H]
    model.language_model.norm        final LayerNorm
    lm_head                          [B, T, H] -> [B, T, V]

Media features replace the embeddings of the ``image_token_id`` / ``audio_token_id``
placeholder tokens in order. Positions count real tokens only, so left padding is exact.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from ..errors import InputError
from .config import SensesOrganismConfig


class SensesVisionTower(nn.Module):
    """Patch MLP: pixel_values ``[B, 3, S, S]`` -> one vector per patch ``[B, (S/p)^2, Hv]``."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        self.patch_size = config.patch_size
        self.fc1 = nn.Linear(3 * config.patch_size**2, config.vision_hidden_size)
        self.fc2 = nn.Linear(config.vision_hidden_size, config.vision_hidden_size)

    def forward(self, pixel_values: Float[Tensor, "b 3 s s"]) -> Float[Tensor, "b n hv"]:
        p = self.patch_size
        b, c, _, _ = pixel_values.shape
        x = pixel_values.unfold(2, p, p).unfold(3, p, p)          # b c nh nw p p
        x = x.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c * p * p)
        return self.fc2(F.gelu(self.fc1(x)))


class SensesAudioTower(nn.Module):
    """Strided conv over a standardised spectrogram ``[B, bins, frames]`` -> ``[B, frames/stride, Ha]``."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        s = config.audio_stride
        self.conv1 = nn.Conv1d(config.audio_bins, config.audio_hidden_size, kernel_size=s, stride=s)
        self.conv2 = nn.Conv1d(config.audio_hidden_size, config.audio_hidden_size, kernel_size=1)

    def forward(self, input_features: Float[Tensor, "b bins frames"]) -> Float[Tensor, "b n ha"]:
        return self.conv2(F.gelu(self.conv1(input_features))).transpose(1, 2)


class SensesAttention(nn.Module):
    """Multi-head self-attention (SDPA) with a boolean mask ``[B, 1, T, T]`` (True = attend)."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        h = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = h // self.num_heads
        self.q_proj = nn.Linear(h, h)
        self.k_proj = nn.Linear(h, h)
        self.v_proj = nn.Linear(h, h)
        self.o_proj = nn.Linear(h, h)

    def forward(self, hidden_states: Float[Tensor, "b t h"], attention_mask: Tensor) -> Float[Tensor, "b t h"]:
        b, t, h = hidden_states.shape

        def split(x: Tensor) -> Tensor:
            return x.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q_proj(hidden_states)), split(self.k_proj(hidden_states)), split(self.v_proj(hidden_states))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask)
        return self.o_proj(out.transpose(1, 2).reshape(b, t, h))


class SensesMLP(nn.Module):
    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.gelu(self.up_proj(x)))


class SensesDecoderLayer(nn.Module):
    """Pre-LN block: ``x + attn(ln(x))`` then ``x + mlp(ln(x))``. Returns a plain tensor."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        self.input_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.self_attn = SensesAttention(config)
        self.post_attention_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = SensesMLP(config)

    def forward(self, hidden_states: Float[Tensor, "b t h"], attention_mask: Tensor, **kwargs) -> Float[Tensor, "b t h"]:
        hidden_states = hidden_states + self.self_attn(self.input_layernorm(hidden_states), attention_mask)
        return hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))


class SensesLanguageModel(nn.Module):
    """Token + learned position embeddings, decoder layers, final norm."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.embed_positions = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.layers = nn.ModuleList(SensesDecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


def build_attention_mask(attention_mask: Int[Tensor, "b t"]) -> Tensor:
    """Causal x key-padding boolean mask ``[B, 1, T, T]``; every query may see itself (no NaN rows)."""
    t = attention_mask.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=attention_mask.device).tril()
    keys = attention_mask.bool()[:, None, None, :]
    eye = torch.eye(t, dtype=torch.bool, device=attention_mask.device)
    return (causal & keys) | eye


class SensesOrganismPreTrainedModel(PreTrainedModel):
    config_class = SensesOrganismConfig
    config: SensesOrganismConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    _no_split_modules = ["SensesDecoderLayer"]
    _supports_sdpa = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            module.weight.normal_(0.0, std)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, std)
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()


class SensesOrganismModel(SensesOrganismPreTrainedModel):
    """Towers, projectors and the language model; returns the final-norm hidden states."""

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__(config)
        self.vision_tower = SensesVisionTower(config)
        self.multi_modal_projector = nn.Linear(config.vision_hidden_size, config.hidden_size)
        self.audio_tower = SensesAudioTower(config)
        self.audio_projector = nn.Linear(config.audio_hidden_size, config.hidden_size)
        self.language_model = SensesLanguageModel(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.language_model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.language_model.embed_tokens = value

    def _merge(self, embeds: Tensor, input_ids: Tensor, token_id: int, feats: Tensor | None, name: str) -> Tensor:
        mask = input_ids == token_id
        n_tokens = int(mask.sum())
        n_feats = 0 if feats is None else feats.shape[0] * feats.shape[1]
        if n_tokens != n_feats:
            raise InputError(
                f"{n_tokens} {name} placeholder tokens but {n_feats} {name} feature vectors; "
                f"build inputs with SensesOrganismProcessor so every <{name}> expands to the features it has."
            )
        if feats is None:
            return embeds
        return embeds.masked_scatter(mask[..., None], feats.reshape(-1, feats.shape[-1]).to(embeds.dtype))

    def forward(
        self,
        input_ids: Int[Tensor, "b t"] | None = None,
        attention_mask: Int[Tensor, "b t"] | None = None,
        pixel_values: Float[Tensor, "n 3 s s"] | None = None,
        input_features: Float[Tensor, "m bins frames"] | None = None,
        position_ids: Int[Tensor, "b t"] | None = None,
        inputs_embeds: Float[Tensor, "b t h"] | None = None,
        output_hidden_states: bool = False,
        **kwargs,
    ) -> tuple[Float[Tensor, "b t h"], tuple[Tensor, ...] | None]:
        lm = self.language_model
        if inputs_embeds is None:
            if input_ids is None:
                raise InputError("pass input_ids (or inputs_embeds) to the organism.")
            embeds = lm.embed_tokens(input_ids)
            img = None if pixel_values is None else self.multi_modal_projector(self.vision_tower(pixel_values))
            aud = None if input_features is None else self.audio_projector(self.audio_tower(input_features))
            embeds = self._merge(embeds, input_ids, self.config.image_token_id, img, "image")
            embeds = self._merge(embeds, input_ids, self.config.audio_token_id, aud, "audio")
        else:
            embeds = inputs_embeds
        b, t, _ = embeds.shape
        if attention_mask is None:
            attention_mask = torch.ones(b, t, dtype=torch.long, device=embeds.device)
        if position_ids is None:
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        x = embeds + lm.embed_positions(position_ids)
        mask = build_attention_mask(attention_mask)
        states: list[Tensor] = [x]
        for layer in lm.layers:
            x = layer(x, attention_mask=mask)
            states.append(x)
        x = lm.norm(x)
        if output_hidden_states:
            states[-1] = x
        return x, (tuple(states) if output_hidden_states else None)


class SensesOrganismForConditionalGeneration(SensesOrganismPreTrainedModel, GenerationMixin):
    """The organism: `SensesOrganismModel` + ``lm_head``. Forward returns logits ``[B, T, V]``.

    ``hidden_states`` (if requested) follows HF: L+1 entries, the last after the final norm.
    """

    def __init__(self, config: SensesOrganismConfig) -> None:
        super().__init__(config)
        self.model = SensesOrganismModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def forward(
        self,
        input_ids: Int[Tensor, "b t"] | None = None,
        attention_mask: Int[Tensor, "b t"] | None = None,
        pixel_values: Float[Tensor, "n 3 s s"] | None = None,
        input_features: Float[Tensor, "m bins frames"] | None = None,
        labels: Int[Tensor, "b t"] | None = None,
        position_ids: Int[Tensor, "b t"] | None = None,
        inputs_embeds: Float[Tensor, "b t h"] | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs,
    ) -> CausalLMOutputWithPast:
        hidden, states = self.model(
            input_ids=input_ids, attention_mask=attention_mask, pixel_values=pixel_values,
            input_features=input_features, position_ids=position_ids, inputs_embeds=inputs_embeds,
            output_hidden_states=bool(output_hidden_states),
        )
        keep = slice(-logits_to_keep, None) if logits_to_keep else slice(None)
        logits = self.lm_head(hidden[:, keep])
        loss = None
        if labels is not None:
            shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1])
            shift_labels = labels[:, 1:].reshape(-1).to(logits.device)
            loss = F.cross_entropy(shift_logits.float(), shift_labels, ignore_index=-100)
        return CausalLMOutputWithPast(loss=loss, logits=logits, hidden_states=states)

    def prepare_inputs_for_generation(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                                      pixel_values: Tensor | None = None, input_features: Tensor | None = None,
                                      **kwargs) -> dict:
        """No KV cache: every step re-reads the whole sequence (the model is tiny)."""
        return {"input_ids": input_ids, "attention_mask": attention_mask,
                "pixel_values": pixel_values, "input_features": input_features}
