"""Problems in the rules files, and the YAML reader that keeps each value's line so that a problem can
name its file, line and key path. Nothing here knows the files' contents (config/schema.py) or Flask."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# -- problems ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RulesError(ValueError):
    """A rules file is missing something or contradicts itself; `problems` lists each one."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, path="", message=problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# -- YAML with lines -----------------------------------------------------------------------------

@dataclass
class Located:
    """A file's data and the 1-based line of every key path in it."""

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    flow_nulls: set[tuple] = field(default_factory=set)  # keys with no value inside {…}: a cut name

    def line(self, path: tuple) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_located(path: Path, display: str) -> Located:
    """Parse a YAML file keeping lines; duplicate keys and syntax errors are problems too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError([Problem(display, None, "", "the file is missing")]) from None
    except UnicodeDecodeError:
        raise RulesError([Problem(display, None, "", "the file is not UTF-8 text")]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RulesError([Problem(display, line, "", f"not valid YAML: {exc.problem or exc.context}")]) from None
    finally:
        loader.dispose()
    located = Located(data=None)
    problems: list[Problem] = []

    def build(node, path: tuple):
        located.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | bool) and key is not None:
                    problems.append(Problem(display, key_node.start_mark.line + 1, show_key_path(path),
                                            "a key must be a plain word"))
                    continue
                if key in result:
                    problems.append(Problem(display, key_node.start_mark.line + 1, show_key_path(path + (key,)),
                                            "this key is given twice"))
                child = path + (key,)
                located.lines[child] = key_node.start_mark.line + 1
                if node.flow_style and isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(
                        ":null") and value_node.value == "":
                    located.flow_nulls.add(child)
                result[key] = build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:  # e.g. 2026-02-30, a date that does not exist
            problems.append(Problem(display, node.start_mark.line + 1, show_key_path(path),
                                    f"not a valid value: {node.value!r} ({exc})"))
            return None

    located.data = build(node, ()) if node is not None else None
    if problems:
        raise RulesError(problems)
    return located


def show_key_path(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            shown = text if text.replace("_", "").isalnum() and text.isascii() else repr(text)
            out += f".{shown}" if out else shown
    return out or "(top)"
