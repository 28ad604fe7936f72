# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The ``storycloze`` task: a StoryCloze-like choice built from the split (context = a sentence's first part, good
ending = its rest, bad ending = the rest of another sentence of the same voice with the closest length), written as a
manifest + cut wavs and scored by :func:`recipes.eval.zero_shot.evaluate_zero_shot` in every mode."""

import random
import shutil
from typing import Any, Dict, List, Sequence, Tuple

from ..zero_shot import evaluate_zero_shot
from .common import NUM_EXAMPLES, ToyRun
from .data import read_rows, row_id, write_jsonl, write_wav
from .text import cut_point, cut_sample, normalize_words, spoken_split


def build_storycloze_pairs(rows: Sequence[Dict[str, Any]], num_items: int, cut_fraction: float = 0.5,
                           seed: int = 0) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Pair each of the first ``num_items`` rows with a distractor row (pure; see the module docstring).

    ``rows``: dicts with ``text``, ``words``, ``speaker`` and ``sentence_id`` (no audio needed: lengths are the
    number of words after the cut, then the seconds from the cut to the last word's end). Returns
    ``(items, skipped)``: items ``{"row", "bad_row", "k", "cut", "bad_k", "bad_cut", "context_text", "good_text",
    "bad_text"}`` (row indices into ``rows``), skipped ``{"row", "reason"}``.
    """
    cuts = [cut_point(r["words"], cut_fraction) if len(r["words"]) == len(r["text"].split()) else None for r in rows]
    rng = random.Random(f"toy-storycloze-{seed}")
    items, skipped = [], []
    for i in range(min(num_items, len(rows))):
        r = rows[i]
        if cuts[i] is None:
            skipped.append({"row": i, "reason": "fewer than two words (or words do not match the text)"})
            continue
        k, t = cuts[i]
        context, good = spoken_split(r["text"], k)
        good_norm = normalize_words(good)
        n_good, d_good = len(r["words"]) - k, float(r["words"][-1]["end"]) - t
        candidates = []
        for j, o in enumerate(rows):
            if j == i or cuts[j] is None or o["speaker"] != r["speaker"] or o["sentence_id"] == r["sentence_id"]:
                continue
            kj, tj = cuts[j]
            rest = spoken_split(o["text"], kj)[1]
            if normalize_words(rest) == good_norm:
                continue
            d_rest = float(o["words"][-1]["end"]) - tj
            candidates.append((abs(len(o["words"]) - kj - n_good), round(abs(d_rest - d_good), 1), rng.random(), j))
        if not candidates:
            skipped.append({"row": i, "reason": f"no other sentence of the split is spoken by {r['speaker']!r} with a "
                                               "different ending"})
            continue
        j = min(candidates)[3]
        bad_k, bad_cut = cuts[j]
        items.append({"row": i, "bad_row": j, "k": k, "cut": t, "bad_k": bad_k, "bad_cut": bad_cut,
                      "context_text": context, "good_text": good,
                      "bad_text": spoken_split(rows[j]["text"], bad_k)[1]})
    return items, skipped


def run_storycloze(run: ToyRun, ds, num_items: int) -> Dict[str, Any]:
    meta = ds.select_columns(["text", "words", "speaker", "sentence_id"]).to_list()
    for i, m in enumerate(meta):
        m["index"] = i
    items, skipped = build_storycloze_pairs(meta, num_items, run.cut_fraction, run.seed)
    if not items:
        raise ValueError(f"No StoryCloze item could be built from the {len(meta)} rows of the split: "
                         f"{skipped[0]['reason'] if skipped else 'no rows'}. The split needs at least two sentences "
                         "per voice with different endings.")
    needed = sorted({it["row"] for it in items} | {it["bad_row"] for it in items})
    have = {r["index"]: r for r in run.rows}
    decoded = {r["index"]: r for r in read_rows(ds, [j for j in needed if j not in have])}
    split_rows = {j: have.get(j) or decoded[j] for j in needed}
    root = run.work_dir / "storycloze"
    shutil.rmtree(root, ignore_errors=True)
    written: Dict[int, Tuple[str, str]] = {}

    def cut_files(j: int, t: float) -> Tuple[str, str]:
        if j not in written:
            r = split_rows[j]
            i = cut_sample(t, len(r["audio"]))
            rid = row_id(r)
            write_wav(root / "wav" / f"{rid}_context.wav", r["audio"][:i])
            write_wav(root / "wav" / f"{rid}_rest.wav", r["audio"][i:])
            written[j] = (f"wav/{rid}_context.wav", f"wav/{rid}_rest.wav")
        return written[j]

    records = []
    for it in items:
        ctx_wav, good_wav = cut_files(it["row"], it["cut"])
        _, bad_wav = cut_files(it["bad_row"], it["bad_cut"])
        r, b = split_rows[it["row"]], split_rows[it["bad_row"]]
        records.append({"id": row_id(r), "speaker": r.get("speaker"), "bad_id": row_id(b),
                        "context_text": it["context_text"], "good_text": it["good_text"], "bad_text": it["bad_text"],
                        "context_audio": ctx_wav, "good_audio": good_wav, "bad_audio": bad_wav,
                        "cut_seconds": round(it["cut"], 4), "bad_cut_seconds": round(it["bad_cut"], 4)})
    manifest = write_jsonl(root / "storycloze.jsonl", records)
    sub = evaluate_zero_shot("storycloze", run.pipe, manifest, modes="all", batch_size=run.batch_size,
                             progress=run.progress)
    run.result["notes"].extend(f"storycloze: {note}" for note in sub.get("notes", []))
    if skipped:
        run.result["notes"].append(f"storycloze: {len(skipped)} row(s) gave no item (see details.storycloze.skipped).")
    accuracies: Dict[str, Dict[str, float]] = {}
    for m in sub["metrics"]:
        accuracies.setdefault(m["mode"], {})[m["scoring"]] = m["value"]
        if m["scoring"] == "mean":
            run.metric("storycloze", "accuracy", f"{m['mode']}/mean", m["value"], m["n"],
                       f"toy StoryCloze accuracy (%), {m['mode']}", "fraction", mode=m["mode"])
    return {"n": len(records), "skipped": skipped, "manifest": manifest, "accuracy": accuracies,
            "examples": [{k: rec[k] for k in ("id", "bad_id", "context_text", "good_text", "bad_text")}
                         for rec in records[:NUM_EXAMPLES]],
            "result": sub}


__all__ = ["build_storycloze_pairs", "run_storycloze"]
