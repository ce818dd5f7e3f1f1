"""PyTorch side of Lesson 2's experiments: gradient norms, the memory sweep and clipping.

The plots and the table come from :mod:`rnncourse.experiments.common` and are
re-exported here, so a notebook needs one import.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import nn

from rnncourse.experiments.common import (
    CLIPPING_EMBED_SIZE,
    CLIPPING_HIDDEN_SIZE,
    CLIPPING_LR,
    CLIPPING_RECURRENT_GAIN,
    CLIPPING_UPDATES,
    MEMORY_CLASSES,
    MEMORY_VOCAB_SIZE,
    ClippingProblem,
    ClippingRun,
    check_at_least,
    check_clipping_arguments,
    check_init,
    check_kind,
    chrono_bias,
    clipping_problem,
    gradient_probe,
    mean_step_norms,
    memory_splits,
    memory_table,
    plot_clipping,
    plot_gradient_norms,
    plot_memory_sweep,
    run_clipping,
    run_memory_sweep,
)
from rnncourse.i18n import _
from rnncourse.pytorch import clip_gradients, make_loader, pick_device, seed_everything, train

__all__ = [
    "ClippingRun",
    "MemoryClassifier",
    "apply_chrono_init",
    "clipping_experiment",
    "input_gradient_norms",
    "memory_accuracy",
    "memory_sweep",
    "memory_table",
    "plot_clipping",
    "plot_gradient_norms",
    "plot_memory_sweep",
    "recurrent_layer",
]

_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def recurrent_layer(kind: str, input_size: int, hidden_size: int) -> nn.RNNBase:
    """PyTorch's built-in ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (batch first, default init)."""
    return _LAYERS[check_kind(kind)](input_size, hidden_size, batch_first=True)


@torch.no_grad()
def apply_chrono_init(layer: nn.RNNBase, kind: str, max_lag: int, seed: int = 0) -> None:
    """Start the gates of a built-in LSTM or GRU from the chrono initialisation.

    The LSTM's forget gate gets :func:`~rnncourse.experiments.common.chrono_bias`
    and its input gate the opposite; the GRU's update gate ``z`` gets it. A plain
    RNN has no gate and is left alone.
    """
    if check_kind(kind) == "rnn":
        return
    hidden = layer.hidden_size
    bias = torch.from_numpy(chrono_bias(hidden, max_lag, seed)).to(layer.bias_ih_l0.device)
    b_ih, b_hh = layer.bias_ih_l0, layer.bias_hh_l0
    keep = slice(hidden, 2 * hidden)  # the forget gate (LSTM: i, f, g, o) or z (GRU: r, z, n)
    b_ih[keep], b_hh[keep] = bias, 0.0
    if kind == "lstm":
        b_ih[:hidden], b_hh[:hidden] = -bias, 0.0  # input gate mostly shut at first


@contextlib.contextmanager
def _small_model_cpu_settings(device: torch.device) -> Iterator[None]:
    """One CPU thread and denormals flushed to zero for the duration.

    Afterwards the thread count is restored and flushing is off again (PyTorch's
    default; it offers no way to read the previous setting).

    The matrices here are tiny, so extra threads cost more in synchronisation than
    they save (and stall badly when other processes compete for the cores); vanishing
    gradients reach the denormal range, where CPU arithmetic is many times slower.
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.set_flush_denormal(False)


def input_gradient_norms(kind: str, *, steps: int = 100, input_size: int = 32,
                         hidden_size: int = 64, batch: int = 32, init: str = "default",
                         seed: int = 0) -> np.ndarray:
    """How strongly the final state depends on each input step, at initialisation.

    Builds the built-in layer with PyTorch's default initialisation (or, with
    ``init="chrono"``, :func:`apply_chrono_init` over ``steps``), feeds it random
    inputs (:func:`~rnncourse.experiments.common.gradient_probe`), takes the loss
    ``sum(h_T @ readout)`` of the final hidden state only and returns, for every step
    ``t``, the mean over the batch of ``||d loss / d x_t||``: an array of length
    ``steps``, step 0 first. The curve against distance from the end shows how fast
    the gradient vanishes; plot it with :func:`plot_gradient_norms`.

    Raises:
        ValueError: If ``kind`` or ``init`` is unknown or a size is below 1.
    """
    check_kind(kind)
    check_init(init)
    x_np, readout_np = gradient_probe(steps, input_size, hidden_size, batch, seed)
    device = pick_device(verbose=False)
    torch.manual_seed(seed)
    layer = recurrent_layer(kind, input_size, hidden_size).to(device)
    if init == "chrono":
        apply_chrono_init(layer, kind, steps, seed)
    x = torch.from_numpy(x_np).to(device).requires_grad_(True)
    outputs, _ = layer(x)
    loss = (outputs[:, -1] @ torch.from_numpy(readout_np).to(device)).sum()
    (gradient,) = torch.autograd.grad(loss, x)
    return mean_step_norms(gradient.cpu().numpy())


class MemoryClassifier(nn.Module):
    """Embedding, a built-in recurrent layer, and a linear readout of its final state.

    With ``init="chrono"`` the LSTM's forget and input gates (the GRU's update gate)
    start from :func:`~rnncourse.experiments.common.chrono_bias`; with ``"default"``
    every weight keeps PyTorch's initialisation. A plain RNN has no gate: both agree.
    """

    def __init__(self, kind: str, *, vocab_size: int = MEMORY_VOCAB_SIZE, embed_size: int = 16,
                 hidden_size: int = 32, num_classes: int = MEMORY_CLASSES,
                 init: str = "chrono", max_lag: int = 100, seed: int = 0) -> None:
        super().__init__()
        check_init(init)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.recurrent = recurrent_layer(kind, embed_size, hidden_size)
        self.output = nn.Linear(hidden_size, num_classes)
        if init == "chrono":
            apply_chrono_init(self.recurrent, kind, max_lag, seed)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, num_classes)`` for ids of shape ``(batch, steps)``."""
        outputs, _ = self.recurrent(self.embedding(ids))
        return self.output(outputs[:, -1])  # every sequence is full length: no padding


def memory_accuracy(kind: str, distractors: int, *, train_size: int = 2000,
                    test_size: int = 500, hidden_size: int = 32, embed_size: int = 16,
                    epochs: int = 5, batch_size: int = 32, lr: float = 5e-3,
                    init: str = "chrono", seed: int = 0) -> float:
    """Test accuracy of a :class:`MemoryClassifier` trained on the first-token memory task.

    Trains on ``first_token_memory(train_size, distractors)`` with the course's
    :func:`~rnncourse.pytorch.train` (Adam, gradients clipped to 1) on the GPU when
    there is one, and evaluates on an independent test split.

    The defaults keep the default :func:`memory_sweep` to about 15 s on two CPU cores
    while the plain RNN stays at chance for T = 100 and the LSTM and GRU reach 100 %
    (seeds 0, 1 and 2). They need ``init="chrono"``: from the default gates (forget
    or update gate near 0.5) their gradient vanishes too, and within this budget they
    stay near chance from T = 50 on, like the RNN (compare ``input_gradient_norms``
    with both inits).
    More epochs or a larger ``hidden_size`` let the RNN learn T = 100 on some seeds.

    Raises:
        ValueError: If ``kind`` or ``init`` is unknown or a size is out of range.
    """
    check_kind(kind)
    check_init(init)
    check_at_least("distractors", distractors, 0)
    for name, value in (("hidden_size", hidden_size), ("embed_size", embed_size),
                        ("epochs", epochs), ("batch_size", batch_size)):
        check_at_least(name, value, 1)
    train_split, test_split = memory_splits(distractors, train_size, test_size, seed)
    device = pick_device(verbose=False)
    with _small_model_cpu_settings(device):
        seed_everything(seed)
        model = MemoryClassifier(kind, embed_size=embed_size, hidden_size=hidden_size,
                                 init=init, max_lag=distractors + 1, seed=seed)
        history = train(model, make_loader(train_split, batch_size, shuffle=True, seed=seed),
                        make_loader(test_split, 500), epochs=epochs, lr=lr, device=device,
                        progress=False)
    return history.test_accuracy


def memory_sweep(kinds: Iterable[str] = ("rnn", "lstm", "gru"),
                 distractors: Iterable[int] = (5, 20, 50, 100),
                 **kw: object) -> dict[str, dict[int, float]]:
    """:func:`memory_accuracy` for every kind and number of distractors, with a progress bar.

    Keyword arguments go to :func:`memory_accuracy`. Returns ``{kind: {T: accuracy}}``;
    show it with :func:`plot_memory_sweep` or :func:`memory_table`.
    """
    run = functools.partial(memory_accuracy, **kw)
    label = _("memory sweep ({framework})").format(framework="PyTorch")
    return run_memory_sweep(run, kinds, distractors, desc=label)


@torch.no_grad()
def _load_clipping_weights(model: MemoryClassifier, problem: ClippingProblem) -> None:
    """Start ``model`` from the clipping experiment's weights, every bias at zero."""
    layer = model.recurrent
    model.embedding.weight.copy_(torch.from_numpy(problem.embedding))
    layer.weight_ih_l0.copy_(torch.from_numpy(problem.input_weights))
    layer.weight_hh_l0.copy_(torch.from_numpy(problem.recurrent_weights))
    model.output.weight.copy_(torch.from_numpy(problem.readout_weights))
    for bias in (layer.bias_ih_l0, layer.bias_hh_l0, model.output.bias):
        bias.zero_()
    # Keras's SimpleRNN has one bias: the second one stays at zero, so both train one model.
    layer.bias_hh_l0.requires_grad_(False)


def clipping_experiment(clip_norm: float | None, *, updates: int = CLIPPING_UPDATES,
                        lr: float = CLIPPING_LR, recurrent_gain: float = CLIPPING_RECURRENT_GAIN,
                        seed: int = 0) -> ClippingRun:
    """Train a plain tanh RNN with plain SGD, with or without gradient clipping.

    The model (a :class:`MemoryClassifier` around ``nn.RNN``) learns the first-token memory
    task with :data:`~rnncourse.experiments.common.CLIPPING_DISTRACTORS` distractors, one
    fresh batch of 32 sequences per update. It starts from
    :func:`~rnncourse.experiments.common.clipping_problem`'s weights, the same in PyTorch
    and TensorFlow, whose recurrent matrix stretches the state by ``recurrent_gain`` per
    step: where the tanh is not saturated, a gradient sent back through the 20 steps can
    grow by up to ``recurrent_gain ** 20`` (87 for the default 1.25), and now and then it
    spikes far above its usual size. Plain SGD moves the weights by ``lr`` times the
    gradient, so a spike throws them far away. With ``clip_norm`` set, a gradient whose
    global norm exceeds it is first scaled down to that norm
    (:func:`~rnncourse.pytorch.clip_gradients`), so no update moves the weights by more
    than ``lr * clip_norm``; with None, nothing is clipped.

    SGD rather than Adam, which the course's ``train`` uses: Adam divides each step by a
    running average of the gradients' size, so even a gradient a hundred times too large
    moves a weight by at most a few times the learning rate, and the explosion stays hidden.

    Measured with the defaults for seeds 0 to 4 in both frameworks: without clipping,
    gradient norms spike to 13 to 190 times the first update's, the loss climbs to 6 to
    16 times its starting value (about ln 4, chance) and the run ends above where it
    started; with ``clip_norm=1.0`` only 7 to 19 % of the updates are clipped and the
    same run learns the task (final loss below 0.001). The tanh keeps the states bounded,
    so the loss stays finite; a NaN or infinite value would be recorded as it came. Both
    runs see the same weights and batches, and the two frameworks agree for the first
    updates. Returns a :class:`~rnncourse.experiments.common.ClippingRun` with every
    update's loss and gradient norm before clipping; plot runs with :func:`plot_clipping`.

    Raises:
        ValueError: If ``clip_norm``, ``lr`` or ``recurrent_gain`` is not a positive
            number (``clip_norm`` may be None) or ``updates`` is below 1.
    """
    clip_norm = check_clipping_arguments(clip_norm, updates, lr, recurrent_gain)
    problem = clipping_problem(updates, recurrent_gain, seed)
    device = pick_device(verbose=False)
    with _small_model_cpu_settings(device):
        model = MemoryClassifier("rnn", embed_size=CLIPPING_EMBED_SIZE,
                                 hidden_size=CLIPPING_HIDDEN_SIZE, init="default")
        _load_clipping_weights(model, problem)
        model.to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        ids = torch.from_numpy(problem.ids).to(device)
        labels = torch.from_numpy(problem.labels).to(device)

        def step(update: int) -> tuple[float, float]:
            loss = nn.functional.cross_entropy(model(ids[update]), labels[update])
            optimizer.zero_grad()
            loss.backward()
            norm = clip_gradients(model.parameters(), clip_norm)
            optimizer.step()
            loss_value, norm_value = torch.stack([loss.detach(), norm.float()]).tolist()
            return loss_value, norm_value

        return run_clipping(step, clip_norm, lr, recurrent_gain, updates)
