# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Official layouts (ZeroSpeech 2021 lexical/syntactic, spoken StoryCloze whole and split stories) built as tiny
fake folders, converted / auto-detected, and evaluated end to end on the tiny model; malformed metadata gives
errors naming the file and line."""

import csv
import json
from pathlib import Path

import pytest
import soundfile as sf

from recipes.tiny.models import build_tiny_spirit_lm
from recipes.eval import evaluate
from recipes.eval.data import ManifestError, read_manifest
from recipes.eval.official import available_modes, convert, detect_layout, main as convert_main, prepare
from recipes.eval.tiny_data import SR, synth

WORDS = [("w1", "brick", "blick"), ("w2", "apple", "apsle"), ("w3", "river", "rivel")]
SENTS = [("1", "agreement", "s1", "the cat sees the box", "the cat see the box"),
         ("2", "agreement", "s1", "two birds sing", "two birds sings")]
STORIES = [("5f2c-aa", "Tom sat by the lake. It was cold.", "He went home.", "He ate a chair."),
           ("9b1e-cc", "Ann found a map. She opened it.", "She saw a river.", "She is seven birds.")]
TSC_WRONG = ["The kite cooked soup.", "It rained fish."]


def wav(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), synth(text)[0], SR)


def write_csv(path: Path, header, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def lexical(root: Path, non_word_text=True) -> Path:
    """``root/lexical/dev``: gold.csv rows in a shuffled order (non-words first), two voices, opaque filenames."""
    d = root / "lexical" / "dev"
    rows = []
    for voice in ("Bob", "Alice"):
        for i, (pid, word, non) in enumerate(WORDS):
            rows.append([pid, f"nw{voice}{i}x", voice, "", non if non_word_text else "", "b l I k", "5", "0"])
            wav(d / f"nw{voice}{i}x.wav", non)
    for voice in ("Alice", "Bob"):
        for i, (pid, word, non) in enumerate(reversed(WORDS)):
            rows.append([pid, f"w{voice}{i}q", voice, str(10 * (i + 1)), word, "b r I k", "5", "1"])
            wav(d / f"w{voice}{i}q.wav", word)
    write_csv(d / "gold.csv", ["id", "filename", "voice", "frequency", "word", "phones", "length", "correct"], rows)
    return d


def syntactic(root: Path) -> Path:
    d = root / "syntactic" / "dev"
    rows = []
    for k, (pid, typ, sub, good, bad) in enumerate(SENTS):
        rows.append([f"g{k}", pid, "Bob", typ, sub, good, "1"])
        rows.append([f"b{k}", pid, "Bob", typ, sub, bad, "0"])
        wav(d / f"g{k}.wav", good)
        wav(d / f"b{k}.wav", bad)
    # columns in another order than the lexical file: the header decides
    write_csv(d / "gold.csv", ["filename", "id", "voice", "type", "subtype", "transcription", "correct"], rows)
    return d


def storycloze_csv(path: Path) -> Path:
    rows = []
    for k, (sid, ctx, right, wrong) in enumerate(STORIES):
        s = ctx.split(". ")
        s = [x if x.endswith(".") else x + "." for x in s] + ["", ""]
        answer = "1" if k % 2 == 0 else "2"
        quiz = (right, wrong) if answer == "1" else (wrong, right)
        rows.append([sid, s[0], s[1], s[2], s[3], quiz[0], quiz[1], answer])
    return write_csv(path, ["InputStoryid", "InputSentence1", "InputSentence2", "InputSentence3", "InputSentence4",
                            "RandomFifthSentenceQuiz1", "RandomFifthSentenceQuiz2", "AnswerRightEnding"], rows)


def whole_stories(d: Path, topic=False, with_csv=True) -> Path:
    """The slp-rl release: ``<2k>_<storyid>_correct.wav`` and ``<2k+1>_<storyid>_incorrect.wav`` (whole stories)."""
    for k, (sid, ctx, right, wrong) in enumerate(STORIES):
        wav(d / f"{2 * k}_{sid}_correct.wav", f"{ctx} {right}")
        wav(d / f"{2 * k + 1}_{sid}_incorrect.wav", f"{ctx} {TSC_WRONG[k] if topic else wrong}")
    if with_csv:
        storycloze_csv(d / "cloze_test_test__spring2016.csv")
    return d


def split_stories(d: Path) -> Path:
    """slamkit's cross-modal layout: ``<base>_mutual/_correct/_incorrect.wav`` + ``.txt``, in sub-folders."""
    for k, (sid, ctx, right, wrong) in enumerate(STORIES):
        for side, text in (("mutual", ctx), ("correct", right), ("incorrect", wrong)):
            wav(d / f"part{k}" / f"{k}_{side}.wav", text)
            (d / f"part{k}" / f"{k}_{side}.txt").write_text(text + "\n")
    return d


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    from recipes.eval.common import load_spirit

    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("offm") / "tiny"), "base")
    return load_spirit(path, device="cpu")[0]


# --------------------------------------------------------------------------------------------------- conversion
def test_lexical_pairs_match_on_id_and_voice(tmp_path):
    d = lexical(tmp_path)
    for src in (tmp_path, tmp_path / "lexical", d, d / "gold.csv"):  # root, task folder, split folder, gold.csv
        assert detect_layout(src, "swuggy") == ("zerospeech", (d / "gold.csv"))
    records = convert("swuggy", tmp_path)
    assert len(records) == 6
    by = {(r["pair_id"], r["voice"]): r for r in records}
    for voice in ("Alice", "Bob"):
        for i, (pid, word, non) in enumerate(WORDS):
            r = by[(pid, voice)]
            assert (r["good_text"], r["bad_text"]) == (word, non)
            # the audio really is that word / non-word (files named opaquely, matched through gold.csv)
            assert sf.read(r["good_audio"])[0].shape == synth(word)[0].shape
            assert Path(r["bad_audio"]).name == f"nw{voice}{i}x.wav"
            assert Path(r["good_audio"]).parent == d and Path(r["good_audio"]).is_absolute()
            assert r["_src"].endswith("gold.csv") and r["_line"] > 7 and r["_bad_line"] <= 7
    assert available_modes("swuggy", records) == ["T", "S"]


def test_syntactic_and_task_mismatch(tmp_path):
    syntactic(tmp_path)
    records = convert("sblimp", tmp_path)
    assert [(r["good_text"], r["bad_text"], r["type"]) for r in records] == [(g, b, t) for _, t, _, g, b in SENTS]
    assert Path(records[1]["bad_audio"]).name == "b1.wav"
    with pytest.raises(ManifestError, match=r"gold\.csv:1: this is a ZeroSpeech syntactic"):
        convert("swuggy", tmp_path / "syntactic" / "dev" / "gold.csv")
    with pytest.raises(ManifestError, match="no official layout found for swuggy"):
        convert("swuggy", tmp_path)
    lexical(tmp_path)
    with pytest.raises(ManifestError, match="both lexical/ and syntactic/"):
        read_manifest(tmp_path)


def test_story_layouts_and_text(tmp_path):
    ssc = convert("storycloze", whole_stories(tmp_path / "sSC"))
    assert [r["id"] for r in ssc] == [s[0] for s in STORIES]
    for r, (sid, ctx, right, wrong) in zip(ssc, STORIES):
        assert (r["context_text"], r["good_text"], r["bad_text"]) == (ctx, right, wrong)
        assert Path(r["good_audio"]).name.endswith(f"{sid}_correct.wav") and r["whole_recording"]
        assert "context_audio" not in r
    assert available_modes("storycloze", ssc) == ["T", "S"]
    tsc = convert("topic-storycloze", whole_stories(tmp_path / "tSC", topic=True))
    assert all("bad_text" not in r for r in tsc)  # tSC's wrong ending is another story's: no text
    assert available_modes("topic-storycloze", tsc) == ["S"]
    assert available_modes("storycloze", convert("storycloze", whole_stories(tmp_path / "noText", with_csv=False))) \
        == ["S"]
    split = convert("storycloze", split_stories(tmp_path / "ms"))
    assert [(r["id"], r["context_text"], r["good_text"], r["bad_text"]) for r in split] == \
        [(f"part{k}/{k}", c, g, b) for k, (_, c, g, b) in enumerate(STORIES)]
    assert available_modes("storycloze", split) == ["T", "S", "T>S", "S>T"]


# ---------------------------------------------------------------------------------------------------- end to end
def test_swuggy_folder_end_to_end_equals_manual_manifest(pipe, tmp_path):
    lexical(tmp_path)
    result = evaluate("swuggy", pipe, str(tmp_path / "lexical"), modes="T,S", progress=False, save_items=True)
    assert result["n_items"] == 6 and result["n_failed"] == 0
    # the same pairs written by hand as a manifest score identically, item by item
    manual = tmp_path / "manual.jsonl"
    d = tmp_path / "lexical" / "dev"
    with open(manual, "w") as f:
        for voice in ("Bob", "Alice"):
            for i, (pid, word, non) in enumerate(WORDS):
                j = len(WORDS) - 1 - i
                f.write(json.dumps({"id": f"{pid}/{voice}", "good_text": word, "bad_text": non,
                                    "good_audio": str(d / f"w{voice}{j}q.wav"),
                                    "bad_audio": str(d / f"nw{voice}{i}x.wav")}) + "\n")
    ref = evaluate("swuggy", pipe, str(manual), modes="T,S", progress=False, save_items=True)
    got = {i["id"]: i for i in result["items"]}
    for item in ref["items"]:
        for mode in ("T", "S"):
            for side in ("good", "bad"):
                assert got[item["id"]][mode][side]["sum"] == pytest.approx(item[mode][side]["sum"], abs=1e-5)
    assert [m["value"] for m in result["metrics"]] == pytest.approx([m["value"] for m in ref["metrics"]])


def test_cli_sblimp_and_storycloze_folders(pipe, tmp_path, monkeypatch, capsys):
    from recipes.eval import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("recipes.eval.common.load_spirit", lambda model, device=None: (pipe, "tiny"))
    monkeypatch.setattr("recipes.eval.zero_shot.load_spirit", lambda model, device=None: (pipe, "tiny"))
    syntactic(tmp_path / "zr2021")
    assert cli.main(["sblimp", "--model", "tiny", "--data", str(tmp_path / "zr2021"), "--output", "r.json",
                     "--no-progress"]) == 0
    out = json.loads(Path("r.json").read_text())
    assert out["n_items"] == 2 and {m["key"] for m in out["metrics"]} == {"T/sum", "T/mean", "S/sum", "S/mean"}
    assert any("converted from the official layout" in n for n in out["notes"])
    assert Path(out["data"]).resolve().parent == tmp_path / "out" / "eval-official"

    ssc = whole_stories(tmp_path / "sSC")
    assert cli.main(["storycloze", "--model", "tiny", "--data", str(ssc), "--output", "s.json", "--no-progress"]) == 0
    out = json.loads(Path("s.json").read_text())
    assert [m["key"] for m in out["metrics"]] == ["T/sum", "T/mean", "S/sum", "S/mean"] and out["n_items"] == 2
    # the split layout runs every mode
    result = evaluate("topic-storycloze", pipe, str(split_stories(tmp_path / "ms")), progress=False)
    assert [m["key"] for m in result["metrics"][::2]] == ["T/sum", "S/sum", "T>S/sum", "S>T/sum"]
    # tSC in T mode: a clear refusal at the file it came from
    tsc = whole_stories(tmp_path / "tSC", topic=True)
    assert cli.main(["topic-storycloze", "--model", "tiny", "--data", str(tsc), "--modes", "T"]) == 1
    err = capsys.readouterr().err
    assert "cloze_test_test__spring2016.csv:2: missing ['bad_text']" in err and "tSC's wrong ending" in err


def test_convert_command(tmp_path, capsys):
    whole_stories(tmp_path / "sSC", with_csv=False)
    text = storycloze_csv(tmp_path / "elsewhere.csv")
    out = tmp_path / "m" / "ssc.jsonl"
    assert convert_main(["storycloze", str(tmp_path / "sSC"), str(out), "--text", str(text)]) == 0
    assert "2 pairs; modes the data supports: T,S" in capsys.readouterr().out
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["bad_text"] == STORIES[0][3] and lines[0]["source"].endswith("elsewhere.csv:2")
    assert read_manifest(out, required=("good_audio", "bad_text"))[1]["id"] == STORIES[1][0]


# ------------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows[3].__setitem__(-1, "yes"), r"gold\.csv:4: 'correct' must be 1 or 0, got 'yes'"),
    (lambda rows: rows.__delitem__(2), r"gold\.csv:\d+: no incorrect partner for \{'id': 'w2', 'voice': 'Bob'\}"),
    (lambda rows: rows[4].pop(), r"gold\.csv:5: 7 field\(s\), the header has 8"),
    (lambda rows: rows[1].__setitem__(1, "missing"), r"gold\.csv:2: audio .*missing\.wav not found"),
    (lambda rows: rows.insert(2, list(rows[1])), r"gold\.csv:3: a second incorrect row .* \(the first is line 2\)"),
    (lambda rows: rows[0].__setitem__(0, "words"), r"gold\.csv:1: header lacks column\(s\) \['id'\]"),
])
def test_malformed_gold_csv(tmp_path, edit, message):
    d = lexical(tmp_path)
    rows = list(csv.reader(open(d / "gold.csv")))
    edit(rows)
    with open(d / "gold.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    with pytest.raises(ManifestError, match=message):
        convert("swuggy", d)


def test_malformed_story_metadata(tmp_path):
    d = whole_stories(tmp_path / "a")
    p = d / "cloze_test_test__spring2016.csv"
    p.write_text(p.read_text().replace(",1\n", ",3\n", 1))
    with pytest.raises(ManifestError, match=r"spring2016\.csv:2: AnswerRightEnding must be 1 or 2, got '3'"):
        convert("storycloze", d)
    d = whole_stories(tmp_path / "b")
    (d / f"3_{STORIES[1][0]}_incorrect.wav").unlink()
    with pytest.raises(ManifestError, match=r"2_9b1e-cc_correct\.wav: no matching incorrect file"):
        convert("storycloze", d)
    d = whole_stories(tmp_path / "c")
    (d / f"3_{STORIES[1][0]}_incorrect.wav").rename(d / f"7_{STORIES[1][0]}_incorrect.wav")
    with pytest.raises(ManifestError, match=r"7_9b1e-cc_incorrect\.wav: numbered 7"):
        convert("storycloze", d)
    d = whole_stories(tmp_path / "d")
    wav(d / "4_zzz_correct.wav", "x")
    wav(d / "5_zzz_incorrect.wav", "y")
    with pytest.raises(ManifestError, match=r"4_zzz_correct\.wav: story id 'zzz' is not in .*spring2016\.csv"):
        convert("storycloze", d)
    # non-words without a spelling (only phones): T mode refused at the non-word's line, S mode runs
    lexical(tmp_path / "e", non_word_text=False)
    with pytest.raises(ManifestError, match=r"gold\.csv:2: missing \['bad_text'\].*no spelling for the non-word"):
        prepare("swuggy", tmp_path / "e", modes="T", out=tmp_path / "x.jsonl")
    assert prepare("swuggy", tmp_path / "e", out=tmp_path / "x.jsonl")[1] == ["S"]
    with pytest.raises(ManifestError, match="is neither a folder nor a gold.csv"):
        convert("sblimp", tmp_path / "nothing")


def test_manifest_modules_import_downward_without_a_cycle():
    """data -> official -> (errors, zero_shot_modes) and zero_shot -> data, zero_shot_modes: the official converter
    imports neither the reader nor the evaluator, and none of them hides a project import inside a function."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "recipes" / "eval"
    imports = {}
    for name in ("data", "official", "zero_shot", "zero_shot_modes", "errors"):
        tree = ast.parse((root / f"{name}.py").read_text())
        top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 1}
        nested = [n.module for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)
                  if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").split(".")[0] in
                                                         ("recipes", "processing", "modeling_spirit", "hub_cards"))]
        assert not nested, (name, nested)
        imports[name] = top
    assert imports["official"] == {"errors", "zero_shot_modes"}
    assert imports["zero_shot_modes"] == imports["errors"] == set()
    assert {"errors", "official"} <= imports["data"] and "zero_shot" not in imports["data"]
    assert {"data", "zero_shot_modes"} <= imports["zero_shot"]
