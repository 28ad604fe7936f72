# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""processing.interleave: unit-string rules on cut spans, word-aligned interleaving, task formats, bad rows, mixtures,
packing, and the tokenizer's view of the result."""

import random
import re

import pytest

datasets = pytest.importorskip("datasets")
from datasets import Dataset  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from modeling_spirit.units import units_to_string  # noqa: E402
from processing import interleave as il  # noqa: E402


def _row(seconds=12.0, n_words=40, seed=0, expressive=True, fingerprint="base-0123456789abcdef"):
    """A synthetic encoded, aligned row: HuBERT unit k is k % 500 (so a unit tells its frame), runs of 2 for dedup."""
    rng = random.Random(seed)
    n_hu = int(seconds * 25) - 1
    row = {"hubert": [(k // 2) % 500 for k in range(n_hu)], "audio_duration": seconds,
           "speech_tokenizer": fingerprint}
    if expressive:
        row["pitch"] = [rng.randrange(3) for _ in range(int(seconds * 12.5))]
        row["style"] = [rng.randrange(100) for _ in range(int(seconds) + 1)]
    step = (seconds - 0.5) / n_words
    row["words"] = [{"word": f"w{i}", "start": 0.25 + i * step, "end": 0.25 + i * step + 0.8 * step} for i in range(n_words)]
    row["text"] = " ".join(w["word"] for w in row["words"])
    return row


def _segments(seq):
    return re.findall(r"(\[Text\]|\[Speech\])((?:(?!\[Text\]|\[Speech\]).)*)", seq)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=80), st.lists(st.integers(0, 2), max_size=40), st.lists(st.integers(0, 99), max_size=5))
def test_merge_from_zero_equals_units_to_string(hu, pi, stl):
    units = {"hubert": hu, "pitch": pi, "style": stl}
    assert il.merge_unit_streams({k: (0, v) for k, v in units.items()}) == units_to_string(units)


def test_speech_only_asr_tts_formats():
    row = _row()
    units = units_to_string({"hubert": row["hubert"]})
    assert il.speech_only_sequence(row, "base") == "[Speech]" + units
    assert il.speech_only_sequence(row, "expressive") == "[Speech]" + units_to_string(row)
    assert il.asr_sequence(row, "base") == "[Speech]" + units + "[Text]" + row["text"]
    assert il.tts_sequence(row, "base") == "[Text]" + row["text"] + "[Speech]" + units
    assert il.text_only_sequence({"text": "Hello there."}) == "[Text]Hello there."


def test_cuts_partition_frames_and_follow_time():
    row = _row(seconds=10.0)
    bounds = [0.0, 1.3, 2.71, 5.0, 7.77, 10.0]
    for key in ("hubert", "pitch"):
        frames = []
        for a, b in zip(bounds, bounds[1:]):
            lo, vals = il.cut_streams(row, a, b, (key,))[key]
            frames.extend(range(lo, lo + len(vals)))
            rate = il.FRAME_RATES[key]
            assert all(a <= (k + 0.5) / rate < b for k in range(lo, lo + len(vals)))
        assert frames == list(range(len(row[key])))
    # a short span still gets one style unit (the one under its midpoint)
    lo, vals = il.cut_streams(row, 3.1, 3.4, ("style",))["style"]
    assert (lo, vals) == (3, row["style"][3:4])
    # absolute times keep streams in order: a span starting at 2.0 s starts with St2, then Pi25, then Hu50
    s = il.speech_span_string(row, 2.0, 3.0, "expressive")
    assert s.startswith(f"[St{row['style'][2]}][Pi{row['pitch'][25]}][Hu{row['hubert'][50]}]")


def test_interleaved_structure_and_reproducibility():
    row = _row(n_words=120, seconds=40.0)
    seen_starts = set()
    for seed in range(12):
        seq = il.interleaved_sequence(row, "base", random.Random(seed))
        segs = _segments(seq)
        assert "".join(m + c for m, c in segs) == seq
        assert all(a[0] != b[0] for a, b in zip(segs, segs[1:]))  # markers only at modality changes
        seen_starts.add(segs[0][0])
        words = []
        for k, (marker, content) in enumerate(segs):
            last = k == len(segs) - 1
            if marker == "[Text]":
                ws = content.split(" ")
                assert last or 10 <= len(ws) <= 30
                words.extend(ws)
            else:
                assert re.fullmatch(r"(\[Hu\d+\])+", content)
        # the text words appear in order and the speech spans sit in the gaps
        idx = [int(w[1:]) for w in words]
        assert idx == sorted(idx)
    assert seen_starts == {"[Text]", "[Speech]"}
    a = il.interleaved_sequence(row, "expressive", random.Random(5))
    assert a == il.interleaved_sequence(row, "expressive", random.Random(5))
    assert "[Pi" in a and "[St" in a


def test_one_speech_span_is_the_whole_utterance():
    row = _row()
    seq = il.interleaved_sequence(row, "expressive", random.Random(0), speech_span_words=(1000, 1000),
                                  start_modality="speech")
    assert seq == il.speech_only_sequence(row, "expressive")
    seq = il.interleaved_sequence(row, "base", random.Random(0), text_span_words=(1000, 1000), start_modality="text")
    assert seq == "[Text]" + row["text"]


def test_speech_span_units_match_word_times():
    row = _row(seconds=20.0, n_words=40)
    seq = il.interleaved_sequence(row, "base", random.Random(1), start_modality="text", text_span_words=(10, 10),
                                  speech_span_words=(5, 5), space_after_marker=True)
    segs = _segments(seq)
    assert segs[0] == ("[Text]", " ".join(f"w{i}" for i in range(10)))
    assert segs[2][1].startswith(" w15 ")
    first_hu = int(re.match(r"\[Hu(\d+)\]", segs[1][1]).group(1))
    w = row["words"]
    cut = (w[9]["end"] + w[10]["start"]) / 2
    assert first_hu == row["hubert"][round(cut * 25)]


def test_dataset_builder_counts_bad_rows(caplog):
    good = _row()
    no_words = dict(_row(seed=1), words=[])
    past = _row(seed=2)
    past["words"] = past["words"] + [{"word": "late", "start": 11.9, "end": 13.5}]
    backwards = _row(seed=3)
    backwards["words"] = [{"word": "a", "start": 2.0, "end": 1.0}]
    empty_text = dict(_row(seed=4), text="  ")
    no_units = dict(_row(seed=5), hubert=[])
    rows = [good, no_words, past, backwards, empty_text, no_units]
    ds = Dataset.from_list(rows)
    with caplog.at_level("WARNING"):
        out, rep = il.build_training_texts(ds, "interleaved", "base", seed=0, return_report=True)
    assert rep["num_rows"] == 6 and rep["num_sequences"] == 2 and rep["num_skipped"] == 4
    assert rep["skipped_by_reason"] == {"no_alignment": 1, "alignment_past_audio": 1, "bad_alignment": 1, "no_units": 1}
    assert rep["skipped_indices"]["alignment_past_audio"] == [2]
    assert "skipped 4 of 6 rows" in caplog.text
    out2 = il.build_training_texts(ds, "interleaved", "base", seed=0)
    assert out["text"] == out2["text"]  # reproducible
    _, rep = il.build_training_texts(ds, "asr", "base", return_report=True)
    assert rep["skipped_by_reason"] == {"empty_transcript": 1, "no_units": 1}
    text_ds = Dataset.from_dict({"text": ["One.", "", "Two."]})
    out, rep = il.build_training_texts(text_ds, "text", return_report=True)
    assert out["text"] == ["[Text]One.", "[Text]Two."] and rep["skipped_by_reason"] == {"empty_transcript": 1}


def test_dataset_level_errors():
    base_only = Dataset.from_list([_row(expressive=False)])
    with pytest.raises(ValueError, match="needs unit columns \\['pitch', 'style'\\].*base speech tokenizer"):
        il.build_training_texts(base_only, "speech", "expressive")
    with pytest.raises(ValueError, match="needs word alignments in a 'words' column"):
        il.build_training_texts(base_only.remove_columns("words"), "interleaved")
    with pytest.raises(ValueError) as err:
        il.build_training_texts(base_only, "speech", expected_speech_tokenizer="base-fedcba9876543210")
    assert "base-0123456789abcdef" in str(err.value) and "base-fedcba9876543210" in str(err.value)
    out = il.build_training_texts(base_only, "speech", expected_speech_tokenizer="base-0123456789abcdef",
                                  keep_columns=["audio_duration"])
    assert out.column_names == ["audio_duration", "text"]


def test_mixture_is_seeded_and_weighted():
    a = Dataset.from_dict({"text": [f"a{i}" for i in range(300)]})
    b = Dataset.from_dict({"text": [f"b{i}" for i in range(300)]})
    c = Dataset.from_dict({"text": [f"c{i}" for i in range(300)], "other": list(range(300))})
    m1 = il.mix_sources({"a": a, "b": b, "c": c}, {"a": 2, "b": 1, "c": 1}, seed=3, stopping_strategy="first_exhausted")
    m2 = il.mix_sources({"a": a, "b": b, "c": c}, {"a": 2, "b": 1, "c": 1}, seed=3, stopping_strategy="first_exhausted")
    assert m1["text"] == m2["text"] and m1.column_names == ["text", "source"]
    counts = {s: m1["source"].count(s) for s in "abc"}
    assert counts["a"] > 1.5 * counts["b"] and counts["a"] > 1.5 * counts["c"]
    assert il.mix_sources({"a": a, "b": b}, seed=4)["text"] != il.mix_sources({"a": a, "b": b}, seed=5)["text"]
    with pytest.raises(ValueError, match="missing \\['c'\\]"):
        il.mix_sources({"a": a, "b": b, "c": c}, {"a": 1, "b": 1})


@pytest.fixture(scope="module")
def expressive_tokenizer(tmp_path_factory):
    from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
    from recipes.tiny.models import build_tiny_tokenizer, tiny_config_kwargs

    config = SpiritLMConfig(**tiny_config_kwargs("expressive"))
    tok = build_tiny_tokenizer(config, str(tmp_path_factory.mktemp("tok")))
    return config, tok


def test_tokenized_sequence_holds_the_span_units(expressive_tokenizer):
    config, tok = expressive_tokenizer
    row = _row(seconds=16.0, n_words=30)
    seq = il.interleaved_sequence(row, "expressive", random.Random(2), start_modality="speech")
    ids = tok(seq)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == seq
    # the speech tokens between markers are exactly the span's unit tokens, by id
    first_speech = _segments(seq)[0][1]
    span_ids = []
    for i in ids[ids.index(config.speech_marker_id) + 1:]:
        if config.is_marker_id(i):
            break
        span_ids.append(i)
    pairs = [config.id_to_unit(i) for i in span_ids]
    assert "".join(f"[{ {'hubert': 'Hu', 'pitch': 'Pi', 'style': 'St'}[s]}{u}]" for s, u in pairs) == first_speech


def test_pack_sequences(expressive_tokenizer):
    _, tok = expressive_tokenizer
    ds = Dataset.from_dict({"text": ["[Text]the cat sees the red box.", "[Speech][Hu1][Hu2][Pi3]", "[Text]a"]})
    packed = il.pack_sequences(ds, tok, max_length=8)
    flat = [i for block in packed["input_ids"] for i in block]
    expected = []
    for t in ds["text"]:
        expected += tok(t)["input_ids"] + [tok.eos_token_id]
    assert flat == expected and all(len(b) == 8 for b in packed["input_ids"][:-1])
    assert all(len(b) == 8 for b in il.pack_sequences(ds, tok, 8, drop_last=True)["input_ids"])


def test_cli(tmp_path, capsys):
    ds = Dataset.from_list([_row(), dict(_row(seed=1), words=[])])
    ds.save_to_disk(tmp_path / "enc")
    out = tmp_path / "seqs.jsonl"
    assert il.main(["--input", str(tmp_path / "enc"), "--kind", "interleaved", "--variant", "expressive",
                    "--output", str(out)]) == 0
    assert "1 interleaved sequences from 2 rows" in capsys.readouterr().out
    assert out.read_text().count("\n") == 1


def test_invalid_units_are_refused_where_training_text_is_built():
    """Issue 20 #6: units outside the codebooks (or not integers) never reach training text."""
    with pytest.raises(il.InvalidUnitsError, match=r"`hubert` unit at position 0 is -1.*integers 0\.\.500"):
        il.speech_only_sequence({"hubert": [-1, 3, 600]})
    with pytest.raises(il.InvalidUnitsError, match=r"`hubert` unit at position 1 is 600.*501 entries"):
        il.speech_only_sequence({"hubert": [3, 600]})
    assert il.speech_only_sequence({"hubert": [3, 600]}, stream_sizes={"hubert": 1000}) == "[Speech][Hu3][Hu600]"
    assert il.speech_only_sequence({"hubert": [0, 500]}) == "[Speech][Hu0][Hu500]"  # 500 is the blank
    row = _row()
    for stream, bad in (("pitch", 64), ("style", 100), ("pitch", -2)):
        with pytest.raises(il.InvalidUnitsError, match=f"`{stream}` unit at position 0 is {bad}"):
            il.speech_only_sequence(dict(row, **{stream: [bad] + row[stream][1:]}), "expressive")
    assert il.speech_only_sequence(dict(row, pitch=[64]), "base").startswith("[Speech][Hu0]")  # pitch unused
    for bad, what in (([1.5], "1.5"), ([True], "True"), (["7"], "'7'"), ([[1, 2]], r"\[1, 2\]")):
        with pytest.raises(il.InvalidUnitsError, match=f"position 0 is {what}"):
            il.speech_only_sequence({"hubert": bad})
    with pytest.raises(il.InvalidUnitsError, match="must be a list.*got a str"):
        il.speech_only_sequence({"hubert": "12 13"})
    for build in (lambda r: il.asr_sequence(r), lambda r: il.tts_sequence(r),
                  lambda r: il.interleaved_sequence(r, "base", random.Random(0))):
        with pytest.raises(il.InvalidUnitsError, match="600"):
            build(dict(row, hubert=row["hubert"][:-1] + [600]))
    with pytest.raises(il.InvalidUnitsError, match="-1"):
        il.merge_unit_streams({"hubert": (0, [1, -1])})
    with pytest.raises(ValueError, match="stream_sizes"):
        il.speech_only_sequence({"hubert": [1]}, stream_sizes={"hubert": 0})


def test_dataset_with_invalid_units_names_the_row_and_writes_nothing(tmp_path, capsys):
    rows = [_row(), _row(seed=1), _row(seed=2)]
    rows[1]["hubert"] = rows[1]["hubert"][:5] + [-1] + rows[1]["hubert"][6:]
    ds = Dataset.from_list(rows)
    for kind in ("speech", "interleaved", "asr", "tts"):
        with pytest.raises(il.InvalidUnitsError, match=r"Row 1 of the dataset: `hubert` unit at position 5 is -1"):
            il.build_training_texts(ds, kind, "base")
    rows[1]["hubert"][5] = 700
    ds = Dataset.from_list(rows)
    assert len(il.build_training_texts(ds, "speech", "base", stream_sizes={"hubert": 1024})) == 3
    ds.save_to_disk(tmp_path / "enc")
    out = tmp_path / "seqs.jsonl"
    assert il.main(["--input", str(tmp_path / "enc"), "--kind", "speech", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error: Row 1 of the dataset: `hubert` unit at position 5 is 700" in err and "Traceback" not in err
    assert not out.exists()


def test_codebook_sizes_of_a_model(tmp_path):
    from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
    from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig
    from recipes.tiny.models import tiny_config_kwargs

    config = SpiritLMConfig(**tiny_config_kwargs("expressive"))
    config.save_pretrained(tmp_path / "lm")
    assert il.codebook_sizes(tmp_path / "lm") == config.stream_sizes == il.codebook_sizes(config)
    st = SpiritLMSpeechTokenizerConfig(variant="expressive")
    st.save_pretrained(tmp_path / "st")
    assert il.codebook_sizes(str(tmp_path / "st")) == {"hubert": 501, "pitch": 64, "style": 100}
    with pytest.raises(ValueError, match="no config.json"):
        il.codebook_sizes(tmp_path)
