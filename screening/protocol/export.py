"""Write a Protocol back to YAML, so criteria read from prose can be reviewed and edited as a protocol."""

from __future__ import annotations

import yaml

from screening.protocol.schema import Protocol


class _BlockDumper(yaml.SafeDumper):
    """Long definitions as folded blocks, lists indented under their key: easy to read and diff."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = ">" if len(value) > 100 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def protocol_to_yaml(protocol: Protocol) -> str:
    """YAML text that ``load_protocol`` reads back into an equal Protocol (defaults left out)."""
    data = protocol.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("question", {"text": protocol.question.text})
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
