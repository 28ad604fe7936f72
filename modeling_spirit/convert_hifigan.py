# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Convert the original Spirit LM unit HiFi-GAN checkpoints into a `SpiritLMHifiGan` folder (safetensors).

Input layout (under the original ``SPIRITLM_CHECKPOINTS_DIR``)::

    speech_tokenizer/hifigan_spiritlm_base/{config.json, generator.pt, speakers.txt, styles.txt}
    speech_tokenizer/hifigan_spiritlm_expressive_w2v2/{config.json, generator.pt, speakers.txt}

``generator.pt`` is ``{"generator": state_dict}`` with weight-normed convolutions (``weight_g``/``weight_v``). The
weight norm is folded here exactly as the original folds it when it removes weight norm: ``torch._weight_norm(v, g,
0)``. Every checkpoint key must be consumed and every model parameter filled; anything else raises, naming the keys.
Unreadable files (a truncated ``generator.pt``, a bad ``config.json``, undecodable name lists) are
:class:`~.convert_common.ConversionError` naming the file; NaN/inf weights are refused unless ``allow_nonfinite``.

Usage::

    python -m modeling_spirit.convert_hifigan CHECKPOINTS_DIR {base,expressive} OUTPUT_DIR
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import torch

from .configuration_spirit_hifigan import SpiritLMHifiGanConfig
from .constants import VOCODER_SUBFOLDER
from .convert_common import ConversionError, check_finite, load_torch_file, read_json_file
from .modeling_spirit_hifigan import SpiritLMHifiGan

VARIANT_DIRS = {
    "base": "hifigan_spiritlm_base",
    "expressive": "hifigan_spiritlm_expressive_w2v2",
}

# Original module prefix -> our module prefix (weight-normed modules are marked).
_RENAMES: List[Tuple[str, str]] = [
    (r"^dict\.", "unit_embedding."),
    (r"^f0_dict\.", "pitch_embedding."),
    (r"^style_dict\.", "style_unit_embedding."),
    (r"^spkr\.", "speaker_embedding."),
    (r"^style\.", "style_embedding."),
    (r"^dur_predictor\.conv1\.0\.", "duration_predictor.conv1."),
    (r"^dur_predictor\.conv2\.0\.", "duration_predictor.conv2."),
    (r"^dur_predictor\.ln1\.", "duration_predictor.norm1."),
    (r"^dur_predictor\.ln2\.", "duration_predictor.norm2."),
    (r"^dur_predictor\.proj\.", "duration_predictor.proj."),
    (r"^conv_pre\.", "conv_pre."),
    (r"^ups\.(\d+)\.", r"upsampler.\1."),
    (r"^resblocks\.(\d+)\.convs([12])\.(\d+)\.", r"resblocks.\1.convs\2.\3."),
    (r"^conv_post\.", "conv_post."),
]

# Original config.json fields used by Spirit LM, copied verbatim.
_CONFIG_FIELDS = (
    "upsample_rates",
    "upsample_kernel_sizes",
    "upsample_initial_channel",
    "resblock_kernel_sizes",
    "resblock_dilation_sizes",
    "model_in_dim",
    "num_embeddings",
    "embedding_dim",
    "num_speakers",
    "num_styles",
    "num_f0_tokens",
    "num_style_tokens",
    "code_hop_size",
    "f0_hop_size",
    "style_hop_size",
    "dur_predictor_params",
)


def _rename(key: str) -> Optional[str]:
    for pattern, repl in _RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    return None


def _read_names(path: Path) -> List[str]:
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConversionError(f"{path} is not UTF-8 text ({err}); it should list one name per line.") from err
    return [line.strip() for line in text.splitlines() if line.strip()]


def hifigan_config_from_original(
    original: Dict, speakers: Optional[List[str]] = None, styles: Optional[List[str]] = None
) -> SpiritLMHifiGanConfig:
    """Map an original vocoder ``config.json`` dict (+ speaker/style names) onto [`SpiritLMHifiGanConfig`].

    Raises a `ValueError` for features of the original code that Spirit LM's vocoders do not use and this port does
    not implement (``embedder_params``, continuous ``f0``, ``f0_quant_num_bin > 0``).
    """
    unsupported = []
    if original.get("embedder_params"):
        unsupported.append("embedder_params (external speaker embedder)")
    if original.get("f0"):
        unsupported.append("f0 (continuous F0 input)")
    if (original.get("f0_quant_num_bin") or 0) > 0:
        unsupported.append("f0_quant_num_bin > 0 (quantised continuous F0)")
    if unsupported:
        raise ConversionError(
            "The vocoder config uses options that Spirit LM's vocoders do not use and this port does not implement: "
            + ", ".join(unsupported)
            + "."
        )
    kwargs = {k: original[k] for k in _CONFIG_FIELDS if k in original and original[k] is not None}
    kwargs.setdefault("model_in_dim", 80)  # the original's default
    for k in ("num_f0_tokens", "num_style_tokens"):
        kwargs[k] = int(kwargs.get(k) or 0)
    kwargs["multispkr"] = bool(original.get("multispkr"))
    kwargs["multistyle"] = bool(original.get("multistyle"))
    if "resblock_dilation_sizes" in kwargs:
        kwargs["resblock_dilation_sizes"] = [list(d) for d in kwargs["resblock_dilation_sizes"]]
    if kwargs.get("dur_predictor_params") is not None:
        kwargs["dur_predictor_params"] = dict(kwargs["dur_predictor_params"])
    if "sampling_rate" in original:
        kwargs["sampling_rate"] = int(original["sampling_rate"])
    speakers = list(speakers or [])
    styles = list(styles or [])
    if speakers and kwargs["multispkr"] and len(speakers) > int(kwargs.get("num_speakers", 200)):
        raise ValueError(
            f"speakers.txt lists {len(speakers)} speakers but the speaker table has {kwargs.get('num_speakers', 200)} "
            "rows; the files do not belong together."
        )
    if styles and kwargs["multistyle"] and len(styles) > int(kwargs.get("num_styles", 100)):
        raise ValueError(
            f"styles.txt lists {len(styles)} styles but the style table has {kwargs.get('num_styles', 100)} rows; the "
            "files do not belong together."
        )
    kwargs["speakers"] = speakers
    kwargs["styles"] = styles
    kwargs["default_speaker"] = 2
    kwargs["default_style"] = 8 if kwargs["multistyle"] else 0
    if speakers and kwargs["default_speaker"] >= len(speakers):
        kwargs["default_speaker"] = 0
    if styles and kwargs["default_style"] >= len(styles):
        kwargs["default_style"] = 0
    return SpiritLMHifiGanConfig(**kwargs)


def convert_generator_state_dict(original_sd: Dict[str, torch.Tensor], model: SpiritLMHifiGan) -> Dict[str, torch.Tensor]:
    """Rename keys and fold weight norm; fail loudly on unused checkpoint keys or unfilled parameters."""
    grouped: Dict[str, Dict[str, torch.Tensor]] = {}
    unknown = []
    for key, value in original_sd.items():
        if not isinstance(key, str) or not torch.is_tensor(value):
            raise ConversionError(f"generator.pt: {key!r} holds a {type(value).__name__}, not a tensor.")
        if not value.is_floating_point():
            raise ConversionError(f"generator.pt: {key!r} holds {value.dtype} values; the vocoder's weights are not "
                                  "floating point. Re-download it.")
        new = _rename(key)
        if new is None:
            unknown.append(key)
            continue
        module, _, leaf = new.rpartition(".")
        grouped.setdefault(module, {})[leaf] = (key, value)
    if unknown:
        raise ConversionError(f"Unexpected keys in generator.pt that this converter does not know: {sorted(unknown)}.")
    out: Dict[str, torch.Tensor] = {}
    leftover = []
    for module, leaves in grouped.items():
        if "weight_g" in leaves or "weight_v" in leaves:
            if not ("weight_g" in leaves and "weight_v" in leaves):
                raise ConversionError(
                    f"Weight-normed module {module!r} needs both weight_g and weight_v; got {sorted(leaves)}."
                )
            if "weight" in leaves:
                raise ConversionError(f"Module {module!r} has both a folded weight and weight_g/weight_v keys.")
            g, v = leaves.pop("weight_g")[1], leaves.pop("weight_v")[1]
            # torch._weight_norm broadcasts a mis-shaped g silently (a (7, 1, 1) g with an (8, 4, 7) v folds without error)
            # and, in the fuzz, once aborted the whole process: check the shape here.
            norm_shape = (v.shape[0],) + (1,) * (v.dim() - 1) if v.dim() else None
            if norm_shape is None or tuple(g.shape) != norm_shape:
                raise ConversionError(
                    f"generator.pt: {module}.weight_g has shape {tuple(g.shape)} but {module}.weight_v has shape "
                    f"{tuple(v.shape)}; weight_g must have shape {norm_shape} (one norm per output channel)."
                )
            out[f"{module}.weight"] = torch._weight_norm(v.float(), g.float(), 0).contiguous()
        for leaf, (orig_key, value) in leaves.items():
            if leaf not in ("weight", "bias"):
                leftover.append(orig_key)
                continue
            out[f"{module}.{leaf}"] = value.float().contiguous()
    if leftover:
        raise ConversionError(f"Keys in generator.pt that map to no parameter: {sorted(leftover)}.")
    expected = model.state_dict()
    missing = sorted(set(expected) - set(out))
    extra = sorted(set(out) - set(expected))
    if missing or extra:
        raise ConversionError(
            "generator.pt does not match the vocoder built from config.json: "
            f"parameters not filled: {missing}; checkpoint tensors with no parameter: {extra}."
        )
    bad = [f"{k}: checkpoint {tuple(out[k].shape)} vs model {tuple(expected[k].shape)}" for k in out
           if out[k].shape != expected[k].shape]
    if bad:
        raise ConversionError("Shape mismatch between generator.pt and config.json: " + "; ".join(bad))
    return out


def load_original_hifigan(vocoder_dir: Union[str, Path], allow_nonfinite: bool = False) -> SpiritLMHifiGan:
    """Build a [`SpiritLMHifiGan`] from an original vocoder folder (``config.json``, ``generator.pt``, names)."""
    vocoder_dir = Path(vocoder_dir)
    for name in ("config.json", "generator.pt"):
        if not (vocoder_dir / name).is_file():
            raise FileNotFoundError(f"{vocoder_dir / name} not found; expected the original vocoder folder layout.")
    original = read_json_file(vocoder_dir / "config.json", "the vocoder's HiFi-GAN config")
    speakers = _read_names(vocoder_dir / "speakers.txt") if original.get("multispkr") else []
    styles = _read_names(vocoder_dir / "styles.txt") if original.get("multistyle") else []
    try:
        config = hifigan_config_from_original(original, speakers, styles)
        model = SpiritLMHifiGan(config)
    except (TypeError, ValueError, KeyError) as err:
        if isinstance(err, ConversionError):
            raise ConversionError(f"{vocoder_dir / 'config.json'}: {err}") from err
        raise ConversionError(f"{vocoder_dir / 'config.json'} does not describe a vocoder this port supports: "
                              f"{type(err).__name__}: {err}") from err
    ckpt = load_torch_file(vocoder_dir / "generator.pt")
    if not isinstance(ckpt, dict) or "generator" not in ckpt or not isinstance(ckpt["generator"], dict):
        keys = sorted(map(str, ckpt)) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ConversionError(f"{vocoder_dir / 'generator.pt'} must be a dict with a 'generator' state dict; got {keys}.")
    try:
        state = convert_generator_state_dict(ckpt["generator"], model)
    except ConversionError as err:
        raise ConversionError(f"{vocoder_dir / 'generator.pt'}: {err}") from err
    check_finite(state, vocoder_dir / "generator.pt", allow_nonfinite)
    model.load_state_dict(state, strict=True)
    return model.eval()


def convert_hifigan(
    checkpoints_dir: Union[str, Path], variant: str, output_dir: Union[str, Path], allow_nonfinite: bool = False
) -> Path:
    """Convert one original vocoder into ``output_dir / "vocoder"`` (config.json + model.safetensors + code).

    Args:
        checkpoints_dir (`str` or `Path`): the original ``SPIRITLM_CHECKPOINTS_DIR`` (holding ``speech_tokenizer/``).
        variant (`str`): ``"base"`` or ``"expressive"``.
        output_dir (`str` or `Path`): destination; the vocoder is written to its ``vocoder/`` subfolder.
        allow_nonfinite (`bool`): convert NaN/inf weights with a warning instead of refusing them.

    Returns:
        `Path` of the written ``vocoder`` folder.
    """
    if variant not in VARIANT_DIRS:
        raise ValueError(f"Unknown vocoder variant {variant!r}; allowed: {sorted(VARIANT_DIRS)}.")
    src = Path(checkpoints_dir) / "speech_tokenizer" / VARIANT_DIRS[variant]
    model = load_original_hifigan(src, allow_nonfinite=allow_nonfinite)
    dest = Path(output_dir) / VOCODER_SUBFOLDER
    dest.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dest, safe_serialization=True)
    return dest


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints_dir")
    parser.add_argument("variant", choices=sorted(VARIANT_DIRS))
    parser.add_argument("output_dir")
    args = parser.parse_args(argv)
    print(convert_hifigan(args.checkpoints_dir, args.variant, args.output_dir))


if __name__ == "__main__":
    main()


__all__ = ["convert_hifigan", "load_original_hifigan", "hifigan_config_from_original", "convert_generator_state_dict"]
