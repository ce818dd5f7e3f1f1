"""Ordinary student code, written many ways: none of it may be flagged as tampering.

Each entry is (name, source) for one code cell. The sources are what students of an RNN
course write in their cells and scratch cells, in PyTorch, Keras and NumPy, including the
near misses of the tamper rules in :mod:`rnncourse.grading.inspection`: ``type(self).__name__``
and ``self.__class__.__name__``, ``getattr`` with a default, ``gc.collect()``, a profiler's
``.events()``, ``"model" in globals()``, ``timeit(..., globals=globals())``, ``sys.path``,
``importlib.metadata``, ``inspect.signature`` and ``traceback.extract_stack``. None of them
defines a name the lessons import from ``rnncourse`` (``train``, ``check_*``...): that would
rebind it, which is flagged on purpose.
"""

from __future__ import annotations

SNIPPETS: list[tuple[str, str]] = [
    ("loop over time steps", '''
outputs = []
state = torch.zeros(x.shape[0], hidden_size)
for t in range(x.shape[1]):
    state = torch.tanh(x[:, t] @ W + state @ H + b)
    outputs.append(state)
outputs = torch.stack(outputs, dim=1)
'''),
    ("unbind and zip", '''
states = []
h = h0
for step, mask in zip(x.unbind(1), lengths_mask.unbind(1)):
    h_new = cell(step, h)
    h = torch.where(mask.unsqueeze(-1), h_new, h)
    states.append(h)
'''),
    ("einsum cell", '''
class EinsumCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W = nn.Parameter(torch.empty(input_size, hidden_size))
        self.U = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b = nn.Parameter(torch.zeros(hidden_size))
        nn.init.xavier_uniform_(self.W)
        nn.init.orthogonal_(self.U)

    def forward(self, x, h):
        return torch.tanh(torch.einsum("be,eh->bh", x, self.W)
                          + torch.einsum("bk,kh->bh", h, self.U) + self.b)
'''),
    ("matmul and addmm", '''
def step(x, h, W, H, b):
    return torch.tanh(torch.addmm(b, x, W) + torch.matmul(h, H))
'''),
    ("nn.Module with register_buffer and repr", '''
class Cell(torch.nn.Module):
    """A plain RNN cell."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super(Cell, self).__init__()
        self.hidden_size = hidden_size
        self.linear = torch.nn.Linear(input_size + hidden_size, hidden_size)
        self.register_buffer("initial", torch.zeros(1, hidden_size))

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        if h is None:
            h = self.initial.expand(x.shape[0], -1)
        return torch.tanh(self.linear(torch.cat([x, h], dim=-1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hidden_size={self.hidden_size})"

    def extra_repr(self):
        return f"{self.__class__.__name__} with {self.hidden_size} units"
'''),
    ("dunder methods of a dataset", '''
class Reviews(torch.utils.data.Dataset):
    def __init__(self, ids, labels):
        self.ids, self.labels = ids, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.ids[index], self.labels[index]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __call__(self, index):
        return self.__getitem__(index)
'''),
    ("class copy through __class__", '''
class Stack(nn.Module):
    def __init__(self, size, layers=2):
        super().__init__()
        self.size, self.layers = size, layers
        self.cells = nn.ModuleList([nn.RNNCell(size, size) for _ in range(layers)])

    def fresh(self):
        twin = self.__class__(self.size, self.layers)
        assert isinstance(twin, self.__class__) and type(twin) is type(self)
        return twin
'''),
    ("gates built with setattr and getattr", '''
class GRUCellByGate(nn.Module):
    GATES = ("r", "z", "n")

    def __init__(self, input_size, hidden_size):
        super().__init__()
        for gate in self.GATES:
            setattr(self, f"W_{gate}", nn.Parameter(torch.randn(input_size, hidden_size) * 0.1))
            setattr(self, f"U_{gate}", nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.1))
            setattr(self, f"b_{gate}", nn.Parameter(torch.zeros(hidden_size)))

    def gate(self, name, x, h):
        return x @ getattr(self, f"W_{name}") + h @ getattr(self, f"U_{name}") + getattr(
            self, f"b_{name}")

    def forward(self, x, h):
        r = torch.sigmoid(self.gate("r", x, h))
        z = torch.sigmoid(self.gate("z", x, h))
        n = torch.tanh(x @ self.W_n + r * (h @ self.U_n) + self.b_n)
        return (1 - z) * n + z * h
'''),
    ("getattr hasattr isinstance", '''
size = getattr(model, "hidden_size", None)
if hasattr(model, "rnn") and isinstance(model.rnn, nn.Module):
    print(type(model.rnn).__name__, getattr(model.rnn, "num_layers", 1))
name = getattr(layer, "name", type(layer).__name__)
'''),
    ("weights copied under no_grad", '''
with torch.no_grad():
    cell.W.copy_(torch_rnn.weight_ih_l0.T)
    cell.H.copy_(torch_rnn.weight_hh_l0.T)
    cell.b.copy_(torch_rnn.bias_ih_l0 + torch_rnn.bias_hh_l0)
    for name, parameter in cell.named_parameters():
        print(name, parameter.shape, parameter.detach().abs().max().item())
'''),
    ("packed sequences", '''
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
out, h_n = rnn(packed)
out, _ = pad_packed_sequence(out, batch_first=True)
last = out[torch.arange(out.shape[0]), lengths - 1]
'''),
    ("gather the last real step", '''
lengths = (ids != 0).sum(dim=1)
index = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, outputs.shape[-1])
last = outputs.gather(1, index).squeeze(1)
logits = self.output(last) if hasattr(self, "output") else last
'''),
    ("a hand-written training loop", '''
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    model.train()
    total = 0.0
    for batch, (ids, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(ids), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        total += loss.item()
    model.eval()
    print(f"epoch {epoch + 1}: loss {total / (batch + 1):.4f}")
'''),
    ("evaluation with no_grad", '''
correct = 0
with torch.no_grad():
    for ids, labels in test_loader:
        predictions = model(ids).argmax(dim=-1)
        correct += (predictions == labels).sum().item()
print(f"accuracy: {correct / len(test_loader.dataset):.2%}")
'''),
    ("reproducibility switches", '''
import random

import numpy as np

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.backends.cuda.matmul.allow_tf32 = False
torch.set_printoptions(precision=4, sci_mode=False)
'''),
    ("freeing memory between runs", '''
import gc

del model, optimizer
gc.collect()
if torch.cuda.is_available():
    torch.cuda.empty_cache()
    print(torch.cuda.memory_allocated() / 2**20, "MiB")
'''),
    ("profiling a layer", '''
from torch.profiler import ProfilerActivity, profile

with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    model(ids)
print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=5))
print(len(prof.events()), "events")
'''),
    ("forward hooks for gradient norms", '''
norms = []

def keep_norm(module, grad_input, grad_output):
    norms.append(grad_output[0].norm().item())

handle = model.rnn.register_full_backward_hook(keep_norm)
model(ids).sum().backward()
handle.remove()
embedded.register_hook(lambda grad: norms.append(grad.norm().item()))
'''),
    ("timing with timeit and perf_counter", '''
import time
import timeit

start = time.perf_counter()
model(ids)
print(f"{time.perf_counter() - start:.3f} s")
print(timeit.timeit("model(ids)", globals=globals(), number=5) / 5)
print(min(timeit.repeat(lambda: model(ids), number=3, repeat=3)))
%timeit model(ids)
'''),
    ("cuda events", '''
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
model(ids)
end.record()
torch.cuda.synchronize()
print(start.elapsed_time(end))
'''),
    ("torch.compile and jit", '''
fast = torch.compile(model, mode="reduce-overhead")
scripted = torch.jit.script(nn.GRU(8, 8, batch_first=True))
print(fast(ids).shape, scripted(torch.randn(2, 5, 8))[0].shape)
'''),
    ("stacked bidirectional by hand", '''
class BiStack(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=2):
        super().__init__()
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_layers = nn.ModuleList(nn.GRU(s, hidden_size, batch_first=True)
                                            for s in sizes)
        self.backward_layers = nn.ModuleList(nn.GRU(s, hidden_size, batch_first=True)
                                             for s in sizes)

    def forward(self, x, lengths):
        for fwd, bwd in zip(self.forward_layers, self.backward_layers):
            ahead, _ = fwd(x)
            flipped = torch.stack([torch.cat([row[:n].flip(0), row[n:]])
                                   for row, n in zip(x, lengths.tolist())])
            behind, _ = bwd(flipped)
            behind = torch.stack([torch.cat([row[:n].flip(0), row[n:]])
                                  for row, n in zip(behind, lengths.tolist())])
            x = torch.cat([ahead, behind], dim=-1)
        return x
'''),
    ("mean and max pooling with a mask", '''
mask = (ids != 0).unsqueeze(-1).float()
mean = (outputs * mask).sum(1) / mask.sum(1).clamp(min=1)
largest = outputs.masked_fill(mask == 0, float("-inf")).max(dim=1).values
pooled = torch.cat([mean, largest], dim=-1)
'''),
    ("keras layer with build and call", '''
class MinimalRNNCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform", name="W")
        self.H = self.add_weight(shape=(self.units, self.units), initializer="orthogonal",
                                 name="H")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.built = True

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.W) + ops.matmul(states[0], self.H) + self.b)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''),
    ("keras loop with ops", '''
def run_cell(cell, x, state):
    outputs = []
    for t in range(x.shape[1]):
        state = cell(x[:, t, :], state)
        outputs.append(state)
    return ops.stack(outputs, axis=1), state
'''),
    ("tf.function and while_loop", '''
@tf.function(reduce_retracing=True)
def run(x, h):
    steps = tf.shape(x)[1]
    array = tf.TensorArray(tf.float32, size=steps)

    def body(t, h, array):
        h = tf.tanh(tf.matmul(x[:, t], W) + tf.matmul(h, H) + b)
        return t + 1, h, array.write(t, h)

    _, h, array = tf.while_loop(lambda t, *_: t < steps, body, (0, h, array))
    return tf.transpose(array.stack(), [1, 0, 2]), h
'''),
    ("tf.scan and einsum", '''
def scan_rnn(x, h0):
    def step(h, x_t):
        return tf.tanh(tf.einsum("be,eh->bh", x_t, W) + h @ H + b)
    states = tf.scan(step, tf.transpose(x, [1, 0, 2]), initializer=h0)
    return tf.transpose(states, [1, 0, 2])
'''),
    ("keras weights loaded", '''
kernel, recurrent_kernel, bias = keras_layer.get_weights()
cell.W.assign(kernel)
cell.H.assign(recurrent_kernel)
cell.b.assign(bias)
for weight in keras_layer.weights:
    print(weight.name, weight.shape)
'''),
    ("keras model, callbacks and fit", '''
model = keras.Sequential([
    keras.layers.Embedding(vocab_size, 32, mask_zero=True),
    keras.layers.Bidirectional(keras.layers.LSTM(32, return_sequences=True)),
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(4),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
history = model.fit(dataset, epochs=3, validation_data=test_dataset, callbacks=[stop])
print(history.history["val_accuracy"])
'''),
    ("a keras callback", '''
class PrintEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(epoch, {key: round(float(value), 3) for key, value in logs.items()})
'''),
    ("gradient tape", '''
with tf.GradientTape() as tape:
    logits = model(ids, training=True)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
grads = tape.gradient(loss, model.trainable_variables)
optimizer.apply_gradients(zip(grads, model.trainable_variables))
'''),
    ("keras config and seeds", '''
import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras.utils.set_random_seed(0)
tf.config.run_functions_eagerly(False)
print(keras.config.backend(), tf.__version__, keras.__version__)
'''),
    ("numpy reference", '''
import numpy as np

def numpy_rnn(x, W, H, b):
    h = np.zeros((x.shape[0], H.shape[0]))
    for x_t in np.moveaxis(x, 1, 0):
        h = np.tanh(x_t @ W + h @ H + b)
    return h

np.testing.assert_allclose(numpy_rnn(x, W, H, b), expected, atol=1e-5)
np.set_printoptions(precision=3, suppress=True)
'''),
    ("math and initialisation bounds", '''
import math

bound = 1 / math.sqrt(hidden_size)
with torch.no_grad():
    for parameter in cell.parameters():
        parameter.uniform_(-bound, bound)
print(math.isclose(bound, hidden_size ** -0.5))
'''),
    ("comprehensions and enumerate", '''
shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
total = sum(p.numel() for p in model.parameters() if p.requires_grad)
for i, (name, shape) in enumerate(sorted(shapes.items())):
    print(f"{i:>2} {name:<30} {shape!s:>15}")
print(f"{total=:,}")
'''),
    ("dataclass config", '''
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Config:
    embed_size: int = 32
    hidden_size: int = 64
    dropout: float = 0.1
    layers: list[int] = field(default_factory=lambda: [1, 2])


config = Config()
bigger = replace(config, hidden_size=128)
print(asdict(bigger))
print(vars(config))
for key, value in vars(config).items():
    print(key, value)
'''),
    ("functools", '''
import functools

make_cell = functools.partial(nn.LSTMCell, bias=True)

def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        print("calling", fn.__name__, fn.__doc__)
        return fn(*args, **kwargs)
    return wrapper


@functools.lru_cache(maxsize=None)
def vocabulary_size(n):
    return n + 2
'''),
    ("collections and itertools", '''
from collections import Counter, defaultdict
from itertools import chain, islice

counts = Counter(chain.from_iterable(text.split() for text in texts))
by_label = defaultdict(list)
for text, label in islice(zip(texts, labels), 100):
    by_label[label].append(text)
print(counts.most_common(5), {k: len(v) for k, v in by_label.items()})
'''),
    ("assert, try and except", '''
try:
    out, final = layer(x)
except (RuntimeError, ValueError) as error:
    print("shape problem:", error)
    raise
else:
    assert out.shape == (4, 7, 5), out.shape
    assert torch.allclose(out[:, -1], final, atol=1e-6)
finally:
    print("done")
'''),
    ("traceback and warnings", '''
import traceback
import warnings

warnings.filterwarnings("ignore", category=UserWarning)
try:
    layer(torch.randn(2, 3))
except Exception:
    traceback.print_exc()
    print("".join(traceback.format_exception_only(*sys.exc_info()[:2])))
print(len(traceback.extract_stack()))
'''),
    ("sys and paths", '''
import sys
from pathlib import Path

sys.path.append(str(Path.cwd().parent))
print(sys.version_info >= (3, 10), sys.platform, sys.getrecursionlimit())
sys.stdout.flush()
'''),
    ("package versions", '''
import importlib
import importlib.metadata
import importlib.util

print(importlib.metadata.version("torch"))
has_tf = importlib.util.find_spec("tensorflow") is not None
print(has_tf)
'''),
    ("inspect for signatures", '''
import inspect

print(inspect.signature(RNNCell.forward))
print(inspect.getsource(RNNCell.__init__)[:80])
print(inspect.isclass(RNNCell), inspect.getdoc(RNNCell))
'''),
    ("IPython display and settings", '''
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import Markdown, clear_output, display

InteractiveShell.ast_node_interactivity = "all"
clear_output(wait=True)
display(Markdown(f"**accuracy**: {accuracy:.1%}"))
'''),
    ("magics and shell escapes", '''
%matplotlib inline
%load_ext autoreload
%autoreload 2
!pip list | grep torch
!ls -la
%time out = model(ids)
'''),
    ("main guard and module names", '''
def main():
    print(__name__, RNNCell.__name__, RNNCell.__qualname__, RNNCell.__module__, RNNCell.__doc__)


if __name__ == "__main__":
    main()
'''),
    ("checking whether a name exists", '''
if "review_rnn" not in globals():
    print("run the training cell first")
if "history" in locals():
    print(len(history))
print("{name} has {size} units".format(**locals()) if "size" in locals() else "")
print(sorted(k for k in globals() if not k.startswith("_"))[:5])
'''),
    ("matplotlib", '''
import matplotlib.pyplot as plt

plt.rcParams["figure.figsize"] = (8, 3)
fig, axes = plt.subplots(1, 2)
axes[0].plot(losses, label="loss")
axes[1].imshow(weights.detach().numpy(), cmap="coolwarm")
axes[0].legend()
fig.suptitle("training")
plt.show()
'''),
    ("copy and save", '''
import copy
import json

best = copy.deepcopy(model.state_dict())
model.load_state_dict(best)
torch.save(best, "best.pt")
with open("history.json", "w") as handle:
    json.dump({"accuracy": accuracies}, handle)
'''),
    ("lambda, map and filter", '''
activations = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
apply = lambda name, x: activations[name](x)  # noqa: E731
lengths = list(map(len, texts))
long_texts = list(filter(lambda t: len(t.split()) > 20, texts))
print(apply("tanh", torch.zeros(2)), max(lengths), len(long_texts))
'''),
    ("generators and yield", '''
def batches(ids, labels, size=32):
    for start in range(0, len(ids), size):
        yield ids[start:start + size], labels[start:start + size]


first = next(iter(batches(ids, labels)))
print(first[0].shape)
'''),
    ("static and class methods", '''
class Init:
    scale = 0.1

    @staticmethod
    def uniform(shape, bound):
        return torch.empty(shape).uniform_(-bound, bound)

    @classmethod
    def normal(cls, shape):
        return torch.randn(shape) * cls.scale

    @property
    def description(self):
        return f"{type(self).__name__}(scale={self.scale})"
'''),
    ("an LSTM cell with chunk", '''
class ChunkLSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.x2g = nn.Linear(input_size, 4 * hidden_size)
        self.h2g = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        with torch.no_grad():
            self.x2g.bias[hidden_size:2 * hidden_size].fill_(1.0)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = (self.x2g(x) + self.h2g(h)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
'''),
    ("a GRU cell with F.linear", '''
import torch.nn.functional as F


class LinearGRUCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.randn(3 * hidden_size, input_size) * 0.1)
        self.weight_hh = nn.Parameter(torch.randn(3 * hidden_size, hidden_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(3 * hidden_size))

    def forward(self, x, h):
        xr, xz, xn = F.linear(x, self.weight_ih, self.bias).chunk(3, -1)
        hr, hz, hn = F.linear(h, self.weight_hh).chunk(3, -1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        return (1 - z) * torch.tanh(xn + r * hn) + z * h
'''),
    ("global and nonlocal", '''
step_count = 0


def counted(fn):
    calls = 0

    def inner(*args):
        nonlocal calls
        global step_count
        calls += 1
        step_count += 1
        return fn(*args)
    return inner
'''),
    ("match and walrus", '''
match optimizer_name:
    case "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    case "sgd" | "momentum":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    case _:
        raise ValueError(optimizer_name)
if (n := count_trainable(model)) > 10_000:
    print(n)
'''),
    ("async-free threads and tqdm", '''
from tqdm.auto import tqdm

for epoch in tqdm(range(3), desc="epochs"):
    for ids, labels in tqdm(loader, leave=False):
        pass
'''),
    ("logging", '''
import logging

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("homework")
log.info("hidden size %d", 64)
'''),
    ("error handling with exception info", '''
try:
    model(torch.zeros(2, 3, dtype=torch.long))
except IndexError as error:
    print(type(error).__name__, error.args, error.__traceback__ is not None)
'''),
    ("string formatting", '''
report = "\\n".join(f"{name:>12}: {acc:6.2%}" for name, acc in results.items())
print(report)
print("%s has %d parameters" % ("RNN", 1234))
print("{:.3f}".format(0.12345), repr(model)[:40], str(model)[:40])
'''),
    ("type hints and annotations", '''
from typing import NamedTuple


class Output(NamedTuple):
    states: torch.Tensor
    final: torch.Tensor


def run_layer(layer: nn.Module, x: torch.Tensor, *, reverse: bool = False) -> Output:
    states, final = layer(x.flip(1) if reverse else x)
    return Output(states.flip(1) if reverse else states, final)


hidden: dict[str, torch.Tensor] = {}
'''),
    ("keras rnn wrapper", '''
cell = MinimalRNNCell(16)
layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
sequences, last = layer(ops.ones((2, 5, 3)))
print(ops.shape(sequences), ops.convert_to_numpy(last)[0, :3])
'''),
    ("keras masking", '''
embedding = keras.layers.Embedding(1000, 16, mask_zero=True)
mask = embedding.compute_mask(ids)
lstm = keras.layers.LSTM(32)
summary = lstm(embedding(ids), mask=mask)
'''),
    ("keras functional model", '''
inputs = keras.Input(shape=(None,), dtype="int32")
x = keras.layers.Embedding(1000, 16)(inputs)
x = keras.layers.GRU(32, return_sequences=True)(x)
x = keras.layers.GlobalMaxPooling1D()(x)
outputs = keras.layers.Dense(4)(x)
functional = keras.Model(inputs, outputs, name="gru_classifier")
functional.summary()
'''),
    ("numpy weights into torch", '''
weights = np.load("weights.npz")
with torch.no_grad():
    for name, parameter in cell.named_parameters():
        parameter.copy_(torch.from_numpy(weights[name]).to(parameter.dtype))
'''),
    ("device handling", '''
use = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = model.to(use)
ids = ids.to(use, non_blocking=True)
print(next(model.parameters()).device, torch.get_num_threads())
torch.set_num_threads(2)
'''),
    ("plain python helpers", '''
def accuracy(predictions, labels):
    """The fraction of predictions that are right."""
    right = sum(int(p == l) for p, l in zip(predictions, labels))
    return right / max(len(labels), 1)


print(accuracy([1, 0, 1], [1, 1, 1]))
print(abs(-3), round(2.567, 2), min(3, 4), divmod(7, 2), all([]), any([True]))
'''),
    ("a quiz answer", '''
answer("lesson1-q1", "b")
answer("lesson1-q2", ["a", "c"])
'''),
]
