# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The evaluation suite's own error: a manifest (or an official folder converted to one) that cannot be used.

Its own module, below every reader, so that the JSON-lines reader (:mod:`recipes.eval.data`) and the converter of
official folders (:mod:`recipes.eval.official`) raise the same class without importing each other.
"""


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and line."""


__all__ = ["ManifestError"]
