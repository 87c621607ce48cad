"""The configuration examples in docs/sources.md are valid."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from valuedata.sources.hubspot import HubSpotConfig
from valuedata.sources.mapping_file import Mapping, TableSpec, spec_problems
from valuedata.sources.salesforce import SalesforceConfig

DOC = Path(__file__).parents[1] / "docs" / "sources.md"


def _yaml_blocks() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [yaml.safe_load(block) for block in blocks if "{ ...table... }" not in block]


def test_doc_examples_are_valid() -> None:
    kinds = set()
    for data in _yaml_blocks():
        if "deals" in data:
            mapping = Mapping.model_validate(data)
            assert not [p for name in ("deals", "reps", "engagements") if (spec := getattr(mapping, name))
                        for p in spec_problems(name, spec)]
            kinds.add("mapping")
        elif "engagements" in data:
            assert not spec_problems("engagements", TableSpec.model_validate(data["engagements"]))
            kinds.add("engagements")
        elif "files" in data or "won_stages" in data:
            HubSpotConfig.model_validate(data)
            kinds.add("hubspot")
        else:
            SalesforceConfig.model_validate(data)
            kinds.add("salesforce")
    assert kinds == {"mapping", "engagements", "hubspot", "salesforce"}


def test_doc_mapping_example_is_the_fixture() -> None:
    fixture = yaml.safe_load((Path(__file__).parent / "fixtures" / "exports" / "pipeline" / "mapping.yaml").read_text())
    assert fixture in _yaml_blocks()
