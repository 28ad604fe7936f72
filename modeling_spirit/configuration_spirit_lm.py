# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM configuration: a Llama-2 configuration that also carries the speech-token layout.

The layout (ids of the modality markers and of every unit range) lives here and only here. What uses it:

* generated ids → units (the output path, :mod:`.output_spirit_lm`): :meth:`SpiritLMConfig.id_to_unit` and the
  ``is_*_id`` predicates, never string parsing;
* units → ids for code that holds unit arrays: :meth:`SpiritLMConfig.units_to_ids`;
* the tokenizers are *built* from :meth:`SpiritLMConfig.layout_tokens` (each ``[Hu5]`` etc. becomes an added token
  at its layout id). Prompts, however, go in as strings: the speech tokenizer writes a unit string
  (``[St71][Pi39][Hu99]...``) and the text tokenizer turns its pieces into ids, which are the layout's ids only
  because the tokenizer was built from this layout (``decode_text_ids`` checks that the two agree).
"""

import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

from transformers import LlamaConfig, Qwen2Config

from .constants import HUBERT_FRAME_RATE, HUBERT_SORT_RATE, PITCH_SORT_RATE, SAMPLING_RATE, SPEECH_MARKER
from .constants import STREAM_PREFIXES, STREAMS, STYLE_SORT_RATE, TEXT_MARKER, VARIANTS

# Codebook sizes of the released speech tokenizers (HuBERT: 500 clusters + the CTC blank index 500).
_DEFAULT_UNITS = {"base": (501, 0, 0), "expressive": (501, 64, 100)}
# The released checkpoints round the embedding matrix up: 32503 -> 32512 (64), 32667 -> 32768 (256).
_DEFAULT_PAD_MULTIPLE = {"base": 64, "expressive": 256}


def _pipeline_registered_locally() -> bool:
    """Whether `import modeling_spirit` registered pipeline("spirit-lm") in this process (not remote code)."""
    try:
        from transformers.pipelines import PIPELINE_REGISTRY
    except ImportError:  # pragma: no cover
        return False
    if "spirit-lm" not in PIPELINE_REGISTRY.get_supported_tasks():
        return False
    impl = PIPELINE_REGISTRY.supported_tasks["spirit-lm"]["impl"]
    return not impl.__module__.startswith("transformers_modules")


class SpiritLMLayoutMixin:
    """The Spirit LM token layout, shared by the Spirit LM configuration of every supported base architecture
    (:class:`SpiritLMConfig` for Llama, :class:`SpiritLMQwen2Config` for Qwen2): the ids of ``[Text]``,
    ``[Speech]`` and of every unit range, their validation, and the id/unit conversions. Everything downstream
    (prompts, the modality logits processor, the output path, the recipes) reads the layout through these names
    only, so it works for any base architecture. ``isinstance(config, SpiritLMLayoutMixin)`` tells a Spirit LM
    config of any architecture.
    """

    # The model_type of the text architecture this Spirit LM config extends (a plain folder of that type loads too).
    base_model_type: str = ""
    # RoPE base used when the config gives none (Spirit LM's 100000, paper App. A; None: the base class's default).
    default_rope_theta: Optional[float] = None

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs):
        """As [`PretrainedConfig.from_pretrained`]; a folder holding the Spirit LM config of another base
        architecture (e.g. ``spirit_lm_qwen2`` read through :class:`SpiritLMConfig`) loads as that class."""
        target = spirit_lm_config_class(_stored_model_type(cls, pretrained_model_name_or_path, kwargs))
        if target is not None and target is not cls:
            return target.from_pretrained(pretrained_model_name_or_path, **kwargs)
        return super().from_pretrained(pretrained_model_name_or_path, **kwargs)

    def __post_init__(self, **kwargs):
        if self.variant not in VARIANTS:
            raise ValueError(
                f"`variant` is {self.variant!r}; allowed: {VARIANTS}. Use 'expressive' for a model with pitch and "
                "style tokens, 'base' otherwise."
            )
        base_sizes = _DEFAULT_UNITS[self.variant]
        if self.num_pitch_units is None:
            self.num_pitch_units = base_sizes[1]
        if self.num_style_units is None:
            self.num_style_units = base_sizes[2]
        if self.text_marker_id is None:
            self.text_marker_id = self.text_vocab_size
        if self.speech_marker_id is None:
            self.speech_marker_id = self.text_marker_id + 1
        if self.hubert_offset is None:
            self.hubert_offset = self.speech_marker_id + 1
        if self.pitch_offset is None:
            self.pitch_offset = self.hubert_offset + self.num_hubert_units
        if self.style_offset is None:
            self.style_offset = self.pitch_offset + self.num_pitch_units
        if (self.default_rope_theta is not None and self.rope_parameters is None and "rope_theta" not in kwargs
                and "rope_scaling" not in kwargs):
            self.rope_parameters = {"rope_type": "default", "rope_theta": self.default_rope_theta}
        if self.pad_vocab_to_multiple_of is None:
            self.pad_vocab_to_multiple_of = _DEFAULT_PAD_MULTIPLE[self.variant]
        if not self.vocab_size:
            m = max(1, int(self.pad_vocab_to_multiple_of))
            self.vocab_size = -(-self.num_used_ids // m) * m
        self._validate_layout()
        # The `custom_pipelines` entry read from config.json is kept aside and always saved back (see `to_dict`), so
        # that what is saved never depends on whether this process imported the package.
        self._saved_custom_pipelines = kwargs.get("custom_pipelines")
        if kwargs.get("custom_pipelines") and _pipeline_registered_locally():
            # The installed package registered pipeline("spirit-lm"): use it, so that no trust_remote_code is needed
            # (transformers' `pipeline()` would otherwise insist on the folder's remote code).
            kwargs.pop("custom_pipelines")
        super().__post_init__(**kwargs)

    def to_dict(self):
        """As [`PretrainedConfig.to_dict`], with the `custom_pipelines` entry this config was loaded with (if any),
        also when it was set aside because the installed package serves ``pipeline("spirit-lm")``: a config saves
        the same `custom_pipelines` whether or not ``modeling_spirit`` was imported in this process."""
        output = super().to_dict()
        saved = output.pop("_saved_custom_pipelines", None)
        if saved and "custom_pipelines" not in output:
            output["custom_pipelines"] = saved
        return output

    # ------------------------------------------------------------------------------------------------------------
    # Layout
    # ------------------------------------------------------------------------------------------------------------
    def _validate_layout(self) -> None:
        if self.variant == "base" and (self.num_pitch_units or self.num_style_units):
            raise ValueError(
                f"A 'base' Spirit LM has no pitch or style tokens, but num_pitch_units={self.num_pitch_units} and "
                f"num_style_units={self.num_style_units}. Set variant='expressive' or set both to 0."
            )
        if self.variant == "expressive" and not (self.num_pitch_units and self.num_style_units):
            raise ValueError(
                "An 'expressive' Spirit LM needs pitch and style tokens; got num_pitch_units="
                f"{self.num_pitch_units}, num_style_units={self.num_style_units}."
            )
        for name in ("text_vocab_size", "num_hubert_units"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"`{name}` must be positive; got {getattr(self, name)}.")
        # Every special range must start at or after the text vocabulary and must not overlap another.
        ranges = [("[Text]", self.text_marker_id, 1), ("[Speech]", self.speech_marker_id, 1)]
        ranges += [(f"{s} units", lo, n) for s, (lo, n) in self.stream_ranges.items() if n]
        for name, lo, n in ranges:
            if lo < self.text_vocab_size:
                raise ValueError(
                    f"{name} start at id {lo}, inside the text vocabulary (0..{self.text_vocab_size - 1}). Speech "
                    "tokens must come after the text ids; leave the offsets unset to use the standard layout."
                )
        ordered = sorted(ranges, key=lambda r: r[1])
        for (n1, lo1, c1), (n2, lo2, _c2) in zip(ordered, ordered[1:]):
            if lo1 + c1 > lo2:
                raise ValueError(
                    f"Token ranges overlap: {n1} occupy ids {lo1}..{lo1 + c1 - 1} and {n2} start at {lo2}. "
                    "Fix the offsets, or leave them unset to use the standard contiguous layout."
                )
        if self.vocab_size < self.num_used_ids:
            raise ValueError(
                f"`vocab_size` is {self.vocab_size} but the {self.variant} token layout uses ids up to "
                f"{self.num_used_ids - 1} ({self.num_used_ids} ids). Increase `vocab_size` to at least "
                f"{self.num_used_ids}, or leave it unset to round the layout up to a multiple of "
                f"{self.pad_vocab_to_multiple_of}."
            )

    @property
    def stream_ranges(self) -> Dict[str, Tuple[int, int]]:
        """``{stream: (first_id, size)}`` for the hubert, pitch and style units (size 0 when absent)."""
        return {
            "hubert": (self.hubert_offset, self.num_hubert_units),
            "pitch": (self.pitch_offset, self.num_pitch_units),
            "style": (self.style_offset, self.num_style_units),
        }

    @property
    def stream_sizes(self) -> Dict[str, int]:
        """Codebook size of each unit stream present in this model."""
        return {s: n for s, (_, n) in self.stream_ranges.items() if n}

    @property
    def is_expressive(self) -> bool:
        return self.variant == "expressive"

    @property
    def num_used_ids(self) -> int:
        """One past the highest id that has a meaning (text, markers or units)."""
        ends = [self.text_vocab_size, self.text_marker_id + 1, self.speech_marker_id + 1]
        ends += [lo + n for lo, n in self.stream_ranges.values() if n]
        return max(ends)

    @property
    def padding_ids(self) -> List[int]:
        """Embedding rows with no token: ids between the used layout and ``vocab_size`` (and any gaps)."""
        used = set(range(self.text_vocab_size)) | {self.text_marker_id, self.speech_marker_id}
        for lo, n in self.stream_ranges.values():
            used.update(range(lo, lo + n))
        return [i for i in range(self.vocab_size) if i not in used]

    def speech_unit_ids(self, streams: Sequence[str] = STREAMS) -> List[int]:
        """All ids of the given unit streams present in this model."""
        out: List[int] = []
        for s in streams:
            lo, n = self.stream_ranges[s]
            out.extend(range(lo, lo + n))
        return out

    def layout_tokens(self) -> List[Tuple[int, str]]:
        """``(id, token)`` for every marker and unit token, in id order (used to build tokenizers)."""
        tokens = [(self.text_marker_id, TEXT_MARKER), (self.speech_marker_id, SPEECH_MARKER)]
        for s, (lo, n) in self.stream_ranges.items():
            tokens.extend((lo + u, f"[{STREAM_PREFIXES[s]}{u}]") for u in range(n))
        return sorted(tokens)

    # ------------------------------------------------------------------------------------------------------------
    # Unit <-> id conversion (the only place in the package that knows the offsets)
    # ------------------------------------------------------------------------------------------------------------
    def _check_stream(self, stream: str) -> Tuple[int, int]:
        if stream not in self.stream_ranges:
            raise ValueError(f"Unknown unit stream {stream!r}; allowed: {STREAMS}.")
        lo, n = self.stream_ranges[stream]
        if n == 0:
            raise ValueError(
                f"This {self.variant} Spirit LM has no {stream} units; only an expressive model reads pitch and "
                "style units. Drop that stream or use an expressive checkpoint."
            )
        return lo, n

    def units_to_ids(self, stream: str, units) -> List[int]:
        """Codebook indices of one stream → LM ids (``[Hu5]`` → ``hubert_offset + 5``). Raises on out-of-range."""
        lo, n = self._check_stream(stream)
        values = units.tolist() if hasattr(units, "tolist") else list(units)
        out = []
        for u in values:
            u = int(u)
            if not 0 <= u < n:
                prefix = STREAM_PREFIXES[stream]
                raise ValueError(
                    f"{stream} unit {u} is out of range: this model has [{prefix}0]..[{prefix}{n - 1}] ({n} units)."
                )
            out.append(lo + u)
        return out

    def unit_to_id(self, stream: str, unit: int) -> int:
        return self.units_to_ids(stream, [unit])[0]

    def id_to_unit(self, token_id: int) -> Optional[Tuple[str, int]]:
        """LM id → ``(stream, unit)``, or ``None`` if the id is not a unit id."""
        token_id = int(token_id)
        for s, (lo, n) in self.stream_ranges.items():
            if lo <= token_id < lo + n:
                return s, token_id - lo
        return None

    def is_text_id(self, token_id: int) -> bool:
        return 0 <= int(token_id) < self.text_vocab_size

    def is_speech_id(self, token_id: int) -> bool:
        return self.id_to_unit(token_id) is not None

    def is_marker_id(self, token_id: int) -> bool:
        return int(token_id) in (self.text_marker_id, self.speech_marker_id)


class SpiritLMConfig(SpiritLMLayoutMixin, LlamaConfig):
    r"""
    Configuration of a Spirit LM language model: a [`LlamaConfig`] (defaults: Llama-2 7B) plus the token layout of
    the interleaved text/speech vocabulary. Defaults reproduce the released 7B layouts exactly:

    | ids | base | expressive |
    |---|---|---|
    | 0-31999 | Llama-2 text | Llama-2 text |
    | 32000 / 32001 | `[Text]` / `[Speech]` | `[Text]` / `[Speech]` |
    | 32002-32502 | `[Hu0]`..`[Hu500]` | `[Hu0]`..`[Hu500]` |
    | 32503-32566 | padding | `[Pi0]`..`[Pi63]` |
    | 32567-32666 | - | `[St0]`..`[St99]` |
    | padding rows | 32503-32511 (vocab 32512) | 32667-32767 (vocab 32768) |

    Args:
        variant (`str`, *optional*, defaults to `"base"`):
            `"base"` (text + HuBERT units) or `"expressive"` (adds pitch and style units).
        text_vocab_size (`int`, *optional*, defaults to 32000):
            Number of text (SentencePiece) ids; they occupy ids `0 .. text_vocab_size - 1`.
        text_marker_id (`int`, *optional*):
            Id of `[Text]`. Defaults to `text_vocab_size`.
        speech_marker_id (`int`, *optional*):
            Id of `[Speech]`. Defaults to `text_marker_id + 1`.
        hubert_offset (`int`, *optional*):
            Id of `[Hu0]`. Defaults to `speech_marker_id + 1`.
        num_hubert_units (`int`, *optional*, defaults to 501):
            Size of the HuBERT unit range (`[Hu0]` .. `[Hu{n-1}]`).
        pitch_offset (`int`, *optional*):
            Id of `[Pi0]`. Defaults to the id after the HuBERT range.
        num_pitch_units (`int`, *optional*):
            Size of the pitch range; 64 for expressive, 0 for base.
        style_offset (`int`, *optional*):
            Id of `[St0]`. Defaults to the id after the pitch range.
        num_style_units (`int`, *optional*):
            Size of the style range; 100 for expressive, 0 for base.
        pad_vocab_to_multiple_of (`int`, *optional*):
            When `vocab_size` is not given, the embedding rows are the used ids rounded up to this multiple
            (64 base, 256 expressive, as released). Rows past the last used id are padding rows: never generated.
        vocab_size (`int`, *optional*, defaults to 0):
            Embedding rows; 0 (the default) means the rounded layout (32512 base, 32768 expressive). Must cover every used id.
        hubert_rate (`float`, *optional*, defaults to 24.99):
            HuBERT rate used to order units in unit strings (24.99, not 25, exactly as the original).
        hubert_frame_rate (`float`, *optional*, defaults to 25.0):
            True HuBERT frame rate (Hz).
        pitch_rate (`float`, *optional*, defaults to 12.5):
            Pitch unit rate (Hz).
        style_rate (`float`, *optional*, defaults to 1.0):
            Style unit rate (Hz).
        sampling_rate (`int`, *optional*, defaults to 16000):
            Audio sampling rate of the speech tokenizer input and vocoder output.
        default_speaker (`int`, *optional*, defaults to 2):
            Vocoder speaker used when none is given (as the original).
        default_style (`int`, *optional*, defaults to 8):
            Base vocoder style id used when none is given (as the original).
        kwargs:
            Passed on to [`LlamaConfig`] (`hidden_size`, `num_hidden_layers`, `rope_parameters`, ...).
    """

    model_type = "spirit_lm"
    base_model_type = "llama"
    default_rope_theta = 100000.0  # Spirit LM's RoPE (paper App. A)

    variant: str = "base"
    text_vocab_size: int = 32000
    text_marker_id: Optional[int] = None
    speech_marker_id: Optional[int] = None
    hubert_offset: Optional[int] = None
    num_hubert_units: int = 501
    pitch_offset: Optional[int] = None
    num_pitch_units: Optional[int] = None
    style_offset: Optional[int] = None
    num_style_units: Optional[int] = None
    pad_vocab_to_multiple_of: Optional[int] = None
    vocab_size: int = 0
    max_position_embeddings: int = 4096
    rms_norm_eps: float = 1e-5
    hubert_rate: float = HUBERT_SORT_RATE
    hubert_frame_rate: float = float(HUBERT_FRAME_RATE)
    pitch_rate: float = PITCH_SORT_RATE
    style_rate: float = STYLE_SORT_RATE
    sampling_rate: int = SAMPLING_RATE
    default_speaker: int = 2
    default_style: int = 8


# The layout fields every Spirit LM config declares (dataclass fields of the config), with SpiritLMConfig's defaults.
SPIRIT_LM_LAYOUT_FIELDS = (
    "variant", "text_vocab_size", "text_marker_id", "speech_marker_id", "hubert_offset", "num_hubert_units",
    "pitch_offset", "num_pitch_units", "style_offset", "num_style_units", "pad_vocab_to_multiple_of", "vocab_size",
    "hubert_rate", "hubert_frame_rate", "pitch_rate", "style_rate", "sampling_rate", "default_speaker",
    "default_style",
)


def _spirit_config_class(name: str, base, model_type: str):
    """``class <name>(SpiritLMLayoutMixin, base)`` with the layout fields of :class:`SpiritLMConfig` (same
    defaults) and ``model_type``; the base architecture's own defaults are kept for everything else."""
    namespace = {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": (
            f"Configuration of a Spirit LM over a {base.__name__} text model: a [`{base.__name__}`] plus the Spirit LM "
            "token layout (the same arguments and defaults as [`SpiritLMConfig`]'s layout: `variant`, "
            "`text_vocab_size`, marker ids, unit offsets and sizes, `vocab_size`, unit rates, vocoder defaults). "
            "Other arguments are the base configuration's."
        ),
        "__annotations__": {f: SpiritLMConfig.__annotations__[f] for f in SPIRIT_LM_LAYOUT_FIELDS},
        "model_type": model_type,
        "base_model_type": base.model_type,
    }
    namespace.update({f: SpiritLMConfig.__dataclass_fields__[f].default for f in SPIRIT_LM_LAYOUT_FIELDS})
    return type(name, (SpiritLMLayoutMixin, base), namespace)


SpiritLMQwen2Config = _spirit_config_class("SpiritLMQwen2Config", Qwen2Config, "spirit_lm_qwen2")

# model_type -> Spirit LM config class, and base model_type -> Spirit LM config class. One line per architecture
# (with its model class in modeling_spirit_lm.SPIRIT_LM_MODEL_CLASSES).
SPIRIT_LM_CONFIG_CLASSES = {c.model_type: c for c in (SpiritLMConfig, SpiritLMQwen2Config)}
SPIRIT_LM_MODEL_TYPES = tuple(SPIRIT_LM_CONFIG_CLASSES)
SPIRIT_LM_BASE_MODEL_TYPES = {c.base_model_type: c for c in SPIRIT_LM_CONFIG_CLASSES.values()}


def spirit_lm_config_class(model_type: Optional[str]):
    """The Spirit LM config class of a Spirit LM ``model_type`` (``"spirit_lm"``, ``"spirit_lm_qwen2"``), or None."""
    return SPIRIT_LM_CONFIG_CLASSES.get(model_type) if model_type else None


def spirit_lm_config_class_for_base(base_model_type: str):
    """The Spirit LM config class that extends a text model of ``base_model_type`` (``"llama"`` → SpiritLMConfig,
    ``"qwen2"`` → SpiritLMQwen2Config); raises a ValueError naming the supported architectures otherwise."""
    if base_model_type not in SPIRIT_LM_BASE_MODEL_TYPES:
        raise ValueError(
            f"Spirit LM has no model class for a {base_model_type!r} text model; supported base architectures: "
            f"{sorted(SPIRIT_LM_BASE_MODEL_TYPES)}. Adding one is one line per class in configuration_spirit_lm.py "
            "and modeling_spirit_lm.py (see the README section 'Your own Spirit LM from any base model')."
        )
    return SPIRIT_LM_BASE_MODEL_TYPES[base_model_type]


def _stored_model_type(cls, path, kwargs) -> Optional[str]:
    """The ``model_type`` stored at ``path`` (a folder, a config.json, or a Hub repository), or None when unreadable
    (``from_pretrained`` then reports the problem as usual)."""
    try:
        if isinstance(path, (str, os.PathLike)) and os.path.exists(os.fspath(path)):
            cfg = os.fspath(path)
            if os.path.isdir(cfg):
                cfg = os.path.join(cfg, kwargs.get("subfolder") or "", "config.json")
            with open(cfg, encoding="utf-8") as f:
                data = json.load(f)
        else:
            keys = ("subfolder", "revision", "cache_dir", "token", "local_files_only")
            data = cls.get_config_dict(path, **{k: kwargs[k] for k in keys if k in kwargs})[0]
    except Exception:  # noqa: BLE001 - unreadable or not found: no dispatch
        return None
    return data.get("model_type") if isinstance(data, dict) else None


__all__ = [
    "SpiritLMConfig",
    "SpiritLMQwen2Config",
    "SpiritLMLayoutMixin",
    "SPIRIT_LM_CONFIG_CLASSES",
    "SPIRIT_LM_MODEL_TYPES",
    "SPIRIT_LM_LAYOUT_FIELDS",
    "spirit_lm_config_class",
    "spirit_lm_config_class_for_base",
]
