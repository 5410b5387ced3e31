"""`ModelSpec` entries for the paper's six remote-code models (status "not run here").

Every path below was read in the public modelling code named in the entry's ``notes``; none of
these checkpoints has been loaded by the test suite, so the paths are only checked for internal
consistency (``tests/models/test_specs_remote.py``). ``docs/remote_models.md`` tabulates the
findings and their sources.

Conventions used in this table where a model does not fit `MediaSpec` exactly:

- ``token_id=()`` means no config attribute holds the placeholder id; the placeholder is named in
  ``extra["placeholder_tokens"]`` and the notes say how the model finds it.
- A negative int literal is a sentinel that the model's own code splices out of ``input_ids``
  (LLaVA style); those models expand one placeholder into a feature run *inside* ``forward``, so
  positions in ``input_ids`` are not positions in the decoder (``extra["expands_inside_forward"]``).
- Where the processor takes no per-medium keyword (the medium is referenced inside the prompt
  text), ``processor_kwarg`` names the forward input that carries the processed medium, and the
  notes say so.
- ``required_inputs`` uses the ``name@medium`` markers of ``specs_native.py`` (``@always``: every
  batch). A medium whose placeholder id is unknown (``token_id=()``) is never detected in
  ``input_ids``, so its ``@medium`` markers document the contract but cannot fire.
- ``extra["d_model"]`` / ``extra["n_layers"]`` describe the language model; ``extra["width_source"]``
  says whether the width was seen in code or taken from the paper's models table.
  ``extra["paper_hidden_state_entries"]`` is the number the paper lists; it equals ``n_layers + 1``
  when the authors read HF ``hidden_states`` (embeddings + every block) and ``n_layers`` when they
  hooked the decoder blocks.
"""

from __future__ import annotations

from .spec import MediaSpec, ModelSpec

__all__ = ["REMOTE_SPECS", "MINICPM_O_2_6", "BAICHUAN_OMNI_1_5", "OLA_7B", "OMNIVINCI",
           "UNI_MOE_2_OMNI", "VIDEO_SALMONN_2_PLUS"]

IMAVB = "ngquangtrung57/imavb"
_ADAPTERS = f"experiments/hidden_state_extraction/model_adapters.py in {IMAVB}"
_LENS = f"experiments/logit_lens/extract_lm_weights.py in {IMAVB}"
_BASE = ("input_ids@always", "attention_mask@always")


MINICPM_O_2_6 = ModelSpec(
    architecture="MiniCPMO",
    family="minicpm_o",
    layers="llm.model.layers",
    final_norm="llm.model.norm",
    lm_head="llm.lm_head",
    vision_tower="vpm",
    projector="resampler",
    audio_tower="apm",
    audio_projector="audio_projection_layer",
    media=(
        MediaSpec(kind="image", token_id=(), processor_kwarg="images", chat_type="image"),
        MediaSpec(kind="audio", token_id=(), processor_kwarg="audios", chat_type="audio"),
    ),
    required_inputs=_BASE + ("pixel_values@always", "tgt_sizes@always", "image_bound@always",
                             "audio_features@audio", "audio_feature_lens@audio",
                             "audio_bounds@audio"),
    source="remote",
    status="not run here",
    checkpoints=("openbmb/MiniCPM-o-2_6",),
    notes=(
        "Paths from modeling_minicpmo.py of the openbmb/MiniCPM-o-2_6 hub repo (read in verbatim "
        "copies in jack139/minicpmo-backend and icyyrain/minicpmo-modified-files): class MiniCPMO "
        "sets self.llm = Qwen2ForCausalLM(config), self.vpm (SiglipVisionTransformer), "
        "self.resampler, self.apm (MiniCPMWhisperEncoder), self.audio_projection_layer and "
        "self.audio_avg_pooler; get_output_embeddings returns llm.lm_head. Audio order in "
        "get_audio_embedding is apm -> audio_projection_layer -> audio_avg_pooler, so the "
        "projector output is pooled once more before it enters the LM. Placeholders: "
        "processing_minicpmo.py (same copies) writes '<unk>' runs between the tokenizer's "
        "im_start/slice_start and im_end/slice_end tokens (images) and audio_start/audio_end "
        "(audio); the model scatters features at processor-computed image_bound / audio_bounds, "
        "not by token id, so no config attribute holds the id. Prompt tags are "
        "'(<image>./</image>)' and '(<audio>./</audio>)'; video is given as frames (one image "
        "each). MiniCPMO.forward takes one dict `data` and also reads data['position_ids'], "
        "which the processor does not emit; get_vllm_embedding reads pixel_values, tgt_sizes "
        "and image_bound unconditionally (hence @always), audio keys only when audio_features "
        "is non-empty. Architecture 'MiniCPMO' matches the class name; "
        "third-party test fixtures in the code index use architectures ['MiniCPMO'] with "
        "model_type 'minicpmo' (config.json itself not seen). Needs an older transformers "
        "(the paper says so; the file imports WHISPER_ATTENTION_CLASSES and LogitsWarper, "
        f"which newer releases dropped). Paper extractor ({_ADAPTERS}): AutoModel with "
        "init_tts=False, 50 frames resized to 448x252, audio in 30 s chunks, processor called "
        "with max_slice_nums=None, use_image_id=False, chunk_input=True; when audio is present "
        "the TTS chat template ends the prompt with '<|spk_bos|><|spk|><|spk_eos|><|tts_bos|>', "
        "so the 'last prompt token' is <|tts_bos|>. Forward hooks on llm.model.layers during "
        "generate(max_new_tokens=1) keep hs[:, -1, :] of the first 28 calls (prefill), i.e. 28 "
        "block outputs, no embedding entry. Logit lens ({_LENS}) uses llm.model.norm and "
        "llm.lm_head. Width/depth: not seen in code here; 3584 / 28 from the paper's table."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "paper.md models table",
        "paper_hidden_state_entries": 28,
        "placeholder_tokens": {"image": "<unk>", "audio": "<unk>"},
        "inline_tags": {"image": "(<image>./</image>)", "audio": "(<audio>./</audio>)"},
        "loader": "AutoModel.from_pretrained(trust_remote_code=True, init_vision=True, "
                  "init_audio=True, init_tts=False)",
    },
)


BAICHUAN_OMNI_1_5 = ModelSpec(
    architecture="OmniForCausalLM",
    family="baichuan_omni",
    layers="model.layers",
    final_norm="model.norm",
    lm_head="lm_head",
    vision_tower="model.visual_model",
    projector="model.visual_bridge_model",
    audio_tower="audio_tokenizer.audio_model",
    audio_projector="audio_tokenizer.audio_bridge_model",
    media=(
        MediaSpec(kind="image", token_id=("visual_config.image_pad_token_id",),
                  processor_kwarg="images", chat_type="image"),
        MediaSpec(kind="video", token_id=("video_config.video_place_token_id",),
                  processor_kwarg="videos", chat_type="video"),
        MediaSpec(kind="audio", token_id=("audio_config.audio_pad_token_id",),
                  processor_kwarg="audios", chat_type="audio"),
    ),
    required_inputs=_BASE + ("audios@audio", "encoder_length@audio", "bridge_length@audio",
                             "images@image", "patch_nums@image", "images_grid@image",
                             "videos@video", "videos_patch_nums@video", "videos_grid@video"),
    source="remote",
    status="not run here",
    checkpoints=("baichuan-inc/Baichuan-Omni-1d5",),
    notes=(
        "Paths from modeling_omni.py of the Baichuan-Omni-1.5 hub code (copy in hlt-cuhksz/EchoMind "
        "at src/eval-slm/model/Baichuan-Omni-1.5/baichuan-omni/model/modeling_omni.py): "
        "OmniForCausalLM has self.model = OmniModel (embed_tokens, layers = nn.ModuleList of "
        "DecoderLayer, norm = RMSNorm, visual_model = OmniVisualEncoder, visual_bridge_model = "
        "OmniVisualBridge, audio_embed_layers = one nn.Embedding per VQ codebook), "
        "self.audio_tokenizer = OmniAudioTokenizer (audio_model = OmniAudioEncoder, "
        "audio_bridge_model = OmniAudioVQBridgeTokenizer), self.audio_head, and self.lm_head. "
        "Caveats: (1) the audio bridge outputs discrete VQ codes, not LM-width vectors; they "
        "enter the LM as the sum of model.audio_embed_layers[i](codes[..., i]), so "
        "audio_projector here is the quantising bridge. (2) With config.use_norm_head the "
        "lm_head is a NormHead that L2-normalises each weight row inside forward: call the "
        "module for a logit lens; its raw .weight is not the unembedding the model uses (the "
        f"paper's {_LENS} saved the raw weight). Placeholder ids are config attributes read in "
        "the same file (get_visual_embed / forward) and in processor_omni.py of "
        "baichuan-inc/Baichuan-Omni-1.5 (baichuan-omni/model/processor_omni.py), which turns "
        "them into tags with tokenizer.convert_ids_to_tokens. The processor (OmniMMProcessor, "
        "built by model.bind_processor(tokenizer, training=False, relative_path=...)) takes "
        "only text: media are JSON objects inside start/end tags, e.g. "
        "'<video_start>{\"path\": ..., \"type\": \"video\"}<video_end>' and "
        "'<audio_start>{\"path\": ...}<audio_end>' as the paper's adapter writes them; "
        "processor_kwarg therefore names the forward input that carries each medium. "
        "Architecture name is the class the checkpoint loads through AutoModelForCausalLM; "
        "config.json itself not seen. Paper extractor "
        f"({_ADAPTERS}): AutoModelForCausalLM(trust_remote_code=True), muted video + chunked "
        "audio files, forward hooks on model.layers during generate(max_new_tokens=1), keeps "
        "hs[:, -1, :] of the prefill pass (28 block outputs, no embedding entry). Width/depth: "
        "README says the LM is Qwen2.5-7B; 3584 / 28 from the paper's table."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "paper.md models table (README: Qwen2.5-7B LM)",
        "paper_hidden_state_entries": 28,
        "lm_head_class": "NormHead when config.use_norm_head",
        "audio_embedding_path": "model.audio_embed_layers",
        "loader": "AutoModelForCausalLM.from_pretrained(trust_remote_code=True); "
                  "model.bind_processor(tokenizer, training=False, relative_path=...)",
    },
)


OLA_7B = ModelSpec(
    architecture="OlaQwenForCausalLM",
    family="ola",
    layers="model.layers",
    final_norm="model.norm",
    lm_head="lm_head",
    vision_tower="model.vision_tower",
    projector="model.mm_projector",
    audio_tower="model.speech_encoder",
    audio_projector="model.speech_projector",
    media=(
        MediaSpec(kind="video", token_id=-300, processor_kwarg="images", chat_type="video"),
        MediaSpec(kind="audio", token_id=-200, processor_kwarg="speech", chat_type="audio"),
    ),
    required_inputs=_BASE + ("images@video", "images_highres@video", "modalities@video",
                             "speech@audio", "speech_lengths@audio", "speech_chunks@audio",
                             "speech_wav@audio"),
    source="remote",
    status="not run here",
    checkpoints=("THUdyh/Ola-7b",),
    notes=(
        "Paths from the Ola package as vendored in open-compass/opencompass "
        "(opencompass/models/ola/model/language_model/ola_qwen.py and .../model/ola_arch.py): "
        "OlaQwenForCausalLM(Qwen2ForCausalLM) sets self.model = OlaQwenModel(OlaMetaModel, "
        "Qwen2Model) and self.lm_head; OlaMetaModel adds speech_encoder + speech_projector "
        "(when config has speech_encoder) and vision_tower + vision_resampler + mm_projector "
        "(when config has mm_vision_tower). model_type 'ola_qwen' is registered with "
        "AutoModelForCausalLM there. Sentinels from opencompass/models/ola/constants.py: "
        "SPEECH_TOKEN_INDEX = -200 ('<speech>'), IMAGE_TOKEN_INDEX = -300 ('<image>', also used "
        "for video; the paper's adapter passes modalities='video'). forward/generate call "
        "prepare_inputs_labels_for_speech_vision_text (ola_arch.py) before the LM; by the "
        "LLaVA-style sentinels it splices feature runs in place of each sentinel (inferred, body "
        "not read), so input_ids positions are not decoder positions. Not a trust_remote_code checkpoint: it loads "
        "through the Ola code's load_pretrained_model (opencompass/models/ola/model/builder.py), "
        "which rebuilds model.speech_encoder from config after from_pretrained and loads the "
        "vision tower lazily; there is no HF processor (images come from process_anyres_video, "
        "speech from whisper log-mel, so processor_kwarg names forward inputs). Architecture "
        "name is the class the loader uses; config.json not seen. Paper extractor "
        f"({_ADAPTERS}): OLA_SOURCE_DIR + env vars (USE_SPEECH=1, VIDEO_RESIZE=0x64, ...), 50 "
        "frames, conv template 'qwen_1_5', prompt '<speech><image>\\n{question}', forward hooks "
        "on model.layers during generate(max_new_tokens=1) keeping hs[:, -1, :] of the prefill "
        "(28 block outputs). The paper's table lists 29 entries for OLA, which matches "
        "embeddings + 28 blocks, not this hook extractor: check which one produced the "
        f"published layer indices. Logit lens ({_LENS}): model.norm, lm_head. Width/depth: LM "
        "is a Qwen2 model per ola_qwen.py; 3584 / 28 from the paper's table."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "paper.md models table",
        "paper_hidden_state_entries": 29,
        "expands_inside_forward": True,
        "placeholder_tokens": {"video": "<image>", "audio": "<speech>"},
        "vision_resampler_path": "model.vision_resampler",
        "loader": "ola.model.builder.load_pretrained_model(path, None)",
    },
)


OMNIVINCI = ModelSpec(
    architecture="VILAForCausalLM",
    family="omnivinci",
    layers="llm.model.layers",
    final_norm="llm.model.norm",
    lm_head="llm.lm_head",
    vision_tower="vision_tower",
    projector="mm_projector",
    audio_tower="sound_tower",
    audio_projector="sound_mm_projector",
    media=(
        MediaSpec(kind="image", token_id=(), processor_kwarg="media", chat_type="image"),
        MediaSpec(kind="video", token_id=(), processor_kwarg="media", chat_type="video"),
        MediaSpec(kind="audio", token_id=(), processor_kwarg="media", chat_type="sound"),
    ),
    required_inputs=_BASE + ("media@always", "media_config@always"),
    source="remote",
    status="not run here",
    checkpoints=("nvidia/OmniVinci",),
    notes=(
        "Paths from modeling_vila.py as shipped with nvidia/omnivinci (VILA code base; read in a "
        "copy in the code index whose repository the index does not name, so re-check against "
        "the hub file): VILAPretrainedModel.__init__ builds self.mm_projector, self.vision_tower "
        "(SiglipVisionTowerDynamicS2 wrapper; the HF SigLIP is vision_tower.vision_tower), "
        "self.sound_tower (Qwen2AudioTower / Qwen25omni_AudioTower wrapper; inner "
        "sound_tower.audio_tower) + self.sound_mm_projector, optionally speech_tower + "
        "speech_mm_projector, and self.llm, self.tokenizer = build_llm_and_tokenizer(...) "
        "(Qwen2ForCausalLM; get_lm_head returns llm.lm_head). convert_vila_dev_ckpt_to_remote "
        "writes architectures ['VILAForCausalLM'], model_type 'vila'. Media tokens (an OmniVinci "
        "configuration file in the index, MEDIA_TOKENS): '<image>', '<vila/video>', "
        "'<sound>'; the ids live in tokenizer.media_token_ids, not in a config attribute. "
        "VILAForCausalLM._embed replaces each single media token by its whole feature run, "
        "drops padding and re-pads, so input_ids positions are not decoder positions; with "
        "load_audio_in_video and interleaved_vis_aud_in_video the video run interleaves visual "
        "and audio segments separated by the '\\n' embedding, i.e. audio sits inside the video "
        "span. The processor (AutoProcessor, trust_remote_code) takes the chat-templated text "
        "(content types 'video' / 'text' with a file path, as in NVlabs/OmniVinci "
        "example_infer.py) and returns input_ids, media, media_config; processor_kwarg names "
        "that media dict (keys 'image', 'video', 'sound'). _embed tests `\"video_info\" in "
        "media` before any None check, so media (and media_config) must be passed on every "
        "call, if only as empty dicts. Paper extractor "
        f"({_ADAPTERS}): AutoModel(trust_remote_code=True, float16), model(**inputs, "
        "output_hidden_states=True) and hidden_states[i][0, -1, :] (29 entries = embeddings + "
        "28 blocks, last one after the final norm). The paper's logit-lens accessor "
        f"({_LENS}) names model.norm / lm_head, which this class does not have; its fallback "
        "llm.model.norm / llm.lm_head is what resolves. Width/depth: not seen in code here; "
        "3584 / 28 from the paper's table (29 entries)."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "paper.md models table",
        "paper_hidden_state_entries": 29,
        "expands_inside_forward": True,
        "placeholder_tokens": {"image": "<image>", "video": "<vila/video>", "audio": "<sound>"},
        "media_keys": {"image": "image", "video": "video", "audio": "sound"},
        "loader": "AutoModel.from_pretrained(trust_remote_code=True)",
    },
)


UNI_MOE_2_OMNI = ModelSpec(
    architecture="GrinQwen2VLOutForConditionalGeneration",
    family="uni_moe",
    layers="model.layers",
    final_norm="model.norm",
    lm_head="lm_head",
    vision_tower="vision_tower",
    projector="vision_aligner",
    audio_tower="audio_tower",
    audio_projector="audio_aligner",
    media=(
        MediaSpec(kind="image", token_id=("image_token_id",), processor_kwarg="images",
                  chat_type="image"),
        MediaSpec(kind="video", token_id=("video_token_id",), processor_kwarg="videos",
                  chat_type="video"),
        MediaSpec(kind="audio", token_id=("audio_token_id",), processor_kwarg="audios",
                  chat_type="audio"),
    ),
    required_inputs=_BASE + ("pixel_values@image", "image_grid_thw@image",
                             "pixel_values_videos@video", "video_grid_thw@video",
                             "second_per_grid_ts@video", "audio_features@audio",
                             "audio_grid_thw@audio"),
    source="remote",
    status="not run here",
    checkpoints=("HIT-TMG/Uni-MoE-2.0-Omni",),
    notes=(
        "Paths from uni_moe/model/modeling_qwen_grin_moe.py and uni_moe/model/modeling_out.py of "
        "HITsz-TMG/Uni-MoE (Uni-MoE-2 package; read in copies the code index does not attribute "
        "to a repository): GrinQwen2VLOutForConditionalGeneration subclasses "
        "GrinQwen2VLForConditionalGeneration, whose __init__ sets vision_tower + vision_aligner "
        "(when config.vision_config), audio_tower + audio_aligner (when config.audio_config), "
        "self.model = GrinQwen2VLModel (embed_tokens, layers = nn.ModuleList of "
        "GrinQwen2VLDecoderLayer with MoE MLPs, norm = Qwen2RMSNorm) and self.lm_head. Config "
        "attributes read in get_rope_index: image_token_id, video_token_id, audio_token_id, "
        "vision_start_token_id, audio_start_token_id, vision_spatial_pool_stride. Vision runs "
        "hold t*h*w*stride^2 tokens per grid (grid semantics differ from Qwen2-VL, so no "
        "grid_key here). Prompts use '<image>', '<video>', '<audio>' in the text, replaced by "
        "'<|vision_start|><|image_pad|><|vision_end|>', '<|vision_start|><|video_pad|>"
        "<|vision_end|>', '<|audio_start|><|audio_pad|><|audio_end|>' before calling "
        "uni_moe's Qwen2VLProcessor(text, images, videos, audios); processor.data_args = "
        "model.config must be set. Caveats: forward builds torch.device(f'cuda:{local_rank}') "
        "(CUDA only as written); importing uni_moe.model.deepspeed_moe_inference_utils is "
        "required; the processor emits 'second_grid_ts', which must be renamed "
        "'second_per_grid_ts', and 1-D input_ids that need a batch dimension. Architecture "
        "name is the class the loader uses (model_type 'grin_qwen2_vl_out'); config.json not "
        f"seen. Paper extractor ({_ADAPTERS}): video only (50 frames, 448x252), "
        "model(**inputs, output_hidden_states=True), hidden_states[i][0, -1, :] (29 entries = "
        "embeddings + 28 blocks). Width: modeling_qwen_grin_moe.py hard-codes 3584-wide "
        "TextFcLayer inputs; 28 layers from the paper's table (29 entries)."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "modeling_qwen_grin_moe.py (TextFcLayer in_dim=3584) + paper.md",
        "paper_hidden_state_entries": 29,
        "start_token_ids": ("vision_start_token_id", "audio_start_token_id"),
        "loader": "uni_moe.model.modeling_out.GrinQwen2VLOutForConditionalGeneration"
                  ".from_pretrained(...)",
    },
)


VIDEO_SALMONN_2_PLUS = ModelSpec(
    architecture="video_SALMONN2_plus",
    family="video_salmonn",
    layers="model.layers",
    final_norm="model.norm",
    lm_head="lm_head",
    vision_tower="visual",
    projector="visual.merger",
    audio_tower="audio",
    audio_projector=None,
    media=(
        MediaSpec(kind="image", token_id=("image_token_id",), processor_kwarg="images",
                  chat_type="image", grid_key="image_grid_thw",
                  merge_attr="vision_config.spatial_merge_size"),
        MediaSpec(kind="video", token_id=("video_token_id",), processor_kwarg="videos",
                  chat_type="video", grid_key="video_grid_thw",
                  merge_attr="vision_config.spatial_merge_size"),
        MediaSpec(kind="audio", token_id=("audio_token_id",), processor_kwarg="audio",
                  chat_type="audio"),
    ),
    required_inputs=_BASE + ("pixel_values@image", "image_grid_thw@image",
                             "pixel_values_videos@video", "video_grid_thw@video",
                             "second_per_grid_ts@video", "audio_feature@audio",
                             "audio_lengths@audio"),
    source="remote",
    status="not run here",
    checkpoints=("tsinghua-ee/video-SALMONN-2_plus_7B",),
    notes=(
        "Paths from video_SALMONN2_plus/qwenvl/model/modeling_qwen2_5_vl.py in "
        "bytedance/video-SALMONN-2: class video_SALMONN2_plus sets self.visual = "
        "Qwen2_5_VisionTransformerPretrainedModel (its self.merger = Qwen2_5_VLPatchMerger maps "
        "to the LM width), self.audio = WhisperEncoder (from qwenvl/model/modeling_whisper.py), "
        "self.model = Qwen2_5_VLModel (embed_tokens, layers, norm) and self.lm_head. "
        "get_audio_embeds feeds self.audio(...) output straight into the placeholder slots, so "
        "the projection to LM width lives inside `audio` (its WhisperConfig carries a Q-Former "
        "config with out_hidden_size 3584 in configuration_qwen2_5_vl.py); modeling_whisper.py "
        "is not in the index, so audio_projector is left None. Placeholder ids are config "
        "attributes image_token_id / video_token_id / audio_token_id / vision_start_token_id "
        "(get_rope_index); with both video_grid_thw and audio_lengths, audio pads are "
        "interleaved inside the video run. README_transformers.md (same repo) names an alias "
        "VideoSALMONN2PlusForConditionalGeneration and a VideoSALMONN2PlusProcessor taking "
        "text, images, videos, audio (30 s windows -> 60 audio tokens each). Architecture: "
        "the class the paper loads; config.json not seen, and if a checkpoint lists "
        "Qwen2_5_VLForConditionalGeneration the native Qwen2.5-VL spec would claim it, so load "
        "through this class. LoRA: the paper loads the base "
        "tsinghua-ee/video_SALMONN2plus_7B_audioAlign with video_SALMONN2_plus.from_pretrained, "
        "detaches model.audio.layers, applies PeftModel.from_pretrained(model, "
        "'tsinghua-ee/video-SALMONN-2_plus_7B'), restores the audio layers and calls "
        "merge_and_unload(); without the merge every path gains a 'base_model.model.' prefix. "
        "The file prints via torch.cuda.current_device() in get_*_embeds (CUDA only as written). "
        f"Paper extractor ({_ADAPTERS}): Qwen2_5_VLProcessor from Qwen/Qwen2.5-VL-7B-Instruct "
        "(max_pixels=61250) plus audio features from model.audio.audio_processor passed as "
        "audio_feature / audio_lengths, audio pads appended after the video as text; "
        "generate(max_new_tokens=1, output_hidden_states=True, return_dict_in_generate=True) "
        "and hidden_states[0][i][0, -1, :] (29 entries = embeddings + 28 blocks). The paper's "
        f"logit-lens accessor ({_LENS}) names llama_model.model.norm, which this class does "
        "not have; model.norm / lm_head are the paths in the modelling file. Width: vision "
        "out_hidden_size default 3584 in configuration_qwen2_5_vl.py; 28 layers from the "
        "paper's table (Qwen2.5-VL-7B)."
    ),
    extra={
        "d_model": 3584,
        "n_layers": 28,
        "width_source": "configuration_qwen2_5_vl.py (out_hidden_size=3584) + paper.md",
        "paper_hidden_state_entries": 29,
        "base_checkpoint": "tsinghua-ee/video_SALMONN2plus_7B_audioAlign",
        "lora_checkpoint": "tsinghua-ee/video-SALMONN-2_plus_7B",
        "architecture_aliases": ("VideoSALMONN2PlusForConditionalGeneration",),
        "placeholder_tokens": {"image": "<|image_pad|>", "video": "<|video_pad|>",
                               "audio": "<|audio_pad|>"},
        "loader": "qwenvl.model.modeling_qwen2_5_vl.video_SALMONN2_plus.from_pretrained(base) "
                  "+ peft LoRA merge",
    },
)


#: The paper's six remote-code models, in the order of its models table.
REMOTE_SPECS: tuple[ModelSpec, ...] = (
    OLA_7B,
    OMNIVINCI,
    MINICPM_O_2_6,
    UNI_MOE_2_OMNI,
    BAICHUAN_OMNI_1_5,
    VIDEO_SALMONN_2_PLUS,
)
