# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The ``spirit-lm`` command: convert, generate, encode audio to units, decode units to audio, push to the Hub.

```
spirit-lm convert  --checkpoints-dir CKPT --variant base --output-dir spirit-lm-base-7b
spirit-lm generate spirit-lm-base-7b --text "The capital of France is" --max-new-tokens 20
spirit-lm generate spirit-lm-base-7b --audio question.wav --text "Answer:" --output-modality speech --output a.wav
spirit-lm encode   spirit-lm-base-7b speech.wav              # -> [Hu99][Hu49]...
spirit-lm decode   spirit-lm-base-7b "[Hu99][Hu49][Hu12]" --output speech.wav
spirit-lm push     spirit-lm-base-7b my-org/spirit-lm-base-7b --base-model meta-llama/Llama-2-7b-hf
```

Adding a command: write ``add_arguments(parser)`` and ``run(args) -> int`` and call :func:`register_command`, or
register an existing ``main(argv) -> int`` with :func:`register_main` (it parses the argv after the command name
itself). Errors that users can fix (missing folders, bad inputs) end with a one-line message and exit status 1 (2 for
usage errors); ``spirit-lm --traceback ...`` shows the full traceback instead.

This file sits at the top of the layers (``recipes``): it imports the Hub package, ``processing``, ``hub_cards`` and
the recipes directly. Third-party packages of optional extras (datasets, trl, faster-whisper...) stay imported where
they are used, so ``spirit-lm --help`` works with the core install.
"""

import argparse
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm
from transformers import pipeline
from transformers.dynamic_module_utils import get_relative_import_files

from hub_cards import describe_folder, render_model_card
from hub_cards.push import DEFAULT_COMMIT_MESSAGE, files_to_upload, push_spirit_lm
from modeling_spirit.constants import SPEECH_TOKENIZER_SUBFOLDER, VARIANTS, VOCODER_SUBFOLDER
from modeling_spirit.components import load_component
from modeling_spirit.convert import convert_all
from modeling_spirit.convert_common import DEFAULT_MAX_SHARD_SIZE
from modeling_spirit.hub_folder import make_hub_ready, remote_code_files
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from processing import align, encode_units, init_model, interleave, toy_corpus, train_speech_tokenizer, train_vocoder
from recipes.eval import cli as eval_cli
from recipes import text_init_experiment
from recipes.toy import train as toy_train

PROG = "spirit-lm"
MODALITIES = ("text", "speech", "arbitrary")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class CLIError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


@dataclass
class Command:
    """One subcommand: ``add_arguments(parser)`` declares its options, ``run(args)`` does the work (returns the exit
    status). A command given as ``main`` (a ``main(argv) -> int`` function) gets the raw remaining argv instead."""

    name: str
    help: str
    description: str = ""
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None
    run: Optional[Callable[[argparse.Namespace], int]] = None
    main: Optional[Callable[[List[str]], int]] = None


COMMANDS: Dict[str, Command] = {}


def register_command(name: str, help: str, add_arguments: Callable, run: Callable, description: str = "") -> None:
    """Add (or replace) subcommand ``name`` in the ``spirit-lm`` table."""
    COMMANDS[name] = Command(name, help, description or help, add_arguments=add_arguments, run=run)


def register_main(name: str, help: str, main: Callable[[List[str]], int]) -> None:
    """Add subcommand ``name`` that hands its arguments to ``main`` (called with the argv list after the command name
    and returning an exit status)."""
    COMMANDS[name] = Command(name, help, help, main=main)


# ------------------------------------------------------------------------------------------------------ helpers
def _model_source(model: str, what: str = "model") -> str:
    """A local folder, or something that can only be a Hub repository id; anything else is a clean error."""
    if os.path.isdir(model):
        return model
    if os.path.exists(model):
        raise CLIError(f"{what} {model!r} is a file; give the Spirit LM folder (the one holding config.json).")
    if _REPO_ID.match(model) and not model.startswith((".", "~")):
        return model  # a Hub repository id; loading reports if it does not exist
    raise CLIError(f"{what} folder {model!r} does not exist. Give a Spirit LM folder (e.g. the output of "
                   f"`{PROG} convert`) or a Hub repository id 'org/name'.")


def _load_component(cls, model: str, subfolder: str, revision: Optional[str], device: Optional[str], what: str):
    """The speech tokenizer / vocoder of a Spirit LM folder or Hub repository, or the component's own folder, on
    ``device``; any failure is a :class:`CLIError` naming ``model``."""
    try:
        component = load_component(cls, model, subfolder, revision=revision, allow_root=True)
    except (OSError, ValueError) as err:
        raise CLIError(f"could not load a {what} from {model!r}: {err}") from err
    if component is None:
        raise CLIError(f"{model!r} has no {subfolder}/ and is not a {cls.config_class.model_type} folder itself. Give "
                       f"a Spirit LM folder with {subfolder}/ (e.g. the output of `{PROG} convert`), the component's "
                       "own folder, or a Hub repository id.")
    return component.to(device) if device else component


def _speaker(value: Optional[str]):
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def _existing_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"{what} {path!r} does not exist (or is not a file).")
    return p


def _check_output(path: Optional[str], what: str, audio: bool = True) -> None:
    """Refuse an output path that cannot be written, before any work is done (a directory, a file as its parent
    folder, an audio extension soundfile cannot write)."""
    if path is None:
        return
    out = Path(path)
    if out.is_dir():
        raise CLIError(f"{what} {path!r} is a directory; give a file name inside it, e.g. "
                       f"{str(out / ('out.wav' if audio else 'units.txt'))!r}.")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CLIError(f"{what} {path!r} cannot be written: {str(parent)!r} is a file, not a folder.")
            if not os.access(parent, os.W_OK):
                raise CLIError(f"{what} {path!r} cannot be written: no permission to write in {str(parent)!r}.")
            break
    if audio:
        ext = out.suffix.lstrip(".").upper()
        if ext not in sf.available_formats():
            raise CLIError(f"{what} {path!r}: cannot write audio with the extension {out.suffix or '(none)'!r}; "
                           "use .wav (or .flac, .ogg).")


def _write_wav(path: str, audio, sampling_rate: int) -> None:
    out = Path(path)
    if out.parent and not out.parent.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out), np.asarray(audio, dtype=np.float32), int(sampling_rate))


class _InputAction(argparse.Action):
    """``--text`` / ``--audio`` append ``(kind, value)`` to one shared list, keeping their command-line order."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((self.const, values))
        setattr(namespace, self.dest, items)


# ------------------------------------------------------------------------------------------------------ convert
def _convert_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoints-dir", required=True,
                   help="the original release's `checkpoints/` folder (holding spiritlm_model/ and speech_tokenizer/)")
    p.add_argument("--variant", required=True, choices=list(VARIANTS), help="which Spirit LM to convert")
    p.add_argument("--output-dir", required=True, help="where to write the converted, Hub-ready folder")
    p.add_argument("--dtype", default=None, choices=["float32", "bfloat16", "float16"],
                   help="weight dtype of the language model (default: as stored, bfloat16 for the 7B)")
    p.add_argument("--max-shard-size", default=DEFAULT_MAX_SHARD_SIZE,
                   help="largest language-model weight shard, e.g. 5GB (default), 2GB, 500MB; several shards get a "
                   "model.safetensors.index.json")


def _convert_run(args) -> int:
    ckpt = Path(args.checkpoints_dir)
    if not ckpt.is_dir():
        raise CLIError(f"--checkpoints-dir {str(ckpt)!r} does not exist; give the original `checkpoints/` folder.")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = convert_all(ckpt, args.variant, args.output_dir, dtype=args.dtype, max_shard_size=args.max_shard_size)
    print(f"Converted the {args.variant} Spirit LM (language model, speech tokenizer, vocoder) into {out}")
    return 0


# ------------------------------------------------------------------------------------------------------ generate
def _generate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a Spirit LM folder (or Hub repository id 'org/name')")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit) of a repository id")
    p.add_argument("--text", dest="inputs", action=_InputAction, const="text", metavar="TEXT",
                   help="text input; repeat --text/--audio to build an interleaved prompt, in command-line order")
    p.add_argument("--audio", dest="inputs", action=_InputAction, const="speech", metavar="PATH",
                   help="audio file input (any format and rate; resampled to 16 kHz and turned into speech units)")
    p.add_argument("--output-modality", type=str.lower, choices=MODALITIES, default=None,
                   help="what to generate: text, speech or arbitrary (either, switching freely); default: speech "
                        "when --output is given, else text")
    p.add_argument("--output", default=None, metavar="WAV",
                   help="write the generated speech here (all speech segments, in order, as one 16 kHz file)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="generation length (default: the model's)")
    p.add_argument("--do-sample", action="store_true", help="sample instead of greedy decoding")
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature (implies --do-sample)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus sampling threshold (implies --do-sample)")
    p.add_argument("--seed", type=int, default=None, help="random seed, for reproducible sampling")
    p.add_argument("--speaker-id", default=None,
                   help="vocoder speaker: an index or a name from the vocoder's config (default: the vocoder's)")
    p.add_argument("--device", default=None, help="e.g. cpu, cuda, cuda:1 (default: cpu)")


def _generate_run(args) -> int:
    inputs = args.inputs or []
    if not inputs:
        raise CLIError("give an input: --text \"...\" and/or --audio PATH (repeat them to interleave).")
    items = []
    for kind, value in inputs:
        items.append(("speech", _existing_file(value, "--audio")) if kind == "speech" else ("text", value))
    modality = args.output_modality or ("speech" if args.output else "text")
    if modality == "speech" and not args.output:
        raise CLIError("--output-modality speech needs --output out.wav (where to write the audio).")
    if args.max_new_tokens is not None and args.max_new_tokens < 1:
        raise CLIError(f"--max-new-tokens is {args.max_new_tokens}; it must be at least 1.")
    _check_output(args.output, "--output")
    model = _model_source(args.model)
    print(f"Loading {model} ...", file=sys.stderr)
    try:
        pipe = pipeline("spirit-lm", model=model, revision=args.revision, device=args.device)
    except (OSError, ValueError) as err:
        raise CLIError(f"could not load the Spirit LM at {model!r}: {err}") from err
    kwargs = {"output_modality": modality, "do_sample": bool(args.do_sample or args.temperature or args.top_p)}
    for name in ("max_new_tokens", "temperature", "top_p", "seed"):
        if getattr(args, name) is not None:
            kwargs[name] = getattr(args, name)
    if args.speaker_id is not None:
        kwargs["speaker_id"] = _speaker(args.speaker_id)
    prompt = items[0][1] if len(items) == 1 and items[0][0] == "text" else items
    segments = pipe(prompt, **kwargs)

    speech = [s for s in segments if s["type"] == "speech"]
    for s in segments:
        if s["type"] == "text":
            print(s["text"])
        elif not args.output:
            print(f"[speech: {len(s['audio']) / s['sampling_rate']:.2f} s, {s['units'].count('[Hu')} HuBERT units; "
                  f"pass --output out.wav to save it]")
    if args.output:
        if not speech:
            print(f"No speech was generated; {args.output} not written.", file=sys.stderr)
            return 0
        audio = np.concatenate([s["audio"] for s in speech]) if len(speech) > 1 else speech[0]["audio"]
        _write_wav(args.output, audio, speech[0]["sampling_rate"])
        print(f"Wrote {len(audio) / speech[0]['sampling_rate']:.2f} s of speech to {args.output}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------------------ encode
def _encode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a Spirit LM folder (its speech_tokenizer/ is used), a speech tokenizer folder, "
                                 "or a Hub repository id")
    p.add_argument("audio", nargs="+", help="audio file(s) (any format and rate; resampled to 16 kHz)")
    p.add_argument("--revision", default=None, help="Hub revision of a repository id")
    p.add_argument("--output", default=None, help="write the unit strings to this file (one line per audio) "
                                                  "instead of printing them")
    p.add_argument("--fast", action="store_true", help="bfloat16 autocast (faster; units may differ slightly)")
    p.add_argument("--device", default=None, help="e.g. cpu, cuda (default: cpu)")


def _encode_run(args) -> int:
    files = [_existing_file(a, "audio file") for a in args.audio]
    _check_output(args.output, "--output", audio=False)
    model = _model_source(args.model)
    tok = _load_component(SpiritLMSpeechTokenizer, model, SPEECH_TOKENIZER_SUBFOLDER, args.revision, args.device,
                          "speech tokenizer")
    lines = []
    for f in tqdm(files, desc="encoding", unit="file", disable=len(files) < 2, file=sys.stderr):
        units = tok.encode_string(f, fast=args.fast)
        lines.append(units if len(files) == 1 else f"{f}\t{units}")
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"Wrote the units of {len(files)} file(s) to {args.output}", file=sys.stderr)
    else:
        print("\n".join(lines))
    return 0


# ------------------------------------------------------------------------------------------------------ decode
def _decode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a Spirit LM folder (its vocoder/ is used), a vocoder folder, or a Hub repository id")
    p.add_argument("units", help="a unit string such as '[Hu99][Hu49][Hu12]' (expressive: with [Pi..]/[St..]), "
                                 "a text file holding one, or '-' to read it from standard input")
    p.add_argument("--output", required=True, metavar="WAV", help="where to write the 16 kHz audio")
    p.add_argument("--revision", default=None, help="Hub revision of a repository id")
    p.add_argument("--speaker-id", default=None, help="speaker index or name (default: the vocoder's)")
    p.add_argument("--style-id", default=None, help="base vocoder only: style index or name (default: the vocoder's)")
    p.add_argument("--device", default=None, help="e.g. cpu, cuda (default: cpu)")


def _decode_run(args) -> int:
    if args.units == "-":
        units = sys.stdin.read().strip()
    elif os.path.isfile(args.units):
        units = Path(args.units).read_text(encoding="utf-8").strip()
    else:
        units = args.units.strip()
    if not re.fullmatch(r"(\[(Hu|Pi|St)\d+\]\s*)+", units):
        shown = units if len(units) < 60 else units[:57] + "..."
        raise CLIError(f"UNITS {shown!r} is neither a unit string like '[Hu99][Hu49]' nor a file holding one.")
    _check_output(args.output, "--output")
    model = _model_source(args.model)
    voc = _load_component(SpiritLMHifiGan, model, VOCODER_SUBFOLDER, args.revision, args.device, "vocoder")
    audio = voc.decode(re.sub(r"\s+", "", units), speaker_id=_speaker(args.speaker_id),
                       style_id=_speaker(args.style_id))
    rate = int(voc.config.sampling_rate)
    _write_wav(args.output, audio, rate)
    print(f"Wrote {len(audio) / rate:.2f} s of audio to {args.output}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------------------ push
def _push_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", help="the Spirit LM folder to upload (safetensors only; pickles are refused)")
    p.add_argument("repo_id", help="Hub repository 'org/name' (created if missing)")
    p.add_argument("--revision", default=None, help="branch to commit to (created if missing; default: main)")
    p.add_argument("--private", action="store_true", default=None, help="create the repository as private")
    p.add_argument("--commit-message", default=None, help="commit title")
    p.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing directly")
    p.add_argument("--token", default=None, help="Hub token (default: the one saved by `hf auth login`)")
    p.add_argument("--base-model", action="append", default=None, metavar="REPO_ID",
                   help="card: the model this one derives from (meta-llama/Llama-2-7b-hf for a conversion); repeatable")
    p.add_argument("--dataset", action="append", default=None, metavar="REPO_ID", help="card: training dataset; repeatable")
    p.add_argument("--tag", action="append", default=None, help="card: extra tag; repeatable")
    p.add_argument("--dry-run", action="store_true",
                   help="print the card and the files that would be uploaded; send nothing")


@contextmanager
def _hub_ready_folder(folder: str):
    """``folder`` itself, or, when it holds no remote code at all (no ``*.py``; e.g. the embedded toy model, which
    leaves the package's code out), a Hub-ready copy made by ``make_hub_ready`` in a temporary folder (the folder
    itself is never changed). A folder with only part of its remote code is left as is, so the push check names
    what is missing."""
    path = Path(folder)
    if not (path / "config.json").is_file() or any(path.glob("*.py")):
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="spirit-lm-push-") as tmp:
        copy = Path(tmp) / (path.resolve().name or "model")
        shutil.copytree(path, copy, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.pyc"))
        make_hub_ready(copy)
        _copy_component_code(copy)
        print(f"{folder} has no remote code (*.py); uploading a Hub-ready copy with the code of this package "
              f"(made in {copy}; {folder} is not changed).", file=sys.stderr)
        yield str(copy)


def _copy_component_code(folder: Path) -> None:
    """Put the package's module files that each component subfolder's ``auto_map`` names, with the modules they
    import relatively, beside that subfolder's config (``make_hub_ready`` does the top level)."""
    package = {p.stem: p for p in remote_code_files()}
    for cfg in folder.glob("*/config.json"):
        try:
            auto_map = json.loads(cfg.read_text(encoding="utf-8")).get("auto_map") or {}
        except (ValueError, AttributeError):
            continue  # the push check reports an unreadable config
        for ref in auto_map.values():
            module = ref.split("--")[-1].rsplit(".", 1)[0] if isinstance(ref, str) else None
            if module in package:
                for src in [str(package[module])] + get_relative_import_files(str(package[module])):
                    shutil.copyfile(src, cfg.parent / Path(src).name)


def _push_run(args) -> int:
    with _hub_ready_folder(args.folder) as folder:
        return _push_folder(args, folder)


def _push_folder(args, folder: str) -> int:
    card_data = {}
    if args.base_model:
        card_data["base_model"] = args.base_model[0] if len(args.base_model) == 1 else args.base_model
    if args.dataset:
        card_data["datasets"] = args.dataset
    if args.tag:
        card_data["tags"] = args.tag
    if args.dry_run:
        names = files_to_upload(folder)
        card = render_model_card(card_data, **{**describe_folder(folder), "repo_id": args.repo_id,
                                               "revision": args.revision or "main"})
        print(str(card))
        print(f"\nWould upload to {args.repo_id}: README.md (the card above) and {len(names)} files:")
        for n in names:
            print(f"  {n}")
        return 0
    info = push_spirit_lm(folder, args.repo_id, revision=args.revision, private=args.private,
                          commit_message=args.commit_message or DEFAULT_COMMIT_MESSAGE, card_data=card_data,
                          token=args.token, create_pr=args.create_pr)
    print(f"Pushed {args.folder} to {args.repo_id}: {info.commit_url}")
    print(f"Pin it: pipeline(\"spirit-lm\", model=\"{args.repo_id}\", revision=\"{info.oid}\", trust_remote_code=True)")
    return 0


register_command("convert", "convert Meta's original checkpoints into one Hub-ready folder",
                 _convert_arguments, _convert_run,
                 "Convert Meta's original Spirit LM checkpoints (the release's `checkpoints/` folder) into one folder "
                 "of safetensors, configs, tokenizer files, speech tokenizer, vocoder and remote code.")
register_command("generate", "generate text and/or speech from text and/or audio prompts",
                 _generate_arguments, _generate_run,
                 "Generate with a Spirit LM. Inputs are --text and --audio options, used in the order given "
                 "(e.g. --audio question.wav --text 'Answer:'). Text output is printed; speech output is written "
                 "with --output out.wav.")
register_command("encode", "turn audio files into speech-unit strings ([Hu..], expressive: [Pi..][St..])",
                 _encode_arguments, _encode_run)
register_command("decode", "turn a speech-unit string into a 16 kHz wav with the vocoder",
                 _decode_arguments, _decode_run)
register_command("push", "upload a Spirit LM folder to the Hugging Face Hub with a model card",
                 _push_arguments, _push_run,
                 "Upload a Spirit LM folder and its rendered model card (README.md: licence, usage, layout) in one "
                 "commit. Converted weights keep Meta's FAIR Noncommercial Research License.")
register_main("encode-dataset", "encode a dataset's audio column into speech units (sharded, resumable)",
              encode_units.main)
register_main("align", "force-align English transcripts to audio (word timings for interleaving)",
              align.main)
register_main("interleave", "build training text (speech, text, interleaved, ASR, TTS) from encoded data",
              interleave.main)
register_main("init", "start a Spirit LM from any causal text LM (Llama, Qwen2; adds the speech tokens)",
              init_model.main)
register_main("toy-corpus", "synthesise the toy English corpus (festival + espeak-ng, word timings, splits)",
              toy_corpus.main)
register_main("train-speech-tokenizer", "train a HuBERT-style speech tokenizer + linear quantizer on your audio",
              train_speech_tokenizer.main)
register_main("train-vocoder", "train a unit HiFi-GAN vocoder (mel loss + duration predictor) on encoded audio",
              train_vocoder.main)
register_main("train-toy", "train a whole toy Spirit LM on a CPU: corpus, speech tokenizer, vocoder, LM, evaluation",
              toy_train.main)
register_main("text-init-experiment", "the same Spirit LM trained from a pretrained text model and from random weights, "
              "evaluated side by side (or before/after for one arm)", text_init_experiment.main)
register_main("evaluate", "evaluate on a paper task (swuggy, sblimp, storycloze, stsp, asr, tts, intent, ...)",
              eval_cli.main)


# ------------------------------------------------------------------------------------------------------ main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Spirit LM: one language model for text and speech. Convert Meta's checkpoints, generate text "
        "or speech from text or audio, turn audio into speech units and back, and publish models on the Hub. "
        f"Run `{PROG} COMMAND --help` for a command's options.",
        epilog=f"example: {PROG} generate spirit-lm-base-7b --text \"Once upon a time\" --output-modality speech "
        "--output story.wav",
    )
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for cmd in COMMANDS.values():
        if cmd.main is not None:
            p = sub.add_parser(cmd.name, help=cmd.help, add_help=False)
            p.add_argument("argv", nargs=argparse.REMAINDER)
        else:
            p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description)
            cmd.add_arguments(p)
    return parser


def _exit(code) -> int:
    code = 0 if code is None else int(code)
    if code:
        raise SystemExit(code)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``spirit-lm`` console script; returns 0, raises ``SystemExit`` with non-zero on error."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv[:1]
    if show_traceback:
        argv = argv[1:]
    parser = build_parser()
    if argv and argv[0] in COMMANDS and COMMANDS[argv[0]].main is not None:
        cmd = COMMANDS[argv[0]]
        try:
            return _exit(cmd.main(argv[1:]))
        except ImportError as err:  # an optional extra the command needs (datasets, trl, ...) is not installed
            if show_traceback:
                raise
            parser.exit(1, f"{PROG} {cmd.name}: error: needs {err.name or 'a package'} ({err}); install the "
                           "package with its extras: pip install 'spirit-lm-hub[all]'\n")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return _exit(2)
    cmd = COMMANDS[args.command]
    try:
        return _exit(cmd.run(args))
    except (CLIError, ValueError, OSError, ImportError) as err:
        if show_traceback or args.traceback:
            raise
        message = str(err) or type(err).__name__
        parser.exit(1, f"{PROG} {cmd.name}: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
