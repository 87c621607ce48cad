"""How notes are read: negated and hedged mentions are marked so they never count as mentions."""

import pytest

from valuedata.generate.notes import NEGATED
from valuedata.tagging.text import marked_text


@pytest.mark.parametrize("note, plain, marked", [
    ("No complaints about scrap, but downtime is killing them", {"downtime", "killing"}, {"NOT_scrap"}),
    ("Downtime isn't a concern; asked how they track shift targets", {"asked", "shift", "targets"},
     {"NOT_downtime", "NOT_concern"}),
    ("maybe ask about changeovers next time", set(), {"NOT_changeovers"}),
    ("Changeovers never came up. Pitched faster startups", {"pitched", "faster", "startups"},
     {"NOT_changeovers"}),
    ("They aren’t worried about obsolete PLCs", set(), {"NOT_obsolete", "NOT_plcs"}),
    ("might mention the audit later - then walked the line", {"walked", "line"}, {"NOT_audit"}),
    ("Raise yield on existing lines without new capital", {"raise", "yield", "existing", "lines"},
     {"NOT_new", "NOT_capital"}),
    ("crew turnover came up as a big issue for them", {"crew", "turnover", "came", "up", "issue"}, set()),
])
def test_negation_and_hedges_mark_only_their_clause(note, plain, marked):
    words = set(marked_text(note).split())
    assert plain <= words, marked_text(note)
    assert marked <= words, marked_text(note)
    assert not {w.removeprefix("NOT_") for w in marked} & words  # the marked words appear only marked


@pytest.mark.parametrize("bank", sorted(NEGATED))
def test_every_negated_frame_of_the_generator_marks_the_item(bank):
    for before, after in NEGATED[bank]:
        words = marked_text(f"Site visit. {before}unplanned downtime on constrained lines{after}. Sent deck").split()
        assert {"NOT_unplanned", "NOT_downtime", "NOT_constrained", "NOT_lines"} <= set(words), (before, after)
        assert {"site", "visit", "sent", "deck"} <= set(words)
