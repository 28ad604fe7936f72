# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Result records: JSON (metric, value, n, settings, model revision, package version), a readable table with the
paper's number beside ours, and ``model-index`` entries for model cards.

A result file is one JSON object::

    {"task": "swuggy", "model": "...", "model_revision": "...", "package_version": "0.1.0", "data": "...",
     "settings": {...}, "n_items": 1000, "n_failed": 2, "failed": [{"id": ..., "line": 7, "error": "..."}],
     "notes": ["2 items whose audio failed to decode are excluded from the denominators"],
     "metrics": [{"name": "accuracy", "key": "S/mean", "mode": "S", "scoring": "mean", "value": 0.69, "n": 998,
                  "paper": 0.690, "paper_ref": "Table 4, Spirit LM Base"}, ...]}
"""

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from modeling_spirit import __version__

# --------------------------------------------------------------------------------------------- the paper's numbers
# (paper-facts §1.3-1.5): task -> variant -> metric key -> value (fractions for accuracies, % for error rates).
PAPER: Dict[str, Dict[str, Dict[str, float]]] = {
    "swuggy": {"base": {"T/mean": 0.803, "S/mean": 0.690, "S/sum": 0.714},
               "expressive": {"T/mean": 0.758, "S/mean": 0.650, "S/sum": 0.662}},
    "sblimp": {"base": {"T/mean": 0.733, "S/mean": 0.583, "S/sum": 0.632},
               "expressive": {"T/mean": 0.736, "S/mean": 0.542, "S/sum": 0.587}},
    "topic-storycloze": {"base": {"T/mean": 0.980, "S/mean": 0.829, "T>S/mean": 0.727, "S>T/mean": 0.886,
                                  "S/sum": 0.692},
                         "expressive": {"T/mean": 0.979, "S/mean": 0.754, "T>S/mean": 0.616, "S>T/mean": 0.732,
                                        "S/sum": 0.582}},
    "storycloze": {"base": {"T/mean": 0.794, "S/mean": 0.610, "T>S/mean": 0.595, "S>T/mean": 0.646, "S/sum": 0.562},
                   "expressive": {"T/mean": 0.789, "S/mean": 0.569, "T>S/mean": 0.546, "S>T/mean": 0.588,
                                  "S/sum": 0.518}},
    "asr": {"base": {"wer": 21.9}, "expressive": {"wer": 37.9}},  # LibriSpeech test-clean; test-other 29.2 / 50.0
    "tts": {"base": {"cer": 45.5}, "expressive": {"cer": 52.0}},  # test-clean; test-other 43.8 / 53.6
    "intent": {"base": {"accuracy": 0.719}, "expressive": {"accuracy": 0.662}},
    "stsp": {"base": {"t2t": 0.65, "t2s": 0.33, "s2s": 0.33, "s2t": 0.34, "average": 0.41},
             "expressive": {"t2t": 0.63, "t2s": 0.38, "s2s": 0.54, "s2t": 0.36, "average": 0.48}},
}
PAPER_REF = {"swuggy": "Table 4/10", "sblimp": "Table 4/10", "topic-storycloze": "Table 4/10",
             "storycloze": "Table 4/10", "asr": "Table 5 (LS-clean)", "tts": "Table 5 (LS-clean)",
             "intent": "Table 5", "stsp": "Table 3 (0-shot)"}
# STSP few-shot rows (Expressive only).
PAPER_STSP_SHOTS = {3: {"t2t": 0.64, "t2s": 0.37, "s2s": 0.50, "s2t": 0.34},
                    6: {"t2t": 0.67, "t2s": 0.39, "s2s": 0.51, "s2t": 0.35},
                    9: {"t2t": 0.64, "t2s": 0.38, "s2s": 0.40, "s2t": 0.37}}


def package_version() -> str:
    return __version__


def model_revision(path: str) -> str:
    """The Hub commit of a cached snapshot (``.../snapshots/<sha>``), the git commit of a checkout, or else
    ``local-<sha256 of config.json and the weight files' names and sizes>``."""
    resolved = os.path.realpath(path)
    match = re.search(r"snapshots/([0-9a-f]{40})", resolved)
    if match:
        return match.group(1)
    head = Path(resolved) / ".git" / "HEAD"
    if head.is_file():
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = Path(resolved) / ".git" / ref[5:]
            if ref_file.is_file():
                return ref_file.read_text().strip()
        return ref
    if not os.path.isdir(resolved):
        return f"hub:{path}"
    digest = hashlib.sha256()
    config = Path(resolved) / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for f in sorted(Path(resolved).glob("*.safetensors")):
        digest.update(f"{f.name}:{f.stat().st_size}".encode())
    return "local-" + digest.hexdigest()[:16]


def model_variant(model) -> str:
    return str(getattr(getattr(model, "config", None), "variant", "base") or "base")


def new_result(task: str, model_path: str, data: str, settings: Dict[str, Any]) -> Dict[str, Any]:
    return {"task": task, "model": str(model_path), "model_revision": model_revision(str(model_path)),
            "package_version": package_version(), "data": str(data), "settings": settings, "n_items": 0,
            "n_failed": 0, "failed": [], "notes": [], "metrics": []}


def add_metric(result: Dict[str, Any], name: str, key: str, value: float, n: int, variant: str = "base",
               paper: Optional[float] = None, paper_ref: Optional[str] = None, **extra) -> None:
    """Append one metric, with the paper's number for ``(task, variant, key)`` when it has one."""
    if paper is None:
        paper = PAPER.get(result["task"], {}).get(variant, {}).get(key)
    if paper is not None and paper_ref is None:
        paper_ref = f"{PAPER_REF.get(result['task'], '')}, Spirit LM {variant.capitalize()}"
    result["metrics"].append({"name": name, "key": key, "value": value, "n": n, **extra,
                              "paper": paper, "paper_ref": paper_ref})


def add_failures(result: Dict[str, Any], failures: List[Dict[str, Any]], max_listed: int = 50) -> None:
    """Record items excluded because their audio failed to decode (and say so in the notes)."""
    result["n_failed"] = len(failures)
    result["failed"] = failures[:max_listed]
    if failures:
        result["notes"].append(f"{len(failures)} item(s) whose audio failed to decode are excluded from every "
                               f"denominator (listed in 'failed'{', first %d' % max_listed if len(failures) > max_listed else ''}).")


def format_table(result: Dict[str, Any]) -> str:
    """A fixed-width table: metric, ours, the paper's, n."""
    rows = [("metric", "ours", "paper", "n")]
    for m in result["metrics"]:
        pct = m["name"] in ("accuracy",)
        fmt = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.1f}")
        ours = "nan" if m["value"] is None or m["value"] != m["value"] else fmt(m["value"])
        paper = "-" if m.get("paper") is None else fmt(m["paper"])
        rows.append((f"{m['name']} {m['key']}", ours, paper, str(m["n"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{result['task']} — {result['model']} (revision {result['model_revision']})"]
    for index, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("(accuracies and error rates in %)")
    lines.extend(f"note: {n}" for n in result.get("notes", []))
    return "\n".join(lines)


def write_result(result: Dict[str, Any], path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2, default=float)
        f.write("\n")


TASK_TYPES = {"swuggy": ("zero-shot-classification", "sWUGGY"), "sblimp": ("zero-shot-classification", "sBLIMP"),
              "storycloze": ("zero-shot-classification", "Spoken StoryCloze"),
              "topic-storycloze": ("zero-shot-classification", "Topic-StoryCloze"),
              "stsp": ("text-generation", "STSP"), "asr": ("automatic-speech-recognition", "LibriSpeech"),
              "tts": ("text-to-speech", "LibriSpeech"), "intent": ("audio-classification", "intent classification")}


def results_to_eval_results(results, dataset_type: Optional[str] = None, dataset_name: Optional[str] = None,
                            dataset_split: Optional[str] = None) -> List[Dict[str, Any]]:
    """Result JSON(s) (dicts or file paths) → ``eval_results`` dicts for ``hub_cards.render_model_card``.

    Accuracies are written in %, like error rates, as on the Hub's leaderboards.
    """
    if isinstance(results, (str, os.PathLike, dict)):
        results = [results]
    out = []
    for r in results:
        if not isinstance(r, dict):
            with open(r) as f:
                r = json.load(f)
        task_type, default_name = TASK_TYPES.get(r["task"], ("other", r["task"]))
        for m in r["metrics"]:
            if m["value"] is None or m["value"] != m["value"]:
                continue
            value = 100 * m["value"] if m["name"] == "accuracy" else m["value"]
            out.append({
                "task_type": task_type,
                "dataset_type": dataset_type or r["task"],
                "dataset_name": dataset_name or default_name,
                "dataset_split": dataset_split or r.get("settings", {}).get("split"),
                "metric_type": m["name"],
                "metric_name": f"{m['name']} ({m['key']})",
                "metric_value": round(float(value), 2),
                "metric_config": m["key"],
            })
    return out


__all__ = ["PAPER", "new_result", "add_metric", "add_failures", "format_table", "write_result",
           "results_to_eval_results", "model_revision", "package_version"]
