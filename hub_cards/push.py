# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Push a Spirit LM folder to the Hub with its rendered model card, in one commit.

```python
from hub_cards.push import push_spirit_lm

info = push_spirit_lm("spirit-lm-base-7b", "my-org/spirit-lm-base-7b",
                      card_data={"base_model": "meta-llama/Llama-2-7b-hf"})
print(info.oid)          # the commit; pin it: pipeline("spirit-lm", model=..., revision=info.oid, ...)
```

What is refused, before anything is sent: a folder that is not a Spirit LM folder (``config.json`` with
``model_type: spirit_lm``), a folder without safetensors weights, and a folder holding pickles (``.bin``, ``.pt``,
``.pkl``, ``.pth``, ``.ckpt``, ``.pickle``): those run code when loaded; convert them to safetensors first.
"""

import json
import logging
from pathlib import Path
from typing import Any, List, Mapping, Optional, Union

from huggingface_hub import CommitInfo, CommitOperationAdd, HfApi, ModelCardData

from . import CardError, describe_folder, render_model_card

logger = logging.getLogger(__name__)

PICKLE_SUFFIXES = (".bin", ".pt", ".pkl", ".pth", ".ckpt", ".pickle")
DEFAULT_COMMIT_MESSAGE = "Upload Spirit LM (weights, tokenizers, speech tokenizer, vocoder, remote code, card)"


class PushError(ValueError):
    """The folder cannot be pushed as a Spirit LM repository."""


def _skipped(rel: Path) -> bool:
    if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
        return True
    if rel.suffix == ".pyc":
        return True
    return rel.as_posix() in ("tiny_build.json", "README.md")


def files_to_upload(folder: Union[str, Path]) -> List[str]:
    """Paths (relative, POSIX) of the folder's files that are uploaded beside the card, after the checks."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PushError(f"{folder} is not a folder. Give the Spirit LM folder to push (e.g. the converter's output).")
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise PushError(f"{folder} has no config.json: not a Spirit LM folder (convert or save_pretrained one first).")
    try:
        config = json.loads(cfg_path.read_text())
        model_type = config.get("model_type")
    except (json.JSONDecodeError, AttributeError) as err:
        raise PushError(f"{cfg_path} is not a JSON object: {err}") from err
    if model_type != "spirit_lm":
        raise PushError(f"{cfg_path} has model_type {model_type!r}, not 'spirit_lm': this is not a Spirit LM folder.")
    rels = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    rels = [r for r in rels if not _skipped(r)]
    pickles = [r.as_posix() for r in rels if r.suffix.lower() in PICKLE_SUFFIXES]
    if pickles:
        raise PushError(
            f"{folder} holds pickle files, which run code when loaded and are not pushed: {', '.join(pickles[:5])}"
            f"{' ...' if len(pickles) > 5 else ''}. Convert them to safetensors (`spirit-lm convert`) or remove them."
        )
    names = {r.as_posix() for r in rels}
    if not any(n.startswith("model") and n.endswith(".safetensors") and "/" not in n for n in names):
        raise PushError(f"{folder} has no model*.safetensors: the language-model weights are missing.")
    _check_remote_code(folder, config, names)
    return sorted(names)


def _code_modules(mapping) -> List[str]:
    """Module files named by an ``auto_map`` / ``custom_pipelines`` entry (``"module.Class"`` or lists of them)."""
    out = []
    for value in (mapping or {}).values():
        if isinstance(value, dict):
            value = value.get("impl")
        for ref in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(ref, str) and "." in ref:
                out.append(ref.split("--")[-1].rsplit(".", 1)[0] + ".py")
    return out


def _check_remote_code(folder: Path, config: Mapping[str, Any], names) -> None:
    """Every module the configs point the remote-code loader to must be uploaded; a folder without the custom
    pipeline entry loads with Auto classes but not with ``pipeline("spirit-lm", ..., trust_remote_code=True)``."""
    wanted = {"config.json": _code_modules(config.get("auto_map")) + _code_modules(config.get("custom_pipelines"))}
    for name in names:
        if name.endswith(("config.json", "tokenizer_config.json")) and name != "config.json":
            try:
                sub = json.loads((folder / name).read_text())
            except json.JSONDecodeError as err:
                raise PushError(f"{folder / name} is not valid JSON: {err}") from err
            if isinstance(sub, dict):
                wanted[name] = _code_modules(sub.get("auto_map"))
    for source, modules in wanted.items():
        prefix = source.rsplit("/", 1)[0] + "/" if "/" in source else ""
        missing = sorted({prefix + m for m in modules if prefix + m not in names})
        if missing:
            raise PushError(
                f"{folder / source} points the remote-code loader to {', '.join(missing)}, which the folder lacks: "
                "trust_remote_code=True would fail. Re-save the folder with this package (the converter or "
                "modeling_spirit.hub_folder.make_hub_ready copy the code in)."
            )
    if "spirit-lm" not in (config.get("custom_pipelines") or {}):
        logger.warning(
            "%s/config.json has no custom_pipelines entry for 'spirit-lm': pipeline('spirit-lm', model=REPO, "
            "trust_remote_code=True) will not find the pipeline without the package. Run "
            "modeling_spirit.hub_folder.make_hub_ready(folder) before pushing.", folder,
        )


def push_spirit_lm(
    folder: Union[str, Path],
    repo_id: str,
    *,
    revision: Optional[str] = None,
    private: Optional[bool] = None,
    commit_message: str = DEFAULT_COMMIT_MESSAGE,
    card_data: Union[None, Mapping[str, Any], ModelCardData] = None,
    card_vars: Optional[Mapping[str, Any]] = None,
    token: Union[str, bool, None] = None,
    create_pr: bool = False,
) -> CommitInfo:
    """Create ``repo_id`` if needed and upload ``folder`` plus its rendered card (``README.md``) in one commit.

    Args:
        folder: a Spirit LM folder (``config.json`` with ``model_type: spirit_lm``, safetensors weights; the
            tokenizer, ``speech_tokenizer/``, ``vocoder/`` and ``*.py`` remote code beside them).
        repo_id: ``org/name`` on the Hub.
        revision: the branch to commit to (created from ``main`` if missing); default ``main``. The card's usage
            snippet pins this revision.
        private: visibility of a newly created repository (``None``: the account's default).
        commit_message: the commit's title.
        card_data: front-matter facts for :func:`hub_cards.render_model_card` (``base_model``, ``datasets``,
            ``eval_results``, extra ``tags``...); licence and pipeline tag defaults are filled in.
        card_vars: more template variables (``title``, ``description``, ``training_hyperparameters``...).
        token: Hub token (default: the logged-in one).
        create_pr: open a pull request instead of committing to the branch.

    Returns:
        `huggingface_hub.CommitInfo` of the commit (``.oid`` is its sha, ``.commit_url`` its page).

    Raises:
        PushError: the folder is not a pushable Spirit LM folder (pickles, wrong model type, no weights).
        CardError: invalid card inputs.
    """
    folder = Path(folder)
    names = files_to_upload(folder)
    variables = {**describe_folder(folder), **dict(card_vars or {})}
    variables.update(repo_id=repo_id, revision=revision or "main")
    card = render_model_card(card_data, **variables)
    operations = [CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(card).encode("utf-8"))]
    operations += [CommitOperationAdd(path_in_repo=n, path_or_fileobj=str(folder / n)) for n in names]

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    if revision not in (None, "main") and not create_pr:
        api.create_branch(repo_id, branch=revision, repo_type="model", exist_ok=True)
    return api.create_commit(
        repo_id,
        operations,
        commit_message=commit_message,
        repo_type="model",
        revision=revision,
        create_pr=create_pr,
    )


__all__ = ["PICKLE_SUFFIXES", "PushError", "files_to_upload", "push_spirit_lm", "CardError"]
