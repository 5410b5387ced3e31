"""Real media written to disk and read back with PyAV / soundfile / Pillow."""

from __future__ import annotations

import numpy as np
import pytest

from senseslens.data import load_audio, load_image, sample_frames, write_video
from senseslens.errors import DataError


def test_sample_frames_picks_uniform_centres(media_files):
    frames = sample_frames(media_files["video"], 4)
    assert frames.shape == (4, 32, 48, 3) and frames.dtype == np.uint8
    # 3 s clip, targets (i + .5) * 3 / 4 s -> first frames at/after them: indices 3, 9, 15, 21
    expected = np.array([30, 90, 150, 210])
    got = frames[:, 16, 24].astype(int).mean(axis=1)
    assert np.all(np.abs(got - expected) <= 8), got


def test_sample_frames_resizes_and_handles_dense_sampling(media_files):
    frames = sample_frames(media_files["video"], 30, size=(16, 20))
    assert frames.shape == (30, 16, 20, 3)
    levels = frames[:, 8, 10, 0].astype(int)
    assert np.all(np.diff(levels) >= -8), "frames must come out in time order"
    square = sample_frames(media_files["video"], 2, size=8)
    assert square.shape == (2, 8, 8, 3)


class _CountingContainer:
    """Delegates to a PyAV container and counts decoded frames and seeks."""

    def __init__(self, inner, stats):
        self._inner, self._stats = inner, stats

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def seek(self, *args, **kwargs):
        self._stats["seeks"] += 1
        return self._inner.seek(*args, **kwargs)

    def decode(self, *args, **kwargs):
        for frame in self._inner.decode(*args, **kwargs):
            self._stats["decoded"] += 1
            yield frame


def test_sparse_sampling_seeks_instead_of_decoding_everything(tmp_path, monkeypatch):
    import av

    n_total = 8 * 12  # 12 s at 8 fps, a keyframe every second
    path = write_video(tmp_path / "long.mp4", np.zeros((n_total, 16, 16, 3), np.uint8), 8)
    stats = {"seeks": 0, "decoded": 0}
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: _CountingContainer(real_open(*a, **k), stats))
    out = sample_frames(path, 3)
    assert out.shape == (3, 16, 16, 3)
    assert stats["seeks"] == 3
    assert stats["decoded"] < n_total / 2, stats


def test_load_audio_from_video_track(media_files):
    wave = load_audio(media_files["video"])
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) - 3 * 16_000) < 0.05 * 3 * 16_000  # AAC adds a little priming
    rms = float(np.sqrt(np.mean(wave[4000:-4000] ** 2)))
    assert 0.25 < rms < 0.45  # a 0.5-amplitude sine has rms 0.354


def test_load_audio_resamples_wav(media_files):
    wave = load_audio(media_files["wav"], sr=16_000)  # written at 22.05 kHz, 1 s
    assert abs(len(wave) - 16_000) <= 160
    assert load_audio(media_files["wav"], sr=8_000).shape[0] == pytest.approx(8_000, abs=80)


def test_load_image_round_trip(media_files):
    img = load_image(media_files["png"])
    assert img.shape == (32, 48, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, media_files["frames"][5])


@pytest.mark.parametrize("reader", [lambda p: sample_frames(p, 2), load_audio, load_image])
def test_missing_file_is_a_data_error_naming_it(tmp_path, reader):
    missing = tmp_path / "nowhere" / "clip_missing.mp4"
    with pytest.raises(DataError, match="clip_missing.mp4"):
        reader(missing)


@pytest.mark.parametrize("reader", [lambda p: sample_frames(p, 2), load_audio, load_image])
def test_unreadable_file_is_a_data_error_naming_it(tmp_path, reader):
    bad = tmp_path / "garbage_file.mp4"
    bad.write_bytes(b"this is not media" * 10)
    with pytest.raises(DataError, match="garbage_file.mp4"):
        reader(bad)


def test_silent_video_has_no_audio(media_files):
    with pytest.raises(DataError, match="no audio track"):
        load_audio(media_files["silent"])


def test_write_video_rejects_bad_frames(tmp_path):
    with pytest.raises(DataError, match="even"):
        write_video(tmp_path / "odd.mp4", np.zeros((2, 15, 16, 3), np.uint8), 4)
    with pytest.raises(DataError, match="uint8"):
        write_video(tmp_path / "f.mp4", np.zeros((2, 16, 16, 3), np.float32), 4)

