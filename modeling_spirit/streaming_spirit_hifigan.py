# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Streaming decode for the Spirit LM HiFi-GAN vocoder: unit pieces in, waveform chunks out, with explicit state.

:class:`SpiritLMHifiGanStreamDecoder` keeps everything it has seen in attributes (the units so far, the final
durations, the frame → unit map, how many frames were emitted), as moshi's streaming modules keep their state:
``push(piece)`` adds units and returns the chunk that became final (or ``None``), ``end()`` returns the rest.
:meth:`~.modeling_spirit_hifigan.SpiritLMHifiGan.decode_stream` is a loop over it; the Spirit LM streaming pipeline
(:mod:`.streaming_spirit_lm`) pushes the aligned units of each generated speech segment as they arrive.

Exactness: each chunk is computed on its frames plus ``receptive_field_frames`` of context on both sides, so chunk
borders are invisible; a unit's duration is final once ``SpiritLMDurationPredictor.receptive_radius`` units after
it are known, and a frame is emitted once the context after it is final. The concatenated chunks equal
``vocoder.decode`` of all the units (up to float rounding of the chunked convolutions).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import torch

from .components import check_flag


class SpiritLMHifiGanStreamDecoder:
    """Incremental vocoding of one unit sequence (see the module docstring).

    Args:
        vocoder (`SpiritLMHifiGan`): the vocoder.
        chunk_units (`int`): minimum number of new 25 Hz frames per chunk, except for the first chunk
            (``min(chunk_units, 5)`` frames, for latency) and the last one.
        speaker (`int`, *optional*): resolved speaker index (``None`` for a vocoder without speakers).
        style (`int`, *optional*): resolved style-id index (base vocoder).
        dur_pred (`bool`): pieces are deduplicated HuBERT-aligned streams whose durations are predicted; `False`:
            units at 25 Hz with raw pitch (12.5 Hz) / style (1 Hz) streams.
        dtype (`torch.dtype`, *optional*): as in ``decode``.

    State (read-only for users): ``units`` (``{"hubert", "pitch"?, "style"?}`` lists so far), ``durations`` (final
    durations), ``frame_src`` (unit index of every final frame, ``dur_pred`` only), ``emitted`` (frames emitted),
    ``ended``.
    """

    def __init__(self, vocoder, chunk_units: int = 25, speaker: Optional[int] = None, style: Optional[int] = None,
                 dur_pred: bool = True, dtype: Optional[torch.dtype] = None):
        if chunk_units < 1:
            raise ValueError(f"`chunk_units` must be >= 1; got {chunk_units}.")
        cfg = vocoder.config
        self.vocoder = vocoder
        self.chunk_units = chunk_units
        self.dur_pred = check_flag(dur_pred, "dur_pred")
        self.dtype = dtype
        self.receptive_frames = vocoder.receptive_field_frames
        # Units after a unit that its duration depends on (`SpiritLMDurationPredictor.receptive_radius`).
        self.duration_radius = getattr(vocoder.duration_predictor, "receptive_radius", 0)
        self.hop = vocoder.hop_length
        self.ratios = {"pitch": cfg.f0_upsample_ratio, "style": cfg.style_upsample_ratio}
        self.expect = [k for k, n in (("pitch", cfg.num_f0_tokens), ("style", cfg.num_style_tokens)) if n]
        self.sizes = vocoder._stream_sizes()
        dev = vocoder.device
        self.speaker_ids = None if speaker is None else torch.tensor([speaker], device=dev)
        self.style_ids = None if style is None else torch.tensor([style], device=dev)
        # State.
        self.units: Dict[str, List[int]] = {"hubert": [], **{k: [] for k in self.expect}}
        self.durations: List[int] = []
        self.frame_src: List[int] = []
        self.emitted = 0
        self.ended = False

    # -- input -------------------------------------------------------------------------------------------------
    def _add(self, piece: Any) -> None:
        if isinstance(piece, (int, np.integer)) and not isinstance(piece, bool):
            piece = {"hubert": [int(piece)]}
        elif isinstance(piece, torch.Tensor) and piece.dim() == 0:
            piece = {"hubert": [int(piece)]}
        elif not isinstance(piece, dict):
            piece = {"hubert": piece}
        unknown = set(piece) - {"hubert", "pitch", "style"}
        if unknown:
            raise ValueError(f"Unknown unit streams {sorted(unknown)}; allowed keys are 'hubert', 'pitch', 'style'.")
        for k in piece:
            if k != "hubert" and k not in self.expect:
                raise ValueError(
                    f"This is a base vocoder (no {k}-unit embedding) but a '{k}' stream piece was given; drop it "
                    "or use the expressive vocoder."
                )
        new = {k: self.vocoder._int_list(piece.get(k), k, self.sizes[k]) for k in self.units}
        if self.dur_pred:
            for k in self.expect:
                if len(new[k]) != len(new["hubert"]):
                    raise ValueError(
                        f"With duration prediction every piece's streams must be aligned: '{k}' has "
                        f"{len(new[k])} units but 'hubert' has {len(new['hubert'])}."
                    )
        for k in self.units:
            self.units[k].extend(new[k])

    def push(self, piece: Any) -> Optional[np.ndarray]:
        """Add a piece (an `int` HuBERT unit, a list of HuBERT units, or a dict of stream pieces); returns the chunk
        that became final, or ``None``."""
        if self.ended:
            raise RuntimeError("This stream decoder has ended; make a new one for more units.")
        self._add(piece)
        return self._step()

    def end(self) -> Optional[np.ndarray]:
        """No more units: returns the remaining audio, or ``None``."""
        self.ended = True
        if not self.dur_pred:
            N = len(self.units["hubert"])
            for k in self.expect:
                K, r = len(self.units[k]), self.ratios[k]
                if abs(K * r - N) / r > 1:
                    raise ValueError(
                        f"'{k}' has {K} units but 'hubert' has {N}: without duration prediction a raw {k} "
                        f"stream must cover the hubert units at 1/{r} of their rate (|K x {r} - N| / {r} <= 1)."
                    )
        return self._step()

    # -- internals ---------------------------------------------------------------------------------------------
    def _finalize_durations(self) -> None:
        n = len(self.units["hubert"])
        done = len(self.durations)
        Rd = self.duration_radius
        upto = n if self.ended else max(done, n - Rd)
        if upto <= done:
            return
        ws, we = max(0, done - Rd), min(n, upto + Rd)
        x = torch.tensor(self.units["hubert"][ws:we], dtype=torch.long, device=self.vocoder.device)[None]  # (1, W)
        d = self.vocoder.predict_durations(x)[0, done - ws : upto - ws].tolist()
        for i, di in enumerate(d):
            self.durations.append(int(di))
            self.frame_src.extend([done + i] * int(di))

    def _final_frames(self) -> int:
        if self.dur_pred:
            return len(self.frame_src)
        N = len(self.units["hubert"])
        if self.ended:
            return N
        frames = N
        for k in self.expect:
            frames = min(frames, len(self.units[k]) * self.ratios[k])
        return frames

    def _frame_streams(self, a: int, b: int) -> Dict[str, torch.Tensor]:
        """Frame-aligned units of frames [a, b)."""
        dev = self.vocoder.device
        out = {}
        if self.dur_pred:
            idx = self.frame_src[a:b]
            for k, v in self.units.items():
                out[k] = torch.tensor([v[i] for i in idx], dtype=torch.long, device=dev)
        else:
            out["hubert"] = torch.tensor(self.units["hubert"][a:b], dtype=torch.long, device=dev)
            for k in self.expect:
                v, r = self.units[k], self.ratios[k]
                aligned = [v[min(n // r, len(v) - 1)] for n in range(a, b)]
                out[k] = torch.tensor(aligned, dtype=torch.long, device=dev)
        return out

    @torch.no_grad()
    def _synth(self, a: int, b: int, total_final: int) -> np.ndarray:
        R = self.receptive_frames
        ws, we = max(0, a - R), min(total_final, b + R)
        fs = self._frame_streams(ws, we)
        pitch = fs["pitch"][None] if "pitch" in fs else None  # (1, T)
        style = fs["style"][None] if "style" in fs else None  # (1, T)
        feats = self.vocoder.embed_frames(fs["hubert"][None], pitch, style, self.speaker_ids, self.style_ids)
        wav = self.vocoder._run_generator(feats, None, self.dtype)[0]  # (S,)
        return wav[(a - ws) * self.hop : (b - ws) * self.hop].cpu().numpy()

    @torch.no_grad()
    def _step(self) -> Optional[np.ndarray]:
        if self.dur_pred:
            self._finalize_durations()
        total = self._final_frames()
        target = total if self.ended else total - self.receptive_frames
        # The first chunk goes out once min(chunk_units, 5) frames are final (latency); later ones once at least
        # `chunk_units` new frames are final (everything at the end), so that unit-by-unit arrival does not pay the
        # receptive-field overlap for every single unit.
        min_new = min(self.chunk_units, 5) if self.emitted == 0 else self.chunk_units
        if target > self.emitted and (self.ended or target - self.emitted >= min_new):
            chunk = self._synth(self.emitted, target, total)
            self.emitted = target
            if chunk.size:
                return chunk
        return None


__all__ = ["SpiritLMHifiGanStreamDecoder"]
