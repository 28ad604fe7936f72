# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Unit strings: the textual form of speech units that the Spirit LM language model reads and writes.

Everything here is pure Python (no torch) and follows the original release's rules exactly:

* ``units_to_string``: deduplicate HuBERT and pitch units, keep every style unit, sort all tokens by time with a
  *stable* sort (ties order ``[St..] < [Pi..] < [Hu..]``), HuBERT time measured at **24.99 Hz** (not 25: it makes a
  HuBERT token sort after a pitch/style token of the same nominal time), pitch at 12.5 Hz, style at 1 Hz.
* ``string_to_units``: the reverse; pitch and style are aligned to the (deduplicated) HuBERT tokens they precede.
* ``parse_speech_and_text`` and the three predicates: the scanner that splits a generated string into text and
  speech segments, with the original's exact semantics (used for raw ``prompt=`` strings; generated ids are split by
  id range in :mod:`.output_spirit_lm`).

Codebook indices are called ``*_units`` (HuBERT 0-500, pitch 0-63, style 0-99); LM vocabulary indices (``*_ids``)
are produced only by :class:`~.configuration_spirit_lm.SpiritLMConfig`.
"""

from __future__ import annotations

import random
import re
from numbers import Integral
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .constants import HUBERT_SORT_RATE, PITCH_SORT_RATE, PREFIX_TO_STREAM, SPEECH_MARKER, STREAM_PREFIXES
from .constants import STYLE_SORT_RATE, TEXT_MARKER

# Backwards-compatible names (other modules and packages import them from here).
HUBERT_RATE = HUBERT_SORT_RATE  # Hz, used for ordering only (the true rate is 25 Hz); see module docstring.
PITCH_RATE = PITCH_SORT_RATE
STYLE_RATE = STYLE_SORT_RATE

# Styles the original falls back to when a string has pitch tokens but no style token.
MOST_COMMON_STYLES = (71, 68, 98)

# Default codebook sizes (HuBERT: 500 clusters + the CTC blank index 500).
DEFAULT_STREAM_SIZES = {"hubert": 501, "pitch": 64, "style": 100}

_UNIT_TOKEN_RE = re.compile(r"\[(Hu|Pi|St)(\d+)\]")
# A unit token, or a speech marker, anchored; used by the strict parser.
_STRICT_TOKEN_RE = re.compile(r"\[(?:(Hu|Pi|St)(0|[1-9]\d*)|(Speech))\]")

UnitsLike = Union[Sequence[int], str]


_DECIMAL_RE = re.compile(r"\s*[+-]?[0-9]+\s*")
_ALLOWED_UNITS = "a list of ints, a 1-D array/tensor or a space-separated string of ints"


def as_unit_list(values: Optional[UnitsLike], key: str) -> List[int]:
    """Accept a list of ints, a 1-D array/tensor, or the original's space-separated string.

    Anything else is refused with the type that came in, including iterables that only look like unit sequences
    (``bytes``, dicts, sets: their iteration order or element values are not units), arrays that are not 1-D
    (a ``(0, 2)`` array would otherwise become an empty stream), booleans, non-ASCII or underscored digit strings, and
    NaN/inf.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split()
    elif hasattr(values, "tolist") and hasattr(values, "ndim"):
        if values.ndim != 1:
            raise ValueError(
                f"`{key}` units must be {_ALLOWED_UNITS}; got an array of shape {tuple(values.shape)}."
            )
        values = values.tolist()
    elif isinstance(values, (bytes, bytearray, Mapping, AbstractSet)) or not isinstance(values, Iterable):
        raise TypeError(f"`{key}` units must be {_ALLOWED_UNITS}; got a {type(values).__name__}.")
    out = []
    for v in values:
        if type(v).__name__ in ("bool", "bool_") or (isinstance(v, str) and not _DECIMAL_RE.fullmatch(v)):
            raise ValueError(f"`{key}` units must be integers ({_ALLOWED_UNITS}); got {v!r}.")
        try:
            iv = int(v)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"`{key}` units must be integers ({_ALLOWED_UNITS}); got {v!r}.") from None
        if not isinstance(v, str) and iv != v:
            raise ValueError(f"`{key}` units must be integers; got the non-integer value {v!r}.")
        if iv < 0:
            raise ValueError(f"`{key}` units must be codebook indices >= 0; got {iv}.")
        out.append(iv)
    return out


def _check_rate(rate, name: str) -> float:
    if type(rate).__name__ in ("bool", "bool_") or not isinstance(rate, (int, float)) or not 0 < rate < float("inf"):
        raise ValueError(f"`{name}` must be a positive, finite number of tokens per second; got {rate!r}.")
    return rate


def _dedup_with_index(units: List[int], dedup: bool) -> List[Tuple[int, int]]:
    """(index, unit) pairs, keeping the first element of each run of equal consecutive values when ``dedup``."""
    kept = []
    prev = None
    for i, u in enumerate(units):
        if dedup and i > 0 and u == prev:
            continue
        kept.append((i, u))
        prev = u
    return kept


def units_to_string(
    units: Dict[str, UnitsLike],
    hubert_rate: float = HUBERT_RATE,
    pitch_rate: float = PITCH_RATE,
    style_rate: float = STYLE_RATE,
    hubert_dedup: bool = True,
    pitch_dedup: bool = True,
    style_dedup: bool = False,
    offsets: Optional[Dict[str, int]] = None,
) -> str:
    """Merge raw unit streams into the original's deduplicated, time-sorted unit string.

    Args:
        units (`dict`): ``{"hubert": [...], "pitch": [...]?, "style": [...]?}``: raw (not deduplicated) codebook
            indices, as lists, 1-D arrays or the original's space-separated strings. Other keys (e.g. ``"audio"``)
            are ignored.
        hubert_rate / pitch_rate / style_rate (`float`): stream rates used to compute each token's time.
        hubert_dedup / pitch_dedup / style_dedup (`bool`): drop consecutive repeats (original: HuBERT and pitch
            yes, style no).
        offsets (`dict`, *optional*): ``{stream: first_frame_index}`` when the streams are slices of a longer
            utterance: each token's time is then ``(first_frame_index + i) / rate``, so that streams cut at different
            rates keep their true relative order. Default: every stream starts at frame 0.

    Returns:
        `str`: e.g. ``"[St71][Pi39][Hu99][Hu49]..."`` (no separators, no ``[Speech]`` marker).

    Raises:
        `TypeError` when ``units`` is not a dict or a stream is not a sequence (bytes, dicts and sets are refused);
        `ValueError` for a unit that is not an integer >= 0 (booleans, NaN/inf, non-integral floats, non-decimal
        strings), an array that is not 1-D, a rate that is not positive and finite, or a non-integer offset. Units
        are not checked against a codebook here (the sizes are the speech tokenizer's): :func:`parse_unit_string`,
        the vocoder and ``processing.interleave`` do that.
    """
    if not isinstance(units, Mapping):
        raise TypeError(
            f"`units` must be a dict {{'hubert': [...], 'pitch': [...]?, 'style': [...]?}}; got a {type(units).__name__}."
        )
    if "hubert" not in units:
        raise ValueError(f"`units` must contain a 'hubert' stream; got keys {sorted(map(str, units))}.")
    rates = {"style": _check_rate(style_rate, "style_rate"), "pitch": _check_rate(pitch_rate, "pitch_rate"),
             "hubert": _check_rate(hubert_rate, "hubert_rate")}
    for key, start in (offsets or {}).items():
        if type(start).__name__ in ("bool", "bool_") or not isinstance(start, Integral):
            raise ValueError(f"`offsets[{key!r}]` must be an int (the stream's first frame index); got {start!r}.")
    timed: List[Tuple[float, str]] = []
    # Order of concatenation (style, pitch, hubert) + Python's stable sort gives St < Pi < Hu at ties.
    for key, rate, dedup in (
        ("style", rates["style"], style_dedup),
        ("pitch", rates["pitch"], pitch_dedup),
        ("hubert", rates["hubert"], hubert_dedup),
    ):
        values = as_unit_list(units.get(key), key)
        prefix = STREAM_PREFIXES[key]
        start = (offsets or {}).get(key, 0)
        for i, u in _dedup_with_index(values, dedup):
            timed.append(((start + i) / rate, f"[{prefix}{u}]"))
    timed.sort(key=lambda item: item[0])
    return "".join(token for _, token in timed)


def parse_unit_string(
    unit_string: str, stream_sizes: Optional[Dict[str, int]] = None, allow_markers: bool = True
) -> List[Tuple[str, int]]:
    """Strictly parse a unit string into ``(stream, unit)`` pairs, in order.

    Raises a ``ValueError`` naming the position for anything that is not ``[Hu<n>]``, ``[Pi<n>]``, ``[St<n>]`` (or a
    ``[Speech]`` marker when ``allow_markers``), and for a unit outside its codebook (``stream_sizes``, default
    HuBERT 501, pitch 64, style 100).
    """
    if not isinstance(unit_string, str):
        raise TypeError(f"A unit string must be a `str`; got {type(unit_string).__name__}.")
    sizes = dict(DEFAULT_STREAM_SIZES)
    if stream_sizes:
        sizes.update(stream_sizes)
    out = []
    pos = 0
    n = len(unit_string)
    while pos < n:
        m = _STRICT_TOKEN_RE.match(unit_string, pos)
        if m is None:
            snippet = unit_string[pos : pos + 16]
            raise ValueError(
                f"Malformed unit string at character {pos}: {snippet!r}. A unit string is a concatenation of "
                "tokens `[Hu<n>]`, `[Pi<n>]`, `[St<n>]` (decimal, no leading zeros, no spaces)"
                + (" and `[Speech]` markers" if allow_markers else "")
                + ", e.g. '[St71][Pi39][Hu99][Hu49]'."
            )
        if m.group(3):
            if not allow_markers:
                raise ValueError(f"Unexpected `[Speech]` marker at character {pos} in a unit string.")
        else:
            stream = PREFIX_TO_STREAM[m.group(1)]
            unit = int(m.group(2))
            size = sizes.get(stream, 0)
            if unit >= size:
                raise ValueError(
                    f"Unit token {m.group(0)} at character {pos} is out of range: the {stream} codebook has "
                    f"{size} units ([{m.group(1)}0]..[{m.group(1)}{size - 1}])."
                )
            out.append((stream, unit))
        pos = m.end()
    return out


class SpiritLMUnitAligner:
    """Unit tokens in (in order), HuBERT-aligned streams out, with the original's alignment rules.

    Each HuBERT unit takes the pitch (style) unit last seen before it; HuBERT units before the first pitch (style)
    unit take the first one seen anywhere. With pitch but no style unit at all, the style is a random choice among
    ``MOST_COMMON_STYLES`` (71, 68, 98), drawn at :meth:`finish` from ``rng`` or Python's global ``random`` (which
    ``transformers.set_seed`` seeds), as the original does.

    State is explicit (``rows``, ``current``, ``first``, ``released``), so a stream can be aligned unit by unit:
    :meth:`take_ready` hands out the rows whose pitch/style are known.

    Args:
        streams (*optional*): the non-HuBERT streams the consumer needs (e.g. ``("pitch", "style")`` for an
            expressive vocoder, ``()`` for a base one); a unit of another stream raises. ``None``: whatever streams
            appear (the unit-string parser).
        rng (`random.Random`, *optional*): source of the style fallback.
    """

    def __init__(self, streams: Optional[Sequence[str]] = None, rng: Optional[random.Random] = None):
        self.streams = None if streams is None else tuple(streams)
        self.rng = rng
        self.rows: List[List[Optional[int]]] = []  # [hubert, pitch, style] per HuBERT unit
        self.current: Dict[str, Optional[int]] = {"pitch": None, "style": None}
        self.first: Dict[str, Optional[int]] = {"pitch": None, "style": None}
        self.released = 0  # rows handed out by take_ready

    @property
    def n_hubert(self) -> int:
        return len(self.rows)

    def add(self, stream: str, unit: int) -> None:
        if stream == "hubert":
            self.rows.append([unit, self.current["pitch"], self.current["style"]])
            return
        if self.streams is not None and stream not in self.streams:
            raise ValueError(
                f"The model generated {stream} units but the vocoder has no {stream} embedding (a base "
                "vocoder); use the expressive vocoder with an expressive model."
            )
        self.current[stream] = unit
        if self.first[stream] is None:
            self.first[stream] = unit

    def _wanted(self) -> List[str]:
        if self.streams is not None:
            return list(self.streams)
        wanted = [k for k in ("pitch",) if self.first[k] is not None]
        if self.first["style"] is not None or self.first["pitch"] is not None:
            wanted.append("style")
        return wanted

    def ready(self) -> bool:
        """Whether every needed stream has been seen (rows can be completed)."""
        return all(self.first[k] is not None for k in self._wanted())

    def _rows(self, start: int, end: int) -> Dict[str, List[int]]:
        rows = self.rows[start:end]
        out = {"hubert": [r[0] for r in rows]}
        for col, k in ((1, "pitch"), (2, "style")):
            if k in self._wanted() and self.first[k] is not None:
                out[k] = [self.first[k] if r[col] is None else r[col] for r in rows]
        return out

    def take_ready(self, min_hubert: int = 1) -> Optional[Dict[str, List[int]]]:
        """The rows not yet handed out, once ``min_hubert`` HuBERT units are known and every needed stream has been
        seen; ``None`` otherwise."""
        if self.n_hubert >= min_hubert and self.ready() and self.n_hubert > self.released:
            piece = self._rows(self.released, self.n_hubert)
            self.released = self.n_hubert
            return piece
        return None

    def fill_style_fallback(self) -> None:
        """The original's random style when there are pitch units but no style unit (draws from the RNG)."""
        if self.first["pitch"] is not None and self.first["style"] is None and "style" in self._wanted():
            self.first["style"] = (self.rng if self.rng is not None else random).choice(MOST_COMMON_STYLES)

    def finish(self) -> Dict[str, List[int]]:
        """All rows, aligned (after the style fallback): ``{"hubert"}`` plus ``"pitch"``/``"style"`` when known."""
        self.fill_style_fallback()
        return self._rows(0, self.n_hubert)

    def take_rest(self) -> Optional[Dict[str, List[int]]]:
        """At the end of the stream: the rows not yet handed out (after the style fallback), or ``None``."""
        self.fill_style_fallback()
        if self.n_hubert > self.released:
            piece = self._rows(self.released, self.n_hubert)
            self.released = self.n_hubert
            return piece
        return None


def string_to_units(
    unit_string: str,
    stream_sizes: Optional[Dict[str, int]] = None,
    rng: Optional[random.Random] = None,
) -> Dict[str, List[int]]:
    """Turn a (deduplicated) unit string back into streams aligned to its HuBERT tokens.

    Follows the original: each ``[Hu..]`` token takes the pitch and style last seen before it; HuBERT tokens before
    the first pitch (style) token take the first pitch (style) seen anywhere. If the string has pitch tokens but no
    style token, the style is a random choice among ``MOST_COMMON_STYLES`` (71, 68, 98), drawn from ``rng`` or from
    Python's global ``random`` (which ``transformers.set_seed`` seeds), as the original does.

    Returns:
        `dict`: ``{"hubert": [...]}`` plus ``"pitch"`` / ``"style"`` keys (same length as ``hubert``) only when the
        string had pitch (style) tokens or needs the style fallback.
    """
    aligner = SpiritLMUnitAligner(rng=rng)
    for stream, unit in parse_unit_string(unit_string, stream_sizes):
        aligner.add(stream, unit)
    return aligner.finish()


# ---------------------------------------------------------------------------------------------------------------
# The original's string scanner and predicates (spec §1.5), used on raw prompt strings.
# ---------------------------------------------------------------------------------------------------------------

_SPEECH_PREFIXES = tuple(STREAM_PREFIXES.values())


def parse_speech_and_text(text: str) -> List[Tuple[str, str]]:
    """Split a string into ordered ``(chunk, "t"|"s")`` segments with the original's scanner.

    Markers ``[Text]``/``[Speech]`` are dropped (they neither start nor end a segment); ``[Hu..]``, ``[Pi..]``,
    ``[St..]`` tokens are speech; everything else (including a lone ``[``) is text, kept verbatim.
    """
    segments: List[Tuple[str, str]] = []
    cur_type: Optional[str] = None
    cur: List[str] = []

    def push(piece: str, kind: str) -> None:
        nonlocal cur_type, cur
        if cur_type is not None and kind != cur_type:
            segments.append(("".join(cur), cur_type))
            cur = []
        cur_type = kind
        cur.append(piece)

    i, n = 0, len(text)
    while i < n:
        if text[i] == "[":
            if text.startswith(TEXT_MARKER, i):
                i += len(TEXT_MARKER)
                continue
            if text.startswith(SPEECH_MARKER, i):
                i += len(SPEECH_MARKER)
                continue
            if text[i + 1 : i + 3] in _SPEECH_PREFIXES:
                end = text.find("]", i)
                end = n if end == -1 else end + 1
                push(text[i:end], "s")
                i = end
                continue
            push("[", "t")
            i += 1
            continue
        end = text.find("[", i)
        end = n if end == -1 else end
        push(text[i:end], "t")
        i = end
    if cur_type is not None:
        segments.append(("".join(cur), cur_type))
    return segments


def does_start_with_speech_token(text: Optional[str]) -> bool:
    """Whether ``text`` starts with a ``[Hu..]``/``[Pi..]``/``[St..]`` token (the original's bounded scan)."""
    if text is None or len(text) <= 4 or text[0] != "[":
        return False
    for end in range(4, min(len(text), 10)):
        if text[end] == "]":
            return text[1:3] in _SPEECH_PREFIXES
    return False


def does_end_with_speech_token(text: Optional[str]) -> bool:
    """Whether ``text`` ends with a ``[Hu..]``/``[Pi..]``/``[St..]`` token (the original's bounded scan)."""
    if text is None or len(text) <= 4 or text[-1] != "]":
        return False
    n = len(text)
    # Scan backwards for "[" with at least 3 characters after it, at most 10 characters from the end.
    for start in range(n - 4, max(n - 11, -1), -1):
        if text[start] == "[":
            return text[start + 1 : start + 3] in _SPEECH_PREFIXES
    return False


def find_prompt_last_speech_start_position(prompt: str) -> Optional[int]:
    """Start index of the last run of *adjacent* speech tokens in ``prompt``; ``None`` if it has none."""
    matches = list(_UNIT_TOKEN_RE.finditer(prompt))
    if not matches:
        return None
    start = matches[-1].start()
    for m in reversed(matches[:-1]):
        if m.end() != start:
            break
        start = m.start()
    return start


__all__ = [
    "as_unit_list",
    "TEXT_MARKER",
    "SPEECH_MARKER",
    "HUBERT_RATE",
    "PITCH_RATE",
    "STYLE_RATE",
    "MOST_COMMON_STYLES",
    "units_to_string",
    "string_to_units",
    "parse_unit_string",
    "parse_speech_and_text",
    "does_start_with_speech_token",
    "does_end_with_speech_token",
    "find_prompt_last_speech_start_position",
    "SpiritLMUnitAligner",
]
