"""`SensesOrganismConfig`: hyper-parameters of the tiny omnimodal model organism."""

from __future__ import annotations

from transformers import PretrainedConfig


class SensesOrganismConfig(PretrainedConfig):
    """Config of `SensesOrganismForConditionalGeneration`.

    Vision: ``image_size`` x ``image_size`` RGB split into ``patch_size`` patches, one
    token per patch. Audio: spectrogram ``[audio_bins, audio_frames]`` reduced by a
    strided 1-D conv (stride ``audio_stride``) to ``audio_frames // audio_stride`` tokens.
    Language model: pre-LN causal transformer with learned absolute positions.
    """

    model_type = "senses_organism"

    def __init__(
        self,
        vocab_size: int = 128,
        hidden_size: int = 32,
        num_hidden_layers: int = 2,
        num_attention_heads: int = 2,
        intermediate_size: int = 128,
        max_position_embeddings: int = 128,
        image_size: int = 16,
        patch_size: int = 8,
        vision_hidden_size: int = 64,
        audio_bins: int = 129,
        audio_frames: int = 16,
        audio_stride: int = 4,
        audio_hidden_size: int = 64,
        image_token_id: int = 4,
        audio_token_id: int = 5,
        pad_token_id: int = 0,
        bos_token_id: int | None = None,
        eos_token_id: int | None = 2,
        layer_norm_eps: float = 1e-5,
        initializer_range: float = 0.02,
        tie_word_embeddings: bool = False,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.max_position_embeddings = max_position_embeddings
        self.image_size = image_size
        self.patch_size = patch_size
        self.vision_hidden_size = vision_hidden_size
        self.audio_bins = audio_bins
        self.audio_frames = audio_frames
        self.audio_stride = audio_stride
        self.audio_hidden_size = audio_hidden_size
        self.image_token_id = image_token_id
        self.audio_token_id = audio_token_id
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range
        kwargs.setdefault("use_cache", False)
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id,
                         tie_word_embeddings=tie_word_embeddings, **kwargs)

    @property
    def image_tokens(self) -> int:
        """Placeholder tokens per image (one per patch)."""
        return (self.image_size // self.patch_size) ** 2

    @property
    def audio_tokens(self) -> int:
        """Placeholder tokens per audio clip."""
        return self.audio_frames // self.audio_stride
