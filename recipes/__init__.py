# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The top layer: training recipes (alignment-handbook layout: ``recipes/scripts/{pretrain,sft,dpo}.py`` + YAML
configs), the evaluation suite (``recipes.eval``), the toy run and its embedded default (``recipes.toy``,
``recipes/toy_model/``), the tiny random test models (``recipes.tiny.models``), the demo and the ``spirit-lm`` command
(``recipes.cli``). It may import every other package of the repository; none imports it."""
