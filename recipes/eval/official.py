# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The official downloads of sWUGGY, sBLIMP, Spoken StoryCloze (sSC) and Topic-StoryCloze (tSC) as our manifests.

Layouts read (evidence and assumptions: ``recipes/eval/README.md``, "From the official downloads"):

* **ZeroSpeech 2021** ``lexical`` (sWUGGY) and ``syntactic`` (sBLIMP): ``<split>/gold.csv`` beside
  ``<split>/<filename>.wav``. ``gold.csv`` has a header; lexical columns ``id, filename, voice, frequency, word,
  phones, length, correct``, syntactic ``id, filename, voice, type, subtype, transcription, correct``
  (``correct`` 1 = the real word / grammatical sentence). A pair is the ``correct`` = 1 row and the ``correct`` = 0
  row with the same ``id`` and ``voice`` (syntactic: same ``type``, ``subtype``, ``id``, ``voice``), one manifest
  line per pair and voice.
* **Spoken / Topic StoryCloze** (slp-rl release, TWIST paper): one folder of ``<n>_<storyid>_correct.wav`` and
  ``<n+1>_<storyid>_incorrect.wav``, each the whole story (four context sentences + an ending) spoken by one TTS
  voice. Pairs by story id. Text (T modes) from the textual StoryCloze CSV (``InputStoryid``,
  ``InputSentence1..4``, ``RandomFifthSentenceQuiz1/2``, ``AnswerRightEnding``): the context, the right ending, and
  for sSC only the other (wrong) ending; tSC's wrong ending is another story's, so its text is unknown.
* **Split stories** (slamkit's cross-modal layout): ``<base>_mutual.wav`` (context), ``<base>_correct.wav``,
  ``<base>_incorrect.wav`` (endings) with optional ``.txt`` transcripts beside them, in one folder or its
  sub-folders: every mode (T, S, T>S, S>T).

```python
from recipes.eval import evaluate
from recipes.eval.official import prepare
manifest, modes = prepare("swuggy", "zr2021/lexical/dev")          # -> out/eval-official/swuggy-<hash>.jsonl
result = evaluate("swuggy", "spirit-lm-base-7b", manifest, modes=modes)
```

``python -m recipes.eval.official {swuggy,sblimp,storycloze,topic-storycloze} SRC OUT.jsonl [--text CSV]`` writes
a manifest; ``spirit-lm evaluate TASK --data SRC`` converts on the fly.
"""

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import ManifestError
from .zero_shot_modes import STORY_TASKS, TASK_MODES, parse_modes, required_fields

TASKS = tuple(TASK_MODES)  # every zero-shot task has an official layout
ZEROSPEECH = {"swuggy": "lexical", "sblimp": "syntactic"}
LEXICAL_COLUMNS = ("id", "filename", "voice", "word", "correct")          # + frequency, phones, length (kept if there)
SYNTACTIC_COLUMNS = ("id", "filename", "voice", "type", "subtype", "transcription", "correct")
STORYCLOZE_COLUMNS = ("InputStoryid", "InputSentence1", "InputSentence2", "InputSentence3", "InputSentence4",
                      "RandomFifthSentenceQuiz1", "RandomFifthSentenceQuiz2", "AnswerRightEnding")
_STORY_WAV = re.compile(r"^(?P<prefix>.+)_(?P<side>correct|incorrect|mutual)$")
_INDEXED = re.compile(r"^(?P<n>\d+)_(?P<story>.+)$")


# ------------------------------------------------------------------------------------------------------ detection
def _gold_in(folder: Path, kind: Optional[str]) -> Optional[Path]:
    """``gold.csv`` for a ZeroSpeech folder given as the split, the task folder or the dataset root (dev split)."""
    candidates = [folder / "gold.csv", folder / "dev" / "gold.csv"]
    kinds = [kind] if kind else ["lexical", "syntactic"]
    found = [p for p in candidates if p.is_file()]
    if not found:
        found = [folder / k / "dev" / "gold.csv" for k in kinds if (folder / k / "dev" / "gold.csv").is_file()]
        if len(found) > 1:
            raise ManifestError(f"{folder} holds both lexical/ and syntactic/; pass the task's folder "
                                f"({folder / 'lexical' / 'dev'} or {folder / 'syntactic' / 'dev'}).")
    return found[0] if found else None


def detect_layout(src, task: Optional[str] = None) -> Tuple[str, Path]:
    """``(layout, path)``: ``("zerospeech", gold.csv)``, ``("story-split", folder)`` or ``("story-whole", folder)``.

    Raises :class:`ManifestError` naming what was looked for when ``src`` is none of them."""
    src = Path(src)
    kind = ZEROSPEECH.get(task) if task else None
    if src.is_file() and src.suffix == ".csv":
        return "zerospeech", src
    if not src.is_dir():
        raise ManifestError(f"{str(src)!r} is neither a folder nor a gold.csv (official layouts: "
                            f"recipes/eval/README.md).")
    if task is None or task in ZEROSPEECH:
        gold = _gold_in(src, kind)
        if gold is not None:
            return "zerospeech", gold
    if task is None or task not in ZEROSPEECH:
        if next(src.glob("*_mutual.wav"), None) or next(src.glob("*/*_mutual.wav"), None):
            return "story-split", src
        if next(src.glob("*_correct.wav"), None):
            return "story-whole", src
    expected = {"swuggy": "lexical/dev/gold.csv + lexical/dev/*.wav", "sblimp": "syntactic/dev/gold.csv + "
                "syntactic/dev/*.wav"}.get(task, "<n>_<storyid>_correct.wav / <n+1>_<storyid>_incorrect.wav "
                                           "(or <base>_mutual/_correct/_incorrect.wav)")
    raise ManifestError(f"{src}: no official layout found for {task or 'any task'} (expected {expected}).")


def is_official_source(src) -> bool:
    """Whether ``src`` is a folder (or a ``gold.csv``) rather than a JSON-lines manifest."""
    p = Path(str(src))
    return p.is_dir() or (p.is_file() and p.name.endswith(".csv"))


# ---------------------------------------------------------------------------------------------------------- CSVs
def _read_csv(path: Path, columns: Sequence[str]) -> List[Tuple[int, Dict[str, str]]]:
    """``[(line, row)]`` of a headed CSV; a missing column or a short/long row is an error naming file and line."""
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise ManifestError(f"{path}:1: empty file (a header line with {list(columns)} is expected).")
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ManifestError(f"{path}:1: header lacks column(s) {missing} (it has {header}).")
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise ManifestError(f"{path}:{reader.line_num}: {len(values)} field(s), the header has "
                                    f"{len(header)}.")
            rows.append((reader.line_num, {h: v.strip() for h, v in zip(header, values)}))
    if not rows:
        raise ManifestError(f"{path}: no rows after the header.")
    return rows


def _flag(path: Path, line: int, value: str) -> int:
    try:
        out = int(float(value))
    except ValueError:
        out = -1
    if out not in (0, 1):
        raise ManifestError(f"{path}:{line}: 'correct' must be 1 or 0, got {value!r}.")
    return out


# ---------------------------------------------------------------------------------------------------- ZeroSpeech
def convert_zerospeech(gold, task: Optional[str] = None) -> List[Dict[str, Any]]:
    """Records (one per word/non-word or sentence pair and voice) from a ZeroSpeech 2021 ``gold.csv``."""
    gold = Path(gold).resolve()
    with open(gold, encoding="utf-8-sig") as f:
        header = [h.strip() for h in f.readline().split(",")]
    lexical = "word" in header and "transcription" not in header
    if task in ZEROSPEECH and (ZEROSPEECH[task] == "lexical") != lexical:
        raise ManifestError(f"{gold}:1: this is a ZeroSpeech {'lexical (sWUGGY)' if lexical else 'syntactic (sBLIMP)'}"
                            f" gold file, not {task}'s (header {header}).")
    columns = LEXICAL_COLUMNS if lexical else SYNTACTIC_COLUMNS
    text_col = "word" if lexical else "transcription"
    key_cols = ("id", "voice") if lexical else ("type", "subtype", "id", "voice")
    groups: Dict[tuple, Dict[int, Tuple[int, Dict[str, str]]]] = {}
    order = []
    for line, row in _read_csv(gold, columns):
        for c in ("id", "filename", "voice"):
            if not row[c]:
                raise ManifestError(f"{gold}:{line}: empty {c!r}.")
        side = _flag(gold, line, row["correct"])
        key = tuple(row[c] for c in key_cols)
        slot = groups.setdefault(key, {})
        if side in slot:
            raise ManifestError(f"{gold}:{line}: a second {'correct' if side else 'incorrect'} row for "
                                f"{dict(zip(key_cols, key))} (the first is line {slot[side][0]}).")
        if not slot:
            order.append(key)
        slot[side] = (line, row)
    records = []
    for key in order:
        slot = groups[key]
        if len(slot) != 2:
            line, row = next(iter(slot.values()))
            raise ManifestError(f"{gold}:{line}: no {'incorrect' if 1 in slot else 'correct'} partner for "
                                f"{dict(zip(key_cols, key))} (pairs match on {list(key_cols)}).")
        (gline, good), (bline, bad) = slot[1], slot[0]
        for line, row in ((gline, good), (bline, bad)):
            wav = gold.parent / f"{row['filename']}.wav"
            if not wav.is_file():
                raise ManifestError(f"{gold}:{line}: audio {wav} not found.")
        rid = "/".join(key)
        rec = {"id": rid, "good_audio": str(gold.parent / f"{good['filename']}.wav"),
               "bad_audio": str(gold.parent / f"{bad['filename']}.wav"), "pair_id": good["id"],
               "voice": good["voice"], "_src": str(gold), "_line": gline, "_bad_line": bline}
        if good[text_col]:
            rec["good_text"] = good[text_col]
        if bad[text_col]:
            rec["bad_text"] = bad[text_col]
        for c in (("frequency", "length", "phones") if lexical else ("type", "subtype")):
            if good.get(c):
                rec[c] = good[c]
        if lexical and bad.get("phones"):
            rec["bad_phones"] = bad["phones"]
        records.append(rec)
    return records


# ---------------------------------------------------------------------------------------------------- StoryCloze
def find_storycloze_csv(folder) -> Optional[Path]:
    """A textual StoryCloze CSV (``InputStoryid`` ... ``AnswerRightEnding`` header) inside ``folder``."""
    for p in sorted(Path(folder).glob("*.csv")):
        with open(p, encoding="utf-8-sig") as f:
            head = f.readline()
        if "InputStoryid" in head and "AnswerRightEnding" in head:
            return p
    return None


def read_storycloze_text(path) -> Dict[str, Dict[str, Any]]:
    """``{story id: {"context", "right", "wrong", "_line"}}`` from a textual StoryCloze CSV."""
    path = Path(path)
    out = {}
    for line, row in _read_csv(path, STORYCLOZE_COLUMNS):
        answer = row["AnswerRightEnding"]
        if answer not in ("1", "2"):
            raise ManifestError(f"{path}:{line}: AnswerRightEnding must be 1 or 2, got {answer!r}.")
        quiz = (row["RandomFifthSentenceQuiz1"], row["RandomFifthSentenceQuiz2"])
        context = " ".join(row[f"InputSentence{i}"] for i in range(1, 5) if row[f"InputSentence{i}"])
        if row["InputStoryid"] in out:
            raise ManifestError(f"{path}:{line}: story {row['InputStoryid']!r} again (first at line "
                                f"{out[row['InputStoryid']]['_line']}).")
        out[row["InputStoryid"]] = {"context": context, "right": quiz[int(answer) - 1],
                                    "wrong": quiz[2 - int(answer)], "_line": line}
    return out


def _story_files(folder: Path, split: bool) -> Dict[str, Dict[str, Path]]:
    """``{key: {"correct"|"incorrect"|"mutual": wav}}``. Whole stories: the key is the story id of
    ``<n>_<id>_<side>.wav`` (``<n>`` dropped: the incorrect file's is ``n + 1``), else ``<base>``; split stories
    (this folder and its sub-folders): ``[subfolder/]<base>``."""
    files: Dict[str, Dict[str, Path]] = {}
    wavs = sorted(folder.glob("*.wav")) + (sorted(folder.glob("*/*.wav")) if split else [])
    for wav in wavs:
        m = _STORY_WAV.match(wav.stem)
        if not m:
            continue
        prefix, side = m["prefix"], m["side"]
        if split:
            key = (wav.parent.relative_to(folder) / prefix).as_posix()
        else:
            idx = _INDEXED.match(prefix)
            key = idx["story"] if idx else prefix
        slot = files.setdefault(key, {})
        if side in slot:
            raise ManifestError(f"{wav}: a second {side} file for story {key!r} (the first is {slot[side]}).")
        slot[side] = wav
    return files


def _txt(wav: Path) -> Optional[str]:
    p = wav.with_suffix(".txt")
    return p.read_text(encoding="utf-8").strip() if p.is_file() else None


def convert_story(folder, task: Optional[str] = None, text=None, layout: Optional[str] = None) -> List[Dict[str, Any]]:
    """Records from a spoken StoryCloze folder (whole-story ``_correct``/``_incorrect`` wavs, or the split
    ``_mutual``/``_correct``/``_incorrect`` layout).

    Args:
        task: ``"storycloze"`` (sSC: the incorrect ending's text is StoryCloze's wrong ending),
            ``"topic-storycloze"`` or ``None`` (the incorrect ending's text is then not taken from the CSV).
        text: the textual StoryCloze CSV (default: one inside ``folder``); whole-story layout only.
    """
    folder = Path(folder).resolve()
    layout = layout or detect_layout(folder, task)[0]
    split = layout == "story-split"
    files = _story_files(folder, split)
    if not files:
        raise ManifestError(f"{folder}: no *_correct.wav / *_incorrect.wav files.")
    csv_path = Path(text) if text else (None if split else find_storycloze_csv(folder))
    stories = read_storycloze_text(csv_path) if csv_path else {}
    records = []
    for n, (key, slot) in enumerate(sorted(files.items(), key=lambda kv: _sort_key(kv[1])), start=1):
        for side in ("correct", "incorrect") + (("mutual",) if split else ()):
            if side not in slot:
                other = next(iter(slot.values()))
                raise ManifestError(f"{other}: no matching {side} file for story {key!r}.")
        if not split:
            gi, bi = _INDEXED.match(slot["correct"].stem), _INDEXED.match(slot["incorrect"].stem)
            if gi and bi and int(bi["n"]) != int(gi["n"]) + 1:
                raise ManifestError(f"{slot['incorrect']}: numbered {bi['n']}, but the official release numbers "
                                    f"the incorrect file n + 1 after {slot['correct'].name}.")
        rec = {"id": key, "good_audio": str(slot["correct"]), "bad_audio": str(slot["incorrect"]),
               "_src": str(slot["correct"]), "_line": n}
        if split:
            rec["context_audio"] = str(slot["mutual"])
            for side, field in (("mutual", "context_text"), ("correct", "good_text"), ("incorrect", "bad_text")):
                t = _txt(slot[side])
                if t:
                    rec[field] = t
        else:
            rec["whole_recording"] = True
            story = stories.get(key)
            if csv_path and story is None:
                raise ManifestError(f"{slot['correct']}: story id {key!r} is not in {csv_path} (InputStoryid).")
            if story:
                rec.update(context_text=story["context"], good_text=story["right"], _src=str(csv_path),
                           _line=story["_line"], audio_file=slot["correct"].name)
                if task == "storycloze":
                    rec["bad_text"] = story["wrong"]
        records.append(rec)
    return records


def _sort_key(slot):
    m = _INDEXED.match(slot.get("correct", next(iter(slot.values()))).stem)
    return (0, int(m["n"]), "") if m else (1, 0, str(slot.get("correct")))


# ------------------------------------------------------------------------------------------------------- entry
def convert(task: Optional[str], src, text=None) -> List[Dict[str, Any]]:
    """Records (our manifest fields, absolute audio paths; ``_src``/``_line`` name the metadata each came from) for
    ``task`` (``None``: any layout, see :func:`convert_story` for what that changes) from an official folder."""
    if task is not None and task not in TASKS:
        raise ValueError(f"Unknown task {task!r}; official layouts exist for {list(TASKS)}.")
    layout, path = detect_layout(src, task)
    if layout == "zerospeech":
        if text:
            raise ValueError("--text is for StoryCloze folders; ZeroSpeech gold.csv holds the words/sentences.")
        return convert_zerospeech(path, task)
    return convert_story(path, task, text=text, layout=layout)


def check_records(records: List[Dict[str, Any]], required: Sequence[str] = (), task: Optional[str] = None) -> None:
    """The manifest check of :func:`recipes.eval.data.read_manifest`, with errors naming the official file and
    line each record came from."""
    for r in records:
        missing = [k for k in required if r.get(k) in (None, "")]
        if not missing:
            continue
        line = r.get("_bad_line", r["_line"]) if all(k.startswith("bad_") for k in missing) else r["_line"]
        where = f"{r['_src']}:{line}" if str(r["_src"]).endswith(".csv") else r["_src"]
        hint = ""
        if "bad_text" in missing and r.get("whole_recording"):
            hint = (" The official sSC/tSC folders hold audio only: sSC's wrong ending comes from the StoryCloze "
                    "CSV when the task is known (`spirit-lm evaluate storycloze --data FOLDER`, or "
                    "`recipes.eval.official.prepare('storycloze', FOLDER)`); tSC's wrong ending is another "
                    "story's and its text is not in the release.")
        elif any(k.endswith("_text") for k in missing) and r.get("whole_recording"):
            hint = " Put the textual StoryCloze CSV in the folder or pass it (--official-text / text=)."
        elif "context_audio" in missing:
            hint = (" The official sSC/tSC wavs hold context + ending in one file: S>T needs them apart (the "
                    "split layout <base>_mutual/_correct/_incorrect.wav, or cut them, `spirit-lm align`).")
        elif "bad_text" in missing and "pair_id" in r:
            hint = " This gold.csv has no spelling for the non-word (only 'phones'): T mode cannot run on it."
        raise ManifestError(f"{where}: missing {missing} for record {r['id']!r}; this run needs "
                            f"{list(required)}.{hint}")


def available_modes(task: str, records: List[Dict[str, Any]]) -> List[str]:
    """The modes every record supports (T needs text; S>T the context apart; T>S, on whole recordings, would score
    the spoken context too, so it is left out for them)."""
    has = lambda f: all(r.get(f) not in (None, "") for r in records)  # noqa: E731
    story = task in STORY_TASKS
    modes = []
    if has("good_text") and has("bad_text") and (not story or has("context_text")):
        modes.append("T")
    modes.append("S")
    if story and has("context_audio"):
        if has("context_text"):
            modes.append("T>S")
        if has("good_text") and has("bad_text"):
            modes.append("S>T")
    return modes


def write_manifest(records: List[Dict[str, Any]], out) -> str:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for r in records:
            rec = {k: v for k, v in r.items() if not k.startswith("_")}
            rec["source"] = f"{r['_src']}:{r['_line']}" if str(r["_src"]).endswith(".csv") else r["_src"]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return str(out)


def prepare(task: str, src, out=None, text=None, modes=None, out_dir="out/eval-official") -> Tuple[str, List[str]]:
    """Convert an official folder to a manifest for ``task``; ``(manifest path, modes)``.

    ``modes`` ``None``/``"all"`` → the modes the data supports (:func:`available_modes`); otherwise they are
    checked against the data here, so a missing field is reported at its official file and line. ``out`` defaults
    to ``out_dir/<task>-<hash of the source path>.jsonl``."""
    records = convert(task, src, text=text)
    if modes is None or modes == "all":
        modes = available_modes(task, records)
    else:
        modes = parse_modes(task, modes)
        check_records(records, required_fields(task, modes), task)
    if out is None:
        digest = hashlib.sha1(f"{Path(src).resolve()}|{text}".encode()).hexdigest()[:10]
        out = Path(out_dir) / f"{task}-{digest}.jsonl"
    return write_manifest(records, out), modes


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recipes.eval.official",
                                description="Convert an official sWUGGY/sBLIMP (ZeroSpeech 2021) or spoken "
                                "StoryCloze folder to the evaluation manifest (recipes/eval/README.md).")
    p.add_argument("task", choices=TASKS)
    p.add_argument("src", help="ZeroSpeech lexical|syntactic folder (dataset root, task folder, split folder or "
                   "gold.csv), or the sSC/tSC folder")
    p.add_argument("out", help="the JSON-lines manifest to write")
    p.add_argument("--text", help="textual StoryCloze CSV (default: one inside SRC)")
    args = p.parse_args(argv)
    try:
        path, modes = prepare(args.task, args.src, out=args.out, text=args.text)
    except (ManifestError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    n = sum(1 for _ in open(path, encoding="utf-8"))
    print(f"wrote {path}: {n} pairs; modes the data supports: {','.join(modes)}")
    return 0


__all__ = ["convert", "convert_zerospeech", "convert_story", "detect_layout", "is_official_source", "prepare",
           "available_modes", "check_records", "read_storycloze_text", "write_manifest"]

if __name__ == "__main__":
    sys.exit(main())
