# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The recipe scripts; shared code in :mod:`recipes.scripts.spirit_recipe`."""
