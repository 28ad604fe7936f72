# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Stateful streaming execution of the Spirit LM HiFi-GAN generator (as moshi / Mimi / EnCodec streaming convolutions).

:class:`SpiritLMHifiGanGeneratorStream` runs ``SpiritLMHifiGan.generate_waveform`` on features fed in chunks of any
number of frames: ``push(features)`` returns the waveform samples that became final, ``end()`` the rest. Every
layer keeps only the tail of its input that it needs as left context and computes each output sample exactly once;
nothing is recomputed (unlike windows with ``receptive_field_frames`` of context on both sides), and the state is
``sum((k - 1) * d)`` samples per convolution plus the delay lines below, whatever the length. Peak memory is that
of one chunk.

Per layer (``B`` items, ``C`` channels, time last):

* ``Conv1d`` (stride 1, kernel ``k``, dilation ``d``, padding ``p``): the buffer starts as ``p`` zeros (the one-pass
  zero padding); each push runs the convolution with padding 0 on ``cat(buffer, chunk)`` and keeps its last
  ``(k - 1) * d`` samples; ``end()`` feeds the ``p`` zeros of the right padding. Output lags input by ``p`` samples.
* ``ConvTranspose1d`` (stride ``u``, kernel ``k >= u``, padding ``p``): overlap-add. Each chunk runs the transposed
  convolution without padding or bias; the first ``n * u`` samples of its output (plus the ``k - u`` overlapping
  samples kept from the previous chunk) are final, the last ``k - u`` are kept for the next chunk; the first ``p``
  samples overall are dropped and ``end()`` crops to the one-pass length ``(n - 1) * u + k - 2p``. The bias is added
  to the emitted samples.
* Residual units ``x + f(x)`` and the mean over the residual blocks of a stage (different kernels, so different
  lags): delay lines hold the samples of the faster branch until the slower one has caught up.
* LeakyReLU / tanh: elementwise, no state.

Exactness: the concatenated output has exactly the one-pass length ``frames * hop_length`` and equals
``generate_waveform`` of all the frames (one item, no padding mask) up to float rounding: every output sample is
the same sum of the same products, only the convolution kernels' summation order (which depends on the tensor
shapes) and the point where the transposed convolutions' bias is added differ.
"""

from __future__ import annotations

import math
from typing import List, Optional

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _conv1d(x: Tensor, weight: Tensor, bias: Optional[Tensor], dilation: int) -> Tensor:
    """``F.conv1d(x, weight, bias, 1, 0, dilation)``. On CPU in float32 / bfloat16 it calls oneDNN directly: for
    small inputs (at most 20480 elements, batch 1) PyTorch's heuristic would pick its native im2col kernels, several
    times slower than oneDNN on a streaming chunk's short tensors (and the dilated ones slower still)."""
    if x.device.type == "cpu" and x.dtype in (torch.float32, torch.bfloat16) and _ONEDNN:
        return torch.mkldnn_convolution(x, weight, bias, [0], [1], [dilation], 1)
    return F.conv1d(x, weight, bias, 1, 0, dilation)


_ONEDNN = torch.backends.mkldnn.is_available() and hasattr(torch, "mkldnn_convolution")


def _cat(a: Optional[Tensor], b: Optional[Tensor]) -> Optional[Tensor]:
    if a is None or a.shape[-1] == 0:
        return b
    if b is None or b.shape[-1] == 0:
        return a
    return torch.cat((a, b), dim=-1)


class _Act:
    """Elementwise op (LeakyReLU, tanh): no state. ``inplace`` only where the input is a fresh tensor."""

    def __init__(self, fn):
        self.fn = fn

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        return None if x is None else self.fn(x)

    def end(self) -> Optional[Tensor]:
        return None


class _Conv:
    """Streaming stride-1 ``Conv1d`` (see the module docstring); with ``slope``, a LeakyReLU applied to its input
    first, written straight into the buffer the convolution reads (one pass over the input instead of two)."""

    def __init__(self, conv: torch.nn.Conv1d, slope: Optional[float] = None):
        if conv.stride[0] != 1 or conv.groups != 1 or not isinstance(conv.padding, tuple):
            raise ValueError(
                f"Streaming supports stride-1, ungrouped Conv1d layers with integer padding; got {conv}."
            )
        self.weight, self.bias = conv.weight, conv.bias
        self.slope = slope
        self.dilation = conv.dilation[0]
        self.span = (conv.kernel_size[0] - 1) * self.dilation  # input samples kept as left context
        self.pad = conv.padding[0]
        self.buf: Optional[Tensor] = None  # left context (activated)
        self.batch: Optional[int] = None  # set by the first push

    def _run(self, x: Tensor, activate: bool = True) -> Optional[Tensor]:
        P = 0 if self.buf is None else self.buf.shape[-1]
        act = activate and self.slope is not None
        if P == 0 and not act:
            z = x
        else:
            z = x.new_empty(x.shape[0], x.shape[1], P + x.shape[-1])
            if P:
                z[..., :P].copy_(self.buf)
            if act:
                torch._C._nn.leaky_relu(x, self.slope, out=z[..., P:])
            else:
                z[..., P:].copy_(x)
        if z.shape[-1] <= self.span:
            self.buf = z
            return None
        y = _conv1d(z, self.weight, self.bias, self.dilation)
        # a copy, so that the chunk's (large) input tensor is not kept alive by a view
        self.buf = z[..., z.shape[-1] - self.span :].clone() if self.span else None
        return y

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        if x is None or x.shape[-1] == 0:
            return None
        if self.batch is None:
            self.batch = x.shape[0]
            if self.pad:
                self.buf = x.new_zeros(x.shape[0], x.shape[1], self.pad)  # the one-pass left zero padding
        return self._run(x)

    def end(self) -> Optional[Tensor]:
        if self.batch is None or self.pad == 0:
            return None
        # the one-pass right zero padding
        return self._run(self.weight.new_zeros(self.batch, self.weight.shape[1], self.pad), activate=False)


class _ConvTranspose:
    """Streaming ``ConvTranspose1d`` by overlap-add (see the module docstring)."""

    def __init__(self, up: torch.nn.ConvTranspose1d):
        u, k = up.stride[0], up.kernel_size[0]
        if k < u or up.groups != 1 or up.dilation[0] != 1 or up.output_padding[0] != 0:
            raise ValueError(
                "Streaming supports ConvTranspose1d layers with kernel >= stride, no groups, dilation or "
                f"output_padding; got {up}."
            )
        self.weight, self.bias = up.weight, up.bias
        self.u, self.k, self.p = u, k, up.padding[0]
        self.tail: Optional[Tensor] = None  # the k - u overlapping samples of the last chunk
        self.n_in = 0  # input samples so far
        self.full_done = 0  # positions of the unpadded output emitted or dropped so far
        self.emitted = 0  # output samples emitted so far

    def _emit(self, y: Tensor, final: bool) -> Optional[Tensor]:
        """``y``: the next final positions of the unpadded output; drop the first ``p`` overall, crop at the end."""
        lo = min(max(0, self.p - self.full_done), y.shape[-1])
        self.full_done += y.shape[-1]
        if final:
            total = (self.n_in - 1) * self.u + self.k - 2 * self.p  # the one-pass output length
            y = y[..., lo : lo + max(0, total - self.emitted)]
        else:
            y = y[..., lo:]
        if y.shape[-1] == 0:
            return None
        self.emitted += y.shape[-1]
        return y if self.bias is None else y + self.bias[:, None]

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        if x is None or x.shape[-1] == 0:
            return None
        n = x.shape[-1]
        y = F.conv_transpose1d(x, self.weight, None, self.u)  # (B, C, (n - 1) * u + k), fresh
        if self.tail is not None:
            y[..., : self.tail.shape[-1]] += self.tail
        self.n_in += n
        self.tail = y[..., n * self.u :].clone()
        return self._emit(y[..., : n * self.u], final=False)

    def end(self) -> Optional[Tensor]:
        if self.tail is None:
            return None
        tail, self.tail = self.tail, None
        return self._emit(tail, final=True)


class _Chain:
    """Layers one after the other."""

    def __init__(self, ops: List):
        self.ops = ops

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        for op in self.ops:
            x = op.push(x)
        return x

    def end(self) -> Optional[Tensor]:
        x = None
        for op in self.ops:
            x = _cat(op.push(x), op.end())
        return x


class _Split:
    """Cut each input into pieces of at most ``size`` samples and push them one by one through ``rest`` (stateful,
    so exact): the later, wider-in-time stages run on cache-sized pieces while the earlier ones, whose weights are
    large, keep long inputs."""

    def __init__(self, rest: _Chain, size: int):
        self.rest, self.size = rest, size

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        if x is None:
            return None
        out = None
        for piece in x.split(self.size, dim=-1):
            out = _cat(out, self.rest.push(piece))
        return out

    def end(self) -> Optional[Tensor]:
        return self.rest.end()


class _Residual:
    """``x + f(x)``: a delay line holds ``x`` until ``f`` (which lags) has produced the matching samples."""

    def __init__(self, branch: _Chain):
        self.branch = branch
        self.pend: Optional[Tensor] = None  # inputs whose f(x) is not out yet

    def _add(self, y: Optional[Tensor], x: Optional[Tensor]) -> Optional[Tensor]:
        P = 0 if self.pend is None else self.pend.shape[-1]
        if y is None:
            self.pend = _cat(self.pend, x)
            if self.pend is not None and self.pend is x:
                self.pend = x.clone()  # x may be written in place by the caller later
            return None
        n = y.shape[-1]
        if n <= P:
            y.add_(self.pend[..., :n])
            self.pend = _cat(self.pend[..., n:], x)
        else:
            # n > P: the delay line, then the head of x (x always has enough samples: f never runs ahead)
            if P:
                y[..., :P].add_(self.pend)
            y[..., P:].add_(x[..., : n - P])
            self.pend = x[..., n - P :].clone()
        if self.pend is not None and self.pend.shape[-1] == 0:
            self.pend = None
        return y

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        if x is None:
            return None
        return self._add(self.branch.push(x), x)

    def end(self) -> Optional[Tensor]:
        return self._add(self.branch.end(), None)


class _Mean:
    """Mean of the residual blocks of a stage (summed in order, divided by their count, as the one pass); each
    block lags differently, so the outputs of the faster ones wait in delay lines."""

    def __init__(self, branches: List[_Chain]):
        self.branches = branches
        self.pend: List[Optional[Tensor]] = [None] * len(branches)

    def _combine(self) -> Optional[Tensor]:
        m = min(0 if p is None else p.shape[-1] for p in self.pend)
        if m == 0:
            return None
        parts = [p[..., :m] for p in self.pend]
        if len(parts) == 1:
            out = parts[0] / 1
        else:
            out = parts[0] + parts[1]
            for p in parts[2:]:
                out.add_(p)
            out.div_(len(parts))
        self.pend = [None if p.shape[-1] == m else p[..., m:].clone() for p in self.pend]
        return out

    def push(self, x: Optional[Tensor]) -> Optional[Tensor]:
        if x is None:
            return None
        self.pend = [_cat(p, b.push(x)) for p, b in zip(self.pend, self.branches)]
        return self._combine()

    def end(self) -> Optional[Tensor]:
        self.pend = [_cat(p, b.end()) for p, b in zip(self.pend, self.branches)]
        return self._combine()


class SpiritLMHifiGanGeneratorStream:
    """Streaming ``generate_waveform`` of one :class:`~.modeling_spirit_hifigan.SpiritLMHifiGan` (see the module
    docstring); made by ``vocoder.generator_stream()``.

    ``push(features)`` takes generator input frames ``(batch_size, model_in_dim, n)`` (any ``n >= 0``, in the
    generator's dtype) and returns the waveform samples ``(batch_size, m)`` that became final (``m`` may be 0);
    ``end()`` returns the rest. With ``split_stage``, the input of that upsampling stage (and everything after it)
    runs on pieces of at most ``split_frames`` frames' worth of samples, however long the pushed chunks are (the
    early stages' large weights favour long chunks, the later stages' large activations short ones). The
    concatenation equals ``generate_waveform`` of all the frames (without a padding
    mask: every item has all the frames) up to float rounding, with exactly ``frames * hop_length`` samples; the
    output of frame ``t`` is out once the frames up to about ``t + receptive_field_frames`` are pushed.

    State: ``frames_in`` (frames pushed), ``samples_out`` (samples returned), ``ended``; the layers' context buffers
    (``O(sum((k - 1) * d))`` samples in all, see :meth:`state_numel`). Weights are read from the vocoder at each push (no copy).
    """

    def __init__(self, vocoder, split_stage: Optional[int] = None, split_frames: int = 0):
        cfg = vocoder.config
        slope, n_kernels = cfg.leaky_relu_slope, len(cfg.resblock_kernel_sizes)
        n_stages = len(vocoder.upsampler)
        if split_stage is not None and not (0 <= split_stage < n_stages and split_frames >= 1):
            raise ValueError(
                f"`split_stage` must be None or an upsampling stage in [0, {n_stages}) with `split_frames` >= 1; got "
                f"split_stage={split_stage!r}, split_frames={split_frames!r}."
            )

        def lrelu(s, inplace):
            return _Act(lambda x: F.leaky_relu(x, s, inplace=inplace))

        def resblock(block) -> _Chain:
            units = []
            for c1, c2 in zip(block.convs1, block.convs2):
                f = _Chain([_Conv(c1, block.slope), _Conv(c2, block.slope)])  # lrelu, conv1, lrelu, conv2
                units.append(_Residual(f))
            return _Chain(units)

        def stage(i) -> List:
            blocks = vocoder.resblocks[i * n_kernels : (i + 1) * n_kernels]
            return [lrelu(slope, True), _ConvTranspose(vocoder.upsampler[i]), _Mean([resblock(b) for b in blocks])]

        late: List = [_Conv(vocoder.conv_post, cfg.final_leaky_relu_slope), _Act(torch.tanh_)]
        for i in range(n_stages - 1, -1, -1):
            late = stage(i) + late
            if i == split_stage:
                # the input of stage i has prod(upsample_rates[:i]) samples per frame
                late = [_Split(_Chain(late), split_frames * math.prod(cfg.upsample_rates[:i]))]
        self._net = _Chain([_Conv(vocoder.conv_pre)] + late)
        self.in_channels = vocoder.config.model_in_dim
        self.hop_length = vocoder.hop_length
        self.frames_in = 0
        self.samples_out = 0
        self.ended = False
        self._batch: Optional[int] = None

    def state_numel(self) -> int:
        """Elements held between pushes (context buffers, overlap tails, delay lines): bounded by the layers'
        kernels and dilations, whatever the number of frames pushed so far."""
        total, todo = 0, [self._net]
        while todo:
            op = todo.pop()
            if isinstance(op, _Chain):
                todo += op.ops
            elif isinstance(op, _Residual):
                todo.append(op.branch)
                total += 0 if op.pend is None else op.pend.numel()
            elif isinstance(op, _Mean):
                todo += op.branches
                total += sum(0 if p is None else p.numel() for p in op.pend)
            elif isinstance(op, _Conv):
                total += 0 if op.buf is None else op.buf.numel()
            elif isinstance(op, _ConvTranspose):
                total += 0 if op.tail is None else op.tail.numel()
        return total

    def _out(self, y: Optional[Tensor]) -> Tensor:
        if y is None:
            return torch.zeros(self._batch or 0, 0)
        self.samples_out += y.shape[-1]
        return y.squeeze(1)

    @torch.no_grad()
    def push(self, features: Tensor) -> Tensor:
        """Feed frames ``(batch_size, model_in_dim, n)``; returns the newly final samples ``(batch_size, m)``."""
        if self.ended:
            raise RuntimeError("This generator stream has ended; make a new one with `vocoder.generator_stream()`.")
        if features.dim() != 3 or features.shape[1] != self.in_channels:
            raise ValueError(
                f"`features` must have shape (batch_size, {self.in_channels}, frames); got {tuple(features.shape)}."
            )
        if self._batch is None:
            self._batch = features.shape[0]
        elif features.shape[0] != self._batch:
            raise ValueError(f"This stream has batch size {self._batch}; got features of batch size "
                             f"{features.shape[0]}.")
        self.frames_in += features.shape[-1]
        if features.shape[-1] == 0:
            return self._out(None)
        return self._out(self._net.push(features))

    @torch.no_grad()
    def end(self) -> Tensor:
        """The remaining samples ``(batch_size, m)``; afterwards ``samples_out == frames_in * hop_length``."""
        if self.ended:
            raise RuntimeError("This generator stream has already ended.")
        self.ended = True
        out = self._out(self._net.end() if self.frames_in else None)
        expected = self.frames_in * self.hop_length
        if self.samples_out != expected:
            raise RuntimeError(
                f"Streaming generator produced {self.samples_out} samples for {self.frames_in} frames; expected "
                f"{expected}. This is a bug in SpiritLMHifiGanGeneratorStream."
            )
        return out


__all__ = ["SpiritLMHifiGanGeneratorStream"]
