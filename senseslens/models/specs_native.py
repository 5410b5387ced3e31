"""ModelSpecs for architectures native to transformers (5.x module paths).

Each entry is checked against a tiny random model of the same config class in the
test suite. Required-input markers read ``name@medium``: the input must be present
whenever that medium is in the batch (``@always``: on every batch).
"""

from __future__ import annotations

from .spec import MediaSpec, ModelSpec

# --- media building blocks -------------------------------------------------------------
_IMAGE_IDS = ("image_token_id", "image_token_index")
_VIDEO_IDS = ("video_token_id", "video_token_index")
_AUDIO_IDS = ("audio_token_id", "audio_token_index")

QWEN_IMAGE = MediaSpec("image", _IMAGE_IDS, "images", "image", "image_grid_thw", "vision_config.spatial_merge_size")
QWEN_VIDEO = MediaSpec("video", _VIDEO_IDS, "videos", "video", "video_grid_thw", "vision_config.spatial_merge_size")
AUDIO = MediaSpec("audio", _AUDIO_IDS, "audio", "audio", rate_kwarg="sampling_rate")
IMAGE = MediaSpec("image", _IMAGE_IDS, "images", "image")
NESTED_IMAGE = MediaSpec("image", _IMAGE_IDS, "images", "image", nested=True)
VIDEO = MediaSpec("video", _VIDEO_IDS, "videos", "video")
PHI4_IMAGE = MediaSpec("image", ("vision_config.image_token_id",), "images", "image")
PHI4_AUDIO = MediaSpec("audio", ("audio_config.audio_token_id",), "audio", "audio", rate_kwarg="sampling_rate")

_QWEN_LM = dict(layers="model.language_model.layers", final_norm="model.language_model.norm")
_BASE = ("input_ids@always", "attention_mask@always")


def _qwen_omni(arch: str, family: str, checkpoints: tuple[str, ...], full: bool) -> ModelSpec:
    return ModelSpec(
        architecture=arch,
        family=family,
        **_QWEN_LM,
        vision_tower="model.visual",
        projector="model.visual.merger",
        audio_tower="model.audio_tower",
        root="thinker" if full else "",
        config_root="thinker_config" if full else "",
        media=(QWEN_IMAGE, QWEN_VIDEO, AUDIO),
        required_inputs=_BASE + ("feature_attention_mask@audio",),
        checkpoints=checkpoints,
        notes=("full model: runs its .thinker (the full class has no forward)" if full else "")
        + (" | projector = merger, which runs inside the vision tower" if not full else ""),
    )


def _qwen_vl(arch: str, family: str, checkpoints: tuple[str, ...], notes: str = "") -> ModelSpec:
    return ModelSpec(
        architecture=arch,
        family=family,
        **_QWEN_LM,
        vision_tower="model.visual",
        projector="model.visual.merger",
        media=(QWEN_IMAGE, QWEN_VIDEO),
        required_inputs=_BASE,
        derived_inputs=("mm_token_type_ids",),
        checkpoints=checkpoints,
        notes=notes or "mm_token_type_ids derived from input_ids when absent (else 1-D positions)",
    )


NATIVE_SPECS: tuple[ModelSpec, ...] = (
    _qwen_omni("Qwen2_5OmniThinkerForConditionalGeneration", "qwen2.5-omni", ("Qwen/Qwen2.5-Omni-7B", "Qwen/Qwen2.5-Omni-3B"), False),
    _qwen_omni("Qwen2_5OmniForConditionalGeneration", "qwen2.5-omni", ("Qwen/Qwen2.5-Omni-7B",), True),
    _qwen_omni("Qwen3OmniMoeThinkerForConditionalGeneration", "qwen3-omni", ("Qwen/Qwen3-Omni-30B-A3B-Instruct",), False).with_overrides(
        notes="deepstack: merger_list adds visual features between early layers, so layer i output != layer i+1 input there"
    ),
    _qwen_omni("Qwen3OmniMoeForConditionalGeneration", "qwen3-omni", ("Qwen/Qwen3-Omni-30B-A3B-Instruct",), True),
    _qwen_vl("Qwen2VLForConditionalGeneration", "qwen2-vl", ("Qwen/Qwen2-VL-7B-Instruct",)),
    _qwen_vl("Qwen2_5_VLForConditionalGeneration", "qwen2.5-vl", ("Qwen/Qwen2.5-VL-7B-Instruct",)),
    _qwen_vl("Qwen3VLForConditionalGeneration", "qwen3-vl", ("Qwen/Qwen3-VL-8B-Instruct",),
             notes="deepstack mergers inject features into early layers; mm_token_type_ids derived when absent"),
    ModelSpec(
        architecture="LlavaForConditionalGeneration",
        family="llava",
        **_QWEN_LM,
        vision_tower="model.vision_tower",
        projector="model.multi_modal_projector",
        media=(IMAGE,),
        required_inputs=_BASE,
        checkpoints=("llava-hf/llava-1.5-7b-hf",),
        notes="the LM reads the projector output (vision hidden_states[-2] without CLS)",
    ),
    ModelSpec(
        architecture="LlavaOnevisionForConditionalGeneration",
        family="llava-onevision",
        **_QWEN_LM,
        vision_tower="model.vision_tower",
        projector="model.multi_modal_projector",
        media=(IMAGE, VIDEO),
        required_inputs=_BASE,
        checkpoints=("llava-hf/llava-onevision-qwen2-7b-ov-hf",),
        notes="image-newline vectors sit inside image runs and carry no patch features",
    ),
    ModelSpec(
        architecture="Idefics3ForConditionalGeneration",
        family="idefics3",
        layers="model.text_model.layers",
        final_norm="model.text_model.norm",
        vision_tower="model.vision_model",
        projector="model.connector",
        media=(IMAGE,),
        required_inputs=_BASE + ("pixel_attention_mask@image",),
        checkpoints=("HuggingFaceM4/Idefics3-8B-Llama3",),
    ),
    ModelSpec(
        architecture="SmolVLMForConditionalGeneration",
        family="smolvlm",
        layers="model.text_model.layers",
        final_norm="model.text_model.norm",
        vision_tower="model.vision_model",
        projector="model.connector",
        media=(NESTED_IMAGE, VIDEO),
        required_inputs=_BASE + ("pixel_attention_mask@image",),
        checkpoints=("HuggingFaceTB/SmolVLM2-2.2B-Instruct",),
    ),
    ModelSpec(
        architecture="Gemma3ForConditionalGeneration",
        family="gemma3",
        **_QWEN_LM,
        vision_tower="model.vision_tower",
        projector="model.multi_modal_projector",
        media=(NESTED_IMAGE,),
        required_inputs=_BASE,
        derived_inputs=("token_type_ids",),
        checkpoints=("google/gemma-3-4b-it",),
        notes="token_type_ids derived when absent (else causal attention over image tokens)",
    ),
    ModelSpec(
        architecture="Gemma3nForConditionalGeneration",
        family="gemma3n",
        **_QWEN_LM,
        vision_tower="model.vision_tower",
        projector="model.embed_vision",
        audio_tower="model.audio_tower",
        audio_projector="model.embed_audio",
        media=(IMAGE, AUDIO),
        required_inputs=_BASE + ("input_features_mask@audio",),
        checkpoints=("google/gemma-3n-E4B-it",),
        notes="needs timm; hidden states are [2, B, T, H] AltUp streams; audio padded to a fixed token count",
    ),
    ModelSpec(
        architecture="Phi4MultimodalForCausalLM",
        family="phi4-multimodal",
        layers="model.layers",
        final_norm="model.norm",
        vision_tower="model.embed_tokens_extend.image_embed",
        audio_tower="model.embed_tokens_extend.audio_embed",
        media=(PHI4_IMAGE, PHI4_AUDIO),
        required_inputs=_BASE,
        checkpoints=("microsoft/Phi-4-multimodal-instruct",),
        notes="crop separators inside image runs carry no patch features; batch clips of unequal length "
        "only with the processor's audio_attention_mask",
    ),
    ModelSpec(
        architecture="Qwen2AudioForConditionalGeneration",
        family="qwen2-audio",
        **_QWEN_LM,
        audio_tower="model.audio_tower",
        audio_projector="model.multi_modal_projector",
        media=(AUDIO,),
        required_inputs=_BASE + ("feature_attention_mask@audio",),
        checkpoints=("Qwen/Qwen2-Audio-7B-Instruct",),
    ),
)

ORGANISM_SPEC = ModelSpec(
    architecture="SensesOrganismForConditionalGeneration",
    family="senses-organism",
    **_QWEN_LM,
    vision_tower="model.vision_tower",
    projector="model.multi_modal_projector",
    audio_tower="model.audio_tower",
    audio_projector="model.audio_projector",
    media=(IMAGE, AUDIO),
    required_inputs=_BASE,
    checkpoints=("senseslens: sl.load_organism()",),
    notes="the model organism shipped with senseslens, trained on synthetic clips",
)
