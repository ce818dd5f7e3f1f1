"""The instructor's autograder: ``rnncourse grade <assignment> <submissions>``.

* :mod:`~rnncourse.grading.intake` reads what students handed in (nbgrader's
  ``submitted/`` layout, per-student zips or a class zip);
* :mod:`~rnncourse.grading.inspection` finds tampering (checksums, patching code, a probe);
* :mod:`~rnncourse.grading.limits` runs nbgrader under time and memory limits;
* :mod:`~rnncourse.grading.sandbox` starts each student's kernel in a bubblewrap sandbox;
* :mod:`~rnncourse.grading.feedback` caps outputs and writes feedback without hidden tests;
* :mod:`~rnncourse.grading.worker` grades one submission in a private course directory;
* :mod:`~rnncourse.grading.ledger` makes a run resumable;
* :mod:`~rnncourse.grading.report` writes the CSV, the merged gradebook and the summary;
* :mod:`~rnncourse.grading.run` puts them together, one worker per core.
"""
