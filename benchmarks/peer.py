"""Peer contender: the pandas + statsmodels script a data scientist would write for the same question.

    .venv/bin/python benchmarks/peer.py --data DIR

Reads the same CSVs and value maps with pandas, maps contact titles to the maps' roles (a pattern is a
case-insensitive substring; the longest matching pattern wins), builds one 0/1 column per deal for every
role met, value proposition presented, issue uncovered and question asked, fits one `statsmodels` Logit per
segment on the closed deals (the map's items plus log(1 + amount)) and prints the odds ratios. No checks,
no quarantine, no history, no cross-validation: the bare analysis, written the idiomatic way. The last line
is JSON with its wall time and peak RSS, for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import yaml

TAG_COLUMNS = {"value_propositions": "value_proposition", "issues": "issue", "questions": "question"}
OUTCOMES = {"won": 1, "closedwon": 1, "lost": 0, "closedlost": 0}


def read_maps(folder: Path) -> dict[str, dict]:
    """Each segment's value map, as written in YAML."""
    maps = {}
    for path in sorted((folder / "maps").glob("*.y*ml")):
        value_map = yaml.safe_load(path.read_text())
        maps[value_map["segment"]] = value_map
    return maps


def map_items(value_map: dict) -> list[str]:
    """'kind:id' of every role, value proposition, issue and question of a map."""
    names = []
    for role in value_map["roles"]:
        names.append(f"role:{role['role_id']}")
        for key, kind in (("value_propositions", "value_proposition"), ("issues", "issue"), ("questions", "question")):
            names += [f"{kind}:{item['id']}" for item in role.get(key, [])]
    return list(dict.fromkeys(names))


def role_of_title(title: str, roles: list[dict]) -> str | None:
    """The role whose longest title pattern is in the title (first role listed on a tie)."""
    best, best_length = None, 0
    lowered = title.lower()
    for role in roles:
        for pattern in role.get("title_patterns", []):
            if pattern.lower() in lowered and len(pattern) > best_length:
                best, best_length = role["role_id"], len(pattern)
    return best


def load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    deals = pd.read_csv(folder / "deals.csv", usecols=["deal_id", "segment", "amount", "outcome"],
                        dtype={"deal_id": str, "segment": str, "outcome": str})
    engagements = pd.read_csv(folder / "engagements.csv",
                              usecols=["deal_id", "contact_title", "role_id", *TAG_COLUMNS], dtype=str)
    return deals, engagements


def resolve_roles(engagements: pd.DataFrame, deals: pd.DataFrame, maps: dict[str, dict]) -> pd.DataFrame:
    """The CRM's role_id, else the role matched from the contact title on the deal's segment map."""
    engagements = engagements.merge(deals[["deal_id", "segment"]], on="deal_id", how="left")
    needs = engagements["role_id"].isna() & engagements["contact_title"].notna()
    titles = engagements.loc[needs, ["segment", "contact_title"]].drop_duplicates()
    titles["matched"] = [role_of_title(title, maps[segment]["roles"]) if segment in maps else None
                         for segment, title in zip(titles["segment"], titles["contact_title"])]
    engagements = engagements.merge(titles, on=["segment", "contact_title"], how="left")
    engagements["role_id"] = engagements["role_id"].fillna(engagements["matched"])
    return engagements


def item_columns(engagements: pd.DataFrame) -> pd.DataFrame:
    """Deals x 'kind:id' items, 1 when any engagement of the deal had it."""
    long = [engagements[["deal_id", "role_id"]].dropna().rename(columns={"role_id": "item"})
            .assign(item=lambda f: "role:" + f["item"])]
    for column, kind in TAG_COLUMNS.items():
        ids = engagements.set_index("deal_id")[column].dropna().str.split(";").explode().str.strip()
        long.append(ids[ids != ""].rename("item").reset_index().assign(item=lambda f, k=kind: k + ":" + f["item"]))
    pairs = pd.concat(long, ignore_index=True).drop_duplicates()
    return pd.crosstab(pairs["deal_id"], pairs["item"])


def fit_segment(closed: pd.DataFrame, value_map: dict) -> pd.DataFrame:
    """One Logit of won on the map's items and log(1 + amount); odds ratios with 95% intervals."""
    columns = [c for c in map_items(value_map) if c in closed.columns]
    features = closed[columns].astype(float)
    features = features.loc[:, features.std() > 0]
    features["log_amount"] = np.log1p(closed["amount"].clip(lower=0).fillna(closed["amount"].median()))
    result = sm.Logit(closed["won"], sm.add_constant(features)).fit(disp=0, maxiter=100)
    interval = np.exp(result.conf_int())
    return pd.DataFrame({"odds_ratio": np.exp(result.params), "ci_low": interval[0], "ci_high": interval[1],
                         "p_value": result.pvalues})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="input folder: maps/, deals.csv, engagements.csv")
    args = parser.parse_args()
    started = time.perf_counter()
    maps = read_maps(args.data)
    deals, engagements = load(args.data)
    deals["won"] = deals["outcome"].str.lower().str.replace(r"[^a-z]", "", regex=True).map(OUTCOMES)
    items = item_columns(resolve_roles(engagements, deals, maps))
    del engagements
    closed = deals.dropna(subset=["won"]).join(items, on="deal_id")
    closed[items.columns] = closed[items.columns].fillna(0)
    pd.set_option("display.width", 160)
    for segment, rows in closed.groupby("segment"):
        if segment in maps:
            print(f"== {segment}: {len(rows):,} closed deals")
            print(fit_segment(rows, maps[segment]).round(3).to_string())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_rss_bytes": peak}))


if __name__ == "__main__":
    main()
