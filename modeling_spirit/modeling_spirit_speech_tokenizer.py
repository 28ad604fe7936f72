# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM speech tokenizer: audio -> HuBERT units (25 Hz), and for the expressive variant pitch units (12.5 Hz)
and style units (1 Hz).

Data flow for one utterance (spec §2-§4):

1. The 16 kHz waveform is cut into independent chunks of ``max_wav_chunk`` samples (100 s); chunks shorter than
   ``min_wav_chunk`` (1280 samples) are dropped for every stream.
2. HuBERT units: conv feature encoder (hop 640) -> LayerNorm + projection -> positional conv -> LayerNorm -> the
   first 11 post-LN transformer layers (odd frame counts get one masked zero frame, fairseq style) -> linear CTC
   quantizer (argmax of log-softmax over 500 units + blank) -> blanks replaced by the previous unit, cyclically
   within the chunk (the original's flattened ``torch.roll`` rule).
3. Pitch units: FCPE F0 (``torchfcpe``, bundled weights) on a 200 Hz grid -> ``[f0, vuv]`` -> VQ-VAE encoder
   (/16) -> nearest of 64 codes.
4. Style units: zero-mean/unit-variance chunk -> wav2vec2 -> projector -> mean over 50-frame windows ->
   classifier -> argmax.

Batching packs the valid frames of all chunks: every frame-wise op (LayerNorm, linear layers, feed-forward, the
quantizer) runs on the packed frames of a group of chunks, and the sequence-wide ops (positional conv, attention) run
per chunk with exactly the single-utterance call, so batched results equal per-utterance results. The conv feature
encoder is device-aware (profiled on the 2-core CPU: on a padded batch it costs up to 1.4x the per-chunk convs, the
padding is real work there and the batch gains nothing): on CPU each chunk's convs run on that chunk alone (no
padding at all); on an accelerator the chunks are sorted by length and grouped so that padding wastes at most 25%,
and each group's convs run as one zero-padded batch (a valid output frame only reads valid input frames; GroupNorm is
computed per chunk on its valid frames), which amortises the kernel launches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import HubertConfig, HubertModel, PreTrainedModel, Wav2Vec2Config, Wav2Vec2ForSequenceClassification
from transformers.utils import ModelOutput

from .audio_utils import check_sampling_rate, load_audio
from .components import auto_subfolder, check_flag, checked_from_pretrained, load_component
from .configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig, fix_auto_map, fix_saved_auto_map
from .constants import SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .units import units_to_string


def _import_torchfcpe():
    """torchfcpe (pitch units, pip extra `expressive`), imported on first use: importing it prints log lines."""
    try:
        import torchfcpe
    except ImportError:  # pragma: no cover
        return None
    return torchfcpe



# ----------------------------------------------------------------------------------------------------------------
# Shared machinery for the wav2vec2-family encoders (HuBERT and the wav2vec2 style model), batched and exact.
# ----------------------------------------------------------------------------------------------------------------


def conv_output_lengths(lengths: torch.Tensor, kernels: Sequence[int], strides: Sequence[int]) -> torch.Tensor:
    """Frame counts after a stack of unpadded convolutions: ``n <- (n - k) // s + 1`` (negative -> 0)."""
    out = lengths.clone()
    for k, s in zip(kernels, strides):
        out = torch.where(out >= k, torch.div(out - k, s, rounding_mode="floor") + 1, torch.zeros_like(out))
    return out


def _conv_features(feature_encoder: nn.Module, waves: List[torch.Tensor]) -> List[torch.Tensor]:
    """Run a wav2vec2-style conv feature encoder on chunks of different lengths.

    Args:
        feature_encoder: a transformers ``HubertFeatureEncoder`` / ``Wav2Vec2FeatureEncoder``.
        waves: list of B 1-D float tensors (each long enough for at least one frame).

    Returns:
        list of B tensors ``(C, T_b)``: exactly what each chunk alone would give.
    """
    lengths = torch.tensor([w.shape[0] for w in waves])
    x = torch.zeros(len(waves), 1, int(lengths.max()), dtype=waves[0].dtype, device=waves[0].device)  # (B, 1, L)
    for b, w in enumerate(waves):
        x[b, 0, : w.shape[0]] = w
    lens = lengths
    for layer in feature_encoder.conv_layers:
        conv = layer.conv
        x = conv(x)  # (B, C, T') ; valid frames only read valid inputs
        lens = conv_output_lengths(lens, conv.kernel_size, conv.stride)
        norm = getattr(layer, "layer_norm", None)
        if isinstance(norm, nn.GroupNorm):
            # GroupNorm normalises over time: compute it on each chunk's valid frames only.
            if x.shape[0] == 1 and int(lens[0]) == x.shape[-1]:
                x = norm(x)
            else:
                normed = torch.zeros_like(x)
                for b in range(x.shape[0]):
                    n = int(lens[b])
                    normed[b, :, :n] = norm(x[b : b + 1, :, :n].contiguous())[0]
                x = normed
        elif isinstance(norm, nn.LayerNorm):
            x = norm(x.transpose(-2, -1)).transpose(-2, -1)
        x = layer.activation(x)
    return [x[b, :, : int(lens[b])] for b in range(len(waves))]


def _fairseq_self_attention(attention: nn.Module, x: torch.Tensor, key_padding_mask: Optional[torch.Tensor]):
    """The original's fairseq ``MultiheadAttention`` eval fast path, on one chunk: ``x`` is ``(T, 1, C)``."""
    out, _ = F.multi_head_attention_forward(
        x,
        x,
        x,
        attention.embed_dim,
        attention.num_heads,
        torch.empty([0]),
        torch.cat((attention.q_proj.bias, attention.k_proj.bias, attention.v_proj.bias)),
        None,
        None,
        False,
        0.0,
        attention.out_proj.weight,
        attention.out_proj.bias,
        training=False,
        key_padding_mask=key_padding_mask,
        need_weights=False,
        attn_mask=None,
        use_separate_proj_weight=True,
        q_proj_weight=attention.q_proj.weight,
        k_proj_weight=attention.k_proj.weight,
        v_proj_weight=attention.v_proj.weight,
    )
    return out  # (T, 1, C)


def _sdpa_self_attention(attention: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """transformers' wav2vec2 SDPA attention (no mask), on one chunk: ``x`` is ``(T, C)``."""
    t, c = x.shape
    h = attention.num_heads
    d = c // h
    q = attention.q_proj(x).view(1, t, h, d).transpose(1, 2)  # (1, H, T, D)
    k = attention.k_proj(x).view(1, t, h, d).transpose(1, 2)
    v = attention.v_proj(x).view(1, t, h, d).transpose(1, 2)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False)
    out = out.transpose(1, 2).reshape(t, c)
    return attention.out_proj(out)  # (T, C)


def pad_batched_convs(device: Union[str, torch.device]) -> bool:
    """Whether the conv feature encoder runs a group of chunks as one zero-padded batch on ``device`` (accelerators:
    fewer, larger kernels) or chunk by chunk without padding (CPU: the padding would be real work)."""
    return torch.device(device).type != "cpu"


def encode_frames(
    model: nn.Module,
    waves: List[torch.Tensor],
    num_layers: int,
    attention: str,
    seq_len_multiple: int = 1,
    pad_convs: Optional[bool] = None,
) -> List[torch.Tensor]:
    """Hidden states after ``num_layers`` post-LN transformer layers of a transformers Hubert/Wav2Vec2 model.

    Args:
        model: ``HubertModel`` or ``Wav2Vec2Model`` (post-LN, ``do_stable_layer_norm=False``).
        waves: list of B 1-D waveforms.
        num_layers: transformer layers to run (the original HuBERT path runs 11).
        attention: ``"fairseq"`` (``F.multi_head_attention_forward``, the original HuBERT) or ``"sdpa"``
            (transformers' wav2vec2 SDPA attention, the original style encoder).
        seq_len_multiple: fairseq ``required_seq_len_multiple``: each chunk is padded with zero frames (masked as
            keys) to a multiple of this after the encoder LayerNorm.
        pad_convs: run the conv feature encoder on one zero-padded batch (``True``) or chunk by chunk (``False``);
            default :func:`pad_batched_convs` of the waves' device. Both give the same frames.

    Returns:
        list of B tensors ``(T_b, hidden)``.
    """
    if pad_convs is None:
        pad_convs = pad_batched_convs(waves[0].device)
    if pad_convs:
        feats = _conv_features(model.feature_extractor, waves)  # B x (C, T_b)
    else:
        feats = [_conv_features(model.feature_extractor, [w])[0] for w in waves]
    lengths = [f.shape[-1] for f in feats]
    packed = torch.cat([f.transpose(0, 1) for f in feats], dim=0)  # (N, C)
    proj = model.feature_projection
    if getattr(proj, "feat_proj_layer_norm", True) and hasattr(proj, "layer_norm"):
        packed = proj.layer_norm(packed)
    hidden = proj.projection(packed)  # (N, D)
    encoder = model.encoder
    pos = encoder.pos_conv_embed
    pos_weight_conv = pos.conv
    outs = []
    start = 0
    for n in lengths:
        h = hidden[start : start + n].unsqueeze(0)  # (1, T, D)
        p = pos_weight_conv(h.transpose(1, 2))  # same (channels-last view) layout as the original
        p = pos.padding(p)
        if getattr(pos, "batch_norm", None) is not None:
            p = pos.batch_norm(p)
        p = pos.activation(p).transpose(1, 2)
        outs.append((h + p)[0])
        start += n
    hidden = encoder.layer_norm(torch.cat(outs, dim=0))  # (N, D)
    # fairseq pads each chunk to a multiple of `seq_len_multiple` with zero frames, masked in attention.
    padded_lengths = [-(-n // seq_len_multiple) * seq_len_multiple for n in lengths]
    if padded_lengths != lengths:
        pieces = []
        start = 0
        for n, pn in zip(lengths, padded_lengths):
            pieces.append(hidden[start : start + n])
            if pn > n:
                pieces.append(hidden.new_zeros(pn - n, hidden.shape[-1]))
            start += n
        hidden = torch.cat(pieces, dim=0)  # (N', D)
    masks = []
    for n, pn in zip(lengths, padded_lengths):
        if pn > n:
            m = torch.zeros(1, pn, dtype=torch.bool, device=hidden.device)
            m[:, n:] = True
            masks.append(m)
        else:
            masks.append(None)
    for layer in encoder.layers[:num_layers]:
        attn_out = []
        start = 0
        for pn, m in zip(padded_lengths, masks):
            x = hidden[start : start + pn]
            if attention == "fairseq":
                attn_out.append(_fairseq_self_attention(layer.attention, x.unsqueeze(1), m)[:, 0])
            else:
                attn_out.append(_sdpa_self_attention(layer.attention, x))
            start += pn
        hidden = layer.layer_norm(hidden + torch.cat(attn_out, dim=0))
        hidden = layer.final_layer_norm(hidden + layer.feed_forward(hidden))
    results = []
    start = 0
    for n, pn in zip(lengths, padded_lengths):
        results.append(hidden[start : start + n])
        start += pn
    return results


# ----------------------------------------------------------------------------------------------------------------
# Linear CTC quantizer
# ----------------------------------------------------------------------------------------------------------------


class SpiritLMLinearQuantizer(nn.Module):
    """The linear CTC quantizer of spec §3.4: ``Linear, LeakyReLU(0.01), Linear, LeakyReLU(0.01), Linear`` to
    ``vocab_size + 1`` classes (the last is the CTC blank)."""

    def __init__(self, dim: int, hidden_sizes: Sequence[int], vocab_size: int):
        super().__init__()
        h1, h2 = hidden_sizes
        self.vocab_size = vocab_size
        self.encoder = nn.Sequential(
            nn.Linear(dim, h1), nn.LeakyReLU(0.01), nn.Linear(h1, h2), nn.LeakyReLU(0.01), nn.Linear(h2, vocab_size + 1)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` features -> ``(N,)`` raw codes, blanks (``vocab_size``) included."""
        return torch.argmax(torch.log_softmax(self.encoder(features), dim=-1), dim=-1)


def fill_blanks(codes: torch.Tensor, blank: int) -> torch.Tensor:
    """Replace CTC blanks in one chunk's codes like the original (spec §3.4).

    The original repeats ``code = where(code == blank, roll(code, 1), code)`` (flattened roll: frame 0 reads the
    *last* frame) until no blank is left (at most 10 000 times). Its fixed point, computed here in one pass: every
    blank takes the nearest non-blank value before it, wrapping around from the end of the chunk; an all-blank
    chunk stays all blank. (Runs are at most 2 500 frames per 100 s chunk, so the iteration cap never binds.)
    """
    nonblank = codes != blank  # (T,)
    if bool(nonblank.all()) or not bool(nonblank.any()):
        return codes.clone()
    t = codes.shape[0]
    idx = torch.arange(t, device=codes.device)
    last = torch.where(nonblank, idx, torch.full_like(idx, -1))
    last = torch.cummax(last, dim=0).values  # index of the last non-blank at or before each frame
    wrap = int(last[-1])  # the last non-blank of the chunk feeds the leading blanks
    last = torch.where(last < 0, torch.full_like(last, wrap), last)
    return codes[last]


# ----------------------------------------------------------------------------------------------------------------
# F0 VQ-VAE (encoder and codebook; the decoder is never used for tokenisation)
# ----------------------------------------------------------------------------------------------------------------


class _ResConv1DBlock(nn.Module):
    def __init__(self, n_in: int, n_state: int, dilation: int, res_scale: float):
        super().__init__()
        self.model = nn.Sequential(
            nn.ReLU(), nn.Conv1d(n_in, n_state, 3, 1, dilation, dilation), nn.ReLU(), nn.Conv1d(n_state, n_in, 1, 1, 0)
        )
        self.res_scale = res_scale

    def forward(self, x):
        return x + self.res_scale * self.model(x)


class _Resnet1D(nn.Module):
    def __init__(self, width, depth, m_conv, dilation_growth_rate, dilation_cycle, res_scale):
        super().__init__()
        scale = 1.0 if not res_scale else 1.0 / float(np.sqrt(depth))
        blocks = []
        for d in range(depth):
            exponent = d if dilation_cycle is None else d % dilation_cycle
            blocks.append(_ResConv1DBlock(width, int(m_conv * width), dilation_growth_rate**exponent, scale))
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


class _EncoderLevel(nn.Module):
    def __init__(self, input_emb_width, output_emb_width, down_t, stride_t, width, depth, m_conv, dgr, cycle, rs):
        super().__init__()
        blocks = []
        for i in range(down_t):
            blocks.append(
                nn.Sequential(
                    nn.Conv1d(input_emb_width if i == 0 else width, width, stride_t * 2, stride_t, stride_t // 2),
                    _Resnet1D(width, depth, m_conv, dgr, cycle, rs),
                )
            )
        blocks.append(nn.Conv1d(width, output_emb_width, 3, 1, 1))
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


class _VQEncoder(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.level_blocks = nn.ModuleList()
        for level in range(cfg["levels"]):
            stride = cfg["strides_t"][level]
            if not isinstance(stride, int):
                raise ValueError(f"F0 VQ-VAE `strides_t` must be a list of ints; got {cfg['strides_t']!r}.")
            self.level_blocks.append(
                _EncoderLevel(
                    cfg["input_emb_width"] if level == 0 else cfg["output_emb_width"],
                    cfg["output_emb_width"],
                    cfg["downs_t"][level],
                    stride,
                    cfg["width"],
                    cfg["depth"],
                    cfg["m_conv"],
                    cfg["dilation_growth_rate"],
                    cfg.get("dilation_cycle"),
                    cfg.get("res_scale", False),
                )
            )

    def forward(self, x):
        xs = []
        for block in self.level_blocks:
            x = block(x)
            xs.append(x)
        return xs


class _VQCodebook(nn.Module):
    def __init__(self, l_bins: int, emb_width: int):
        super().__init__()
        self.register_buffer("k", torch.zeros(l_bins, emb_width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T)`` -> ``(N, T)`` nearest code, distance ``sum x^2 - 2 x k^T + sum k^2`` as the original."""
        n, c, t = x.shape
        flat = x.permute(0, 2, 1).contiguous().view(-1, c)  # (N*T, C)
        k_w = self.k.t()
        distance = torch.sum(flat**2, dim=-1, keepdim=True) - 2 * torch.matmul(flat, k_w) + torch.sum(k_w**2, dim=0, keepdim=True)
        _, codes = torch.min(distance, dim=-1)
        return codes.view(n, t)


class _VQBottleneck(nn.Module):
    def __init__(self, levels: int, l_bins: int, emb_width: int):
        super().__init__()
        self.level_blocks = nn.ModuleList([_VQCodebook(l_bins, emb_width) for _ in range(levels)])


class SpiritLMF0VQVAE(nn.Module):
    """Encoder and codebook of the jukebox-style F0 VQ-VAE (spec §4.3): ``(1, 2, T)`` -> ``(T // 16,)`` codes."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.encoder = _VQEncoder(cfg)
        self.vq = _VQBottleneck(cfg["levels"], cfg["l_bins"], cfg["output_emb_width"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = self.encoder(x.float())
        return self.vq.level_blocks[0](xs[0])[0]


# ----------------------------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class SpiritLMSpeechTokenizerOutput(ModelOutput):
    """
    Raw (not deduplicated) units of a batch, right-padded with -1.

    Args:
        hubert_units (`torch.LongTensor` of shape `(batch_size, T_hubert)`): HuBERT units, 25 Hz.
        hubert_lengths (`torch.LongTensor` of shape `(batch_size,)`): valid HuBERT units per row.
        pitch_units (`torch.LongTensor` of shape `(batch_size, T_pitch)`, *optional*): pitch units, 12.5 Hz.
        pitch_lengths (`torch.LongTensor` of shape `(batch_size,)`, *optional*)
        style_units (`torch.LongTensor` of shape `(batch_size, T_style)`, *optional*): style units, 1 Hz.
        style_lengths (`torch.LongTensor` of shape `(batch_size,)`, *optional*)
    """

    hubert_units: Optional[torch.LongTensor] = None
    hubert_lengths: Optional[torch.LongTensor] = None
    pitch_units: Optional[torch.LongTensor] = None
    pitch_lengths: Optional[torch.LongTensor] = None
    style_units: Optional[torch.LongTensor] = None
    style_lengths: Optional[torch.LongTensor] = None


def _pad_units(rows: List[List[int]]) -> tuple[torch.LongTensor, torch.LongTensor]:
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    out = torch.full((len(rows), int(lengths.max()) if len(rows) else 0), -1, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out, lengths


class SpiritLMSpeechTokenizer(PreTrainedModel):
    """Spirit LM speech tokenizer (phonetic units; pitch and style units for the expressive variant).

    Main entry points (names of the original package): :meth:`encode_units` (raw unit lists) and
    :meth:`encode_string` (deduplicated, time-sorted ``[St..][Pi..][Hu..]`` string). Both take one input or a list
    of inputs (a batch, processed together and giving exactly the per-input results). ``forward`` takes padded
    16 kHz ``input_values`` and an ``attention_mask``.

    Sub-models: ``hubert`` (transformers ``HubertModel``), ``quantizer`` (:class:`SpiritLMLinearQuantizer`), and for
    the expressive variant ``f0_vqvae`` (:class:`SpiritLMF0VQVAE`) and ``style_encoder`` (transformers
    ``Wav2Vec2ForSequenceClassification``). F0 itself comes from ``torchfcpe``'s bundled model (weights inside its
    wheel, not in this checkpoint), spawned on first use.
    """

    config_class = SpiritLMSpeechTokenizerConfig
    base_model_prefix = "spirit_speech_tokenizer"
    main_input_name = "input_values"
    _no_split_modules = []
    _supports_sdpa = True

    def __init__(self, config: SpiritLMSpeechTokenizerConfig):
        super().__init__(config)
        hubert_cfg = HubertConfig(**config.hubert_config)
        self.hubert = HubertModel(hubert_cfg)
        self.quantizer = SpiritLMLinearQuantizer(
            hubert_cfg.hidden_size, config.quantizer_hidden_sizes, config.quantizer_vocab_size
        )
        if config.is_expressive:
            self.f0_vqvae = SpiritLMF0VQVAE(config.f0_vqvae_config)
            self.style_encoder = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**config.style_config))
        else:
            self.f0_vqvae = None
            self.style_encoder = None
        self.post_init()

    def _init_weights(self, module):
        # Everything is loaded from converted checkpoints; keep PyTorch's default initialisation.
        pass

    # ------------------------------------------------------------------ properties
    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    @property
    def frame_rate(self) -> float:
        """HuBERT units per second (25.0)."""
        return self.config.sampling_rate / self.config.hubert_hop_length

    @property
    def is_expressive(self) -> bool:
        return self.config.is_expressive

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        """As ``PreTrainedModel.from_pretrained``; a full Spirit LM folder whose speech tokenizer sits in
        ``speech_tokenizer/`` (and which is not itself a speech-tokenizer folder) loads from that subfolder. A folder
        of another model type (a Spirit LM folder without ``speech_tokenizer/``), a damaged file or missing weights
        raise :class:`~.components.SpiritLMLoadingError` instead of giving random weights."""
        path = os.fspath(pretrained_model_name_or_path) if isinstance(pretrained_model_name_or_path, os.PathLike) else pretrained_model_name_or_path
        if "subfolder" not in kwargs:
            subfolder = auto_subfolder(path, SPEECH_TOKENIZER_SUBFOLDER, SpiritLMSpeechTokenizerConfig.model_type)
            if subfolder:
                kwargs["subfolder"] = subfolder
        loaded = checked_from_pretrained(cls, super().from_pretrained, path, *args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        # Where the vocoder saved beside this speech tokenizer would be (see `decode`): `<folder>/vocoder` for a
        # Spirit LM folder whose speech tokenizer sits in `<folder>/speech_tokenizer`.
        sub = kwargs.get("subfolder") or ""
        if isinstance(path, str) and sub.rstrip("/").split("/")[-1] == SPEECH_TOKENIZER_SUBFOLDER:
            model._vocoder_root = (path, kwargs.get("revision"))
        elif isinstance(path, str) and os.path.isdir(path) and not sub:
            parent = os.path.dirname(os.path.abspath(path))
            if os.path.basename(os.path.abspath(path)) == SPEECH_TOKENIZER_SUBFOLDER:
                model._vocoder_root = (parent, None)
        return loaded

    # ------------------------------------------------------------------ decoding (the original's API)
    def attach_vocoder(self, vocoder) -> "SpiritLMSpeechTokenizer":
        """Use ``vocoder`` (a :class:`SpiritLMHifiGan`) for :meth:`decode`; returns ``self``."""
        self.__dict__["_vocoder"] = vocoder
        return self

    @property
    def vocoder(self):
        """The vocoder :meth:`decode` uses: the one attached with :meth:`attach_vocoder`, else the one saved beside
        this speech tokenizer in its Spirit LM folder (``<folder>/vocoder``, loaded on first use), else ``None``."""
        if self.__dict__.get("_vocoder") is None:
            root = self.__dict__.get("_vocoder_root")
            if root is not None:
                vocoder = load_component(SpiritLMHifiGan, root[0], VOCODER_SUBFOLDER, revision=root[1])
                if vocoder is not None:
                    vocoder = vocoder.to(self.device)
                self.__dict__["_vocoder"] = vocoder
                self.__dict__["_vocoder_root"] = None
        return self.__dict__.get("_vocoder")

    def decode(self, units_or_string, speaker_id: Union[int, str, None] = 2, dur_pred: bool = True, **kwargs):
        """Units → 16 kHz waveform, as the original's ``SpiritLMTokenizer.decode(units_or_string, speaker_id=2,
        dur_pred=True)``: delegates to :meth:`SpiritLMHifiGan.decode` of :attr:`vocoder` (the vocoder saved beside
        this speech tokenizer, or one attached with :meth:`attach_vocoder`). Extra keywords (``style_id``,
        ``dtype``) are passed on.

        Args:
            units_or_string: a unit string (``"[St71][Pi39][Hu99]..."``), a units dict (e.g. from
                :meth:`encode_units`) or a list of them.
            speaker_id (`int` or `str`, defaults to 2): the vocoder's speaker.
            dur_pred (`bool`, defaults to `True`): predict durations (see :meth:`SpiritLMHifiGan.decode`).
        """
        dur_pred = check_flag(dur_pred, "dur_pred")
        vocoder = self.vocoder
        if vocoder is None:
            raise ValueError(
                "This speech tokenizer has no vocoder to decode with: it was not loaded from a Spirit LM folder with "
                f"a `{VOCODER_SUBFOLDER}/` beside its `{SPEECH_TOKENIZER_SUBFOLDER}/`, and none was attached. Load "
                "one (`SpiritLMHifiGan.from_pretrained(folder)`) and call `speech_tokenizer.attach_vocoder(vocoder)`, "
                "or call `vocoder.decode(...)` directly."
            )
        return vocoder.decode(units_or_string, speaker_id=speaker_id, dur_pred=dur_pred, **kwargs)

    def save_pretrained(self, save_directory, *args, **kwargs):
        """``PreTrainedModel.save_pretrained`` (safetensors), with a remote-code ``auto_map`` that loads."""
        out = super().save_pretrained(save_directory, *args, **kwargs)
        fix_auto_map(getattr(self.config, "auto_map", None))
        fix_saved_auto_map(save_directory)
        return out

    # ------------------------------------------------------------------ input handling
    def _load(self, audio: Any, channel_id: Optional[int], sampling_rate: Optional[int]) -> torch.Tensor:
        if isinstance(audio, (np.ndarray, torch.Tensor)) or (isinstance(audio, (list, tuple)) and audio and not isinstance(audio[0], (str, dict, bytes, np.ndarray, torch.Tensor, os.PathLike))):
            check_sampling_rate(sampling_rate, self.config.sampling_rate)
            sampling_rate = None
            if isinstance(audio, (np.ndarray, torch.Tensor)) and audio.ndim > 2 and sum(s > 1 for s in audio.shape) > 2:
                raise ValueError(
                    f"Got an audio array of shape {tuple(audio.shape)}; expected `(time,)` or `(channels, time)`. "
                    "For a batch pass a list of 1-D arrays (they may have different lengths)."
                )
        return load_audio(audio, sampling_rate=sampling_rate, channel_id=channel_id, target_rate=self.config.sampling_rate)

    def _chunks(self, waves: List[torch.Tensor]) -> tuple[List[torch.Tensor], List[int]]:
        chunks, owners = [], []
        step = self.config.max_wav_chunk
        for i, w in enumerate(waves):
            for start in range(0, w.shape[0], step):
                piece = w[start : start + step]
                if piece.shape[0] < self.config.min_wav_chunk:
                    continue
                chunks.append(piece)
                owners.append(i)
        return chunks, owners

    def _groups(self, chunks: List[torch.Tensor]) -> List[List[int]]:
        """Indices of chunks grouped (longest first) so that each group stays under ``batch_max_samples``: padded
        samples where the convs run on a padded batch (accelerators, also capped at 25% padding), real samples on
        CPU (no padding there: see :func:`encode_frames`)."""
        padding = pad_batched_convs(self.device)
        order = sorted(range(len(chunks)), key=lambda i: -chunks[i].shape[0])
        groups, cur, real = [], [], 0
        for i in order:
            n = chunks[i].shape[0]
            longest = chunks[cur[0]].shape[0] if cur else n
            padded = longest * (len(cur) + 1) if padding else real + n
            # New group when over the memory budget or when padding would waste > 25% of the conv work.
            if cur and (padded > self.config.batch_max_samples or padded > 1.25 * (real + n)):
                groups.append(cur)
                cur, real = [], 0
            cur.append(i)
            real += n
        if cur:
            groups.append(cur)
        return groups

    # ------------------------------------------------------------------ the three streams
    @torch.inference_mode()
    def hubert_units(self, chunks: List[torch.Tensor]) -> List[torch.LongTensor]:
        """Raw HuBERT units (blanks filled) for each chunk (1-D float tensors at 16 kHz, >= 400 samples)."""
        results: List[Optional[torch.Tensor]] = [None] * len(chunks)
        device = self.device
        for group in self._groups(chunks):
            waves = [chunks[i].to(device=device, dtype=torch.float32) for i in group]
            feats = encode_frames(
                self.hubert, waves, self.config.hubert_output_layer, attention="fairseq", seq_len_multiple=self.config.hubert_seq_len_multiple
            )
            codes = self.quantizer(torch.cat(feats, dim=0).float())  # (N,)
            start = 0
            for i, f in zip(group, feats):
                n = f.shape[0]
                results[i] = fill_blanks(codes[start : start + n], self.config.quantizer_vocab_size).cpu()
                start += n
        return results

    def _fcpe(self, device: torch.device):
        model = self.__dict__.get("_fcpe_model")
        if model is None or self.__dict__.get("_fcpe_device") != str(device):
            torchfcpe = _import_torchfcpe()
            if torchfcpe is None:
                raise ImportError(
                    "Pitch units of the expressive speech tokenizer need `torchfcpe` (MIT; its F0 weights ship in "
                    "the wheel): `pip install 'spirit-lm-hub[expressive]'` or `pip install torchfcpe`."
                )
            model = torchfcpe.spawn_bundled_infer_model(device=str(device))
            self.__dict__["_fcpe_model"] = model
            self.__dict__["_fcpe_device"] = str(device)
        return model

    @torch.inference_mode()
    def extract_f0(self, chunk: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """FCPE F0 of one chunk on the 200 Hz grid, called exactly as the original (spec §4.1).

        Returns ``(f0, vuv)`` float32 numpy arrays of ``len(chunk) // 80 + 1`` frames. Audio without any voiced
        frame (where torchfcpe's interpolation raises ``IndexError``, the original's issue #17) gives all-zero
        ``f0`` and ``vuv`` instead of crashing.
        """
        cfg = self.config
        length = chunk.shape[0]
        target = length // cfg.f0_hop_length + 1
        model = self._fcpe(self.device)
        wav = chunk.float().reshape(1, length, 1).to(self.device)
        try:
            f0, uv = model.infer(
                wav,
                sr=cfg.sampling_rate,
                decoder_mode=cfg.fcpe_decoder_mode,
                threshold=cfg.fcpe_threshold,
                f0_min=cfg.fcpe_f0_min,
                f0_max=cfg.fcpe_f0_max,
                interp_uv=True,
                output_interp_target_length=target,
                retur_uv=True,
            )
        except IndexError:
            zeros = np.zeros(target, dtype=np.float32)
            return zeros, zeros.copy()
        f0 = f0.squeeze().float().cpu().numpy().reshape(-1)
        vuv = (1 - uv.squeeze().float().cpu().numpy()).reshape(-1)
        return f0.astype(np.float32), vuv.astype(np.float32)

    @torch.inference_mode()
    def pitch_units_from_f0(self, f0: np.ndarray, vuv: np.ndarray) -> torch.LongTensor:
        """``[f0, vuv]`` (optionally mean-normalised, spec §4.2) -> VQ-VAE codes, ``len(f0) // 16`` of them."""
        f0 = np.array(f0, dtype=np.float32)
        vuv = np.asarray(vuv, dtype=np.float32)
        if "norm_" in self.config.f0_features:
            voiced = f0[vuv != 0]
            if voiced.size:
                f0[f0 != 0] -= voiced.mean()
        x = torch.from_numpy(np.stack([f0, vuv])).float().unsqueeze(0).to(self.device)  # (1, 2, T)
        return self.f0_vqvae(x).cpu()

    def pitch_units(self, chunks: List[torch.Tensor]) -> List[torch.LongTensor]:
        """Raw pitch units per chunk (FCPE and the small VQ-VAE run chunk by chunk: both see whole sequences)."""
        return [self.pitch_units_from_f0(*self.extract_f0(c)) for c in chunks]

    @torch.inference_mode()
    def style_units(self, chunks: List[torch.Tensor]) -> List[torch.LongTensor]:
        """Raw style units per chunk: one per started second (50 wav2vec2 frames)."""
        enc = self.style_encoder
        pool = self.config.style_pool_size
        results: List[Optional[torch.Tensor]] = [None] * len(chunks)
        for group in self._groups(chunks):
            waves = []
            for i in group:
                x = chunks[i].detach().cpu().numpy().astype(np.float32)
                if self.config.style_normalize:
                    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)  # Wav2Vec2FeatureExtractor, float32
                waves.append(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device))
            hidden = encode_frames(enc.wav2vec2, waves, enc.config.num_hidden_layers, attention="sdpa")
            projected = enc.projector(torch.cat(hidden, dim=0))  # (N, P)
            start = 0
            for i, h in zip(group, hidden):
                p = projected[start : start + h.shape[0]].unsqueeze(0)  # (1, T, P)
                start += h.shape[0]
                pooled = torch.stack([c.mean(dim=1) for c in torch.split(p, pool, dim=1)], dim=1)  # (1, n, P)
                logits = enc.classifier(pooled)
                results[i] = torch.argmax(torch.log_softmax(logits, dim=-1), dim=-1)[0].cpu()
        return results

    # ------------------------------------------------------------------ public API
    def _encode_waveforms(self, waves: List[torch.Tensor], fast: bool = False) -> List[Dict[str, List[int]]]:
        chunks, owners = self._chunks(waves)
        streams = {"hubert": None}
        ctx = torch.autocast(device_type=self.device.type, dtype=torch.bfloat16) if fast else _nullcontext()
        if chunks:
            with ctx:
                streams["hubert"] = self.hubert_units(chunks)
                if self.is_expressive:
                    streams["style"] = self.style_units(chunks)
            if self.is_expressive:
                streams["pitch"] = self.pitch_units(chunks)
        keys = ["hubert", "pitch", "style"] if self.is_expressive else ["hubert"]
        out = [{k: [] for k in keys} for _ in waves]
        for j, owner in enumerate(owners):
            for k in keys:
                out[owner][k].extend(int(u) for u in streams[k][j].tolist())
        return out

    def encode_units(
        self,
        audio: Any,
        channel_id: Optional[int] = None,
        sampling_rate: Optional[int] = None,
        fast: bool = False,
    ) -> Union[Dict[str, List[int]], List[Dict[str, List[int]]]]:
        """Raw (not deduplicated) unit streams of one utterance, or of each utterance of a list.

        Args:
            audio: a path (any format torchaudio/torchcodec reads, any rate: resampled), bytes of a file, a 1-D
                (or ``(channels, time)``) numpy array / tensor of 16 kHz samples, a ``{"array", "sampling_rate"}``
                dict (resampled), or a list of these (a batch, processed together).
            channel_id (`int`, *optional*): channel of multi-channel audio to keep (default: average channels).
            sampling_rate (`int`, *optional*): rate of raw arrays; anything but 16000 raises (resample first).
            fast (`bool`, *optional*, defaults to `False`): run HuBERT and the style model under bfloat16
                autocast (much faster on CPUs with bf16 support; units may differ from the exact fp32 path).

        Returns:
            ``{"hubert": [...], "pitch": [...], "style": [...]}`` (pitch/style only for the expressive variant),
            or a list of such dicts for a list input. Audio shorter than ``min_wav_chunk`` (1280 samples, 80 ms)
            gives empty lists (documented behaviour of the original).
        """
        fast = check_flag(fast, "fast")
        is_batch = isinstance(audio, (list, tuple)) and len(audio) > 0 and not isinstance(audio[0], (int, float, np.number))
        items = list(audio) if is_batch else [audio]
        waves = [self._load(a, channel_id, sampling_rate) for a in items]
        out = self._encode_waveforms(waves, fast=fast)
        return out if is_batch else out[0]

    def units_to_string(self, units: Dict[str, List[int]]) -> str:
        """Deduplicated, time-sorted unit string (see :func:`.units.units_to_string`)."""
        return units_to_string(
            units, hubert_rate=self.config.hubert_rate, pitch_rate=self.config.pitch_rate, style_rate=self.config.style_rate
        )

    def encode_string(
        self, audio: Any, channel_id: Optional[int] = None, sampling_rate: Optional[int] = None, fast: bool = False
    ) -> Union[str, List[str]]:
        """``units_to_string(encode_units(audio))``: e.g. ``"[St71][Pi39][Hu99][Hu49]..."``; a list for a list."""
        units = self.encode_units(audio, channel_id=channel_id, sampling_rate=sampling_rate, fast=fast)
        if isinstance(units, list):
            return [self.units_to_string(u) for u in units]
        return self.units_to_string(units)

    def forward(
        self, input_values: torch.Tensor, attention_mask: Optional[torch.Tensor] = None, fast: bool = False
    ) -> SpiritLMSpeechTokenizerOutput:
        """Units of a padded batch.

        Args:
            input_values (`torch.FloatTensor` of shape `(batch_size, num_samples)`): 16 kHz mono audio, right-padded.
            attention_mask (`torch.LongTensor` of shape `(batch_size, num_samples)`, *optional*): 1 for real
                samples; without it every row is taken at full length.
            fast (`bool`, *optional*): bfloat16 autocast (see :meth:`encode_units`).
        """
        if input_values.dim() == 1:
            input_values = input_values.unsqueeze(0)
        if input_values.dim() != 2:
            raise ValueError(
                f"`input_values` has shape {tuple(input_values.shape)}; expected `(batch_size, num_samples)`."
            )
        if attention_mask is None:
            lengths = [input_values.shape[1]] * input_values.shape[0]
        else:
            lengths = attention_mask.long().sum(-1).tolist()
        waves = [input_values[b, : int(n)].float() for b, n in enumerate(lengths)]
        for w in waves:
            if not torch.isfinite(w).all():
                raise ValueError("`input_values` contains NaN/inf samples; audio must be finite.")
        units = self._encode_waveforms(waves, fast=fast)
        out = {}
        for key in units[0] if units else ["hubert"]:
            padded, lens = _pad_units([u[key] for u in units])
            out[f"{key}_units"], out[f"{key}_lengths"] = padded, lens
        return SpiritLMSpeechTokenizerOutput(**out)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


__all__ = [
    "SpiritLMSpeechTokenizer",
    "SpiritLMSpeechTokenizerOutput",
    "SpiritLMLinearQuantizer",
    "SpiritLMF0VQVAE",
    "fill_blanks",
    "encode_frames",
    "conv_output_lengths",
    "pad_batched_convs",
]
