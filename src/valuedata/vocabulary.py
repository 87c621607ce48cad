"""The words every layer shares: the catch-all segment, closed outcomes, the significance level, and
which coverage column holds each kind of map item."""

ALL_SEGMENTS = "*"  # the catch-all map's segment, and the segment of fits and counts pooled over all deals
CLOSED_OUTCOMES = ("won", "lost")
SIGNIFICANCE = 0.05  # q-values (Benjamini-Hochberg) and p-values below this count as significant

# analytics.deal_coverage's list column of each kind of map item a deal covered
ITEM_LISTS = {
    "role": "roles_engaged",
    "value_proposition": "value_propositions_presented",
    "issue": "issues_uncovered",
    "question": "questions_asked",
}

# core.engagements' list column of each kind of map item an engagement's tag fields name
TAG_FIELDS = {"value_proposition": "value_propositions", "issue": "issues", "question": "questions"}
