# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Batched log-likelihood scoring: ``log p(continuation | prompt)`` for many (prompt, continuation) pairs.

One forward pass per padded batch (not one per item). Items are sorted by length so that each batch holds sequences
of similar length (less padding), then results are put back in input order. Padding may be on the right (default)
or on the left; position ids are computed from the attention mask (``cumsum - 1``), so both sides give the same
scores as an unpadded forward.

```python
scores = sequence_logprobs(model, tokenizer, prompts=["[Text]", "[Text]"], continuations=["brick", "blick"])
scores[0]["sum"], scores[0]["mean"], scores[0]["n_tokens"]   # summed / token-normalised log-likelihood, count
```
"""

from typing import Dict, List, Optional, Sequence, Union

import torch

Text = Union[str, Sequence[int]]


def _tokenizer_of(tokenizer_or_processor):
    return getattr(tokenizer_or_processor, "tokenizer", None) or tokenizer_or_processor


def split_ids(tokenizer, prompt: Text, continuation: Text) -> tuple:
    """Token ids of ``prompt`` (with BOS) and of ``continuation`` as it is tokenized *after* the prompt.

    Strings are tokenized together (``prompt + continuation``) so that the continuation's ids are the ones the model
    sees in context; when the joint tokenization does not start with the prompt's own ids (a piece merged across the
    boundary), the continuation is tokenized on its own instead. Id lists are used as given (the prompt should then
    carry the BOS id itself).
    """
    if not isinstance(prompt, str) and not isinstance(continuation, str):
        return list(prompt), list(continuation)
    if not isinstance(prompt, str) or not isinstance(continuation, str):
        raise TypeError("Give prompt and continuation both as strings or both as id lists.")
    prompt_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    full = tokenizer(prompt + continuation, add_special_tokens=True)["input_ids"]
    if full[: len(prompt_ids)] == prompt_ids and len(full) > len(prompt_ids):
        return prompt_ids, full[len(prompt_ids):]
    return prompt_ids, tokenizer(continuation, add_special_tokens=False)["input_ids"]


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int, side: str = "right"):
    """``(input_ids, attention_mask, position_ids, offsets)``, each ``(B, T)`` but offsets ``(B,)``: where each row's
    first real token sits."""
    if side not in ("right", "left"):
        raise ValueError(f"padding side must be 'right' or 'left'; got {side!r}.")
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)  # (B, T)
    offsets = torch.zeros(len(sequences), dtype=torch.long)  # (B,)
    for row, seq in enumerate(sequences):
        start = width - len(seq) if side == "left" else 0
        ids[row, start:start + len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
        mask[row, start:start + len(seq)] = 1
        offsets[row] = start
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)  # (B, T): 0 at each row's first real token
    return ids, mask, position_ids, offsets


@torch.no_grad()
def sequence_logprobs(
    model,
    tokenizer,
    prompts: Sequence[Text],
    continuations: Sequence[Text],
    batch_size: int = 8,
    padding_side: str = "right",
    max_length: Optional[int] = None,
    progress: Union[bool, str] = False,
) -> List[Dict[str, float]]:
    """Log-likelihood of each continuation given its prompt, in padded batches.

    Args:
        model: a causal LM (``SpiritLMForCausalLM`` or any ``*ForCausalLM``).
        tokenizer: its tokenizer, or a processor holding one (``.tokenizer``).
        prompts, continuations: strings (tokenized with BOS, see :func:`split_ids`) or id lists, same length.
        batch_size (`int`, defaults to 8): sequences per forward pass.
        padding_side (`str`, defaults to ``"right"``): ``"right"`` or ``"left"``; scores do not depend on it.
        max_length (`int`, *optional*): refuse sequences longer than this (default: the model's
            ``max_position_embeddings``); an error names the item, never a silent truncation.
        progress: show a tqdm bar (a string is its description).

    Returns:
        One dict per pair: ``sum`` (summed natural-log likelihood of the continuation's tokens), ``mean`` (``sum /
        n_tokens``, the token-normalised score) and ``n_tokens``.
    """
    if len(prompts) != len(continuations):
        raise ValueError(f"{len(prompts)} prompts but {len(continuations)} continuations; give one of each per item.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    tok = _tokenizer_of(tokenizer)
    limit = max_length or getattr(getattr(model, "config", None), "max_position_embeddings", None)
    pairs = [split_ids(tok, p, c) for p, c in zip(prompts, continuations)]
    for index, (p, c) in enumerate(pairs):
        if not c:
            raise ValueError(f"Item {index}: the continuation {continuations[index]!r:.60} has no tokens.")
        if not p:
            raise ValueError(f"Item {index}: the prompt has no tokens (it needs at least BOS to condition on).")
        if limit is not None and len(p) + len(c) > limit:
            raise ValueError(f"Item {index} is {len(p) + len(c)} tokens long but the model's context is {limit}; "
                             "shorten it (no silent truncation).")
    pad_id = getattr(tok, "pad_token_id", None)
    if pad_id is None:
        pad_id = getattr(tok, "eos_token_id", None) or 0
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    device = next(model.parameters()).device
    results: List[Optional[Dict[str, float]]] = [None] * len(pairs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(pairs), desc=progress if isinstance(progress, str) else "scoring", unit="seq")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        seqs = [pairs[i][0] + pairs[i][1] for i in rows]
        ids, mask, pos, offsets = pad_batch(seqs, pad_id, padding_side)
        spans = [(b, int(offsets[b]) + len(pairs[i][0]) - 1, len(pairs[i][1])) for b, i in enumerate(rows)]
        # Positions whose next-token distribution is scored: (row, first logit index, count).
        row_idx = torch.cat([torch.full((n,), b, dtype=torch.long) for b, _, n in spans])  # (N,)
        pos_idx = torch.cat([torch.arange(first, first + n) for _, first, n in spans])  # (N,)
        targets = ids[row_idx, pos_idx + 1]  # (N,)
        token_lp = _scored_logprobs(model, ids.to(device), mask.to(device), pos.to(device), row_idx.to(device),
                                    pos_idx.to(device), targets.to(device)).cpu()  # (N,)
        start_n = 0
        for (b, _, n), i in zip(spans, rows):
            values = token_lp[start_n:start_n + n].double()
            start_n += n
            total = float(values.sum())
            results[i] = {"sum": total, "mean": total / n, "n_tokens": n}
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return results  # type: ignore[return-value]


def _scored_logprobs(model, ids, mask, pos, row_idx, pos_idx, targets):
    """``log p(targets)`` at the selected positions, ``(N,)``. For a ``*ForCausalLM`` with ``.model`` and
    ``.lm_head`` (Llama), the vocabulary projection and softmax run only on the scored positions (the prompt's
    positions never reach the ``(T, V)`` logits); other models go through their full logits."""
    body, head = getattr(model, "model", None), getattr(model, "get_output_embeddings", lambda: None)()
    if body is not None and head is not None:
        hidden = body(input_ids=ids, attention_mask=mask, position_ids=pos).last_hidden_state  # (B, T, H)
        logits = head(hidden[row_idx, pos_idx])  # (N, V)
    else:
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[row_idx, pos_idx]  # (N, V)
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (N,)


def pair_accuracy(good: Sequence[float], bad: Sequence[float]) -> float:
    """Fraction of pairs where the good item scores higher (ties count one half, as ZeroSpeech does)."""
    if len(good) != len(bad):
        raise ValueError("good and bad score lists differ in length.")
    if not good:
        return float("nan")
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g, b in zip(good, bad))
    return wins / len(good)


__all__ = ["sequence_logprobs", "split_ids", "pad_batch", "pair_accuracy"]
