"""Call notes as features: words, two-word phrases and word stems, with negated and hedged words marked.

A note is lower-cased and cut into clauses (at . , ; ! ? ( ) newlines, and "but", "however",
"although", "though", "whereas"). Inside a clause:

- a negation word (no, not, never, without, none, nor, neither, nothing; "isn't" reads "is not")
  marks the words after it: "no complaints about scrap" -> no NOT_complaints NOT_about NOT_scrap;
- a dismissal or a hedge marks the whole clause: "downtime is not a concern", "downtime never came
  up", "maybe ask about downtime next time", "might mention it later".

A marked word is a different feature from the plain word, so a negated mention never counts as one.
Everything runs as one vectorised polars query (no Python loop over notes).
"""

from __future__ import annotations

import polars as pl

MARK = "NOT_"
STEM_LENGTH = 5  # stems: a word's first letters, so "changeovers" meets "changeover"

_SEPARATORS = {".": " . ", ",": " . ", ";": " . ", "!": " . ", "?": " . ", "\n": " . ", "\r": " . ", "(": " . ",
               ")": " . ", "|": " . ", " - ": " . ", " – ": " . ", " — ": " . ",
               "can't": "can not", "cannot": "can not", "won't": "will not", "n't": " not", "n’t": " not",
               "’": "", "'": "", '"': " ", "-": " ", "/": " ", ":": " ", "&": " ", "\t": " ", "+": " ", "*": " "}
BREAKS = [".", "but", "however", "although", "though", "whereas"]
NEGATIONS = ["no", "not", "never", "without", "none", "nor", "neither", "nothing"]
HEDGES = ["maybe", "might", "perhaps", "possibly", "potentially", "unsure", "unclear", "someday", "later", "todo"]
HEDGE_PHRASES = ["next time", "next call", "next meeting", "not sure", "if ever", "ruled out", "to do"]
_BE = ["is", "are", "was", "were", "be", "been", "seems", "seemed", "isnt", "arent"]
_DISMISSED = ["concern", "concerns", "issue", "issues", "problem", "problems", "priority", "worry", "worried",
              "topic", "relevant", "interested", "important", "complaints", "complaint", "pain"]
_ARTICLES = ["a", "an", "the", "our", "their", "much", "any", "really", "too"]


def marked_words(notes: pl.Series) -> pl.LazyFrame:
    """One row per word of every note: ``row`` (position of the note), ``clause`` (a running clause
    number), ``word`` (prefixed ``NOT_`` when negated or hedged) and ``plain`` (the word as written)."""
    text = (notes.fill_null("").str.to_lowercase()
            .str.replace_many(list(_SEPARATORS), list(_SEPARATORS.values()), leftmost=True))
    w, row, clause = pl.col("plain"), pl.col("row"), pl.col("clause")
    prev, prev2 = w.shift(1).fill_null(""), w.shift(2).fill_null("")
    is_break = w.is_in(BREAKS)
    words = (pl.LazyFrame({"plain": text.str.split(" ")}).with_row_index("row")
             .explode("plain").filter(w != "")
             .with_columns(clause=(is_break | (row != row.shift(1)).fill_null(True)).cum_sum(),
                           neg=w.is_in(NEGATIONS).cast(pl.Int32), is_break=is_break)
             .with_columns(first=(clause != clause.shift(1)).fill_null(True),
                           last=(clause != clause.shift(-1)).fill_null(True)))
    neg = pl.col("neg")
    words = words.with_columns(negations_before=_running_in_clause(neg) - neg,
                               clause_negations=_clause_total(neg))
    trigger = (w.is_in(HEDGES) | _phrase_in(prev, w, HEDGE_PHRASES) | ((neg > 0) & prev.is_in(_BE))
               | (w.is_in(_DISMISSED) & (prev.is_in(NEGATIONS) | (prev.is_in(_ARTICLES) & prev2.is_in(NEGATIONS))))
               | ((w == "up") & prev.is_in(["came", "come", "coming", "comes"]) & (pl.col("clause_negations") > 0)))
    words = words.with_columns(whole=_clause_total(trigger.cast(pl.Int32)) > 0)
    marked = pl.col("whole") | (pl.col("negations_before") > 0)
    return (words.with_columns(word=pl.when(marked).then(MARK + w).otherwise(w))
            .filter(~pl.col("is_break")).select("row", "clause", "word", "plain"))


def _phrase_in(prev: pl.Expr, word: pl.Expr, phrases: list[str]) -> pl.Expr:
    """Whether (previous word, word) is one of the two-word ``phrases``."""
    pairs = [p.split(" ") for p in phrases]
    return pl.any_horizontal([(prev == a) & (word == b) for a, b in pairs])


def _running_in_clause(x: pl.Expr) -> pl.Expr:
    """Running sum of ``x`` within each clause (words are in clause order; no window grouping)."""
    total = x.cum_sum()
    return total - pl.when(pl.col("first")).then(total - x).forward_fill()


def _clause_total(x: pl.Expr) -> pl.Expr:
    """Sum of ``x`` over each word's clause."""
    total = x.cum_sum()
    return (pl.when(pl.col("last")).then(total).backward_fill()
            - pl.when(pl.col("first")).then(total - x).forward_fill())


def note_features(notes: pl.Series) -> pl.LazyFrame:
    """(row, clause, feature): every word, two-word phrase (within a clause) and stem of each note, as
    a 64-bit hash. Marked words have no stem."""
    words = marked_words(notes).with_columns(hash=pl.col("word").hash(seed=0))
    word, plain, h = pl.col("word"), pl.col("plain"), pl.col("hash")
    same_clause = (pl.col("clause").shift(-1) == pl.col("clause")).fill_null(False)
    bigrams = words.select("row", "clause", feature=pl.when(same_clause).then(h // 2 + h.shift(-1) // 4)).drop_nulls()
    stems = words.filter((word == plain) & (plain.str.len_chars() > STEM_LENGTH)).select(
        "row", "clause", feature=(plain.str.slice(0, STEM_LENGTH) + "~").hash(seed=0))
    return pl.concat([words.select("row", "clause", feature=h), bigrams, stems])


def marked_text(note: str) -> str:
    """One note as the tagger reads it (for tests and for explaining a tag)."""
    words = marked_words(pl.Series([note])).collect()
    return " ".join(words["word"].to_list())
