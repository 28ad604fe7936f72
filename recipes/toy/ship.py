# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Shipping a trained toy Spirit LM: its model card (computed here, rendered by :mod:`hub_cards.toy` from plain data)
and its installation as the embedded default (:func:`ship_default` -> ``recipes/toy_model/``).

```python
from recipes.toy.ship import write_toy_card, ship_default
write_toy_card("out/toy-spirit-lm", repo_id="my-org/spirit-lm-toy",
               comparison="out/toy-compare/compare_interleaving.json")    # optional -> out/toy-spirit-lm/README.md
ship_default("out/toy-spirit-lm")                                         # -> recipes/toy_model/
```

To push the folder with this card: ``push_spirit_lm(folder, repo_id, card_data=data, card_vars=variables)`` with
``data, variables = toy_card_inputs(folder)``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file, save_file

from hub_cards import describe_folder, render_model_card
from hub_cards.toy import DEFAULT_REPO_ID, load_toy_reports, stage_setting_differences, toy_card_inputs_from_reports
from modeling_spirit.constants import SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER
from recipes.eval.toy import format_toy_table

from . import TOY_MODEL
from .arguments import ToyTrainingArguments, apply_preset
from .experiment import format_comparison
from .stages import stage_settings

Comparison = Union[None, str, Path, Mapping[str, Any]]


# ----------------------------------------------------------------------------------------------------------------
# The model card
# ----------------------------------------------------------------------------------------------------------------
def model_stage_settings(report: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """Each stage's settings of the run behind ``report`` (``toy_training.json``): as recorded (``stage_settings``)
    or, for reports written before they were, recomputed from its ``settings``; ``None`` when neither works."""
    if isinstance(report.get("stage_settings"), Mapping):
        return dict(report["stage_settings"])
    try:
        names = {f.name for f in dataclasses.fields(ToyTrainingArguments)}
        args = ToyTrainingArguments(**{k: v for k, v in (report.get("settings") or {}).items() if k in names})
        return json.loads(json.dumps(stage_settings(args)))
    except (TypeError, ValueError):
        return None


def comparison_base_differences(comparison: Mapping[str, Any], report: Mapping[str, Any]) -> List[str]:
    """Where the comparison's shared stages (corpus, speech tokenizer, units, vocoder) were trained with other
    settings than the model's: one ``"stage `key`: theirs there, ours here"`` line per differing setting (the corpus
    folder's path is not compared). Empty when they agree or either side does not say."""
    return stage_setting_differences(comparison.get("base_stage_settings"), model_stage_settings(report))


def preset_defaults(preset: str) -> Dict[str, Any]:
    """Every setting of ``preset`` (``{}`` for an unknown preset: an older report)."""
    try:
        return dataclasses.asdict(apply_preset(ToyTrainingArguments(preset=preset)))
    except (TypeError, ValueError):
        return {}


def toy_card_inputs(folder: Union[str, Path], comparison: Comparison = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``(card_data, card_vars)`` of a folder trained by ``spirit-lm train-toy`` (see
    :func:`hub_cards.toy.toy_card_inputs_from_reports`); the folder facts, ``repo_id`` and ``revision`` are not
    included.

    Raises:
        CardError: a file is missing or invalid (the message names it and the command that makes it).
    """
    reports = load_toy_reports(folder, comparison)
    report, compared = reports["report"], reports["comparison"]
    settings = report.get("settings") or {}
    return toy_card_inputs_from_reports(
        folder, reports,
        evaluation_table=format_toy_table(reports["evaluation"]),
        comparison_table=format_comparison(compared) if compared is not None else None,
        comparison_differences=comparison_base_differences(compared, report) if compared is not None else (),
        setting_defaults=preset_defaults(settings.get("preset") or "default"),
    )


def render_toy_card(
    folder: Union[str, Path], repo_id: str = DEFAULT_REPO_ID, comparison: Comparison = None, revision: str = "main"
) -> ModelCard:
    """The model card of a folder trained by ``spirit-lm train-toy``.

    Args:
        folder: the run's ``output_dir`` (``config.json``, ``toy_training.json``, ``evaluation.json``...).
        repo_id: the ``org/name`` the card's usage snippet loads.
        comparison: the with/without-interleaving comparison: a ``compare_interleaving.json`` path, the folder
            holding it, or its dict; ``None``: the ``compare_interleaving.json`` inside ``folder`` if there is one,
            else the section is left out.
        revision: the revision the usage snippet pins.

    Returns:
        `huggingface_hub.ModelCard` (``str(card)`` is the README.md text, ``card.data`` the front-matter).

    Raises:
        CardError: a file is missing or invalid (the message names it and the command that makes it).
    """
    card_data, card_vars = toy_card_inputs(folder, comparison)
    return render_model_card(card_data, repo_id=repo_id, revision=revision,
                             **{**describe_folder(folder), **card_vars})


def write_toy_card(
    folder: Union[str, Path], repo_id: str = DEFAULT_REPO_ID, comparison: Comparison = None, revision: str = "main"
) -> Path:
    """Render :func:`render_toy_card` and write it to ``folder/README.md``; returns that path."""
    card = render_toy_card(folder, repo_id=repo_id, comparison=comparison, revision=revision)
    path = Path(folder) / "README.md"
    path.write_text(str(card), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------------------------
# The embedded default
# ----------------------------------------------------------------------------------------------------------------
SHIP_EXCLUDE = ("training_args.json", "*.py", "__pycache__")


def ship_default(src: str, dest: Optional[str] = None, half_precision_lm: bool = True) -> Dict[str, Any]:
    """Copy a trained toy folder to the embedded default (``recipes/toy_model/``, :data:`recipes.toy.TOY_MODEL`).

    The language model's weights are stored in float16 and its ``config.json`` says ``dtype: float16``, so config and
    weights agree (``from_pretrained`` loads float16 and a re-save keeps the size; every weight is the trained one
    rounded to float16), which keeps the committed files near 20 MB; the speech tokenizer and vocoder are copied as
    trained (float32, as their configs say). The remote code (``*.py``, three copies in a Hub folder) is left out: the
    installed ``modeling_spirit`` package serves it, and ``spirit-lm push`` makes a temporary Hub-ready copy
    (``modeling_spirit.hub_folder.make_hub_ready``) before uploading.
    Returns ``{"dest", "bytes", "files"}``.
    """
    dest = str(dest or TOY_MODEL)
    for name in ("config.json", "model.safetensors", SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER):
        if not os.path.exists(os.path.join(src, name)):
            raise ValueError(f"{src} has no {name}: not a finished `spirit-lm train-toy` output folder.")
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*SHIP_EXCLUDE))
    if half_precision_lm:
        weights = os.path.join(dest, "model.safetensors")
        tensors = load_file(weights)
        save_file({k: v.to(torch.float16) if v.is_floating_point() else v for k, v in tensors.items()}, weights,
                  metadata={"format": "pt",
                            "note": "float16 weights (the trained float32 ones rounded); config dtype is float16"})
        cfg_path = os.path.join(dest, "config.json")
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg["dtype"] = "float16"  # what the file holds: a load -> save round trip keeps the size
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2)
    files = {os.path.relpath(os.path.join(r, n), dest): os.path.getsize(os.path.join(r, n))
             for r, _, ns in os.walk(dest) for n in ns}
    return {"dest": dest, "bytes": sum(files.values()), "files": files}



@dataclass
class ShipArguments:
    """``--ship_default true``: install the trained folder as the embedded default."""

    ship_default: bool = field(default=False, metadata={"help": "Copy the result to recipes/toy_model/ (the "
                                                                  "embedded default that `make demo` runs)."})


__all__ = ["ship_default", "ShipArguments", "SHIP_EXCLUDE", "toy_card_inputs", "render_toy_card", "write_toy_card",
           "comparison_base_differences", "model_stage_settings", "preset_defaults"]
