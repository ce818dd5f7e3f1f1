"""The data package's public surface, and that it stays framework-neutral."""

from __future__ import annotations

import subprocess
import sys

import rnncourse.data

PUBLIC = {
    "AG_NEWS_CLASSES",
    "AG_NEWS_FILES",
    "NEGATION_CLASSES",
    "RemoteFile",
    "TextClassificationData",
    "Vocabulary",
    "batch_index_plan",
    "default_cache_dir",
    "encode_texts",
    "fetch_ag_news_file",
    "find_data_dir",
    "load_ag_news",
    "negation_reviews",
    "pad_batch",
    "tokenize",
}


def test_public_names_are_exported() -> None:
    assert set(rnncourse.data.__all__) >= PUBLIC
    for name in rnncourse.data.__all__:
        assert hasattr(rnncourse.data, name), name


def test_public_functions_have_docstrings() -> None:
    for name in rnncourse.data.__all__:
        value = getattr(rnncourse.data, name)
        if callable(value):
            assert value.__doc__ and value.__doc__.strip(), name


def test_importing_the_data_package_loads_no_framework() -> None:
    code = (
        "import sys, rnncourse.data; "
        "loaded = [m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
