"""Framework-neutral data for the course: AG News, a student's own CSV, a synthetic negation
task, a long-range memory task, a number-agreement task, tokenization, vocabularies, padding and
batch plans (numpy only, no torch or tensorflow imports)."""

from rnncourse.data.ag_news import (
    AG_NEWS_CLASSES,
    AG_NEWS_FILES,
    DATA_ENV_VAR,
    RemoteFile,
    TextClassificationData,
    default_cache_dir,
    fetch_ag_news_file,
    find_data_dir,
    load_ag_news,
)
from rnncourse.data.agreement import AGREEMENT_CLASSES, number_agreement
from rnncourse.data.batches import batch_index_plan
from rnncourse.data.csv_text import load_text_csv, stratified_split
from rnncourse.data.encoded import EncodedSplit, encode_splits
from rnncourse.data.memory import (
    MEMORY_PAD_ID,
    MEMORY_SIGNAL_OFFSET,
    MEMORY_UNK_ID,
    first_token_memory,
)
from rnncourse.data.synthetic import (
    NEGATION_CLASSES,
    NEGATION_NEGATIVE_WORDS,
    NEGATION_POSITIVE_WORDS,
    negation_reviews,
)
from rnncourse.data.text import Vocabulary, encode_texts, pad_batch, repair_text, tokenize

__all__ = [
    "AGREEMENT_CLASSES",
    "AG_NEWS_CLASSES",
    "AG_NEWS_FILES",
    "DATA_ENV_VAR",
    "EncodedSplit",
    "MEMORY_PAD_ID",
    "MEMORY_SIGNAL_OFFSET",
    "MEMORY_UNK_ID",
    "NEGATION_CLASSES",
    "NEGATION_NEGATIVE_WORDS",
    "NEGATION_POSITIVE_WORDS",
    "RemoteFile",
    "TextClassificationData",
    "Vocabulary",
    "batch_index_plan",
    "default_cache_dir",
    "encode_splits",
    "encode_texts",
    "fetch_ag_news_file",
    "first_token_memory",
    "find_data_dir",
    "load_ag_news",
    "load_text_csv",
    "negation_reviews",
    "number_agreement",
    "pad_batch",
    "repair_text",
    "stratified_split",
    "tokenize",
]
