"""Torch-only video processors (HF video processors need torchvision).

:class:`QwenVideoProcessorTorch` has the same output format as the Qwen2-VL video processor:
frames are padded to a multiple of the temporal patch by repeating the last one, resized
(aspect kept) to multiples of ``patch_size * merge_size`` within ``[min_pixels, max_pixels]``,
scaled to [0, 1], normalised with the CLIP mean / std, and cut into patches ordered so that
each ``merge x merge`` block is contiguous (the order the Qwen vision towers assume).

Output: ``pixel_values_videos`` ``[sum_v t·h·w, 3·temporal·patch²]``, ``video_grid_thw`` ``[V, 3]``
(grid in patches: t = frames / temporal_patch_size) and ``video_metadata`` (one
:class:`~transformers.video_utils.VideoMetadata` per video, frames taken at ``fps``). Sampling
and decoding are not done here: pass the frames to use. :class:`FrameVideoProcessorTorch` does
the same for LLaVA-OneVision (frames resized to a fixed size and stacked).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from transformers.image_processing_utils import BatchFeature
from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from transformers.video_processing_utils import VideoProcessorMixin
from transformers.video_utils import VideoMetadata


class QwenVideoProcessorTorch(VideoProcessorMixin):
    """Qwen-VL / Qwen-Omni video patches from uint8 frames ``[N, H, W, 3]`` with torch only."""

    model_input_names = ["pixel_values_videos", "video_grid_thw"]

    def __init__(
        self,
        patch_size: int = 14,
        temporal_patch_size: int = 2,
        merge_size: int = 2,
        min_pixels: int = 128 * 28 * 28,
        max_pixels: int = 768 * 28 * 28,
        fps: float = 2.0,
        **kwargs,
    ):
        for key in ("image_mean", "image_std"):
            kwargs.setdefault(key, list(OPENAI_CLIP_MEAN if key == "image_mean" else OPENAI_CLIP_STD))
        super().__init__(**kwargs)
        self.patch_size, self.temporal_patch_size, self.merge_size = patch_size, temporal_patch_size, merge_size
        self.min_pixels, self.max_pixels, self.fps = min_pixels, max_pixels, fps

    def _target_size(self, height: int, width: int) -> tuple[int, int]:
        factor = self.patch_size * self.merge_size
        area = min(max(height * width, self.min_pixels), self.max_pixels)
        scale = math.sqrt(area / (height * width))
        return (
            max(factor, round(height * scale / factor) * factor),
            max(factor, round(width * scale / factor) * factor),
        )

    def _patches(self, video: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
        frames = torch.as_tensor(np.asarray(video)).float()
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected uint8 frames [N, H, W, 3], got shape {tuple(frames.shape)}")
        frames = frames.permute(0, 3, 1, 2)
        extra = -frames.shape[0] % self.temporal_patch_size
        frames = torch.cat([frames, frames[-1:].expand(extra, -1, -1, -1)]) if extra else frames
        height, width = self._target_size(*frames.shape[-2:])
        frames = F.interpolate(frames, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 255)
        mean = torch.tensor(self.image_mean).view(1, 3, 1, 1)
        std = torch.tensor(self.image_std).view(1, 3, 1, 1)
        frames = (frames / 255.0 - mean) / std
        p, m, tp = self.patch_size, self.merge_size, self.temporal_patch_size
        grid = (frames.shape[0] // tp, height // p, width // p)
        blocks = frames.reshape(grid[0], tp, 3, grid[1] // m, m, p, grid[2] // m, m, p)
        blocks = blocks.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
        return blocks.reshape(grid[0] * grid[1] * grid[2], 3 * tp * p * p), grid

    def preprocess(self, videos, return_tensors=None, fps: float | None = None, **kwargs) -> BatchFeature:
        """``videos``: one ``[N, H, W, 3]`` array or a list of them. Other video kwargs are ignored."""
        if isinstance(videos, (np.ndarray, torch.Tensor)) and np.ndim(videos) == 4:
            videos = [videos]
        fps = fps or self.fps
        done = [self._patches(video) for video in videos]
        metadata = [
            VideoMetadata(
                total_num_frames=len(video), fps=fps, width=int(np.shape(video)[2]), height=int(np.shape(video)[1]),
                frames_indices=list(range(len(video))),
            )
            for video in videos
        ]
        data = {
            "pixel_values_videos": torch.cat([patches for patches, _ in done]),
            "video_grid_thw": torch.tensor([grid for _, grid in done], dtype=torch.long),
            "video_metadata": metadata,
        }
        return BatchFeature(data=data, tensor_type=return_tensors, skip_tensor_conversion=["video_metadata"])

    def __call__(self, videos, **kwargs) -> BatchFeature:
        return self.preprocess(videos, **kwargs)


class FrameVideoProcessorTorch(VideoProcessorMixin):
    """Videos as stacks of resized, normalised frames (LLaVA-OneVision layout), torch only.

    Output: ``pixel_values_videos`` ``[V, frames, 3, height, width]`` (all videos must have the same
    number of frames) and ``video_metadata``.
    """

    model_input_names = ["pixel_values_videos"]

    def __init__(self, height: int = 384, width: int = 384, fps: float = 2.0, **kwargs):
        for key in ("image_mean", "image_std"):
            kwargs.setdefault(key, list(OPENAI_CLIP_MEAN if key == "image_mean" else OPENAI_CLIP_STD))
        super().__init__(**kwargs)
        self.height, self.width, self.fps = height, width, fps

    def preprocess(self, videos, return_tensors=None, fps: float | None = None, **kwargs) -> BatchFeature:
        """``videos``: one ``[N, H, W, 3]`` uint8 array or a list of them. Other video kwargs are ignored."""
        if isinstance(videos, (np.ndarray, torch.Tensor)) and np.ndim(videos) == 4:
            videos = [videos]
        mean = torch.tensor(self.image_mean).view(1, 3, 1, 1)
        std = torch.tensor(self.image_std).view(1, 3, 1, 1)
        stacks = []
        for video in videos:
            frames = torch.as_tensor(np.asarray(video)).float().permute(0, 3, 1, 2)
            frames = F.interpolate(frames, size=(self.height, self.width), mode="bicubic", align_corners=False)
            stacks.append((frames.clamp(0, 255) / 255.0 - mean) / std)
        metadata = [
            VideoMetadata(total_num_frames=len(v), fps=fps or self.fps, frames_indices=list(range(len(v))))
            for v in videos
        ]
        data = {"pixel_values_videos": torch.stack(stacks), "video_metadata": metadata}
        return BatchFeature(data=data, tensor_type=return_tensors, skip_tensor_conversion=["video_metadata"])

    def __call__(self, videos, **kwargs) -> BatchFeature:
        return self.preprocess(videos, **kwargs)


class TorchVideoProcessorCheck:
    """Mixin for processors holding :class:`QwenVideoProcessorTorch`.

    Without torchvision, transformers cannot resolve the base class it checks video processors
    against (its video processor registry is a placeholder), so the check is done here directly.
    """

    def check_argument_for_proper_class(self, argument_name, argument):
        if argument_name == "video_processor":
            if not isinstance(argument, VideoProcessorMixin):
                raise TypeError(
                    f"video_processor must be a VideoProcessorMixin (e.g. QwenVideoProcessorTorch), got "
                    f"{type(argument).__name__}"
                )
            return VideoProcessorMixin
        return super().check_argument_for_proper_class(argument_name, argument)
