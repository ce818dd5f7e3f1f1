"""The training adapters and plots, on data small enough to train in seconds."""

from __future__ import annotations

import math

import matplotlib
import pytest

matplotlib.use("Agg")

from rnncourse.data import encode_splits, negation_reviews  # noqa: E402
from rnncourse.plots import plot_bars, plot_history  # noqa: E402
from rnncourse.training import EpochMeter, History, epoch_summary, quick_mode  # noqa: E402


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
