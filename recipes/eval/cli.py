# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""``spirit-lm evaluate TASK --model M --data D [--output results.json]`` (also ``python -m recipes.eval.cli``).

``--data tiny`` builds and uses the built-in tiny set of the task (``out/eval-tiny``; for CI).
``spirit-lm evaluate toy --model M --data CORPUS_DIR [--limit N] [--tasks resynthesis,asr,...]``: the toy-corpus
evaluation (:mod:`recipes.eval.toy`).
"""

import argparse
import json
import sys
from typing import Optional, Sequence

from . import FEW_SHOT_TASKS, TASKS, ZERO_SHOT_TASKS, evaluate
from .data import ManifestError
from .official import is_official_source, prepare
from .results import format_table, write_result
from .tiny_data import build_tiny_sets
from .toy import evaluate_toy, format_toy_table



def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spirit-lm evaluate",
        description="Evaluate a Spirit LM on one task of the paper (zero-shot likelihood: swuggy, sblimp, storycloze, "
        "topic-storycloze; stsp; few-shot: asr, tts, intent), or a model trained on the toy corpus (toy: --data is "
        "the corpus folder). Writes a JSON result and prints a table with the paper's number beside ours. Data "
        "layouts: recipes/eval/README.md.")
    p.add_argument("task", choices=TASKS)
    p.add_argument("--model", required=True, help="Spirit LM folder or Hub id")
    p.add_argument("--data", required=True, help="the task's JSON-lines manifest ('tiny': the built-in tiny set; "
                   "swuggy/sblimp/storycloze/topic-storycloze: also the official download's folder)")
    p.add_argument("--output", help="write the JSON result here")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--limit", type=int, help="only the first N records")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    p.add_argument("--audio-root", help="audio paths are relative to this (default: the manifest's folder; STSP: "
                   "stsp_data/data)")
    p.add_argument("--save-items", action="store_true", help="keep per-item scores/predictions in the JSON")
    p.add_argument("--no-progress", action="store_true")
    z = p.add_argument_group("zero-shot likelihood tasks")
    z.add_argument("--modes", default="all", help="comma-separated T,S,T>S,S>T (default: all the task has)")
    z.add_argument("--scoring", default="sum,mean", help="sum (Table 10 plain) and/or mean (token-normalised)")
    z.add_argument("--padding-side", default="right", choices=("right", "left"))
    z.add_argument("--official-text", help="official sSC/tSC folder given as --data: the textual StoryCloze CSV "
                   "(default: a StoryCloze CSV inside the folder)")
    s = p.add_argument_group("stsp")
    s.add_argument("--directions", default="all", help="comma-separated t2t,t2s,s2t,s2s")
    s.add_argument("--speech-classifier", help="audio-classification model folder (default ROOT/model/...)")
    s.add_argument("--text-classifier", help="text-classification model folder (default ROOT/model/...)")
    s.add_argument("--text-classifier-tokenizer", help="its tokenizer folder if not inside it")
    s.add_argument("--few-shot-dir", help="folder of {t2t,t2s,s2t,s2s}.jsonl (default ROOT/manifest/few_shot)")
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-p", type=float, default=0.95)
    f = p.add_argument_group("stsp and few-shot tasks")
    f.add_argument("--shots", type=int, help="examples per prompt (stsp: 0 default; asr/tts 10; intent 30)")
    f.add_argument("--shots-data", help="manifest the examples are drawn from (default: --data, items excluded)")
    f.add_argument("--context", type=int, help="context limit (asr 1024, tts 2048, intent: the model's)")
    f.add_argument("--max-new-tokens", type=int, help="override the task's max new tokens")
    f.add_argument("--judge", help="TTS ASR judge: default faster-whisper Whisper tiny.en; or a model path")
    t = p.add_argument_group("toy (--data: the toy corpus folder)")
    t.add_argument("--tasks", default="all", help="comma-separated resynthesis,asr,tts,continuation,storycloze "
                   "(default: all)")
    t.add_argument("--split", default="test", help="the evaluated split (default test)")
    t.add_argument("--shots-split", default="train", help="the split the few-shot examples come from (default train)")
    t.add_argument("--work-dir", help="keep the wavs and manifests here (default: a temporary folder)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    data = args.data
    if args.task == "toy":
        return _main_toy(args)
    if data == "tiny":
        data = build_tiny_sets("out/eval-tiny")[args.task]
    official_note = None
    if args.task in ZERO_SHOT_TASKS:
        if is_official_source(data):  # an official download (folder or gold.csv): convert it for this task
            try:
                source = data
                data, modes = prepare(args.task, data, text=args.official_text, modes=args.modes)
            except (ManifestError, ValueError) as err:
                print(f"spirit-lm evaluate: error: {err}", file=sys.stderr)
                return 1
            if args.modes in (None, "all"):
                args.modes = ",".join(modes)
            official_note = f"converted from the official layout at {source} (manifest {data}); modes {args.modes}"
            print(official_note)
    common = dict(batch_size=args.batch_size, limit=args.limit, audio_root=args.audio_root,
                  progress=not args.no_progress, save_items=args.save_items, device=args.device)
    if args.task in ZERO_SHOT_TASKS:
        kwargs = dict(modes=args.modes, scorings=[s for s in args.scoring.split(",") if s],
                      padding_side=args.padding_side)
    elif args.task == "stsp":
        kwargs = dict(directions=args.directions, shots=args.shots or 0, speech_classifier=args.speech_classifier,
                      text_classifier=args.text_classifier, text_classifier_tokenizer=args.text_classifier_tokenizer,
                      few_shot_dir=args.few_shot_dir, seed=args.seed, temperature=args.temperature, top_p=args.top_p)
        if args.max_new_tokens:
            kwargs["max_new_tokens"] = {d: args.max_new_tokens for d in ("t2t", "t2s", "s2t", "s2s")}
    else:
        kwargs = dict(shots=args.shots, shots_data=args.shots_data, seed=args.seed, context=args.context,
                      max_new_tokens=args.max_new_tokens, judge=args.judge)
    try:
        result = evaluate(args.task, args.model, data, output=args.output, **common, **kwargs)
    except (ManifestError, ValueError, ImportError, FileNotFoundError) as err:
        print(f"spirit-lm evaluate: error: {err}", file=sys.stderr)
        return 1
    if official_note:
        result["notes"].append(official_note)
        if args.output:
            write_result(result, args.output)
    print(format_table(result))
    if args.output:
        print(f"wrote {args.output}")
    return 0


def _main_toy(args) -> int:
    max_new = {"asr": args.max_new_tokens, "tts": args.max_new_tokens} if args.max_new_tokens else None
    try:
        result = evaluate_toy(args.model, args.data, split=args.split, output=args.output, tasks=args.tasks,
                              limit=args.limit, shots=args.shots, shots_split=args.shots_split, seed=args.seed,
                              judge=args.judge, batch_size=args.batch_size, progress=not args.no_progress,
                              work_dir=args.work_dir, max_new_tokens=max_new, device=args.device)
    except (ValueError, ImportError, FileNotFoundError) as err:
        print(f"spirit-lm evaluate: error: {err}", file=sys.stderr)
        return 1
    print(f"toy — {result['model']} (revision {result['model_revision']}), {args.data} [{args.split}]")
    print(format_toy_table(result))
    if args.output:
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
