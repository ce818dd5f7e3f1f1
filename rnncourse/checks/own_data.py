"""Lesson 4's automatic checks: what can be checked of a lesson on the student's own data.

The data loaded, the split shares no text, a model beats the majority-class baseline, and
the comparison exists. The findings are graded by a person; nothing here judges them. The
checks are the same for both frameworks: they read only the data and the training
histories, never a model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnncourse.data import TextClassificationData
from rnncourse.errors import CheckFailed
from rnncourse.i18n import _
from rnncourse.training import History, best_model

#: How far above the majority-class share the best model must be, in accuracy.
BASELINE_MARGIN = 0.01
#: How many trained models the comparison needs.
MODELS_TO_COMPARE = 3


def majority_baseline(data: TextClassificationData) -> tuple[float, str]:
    """The accuracy of always answering the most frequent class of ``data``, and that class."""
    counts = np.bincount(data.labels, minlength=len(data.classes))
    if not len(data):
        return float("nan"), ""
    return float(counts.max() / len(data)), str(data.classes[int(counts.argmax())])


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_dataset(train_data: object, test_data: object) -> None:
    """Fail with one sentence unless the two splits are loaded data sets that can be compared:
    two or more classes, the same classes in both, every class in training, no shared text."""
    for name, data in (("train_data", train_data), ("test_data", test_data)):
        if not isinstance(data, TextClassificationData):
            raise CheckFailed(_(
                "{name} is a {kind}, not the data set load_text_csv returns; load it with "
                "load_text_csv.").format(name=name, kind=type(data).__name__))
        if not len(data):
            raise CheckFailed(_("{name} holds no texts; check the file and the split.").format(
                name=name))
    if train_data.classes != test_data.classes:
        raise CheckFailed(_(
            "The two splits have different classes ({train} and {test}); split one data set, "
            "as load_text_csv does.").format(train=", ".join(train_data.classes),
                                             test=", ".join(test_data.classes)))
    if len(train_data.classes) < 2:
        raise CheckFailed(_("The data set has only one class; a classifier needs two or more."))
    counts = train_data.class_counts()
    missing = [name for name, count in counts.items() if count == 0]
    if missing:
        raise CheckFailed(_(
            "The training split has no example of {classes}; a model cannot learn a class it "
            "never sees: split with a stratified split.").format(classes=", ".join(missing)))
    seen = set(train_data.texts)
    shared = [text for text in test_data.texts if text in seen]
    if shared:
        raise CheckFailed(_(
            "{count} of the {total} test texts are also training texts, such as \"{example}\", "
            "so the test accuracy would reward memory; remove duplicate texts before "
            "splitting.").format(count=len(shared), total=len(test_data),
                                 example=_shorten(shared[0])), mistake="split-overlap")
    print(_("✓ {train:,} training and {test:,} test texts in {classes} classes, with no text "
            "in both.").format(train=len(train_data), test=len(test_data),
                            classes=len(train_data.classes)))


def _histories(histories: object) -> dict[str, History]:
    if isinstance(histories, Mapping) and not histories:
        raise CheckFailed(_("histories holds no trained model yet; run the training cell above "
                            "first."))
    if not isinstance(histories, Mapping):
        raise CheckFailed(_(
            "histories should be a dict from each model's name to the history train returned, "
            "not {kind}; train the models above first.").format(kind=type(histories).__name__))
    for name, history in histories.items():
        if not isinstance(history, History) or not history.epochs:
            raise CheckFailed(_(
                "histories[{name!r}] is not the history of a finished training run; store "
                "what train returns.").format(name=name))
    return dict(histories)


def check_beats_baseline(histories: object, test_data: TextClassificationData) -> None:
    """Fail with one sentence unless the best model's test accuracy is above the accuracy of
    always answering the test split's most frequent class."""
    trained = _histories(histories)
    baseline, majority = majority_baseline(test_data)
    best = best_model(trained)
    accuracy = trained[best].test_accuracy
    if not np.isfinite(accuracy) or accuracy < baseline + BASELINE_MARGIN:
        raise CheckFailed(_(
            "Your best model, {name}, reaches a test accuracy of {accuracy:.3f}, no better than "
            "the {baseline:.3f} of always answering \"{majority}\"; train longer, with a higher "
            "learning rate, or look for a problem in the data.").format(
                name=best, accuracy=accuracy, baseline=baseline, majority=majority),
            mistake="below-baseline")
    print(_("✓ Your best model, {name}, reaches a test accuracy of {accuracy:.3f}, above the "
            "{baseline:.3f} of always answering \"{majority}\".").format(
                name=best, accuracy=accuracy, baseline=baseline, majority=majority))


def check_comparison(histories: object, table: object) -> None:
    """Fail with one sentence unless at least three models were trained and ``table`` (the
    Markdown comparison table) has a row for each."""
    trained = _histories(histories)
    if len(trained) < MODELS_TO_COMPARE:
        raise CheckFailed(_(
            "The comparison has {count} trained model(s); train at least {needed} (the plain "
            "RNN, a gated one and your best Lesson 3 model).").format(
                count=len(trained), needed=MODELS_TO_COMPARE))
    if not isinstance(table, str) or not table.strip():
        raise CheckFailed(_("table should be the Markdown table comparison_table returns; "
                            "run the cell that makes it."))
    rows = [line for line in table.splitlines() if line.startswith("|")]
    missing = [name for name in trained
               if not any(name.lower() in row.lower() for row in rows)]
    if missing:
        raise CheckFailed(_("The table has no row for {names}; make it again after training "
                            "every model.").format(names=", ".join(missing)))
    print(_("✓ {count} models compared.").format(count=len(trained)))
