# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Hub model cards for Spirit LM folders: a Jinja template (package data) and one render function.

```python
from hub_cards import render_model_card, describe_folder

card = render_model_card(
    {"base_model": "meta-llama/Llama-2-7b-hf", "datasets": ["org/spoken-corpus"]},
    repo_id="org/spirit-lm-base-7b", variant="base", revision="main",
    **describe_folder("spirit-lm-base-7b"),       # layout table, file list, architecture line
)
card.save("spirit-lm-base-7b/README.md")
```

Machine-readable facts (licence, base model, pipeline tag, tags, datasets, evaluation results) live in the card's
YAML front-matter (``huggingface_hub.ModelCardData``), never only in prose. Converted weights keep Meta's FAIR
Noncommercial Research License (``license: other`` + ``license_name`` / ``license_link``); the code is Apache-2.0.
Weights this project trained from scratch (``trained_from_scratch=True``, e.g. the toy model of
``spirit-lm train-toy``, whose card :mod:`hub_cards.toy` renders) contain no Meta weights: ``license: apache-2.0``.
Weights that ``spirit-lm init`` started from another text model (``init_text_model``, read by :func:`describe_folder`
from ``spirit_lm_init.json``) are a derivative of it: the base model's licence (``init_text_model_license``) is the
card's licence, and the Licence section says so.

Pushing a folder with its card: :func:`hub_cards.push.push_spirit_lm`.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from huggingface_hub.utils import HFValidationError, validate_repo_id

from modeling_spirit.configuration_spirit_lm import spirit_lm_config_class
from modeling_spirit.constants import INIT_RECORD_FILE, VARIANTS

TEMPLATES = Path(__file__).resolve().parent
MODEL_CARD_TEMPLATE = TEMPLATES / "model_card.md"

LICENSE = "other"
LICENSE_NAME = "fair-noncommercial-research-license"
LICENSE_LINK = "https://github.com/facebookresearch/spiritlm/blob/main/LICENSE"
# Weights trained from scratch by this project's code (no Meta weights) are released under the code's licence.
SCRATCH_LICENSE = "apache-2.0"
# Spirit LM reads and writes text and speech in one stream: the Hub's "any-to-any" task is the closest tag;
# the single-direction tasks are in `tags` so the model is found under them too.
PIPELINE_TAG = "any-to-any"
DEFAULT_TAGS = (
    "spirit-lm",
    "speech",
    "text-to-speech",
    "automatic-speech-recognition",
    "text-generation",
    "interleaved",
    "speech-units",
    "hubert",
    "custom_code",
    # where users of audio language models search (the Hub's audio task tags and the usual names of such models)
    "audio",
    "audio-text-to-text",
    "text-to-audio",
    "audio-to-audio",
    "speech-to-speech",
    "spoken-language-model",
    "speech-language-model",
    "multimodal",
    "llama",
)
# The base model of a converted original: Spirit LM continues the pretraining of Llama 2 7B.
ORIGINAL_BASE_MODEL = "meta-llama/Llama-2-7b-hf"
REQUIRED_TEMPLATE_VARS = ("repo_id", "variant")

# Short descriptions of the files of a Spirit LM folder, for the card's "what this repository contains" list.
_FILE_ROLES = {
    "README.md": "this card",
    "config.json": "language-model configuration (`SpiritLMConfig`: Llama sizes and the token layout)",
    "generation_config.json": "default generation settings",
    "model.safetensors": "language-model weights",
    "model.safetensors.index.json": "index of the sharded language-model weights",
    "tokenizer.model": "SentencePiece text model with the speech tokens as pieces",
    "tokenizer.json": "fast tokenizer (same ids as SentencePiece)",
    "tokenizer_config.json": "tokenizer settings",
    "special_tokens_map.json": "special tokens",
    "processor_config.json": "processor settings (`AutoProcessor`: text tokenizer + audio feature extractor)",
    "preprocessor_config.json": "audio feature extractor settings (16 kHz mono)",
    "speech_tokenizer/config.json": "speech tokenizer configuration (HuBERT 25 Hz units"
    "{expressive})",
    "speech_tokenizer/model.safetensors": "speech tokenizer weights",
    "speech_tokenizer/conversion_report.json": "what the converter checked",
    "vocoder/config.json": "unit HiFi-GAN configuration (speakers, styles)",
    "vocoder/model.safetensors": "vocoder weights",
    "spirit_lm_training.json": "summary of the language model's training run (TRL recipe)",
    "training_args.json": "the Trainer's arguments of the language model's training run",
    "toy_training.json": "report of `spirit-lm train-toy`: settings, seconds and losses per stage",
    "evaluation.json": "the measured evaluation (`recipes.eval.toy.evaluate_toy`)",
    "compare_interleaving.json": "the with/without-interleaving comparison "
    "(`recipes.toy.experiment.compare_interleaving`)",
    "examples/examples.json": "example recordings and their text (few-shot prompts for the demo)",
    INIT_RECORD_FILE: "what `spirit-lm init` started from (the base text model, its licence) and its settings",
}


class CardError(ValueError):
    """Missing or invalid input for a model card."""


def _as_list(value) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _eval_results(value) -> Optional[List[EvalResult]]:
    if not value:
        return None
    out = []
    for i, r in enumerate(_as_list(value) if not isinstance(value, (EvalResult, dict)) else [value]):
        if isinstance(r, EvalResult):
            out.append(r)
        elif isinstance(r, Mapping):
            try:
                out.append(EvalResult(**r))
            except TypeError as err:
                raise CardError(
                    f"eval_results[{i}] = {dict(r)!r} is not a valid result: {err}. Give at least task_type, "
                    "dataset_type, dataset_name, metric_type, metric_value (see huggingface_hub.EvalResult)."
                ) from err
        else:
            raise CardError(f"eval_results[{i}] is a {type(r).__name__}; give an EvalResult or a dict of its fields.")
    return out


def build_card_data(
    card_data: Union[None, Mapping[str, Any], ModelCardData] = None,
    *,
    repo_id: str,
    trained_from_scratch: bool = False,
    init_text_model: Optional[str] = None,
    init_text_model_license: Optional[str] = None,
) -> ModelCardData:
    """Spirit LM defaults (licence, pipeline tag, tags, library) under the caller's facts.

    ``tags`` are merged with :data:`DEFAULT_TAGS`; ``eval_results`` may be dicts of ``EvalResult`` fields
    (``model_name`` defaults to the repository name, as the Hub's ``model-index`` needs one). The licence defaults to
    Meta's (``other`` + ``license_name`` / ``license_link``), or to ``apache-2.0`` when ``trained_from_scratch``
    (weights without any Meta weight; another licence is then an error, as the card's prose says Apache-2.0).
    ``license_name`` / ``license_link`` defaults are only added for ``license: other``. A model that ``spirit-lm
    init`` started from the text model ``init_text_model`` defaults to that model's licence
    (``init_text_model_license``); when it is unknown, to ``other`` with ``license_name: base-model-license`` and a
    link to the base model's page (a Hub id), else a CardError asks for ``card_data['license']``.
    """
    if card_data is None:
        given: Dict[str, Any] = {}
    elif isinstance(card_data, ModelCardData):
        given = card_data.to_dict()
        if card_data.eval_results:
            given["eval_results"] = card_data.eval_results
            given["model_name"] = card_data.model_name
        given.pop("model-index", None)
    elif isinstance(card_data, Mapping):
        given = dict(card_data)
    else:
        raise CardError(f"card_data is a {type(card_data).__name__}; give a dict or a huggingface_hub.ModelCardData.")
    if init_text_model and not trained_from_scratch:
        if not given.get("license"):
            given.update(_base_model_licence(init_text_model, init_text_model_license))
        if given.get("base_model") is None and _is_repo_id(init_text_model):
            given["base_model"] = init_text_model
    license_ = given.get("license") or (SCRATCH_LICENSE if trained_from_scratch else LICENSE)
    if trained_from_scratch and license_ != SCRATCH_LICENSE:
        raise CardError(
            f"card_data['license'] is {license_!r} but trained_from_scratch=True: weights this project trained from "
            f"scratch are released under {SCRATCH_LICENSE!r} (the card says so); drop the licence or "
            "trained_from_scratch."
        )
    data = {"license": license_, "library_name": "transformers", "pipeline_tag": PIPELINE_TAG}
    if license_ == LICENSE:
        data.update(license_name=LICENSE_NAME, license_link=LICENSE_LINK)
    data.update({k: v for k, v in given.items() if v is not None})
    data["tags"] = list(dict.fromkeys([*DEFAULT_TAGS, *_as_list(given.get("tags"))]))
    for key in ("license", "pipeline_tag", "library_name"):
        if not data.get(key):
            raise CardError(f"card_data[{key!r}] is empty; a Spirit LM card must state it (default {data[key]!r}).")
    if data["license"] == "other" and not (data.get("license_name") and data.get("license_link")):
        raise CardError("license 'other' needs license_name and license_link (the FAIR Noncommercial Research License).")
    data["eval_results"] = _eval_results(data.get("eval_results"))
    if data["eval_results"] and not data.get("model_name"):
        data["model_name"] = repo_id.split("/")[-1]
    if data.get("base_model") is not None:
        base = _as_list(data["base_model"])
        for b in base:
            _check_repo_id(b, "base_model")
        data["base_model"] = base[0] if len(base) == 1 else base
    return ModelCardData(**data)


def _base_model_licence(text_model: str, licence: Optional[str]) -> Dict[str, str]:
    """Front-matter licence fields of a model initialised from ``text_model`` (its licence applies)."""
    if licence and licence != "other":
        return {"license": licence}
    if not _is_repo_id(text_model):
        raise CardError(
            f"The weights were initialised from {text_model!r} (spirit_lm_init.json), whose licence is not recorded "
            "(its README.md states none) and which is no Hub repository to link to: give card_data={'license': ...} "
            "(the base model's licence, which applies to these weights)."
        )
    return {"license": "other", "license_name": "base-model-license",
            "license_link": f"https://huggingface.co/{text_model}"}


def _is_repo_id(value) -> bool:
    try:
        _check_repo_id(value, "repo id")
    except CardError:
        return False
    return True


def _check_repo_id(value, name: str) -> None:
    try:
        validate_repo_id(value)
    except HFValidationError as err:
        raise CardError(f"{name} = {value!r} is not a Hub repository id ('org/name'): {err}") from err
    if not isinstance(value, str) or value.count("/") != 1:
        raise CardError(f"{name} = {value!r} is not a Hub repository id of the form 'org/name'.")


def describe_folder(folder: Union[str, Path]) -> Dict[str, Any]:
    """Template variables describing a Spirit LM folder: ``variant``, ``architecture``, ``layout`` (token ranges),
    ``files`` (path, role) and ``random_weights`` (the tiny random default). Reads ``config.json`` only."""
    folder = Path(folder)
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise CardError(f"{folder} has no config.json: not a model folder.")
    cfg = json.loads(cfg_path.read_text())
    variant = cfg.get("variant", "base")
    text = int(cfg.get("text_vocab_size", 32000))
    hubert, pitch, style = (int(cfg.get(k, 0)) for k in ("num_hubert_units", "num_pitch_units", "num_style_units"))
    layout: List[Tuple[str, str]] = [
        ("text pieces", f"0–{text - 1}"),
        ("`[Text]`", str(cfg.get("text_marker_id", text))),
        ("`[Speech]`", str(cfg.get("speech_marker_id", text + 1))),
    ]
    for name, n, offset in (("Hu", hubert, "hubert_offset"), ("Pi", pitch, "pitch_offset"), ("St", style, "style_offset")):
        if n:
            start = int(cfg.get(offset, 0))
            layout.append((f"`[{name}0]`…`[{name}{n - 1}]`", f"{start}–{start + n - 1}"))
    if "vocab_size" in cfg:
        layout.append(("embedding rows (padding included)", str(cfg["vocab_size"])))
    config_class = spirit_lm_config_class(cfg.get("model_type"))
    base_name = {"llama": "Llama", "qwen2": "Qwen2"}.get(getattr(config_class, "base_model_type", "llama"), "Llama")
    arch = (
        f"{base_name} decoder, {cfg.get('num_hidden_layers')} layers, hidden size {cfg.get('hidden_size')}, "
        f"{cfg.get('num_attention_heads')} attention heads ({cfg.get('num_key_value_heads')} key/value), "
        f"{cfg.get('vocab_size')}-row vocabulary"
    )
    expressive = " + pitch (F0 VQ-VAE) and style units" if variant == "expressive" else ""
    files = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts):
            continue
        if rel in ("tiny_build.json",):
            continue
        role = _FILE_ROLES.get(rel, "")
        if rel == "config.json" and base_name != "Llama":
            role = f"language-model configuration (`{config_class.__name__}`: {base_name} sizes and the token layout)"
        elif rel == "tokenizer.json" and not (folder / "tokenizer.model").is_file():
            role = "the base model's fast BPE tokenizer with the speech tokens added at their ids"
        if not role and rel.endswith(".safetensors"):
            role = "weights shard"
        elif not role and rel.endswith(".py"):
            role = "remote code (Apache-2.0)"
        elif not role and rel.startswith("examples/") and rel.endswith((".flac", ".wav")):
            role = "example recording"
        files.append((rel, role.format(expressive=expressive)))
    if ("README.md", _FILE_ROLES["README.md"]) not in files:
        files.insert(0, ("README.md", _FILE_ROLES["README.md"]))
    init = {}
    if (folder / INIT_RECORD_FILE).is_file():
        record = json.loads((folder / INIT_RECORD_FILE).read_text())
        init = {"init_text_model": record.get("text_model"),
                "init_text_model_license": record.get("base_model_license")}
    return {
        **init,
        "variant": variant,
        "architecture": arch,
        "layout": layout,
        "files": files,
        "random_weights": (folder / "tiny_build.json").is_file(),
    }


def render_model_card(
    card_data: Union[None, Mapping[str, Any], ModelCardData] = None,
    *,
    template_path: Union[str, Path, None] = None,
    **template_vars: Any,
) -> ModelCard:
    """Render the Spirit LM model card.

    Args:
        card_data (`dict` or `huggingface_hub.ModelCardData`, *optional*): the front-matter facts. Defaults are
            filled in: ``license: other`` with ``license_name: fair-noncommercial-research-license`` and
            ``license_link`` (Meta's licence for the weights), ``library_name: transformers``,
            ``pipeline_tag: any-to-any``, and the Spirit LM ``tags`` (merged with yours). Give ``base_model`` (the
            original's base ``meta-llama/Llama-2-7b-hf`` for a conversion, the parent repository for a fine-tune),
            ``datasets``, and ``eval_results`` (``EvalResult`` objects or dicts of their fields, written as the
            ``model-index``) where they apply.
        template_path (`str`, *optional*): another Jinja template (default: ``hub_cards/model_card.md``).
        **template_vars: ``repo_id`` (required: the ``org/name`` the usage snippet loads), ``variant`` (required:
            ``"base"`` or ``"expressive"``), ``revision`` (the revision the snippet pins; default ``"main"``),
            ``title``, ``description``, ``training_hyperparameters`` (a dict, shown as a table), and the folder
            facts from :func:`describe_folder` (``layout``, ``files``, ``architecture``, ``random_weights``).
            ``trained_from_scratch`` (`bool`): the weights were trained from scratch by this project (no Meta
            weights): the Licence section says Apache-2.0 (and that converted weights keep Meta's licence) and the
            front-matter licence defaults to ``apache-2.0``. ``training_summary`` (markdown, at the top of the
            Training section); ``sections`` (``(heading, markdown)`` pairs, each a ``##`` section before the
            citation); ``results`` (the rows of the Results table; default the ``eval_results``, ``[]`` leaves the
            table out, e.g. when a section shows the numbers). ``text_prompt`` / ``speech_prompt`` (the usage
            snippet's prompts; defaults ``"The capital of France is"`` / ``"Once upon a time"``) and ``usage_note``
            (markdown at the end of the Usage section).

    Returns:
        `huggingface_hub.ModelCard`; ``card.data`` holds the parsed front-matter, ``str(card)`` the README.md text.

    Raises:
        CardError: a required input is missing or invalid (the message names it).
    """
    missing = [k for k in REQUIRED_TEMPLATE_VARS if not template_vars.get(k)]
    if missing:
        raise CardError(
            f"render_model_card is missing {', '.join(missing)}: give repo_id='org/name' (where the card is pushed) "
            "and variant='base' or 'expressive' (or pass **describe_folder(folder))."
        )
    repo_id = template_vars["repo_id"]
    _check_repo_id(repo_id, "repo_id")
    if template_vars["variant"] not in VARIANTS:
        raise CardError(f"variant is {template_vars['variant']!r}; allowed: {', '.join(VARIANTS)}.")
    hyper = template_vars.get("training_hyperparameters")
    if hyper is not None and not isinstance(hyper, Mapping):
        raise CardError(f"training_hyperparameters is a {type(hyper).__name__}; give a dict of name -> value.")
    sections = template_vars.get("sections")
    if sections is not None and (
        isinstance(sections, (str, Mapping))
        or not all(isinstance(s, (tuple, list)) and len(s) == 2 and all(isinstance(x, str) for x in s)
                   for s in sections)
    ):
        raise CardError("sections must be a list of (heading, markdown) string pairs.")
    scratch = bool(template_vars.get("trained_from_scratch"))
    data = build_card_data(card_data, repo_id=repo_id, trained_from_scratch=scratch,
                           init_text_model=template_vars.get("init_text_model"),
                           init_text_model_license=template_vars.get("init_text_model_license"))
    name = repo_id.split("/")[-1]
    variables = {
        "revision": "main",
        "title": name,
        "description": f"Spirit LM ({template_vars['variant']}) for transformers: `{repo_id}`.",
        "results": data.eval_results or [],
        **template_vars,
        "base_model": _as_list(data.base_model),
        "datasets": _as_list(data.datasets),
        "license_link": data.license_link or LICENSE_LINK,
    }
    path = Path(template_path) if template_path is not None else MODEL_CARD_TEMPLATE
    if not path.is_file():
        raise CardError(f"Card template {path} does not exist.")
    return ModelCard.from_template(data, template_path=str(path), **variables)


__all__ = [
    "CardError",
    "DEFAULT_TAGS",
    "LICENSE_LINK",
    "LICENSE_NAME",
    "ORIGINAL_BASE_MODEL",
    "PIPELINE_TAG",
    "SCRATCH_LICENSE",
    "build_card_data",
    "describe_folder",
    "render_model_card",
]
