# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Training recipes (alignment-handbook layout): ``recipes/scripts/{pretrain,sft,dpo}.py`` + YAML configs."""
