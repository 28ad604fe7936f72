# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Push a Spirit LM folder to the Hub with its rendered model card, in one commit.

```python
from hub_cards.push import push_spirit_lm

info = push_spirit_lm("spirit-lm-base-7b", "my-org/spirit-lm-base-7b",
                      card_data={"base_model": "meta-llama/Llama-2-7b-hf"})
print(info.oid)          # the commit; pin it: pipeline("spirit-lm", model=..., revision=info.oid, ...)
```

What is refused, before anything is sent: a folder that is not a Spirit LM folder (``config.json`` with
``model_type: spirit_lm``), an incomplete one (weights missing or truncated, no tokenizer, no ``speech_tokenizer/`` or
``vocoder/``, or parts of different models: :func:`modeling_spirit.hub_folder.check_spirit_folder`), and a folder
holding pickles, judged by content whatever the file is called (pickles of any protocol, ``torch.save`` zip archives,
gzip/bzip2/xz/zstd data: :func:`modeling_spirit.hub_folder.find_pickled_files`): those run code when loaded; convert
them to safetensors first.
"""

import json
import logging
from pathlib import Path
from typing import Any, List, Mapping, Optional, Union

from huggingface_hub import CommitInfo, CommitOperationAdd, HfApi, ModelCardData

from modeling_spirit.hub_folder import SpiritFolderError, check_no_pickles, check_spirit_folder

from . import CardError, describe_folder, render_model_card

logger = logging.getLogger(__name__)

DEFAULT_COMMIT_MESSAGE = "Upload Spirit LM (weights, tokenizers, speech tokenizer, vocoder, remote code, card)"


class PushError(ValueError):
    """The folder cannot be pushed as a Spirit LM repository."""


def _skipped(rel: Path) -> bool:
    if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
        return True
    if rel.suffix == ".pyc":
        return True
    return rel.as_posix() in ("tiny_build.json", "README.md")


def files_to_upload(folder: Union[str, Path], require_speech_components: bool = True) -> List[str]:
    """Paths (relative, POSIX) of the folder's files that are uploaded beside the card, after the checks
    (``require_speech_components=False`` accepts a deliberately text-only folder)."""
    folder = Path(folder)
    rels = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    names = [r.as_posix() for r in rels if not _skipped(r)]
    try:
        if (folder / "config.json").is_file():
            check_no_pickles(folder, names)  # first: a pickled checkpoint is the likeliest reason weights are missing
        check_spirit_folder(folder, require_speech_components=require_speech_components)
    except SpiritFolderError as err:
        raise PushError(f"{err} Nothing was pushed.") from err
    config = json.loads((folder / "config.json").read_text())
    _check_remote_code(folder, config, set(names))
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
    require_speech_components: bool = True,
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
        require_speech_components: refuse a folder without ``speech_tokenizer/`` and ``vocoder/`` (default); ``False``
            pushes a deliberately text-only Spirit LM.

    Returns:
        `huggingface_hub.CommitInfo` of the commit (``.oid`` is its sha, ``.commit_url`` its page).

    Raises:
        PushError: the folder is not a pushable Spirit LM folder (pickles, wrong model type, missing or truncated
            weights, missing or mismatched speech components, missing remote code).
        CardError: invalid card inputs.
    """
    folder = Path(folder)
    names = files_to_upload(folder, require_speech_components=require_speech_components)
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


__all__ = ["PushError", "files_to_upload", "push_spirit_lm", "CardError"]
