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
from pathlib import Path
from typing import Any, List, Mapping, Optional, Union

from huggingface_hub import CommitInfo, CommitOperationAdd, HfApi, ModelCardData

from . import CardError, describe_folder, render_model_card

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
        model_type = json.loads(cfg_path.read_text()).get("model_type")
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
    return sorted(names)


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
