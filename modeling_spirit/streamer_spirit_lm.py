# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""A ``generate`` streamer that yields Spirit LM's text deltas and audio chunks, as ``TextIteratorStreamer`` does
for text.

```python
from threading import Thread

streamer = SpiritLMStreamer(model, processor, output_modality="speech")
inputs = processor.apply_chat_template(messages, add_generation_prompt=True, output_modality="speech",
                                       tokenize=True, return_dict=True)
Thread(target=model.generate, kwargs={**inputs, "output_modality": "speech", "streamer": streamer,
                                      "max_new_tokens": 200}).start()
for event in streamer:
    if event["type"] == "speech":
        play(event["audio"])          # float32 chunk at event["sampling_rate"] (16 kHz)
    else:
        print(event["text"], end="")  # a text delta
```

It is :class:`~.streaming_spirit_lm.SpiritLMTokenStreamer` (``generate`` puts ids, iteration blocks until the next
one arrives) with each id fed to a :class:`~.streaming_spirit_lm.SpiritLMOutputStreamState`, the same driver over
the one output path that ``pipeline("spirit-lm", ...)(..., stream=True)`` uses: the events, and what they equal, are
the streaming pipeline's (see :mod:`.streaming_spirit_lm`). The prompt (``generate``'s first ``put``) tells the state
whether the prompt ends with speech. One sequence at a time (batch size 1, no beams). A streamer is used for one
``generate`` call.

``output_modality`` must be the one ``generate`` is called with (``SpiritLMForCausalLM.generate(output_modality=)``,
or ``SpiritLMForMultimodalLM.generate(generation_mode="audio")`` = ``"speech"``).
"""

import collections
from typing import Any, Dict, Optional

import torch

from .components import load_component
from .constants import SAMPLING_RATE, VOCODER_SUBFOLDER
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .output_spirit_lm import OutputModality
from .streaming_spirit_lm import SpiritLMOutputStreamState, SpiritLMTokenStreamer


class SpiritLMStreamer(SpiritLMTokenStreamer):
    """A ``BaseStreamer`` for ``model.generate(..., streamer=...)``: iterating it yields ``{"type": "text", "text":
    delta, "segment": k}`` and ``{"type": "speech", "audio": np.ndarray, "sampling_rate": 16000, "segment": k}``
    events as they are generated (see the module docstring).

    Args:
        model: the Spirit LM (``SpiritLMForCausalLM`` or ``SpiritLMForMultimodalLM``): its config, and its vocoder.
        processor (`SpiritLMProcessor` or a Spirit LM tokenizer): decodes the text.
        output_modality (`str`, defaults to ``"arbitrary"``): the ``output_modality`` ``generate`` runs with.
        vocoder (*optional*): for speech; default the model's ``vocoder`` (``SpiritLMForMultimodalLM``), else the
            one saved beside the model (``vocoder/``).
        speaker_id (*optional*): the vocoder's voice (default the config's ``default_speaker``).
        chunk_units (`int`, defaults to 25): new 25 Hz frames per audio chunk after the first one.
        timeout (`float`, *optional*): seconds to wait for each generated id before raising ``queue.Empty``.
    """

    def __init__(self, model, processor, output_modality="arbitrary", vocoder=None, speaker_id=None,
                 chunk_units: int = 25, timeout: Optional[float] = None):
        super().__init__(skip_prompt=True, timeout=timeout)
        self.config = model.config
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.output_modality = OutputModality.parse(output_modality)
        if vocoder is None and self.output_modality != OutputModality.TEXT:
            vocoder = getattr(model, "vocoder", None)
            root = getattr(model, "name_or_path", None)
            if vocoder is None and root:
                vocoder = load_component(SpiritLMHifiGan, root, VOCODER_SUBFOLDER)
        self.vocoder = vocoder
        self.speaker_id = speaker_id
        self.chunk_units = int(chunk_units)
        self.prompt_ids = None
        self.state: Optional[SpiritLMOutputStreamState] = None
        self._events: "collections.deque[Dict[str, Any]]" = collections.deque()
        self._finished = False

    def put(self, value) -> None:
        if self._next_is_prompt and self.prompt_ids is None:
            self.prompt_ids = [int(i) for i in torch.as_tensor(value).reshape(-1).tolist()]
        super().put(value)

    def _output(self) -> SpiritLMOutputStreamState:
        if self.state is None:
            self.state = SpiritLMOutputStreamState(
                self.config, self.tokenizer, self.vocoder, self.output_modality, self.prompt_ids or [],
                self.speaker_id, self.chunk_units, int(getattr(self.config, "sampling_rate", SAMPLING_RATE)),
            )
        return self.state

    def __next__(self) -> Dict[str, Any]:
        while not self._events:
            if self._finished:
                raise StopIteration
            try:
                token_id = super().__next__()
            except StopIteration:
                self._finished = True
                self._events.extend(self._output().finish())
                continue
            self._events.extend(self._output().feed(token_id))
        return self._events.popleft()


__all__ = ["SpiritLMStreamer"]
