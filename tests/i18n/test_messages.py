"""The library's own messages in Korean: check verdicts, progress output and quiz texts."""

from __future__ import annotations

import re

import pytest

from rnncourse.checks import pytorch as checks
from rnncourse.errors import CheckFailed
from rnncourse.i18n import _, set_language
from rnncourse.i18n.catalogs import (
    LIBRARY,
    catalog_path,
    catalog_problems,
    extract_messages,
    read_catalog,
)
from rnncourse.i18n.messages import message_catalog_path
from rnncourse.training import EpochRecord, device_line, epoch_description, epoch_summary
from tests.checks import deep_students_torch as deep_students
from tests.checks import gated_students_torch as gated_students
from tests.checks import students_torch as students

HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIELD = re.compile(r"\{[^{}]*\}")


def test_every_library_message_has_a_current_korean_translation(repo):
    problems = catalog_problems(repo, LIBRARY, "ko")
    assert problems == [], "\n".join(problems)
    # The catalog the installed library reads is the one `translations update` writes.
    assert message_catalog_path("ko") == catalog_path(repo, LIBRARY, "ko")


def test_every_translation_keeps_the_fields_of_its_english(repo):
    catalog = read_catalog(catalog_path(repo, LIBRARY, "ko"), repo, "ko")
    for entry in catalog:
        if entry.translated():
            # Every field, each at least once (a translation may repeat one).
            assert set(FIELD.findall(entry.msgstr)) == set(FIELD.findall(entry.msgid)), (
                entry.msgid)
            assert HANGUL.search(entry.msgstr), entry.msgid


def test_messages_are_extracted_from_underscore_calls_with_file_references(tmp_path):
    package = tmp_path / LIBRARY
    package.mkdir()
    (package / "a.py").write_text('from x import N_, _\n\nHINT = N_("Use tanh.")\n'
                                  'print(_("epoch {epoch}").format(epoch=1))\n'
                                  'print(_("Use tanh."), _(name), f"{_}")\n')
    template = extract_messages(tmp_path)
    assert [(e.msgid, e.flags, e.occurrences) for e in template] == [
        ("Use tanh.", [], [("rnncourse/a.py", "")]),
        ("epoch {epoch}", ["python-brace-format"], [("rnncourse/a.py", "")])]


def test_english_is_the_default_and_unknown_texts_stay_as_they_are():
    assert _("epoch {epoch}/{epochs}") == "epoch {epoch}/{epochs}"
    set_language("ko")
    assert _("not a message of the catalog") == "not a message of the catalog"


def test_a_wrong_cell_checked_in_korean_gets_one_korean_sentence(capsys):
    set_language("ko")
    with pytest.raises(CheckFailed) as error:
        checks.check_rnn_cell(students.NoTanhCell)
    message = str(error.value)
    assert message.startswith("RNNCell의 새 상태(배치 2, 입력 3, 은닉 4)의 값이 "
                              "torch.nn.RNNCell의 결과와 다릅니다(위치: 샘플 ")
    assert message.endswith("상대 오차(relative error) 5.2e-02, 허용 오차(tolerance) 1e-08. "
                            "새 상태는 tanh(x·W + s·H + b)여야 합니다.")
    assert "\n" not in message and not re.search(r"\b(Your|differs|expected)\b", message)
    checks.check_rnn_cell(students.PlainCell)
    assert capsys.readouterr().out.strip() == (
        "✓ RNNCell이 계산한 상태가 torch.nn.RNNCell의 결과와 같습니다.")


def test_a_wrong_layer_checked_in_korean_names_the_step_in_korean():
    set_language("ko")
    with pytest.raises(CheckFailed) as error:
        checks.check_rnn_layer(students.StaleStateRNN)
    message = str(error.value)
    assert message.startswith("RNN의 출력(배치 2, 길이 5, 초기 상태 ")
    assert "의 결과와 다릅니다(시간 단계(time step) " in message
    assert "시퀀스" in message and "유닛" in message and "상대 오차(relative error)" in message


def test_the_same_wrong_cell_in_english_is_unchanged():
    with pytest.raises(CheckFailed, match=r"^RNNCell's new state \(batch 2, input 3, hidden 4\) "
                                          r"differs from torch\.nn\.RNNCell at example 1, "):
        checks.check_rnn_cell(students.NoTanhCell)


def test_a_layer_that_ignores_its_initial_state_is_told_so_in_korean():
    # Told apart from other failures by the exception's type, not by its (translated) text.
    set_language("ko")
    with pytest.raises(CheckFailed, match=r"^RNN 층이 initial_state를 무시합니다: "):
        checks.check_rnn_layer(students.IgnoresInitialStateRNN)
    with pytest.raises(CheckFailed, match=r"^RNNCell의 출력이 이전 상태에 따라 변하지 않습니다"):
        checks.check_rnn_cell(students.IgnoresStateCell)


def test_a_wrong_lstm_cell_checked_in_korean_names_the_cell_state_in_korean(capsys):
    set_language("ko")
    with pytest.raises(CheckFailed) as error:
        checks.check_lstm_cell(gated_students.CNotCarriedLSTMCell, gated_students.load_fused_lstm)
    message = str(error.value)
    assert message.startswith("모든 매개변수가 0일 때 LSTMCell의 새 C의 값이 "
                              "0.5·c의 결과와 다릅니다")
    assert message.endswith("이전 c를 망각 게이트(forget gate)를 거쳐 이어 가십시오.")
    with pytest.raises(CheckFailed, match=r"^load_lstm_without_transpose에서 \w+ 오류가 "
                                          r"발생했습니다\(.*\): nn\.LSTM은 게이트를 "
                                          r"i, f, g, o 순서로 쌓습니다"):
        checks.check_lstm_cell(gated_students.FusedLSTMCell,
                               gated_students.load_lstm_without_transpose)
    checks.check_lstm_cell(gated_students.FusedLSTMCell, gated_students.load_fused_lstm)
    assert capsys.readouterr().out.strip() == (
        "✓ load_fused_lstm 함수로 불러온 LSTMCell: 모든 단계에서 h와 c가 torch.nn.LSTM의 결과와 "
        "같습니다.")


KO_CASE = "길이 7, 3, 5, 1, 패딩 후 7단계"
EN_CASE = "lengths 7, 3, 5, 1 padded to 7 steps"
LESSON_3_MISTAKES = [
    pytest.param(
        checks.check_reverse_padded, (deep_students.reverse_flip_all,),
        f"reverse_padded 함수가 패딩(padding)까지 포함해 행 전체를 뒤집으므로(x.flip(1)처럼) 짧은 "
        f"시퀀스가 패딩으로 시작합니다({KO_CASE}): 각 시퀀스를 자신의 길이 안에서(처음 length개 "
        f"단계만) 뒤집고, 패딩 단계는 제자리에 두십시오.",
        f"Your reverse_padded flips whole rows, padding included (like x.flip(1)), so a shorter "
        f"sequence starts with its padding ({EN_CASE}): reverse each sequence within its own "
        f"length (its first length steps) and leave the padding steps where they are.",
        id="reverse_padded-flips-the-padding-too"),
    pytest.param(
        checks.check_bidirectional, (deep_students.NotReversedBackBidirectional,),
        f"Bidirectional 출력의 역방향 절반이 아직 읽은 순서 그대로입니다({KO_CASE}, 3 → 4 LSTM "
        f"층): 단계 t에 t부터 length-1까지의 단계를 읽은 뒤의 상태가 오도록, 역방향 층의 출력을 "
        f"각 길이 안에서 다시 뒤집으십시오(reverse_padded 함수를 한 번 더 적용).",
        f"The backward half of your Bidirectional's outputs is still in reading order "
        f"({EN_CASE}, LSTM layers of 3 → 4): reverse the backward layer's outputs back within "
        f"each length (reverse_padded again), so that step t holds the state after reading steps "
        f"t..length-1.",
        id="bidirectional-forgets-to-reverse-back"),
    pytest.param(
        checks.check_pooling, (deep_students.max_masked_fill, deep_students.mean_with_padding),
        f"mean_over_time 함수가 패딩(padding) 단계까지 평균에 넣습니다({KO_CASE}; 검사는 패딩 "
        f"단계를 큰 값으로 채웁니다): 각 시퀀스의 실제 단계만 더하고(마스크를 곱해서) 그 시퀀스의 "
        f"길이로 나누십시오.",
        f"Your mean_over_time averages the padding steps too ({EN_CASE}), which the check fills "
        f"with large values: sum only each sequence's real steps (multiply by the mask) and "
        f"divide by its length.",
        id="mean-pooling-averages-the-padding"),
]


@pytest.mark.parametrize(("check", "code", "korean", "english"), LESSON_3_MISTAKES)
def test_a_classic_lesson_3_mistake_is_told_in_korean_and_in_english(check, code, korean,
                                                                     english):
    set_language("ko")
    with pytest.raises(CheckFailed) as error:
        check(*code)
    assert str(error.value) == korean
    assert not re.search(r"\b(Your|padded to|steps|layers of)\b", str(error.value))
    set_language("en")
    with pytest.raises(CheckFailed) as error:
        check(*code)
    assert str(error.value) == english


def test_lesson_3_pass_lines_and_hints_in_korean(capsys):
    set_language("ko")
    checks.check_reverse_padded(deep_students.reverse_by_gather)
    assert capsys.readouterr().out.strip() == (
        "✓ reverse_padded 함수가 각 시퀀스를 자신의 길이 안에서 뒤집고, 패딩(padding)은 제자리에 "
        "두며, 기울기(gradient)를 거꾸로 전달합니다.")
    # The framework's hint, marked where it is defined, is translated where it is shown.
    with pytest.raises(CheckFailed) as error:
        checks.check_pooling(deep_students.max_with_padding, deep_students.mean_masked_sum)
    message = str(error.value)
    assert message.startswith("max_over_time 함수가 패딩(padding) 단계의 값을 고릅니다")
    assert message.endswith(
        "예를 들어 먼저 패딩을 -inf로 채우십시오(masked_fill(~mask, float('-inf'))).")


def test_progress_and_device_lines_in_korean():
    record = EpochRecord(2, 0.5, 0.812, 0.6, 0.795, 12.3)
    assert epoch_summary(record) == (
        "epoch 2: train accuracy 0.812, test accuracy 0.795 (12 s)")
    assert device_line("PyTorch 2.13.0", "cpu (2 threads)") == (
        "PyTorch 2.13.0 is using cpu (2 threads).")
    set_language("ko")
    assert epoch_summary(record) == (
        "에폭 2: 훈련 정확도 0.812, 테스트 정확도 0.795 (12초)")
    assert epoch_description(2, 5) == "에폭 2/5"
    assert device_line("PyTorch 2.13.0", "cpu (2 threads)") == (
        "PyTorch 2.13.0: 사용하는 장치는 cpu (2 threads)입니다.")


def test_no_function_both_calls_underscore_and_assigns_it(repo):
    # `_, x = pair` inside a function that also calls `_("...")` would shadow gettext there.
    import ast

    clashes = []
    for path in sorted((repo / LIBRARY).rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = [node for node in ast.walk(function)
                     if isinstance(node, ast.Name) and node.id == "_"]
            if any(isinstance(n.ctx, ast.Store) for n in names) and any(
                    isinstance(n.ctx, ast.Load) for n in names):
                clashes.append(f"{path.relative_to(repo)}:{function.name}")
    assert clashes == []
