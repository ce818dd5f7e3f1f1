"""PyTorch side of the course: device, seeding, batches, training loop, evaluation."""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm.auto import tqdm

from rnncourse.data.batches import batch_index_plan
from rnncourse.data.encoded import EncodedSplit
from rnncourse.speed import SpeedComparison, compare
from rnncourse.threads import policy
from rnncourse.training import (
    EpochMeter,
    History,
    check_clip_norm,
    device_line,
    epoch_description,
    epoch_summary,
)

_announced: set[str] = set()


def pick_device(verbose: bool = True) -> torch.device:
    """The GPU when PyTorch sees one, else the CPU; says which, once per session."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        description = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        device = torch.device("cpu")
        description = policy().describe()
    if verbose and description not in _announced:
        _announced.add(description)
        print(device_line(f"PyTorch {torch.__version__}", description))
    return device


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and GPU) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


#: The built-in recurrent layers :class:`Recurrent` can wrap.
RECURRENT_LAYERS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class Recurrent(nn.Module):
    """A built-in one-direction recurrent layer that reads only each sequence's real steps.

    Lesson 2's packing as a building block: ``forward(x, lengths)`` takes ``x`` of shape
    (batch, steps, input_size), padded at the end, and each sequence's length, and returns
    ``(outputs, final)``: outputs (batch, steps, hidden_size), zero past each length, and the
    state after each sequence's last real step as a tuple, ``(h, c)`` for an LSTM and ``(h,)``
    otherwise, each (batch, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, kind: str = "lstm") -> None:
        super().__init__()
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}.")
        self.kind = kind
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = hidden_size  # what the next layer receives per step
        self.rnn = RECURRENT_LAYERS[kind](input_size, hidden_size, batch_first=True)

    def forward(self, x: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """x: (batch, steps, input_size), lengths: (batch,) -> (outputs, final)."""
        # Packing wants the lengths on the CPU; an empty text is read as one padding step.
        lengths = torch.as_tensor(lengths).detach().to("cpu", torch.int64).clamp(min=1)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        packed_outputs, final = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True,
                                         total_length=x.shape[1])
        final = final if isinstance(final, tuple) else (final,)
        return outputs, tuple(state[0] for state in final)


POOLINGS = ("last", "max", "mean")


class RecurrentClassifier(nn.Module):
    """Lessons 1-3's text classifiers in one class, on the framework's built-in layers.

    Embedding -> ``num_layers`` recurrent layers of ``kind`` (each bidirectional if asked),
    reading only each text's real steps -> one vector per text (``pooling``: the final state
    of the top layer's directions, or the max or mean of its outputs over the real steps) ->
    a linear layer. ``dropout`` applies to the word vectors, between layers and to the
    pooled vector. ``forward(ids)`` takes (batch, steps) ids padded with 0 at the end.
    """

    def __init__(self, vocab_size: int, num_classes: int, *, kind: str = "lstm",
                 embed_size: int = 64, hidden_size: int = 64, bidirectional: bool = False,
                 num_layers: int = 1, dropout: float = 0.0, pooling: str = "last") -> None:
        super().__init__()
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}.")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}.")
        self.pooling = pooling
        self.directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.rnn = RECURRENT_LAYERS[kind](
            embed_size, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(self.directions * hidden_size, num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids: (batch, steps), padded with 0 at the end -> logits (batch, num_classes)."""
        lengths = sequence_lengths(ids).detach().to("cpu", torch.int64).clamp(min=1)
        packed = pack_padded_sequence(self.dropout(self.embedding(ids)), lengths,
                                      batch_first=True, enforce_sorted=False)
        packed_outputs, final = self.rnn(packed)
        if self.pooling == "last":
            h = final[0] if isinstance(final, tuple) else final  # (layers * directions, B, H)
            features = torch.cat(list(h[-self.directions:]), dim=-1)
        elif self.pooling == "max":
            # Padding filled with -inf never wins the max.
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True,
                                             padding_value=float("-inf"))
            features = outputs.max(dim=1).values
        else:
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True)  # zeros
            features = outputs.sum(dim=1) / lengths.to(outputs.device, outputs.dtype)[:, None]
        return self.output(self.dropout(features))


@torch.no_grad()
def predict(model: nn.Module, split: EncodedSplit, batch_size: int = 256,
            device: torch.device | None = None) -> np.ndarray:
    """The class ``model`` predicts for every text of ``split``, in the split's order."""
    device = device or next(model.parameters()).device
    model.eval()
    predictions = []
    for start in range(0, len(split), batch_size):
        lengths = split.lengths[start:start + batch_size]
        ids = torch.as_tensor(split.ids[start:start + batch_size, :max(int(lengths.max()), 1)])
        predictions.append(model(ids.to(device)).argmax(dim=1).cpu().numpy())
    return np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)


def sequence_lengths(ids: torch.Tensor) -> torch.Tensor:
    """How many real (non-zero) token ids each row of a batch padded with 0 holds."""
    return (ids != 0).sum(dim=1)


class _SplitDataset(Dataset):
    def __init__(self, split: EncodedSplit) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, index: int) -> int:
        return index


class _BucketSampler(Sampler[list[int]]):
    """Batches of similar length, reshuffled each epoch (seed + epoch number)."""

    def __init__(self, split: EncodedSplit, batch_size: int, shuffle: bool, seed: int) -> None:
        self.split, self.batch_size, self.shuffle, self.seed = split, batch_size, shuffle, seed
        self.epoch = 0

    def __iter__(self) -> Iterator[list[int]]:
        plan = batch_index_plan(self.split.lengths, self.batch_size, shuffle=self.shuffle,
                                seed=self.seed + self.epoch)
        self.epoch += 1
        return iter([batch.tolist() for batch in plan])

    def __len__(self) -> int:
        return self.split.num_batches(self.batch_size)


def make_loader(split: EncodedSplit, batch_size: int = 64, *, shuffle: bool = False,
                seed: int = 0) -> DataLoader:
    """A DataLoader of ``(ids, labels)`` batches, each cut to its longest sequence."""
    def collate(indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = np.asarray(indices)
        width = int(split.lengths[index].max())
        return (torch.from_numpy(split.ids[index, :width]),
                torch.from_numpy(split.labels[index]))

    return DataLoader(_SplitDataset(split), batch_sampler=_BucketSampler(
        split, batch_size, shuffle, seed), collate_fn=collate)


@torch.no_grad()
def clip_gradients(parameters: Iterable[torch.Tensor], clip_norm: float | None) -> torch.Tensor:
    """Clip the gradients to global L2 norm ``clip_norm`` and return their norm before clipping.

    The global norm is that of all the gradients together, as if they were one vector;
    when it exceeds ``clip_norm`` every gradient is scaled by ``clip_norm / norm``, so the
    update keeps its direction and only its length is capped. With ``clip_norm=None`` the
    gradients are left as they are and only measured. Parameters without a gradient are
    skipped. Returns a 0-dimensional tensor on the parameters' device (no wait for it).
    """
    parameters = [p for p in parameters if p.grad is not None]
    if clip_norm is not None:
        return nn.utils.clip_grad_norm_(parameters, check_clip_norm(clip_norm))
    if not parameters:
        return torch.zeros(())
    # Measured without clip_grad_norm_(max_norm=inf), which turns an infinite norm into NaN.
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(p.grad) for p in parameters]))


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader,
             device: torch.device | None = None) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` over ``loader``."""
    device = device or next(model.parameters()).device
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for ids, labels in loader:
        ids, labels = ids.to(device), labels.to(device)
        logits = model(ids)
        loss_sum += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(dim=1) == labels).sum().item()
        count += len(labels)
    return loss_sum / max(count, 1), correct / max(count, 1)


def train(
    model: nn.Module,
    train_loader: DataLoader,
    test_loader: DataLoader,
    *,
    epochs: int = 3,
    lr: float = 1e-3,
    clip_norm: float | None = 1.0,
    device: torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train with Adam and cross-entropy, evaluating on the test data after every epoch.

    Gradients are clipped to global norm ``clip_norm`` (None: not clipped), see
    :func:`clip_gradients`: plain RNNs occasionally explode without it. Shows a progress
    bar per epoch and returns a :class:`History`, which holds every update's gradient norm
    before clipping (``history.gradient_norms``, ``history.clipped_fraction()``).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    clip_norm = check_clip_norm(clip_norm)
    device = device or pick_device(verbose=False)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History(device=str(device), clip_norm=clip_norm)
    for epoch in range(1, epochs + 1):
        meter = EpochMeter(epoch)
        model.train()
        bar = tqdm(train_loader, desc=epoch_description(epoch, epochs), unit="batch",
                   disable=not progress, leave=True)
        threads = policy()
        for ids, labels in bar:
            threads.adapt()  # fewer threads while a neighbour keeps a CPU busy
            ids, labels = ids.to(device), labels.to(device)
            logits = model(ids)
            loss = nn.functional.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_gradients(model.parameters(), clip_norm)
            optimizer.step()
            hits = (logits.argmax(dim=1) == labels).sum()
            # One copy to the host for all three numbers: each .item() waits for the GPU.
            batch_loss, batch_hits, batch_norm = torch.stack(
                [loss.detach().float(), hits.float(), norm.float()]).tolist()
            meter.add(batch_loss, batch_hits, len(labels))
            history.gradient_norms.append(batch_norm)
            bar.set_postfix(meter.postfix())
        record = meter.finish(*evaluate(model, test_loader, device))
        history.epochs.append(record)
        if progress:
            bar.write(epoch_summary(record))
    return history


def compile_loop(function: Callable) -> Callable:
    """``function`` compiled with TorchScript, which keeps a Python loop over steps a loop.

    ``torch.compile`` would unroll a 200-step loop and compile for minutes. TorchScript is
    deprecated in favour of it but still works; its deprecation warning is silenced here.
    The function needs type annotations on its arguments (TorchScript assumes Tensor).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.script(function)


def compare_speed(variants: Mapping[str, Callable[[], torch.Tensor]], *, warmup: int = 2,
                  repeats: int = 5) -> SpeedComparison:
    """Time a forward plus backward pass of each variant, after checking they agree.

    ``variants`` maps a name to a function of no arguments that returns a layer's outputs;
    the backward pass computes the gradients of their sum for every tensor that requires
    one. A variant whose code raises NotImplementedError is listed as not timed. Returns a
    :class:`~rnncourse.speed.SpeedComparison` (``.table()``, ``.milliseconds()``).
    """
    return compare(variants, _outputs, _forward_backward, warmup, repeats)


@torch.no_grad()
def _outputs(forward: Callable[[], torch.Tensor]) -> np.ndarray:
    return forward().detach().double().cpu().numpy()


def _forward_backward(forward: Callable[[], torch.Tensor]) -> Callable[[], None]:
    synchronize = torch.cuda.is_available()  # asked once, not inside every timed call

    def call() -> None:
        forward().sum().backward()
        if synchronize:
            torch.cuda.synchronize()
    return call
