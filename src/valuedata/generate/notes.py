"""The notes world: reps' call notes mention each engagement's items in varied wording, and most
engagements leave the tag fields blank.

Each mention is a frame around a phrasing of the item's map text (the whole text, its content words,
a part of them, or a typo). Frames come in two banks, ``a`` and ``b``: with ``wording="split"`` the
engagements that keep their tag fields are written with bank ``a`` only and the notes-only ones with
bank ``b`` only, so a tagger trained on the former meets wording it never saw.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import yaml

from valuedata.vocabulary import TAG_FIELDS

from .mapindex import MapIndex

WORDINGS = ("shared", "split")

# (before, after) the item's phrasing, per bank and kind.
FRAMES = {
    "a": {
        "value_proposition": [("pitched ", ""), ("walked them through ", ""), ("showed how we can ", ""),
                              ("", " resonated with them"), ("presented: ", "")],
        "issue": [("they struggle with ", ""), ("pain point: ", ""), ("", " is a real problem for them"),
                  ("complained about ", ""), ("big issue with ", "")],
        "question": [("asked ", ""), ("asked about ", ""), ("q: ", ""), ("we asked them ", "")],
    },
    "b": {
        "value_proposition": [("made the case for ", ""), ("value prop discussed - ", ""), ("we explained ", ""),
                              ("positioned our offer as ", ""), ("demoed ", "")],
        "issue": [("told us ", " keeps hurting them"), ("main headache is ", ""), ("", " is a sore spot for them"),
                  ("they are frustrated by ", ""), ("ops lead flagged ", "")],
        "question": [("discovery question - ", ""), ("probed on ", ""), ("wanted to know ", ""),
                     ("put the question ", " to them")],
    },
}
# A mention of an item the engagement did NOT have: negated or hedged, so it must not tag.
NEGATED = {
    "a": [("no complaints about ", ""), ("", " is not a concern"), ("did not get to ", ""),
          ("maybe ask about ", " next time")],
    "b": [("they are not worried about ", ""), ("", " never came up"), ("might mention ", " later"),
          ("no issues with ", "")],
}
FILLER = ["good rapport with the team", "sent the deck afterwards", "follow up next week", "left voicemail first",
          "customer asked for references", "loop in purchasing", "they compare us with the incumbent",
          "budget cycle starts in q3", "coffee was terrible", "next step: trial", "waiting on po",
          "call ran long", "site visit booked"]
NEGATED_SHARE = 0.3  # engagements that also mention one item they did not have, negated
FILLER_SHARE = 0.6  # engagements with one filler sentence
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how in is it of on or our per so that the their them they this "
    "to we what when where which who why with you your".split())


def phrasings(text: str) -> list[str]:
    """Ways a rep writes an item: its text, its content words, the first or last part of them, a typo."""
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
    content = [w for w in words if w not in STOPWORDS] or words
    half = max(2, (len(content) + 1) // 2)
    variants = [" ".join(words), " ".join(content), " ".join(content[:half]), " ".join(content[-half:]),
                _typo(" ".join(content))]
    return list(dict.fromkeys(variants))


def _typo(phrase: str) -> str:
    """Swap two letters in the middle of the longest word."""
    words = phrase.split()
    k = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[k]
    if len(w) >= 5:
        i = len(w) // 2
        words[k] = w[:i - 1] + w[i] + w[i - 1] + w[i + 1:]
    return " ".join(words)


def item_texts(m: MapIndex) -> dict[str, list[str]]:
    """Item text per engagement kind, in the map's order (as ``m.ids``)."""
    doc = yaml.safe_load(m.raw)
    out = {}
    for kind, column in TAG_FIELDS.items():
        field = "statement" if kind == "value_proposition" else "text"
        out[kind] = [item[field] for role in doc["roles"] for item in role[column]]
    return out


def write_notes(eng: pl.DataFrame, pairs: pl.DataFrame, maps: list[MapIndex], map_of_row: np.ndarray,
                rng: np.random.Generator, share: float, wording: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Engagements with composed notes (and blank tag fields on a ``share`` of them), and the truth:
    one row per (engagement_id, kind, item_id) with ``mention`` = ``item`` (the engagement had it;
    ``in_field`` says whether its tag field still lists it) or ``negated`` (a negated or hedged mention
    of an item it did not have).

    ``pairs`` holds (row, kind, item_id) for every item of every engagement row; ``map_of_row`` the
    index into ``maps`` of each row's map."""
    if wording not in WORDINGS:
        raise ValueError(f"notes wording must be one of {', '.join(WORDINGS)}, not {wording!r}")
    n = eng.height
    notes_only = rng.random(n) < share
    bank_b = notes_only if wording == "split" else rng.random(n) < 0.5
    catalogue = _catalogue(maps)
    pairs = pairs.with_columns(pl.Series("map", map_of_row[pairs["row"].to_numpy()], dtype=pl.Int64))
    had = pairs.join(catalogue, on=["map", "kind", "item_id"]).sort("row", "kind", "item_id")
    mentions = _frame_mentions(_with_bank(had, bank_b), rng, negated=False)
    negated = _negated_items(pairs, catalogue, map_of_row, bank_b, rng)
    sentences = pl.concat([mentions, _frame_mentions(negated, rng, negated=True), _filler(n, rng)])
    blank = pl.Series(notes_only)
    eng = eng.with_columns(
        *(pl.when(blank).then(None).otherwise(pl.col(c)).alias(c) for c in TAG_FIELDS.values()),
        _compose(sentences, n, rng).alias("notes"))
    return eng, _mentions_truth(eng, pairs, negated, notes_only)


def _with_bank(mentions: pl.DataFrame, bank_b: np.ndarray) -> pl.DataFrame:
    """The mentions with the frame bank (``a`` or ``b``) of their engagement row."""
    return mentions.with_columns(pl.Series("bank", np.where(bank_b[mentions["row"].to_numpy()], "b", "a")))


def _negated_items(pairs: pl.DataFrame, catalogue: pl.DataFrame, map_of_row: np.ndarray, bank_b: np.ndarray,
                   rng: np.random.Generator) -> pl.DataFrame:
    """On a NEGATED_SHARE of engagement rows, one item of their map drawn at random, kept when the row did not
    have it (checked against its pairs), with its phrasings and bank."""
    cand = np.nonzero(rng.random(len(map_of_row)) < NEGATED_SHARE)[0]
    items = catalogue.group_by("map").agg(pl.len().alias("items"))
    neg = pl.DataFrame({"row": cand, "map": map_of_row[cand]}, schema={"row": pl.Int64, "map": pl.Int64}).join(
        items, on="map", maintain_order="left")  # the draw below goes by position: keep the rows' order
    neg = neg.with_columns(pl.Series("pick", (rng.random(neg.height) * neg["items"].to_numpy()).astype(np.int64)))
    indexed = catalogue.with_columns(pl.int_range(pl.len()).over("map").alias("pick"))
    neg = neg.join(indexed, on=["map", "pick"]).join(pairs, on=["row", "map", "kind", "item_id"], how="anti")
    return _with_bank(neg.sort("row"), bank_b)


def _filler(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """(row, text): one filler sentence on a FILLER_SHARE of the ``n`` engagement rows."""
    rows = np.nonzero(rng.random(n) < FILLER_SHARE)[0]
    return pl.DataFrame({"row": rows, "text": pl.Series(FILLER).gather(rng.integers(0, len(FILLER), len(rows)))})


def _compose(sentences: pl.DataFrame, n: int, rng: np.random.Generator) -> pl.Series:
    """Each engagement row's note: its sentences in random order, joined by '. '; null for a row with none."""
    sentences = sentences.with_columns(pl.Series("order", rng.random(sentences.height)))
    joined = sentences.sort("row", "order").group_by("row", maintain_order=True).agg(pl.col("text").str.join(". "))
    return pl.repeat(None, n, dtype=pl.String, eager=True).scatter(joined["row"], joined["text"])


def _mentions_truth(eng: pl.DataFrame, pairs: pl.DataFrame, negated: pl.DataFrame,
                    notes_only: np.ndarray) -> pl.DataFrame:
    """engagement_items.csv: every item each engagement had (and whether its tag field lists it), then every
    negated mention."""
    truth = pl.concat([pairs.select("row", "kind", "item_id", mention=pl.lit("item")),
                       negated.select("row", "kind", "item_id", mention=pl.lit("negated"))])
    truth = truth.sort("row", "mention", "kind", "item_id")
    rows = truth["row"].to_numpy()
    truth = truth.with_columns(eng["engagement_id"].gather(truth["row"]).alias("engagement_id"),
                               pl.Series("in_field", ~notes_only[rows] & (truth["mention"] == "item").to_numpy()))
    return truth.select("engagement_id", "kind", "item_id", "mention", "in_field")


def _catalogue(maps: list[MapIndex]) -> pl.DataFrame:
    """One row per (map, kind, item_id, phrasing)."""
    rows = [{"map": k, "kind": kind, "item_id": item, "phrasings": phrasings(text)}
            for k, m in enumerate(maps) for kind, texts in item_texts(m).items()
            for item, text in zip(m.ids[kind], texts)]
    return pl.DataFrame(rows, schema={"map": pl.Int64, "kind": pl.String, "item_id": pl.String,
                                      "phrasings": pl.List(pl.String)})


def _frame_mentions(mentions: pl.DataFrame, rng: np.random.Generator, negated: bool) -> pl.DataFrame:
    """(row, text): each mention framed by a random frame of its bank and one of its item's phrasings."""
    out = []
    for bank in ("a", "b"):
        part = mentions.filter(pl.col("bank") == bank)
        if part.is_empty():
            continue
        kinds = part["kind"].to_list()
        frames = [NEGATED[bank]] * part.height if negated else [FRAMES[bank][k] for k in kinds]
        pick = rng.random(part.height)
        pre, post = zip(*(f[int(u * len(f))] for f, u in zip(frames, pick)))
        choice = rng.random(part.height)
        phrase = [p[int(u * len(p))] for p, u in zip(part["phrasings"].to_list(), choice)]
        text = [a + p + b for a, p, b in zip(pre, phrase, post)]
        out.append(pl.DataFrame({"row": part["row"], "text": text}))
    return pl.concat(out) if out else pl.DataFrame(schema={"row": pl.Int64, "text": pl.String})
