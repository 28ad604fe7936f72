# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Finding and loading the speech components saved beside a Spirit LM: the one subfolder resolver.

A Spirit LM folder (local or a Hub repository) holds the LM at its root and its speech components in subfolders
(``constants.SPEECH_TOKENIZER_SUBFOLDER`` = ``speech_tokenizer/``, ``constants.VOCODER_SUBFOLDER`` = ``vocoder/``).

* :func:`load_component`: ``cls.from_pretrained`` of ``<root>/<subfolder>``, or ``None`` when there is none (the
  pipeline loads its companions with it).
* :func:`auto_subfolder`: the subfolder a component's ``from_pretrained`` should read when it is handed the whole
  Spirit LM folder instead of its own (used by the speech tokenizer's and the vocoder's ``from_pretrained``).
* :func:`checked_from_pretrained`: the one place every component's ``from_pretrained`` (LM, speech tokenizer,
  vocoder) goes through: it refuses a folder whose config is another model's, a checkpoint that leaves weights
  missing (which transformers would fill with random values), and names the file when a config or weight file
  cannot be read.
* :func:`check_flag`: the check of the components' on/off options (``dur_pred``, ``fast``): a bool, never a string
  such as ``"no"`` that Python would take as true.
"""

import json
import os
from typing import Optional

import numpy as np


def check_flag(value, name: str) -> bool:
    """``value`` as a `bool` when it is one (Python or numpy bool); else a `TypeError` naming ``name``.

    Strings are refused on purpose: ``dur_pred="no"`` is truthy and would silently mean ``True``.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(
        f"`{name}` must be True or False; got {value!r} ({type(value).__name__}). Pass a bool, e.g. "
        f"`{name}=False`" + (" (a string such as 'no' or 'false' would count as true)." if isinstance(value, str) else ".")
    )


class SpiritLMLoadingError(ValueError):
    """A component folder cannot be loaded as asked: another model's config, weights missing from the checkpoint, or
    an unreadable config / weight file. The message names the folder and the keys or file."""


# Weight files transformers reads, in its order of preference.
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def _describe(path, subfolder: str) -> str:
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path)
    return os.path.join(where, subfolder) if subfolder else where


def _local_weight_files(folder: str) -> list:
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, f) for f in _WEIGHT_FILES if os.path.isfile(os.path.join(folder, f))]


def checked_from_pretrained(cls, load, path, *args, model_types: Optional[tuple] = None, **kwargs):
    """``load(path, *args, **kwargs)`` (a ``PreTrainedModel.from_pretrained``), refusing silent random weights.

    Raises :class:`SpiritLMLoadingError` when

    * the folder's ``config.json`` is not valid JSON (the message names the file), or is the config of another model
      type than ``cls.config_class.model_type`` (e.g. a Spirit LM folder handed to the speech tokenizer when it has no
      ``speech_tokenizer/`` subfolder): transformers would otherwise build a model from defaults;
    * a weight file cannot be read (truncated, not a checkpoint): the message names the file;
    * the checkpoint leaves any of the model's weights missing (transformers would initialise them at random). The
      keys that are legitimately not saved are not counted: transformers already drops tied weights and
      ``_keys_to_ignore_on_load_missing`` from ``missing_keys``, and non-persistent buffers are not state-dict keys.

    ``output_loading_info=True`` is honoured (the info is returned as usual). ``model_types``: the config model
    types accepted (default: ``cls.config_class.model_type`` only).
    """
    want_info = kwargs.pop("output_loading_info", False)
    subfolder = kwargs.get("subfolder") or ""
    where = _describe(path, subfolder)
    local = isinstance(path, (str, os.PathLike)) and os.path.isdir(os.fspath(path))
    expected = getattr(getattr(cls, "config_class", None), "model_type", None)
    accepted = tuple(model_types) if model_types else (expected,)
    if kwargs.get("config") is None or isinstance(kwargs.get("config"), (str, os.PathLike)):
        config_source = kwargs.get("config") or path
        if local and not isinstance(kwargs.get("config"), (str, os.PathLike)):
            cfg_file = os.path.join(where, "config.json")
            if os.path.isfile(cfg_file):
                try:
                    with open(cfg_file, encoding="utf-8") as f:
                        found = json.load(f)
                except (ValueError, UnicodeDecodeError) as err:
                    raise SpiritLMLoadingError(
                        f"{cfg_file} is not a valid JSON config ({err}); restore it from the original folder or "
                        "re-run the conversion."
                    ) from None
                if not isinstance(found, dict):
                    raise SpiritLMLoadingError(
                        f"{cfg_file} holds a JSON {type(found).__name__}, not a config object ({{...}}); restore it "
                        "from the original folder or re-run the conversion."
                    )
                found = found.get("model_type")
            else:
                found = None
        else:
            try:
                found = cls.config_class.get_config_dict(
                    config_source, **{k: kwargs[k] for k in ("subfolder", "revision", "cache_dir", "token",
                                                             "local_files_only") if k in kwargs}
                )[0].get("model_type")
            except (OSError, ValueError):
                found = None  # not found / not a valid repository id: from_pretrained reports it as usual
        if expected and found and found not in accepted:
            raise SpiritLMLoadingError(
                f"{where} holds a {found!r} model (config.json), not a {expected!r} one, so {cls.__name__} cannot "
                f"load it. Point {cls.__name__}.from_pretrained at the folder of the component itself (in a Spirit "
                "LM folder: its speech_tokenizer/ or vocoder/ subfolder), or use the class for a "
                f"{found!r} model."
            )
    try:
        model, info = load(path, *args, output_loading_info=True, **kwargs)
    except (OSError, SpiritLMLoadingError, TypeError):
        raise
    except Exception as err:  # safetensors / torch.load / unpickling errors of a damaged weight file
        files = _local_weight_files(where) if local else []
        named = ", ".join(files) if files else f"the weight file in {where}"
        raise SpiritLMLoadingError(
            f"Cannot read the weights of {cls.__name__} from {named}: {type(err).__name__}: {err}. The file is "
            "damaged or incomplete (e.g. a cut-off download or copy); download or convert it again."
        ) from err
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        shown = ", ".join(missing[:10]) + (f", ... ({len(missing)} in all)" if len(missing) > 10 else "")
        raise SpiritLMLoadingError(
            f"{where} lacks {len(missing)} of the weights of {cls.__name__} (they would be random): {shown}. The "
            "folder is incomplete or holds another model's weights; point at a complete component folder (in a "
            "Spirit LM folder: the folder itself for the LM, speech_tokenizer/ or vocoder/ for the others), or "
            "convert it again."
        )
    return (model, info) if want_info else model


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


__all__ = ["SpiritLMLoadingError", "check_flag", "checked_from_pretrained", "folder_model_type", "auto_subfolder", "has_component", "load_component"]
