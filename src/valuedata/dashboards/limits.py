"""Caps that keep every page small whatever the warehouse size (see docs/dashboards.md)."""

MAX_SEGMENTS = 10  # segments shown by name; the rest are pooled as "Other segments"
MAX_TEAMS = 8  # teams offered in the team filter; the rest are pooled as "Other teams"
MONTHS_SHOWN = 15  # monthly win-rate series cover the latest 15 months
QUARTERS_SHOWN = 12  # quarterly series cover the latest 12 quarters (3 years)
MAX_DRIVERS = 20  # forest-plot rows per segment (significant first, then by q-value)
MAX_REPS_CHART = 40  # reps in the actual-vs-expected chart (largest gaps either way)
MAX_REPS_HEATMAP = 25  # rows of the reps x behaviour-gaps heatmap
MAX_GAP_ITEMS = 12  # columns of that heatmap
MAX_COACHING_REPS = 100  # reps in the coaching list (and with a drill-down), largest total gap first
COACHING_GAPS = 3  # gaps listed per rep
MAX_AT_RISK_POINTS = 100  # open deals plotted overall (plus MAX_AT_RISK_PER_TEAM per team)
MAX_AT_RISK_PER_TEAM = 30
MAX_AT_RISK_ROWS = 50  # open deals listed overall (plus MAX_AT_RISK_PER_GROUP per team and segment)
MAX_AT_RISK_PER_GROUP = 10
DRILL_ALL_DEALS = 10_000  # up to this many deals the drill-down lists every one of them (paged in the browser)
DRILL_PER_OUTCOME = 2  # above it, deals kept per driver and per rep for each of won / lost (and open, for reps)
MAX_QUARANTINE_ROWS = 50  # (file, rule) rows in the quarantine table
MAX_UNMAPPED_TITLES = 10  # per segment
MAX_CURRENCIES = 4  # open-amount tiles, one per currency (most open deals first)
LABEL_CHARS = 48  # axis labels wrap at this many characters, cut after two lines; hover text has it all
