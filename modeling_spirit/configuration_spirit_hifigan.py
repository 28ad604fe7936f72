# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Configuration of the Spirit LM unit HiFi-GAN vocoders (base and expressive)."""

from __future__ import annotations

from transformers import PreTrainedConfig

from .constants import SAMPLING_RATE  # re-exported in __all__ (users import it from here)


class SpiritLMHifiGanConfig(PreTrainedConfig):
    r"""
    Configuration of [`SpiritLMHifiGan`], the unit HiFi-GAN vocoder with a duration predictor used by Spirit LM
    (``hifigan_spiritlm_base`` and ``hifigan_spiritlm_expressive_w2v2``). Field names follow the original
    ``config.json`` so that a converted configuration reads like the original one.

    Args:
        upsample_rates (`list[int]`, *optional*, defaults to `(5, 4, 4, 2, 2, 2)`):
            Stride of each transposed convolution; their product is the number of samples per unit frame (640).
        upsample_kernel_sizes (`list[int]`, *optional*, defaults to `(11, 8, 8, 4, 4, 4)`):
            Kernel size of each transposed convolution (padding ``(k - u) // 2``).
        upsample_initial_channel (`int`, *optional*, defaults to 512):
            Channels after ``conv_pre``; stage ``i`` has ``upsample_initial_channel // 2**(i+1)`` channels.
        resblock_kernel_sizes (`list[int]`, *optional*, defaults to `(3, 7, 11)`):
            Kernel sizes of the multi-receptive-field residual blocks averaged after every upsampling.
        resblock_dilation_sizes (`list[list[int]]`, *optional*, defaults to `((1, 3, 5),) * 3`):
            Dilations of the first convolution of each of the three residual units of every residual block.
        model_in_dim (`int`, *optional*, defaults to 384):
            Input channels of ``conv_pre``; must equal ``embedding_dim`` times the number of concatenated streams
            (units, pitch units, style units, speaker, style id).
        num_embeddings (`int`, *optional*, defaults to 501):
            Size of the HuBERT unit codebook (500 clusters + the CTC blank index 500).
        embedding_dim (`int`, *optional*, defaults to 128):
            Width of every embedding table.
        multispkr (`bool`, *optional*, defaults to `True`):
            Whether a speaker embedding is concatenated to every frame.
        num_speakers (`int`, *optional*, defaults to 200):
            Rows of the speaker embedding table.
        multistyle (`bool`, *optional*, defaults to `False`):
            Whether a style-id embedding (base vocoder: Expresso speaking style) is concatenated to every frame.
        num_styles (`int`, *optional*, defaults to 100):
            Rows of the style-id embedding table.
        num_f0_tokens (`int`, *optional*, defaults to 0):
            Size of the pitch-unit codebook (64 for the expressive vocoder); 0 means no pitch stream.
        num_style_tokens (`int`, *optional*, defaults to 0):
            Size of the style-unit codebook (100 for the expressive vocoder); 0 means no style-unit stream.
        code_hop_size (`int`, *optional*, defaults to 640):
            Samples per HuBERT unit.
        f0_hop_size (`int`, *optional*, defaults to 1280):
            Samples per pitch unit; raw pitch streams are upsampled by ``round(f0_hop_size / code_hop_size)``.
        style_hop_size (`int`, *optional*, defaults to 16000):
            Samples per style unit; raw style streams are upsampled by ``round(style_hop_size / code_hop_size)``.
        dur_predictor_params (`dict`, *optional*):
            ``{"encoder_embed_dim", "var_pred_hidden_dim", "var_pred_kernel_size", "var_pred_dropout"}`` of the
            duration predictor, or `None` for a vocoder without one.
        leaky_relu_slope (`float`, *optional*, defaults to 0.1):
            Slope of every LeakyReLU except the last one.
        final_leaky_relu_slope (`float`, *optional*, defaults to 0.01):
            Slope of the LeakyReLU before ``conv_post`` (the original uses PyTorch's default there).
        speakers (`list[str]`, *optional*, defaults to `()`):
            Speaker names (``speakers.txt``); when non-empty, ``speaker_id`` must index this list.
        styles (`list[str]`, *optional*, defaults to `()`):
            Style names (``styles.txt``); when non-empty, ``style_id`` must index this list.
        default_speaker (`int`, *optional*, defaults to 2):
            Speaker used when none is given (the original's factory default for both vocoders).
        default_style (`int`, *optional*, defaults to 8):
            Style id used when none is given (base vocoder; the original's "conv-default").
        sampling_rate (`int`, *optional*, defaults to 16000):
            Output sampling rate in Hz.
        initializer_range (`float`, *optional*, defaults to 0.01):
            Standard deviation of the random initialisation (only used when training from scratch).

    Example:

    ```python
    >>> from modeling_spirit.configuration_spirit_hifigan import SpiritLMHifiGanConfig
    >>> from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
    >>> model = SpiritLMHifiGan(SpiritLMHifiGanConfig(upsample_initial_channel=64, speakers=["a", "b", "c", "d"]))
    ```
    """

    model_type = "spirit_lm_hifigan"

    upsample_rates: list[int] | tuple[int, ...] = (5, 4, 4, 2, 2, 2)
    upsample_kernel_sizes: list[int] | tuple[int, ...] = (11, 8, 8, 4, 4, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: list[int] | tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: list | tuple = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    model_in_dim: int = 384
    num_embeddings: int = 501
    embedding_dim: int = 128
    multispkr: bool = True
    num_speakers: int = 200
    multistyle: bool = False
    num_styles: int = 100
    num_f0_tokens: int = 0
    num_style_tokens: int = 0
    code_hop_size: int = 640
    f0_hop_size: int = 1280
    style_hop_size: int = 16000
    dur_predictor_params: dict | None = None
    leaky_relu_slope: float = 0.1
    final_leaky_relu_slope: float = 0.01
    speakers: list | tuple = ()
    styles: list | tuple = ()
    default_speaker: int = 2
    default_style: int = 8
    sampling_rate: int = SAMPLING_RATE
    initializer_range: float = 0.01

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.validate_vocoder()

    def validate_vocoder(self):
        """Raise a `ValueError` for inconsistent fields (called at construction)."""
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise ValueError(
                f"`upsample_rates` ({list(self.upsample_rates)}) and `upsample_kernel_sizes` "
                f"({list(self.upsample_kernel_sizes)}) must have the same length."
            )
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes):
            raise ValueError(
                f"`resblock_kernel_sizes` ({list(self.resblock_kernel_sizes)}) and `resblock_dilation_sizes` "
                f"({[list(d) for d in self.resblock_dilation_sizes]}) must have the same length."
            )
        if self.upsample_initial_channel % (2 ** len(self.upsample_rates)) != 0:
            raise ValueError(
                f"`upsample_initial_channel` ({self.upsample_initial_channel}) must be divisible by "
                f"2**len(upsample_rates) = {2 ** len(self.upsample_rates)} so that every stage has whole channels."
            )
        expected = self.embedding_dim * self.num_streams
        if self.model_in_dim != expected:
            raise ValueError(
                f"`model_in_dim` is {self.model_in_dim} but the configured streams need embedding_dim "
                f"({self.embedding_dim}) x {self.num_streams} streams = {expected} input channels; fix "
                "`model_in_dim` or the stream flags (`num_f0_tokens`, `num_style_tokens`, `multispkr`, `multistyle`)."
            )
        if self.dur_predictor_params is not None:
            kernel = int(self.dur_predictor_params.get("var_pred_kernel_size", 3))
            if kernel != 3:
                raise ValueError(
                    f"`dur_predictor_params.var_pred_kernel_size` is {kernel}; only 3 is supported (the original "
                    "hard-codes padding 1 in the second convolution, which is only length-preserving for k=3)."
                )
            edim = self.dur_predictor_params.get("encoder_embed_dim", self.embedding_dim)
            if edim != self.embedding_dim:
                raise ValueError(
                    f"`dur_predictor_params.encoder_embed_dim` ({edim}) must equal `embedding_dim` "
                    f"({self.embedding_dim}): the predictor reads the unit embeddings."
                )

    @property
    def num_streams(self) -> int:
        """Number of embedding streams concatenated along channels before ``conv_pre``."""
        return 1 + int(self.num_f0_tokens > 0) + int(self.num_style_tokens > 0) + int(self.multispkr) + int(
            self.multistyle
        )

    @property
    def hop_length(self) -> int:
        """Output samples per unit frame (product of ``upsample_rates``; 640 for the released vocoders)."""
        out = 1
        for r in self.upsample_rates:
            out *= int(r)
        return out

    @property
    def f0_upsample_ratio(self) -> int:
        return int(round(self.f0_hop_size / self.code_hop_size))

    @property
    def style_upsample_ratio(self) -> int:
        return int(round(self.style_hop_size / self.code_hop_size))

    @property
    def has_duration_predictor(self) -> bool:
        return self.dur_predictor_params is not None


__all__ = ["SpiritLMHifiGanConfig", "SAMPLING_RATE"]
