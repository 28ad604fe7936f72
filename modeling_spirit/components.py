# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Finding and loading the speech components saved beside a Spirit LM: the one subfolder resolver.

A Spirit LM folder (local or a Hub repository) holds the LM at its root and its speech components in subfolders
(``constants.SPEECH_TOKENIZER_SUBFOLDER`` = ``speech_tokenizer/``, ``constants.VOCODER_SUBFOLDER`` = ``vocoder/``).

* :func:`load_component`: ``cls.from_pretrained`` of ``<root>/<subfolder>``, or ``None`` when there is none (the
  pipeline loads its companions with it).
* :func:`auto_subfolder`: the subfolder a component's ``from_pretrained`` should read when it is handed the whole
  Spirit LM folder instead of its own (used by the speech tokenizer's and the vocoder's ``from_pretrained``).
"""

import json
import os
from typing import Optional


def folder_model_type(path: str) -> Optional[str]:
    """The ``model_type`` of ``<path>/config.json``, or ``None`` when there is no readable config."""
    cfg = os.path.join(path, "config.json")
    if not os.path.isfile(cfg):
        return None
    with open(cfg, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except ValueError:
            return None
    return data.get("model_type") if isinstance(data, dict) else None


def auto_subfolder(path, subfolder: str, model_type: str) -> Optional[str]:
    """``subfolder`` when ``path`` is a local folder that is not itself a ``model_type`` folder (no ``config.json``,
    or the config of another model such as the Spirit LM) but has ``<subfolder>/config.json``; else ``None``."""
    if not isinstance(path, (str, os.PathLike)):
        return None
    path = os.fspath(path)
    if not os.path.isdir(path) or folder_model_type(path) == model_type:
        return None
    return subfolder if os.path.isfile(os.path.join(path, subfolder, "config.json")) else None


def has_component(root, subfolder: str, *, revision: Optional[str] = None) -> Optional[bool]:
    """Whether ``root`` (a local folder or a Hub repository id) has ``<subfolder>/config.json``; ``None`` when it
    cannot be told (offline, network error): then loading from the cache is worth a try."""
    root = os.fspath(root)
    if os.path.isdir(root):
        return os.path.isfile(os.path.join(root, subfolder, "config.json"))
    try:
        from huggingface_hub import file_exists
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
    except ImportError:  # pragma: no cover - huggingface_hub is a transformers dependency
        return None
    try:
        return bool(file_exists(root, f"{subfolder}/config.json", revision=revision))
    except (OfflineModeIsEnabled, HfHubHTTPError, OSError, ValueError):
        return None


def load_component(cls, root, subfolder: str, *, revision: Optional[str] = None, allow_root: bool = False,
                   **kwargs):
    """``cls.from_pretrained`` of the component in ``<root>/<subfolder>`` (in eval mode), or ``None`` when ``root``
    (a local folder or a Hub repository id) has no such component.

    Args:
        cls: the component class (e.g. ``SpiritLMSpeechTokenizer``, ``SpiritLMHifiGan``).
        root (`str` or `os.PathLike`): the Spirit LM folder or repository.
        subfolder (`str`): ``constants.SPEECH_TOKENIZER_SUBFOLDER`` or ``constants.VOCODER_SUBFOLDER``.
        revision (`str`, *optional*): the Hub revision (branch, tag or commit).
        allow_root (`bool`, defaults to `False`): also accept ``root`` when it is the component's own folder or
            repository (a speech tokenizer or vocoder saved on its own), as the command line does.
        kwargs: passed on to ``from_pretrained``.
    """
    root = os.fspath(root)
    if revision is not None:
        kwargs["revision"] = revision
    model_type = getattr(getattr(cls, "config_class", None), "model_type", None)
    if allow_root and os.path.isdir(root) and model_type and folder_model_type(root) == model_type:
        return cls.from_pretrained(root, **kwargs).eval()
    present = has_component(root, subfolder, revision=revision)
    if present is False and not (allow_root and not os.path.isdir(root)):
        return None
    if os.path.isdir(root):
        return cls.from_pretrained(os.path.join(root, subfolder), **kwargs).eval()
    if present is not False:
        try:
            return cls.from_pretrained(root, subfolder=subfolder, **kwargs).eval()
        except OSError:
            if not allow_root:
                return None
    try:
        return cls.from_pretrained(root, **kwargs).eval()  # allow_root: the repository is the component itself
    except OSError:
        return None


__all__ = ["folder_model_type", "auto_subfolder", "has_component", "load_component"]
