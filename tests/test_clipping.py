"""Lesson 2's exploding gradients: the clipping experiment, its plot and clip_gradients."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from rnncourse.experiments import ClippingRun, plot_clipping  # noqa: E402
from rnncourse.experiments.common import (  # noqa: E402
    CLIPPING_BATCH_SIZE,
    CLIPPING_DISTRACTORS,
    CLIPPING_HIDDEN_SIZE,
    CLIPPING_UPDATES,
    check_clipping_arguments,
    clipping_problem,
    run_clipping,
)

FRAMEWORKS = ["pytorch", "tensorflow"]


def _adapter(framework: str):
    if framework == "pytorch":
        import rnncourse.experiments.pytorch as adapter
    else:
        import rnncourse.experiments.tensorflow as adapter
    return adapter


def _run(losses, norms, clip_norm: float | None = 1.0) -> ClippingRun:
    return ClippingRun(clip_norm=clip_norm, lr=0.5, recurrent_gain=1.25,
                       losses=np.asarray(losses, dtype=np.float64),
                       gradient_norms=np.asarray(norms, dtype=np.float64), seconds=0.1)


# --- framework-neutral pieces ------------------------------------------------------------


def test_the_problem_is_the_memory_task_and_a_stretching_orthogonal_matrix() -> None:
    problem = clipping_problem(3, recurrent_gain=1.5, seed=2)
    assert problem.ids.shape == (3, CLIPPING_BATCH_SIZE, CLIPPING_DISTRACTORS + 1)
    assert problem.labels.shape == (3, CLIPPING_BATCH_SIZE)
    assert problem.recurrent_weights.shape == (CLIPPING_HIDDEN_SIZE, CLIPPING_HIDDEN_SIZE)
    # Every direction of the state is stretched by exactly the gain.
    singular = np.linalg.svd(problem.recurrent_weights.astype(np.float64), compute_uv=False)
    assert np.allclose(singular, 1.5, atol=1e-5)
    again = clipping_problem(3, recurrent_gain=1.5, seed=2)
    assert np.array_equal(again.ids, problem.ids)
    assert np.array_equal(again.embedding, problem.embedding)
    assert not np.array_equal(clipping_problem(3, 1.5, seed=3).embedding, problem.embedding)


def test_a_clipping_run_reports_its_clipped_share_largest_norm_and_final_loss() -> None:
    run = _run([2.0, 1.0, 0.5, 0.25], [0.5, 3.0, math.nan, 1.0], clip_norm=1.0)
    assert run.updates == 4 and run.initial_loss == 2.0 and run.final_loss == 0.25
    assert run.clipped_fraction() == 0.25  # only 3.0 exceeds 1.0; NaN and 1.0 do not
    assert run.largest_gradient_norm == 3.0  # NaN ignored
    assert run.first_nonfinite_update() is None
    unclipped = _run([1.0, math.inf, math.nan], [1.0, 1e30, math.nan], clip_norm=None)
    assert math.isnan(unclipped.clipped_fraction())
    assert unclipped.first_nonfinite_update() == 1
    assert math.isnan(unclipped.final_loss)  # recorded as it came, not hidden


def test_run_clipping_calls_the_step_once_per_update_and_keeps_nan() -> None:
    calls = []

    def step(update: int) -> tuple[float, float]:
        calls.append(update)
        return (math.nan, math.inf) if update == 2 else (1.0 / (update + 1), 2.0)

    run = run_clipping(step, None, 0.1, 1.0, updates=3)
    assert calls == [0, 1, 2]
    assert run.losses[:2].tolist() == [1.0, 0.5] and np.isnan(run.losses[2])
    assert run.gradient_norms.tolist() == [2.0, 2.0, math.inf]
    assert run.clip_norm is None and run.lr == 0.1 and run.seconds >= 0


def test_the_arguments_are_checked_in_one_sentence() -> None:
    assert check_clipping_arguments(None, 10, 0.5, 1.25) is None
    assert check_clipping_arguments(1, 10, 0.5, 1.25) == 1.0
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not 0\.$"):
        check_clipping_arguments(0, 10, 0.5, 1.25)
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not nan\.$"):
        check_clipping_arguments(math.nan, 10, 0.5, 1.25)
    with pytest.raises(ValueError, match=r"^updates must be at least 1, not 0\.$"):
        check_clipping_arguments(1.0, 0, 0.5, 1.25)
    with pytest.raises(ValueError, match=r"^lr must be a positive number, not -0\.1\.$"):
        check_clipping_arguments(1.0, 10, -0.1, 1.25)
    with pytest.raises(ValueError, match=r"^lr must be a positive number, not 'fast'\.$"):
        check_clipping_arguments(1.0, 10, "fast", 1.25)
    with pytest.raises(ValueError, match=r"^recurrent_gain must be a positive number, "
                                         r"not inf\.$"):
        check_clipping_arguments(1.0, 10, 0.5, math.inf)


def test_the_clipping_plot_has_two_titled_log_panels_and_the_threshold() -> None:
    runs = {"no clipping": _run([1.4, 5.0, 9.0], [1.5, 40.0, 6.0], clip_norm=None),
            "clipped at 1": _run([1.4, 0.9, 0.1], [1.5, 4.0, 0.01], clip_norm=1.0)}
    fig = plot_clipping(runs, title="Clipping")
    norm_ax, loss_ax = fig.axes
    assert fig._suptitle.get_text() == "Clipping"
    for ax in (norm_ax, loss_ax):
        assert ax.get_title() and ax.get_xlabel() == "update" and ax.get_ylabel()
        assert ax.get_yscale() == "log"
        names = [text.get_text() for text in ax.get_legend().get_texts()]
        assert names[:2] == ["no clipping", "clipped at 1"]
    assert "gradient norm" in norm_ax.get_ylabel() and "loss" in loss_ax.get_ylabel()
    dashed = [line for line in norm_ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 1.0
    assert "clip threshold (1)" in [t.get_text() for t in norm_ax.get_legend().get_texts()]
    assert not [line for line in loss_ax.get_lines() if line.get_linestyle() == "--"]
    assert list(norm_ax.get_lines()[0].get_xdata()) == [1, 2, 3]  # updates counted from 1


def test_the_clipping_plot_leaves_gaps_for_nan_and_inf_and_marks_where_they_begin() -> None:
    broken = _run([1.4, 30.0, math.inf, math.nan], [2.0, 1e4, math.inf, math.nan], None)
    fig = plot_clipping({"diverged": broken})
    fig.canvas.draw()  # a log axis with NaN and inf in its data must still draw
    norm_ax, loss_ax = fig.axes
    loss_line = loss_ax.get_lines()[0]
    assert np.isnan(loss_line.get_ydata()[2:]).all() and loss_line.get_ydata()[1] == 30.0
    for ax in (norm_ax, loss_ax):
        markers = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert len(markers) == 1 and markers[0].get_xdata()[0] == 3  # update 3, counted from 1
        assert "diverged: NaN or infinite from here" in [
            t.get_text() for t in ax.get_legend().get_texts()]
    assert loss_ax.get_ylim()[1] < 1e3 and norm_ax.get_ylim()[1] < 1e6  # inf did not stretch
    with pytest.raises(ValueError, match=r"^plot_clipping needs at least one run\.$"):
        plot_clipping({})
    with pytest.raises(ValueError, match="the run 'x' must be a ClippingRun"):
        plot_clipping({"x": [1.0, 2.0]})


# --- both frameworks ---------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_without_clipping_sgd_diverges_and_with_clipping_it_learns(framework) -> None:
    adapter = _adapter(framework)
    unclipped = adapter.clipping_experiment(None, seed=0)
    clipped = adapter.clipping_experiment(1.0, seed=0)
    for run in (unclipped, clipped):
        assert run.updates == CLIPPING_UPDATES and run.gradient_norms.shape == (CLIPPING_UPDATES,)
    # The same weights and first batch: the runs differ only in what clipping does.
    assert unclipped.initial_loss == pytest.approx(clipped.initial_loss, rel=1e-6)
    assert unclipped.gradient_norms[0] == pytest.approx(clipped.gradient_norms[0], rel=1e-6)
    assert unclipped.initial_loss == pytest.approx(math.log(4), abs=0.2)  # 4 classes: chance
    # Without clipping the gradients spike and the loss climbs far above its start and stays.
    assert unclipped.largest_gradient_norm > 8 * unclipped.gradient_norms[0]
    assert np.nanmax(unclipped.losses) > 4 * unclipped.initial_loss
    assert not unclipped.final_loss < unclipped.initial_loss  # a NaN would count as diverged
    assert math.isnan(unclipped.clipped_fraction())
    # With clipping the spikes still come (measured before clipping) but cannot throw it off.
    assert np.all(np.isfinite(clipped.losses))
    assert clipped.largest_gradient_norm > 4 * clipped.clip_norm
    assert 0.02 < clipped.clipped_fraction() < 0.5
    assert clipped.final_loss < 0.01 * clipped.initial_loss
    assert np.nanmax(clipped.losses) < 3 * clipped.initial_loss


def test_both_frameworks_train_the_same_model_on_the_same_batches() -> None:
    from rnncourse.experiments.pytorch import clipping_experiment as torch_experiment
    from rnncourse.experiments.tensorflow import clipping_experiment as tf_experiment

    torch_run, tf_run = torch_experiment(1.0, updates=6), tf_experiment(1.0, updates=6)
    assert np.allclose(torch_run.losses, tf_run.losses, rtol=1e-4)
    assert np.allclose(torch_run.gradient_norms, tf_run.gradient_norms, rtol=1e-4)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_clipping_experiment_refuses_bad_arguments(framework) -> None:
    adapter = _adapter(framework)
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None, "
                                         r"not -1\.0\.$"):
        adapter.clipping_experiment(-1.0)
    with pytest.raises(ValueError, match=r"^updates must be at least 1, not 0\.$"):
        adapter.clipping_experiment(1.0, updates=0)
    with pytest.raises(ValueError, match=r"^lr must be a positive number, not 0\.$"):
        adapter.clipping_experiment(None, lr=0)
    with pytest.raises(ValueError, match=r"^recurrent_gain must be a positive number, "
                                         r"not -2\.$"):
        adapter.clipping_experiment(None, recurrent_gain=-2)


def test_pytorch_clip_gradients_returns_the_norm_before_clipping() -> None:
    import torch

    from rnncourse.pytorch import clip_gradients

    weights = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True),
               torch.zeros(3, requires_grad=True)]  # the last one gets no gradient
    weights[0].grad, weights[1].grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
    assert clip_gradients(weights, None).item() == pytest.approx(5.0)
    assert weights[0].grad.tolist() == [3.0, 0.0]  # measured, not changed
    assert clip_gradients(weights, 1.0).item() == pytest.approx(5.0)
    assert weights[0].grad.tolist() == pytest.approx([0.6, 0.0], rel=1e-5)
    assert weights[1].grad.tolist() == pytest.approx([0.8], rel=1e-5)
    with pytest.raises(ValueError, match=r"^clip_norm must be a positive number or None"):
        clip_gradients(weights, 0.0)


def test_tensorflow_clip_gradients_adds_up_repeated_embedding_rows() -> None:
    from rnncourse.tensorflow import clip_gradients, tf

    # An embedding's gradient: ids 1, 1 and 0 read, so row 1 is the sum of two rows.
    rows = tf.IndexedSlices(tf.constant([[1.0, 0.0], [2.0, 0.0], [0.0, 4.0]]),
                            tf.constant([1, 1, 0]), dense_shape=tf.constant([3, 2]))
    dense = tf.constant([0.0, 0.0, 0.0, 12.0])
    gradients, norm = clip_gradients([rows, None, dense], None)
    assert float(norm) == pytest.approx(math.sqrt(3**2 + 4**2 + 12**2))  # 13, not sqrt(161)
    assert gradients[1] is None and gradients[2] is dense
    clipped, norm = clip_gradients([rows, None, dense], 1.3)
    assert float(norm) == pytest.approx(13.0)
    assert np.allclose(tf.convert_to_tensor(clipped[0]).numpy(), [[0.0, 0.4], [0.3, 0.0],
                                                                  [0.0, 0.0]])
    assert clipped[2].numpy().tolist() == pytest.approx([0.0, 0.0, 0.0, 1.2], rel=1e-5)
