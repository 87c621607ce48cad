"""Call notes as features: words, two-word phrases and word stems, with negated and hedged words marked.

A note is lower-cased and cut into clauses (at . , ; ! ? ( ) newlines, and "but", "however",
"although", "though", "whereas"). Inside a clause:

- a negation word (no, not, never, without, none, nor, neither, nothing; "isn't" reads "is not")
  marks the words after it: "no complaints about scrap" -> no NOT_complaints NOT_about NOT_scrap;
- a dismissal or a hedge marks the whole clause: "downtime is not a concern", "downtime never came
  up", "maybe ask about downtime next time", "might mention it later".

A marked word is a different feature from the plain word, so a negated mention never counts as one;
the two marks differ too, so an item whose own text is negative ("no capital budget") is not read
into "no capital budget is not a concern".
Marked words are hashed apart from plain ones; everything runs as one vectorised polars query (no
Python loop over notes).
"""

from __future__ import annotations

import polars as pl

MARK = "NOT_"  # how marked_text shows a negated or dismissed word
PLAIN, NEGATED, DISMISSED = 0, 1, 2
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


# Each special word gets bit flags, so one dictionary lookup per word serves every test below.
_BREAK, _NEG, _HEDGE, _BEING, _DISMISSAL, _ARTICLE, _CAME, _UP = (1 << k for k in range(8))
_PHRASE_FIRST, _PHRASE_SECOND = 1 << 8, 1 << 16  # bit k of each: word one / two of HEDGE_PHRASES[k]


def _flags() -> dict[str, int]:
    flags: dict[str, int] = {}
    groups = [(BREAKS, _BREAK), (NEGATIONS, _NEG), (HEDGES, _HEDGE), (_BE, _BEING), (_DISMISSED, _DISMISSAL),
              (_ARTICLES, _ARTICLE), (["came", "come", "coming", "comes"], _CAME), (["up"], _UP)]
    for words, bit in groups:
        for w in words:
            flags[w] = flags.get(w, 0) | bit
    for k, phrase in enumerate(HEDGE_PHRASES):
        first, second = phrase.split(" ")
        flags[first] = flags.get(first, 0) | (_PHRASE_FIRST << k)
        flags[second] = flags.get(second, 0) | (_PHRASE_SECOND << k)
    return flags


_FLAGS = _flags()
_FLAG_WORDS = pl.Series(list(_FLAGS), dtype=pl.String).hash(seed=0)  # looked up by the word's hash: faster
_FLAG_BITS = pl.Series(list(_FLAGS.values()), dtype=pl.Int64)


def marked_words(notes: pl.Series) -> pl.LazyFrame:
    """One row per word of every note: ``row`` (position of the note), ``clause`` (a running clause
    number), ``plain`` (the word as written), ``hash`` (of the plain word) and ``mark``: PLAIN, NEGATED
    (after a negation word) or DISMISSED (in a dismissed or hedged clause)."""
    text = (notes.fill_null("").str.to_lowercase()
            .str.replace_many(list(_SEPARATORS), list(_SEPARATORS.values()), leftmost=True)) + " ."  # a note ends a clause
    w, f = pl.col("plain"), pl.col("flags")

    def has(flags: pl.Expr, bit: int) -> pl.Expr:
        return (flags & bit) != 0

    words = (pl.LazyFrame({"plain": text.str.split(" ")}).with_row_index("row")
             .explode("plain").filter(w != "").with_columns(hash=w.hash(seed=0))
             .with_columns(flags=pl.col("hash").replace_strict(_FLAG_WORDS, _FLAG_BITS, default=0)))
    brk, neg = has(f, _BREAK), has(f, _NEG).cast(pl.UInt32)
    prev, prev2 = f.shift(1).fill_null(0), f.shift(2).fill_null(0)
    words = words.with_columns(clause=brk.cum_sum(), negations=neg.cum_sum(), neg=neg)
    negations = pl.col("negations")
    words = words.with_columns(negations_before=negations - pl.col("neg") - _at_clause_start(negations),
                               clause_negations=_at_clause_end(negations) - _at_clause_start(negations))
    phrase = ((prev // _PHRASE_FIRST) & (f // _PHRASE_SECOND) & 0xFF) != 0
    trigger = (has(f, _HEDGE) | phrase | ((pl.col("neg") > 0) & has(prev, _BEING))
               | (has(f, _DISMISSAL) & (has(prev, _NEG) | (has(prev, _ARTICLE) & has(prev2, _NEG))))
               | (has(f, _UP) & has(prev, _CAME) & (pl.col("clause_negations") > 0)))
    words = words.with_columns(triggers=trigger.cast(pl.UInt32).cum_sum())
    whole = _at_clause_end(pl.col("triggers")) - _at_clause_start(pl.col("triggers")) > 0
    mark = pl.when(whole).then(DISMISSED).when(pl.col("negations_before") > 0).then(NEGATED).otherwise(PLAIN)
    return words.with_columns(mark=mark.cast(pl.UInt8)).filter(~brk).select("row", "clause", "plain", "hash", "mark")


def word_hash() -> pl.Expr:
    """The feature of a word of ``marked_words``: its hash, with the two lowest bits holding its mark."""
    return pl.col("hash") // 4 * 4 + pl.col("mark").cast(pl.UInt64)


def stem_hash() -> pl.Expr:
    """The feature of a plain word's stem (its first STEM_LENGTH letters)."""
    return pl.col("plain").str.slice(0, STEM_LENGTH).hash(seed=1)


def _at_clause_start(running: pl.Expr) -> pl.Expr:
    """A running sum over the words as it stood at the break that opened each word's clause."""
    return pl.when((pl.col("flags") & _BREAK) != 0).then(running).forward_fill().fill_null(0)


def _at_clause_end(running: pl.Expr) -> pl.Expr:
    """A running sum over the words as it stands at the break that closes each word's clause."""
    return pl.when((pl.col("flags") & _BREAK) != 0).then(running).backward_fill()


def note_features(notes: pl.Series) -> pl.LazyFrame:
    """(row, clause, feature): every word, two-word phrase (within a clause) and stem of each note, as
    a 64-bit hash. Marked words have no stem."""
    words = marked_words(notes).with_columns(hash=word_hash())
    h = pl.col("hash")
    same_clause = (pl.col("clause").shift(-1) == pl.col("clause")).fill_null(False)
    after = h.shift(-1)
    bigram = ((h // 16 + after // 16 * 3) // 16 * 16) + h % 4 * 4 + after % 4  # both words' marks kept
    bigrams = words.select("row", "clause", feature=pl.when(same_clause).then(bigram)).drop_nulls()
    stems = words.filter((pl.col("mark") == PLAIN) & (pl.col("plain").str.len_chars() > STEM_LENGTH)).select(
        "row", "clause", feature=stem_hash())
    return pl.concat([words.select("row", "clause", feature=h), bigrams, stems])


def marked_text(note: str) -> str:
    """One note as the tagger reads it, marked words prefixed ``NOT_`` (for tests and for explaining a tag)."""
    words = marked_words(pl.Series([note])).collect()
    return " ".join(MARK + w if m else w for w, m in words.select("plain", "mark").iter_rows())
