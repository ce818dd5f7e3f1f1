"""``python -m rnncourse.quiz QUIZ_ID QUESTION_ID ANSWER [--numeric --decimals N]``: a key hash."""

from rnncourse.quiz.bank import main

main()
