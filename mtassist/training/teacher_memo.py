"""The teacher's outputs for each distinct input, computed once and reused for the rest of distillation.

The teacher is frozen and in eval mode, so its output for a row depends on the row's tokens alone
(padding is masked). A student run draws the same rows many times: the command rows feed three
tasks, and every pass draws them again. Without the memo the teacher's forward pass takes half of
a distillation step on the CPU (three quarters of a reply batch's, which also embeds the replies);
with it the teacher reads each distinct utterance and reply once.

Per-token outputs are kept in float16 to halve the memory (the default data's train split holds
about 12,000 distinct utterances and 3,000 replies: under 200 MB); the per-row ones in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mtassist.model.multitask import MultiTaskModel, MultiTaskOutput

_ROW_FIELDS = ("route_logits", "intent_logits", "sentiment_logits", "sentence_embedding")
_TOKEN_FIELDS = ("slot_logits", "hidden_states")
_TOKEN_DTYPE = torch.float16


@dataclass
class _RowOutputs:
    row: dict[str, torch.Tensor]  # field -> (n,)
    tokens: dict[str, torch.Tensor]  # field -> (length, n), in _TOKEN_DTYPE


class TeacherMemo:
    """Calls the teacher on the rows of a batch it has not seen yet, and answers the batch from memory."""

    def __init__(self, teacher: MultiTaskModel) -> None:
        self.teacher = teacher
        self._outputs: dict[tuple[int, ...], _RowOutputs] = {}
        self.teacher_rows = 0
        """Rows the teacher has read: the distinct inputs so far."""

    def __len__(self) -> int:
        return len(self._outputs)

    @torch.no_grad()
    def __call__(self, inputs: dict[str, torch.Tensor]) -> MultiTaskOutput:
        """The teacher's output for a right-padded batch of model inputs, as `teacher(**inputs)` gives it
        (padding positions hold zeros)."""
        on_cpu = {name: tensor.cpu() for name, tensor in inputs.items()}
        lengths = on_cpu["attention_mask"].sum(dim=1).tolist()
        keys = [_key(on_cpu, i, length) for i, length in enumerate(lengths)]
        unseen: dict[tuple[int, ...], int] = {}
        for i, key in enumerate(keys):
            if key not in self._outputs:
                unseen.setdefault(key, i)
        if unseen:
            self._read(inputs, list(unseen.values()), keys, lengths)
        width = on_cpu["attention_mask"].shape[1]
        rows = [self._outputs[key] for key in keys]
        device = inputs["input_ids"].device
        fields = {name: torch.stack([r.row[name] for r in rows]).to(device) for name in _ROW_FIELDS}
        for name in _TOKEN_FIELDS:
            first = rows[0].tokens[name]
            padded = first.new_zeros((len(rows), width, first.shape[-1]), dtype=torch.float32)
            for i, r in enumerate(rows):
                padded[i, : lengths[i]] = r.tokens[name].float()
            fields[name] = padded.to(device)
        return MultiTaskOutput(**fields)

    def _read(
        self, inputs: dict[str, torch.Tensor], positions: list[int], keys: list[tuple[int, ...]], lengths: list[int]
    ) -> None:
        """Run the teacher on the rows at `positions` (one per distinct input), cut to the longest of them."""
        longest = max(lengths[i] for i in positions)
        index = torch.tensor(positions, device=inputs["input_ids"].device)
        output = self.teacher(**{name: tensor[index, :longest] for name, tensor in inputs.items()})
        for j, i in enumerate(positions):
            self._outputs[keys[i]] = _RowOutputs(
                row={name: getattr(output, name)[j].float().cpu() for name in _ROW_FIELDS},
                tokens={name: getattr(output, name)[j, : lengths[i]].to("cpu", _TOKEN_DTYPE) for name in _TOKEN_FIELDS},
            )
        self.teacher_rows += len(positions)


def _key(inputs: dict[str, torch.Tensor], row: int, length: int) -> tuple[int, ...]:
    """The row's tokens (and segment ids, where the model takes them), without padding."""
    key = inputs["input_ids"][row, :length].tolist()
    if "token_type_ids" in inputs:
        key += [-1, *inputs["token_type_ids"][row, :length].tolist()]
    return tuple(key)
