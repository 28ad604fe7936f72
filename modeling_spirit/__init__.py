# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM, Hub-native: configuration, language model, tokenizers, speech tokenizer, vocoder and pipeline.

Importing this package registers ``spirit_lm`` with ``AutoConfig`` / ``AutoModelForCausalLM`` / ``AutoTokenizer``
and the ``"spirit-lm"`` task with ``pipeline``, so saved folders load without ``trust_remote_code``.
"""

from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultimodalLM,
    AutoProcessor,
    AutoTokenizer,
)
from transformers.pipelines import PIPELINE_REGISTRY

from .components import load_component
from .configuration_spirit_hifigan import SpiritLMHifiGanConfig
from .configuration_spirit_lm import SPIRIT_LM_CONFIG_CLASSES, SpiritLMConfig, SpiritLMLayoutMixin, SpiritLMQwen2Config
from .configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from .modeling_spirit_lm import (
    OutputModality,
    SPIRIT_LM_MODEL_CLASSES,
    SpiritLMForCausalLM,
    SpiritLMGenerationMixin,
    SpiritLMModalityLogitsProcessor,
    SpiritLMQwen2ForCausalLM,
    SpiritLMSegment,
    banned_token_ids,
    split_generated_ids,
)
from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from .modeling_spirit_multimodal_lm import (
    SPIRIT_LM_MULTIMODAL_CLASSES,
    SpiritLMForMultimodalLM,
    SpiritLMMultimodalOutput,
    SpiritLMQwen2ForMultimodalLM,
)
from .streamer_spirit_lm import SpiritLMStreamer
from .output_spirit_lm import SpiritLMIdLayout, SpiritLMSpeechRules
from .pipeline_spirit_lm import SpiritLMPipeline
from .processing_spirit_lm import SpiritLMProcessor, build_prompt, normalize_input
from .tokenization_spirit_lm import SpiritLMTokenizer, SpiritLMTokenizerFast
from .units import (
    does_end_with_speech_token,
    does_start_with_speech_token,
    find_prompt_last_speech_start_position,
    parse_speech_and_text,
    string_to_units,
    units_to_string,
)

__version__ = "0.1.0"


def _register() -> None:
    for model_type, config_class in SPIRIT_LM_CONFIG_CLASSES.items():
        try:
            AutoConfig.register(model_type, config_class)
        except ValueError:  # already registered
            pass
        try:
            AutoModelForCausalLM.register(config_class, SPIRIT_LM_MODEL_CLASSES[model_type])
        except ValueError:
            pass
        for auto, obj in ((AutoFeatureExtractor, SpiritLMFeatureExtractor), (AutoProcessor, SpiritLMProcessor)):
            try:
                auto.register(config_class, obj)
            except ValueError:
                pass
        try:
            AutoModelForMultimodalLM.register(config_class, SPIRIT_LM_MULTIMODAL_CLASSES[model_type])
        except ValueError:
            pass
    try:
        AutoTokenizer.register(SpiritLMConfig, slow_tokenizer_class=SpiritLMTokenizer, fast_tokenizer_class=SpiritLMTokenizerFast)
    except ValueError:
        pass
    SpiritLMFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")
    SpiritLMProcessor.register_for_auto_class("AutoProcessor")
    for config_class, model_class in (
        (SpiritLMSpeechTokenizerConfig, SpiritLMSpeechTokenizer),
        (SpiritLMHifiGanConfig, SpiritLMHifiGan),
    ):
        try:
            AutoConfig.register(config_class.model_type, config_class)
            AutoModel.register(config_class, model_class)
        except ValueError:
            pass
    for model_type, config_class in SPIRIT_LM_CONFIG_CLASSES.items():
        config_class.register_for_auto_class()
        SPIRIT_LM_MODEL_CLASSES[model_type].register_for_auto_class("AutoModelForCausalLM")
        SPIRIT_LM_MULTIMODAL_CLASSES[model_type].register_for_auto_class("AutoModelForMultimodalLM")
    if "spirit-lm" not in PIPELINE_REGISTRY.get_supported_tasks():
        PIPELINE_REGISTRY.register_pipeline(
            "spirit-lm", pipeline_class=SpiritLMPipeline, pt_model=AutoModelForCausalLM, type="multimodal"
        )


_register()

__all__ = [
    "SpiritLMConfig",
    "SpiritLMQwen2Config",
    "SpiritLMLayoutMixin",
    "SpiritLMQwen2ForCausalLM",
    "SpiritLMGenerationMixin",
    "SpiritLMSpeechTokenizerConfig",
    "SpiritLMSpeechTokenizer",
    "SpiritLMHifiGanConfig",
    "SpiritLMHifiGan",
    "SpiritLMForCausalLM",
    "SpiritLMForMultimodalLM",
    "SpiritLMQwen2ForMultimodalLM",
    "SpiritLMMultimodalOutput",
    "SpiritLMStreamer",
    "SpiritLMModalityLogitsProcessor",
    "SpiritLMSegment",
    "SpiritLMIdLayout",
    "SpiritLMSpeechRules",
    "SpiritLMPipeline",
    "SpiritLMProcessor",
    "SpiritLMFeatureExtractor",
    "SpiritLMTokenizer",
    "SpiritLMTokenizerFast",
    "OutputModality",
    "banned_token_ids",
    "split_generated_ids",
    "build_prompt",
    "normalize_input",
    "units_to_string",
    "string_to_units",
    "parse_speech_and_text",
    "does_start_with_speech_token",
    "does_end_with_speech_token",
    "find_prompt_last_speech_start_position",
    "load_component",
]
