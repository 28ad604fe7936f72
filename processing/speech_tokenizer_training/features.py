# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Frames: the HuBERT frame grid, the acoustic features on it (the first k-means targets) and the features of a
trained model at any layer by the exact inference path (the later targets and the quantizer's input)."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio.functional as AF

from modeling_spirit.constants import SAMPLING_RATE
from modeling_spirit.modeling_spirit_speech_tokenizer import conv_output_lengths, encode_frames

# Frame features whose k-means classes are the first masked-prediction targets (`acoustic_features`).
ACOUSTIC_FEATURES = ("mfcc", "logmel")


def frame_geometry(hubert_config: dict) -> Tuple[int, int]:
    """``(hop, receptive_field)`` in samples of the HuBERT conv stack (640 and 720 for the 25 Hz stack)."""
    hop, rf = 1, 1
    for k, s in zip(hubert_config["conv_kernel"], hubert_config["conv_stride"]):
        rf += (k - 1) * hop
        hop *= s
    return hop, rf


def num_frames(num_samples: int, hubert_config: dict) -> int:
    """Frames the conv stack gives for ``num_samples`` samples (``conv_output_lengths``)."""
    n = conv_output_lengths(torch.tensor([num_samples]), hubert_config["conv_kernel"], hubert_config["conv_stride"])
    return int(n[0])


def frame_times(n: int, hubert_config: dict, sampling_rate: int = SAMPLING_RATE) -> np.ndarray:
    """Centre time (s) of each of ``n`` HuBERT frames: ``(i * hop + receptive_field / 2) / sampling_rate``."""
    hop, rf = frame_geometry(hubert_config)
    return (np.arange(n) * hop + rf / 2) / sampling_rate


def acoustic_features(
    wave: torch.Tensor, hubert_config: dict, kind: str = "mfcc", n_mels: int = 40, win_length: int = 800
) -> torch.Tensor:
    """Acoustic frames aligned with the HuBERT frames: ``(T, D)`` with ``T = num_frames(len(wave))``.

    Frame ``i`` is a Hann-windowed ``win_length``-sample window centred on the centre of conv frame ``i``'s receptive
    field (zero-padded at the edges); power spectrum -> ``n_mels`` mel bands -> log. ``kind="mfcc"``: 13 DCT
    coefficients + deltas + delta-deltas (39). Per-utterance mean subtracted (CMN).
    """
    if kind not in ACOUSTIC_FEATURES:
        raise ValueError(f"`features` is {kind!r}; allowed: {ACOUSTIC_FEATURES}.")
    wave = torch.as_tensor(wave, dtype=torch.float32).reshape(-1)
    hop, rf = frame_geometry(hubert_config)
    t = num_frames(wave.shape[0], hubert_config)
    out_dim = 39 if kind == "mfcc" else n_mels
    if t == 0:
        return torch.zeros(0, out_dim)
    left = max(0, win_length // 2 - rf // 2)
    padded = F.pad(wave, (left, win_length))
    offset = left - (win_length // 2 - rf // 2)  # 0 unless the window is shorter than the receptive field
    frames = padded[offset:].unfold(0, win_length, hop)[:t]  # (T, W)
    n_fft = 1 << (win_length - 1).bit_length()
    spec = torch.fft.rfft(frames * torch.hann_window(win_length), n=n_fft).abs() ** 2  # (T, n_fft/2+1)
    fb = AF.melscale_fbanks(n_fft // 2 + 1, 20.0, SAMPLING_RATE / 2, n_mels, SAMPLING_RATE)  # (F, M)
    feats = torch.log(spec @ fb + 1e-8)  # (T, M)
    if kind == "mfcc":
        dct = AF.create_dct(13, n_mels, "ortho")  # (M, 13)
        c = (feats @ dct).transpose(0, 1)  # (13, T)
        d1 = AF.compute_deltas(c, win_length=5)
        d2 = AF.compute_deltas(d1, win_length=5)
        feats = torch.cat([c, d1, d2], dim=0).transpose(0, 1)  # (T, 39)
    return feats - feats.mean(dim=0, keepdim=True)


@torch.no_grad()
def layer_features(model, waves: List[torch.Tensor], layer: int, max_batch_samples: int = 1_600_000) -> List[torch.Tensor]:
    """``(T_i, hidden)`` features after ``layer`` transformer layers for each wave, by the tokenizer's exact
    inference path (:func:`encode_frames`, fairseq attention and odd-length padding)."""
    model.eval()
    out, batch, size = [], [], 0
    for w in waves:
        w = torch.as_tensor(w, dtype=torch.float32)
        batch.append(w)
        size += w.shape[0]
        if size >= max_batch_samples:
            out += encode_frames(model.hubert, batch, layer, "fairseq", model.config.hubert_seq_len_multiple)
            batch, size = [], 0
    if batch:
        out += encode_frames(model.hubert, batch, layer, "fairseq", model.config.hubert_seq_len_multiple)
    return out


__all__ = ["ACOUSTIC_FEATURES", "acoustic_features", "frame_geometry", "frame_times", "layer_features", "num_frames"]
