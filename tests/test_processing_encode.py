# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""processing.encode_units: batched dataset encoding, bad rows, shards on disk, resume, identity checks, CLI."""

import json
import os

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")
datasets = pytest.importorskip("datasets")
pytest.importorskip("torchcodec")

from datasets import Audio, Dataset  # noqa: E402

from recipes.tiny.models import build_tiny_speech_tokenizer  # noqa: E402
from modeling_spirit.units import units_to_string  # noqa: E402
from processing import encode_units as eu  # noqa: E402


def _noise(seconds, sr=16000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return (0.2 * np.sin(2 * np.pi * 180 * t) + 0.05 * rng.standard_normal(t.shape)).astype(np.float32)


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("st") / "speech_tokenizer"
    build_tiny_speech_tokenizer(str(d), "base", seed=0)
    return d


@pytest.fixture(scope="module")
def tok(tok_dir):
    return eu.load_speech_tokenizer(str(tok_dir))


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    files = []
    for i, (sec, sr) in enumerate([(1.0, 16000), (0.6, 16000), (1.5, 22050), (0.9, 8000), (1.2, 16000)]):
        p = d / f"utt{i}.wav"
        sf.write(p, _noise(sec, sr, seed=i), sr)
        files.append(p)
    (d / "corrupt.wav").write_bytes(b"RIFF....this is not audio")
    sf.write(d / "short.wav", np.zeros(600, np.float32), 16000)  # < 80 ms: no units
    return d, files


def _dataset(files, extra=()):
    ds = Dataset.from_dict({"audio": [str(p) for p in list(files) + list(extra)],
                            "id": list(range(len(files) + len(extra)))})
    return ds.cast_column("audio", Audio())


def test_batched_encoding_equals_one_by_one(tok, audio_dir):
    _, files = audio_dir
    enc, report = eu.encode_dataset(_dataset(files), tok, batch_size=3, return_report=True)
    assert report["num_skipped"] == 0 and report["num_encoded"] == len(files) == len(enc)
    assert set(enc.column_names) == {"id", "hubert", "unit_string", "audio_duration", "speech_tokenizer"}
    feature = Audio(sampling_rate=16000)
    for row, path in zip(enc, files):
        wav = feature.decode_example({"path": str(path), "bytes": None})["array"]  # datasets' resampling
        ref = tok.encode_units(np.asarray(wav, dtype=np.float32))
        assert row["hubert"] == ref["hubert"] and len(row["hubert"]) > 0
        assert row["unit_string"] == units_to_string(ref)
        assert row["audio_duration"] == pytest.approx(len(wav) / 16000, abs=1e-4)
    assert set(enc["speech_tokenizer"]) == {eu.speech_tokenizer_fingerprint(tok)["fingerprint"]}
    assert report["audio_seconds"] == pytest.approx(sum(enc["audio_duration"]), rel=1e-5)


def test_bad_rows_are_counted_and_reported(tok, audio_dir, caplog):
    d, files = audio_dir
    ds = _dataset(files[:2], extra=[d / "corrupt.wav", d / "missing.wav", d / "short.wav"])
    with caplog.at_level("WARNING"):
        enc, report = eu.encode_dataset(ds, tok, batch_size=4, return_report=True)
    assert len(enc) == 2 and enc["id"] == [0, 1]
    assert report["num_skipped"] == 3 and report["num_rows"] == 5
    assert [s["index"] for s in report["skipped"]] == [2, 3, 4]
    assert report["skipped"][0]["path"].endswith("corrupt.wav")
    assert "80 ms" in report["skipped"][2]["error"]
    assert "Skipped 3 of 5 rows" in caplog.text
    kept = eu.encode_dataset(ds, tok, batch_size=4, keep_failed=True, keep_audio=True)
    assert len(kept) == 5 and kept["encode_error"][:2] == [None, None] and all(kept["encode_error"][2:])
    assert isinstance(kept.features["audio"], Audio) and kept.features["audio"].sampling_rate == 16000


def test_array_dicts_and_missing_audio(tok):
    good = _noise(0.7)
    ds = Dataset.from_dict({"audio": [{"array": good, "sampling_rate": 16000}, None]})
    enc, report = eu.encode_dataset(ds.cast_column("audio", Audio()), tok, return_report=True)
    assert len(enc) == 1 and report["num_skipped"] == 1 and "missing" in report["skipped"][0]["error"]
    assert enc[0]["hubert"] == tok.encode_units(good)["hubert"]  # 16-bit wav round trip keeps the units here


def test_refuses_already_encoded_and_missing_column(tok, audio_dir):
    _, files = audio_dir
    enc = eu.encode_dataset(_dataset(files[:1]), tok, keep_audio=True)
    with pytest.raises(ValueError, match="already has a 'hubert' column"):
        eu.encode_dataset(enc, tok)
    with pytest.raises(ValueError, match="no column 'speech'"):
        eu.encode_dataset(_dataset(files[:1]), tok, audio_column="speech")


def test_fingerprint_stable_and_distinct(tok, tok_dir, tmp_path):
    fp = eu.speech_tokenizer_fingerprint(tok)
    tok.save_pretrained(tmp_path / "copy")
    assert eu.speech_tokenizer_fingerprint(eu.load_speech_tokenizer(str(tmp_path / "copy")))["fingerprint"] == fp["fingerprint"]
    other = build_tiny_speech_tokenizer(str(tmp_path / "other"), "base", seed=1)
    assert eu.speech_tokenizer_fingerprint(other)["fingerprint"] != fp["fingerprint"]


def test_shards_resume_load_and_identity(tok, audio_dir, tmp_path):
    _, files = audio_dir
    ds = _dataset(files)
    out = tmp_path / "units"
    metas = [eu.encode_to_disk(ds, tok, str(out), num_shards=2, shard_index=i, batch_size=2) for i in (1, 0)]
    assert [m["rows"] for m in metas] == [[3, 5], [0, 3]]
    shard1 = out / eu.shard_dirname(1, 2)
    assert json.loads((shard1 / eu.METADATA_FILE).read_text())["status"] == "complete"
    stamp = os.path.getmtime(shard1 / eu.METADATA_FILE)
    again = eu.encode_to_disk(ds, tok, str(out), num_shards=2, shard_index=1)
    assert again["status"] == "skipped-complete" and os.path.getmtime(shard1 / eu.METADATA_FILE) == stamp
    full = eu.load_encoded_dataset(str(out), expected_speech_tokenizer=tok)
    ref = eu.encode_dataset(ds, tok, batch_size=5)
    assert full["id"] == ref["id"] and full["hubert"] == ref["hubert"]
    # A different speech tokenizer: refused for the same output folder, and by the identity check, naming both.
    other = build_tiny_speech_tokenizer(str(tmp_path / "other"), "base", seed=1)
    with pytest.raises(ValueError, match="was encoded with speech tokenizer"):
        eu.encode_to_disk(ds, other, str(out), num_shards=2, shard_index=0)
    fp_other = eu.speech_tokenizer_fingerprint(other)["fingerprint"]
    with pytest.raises(ValueError) as err:
        eu.check_speech_tokenizer(full, str(tmp_path / "other"))
    assert fp_other in str(err.value) and full[0]["speech_tokenizer"] in str(err.value)


def test_missing_shard_is_named(tok, audio_dir, tmp_path):
    _, files = audio_dir
    eu.encode_to_disk(_dataset(files), tok, str(tmp_path), num_shards=3, shard_index=0)
    with pytest.raises(ValueError, match=r"missing 2 of 3 shards \(indices \[1, 2\]"):
        eu.load_encoded_dataset(str(tmp_path))
    assert len(eu.load_encoded_dataset(str(tmp_path), allow_partial=True)) == 2


def test_shard_bounds_match_datasets():
    ds = Dataset.from_dict({"i": list(range(23))})
    for n in (1, 4, 7):
        for k in range(n):
            lo, hi = eu.shard_bounds(len(ds), n, k)
            assert ds.shard(n, k, contiguous=True)["i"] == list(range(lo, hi))


def test_auto_shards_from_environment(monkeypatch):
    for k in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(k, raising=False)
    assert eu._auto_shards("auto", "auto") == (1, 0)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert eu._auto_shards("auto", "auto") == (8, 3)
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "11")
    monkeypatch.setenv("SLURM_ARRAY_TASK_MIN", "10")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "4")
    assert eu._auto_shards("auto", "auto") == (4, 1)
    assert eu._auto_shards("2", "auto") == (2, 1)


def test_cli_audiofolder_and_jsonl(tok_dir, audio_dir, tmp_path, capsys):
    d, files = audio_dir
    folder = tmp_path / "folder"
    folder.mkdir()
    for p in files[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "metadata.csv").write_text("file_name,transcript\n" + "".join(f"{p.name},hello {i}\n" for i, p in enumerate(files[:3])))
    out = tmp_path / "out"
    argv = ["--dataset", str(folder), "--speech-tokenizer", str(tok_dir), "--output-dir", str(out), "--batch-size", "2"]
    assert eu.main(argv) == 0
    ds = eu.load_encoded_dataset(str(out))
    assert sorted(ds["transcript"]) == ["hello 0", "hello 1", "hello 2"] and "audio" not in ds.column_names
    assert eu.main(argv) == 0
    assert "skipped-complete" in capsys.readouterr().out
    # jsonl with relative paths (resolved against the file's folder) and a corrupt row
    manifest = d / "manifest.jsonl"
    manifest.write_text("".join(json.dumps({"path": n, "text": n}) + "\n" for n in ["utt0.wav", "corrupt.wav", "utt4.wav"]))
    out2 = tmp_path / "out2"
    assert eu.main(["--dataset", str(manifest), "--audio-column", "path", "--speech-tokenizer", str(tok_dir),
                    "--output-dir", str(out2), "--num-shards", "2", "--all-shards"]) == 0
    text = capsys.readouterr().out
    assert "1 skipped" in text and "corrupt.wav" in text
    ds2 = eu.load_encoded_dataset(str(out2))
    assert ds2["text"] == ["utt0.wav", "utt4.wav"]
    skipped = [json.loads(line) for s in sorted(out2.iterdir()) for line in (s / eu.SKIPPED_FILE).read_text().splitlines()]
    assert [s["index"] for s in skipped] == [1]


def test_shard_past_the_data_is_a_clear_error(tok, tok_dir, audio_dir, tmp_path, capsys):
    """Issue 20 (9): more shards than rows ended in an IndexError traceback from `datasets`."""
    _, files = audio_dir
    ds = _dataset(files[:2])
    with pytest.raises(ValueError, match=r"shard index 4 of 5 shards has no rows: the dataset has only 2"):
        eu.encode_to_disk(ds, tok, str(tmp_path / "o"), num_shards=5, shard_index=4)
    assert not (tmp_path / "o" / eu.shard_dirname(4, 5)).exists()
    folder = tmp_path / "folder"
    folder.mkdir()
    for p in files[:2]:
        (folder / p.name).write_bytes(p.read_bytes())
    argv = ["--dataset", str(folder), "--speech-tokenizer", str(tok_dir), "--output-dir", str(tmp_path / "out"),
            "--num-shards", "3", "--shard-index", "2"]
    assert eu.main(argv) == 2
    assert "has no rows" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
