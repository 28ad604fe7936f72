# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Audio feature extraction for Spirit LM: any audio → 16 kHz mono float32 waveforms (``input_values``).

The speech tokenizer works on raw waveforms (HuBERT's conv stack, FCPE, wav2vec2), so "features" are the samples
themselves, right-padded with zeros into a batch with an ``attention_mask``. Unlike wav2vec2's extractor there is no
normalisation here: HuBERT-25Hz takes raw samples (``normalize=False`` in the original); the style encoder normalises
per utterance itself.
"""

from typing import Any, List, Optional, Sequence, Union

import numpy as np
from transformers import BatchFeature, SequenceFeatureExtractor

from .audio_utils import load_audio
from .constants import SAMPLING_RATE


class SpiritLMFeatureExtractor(SequenceFeatureExtractor):
    """Turns audio inputs into 16 kHz mono ``input_values``.

    Args:
        feature_size (`int`, defaults to 1): one value per sample.
        sampling_rate (`int`, defaults to 16000): the rate every input is brought to.
        padding_value (`float`, defaults to 0.0): value of right padding.
        return_attention_mask (`bool`, defaults to `True`): return the mask of real samples.

    Inputs may be paths, bytes of audio files, 1-D (or ``(channels, time)``) arrays / tensors (at ``sampling_rate``
    unless ``sampling_rate=`` says otherwise, in which case they are resampled), or datasets ``{"array",
    "sampling_rate"}`` dicts (resampled); a list of inputs is a batch, and its items may have different rates.
    """

    model_input_names = ["input_values", "attention_mask"]

    def __init__(self, feature_size=1, sampling_rate=SAMPLING_RATE, padding_value=0.0, return_attention_mask=True, **kwargs):
        super().__init__(
            feature_size=feature_size,
            sampling_rate=sampling_rate,
            padding_value=padding_value,
            return_attention_mask=return_attention_mask,
            **kwargs,
        )

    def load(self, audio: Any, sampling_rate: Optional[int] = None, channel_id: Optional[int] = None) -> np.ndarray:
        """One audio input → a 1-D float32 array at ``self.sampling_rate``."""
        wav = load_audio(audio, sampling_rate=sampling_rate, channel_id=channel_id, target_rate=self.sampling_rate)
        return wav.numpy().astype(np.float32, copy=False)

    def __call__(
        self,
        audio: Union[Any, Sequence[Any]],
        sampling_rate: Optional[int] = None,
        channel_id: Optional[int] = None,
        padding: bool = True,
        return_tensors: Optional[str] = None,
        **kwargs,
    ) -> BatchFeature:
        """Load (and resample) one input or a list, then right-pad into ``input_values`` / ``attention_mask``.

        With ``padding=False`` the unpadded 1-D waveforms are returned as a list.
        """
        if isinstance(audio, (list, tuple)) and len(audio) == 0:
            raise ValueError("No audio given: pass one audio input or a non-empty list of them.")
        batched = isinstance(audio, (list, tuple)) and not np.isscalar(audio[0])
        items = list(audio) if batched else [audio]
        waves: List[np.ndarray] = [self.load(a, sampling_rate=sampling_rate, channel_id=channel_id) for a in items]
        if not padding:
            return BatchFeature({"input_values": waves})
        width = max(len(w) for w in waves)
        values = np.full((len(waves), width), self.padding_value, dtype=np.float32)  # (B, T)
        mask = np.zeros((len(waves), width), dtype=np.int64)  # (B, T)
        for row, w in enumerate(waves):
            values[row, : len(w)] = w
            mask[row, : len(w)] = 1
        out = {"input_values": values}
        if self.return_attention_mask:
            out["attention_mask"] = mask
        return BatchFeature(out, tensor_type=return_tensors)


__all__ = ["SpiritLMFeatureExtractor"]
