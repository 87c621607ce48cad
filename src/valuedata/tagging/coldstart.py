"""The cold-start matcher: with no field tags to learn from, a note mentions an item when one of its
clauses holds most of the item's own distinctive words, or every word of one of the item's ``keywords``.

Words are compared by stem (the first letters), read with the same negation marks as the notes, so
"downtime is not a concern" never matches "unplanned downtime". A word's weight is its rarity among
the map's items (inverse document frequency): "line" or "shift" count little, "changeover" a lot.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from valuedata.tagging.text import NEGATIONS, PLAIN, STEM_LENGTH, marked_words, stem_hash, word_hash

TEXT_SHARE = 0.55  # share of the item text's word weight a note must hold
STOPWORDS = frozenset(
    "a about across after all an and any are as at be before by can could do does for from has have how in into "
    "is it its of on or our over per so than that the their them they this to up us we what when where which who "
    "why will with would you your".split())


def cue_words(texts: pl.Series) -> pl.DataFrame:
    """(row, cue): the distinct content words of each text as note features (stem hashes)."""
    words = marked_words(texts).collect()
    content = words.filter(~pl.col("plain").is_in(list(STOPWORDS | set(NEGATIONS))))
    cue = (pl.when((pl.col("mark") != PLAIN) | (pl.col("plain").str.len_chars() <= STEM_LENGTH))
           .then(word_hash()).otherwise(stem_hash()))
    return content.select("row", feature=cue).unique()


class Matcher:
    """Scores notes against one map's items of one kind (columns in the order given)."""

    def __init__(self, texts: list[str], keywords: list[list[str]], all_map_texts: list[str]) -> None:
        text_cues = cue_words(pl.Series(texts, dtype=pl.String))
        idf = _idf(cue_words(pl.Series(all_map_texts, dtype=pl.String)), len(all_map_texts))
        phrases = [(j, k) for j, words in enumerate(keywords) for k in words]
        keyword_cues = cue_words(pl.Series([k for _, k in phrases], dtype=pl.String))
        cues = pl.concat([text_cues["feature"], keyword_cues["feature"]]).unique()
        self.vocabulary = pl.DataFrame({"feature": cues}).with_columns(column=pl.int_range(pl.len(), dtype=pl.UInt32))
        weighted = text_cues.join(idf, on="feature", how="left").with_columns(pl.col("idf").fill_null(idf["idf"].max()))
        self.text = self._matrix(weighted.with_columns(pl.col("idf") / pl.col("idf").sum().over("row")), len(texts))
        counted = keyword_cues.with_columns(idf=1.0 / pl.len().over("row"))
        self.keywords = self._matrix(counted, len(phrases))
        self.keyword_item = np.array([j for j, _ in phrases], dtype=np.int64)
        self.items = len(texts)

    def _matrix(self, cues: pl.DataFrame, columns: int) -> sp.csc_matrix:
        known = cues.join(self.vocabulary, on="feature")
        return sp.csc_matrix((known["idf"].to_numpy(), (known["column"].to_numpy(), known["row"].to_numpy())),
                             shape=(self.vocabulary.height, columns))

    def scores(self, features: pl.DataFrame, rows: int) -> np.ndarray:
        """(rows, items): the best clause of each note: 1.0 when a keyword matches fully, else the share
        of the item text's weight it holds, counted only at TEXT_SHARE or above (0 below)."""
        known = features.join(self.vocabulary, on="feature").unique(["clause", "column"])
        clause_rows = known.select("clause", "row").unique()
        clauses = int(known["clause"].max() or 0) + 1
        x = sp.csr_matrix((np.ones(known.height), (known["clause"].to_numpy(), known["column"].to_numpy())),
                          shape=(clauses, self.vocabulary.height))
        text = np.asarray((x @ self.text).todense())
        text[text < TEXT_SHARE - 1e-9] = 0.0
        if self.keyword_item.size:
            c, k = np.nonzero(np.asarray((x @ self.keywords).todense()) >= 1.0 - 1e-9)
            text[c, self.keyword_item[k]] = 1.0
        best = np.zeros((rows, self.items))
        np.maximum.at(best, clause_rows["row"].to_numpy(), text[clause_rows["clause"].to_numpy()])
        return np.minimum(best, 1.0)


def _idf(cues: pl.DataFrame, documents: int) -> pl.DataFrame:
    return cues.group_by("feature").len().select("feature", idf=np.log((1 + documents) / pl.col("len")) + 1.0)
