"""Read a protocol written in YAML and report every schema problem with its line and field path."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from screening.protocol.errors import ProtocolError
from screening.protocol.schema import Protocol


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses repeated keys: PyYAML would silently keep the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml_protocol(text: str, source: str = "<text>") -> Protocol:
    """Validate YAML text as a Protocol; ``source`` names the file in error messages."""
    if not text.strip():
        raise ProtocolError(source, "the file is empty (expected a protocol with at least title and question)")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as error:
        raise ProtocolError(source, _describe_yaml_error(error)) from error
    if data is None:
        raise ProtocolError(source, "the file holds no data (only comments?); expected title and question")
    if not isinstance(data, dict):
        raise ProtocolError(source, "line 1: the top level must be a mapping of protocol fields "
                                    f"(title, question, concepts, ...), got a {type(data).__name__}")
    try:
        return Protocol.model_validate(data)
    except ValidationError as error:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raise ProtocolError(source, [_describe_schema_error(err, root) for err in error.errors()]) from error


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    """Where the parser stopped, plus where the construct it was reading began (an unclosed quote...)."""
    mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    detail = problem
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        detail += f" ({context} that starts at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return f"{where}invalid YAML: {detail}"


def field_path(loc: tuple[int | str, ...]) -> str:
    """('concepts', 2, 'definition') -> 'concepts[2].definition' (the form users see in the file)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "protocol"


def _describe_schema_error(error: dict[str, Any], root: yaml.Node | None) -> str:
    loc = tuple(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = _unknown_key_message(loc)
    line = _line_of(root, loc)
    where = f"line {line}: " if line is not None else ""
    return f"{where}{field_path(loc)}: {message}"


def _unknown_key_message(loc: tuple[int | str, ...]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key ({hint}allowed: {', '.join(allowed)})"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc``, to list the keys it accepts."""
    current: Any = Protocol
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, tuple) and isinstance(part, int):
            current = typing.get_args(current)[0]
        else:
            return None
        current = _without_none(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _without_none(annotation: Any) -> Any:
    """`Appraisal | None` -> Appraisal, `list[X] | None` -> list[X], so key hints reach optional sections."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest YAML node on ``loc`` (the parent when the field itself is missing).

    None for whole-protocol problems (``loc`` empty): pointing at line 1 would mislead.
    """
    if not loc:
        return None
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
