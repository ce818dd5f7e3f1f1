"""The training adapters and plots, on data small enough to train in seconds."""

from __future__ import annotations

import json
import math

import matplotlib
import pytest

matplotlib.use("Agg")

from rnncourse.data import encode_splits, negation_reviews  # noqa: E402
from rnncourse.plots import plot_bars, plot_history  # noqa: E402
from rnncourse.training import (  # noqa: E402
    EpochMeter,
    History,
    check_clip_norm,
    clipped_fraction,
    epoch_summary,
    quick_mode,
)


@pytest.fixture(scope="module")
def tiny_splits():
    _, train, test = encode_splits(negation_reviews(96, seed=0), negation_reviews(40, seed=1),
                                   max_len=24)
    return train, test


def test_quick_mode_follows_nbgrader_and_the_ci_switch(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("RNNCOURSE_QUICK", raising=False)
    assert not quick_mode()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert quick_mode()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv("RNNCOURSE_QUICK", "1")
    assert quick_mode()
    monkeypatch.setenv("RNNCOURSE_QUICK", "0")
    assert not quick_mode()


def test_epoch_meter_weights_batches_by_size():
    meter = EpochMeter(1)
    meter.add(mean_loss=1.0, hits=2, size=2)
    meter.add(mean_loss=4.0, hits=0, size=6)
    record = meter.finish(test_loss=0.5, test_accuracy=0.75)
    assert record.train_loss == pytest.approx(26 / 8)
    assert record.train_accuracy == pytest.approx(0.25)
    assert record.seconds >= 0
    assert epoch_summary(record).startswith("epoch 1: train accuracy 0.250, test accuracy 0.750")


def test_pytorch_training_loop_returns_a_history(tiny_splits, capsys):
    import torch
    from torch import nn

    from rnncourse.pytorch import count_parameters, evaluate, make_loader, pick_device, train

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(100, 4, padding_idx=0)
            self.output = nn.Linear(4, 2)

        def forward(self, ids):
            return self.output(self.embedding(ids).mean(dim=1))

    train_split, test_split = tiny_splits
    torch.manual_seed(0)
    model = Mean()
    assert count_parameters(model) == 100 * 4 + 4 * 2 + 2
    device = pick_device()
    pick_device()
    assert capsys.readouterr().out.count("is using") == 1  # said once per session
    history = train(model, make_loader(train_split, 16, shuffle=True),
                    make_loader(test_split, 64), epochs=2, lr=1e-2, progress=False)
    assert [r.epoch for r in history.epochs] == [1, 2]
    assert history.device == str(device)
    loss, accuracy = evaluate(model, make_loader(test_split, 64))
    assert accuracy == pytest.approx(history.test_accuracy)
    assert loss == pytest.approx(history.epochs[-1].test_loss)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        train(model, make_loader(train_split, 16), make_loader(test_split, 64), epochs=0)


def test_pytorch_training_records_every_update_s_gradient_norm_before_clipping(tiny_splits):
    import torch
    from torch import nn

    from rnncourse.pytorch import make_loader, train

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(100, 4)
            self.output = nn.Linear(4, 2)

        def forward(self, ids):
            return self.output(self.embedding(ids).mean(dim=1))

    train_split, test_split = tiny_splits

    def model_and_first_norm() -> tuple[nn.Module, float]:
        torch.manual_seed(0)
        model = Mean()
        ids, labels = next(iter(make_loader(train_split, 16)))
        nn.functional.cross_entropy(model(ids), labels).backward()
        norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
        model.zero_grad()
        return model, norm

    batches = len(make_loader(train_split, 16))
    for clip_norm, share in ((1e-4, 1.0), (1e6, 0.0)):
        model, first_norm = model_and_first_norm()
        history = train(model, make_loader(train_split, 16), make_loader(test_split, 64),
                        epochs=2, clip_norm=clip_norm, progress=False)
        assert len(history.gradient_norms) == 2 * batches and history.clip_norm == clip_norm
        # The first update's norm as measured outside train(), so before any clipping.
        assert history.gradient_norms[0] == pytest.approx(first_norm, rel=1e-5)
        assert history.clipped_fraction() == share
        assert history.largest_gradient_norm == max(history.gradient_norms)
    history = train(model, make_loader(train_split, 16), make_loader(test_split, 64), epochs=1,
                    clip_norm=None, progress=False)
    assert len(history.gradient_norms) == batches and all(n > 0 for n in history.gradient_norms)
    assert history.clip_norm is None and math.isnan(history.clipped_fraction())
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not 0\.$"):
        train(model, make_loader(train_split, 16), make_loader(test_split, 64), clip_norm=0)


def test_pytorch_loader_trims_each_batch_to_its_longest_text(tiny_splits):
    from rnncourse.pytorch import make_loader

    train_split, _ = tiny_splits
    seen = 0
    for ids, labels in make_loader(train_split, 16, shuffle=True):
        assert ids.shape[1] == int((ids != 0).sum(dim=1).max())
        seen += len(labels)
    assert seen == len(train_split)


def test_tensorflow_training_loop_returns_a_history(tiny_splits):
    import keras

    from rnncourse.tensorflow import (
        PAD_MULTIPLE,
        count_parameters,
        evaluate,
        make_dataset,
        seed_everything,
        train,
    )

    train_split, test_split = tiny_splits
    seed_everything(0)
    model = keras.Sequential([keras.layers.Embedding(100, 4),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    model(train_split.ids[:2])
    assert count_parameters(model) == 100 * 4 + 4 * 2 + 2
    data = make_dataset(train_split, 16, shuffle=True)
    assert all(ids.shape[1] % PAD_MULTIPLE == 0 or ids.shape[1] == train_split.ids.shape[1]
               for ids, _ in data)
    history = train(model, data, make_dataset(test_split, 64), epochs=2, lr=1e-2,
                    progress=False)
    assert [r.epoch for r in history.epochs] == [1, 2]
    loss, accuracy = evaluate(model, make_dataset(test_split, 64))
    assert accuracy == pytest.approx(history.test_accuracy)
    assert math.isfinite(loss)


def test_tensorflow_training_records_every_update_s_gradient_norm_before_clipping(tiny_splits):
    import keras
    import tensorflow as tf

    from rnncourse.tensorflow import make_dataset, seed_everything, train

    train_split, test_split = tiny_splits
    batches = train_split.num_batches(16)

    def model_and_first_norm() -> tuple[keras.Model, float]:
        seed_everything(0)
        # Token 0 pads every batch: the embedding's gradient repeats rows, which must add up.
        model = keras.Sequential([keras.layers.Embedding(100, 4),
                                  keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
        ids, labels = next(iter(make_dataset(train_split, 16)))
        with tf.GradientTape() as tape:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
                labels, model(ids))
        gradients = [tf.convert_to_tensor(g) for g in
                     tape.gradient(loss, model.trainable_variables)]
        return model, math.sqrt(sum(float(tf.reduce_sum(g * g)) for g in gradients))

    for clip_norm, share in ((1e-4, 1.0), (1e6, 0.0)):
        model, first_norm = model_and_first_norm()
        history = train(model, make_dataset(train_split, 16), make_dataset(test_split, 64),
                        epochs=2, clip_norm=clip_norm, progress=False)
        assert len(history.gradient_norms) == 2 * batches and history.clip_norm == clip_norm
        assert history.gradient_norms[0] == pytest.approx(first_norm, rel=1e-5)
        assert history.clipped_fraction() == share
    history = train(model, make_dataset(train_split, 16), make_dataset(test_split, 64),
                    epochs=1, clip_norm=None, progress=False)
    assert len(history.gradient_norms) == batches and all(n > 0 for n in history.gradient_norms)
    assert history.clip_norm is None and math.isnan(history.clipped_fraction())
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not -1\.$"):
        train(model, make_dataset(train_split, 16), make_dataset(test_split, 64), clip_norm=-1)


def test_history_counts_the_clipped_updates_and_stays_json_ready():
    history = History("cpu", gradient_norms=[0.5, 2.0, float("nan"), 1.0, 3.0], clip_norm=1.0)
    assert history.clipped_fraction() == pytest.approx(2 / 5)  # NaN and exactly 1.0: not clipped
    assert history.largest_gradient_norm == 3.0
    assert json.loads(json.dumps(history.to_dict()))["clip_norm"] == 1.0
    assert len(json.loads(json.dumps(history.to_dict()))["gradient_norms"]) == 5
    unclipped = History("cpu", gradient_norms=[5.0], clip_norm=None)
    assert math.isnan(unclipped.clipped_fraction())
    assert math.isnan(History("cpu").largest_gradient_norm)
    assert math.isnan(clipped_fraction([], 1.0))
    assert check_clip_norm(None) is None and check_clip_norm(2) == 2.0
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not nan\.$"):
        check_clip_norm(float("nan"))
    for wrong in (float("inf"), "1", 0):
        with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None"):
            check_clip_norm(wrong)


def test_plot_history_titles_and_labels_every_axis():
    meter = EpochMeter(1)
    meter.add(1.0, 1, 2)
    history = History(device="cpu", epochs=[meter.finish(0.9, 0.5)])
    figure = plot_history({"RNN": history, "LSTM": history}, title="Comparison")
    assert figure._suptitle.get_text() == "Comparison"
    for axis in figure.axes:
        assert axis.get_title() and axis.get_xlabel() == "epoch" and axis.get_ylabel()
        assert len(axis.get_legend().get_texts()) == 4


def test_plots_refuse_empty_input_in_one_sentence():
    with pytest.raises(ValueError, match="at least one epoch; train first"):
        plot_history(History(device="cpu"))
    with pytest.raises(ValueError, match="at least one value"):
        plot_bars({}, title="t", ylabel="y")


def test_comparison_table_lists_accuracy_size_and_speed():
    from rnncourse.training import EpochRecord, comparison_table

    histories = {
        "rnn": History("cpu", [EpochRecord(1, 1.0, 0.5, 1.0, 0.61, 4.0),
                               EpochRecord(2, 0.8, 0.6, 0.9, 0.70, 6.0)]),
        "lstm": History("cpu", [EpochRecord(1, 0.5, 0.8, 0.4, 0.88, 12.0)]),
    }
    table = comparison_table(histories, {"rnn": 1234, "lstm": 5678}).splitlines()
    assert table[0] == "| model | test accuracy | parameters | seconds per epoch |"
    assert table[2] == "| RNN | 0.700 | 1,234 | 5.0 |"
    assert table[3] == "| LSTM | 0.880 | 5,678 | 12.0 |"
    with pytest.raises(ValueError, match="No parameter count for 'lstm'"):
        comparison_table(histories, {"rnn": 1})
