# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM unit HiFi-GAN vocoder: HuBERT units (+ pitch units + style units) + speaker (+ style id) -> 16 kHz audio.

Data flow (one item; ``E`` = ``embedding_dim``, ``N`` units, ``T`` frames after duration expansion, 640 samples per
frame for the released vocoders)::

    units (N,) --embed--> (E, N) --[duration predictor: d (N,)]--> repeat_interleave --> (E, T)
    [pitch units, style units]  aligned to the frames, embedded           --> (E, T) each
    speaker embedding, style-id embedding, broadcast to every frame       --> (E, T) each
    concat --> (model_in_dim, T) --conv_pre--> [lrelu, ConvTranspose, mean of ResBlocks] x stages
          --> lrelu(0.01) --> conv_post --> tanh --> (T * hop,)

The numerics follow the original release (spec §5): weight norm is folded once at conversion with
``torch._weight_norm(v, g, 0)``, residual blocks are summed in order and divided by their count, the last LeakyReLU
uses slope 0.01, durations are ``clamp(round(exp(log_d) - 1), min=1)``.

Beyond the original: exact batching of sequences of different lengths (padding never reaches a valid sample: every
convolution output is re-zeroed beyond each item's length, so every convolution sees the same zero padding as in an
unbatched run), chunked streaming with receptive-field overlap (:mod:`.streaming_spirit_hifigan`), a stateful
streaming execution of the generator for long inputs (:mod:`.streaming_generator_spirit_hifigan`), and an opt-in
bfloat16 path (cached bf16 copy of the weights).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .components import auto_subfolder, check_flag, checked_from_pretrained
from .configuration_spirit_hifigan import SpiritLMHifiGanConfig
from .constants import VOCODER_SUBFOLDER
from .streaming_generator_spirit_hifigan import SpiritLMHifiGanGeneratorStream
from .streaming_spirit_hifigan import SpiritLMHifiGanStreamDecoder
from .units import as_unit_list, string_to_units

UnitsInput = Union[str, Dict[str, Any], Sequence[int]]


@dataclass
class SpiritLMHifiGanOutput(ModelOutput):
    """Output of [`SpiritLMHifiGan.forward`].

    Args:
        waveform (`torch.FloatTensor` of shape `(batch_size, num_samples)`):
            Audio in [-1, 1] at ``config.sampling_rate``; item ``b`` is valid up to ``waveform_lengths[b]`` (zeros
            after).
        waveform_lengths (`torch.LongTensor` of shape `(batch_size,)`):
            Valid samples per item (= frames x ``config.hop_length``).
        durations (`torch.LongTensor` of shape `(batch_size, num_units)`, *optional*):
            Predicted frames per unit when duration prediction ran (0 on padding).
    """

    waveform: Optional[torch.FloatTensor] = None
    waveform_lengths: Optional[torch.LongTensor] = None
    durations: Optional[torch.LongTensor] = None


# ---------------------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------------------


def _masked(x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """Zero the padded frames of ``x`` (B, C, T) with ``mask`` (B, 1, T); no-op without a mask."""
    return x if mask is None else x * mask


def _masked_(x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """:func:`_masked` in place, for a fresh tensor ``x`` nothing else holds (bitwise the same values)."""
    return x if mask is None else x.mul_(mask)


class SpiritLMHifiGanResBlock(nn.Module):
    """HiFi-GAN "ResBlock1": three residual units ``x + conv2(lrelu(conv1_dil(lrelu(x))))``.

    Args:
        channels (`int`): channels in and out.
        kernel_size (`int`): kernel of every convolution.
        dilations (`Sequence[int]`): dilation of the first convolution of each residual unit.
        slope (`float`): LeakyReLU slope.
    """

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int], slope: float = 0.1):
        super().__init__()
        self.slope = slope
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, 1, dilation=d, padding=(kernel_size * d - d) // 2)
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, 1, dilation=1, padding=(kernel_size - 1) // 2)
            for _ in dilations
        )

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        # Every intermediate is a fresh convolution output, so the masks, the second LeakyReLU and the residual sum
        # run in place (the same kernels on the same values: bitwise what the out-of-place form gives, with fewer
        # passes over memory; the tensors of the last stages are tens of MB). ``x`` itself is never written.
        for conv1, conv2 in zip(self.convs1, self.convs2):
            xt = _masked_(conv1(F.leaky_relu(x, self.slope)), mask)  # (B, C, T)
            xt = _masked_(conv2(F.leaky_relu(xt, self.slope, inplace=True)), mask)  # (B, C, T)
            x = xt.add_(x)
        return x

    def receptive_radius(self) -> int:
        """Samples of context needed on each side of an output sample."""
        return sum(c.dilation[0] * (c.kernel_size[0] - 1) // 2 for c in list(self.convs1) + list(self.convs2))


class SpiritLMDurationPredictor(nn.Module):
    """Log-duration predictor: (Conv1d k=3 + ReLU, LayerNorm) x 2, Linear -> one value per unit.

    Args:
        embed_dim (`int`): unit embedding width.
        hidden_dim (`int`): convolution width.
        kernel_size (`int`): convolution kernel (3; the second convolution's padding is 1 as in the original).
    """

    def __init__(self, embed_dim: int, hidden_dim: int, kernel_size: int = 3):
        super().__init__()
        self.conv1 = nn.Conv1d(embed_dim, hidden_dim, kernel_size, padding=(kernel_size - 1) // 2)
        self.norm1 = nn.LayerNorm(hidden_dim)
        self.conv2 = nn.Conv1d(hidden_dim, hidden_dim, kernel_size, padding=1)
        self.norm2 = nn.LayerNorm(hidden_dim)
        self.proj = nn.Linear(hidden_dim, 1)

    # Units of context on each side that one prediction depends on (two k=3 convolutions).
    receptive_radius = 2

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x`` (B, N, E) unit embeddings, ``mask`` (B, 1, N) or None -> log durations (B, N)."""
        x = F.relu(self.conv1(_masked(x.transpose(1, 2), mask))).transpose(1, 2)  # (B, N, H)
        x = self.norm1(x)
        x = F.relu(self.conv2(_masked(x.transpose(1, 2), mask))).transpose(1, 2)  # (B, N, H)
        x = self.norm2(x)
        return self.proj(x).squeeze(2)  # (B, N)


# ---------------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------------


class SpiritLMHifiGan(PreTrainedModel):
    """Spirit LM unit HiFi-GAN vocoder (base: HuBERT units + speaker + style id; expressive: HuBERT + pitch + style
    units + speaker), with the original's duration predictor.

    Most users call [`~SpiritLMHifiGan.decode`] (one item, numpy out), [`~SpiritLMHifiGan.decode_batch`] or
    [`~SpiritLMHifiGan.decode_stream`]. [`~SpiritLMHifiGan.forward`] takes already aligned, padded tensors.
    """

    config_class = SpiritLMHifiGanConfig
    config: SpiritLMHifiGanConfig
    main_input_name = "input_units"
    # Inputs longer than this many 25 Hz frames (40 s) are synthesised by the streaming generator
    # (`generator_stream`), fed `decode_chunk_frames` frames at a time: each output sample computed once, peak memory
    # that of one chunk whatever the length; inputs up to this length run in one pass, exactly as before.
    decode_window_frames: int = 1000
    # Frames per chunk of the streaming generator for long inputs, chosen by measurement (`benchmarks/bench_hifigan.py
    # --long`; full-size stand-in, 1 thread, machine shared with a training run: chunks of 50 / 100 / 200 frames ran
    # at 0.97x / 1.04x / 0.99x, then (heavier load) 100 / 200 at 0.98x / 1.09x the per-audio-second speed of a 10 s
    # one pass): long enough for few, large kernel calls (fewer thread synchronisations), short enough that the
    # last stages' tensors stay near cache.
    decode_chunk_frames: int = 200
    base_model_prefix = "vocoder"
    _no_split_modules = ["SpiritLMHifiGanResBlock"]

    def __init__(self, config: SpiritLMHifiGanConfig):
        super().__init__(config)
        E = config.embedding_dim
        self.unit_embedding = nn.Embedding(config.num_embeddings, E)
        self.pitch_embedding = nn.Embedding(config.num_f0_tokens, E) if config.num_f0_tokens > 0 else None
        self.style_unit_embedding = (
            nn.Embedding(config.num_style_tokens, E) if config.num_style_tokens > 0 else None
        )
        self.speaker_embedding = nn.Embedding(config.num_speakers, E) if config.multispkr else None
        self.style_embedding = nn.Embedding(config.num_styles, E) if config.multistyle else None
        if config.dur_predictor_params is not None:
            p = config.dur_predictor_params
            self.duration_predictor = SpiritLMDurationPredictor(
                E, int(p.get("var_pred_hidden_dim", E)), int(p.get("var_pred_kernel_size", 3))
            )
        else:
            self.duration_predictor = None

        C0 = config.upsample_initial_channel
        self.conv_pre = nn.Conv1d(config.model_in_dim, C0, 7, 1, padding=3)
        self.upsampler = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(config.upsample_rates, config.upsample_kernel_sizes)):
            c_in, c_out = C0 // (2**i), C0 // (2 ** (i + 1))
            self.upsampler.append(nn.ConvTranspose1d(c_in, c_out, k, u, padding=(k - u) // 2))
            for rk, rd in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
                self.resblocks.append(SpiritLMHifiGanResBlock(c_out, rk, rd, config.leaky_relu_slope))
        self.conv_post = nn.Conv1d(C0 // (2 ** len(config.upsample_rates)), 1, 7, 1, padding=3)
        self.post_init()

    # ------------------------------------------------------------------------------------------------ loading

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """`PreTrainedModel.from_pretrained`, plus: a local folder that is not itself a vocoder folder (no
        ``config.json``, or the config of another model such as the Spirit LM) but has a ``vocoder/`` subfolder
        (the layout written by the converter) loads from that subfolder. A folder of another model type, a damaged
        file or missing weights raise :class:`~.components.SpiritLMLoadingError` (see
        :func:`~.components.checked_from_pretrained`) instead of giving random weights."""
        if not kwargs.get("subfolder"):
            subfolder = auto_subfolder(pretrained_model_name_or_path, VOCODER_SUBFOLDER, SpiritLMHifiGanConfig.model_type)
            if subfolder:
                kwargs["subfolder"] = subfolder
        return checked_from_pretrained(cls, super().from_pretrained, pretrained_model_name_or_path, *model_args,
                                       **kwargs)

    # ------------------------------------------------------------------------------------------------ properties

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    @property
    def receptive_field_frames(self) -> int:
        """Frames of context on each side that one output frame of the generator depends on (rounded up, +1)."""
        cfg = self.config
        radius = 3.0  # conv_pre, k=7, at frame resolution
        scale = 1
        n_kernels = len(cfg.resblock_kernel_sizes)
        for i, (u, k) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes)):
            radius += (math.ceil(k / u) + 1) / scale  # transposed conv, in input samples of this stage
            scale *= u
            blocks = self.resblocks[i * n_kernels : (i + 1) * n_kernels]
            radius += max(b.receptive_radius() for b in blocks) / scale
        radius += 3 / scale  # conv_post
        return int(math.ceil(radius)) + 1

    # ------------------------------------------------------------------------------------------------ tensor API

    def predict_durations(
        self, input_units: torch.LongTensor, attention_mask: Optional[torch.Tensor] = None
    ) -> torch.LongTensor:
        """Frames per unit, as the original: ``clamp(round(exp(log_d) - 1), min=1)`` (round half to even).

        Args:
            input_units (`torch.LongTensor` of shape `(batch_size, num_units)`): HuBERT units.
            attention_mask (`torch.Tensor` of shape `(batch_size, num_units)`, *optional*): 1 for real units.

        Returns:
            `torch.LongTensor` of shape `(batch_size, num_units)`; 0 on padding.
        """
        if self.duration_predictor is None:
            raise ValueError(
                "This vocoder has no duration predictor (`config.dur_predictor_params` is None); decode with "
                "`dur_pred=False`."
            )
        mask = None if attention_mask is None else attention_mask[:, None, :].to(self.unit_embedding.weight.dtype)
        x = self.unit_embedding(input_units)  # (B, N, E)
        log_d = self.duration_predictor(x, mask)  # (B, N)
        d = torch.clamp(torch.round(torch.exp(log_d) - 1).long(), min=1)
        if attention_mask is not None:
            d = d * attention_mask.long()
        return d

    def embed_frames(
        self,
        input_units: torch.LongTensor,
        pitch_units: Optional[torch.LongTensor] = None,
        style_units: Optional[torch.LongTensor] = None,
        speaker_ids: Optional[torch.LongTensor] = None,
        style_ids: Optional[torch.LongTensor] = None,
    ) -> torch.Tensor:
        """Concatenate the stream embeddings of frame-aligned units into the generator input.

        Args:
            input_units (`torch.LongTensor` of shape `(batch_size, num_frames)`): HuBERT units, one per frame.
            pitch_units / style_units (`torch.LongTensor` of shape `(batch_size, num_frames)`, *optional*):
                frame-aligned pitch / style units (required by an expressive vocoder).
            speaker_ids / style_ids (`torch.LongTensor` of shape `(batch_size,)`, *optional*): defaults from the
                config when the model has these embeddings.

        Returns:
            `torch.FloatTensor` of shape `(batch_size, model_in_dim, num_frames)`.
        """
        B, T = input_units.shape
        dev = input_units.device
        parts = [self.unit_embedding(input_units).transpose(1, 2)]  # (B, E, T)
        if self.pitch_embedding is not None:
            if pitch_units is None:
                raise ValueError("This expressive vocoder needs `pitch_units` (frame-aligned pitch units).")
            parts.append(self.pitch_embedding(pitch_units).transpose(1, 2))  # (B, E, T)
        if self.style_unit_embedding is not None:
            if style_units is None:
                raise ValueError("This expressive vocoder needs `style_units` (frame-aligned style units).")
            parts.append(self.style_unit_embedding(style_units).transpose(1, 2))  # (B, E, T)
        if self.speaker_embedding is not None:
            if speaker_ids is None:
                speaker_ids = torch.full((B,), self.config.default_speaker, dtype=torch.long, device=dev)
            parts.append(self.speaker_embedding(speaker_ids)[:, :, None].expand(-1, -1, T))  # (B, E, T)
        if self.style_embedding is not None:
            if style_ids is None:
                style_ids = torch.full((B,), self.config.default_style, dtype=torch.long, device=dev)
            parts.append(self.style_embedding(style_ids)[:, :, None].expand(-1, -1, T))  # (B, E, T)
        return torch.cat(parts, dim=1)  # (B, model_in_dim, T)

    def generate_waveform(
        self, features: torch.Tensor, frame_lengths: Optional[torch.LongTensor] = None
    ) -> torch.Tensor:
        """Run the HiFi-GAN generator.

        Args:
            features (`torch.FloatTensor` of shape `(batch_size, model_in_dim, num_frames)`).
            frame_lengths (`torch.LongTensor` of shape `(batch_size,)`, *optional*): valid frames per item; when
                given and not all equal, every convolution output is re-zeroed beyond each item's length, so each
                item is computed exactly as if alone (zeroing only after whole residual blocks would not be: the
                second convolution of a residual unit would read the first one's bias in the padding).

        Returns:
            `torch.FloatTensor` of shape `(batch_size, num_frames * hop_length)`, zeros beyond each item's length.
        """
        cfg = self.config
        B, _, T = features.shape
        use_mask = frame_lengths is not None and bool((frame_lengths != T).any())

        def make_mask(scale: int) -> Optional[torch.Tensor]:
            if not use_mask:
                return None
            pos = torch.arange(T * scale, device=features.device)
            return (pos[None, :] < (frame_lengths[:, None] * scale)).to(features.dtype)[:, None, :]  # (B, 1, T')

        scale = 1
        mask = make_mask(1)
        # In-place steps below only touch fresh tensors (convolution / residual-block outputs): bitwise the values
        # of the out-of-place form, with fewer allocations and passes over memory.
        x = _masked_(self.conv_pre(_masked(features, mask)), mask)  # (B, C0, T)
        n_kernels = len(cfg.resblock_kernel_sizes)
        for i, up in enumerate(self.upsampler):
            x = F.leaky_relu(x, cfg.leaky_relu_slope, inplace=True)
            scale *= cfg.upsample_rates[i]
            mask = make_mask(scale)
            x = _masked_(up(x), mask)  # (B, C_i, T * scale)
            xs = None
            for j in range(n_kernels):
                r = self.resblocks[i * n_kernels + j](x, mask)
                if xs is None:
                    xs = r if r is not x else r.clone()  # (a block without residual units returns its input)
                else:
                    xs.add_(r)
            x = xs.div_(n_kernels)
        x = F.leaky_relu(x, cfg.final_leaky_relu_slope, inplace=True)
        x = torch.tanh_(self.conv_post(x))  # (B, 1, T * hop)
        return _masked_(x, mask).squeeze(1)  # (B, T * hop)

    def forward(
        self,
        input_units: torch.LongTensor,
        pitch_units: Optional[torch.LongTensor] = None,
        style_units: Optional[torch.LongTensor] = None,
        speaker_ids: Optional[torch.LongTensor] = None,
        style_ids: Optional[torch.LongTensor] = None,
        attention_mask: Optional[torch.Tensor] = None,
        dur_pred: bool = False,
        return_dict: bool = True,
        **kwargs,
    ) -> Union[SpiritLMHifiGanOutput, Tuple[torch.Tensor, ...]]:
        """Vocode a padded batch of unit sequences whose streams are already aligned to the HuBERT units.

        Args:
            input_units (`torch.LongTensor` of shape `(batch_size, num_units)`): HuBERT units (padding: any valid id).
            pitch_units / style_units (`torch.LongTensor` of shape `(batch_size, num_units)`, *optional*): aligned
                pitch / style units (expressive vocoder). Raw 12.5 Hz / 1 Hz streams go through [`decode`].
            speaker_ids / style_ids (`torch.LongTensor` of shape `(batch_size,)`, *optional*).
            attention_mask (`torch.Tensor` of shape `(batch_size, num_units)`, *optional*): 1 for real units.
            dur_pred (`bool`): predict a duration per unit and repeat each unit accordingly.

        Returns:
            [`SpiritLMHifiGanOutput`].
        """
        B, N = input_units.shape
        dev = input_units.device
        lengths = (
            torch.full((B,), N, dtype=torch.long, device=dev)
            if attention_mask is None
            else attention_mask.long().sum(-1)
        )
        durations = None
        if dur_pred:
            durations = self.predict_durations(input_units, attention_mask)  # (B, N)
            frame_lengths = durations.sum(-1)  # (B,)
            Tmax = int(frame_lengths.max()) if B else 0
            streams = [s for s in (input_units, pitch_units, style_units)]
            expanded = []
            for s in streams:
                if s is None:
                    expanded.append(None)
                    continue
                out = s.new_zeros((B, Tmax))
                for b in range(B):
                    rep = torch.repeat_interleave(s[b, : lengths[b]], durations[b, : lengths[b]])
                    out[b, : rep.numel()] = rep
                expanded.append(out)
            input_units, pitch_units, style_units = expanded
        else:
            frame_lengths = lengths
        feats = self.embed_frames(input_units, pitch_units, style_units, speaker_ids, style_ids)
        wav = self.generate_waveform(feats, frame_lengths)  # (B, S)
        wav_lengths = frame_lengths * self.hop_length
        if not return_dict:
            return (wav, wav_lengths) + ((durations,) if durations is not None else ())
        return SpiritLMHifiGanOutput(waveform=wav, waveform_lengths=wav_lengths, durations=durations)

    # ------------------------------------------------------------------------------------------------ input checks

    def _int_list(self, values: Any, stream: str, size: int) -> List[int]:
        """One unit stream as codebook indices of this vocoder: the unit-list rules of :func:`~.units.as_unit_list`
        (which refuses look-alike containers, booleans, NaN/inf, odd digit strings), then this codebook's range."""
        out = as_unit_list(values, stream)
        for iv in out:
            if iv >= size:
                raise ValueError(
                    f"`{stream}` unit {iv} is outside this vocoder's codebook: allowed {stream} units are "
                    f"0..{size - 1}. Check that the units come from the matching speech tokenizer."
                )
        return out

    def _stream_sizes(self) -> Dict[str, int]:
        return {
            "hubert": self.config.num_embeddings,
            "pitch": max(self.config.num_f0_tokens, 1),
            "style": max(self.config.num_style_tokens, 1),
        }

    def _normalize_units(self, units: UnitsInput) -> Dict[str, List[int]]:
        """Unit string / units dict / plain HuBERT sequence -> validated ``{"hubert", "pitch"?, "style"?}`` lists."""
        if isinstance(units, str):
            stripped = units.strip()
            if stripped and not stripped.startswith("["):
                # The original's space-separated HuBERT units, e.g. "12 54 9".
                units = {"hubert": stripped}
            else:
                sizes = {"hubert": self.config.num_embeddings}
                if self.config.num_f0_tokens:
                    sizes["pitch"] = self.config.num_f0_tokens
                if self.config.num_style_tokens:
                    sizes["style"] = self.config.num_style_tokens
                try:
                    units = string_to_units(stripped, stream_sizes=sizes)
                except ValueError as err:
                    if self.config.num_f0_tokens == 0 and ("[Pi" in stripped or "[St" in stripped):
                        raise ValueError(
                            "This is a base vocoder (no pitch/style embeddings) but the unit string contains "
                            "[Pi..]/[St..] tokens; decode it with the expressive vocoder or keep only [Hu..] tokens."
                        ) from None
                    raise err
        elif units is None:
            raise ValueError("`units` is None; give a unit string, a list or 1-D array of HuBERT units, or a dict of "
                             "unit streams ({'hubert': [...], 'pitch': [...], 'style': [...]}).")
        elif not isinstance(units, dict):
            units = {"hubert": units}
        if "hubert" not in units or units["hubert"] is None:
            raise ValueError(f"`units` must contain a 'hubert' stream; got keys {sorted(units)}.")
        unknown = set(units) - {"hubert", "pitch", "style", "audio"}
        if unknown:
            raise ValueError(
                f"Unknown unit streams {sorted(unknown)}; allowed keys are 'hubert', 'pitch', 'style'."
            )
        sizes = self._stream_sizes()
        out = {"hubert": self._int_list(units["hubert"], "hubert", sizes["hubert"])}
        for key, n_tok, what in (
            ("pitch", self.config.num_f0_tokens, "pitch"),
            ("style", self.config.num_style_tokens, "style"),
        ):
            val = units.get(key)
            if val is None:
                if n_tok and out["hubert"]:
                    raise ValueError(
                        f"This expressive vocoder needs a '{key}' stream besides 'hubert'; got keys "
                        f"{sorted(units)}. Pass the {what} units from the expressive speech tokenizer."
                    )
                continue
            if not n_tok:
                raise ValueError(
                    f"This is a base vocoder (no {what}-unit embedding) but a '{key}' stream was given; drop it "
                    "or use the expressive vocoder."
                )
            out[key] = self._int_list(val, key, n_tok)
        return out

    def _resolve_id(self, value: Any, kind: str) -> Optional[int]:
        cfg = self.config
        if kind == "speaker":
            present, names, n, default = cfg.multispkr, list(cfg.speakers), cfg.num_speakers, cfg.default_speaker
        else:
            present, names, n, default = cfg.multistyle, list(cfg.styles), cfg.num_styles, cfg.default_style
        if not present:
            if value is not None:
                raise ValueError(
                    f"This vocoder has no {kind} embedding (`multi{'spkr' if kind == 'speaker' else 'style'}` is "
                    f"off) but `{kind}_id={value!r}` was given; leave it as None."
                )
            return None
        if value is None:
            value = default
        allowed = names if names else None
        if isinstance(value, str):
            if value not in names:
                raise ValueError(f"Unknown {kind} {value!r}; this vocoder's {kind}s are {names}.")
            return names.index(value)
        if isinstance(value, (torch.Tensor, np.ndarray)):
            if value.numel() if isinstance(value, torch.Tensor) else value.size != 1:
                raise ValueError(f"`{kind}_id` must be one int or a {kind} name; got an array of shape "
                                 f"{tuple(value.shape)}.")
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"`{kind}_id` must be an int or a {kind} name; got {value!r}.")
        limit = len(names) if names else n
        if not 0 <= int(value) < limit:
            desc = f"{names} (ids 0..{limit - 1})" if allowed else f"ids 0..{limit - 1}"
            raise ValueError(f"`{kind}_id={value}` is not one of this vocoder's {kind}s: {desc}.")
        return int(value)

    def _align_streams(self, units: Dict[str, List[int]], dur_pred: bool) -> Tuple[Dict[str, List[int]], bool]:
        """Apply the original's rules: force ``dur_pred=False`` when the pitch stream is not hubert-aligned, and
        upsample raw pitch/style streams to the HuBERT rate (repeat, pad with the last value, crop)."""
        hub = units["hubert"]
        N = len(hub)
        if "pitch" in units and len(units["pitch"]) != N:
            dur_pred = False
        if dur_pred and self.duration_predictor is None:
            raise ValueError(
                "`dur_pred=True` but this vocoder has no duration predictor; pass `dur_pred=False` (input units "
                "are then used at 25 Hz as given)."
            )
        out = {"hubert": hub}
        for key, ratio in (("pitch", self.config.f0_upsample_ratio), ("style", self.config.style_upsample_ratio)):
            if key not in units:
                continue
            codes = units[key]
            K = len(codes)
            if dur_pred:
                if K != N:
                    raise ValueError(
                        f"With duration prediction every stream must be aligned to the hubert units, but '{key}' "
                        f"has {K} units and 'hubert' has {N}. Pass the aligned streams from `string_to_units`, or "
                        "raw streams (pitch at 12.5 Hz, style at 1 Hz) with `dur_pred=False`."
                    )
                out[key] = list(codes)
            else:
                if abs(K * ratio - N) / ratio > 1:
                    raise ValueError(
                        f"'{key}' has {K} units but 'hubert' has {N}: without duration prediction a raw {key} stream "
                        f"must cover the hubert units at 1/{ratio} of their rate (|{K} x {ratio} - {N}| / {ratio} <= "
                        "1, as the original asserts). For hubert-aligned streams (from a unit string) use "
                        "`dur_pred=True`."
                    )
                if N and not K:
                    raise ValueError(
                        f"'{key}' is empty but 'hubert' has {N} units: every HuBERT unit needs a {key} unit. Give "
                        f"the {key} stream, or decode a unit string (`string_to_units` fills it as the original)."
                    )
                out[key] = [codes[min(n // ratio, K - 1)] for n in range(N)] if K else []
        return out, dur_pred

    def _prepare(
        self, units: UnitsInput, speaker_id: Any, style_id: Any, dur_pred: bool
    ) -> Tuple[Dict[str, List[int]], bool, Optional[int], Optional[int]]:
        streams = self._normalize_units(units)
        streams, dur_pred = self._align_streams(streams, dur_pred)
        return streams, dur_pred, self._resolve_id(speaker_id, "speaker"), self._resolve_id(style_id, "style")

    # ------------------------------------------------------------------------------------------------ numpy API

    def _generator_for(self, dtype: Optional[torch.dtype]) -> "SpiritLMHifiGan":
        """``self`` for the exact path; for ``dtype=torch.bfloat16`` / ``float16`` a cached copy of the model in that
        dtype (rebuilt whenever a parameter is replaced, moved or updated in place)."""
        if dtype is None or dtype == self.dtype:
            return self
        if dtype not in (torch.bfloat16, torch.float16, torch.float32):
            raise ValueError(f"`dtype` must be None, torch.float32, torch.bfloat16 or torch.float16; got {dtype}.")
        key = (dtype, tuple((p.data_ptr(), p._version) for p in self.parameters()))
        cache = self.__dict__.pop("_low_precision_cache", None)
        if cache is None or cache[0] != key:
            cache = (key, copy.deepcopy(self).to(dtype).eval())
        self.__dict__["_low_precision_cache"] = cache
        return cache[1]

    def _run_generator(self, feats: torch.Tensor, lengths: Optional[torch.Tensor], dtype) -> torch.Tensor:
        gen = self._generator_for(dtype)
        return gen.generate_waveform(feats.to(gen.dtype), lengths).float()

    def generator_stream(
        self, split_stage: Optional[int] = None, split_frames: int = 0
    ) -> SpiritLMHifiGanGeneratorStream:
        """A stateful streaming execution of [`generate_waveform`] (see
        :class:`~.streaming_generator_spirit_hifigan.SpiritLMHifiGanGeneratorStream`): ``stream.push(features)``
        with frames ``(batch_size, model_in_dim, n)`` returns the waveform samples ``(batch_size, m)`` that became
        final, ``stream.end()`` the rest; each layer keeps only the left context it needs, so each output sample is
        computed once and memory is bounded by the chunk size. The concatenation equals ``generate_waveform`` of all
        the frames up to float rounding. Runs in this model's dtype (feed features of that dtype). ``split_stage`` /
        ``split_frames``: run upsampling stage ``split_stage`` and the later ones on pieces of at most
        ``split_frames`` frames (see the class)."""
        return SpiritLMHifiGanGeneratorStream(self, split_stage, split_frames)

    def _run_generator_streamed(self, feats: torch.Tensor, dtype, chunk: int, split=(None, 0)) -> np.ndarray:
        """The waveform of one item's features ``(1, model_in_dim, T)``, fed to [`generator_stream`] ``chunk`` frames
        at a time: equal to one pass up to float rounding, each sample computed once, peak memory that of
        ``chunk`` frames (plus the layers' context buffers) whatever ``T``."""
        gen = self._generator_for(dtype)
        stream = gen.generator_stream(*split)
        T, hop = feats.shape[-1], self.hop_length
        out = np.empty(T * hop, dtype=np.float32)
        pos = 0
        for a in range(0, T, chunk):
            pieces = [stream.push(feats[:, :, a : a + chunk].to(gen.dtype))]
            if a + chunk >= T:
                pieces.append(stream.end())
            for wav in pieces:
                n = wav.shape[-1]
                out[pos : pos + n] = wav[0].float().cpu().numpy()
                pos += n
        return out

    def _run_generator_windowed(self, feats: torch.Tensor, dtype, window: int) -> np.ndarray:
        """The previous long-input path, kept for ``benchmarks/bench_hifigan.py --long``'s comparison rows: the
        waveform of one item's features ``(1, model_in_dim, T)`` synthesised ``window`` frames at a time,
        each with ``receptive_field_frames`` of context on both sides (the streaming decoder's exactness argument:
        equal to one pass up to float rounding). Peak memory is that of ``window + 2 * receptive_field_frames``
        frames, whatever ``T``."""
        T = feats.shape[-1]
        R, hop = self.receptive_field_frames, self.hop_length
        out = np.empty(T * hop, dtype=np.float32)
        for a in range(0, T, window):
            b = min(a + window, T)
            ws, we = max(0, a - R), min(T, b + R)
            wav = self._run_generator(feats[:, :, ws:we], None, dtype)[0]  # (S,)
            out[a * hop : b * hop] = wav[(a - ws) * hop : (b - ws) * hop].cpu().numpy()
        return out

    @torch.no_grad()
    def _vocode_items(
        self, items: List[Tuple[Dict[str, List[int]], bool, Optional[int], Optional[int]]], dtype=None
    ) -> List[np.ndarray]:
        """Vocode prepared items as one padded batch (items may mix dur_pred settings)."""
        dev = self.device
        frames: List[Dict[str, torch.Tensor]] = []
        for streams, dur_pred, _, _ in items:
            t = {k: torch.tensor(v, dtype=torch.long, device=dev) for k, v in streams.items()}
            if dur_pred and t["hubert"].numel():
                d = self.predict_durations(t["hubert"][None])[0]  # (N,)
                t = {k: torch.repeat_interleave(v, d) for k, v in t.items()}
            frames.append(t)
        out: List[Optional[np.ndarray]] = [None] * len(items)
        live = [i for i, f in enumerate(frames) if f["hubert"].numel() > 0]
        for i in range(len(items)):
            if i not in live:
                out[i] = np.zeros(0, dtype=np.float32)
        if not live:
            return out
        window = int(self.decode_window_frames)
        if window > 0:
            # Long items one at a time, streamed (bounded memory); the rest as one padded batch.
            chunk = max(1, int(self.decode_chunk_frames))
            for i in [i for i in live if frames[i]["hubert"].numel() > window]:
                f, (_, _, spk_i, sty_i) = frames[i], items[i]
                feats = self.embed_frames(
                    f["hubert"][None], f["pitch"][None] if "pitch" in f else None,
                    f["style"][None] if "style" in f else None,
                    None if spk_i is None else torch.tensor([spk_i], device=dev),
                    None if sty_i is None else torch.tensor([sty_i], device=dev),
                )  # (1, model_in_dim, T)
                out[i] = self._run_generator_streamed(feats, dtype, chunk)
            live = [i for i in live if out[i] is None]
            if not live:
                return out
        lengths = torch.tensor([frames[i]["hubert"].numel() for i in live], device=dev)
        T = int(lengths.max())

        def pad(key):
            if key not in frames[live[0]]:
                return None
            x = torch.zeros((len(live), T), dtype=torch.long, device=dev)
            for row, i in enumerate(live):
                x[row, : lengths[row]] = frames[i][key]
            return x

        spk = items[live[0]][2]
        sty = items[live[0]][3]
        speaker_ids = None if spk is None else torch.tensor([items[i][2] for i in live], device=dev)
        style_ids = None if sty is None else torch.tensor([items[i][3] for i in live], device=dev)
        feats = self.embed_frames(pad("hubert"), pad("pitch"), pad("style"), speaker_ids, style_ids)
        wav = self._run_generator(feats, lengths if len(live) > 1 else None, dtype)  # (B, S)
        wav = wav.cpu().numpy()
        for row, i in enumerate(live):
            out[i] = np.ascontiguousarray(wav[row, : int(lengths[row]) * self.hop_length])
        return out

    def decode(
        self,
        units: Union[UnitsInput, List[UnitsInput]],
        speaker_id: Union[int, str, None] = None,
        style_id: Union[int, str, None] = None,
        dur_pred: bool = True,
        dtype: Optional[torch.dtype] = None,
    ) -> Union[np.ndarray, List[np.ndarray]]:
        """Units -> 16 kHz float32 waveform, as the original ``SpiritLMTokenizer.decode``.

        Args:
            units (`str`, `dict` or a list of them): a unit string (``"[St71][Pi39][Hu99]..."``, deduplicated,
                streams aligned by ``string_to_units``), a units dict ``{"hubert": [...], "pitch": [...]?,
                "style": [...]?}`` (raw tokenizer output: pitch at 12.5 Hz, style at 1 Hz, or streams aligned to
                hubert), or a plain sequence of HuBERT units. A list of inputs is decoded as a batch
                (see [`decode_batch`]).
            speaker_id (`int` or `str`, *optional*): index or name (``config.speakers``); default
                ``config.default_speaker`` (2, as the original).
            style_id (`int` or `str`, *optional*): base vocoder only; default ``config.default_style`` (8).
            dur_pred (`bool`, defaults to `True`): predict durations (the input is taken as deduplicated). Forced to
                `False`, as in the original, when a pitch stream's length differs from hubert's. Note that, as in
                the original, a raw base units dict decoded with `dur_pred=True` is stretched (pass `False`).
            dtype (`torch.dtype`, *optional*): `torch.bfloat16` (or `float16`) runs the generator on a cached copy
                of the weights in that dtype (opt-in: faster on CPUs/GPUs with bf16 units, not exact); durations
                and embeddings are always computed in the model's dtype.

        Memory: an input longer than ``decode_window_frames`` (1000 frames = 40 s) is synthesised by the streaming
        generator ([`generator_stream`]) fed ``decode_chunk_frames`` (200) frames at a time: every layer keeps only
        the left context it needs and each sample is computed once (no recomputed context), so peak memory is that
        of one chunk whatever the length; the result equals one pass up to float rounding. Inputs up to
        ``decode_window_frames`` run in one pass (unchanged).

        Returns:
            `np.ndarray` of shape `(num_samples,)`, float32 in [-1, 1] at ``config.sampling_rate``; empty
            (shape `(0,)`) for empty input. A list of arrays for a list input.
        """
        dur_pred = check_flag(dur_pred, "dur_pred")
        if isinstance(units, list) and units and not isinstance(units[0], (int, np.integer)):
            return self.decode_batch(units, speaker_id=speaker_id, style_id=style_id, dur_pred=dur_pred, dtype=dtype)
        item = self._prepare(units, speaker_id, style_id, dur_pred)
        return self._vocode_items([item], dtype)[0]

    def decode_batch(
        self,
        units_list: List[UnitsInput],
        speaker_id: Union[int, str, None, Sequence[Union[int, str, None]]] = None,
        style_id: Union[int, str, None, Sequence[Union[int, str, None]]] = None,
        dur_pred: bool = True,
        dtype: Optional[torch.dtype] = None,
        batch_size: Optional[int] = None,
    ) -> List[np.ndarray]:
        """Decode several unit sequences of different lengths in padded batches; item ``i`` equals
        ``decode(units_list[i], ...)`` (up to float rounding of batched kernels).

        Args:
            units_list (`list`): inputs as accepted by [`decode`].
            speaker_id / style_id: one value for all items or one per item.
            dur_pred (`bool`): as in [`decode`] (the pitch-length rule applies per item).
            dtype (`torch.dtype`, *optional*): as in [`decode`].
            batch_size (`int`, *optional*): items per forward pass. Default: 1 on CPU (one item at a time, so item
                ``i`` is bitwise ``decode(units_list[i])``: the CPU convolutions are compute-bound already for one
                item, and padding adds work; see ``benchmarks/bench_hifigan.py``'s batch row), every item at once
                on other devices. With more than one item per pass the items are sorted by length first (less
                padding), padded and masked, and returned in input order; each equals its one-item decode up to float
                rounding (the convolution kernels' summation order depends on the padded shape).

        Returns:
            `list[np.ndarray]`, one float32 waveform per item, in input order.
        """
        dur_pred = check_flag(dur_pred, "dur_pred")
        n = len(units_list)

        def per_item(v, name):
            if isinstance(v, (list, tuple)):
                if len(v) != n:
                    raise ValueError(f"`{name}` has {len(v)} entries but {n} inputs were given; give one per input.")
                return list(v)
            return [v] * n

        spk, sty = per_item(speaker_id, "speaker_id"), per_item(style_id, "style_id")
        items = [self._prepare(u, s, t, dur_pred) for u, s, t in zip(units_list, spk, sty)]
        if batch_size is None:
            bs = 1 if self.device.type == "cpu" else max(n, 1)
        elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"`batch_size` must be None or an int >= 1; got {batch_size!r}.")
        else:
            bs = int(batch_size)
        # Length-sorted groups waste the least padding; results go back to input order.
        order = sorted(range(n), key=lambda i: len(items[i][0]["hubert"])) if bs > 1 else list(range(n))
        out: List[Optional[np.ndarray]] = [None] * n
        for start in range(0, n, bs):
            group = order[start : start + bs]
            for i, wav in zip(group, self._vocode_items([items[i] for i in group], dtype)):
                out[i] = wav
        return out

    # ------------------------------------------------------------------------------------------------ streaming

    def decode_stream(
        self,
        units: Union[UnitsInput, Iterable[Any]],
        chunk_units: int = 25,
        speaker_id: Union[int, str, None] = None,
        style_id: Union[int, str, None] = None,
        dur_pred: bool = True,
        dtype: Optional[torch.dtype] = None,
    ) -> Iterator[np.ndarray]:
        """Decode incrementally; the concatenation of the yielded chunks equals [`decode`] (same arguments).

        Each chunk is computed on its frames plus ``receptive_field_frames`` of context on both sides, so
        chunk borders are invisible; a unit's duration is final once the two units after it are known (the
        duration predictor's receptive field), and a frame is emitted once the context after it is final.

        Args:
            units: either a complete input as accepted by [`decode`] (split into pieces of ``chunk_units``
                HuBERT units), or an iterable of pieces as they arrive: an `int` (one HuBERT unit), a list of
                HuBERT units, or a dict ``{"hubert": [...], "pitch": [...]?, "style": [...]?}`` of stream pieces
                (hubert-aligned with ``dur_pred=True``; raw 12.5 Hz / 1 Hz streams with ``dur_pred=False``).
            chunk_units (`int`, defaults to 25): minimum number of new 25 Hz frames per yielded chunk (25 = 1 s),
                except for the first chunk (``min(chunk_units, 5)`` frames, for latency) and the last one. Complete
                inputs are consumed ``min(chunk_units, 4)`` units at a time.
            speaker_id, style_id, dur_pred, dtype: as in [`decode`]. For complete inputs the pitch-length rule
                forces ``dur_pred=False`` as in [`decode`]; for an iterable of pieces ``dur_pred`` is used as given.

        Yields:
            `np.ndarray` float32 chunks (multiples of ``hop_length`` samples; no empty chunks).
        """
        if chunk_units < 1:
            raise ValueError(f"`chunk_units` must be >= 1; got {chunk_units}.")
        dur_pred = check_flag(dur_pred, "dur_pred")
        spk = self._resolve_id(speaker_id, "speaker")
        sty = self._resolve_id(style_id, "style")
        complete = isinstance(units, (str, dict)) or (
            isinstance(units, (list, tuple, np.ndarray, torch.Tensor))
            and (len(units) == 0 or isinstance(units[0], (int, np.integer)) or hasattr(units[0], "item"))
        )
        if complete:
            streams = self._normalize_units(units)
            _, dur_pred = self._align_streams(streams, dur_pred)  # validation + the original's dur_pred rule
            # Consume a few units at a time so that a chunk is synthesised as soon as its context is final.
            pieces = self._split_pieces(streams, min(chunk_units, 4), dur_pred)
        else:
            pieces = units
            if dur_pred and self.duration_predictor is None:
                raise ValueError("`dur_pred=True` but this vocoder has no duration predictor; pass `dur_pred=False`.")
        decoder = SpiritLMHifiGanStreamDecoder(self, chunk_units, spk, sty, dur_pred, dtype)
        for piece in pieces:
            chunk = decoder.push(piece)
            if chunk is not None:
                yield chunk
        chunk = decoder.end()
        if chunk is not None:
            yield chunk

    def _split_pieces(self, streams: Dict[str, List[int]], chunk: int, dur_pred: bool) -> Iterator[Dict[str, list]]:
        N = len(streams["hubert"])
        ratios = {"pitch": self.config.f0_upsample_ratio, "style": self.config.style_upsample_ratio}
        sent = {k: 0 for k in streams}
        for a in range(0, max(N, 1), chunk):
            b = min(a + chunk, N)
            last = b >= N
            piece = {}
            for k, v in streams.items():
                if k == "hubert" or dur_pred:
                    end = b
                else:
                    end = -(-b // ratios[k])
                end = len(v) if last else min(end, len(v))
                piece[k] = v[sent[k] : end]
                sent[k] = max(sent[k], end)
            yield piece

    def stream_decoder(
        self,
        chunk_units: int = 25,
        speaker_id: Union[int, str, None] = None,
        style_id: Union[int, str, None] = None,
        dur_pred: bool = True,
        dtype: Optional[torch.dtype] = None,
    ) -> SpiritLMHifiGanStreamDecoder:
        """A push-based :class:`~.streaming_spirit_hifigan.SpiritLMHifiGanStreamDecoder` (explicit state):
        ``chunk = decoder.push(piece)`` as units arrive, ``decoder.end()`` for the rest. Arguments as in
        [`decode_stream`]."""
        dur_pred = check_flag(dur_pred, "dur_pred")
        if dur_pred and self.duration_predictor is None:
            raise ValueError("`dur_pred=True` but this vocoder has no duration predictor; pass `dur_pred=False`.")
        return SpiritLMHifiGanStreamDecoder(
            self, chunk_units, self._resolve_id(speaker_id, "speaker"), self._resolve_id(style_id, "style"),
            dur_pred, dtype,
        )


# Saved folders carry their code and an auto_map, so `AutoModel.from_pretrained(dir, trust_remote_code=True)` works.
SpiritLMHifiGanConfig.register_for_auto_class()
SpiritLMHifiGan.register_for_auto_class("AutoModel")

__all__ = ["SpiritLMHifiGan", "SpiritLMHifiGanOutput", "SpiritLMHifiGanResBlock", "SpiritLMDurationPredictor"]
