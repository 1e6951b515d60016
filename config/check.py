"""Checking a rules folder: each file against its model (config/schema.py), then the cross-checks between
files. `check_dir(directory)` returns the validated files or raises `RulesError` (config/problems.py)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from config.problems import Located, Problem, RulesError, read_located, show_key_path
from config.schema import (
    EDIT_PERMISSION,
    FILES,
    KINDS,
    MODELS,
    REQUIRED_MILESTONES,
    DeadlineEngineFile,
    DepartmentsFile,
    DocumentsFile,
    FieldsFile,
    HolidaysFile,
    PlanFile,
    SecurityFile,
    Strict,
    ZonesFile,
    edit_permission,
)

# -- checking a folder ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedRules:
    directory: Path
    plan: PlanFile
    departments: DepartmentsFile
    zones: ZonesFile
    fields: FieldsFile
    holidays: HolidaysFile
    documents: DocumentsFile
    deadline_engine: DeadlineEngineFile
    security: SecurityFile


def _display(directory: Path, name: str) -> str:
    path = directory / name
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _explain(error: dict, located: Located, key_path: tuple) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        if key_path in located.flow_nulls:
            return ("unknown key: an unquoted comma inside {…} cut the value before it; "
                    "quote the whole value, e.g. name: \"…, …\"")
        close = difflib.get_close_matches(str(key_path[-1]) if key_path else "", _known_keys(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see the comments in the file for the keys it takes"
        return f"unknown key ({hint})"
    if kind == "missing":
        return "this key is required"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    got = error.get("input")
    if kind not in ("missing",) and not isinstance(got, dict | list):
        message += f" (found {got!r})"
    return message


def _known_keys() -> list[str]:
    keys: set[str] = set()
    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            keys.add(name)
            for arg in _types_in(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg)

    for model in MODELS.values():
        walk(model)
    return sorted(keys)


def _types_in(annotation) -> list:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _types_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        found.append(origin)
    return found


def _validate(name: str, located: Located, display: str) -> tuple[Strict | None, list[Problem]]:
    model = MODELS[name]
    data = located.data
    if not isinstance(data, dict):
        return None, [Problem(display, 1, "", "the file must hold a mapping of keys")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems, found = [], []
        for error in exc.errors():
            key_path = _data_path(located.data, error["loc"])
            found.append((error["type"], key_path))
            problems.append(Problem(display, located.line(key_path), show_key_path(key_path),
                                    _explain(error, located, key_path)))
        # A misspelt key is one problem, not two: drop "required" for the key the misspelling stands for.
        suggested = {(path[:-1], close) for kind, path in found if kind == "extra_forbidden" and path
                     for close in difflib.get_close_matches(str(path[-1]), _known_keys(), n=1)}
        kept = [p for (kind, path), p in zip(found, problems, strict=True)
                if not (kind == "missing" and path and (path[:-1], path[-1]) in suggested)]
        return None, sorted(kept, key=lambda p: p.line or 0)


def _data_path(data, loc: tuple) -> tuple:
    """pydantic's error location without its union and key tags: the keys as they are in the file."""
    path, here = [], data
    for i, part in enumerate(loc):
        if isinstance(here, dict) and part in here:
            path.append(part)
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            path.append(part)
            here = here[part]
        elif i == len(loc) - 1 and isinstance(part, str) and not part.startswith("["):
            path.append(part)  # a missing key
    return tuple(path)


def check_dir(directory: Path | str, *, known_milestones: frozenset[str] | None = None,
              known_roles: frozenset[str] | None = None) -> CheckedRules:
    """Every file of the folder against its schema, then the cross-checks; RulesError lists all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    located: dict[str, Located] = {}
    checked: dict[str, Strict] = {}
    for name in FILES:
        display = _display(directory, name)
        try:
            located[name] = read_located(directory / name, display)
        except RulesError as exc:
            problems += exc.problems
            continue
        model, found = _validate(name, located[name], display)
        problems += found
        if model is not None:
            checked[name] = model
    if problems:
        raise RulesError(problems)
    rules = CheckedRules(directory=directory, **{name.removesuffix(".yaml"): checked[name] for name in FILES})
    problems = _cross_check(rules, located, directory, known_milestones, known_roles)
    if problems:
        raise RulesError(problems)
    return rules


def _cross_check(rules: CheckedRules, located: dict[str, Located], directory: Path,
                 known_milestones: frozenset[str] | None, known_roles: frozenset[str] | None) -> list[Problem]:
    problems: list[Problem] = []

    def problem(name: str, path: tuple, message: str) -> None:
        problems.append(Problem(_display(directory, name), located[name].line(path), show_key_path(path), message))

    def unique(name: str, items, key: str, list_key: str) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in seen:
                problem(name, (list_key, i, key), f"'{value}' is already used by {list_key}[{seen[value]}]")
            seen.setdefault(value, i)

    plan, deps = rules.plan, rules.departments
    unique("plan.yaml", plan.milestones, "name", "milestones")
    unique("departments.yaml", deps.departments, "code", "departments")
    unique("zones.yaml", rules.zones.zones, "code", "zones")
    unique("fields.yaml", rules.fields.fields, "code", "fields")
    dept_codes = {d.code for d in deps.departments}
    field_codes = {f.code for f in rules.fields.fields}
    zone_codes = {z.code for z in rules.zones.zones}
    if rules.zones.outside.code in zone_codes:
        problem("zones.yaml", ("outside", "code"), "must differ from every zone's code")

    # Milestones: each known to the engine, each owned by a department, the required ones present, in order.
    names = {m.name: i for i, m in enumerate(plan.milestones)}
    for i, milestone in enumerate(plan.milestones):
        if known_milestones is not None and milestone.name not in known_milestones:
            problem("plan.yaml", ("milestones", i, "name"),
                    f"unknown milestone '{milestone.name}': the engine has no handler for it "
                    f"(known: {', '.join(sorted(known_milestones))})")
        if milestone.owner not in dept_codes:
            problem("plan.yaml", ("milestones", i, "owner"), f"'{milestone.owner}' is not a department code "
                                                             "in departments.yaml")
    for required in REQUIRED_MILESTONES:
        if required not in names:
            problem("plan.yaml", ("milestones",), f"milestone '{required}' is required")
    offsets = {m.name: m.offset for m in plan.milestones}
    order = [("announce_by", "intake_closes", "the announcement comes before the intake closes"),
             ("intake_closes", "conference", "the intake closes before the conference day (D)"),
             ("conference", "written_reply", "written replies are due after the conference"),
             ("written_reply", "coordinated_reply", "coordinated replies are due no earlier than written ones")]
    for before, after, why in order:
        if before in offsets and after in offsets:
            strict = (before, after) != ("written_reply", "coordinated_reply")
            bad = offsets[before] >= offsets[after] if strict else offsets[before] > offsets[after]
            if bad:
                problem("plan.yaml", ("milestones", names[after], "offset"),
                        f"offset {offsets[after]} of '{after}' is out of order: {why} "
                        f"('{before}' is {offsets[before]})")
    if "conference" in offsets and offsets["conference"] != 0:
        problem("plan.yaml", ("milestones", names["conference"], "offset"), "the conference day is D: offset 0")

    # Permissions name real roles; a per-file edit permission names a rules file.
    for action in plan.permissions:
        if action.startswith(EDIT_PERMISSION) and action not in {edit_permission(f) for f in FILES}:
            problem("plan.yaml", ("permissions", action),
                    f"'{action}' names no rules file (one of: "
                    f"{', '.join(edit_permission(f) for f in FILES)})")
    for action, roles in plan.permissions.items():
        for j, role in enumerate(roles):
            if known_roles is not None and role not in known_roles:
                problem("plan.yaml", ("permissions", action, j),
                        f"unknown role '{role}' (roles: {', '.join(sorted(known_roles))})")

    # Departments: one consolidates; fields and zones exist; every field is routed to somebody.
    consolidating = [d for d in deps.departments if d.consolidates]
    if len(consolidating) != 1:
        problem("departments.yaml", ("departments",),
                f"exactly one department must have consolidates: true (found {len(consolidating)})")
    for i, dep in enumerate(deps.departments):
        for j, code in enumerate(dep.fields):
            if code not in field_codes:
                problem("departments.yaml", ("departments", i, "fields", j), f"'{code}' is not a field in "
                                                                            "fields.yaml")
        for j, code in enumerate(dep.zones):
            if code not in zone_codes:
                problem("departments.yaml", ("departments", i, "zones", j), f"'{code}' is not a zone in zones.yaml")
        if dep.consolidates and dep.kind != "internal":
            problem("departments.yaml", ("departments", i, "kind"), "the consolidating department is internal")
    routed = {code for d in deps.departments for code in d.fields}
    for i, fld in enumerate(rules.fields.fields):
        if fld.code not in routed:
            problem("fields.yaml", ("fields", i, "code"),
                    f"field '{fld.code}' is named by no department (add it to the fields of the unit that "
                    "answers it, or of the outside agency consulted on it)")
    for i, zone in enumerate(rules.zones.zones):
        if zone.office and zone.office not in dept_codes:
            problem("zones.yaml", ("zones", i, "office"), f"'{zone.office}' is not a department in departments.yaml")

    # Other files' references.
    if rules.deadline_engine.office not in dept_codes:
        problem("deadline_engine.yaml", ("office",), f"'{rules.deadline_engine.office}' is not a department in "
                                                     "departments.yaml")
    docs = rules.documents
    for kind in KINDS:
        if kind not in docs.numbering.symbols:
            problem("documents.yaml", ("numbering", "symbols"), f"the symbol of '{kind}' is required")
        if kind not in docs.recipients:
            problem("documents.yaml", ("recipients",), f"the recipients of '{kind}' are required")
    for kind, symbol in docs.numbering.symbols.items():
        _placeholders(problem, ("numbering", "symbols", kind), symbol, kind)
    for kind, lines in docs.recipients.items():
        for j, line in enumerate(lines):
            _placeholders(problem, ("recipients", kind, j), line, kind)
    if docs.signers.reply_letter is not None:
        for code in docs.signers.reply_letter.by_field:
            if code not in field_codes:
                problem("documents.yaml", ("signers", "reply_letter", "by_field", code),
                        f"'{code}' is not a field in fields.yaml")
    return problems


def _placeholders(problem, path: tuple, text: str, kind: str) -> None:
    rest = text.replace("{unit}", "") if kind == "reply_letter" else text
    if "{" in rest or "}" in rest:
        allowed = "only {unit} (the drafting unit's symbol)" if kind == "reply_letter" else "no {…}"
        problem("documents.yaml", path, f"{allowed} may appear here (found {text!r})")


def engine_milestones() -> frozenset[str]:
    """The milestone names the deadline engine has a handler for (webforms/domain/tick.py)."""
    from webforms.domain.tick import handled_milestones

    return frozenset(handled_milestones())


def staff_roles() -> frozenset[str]:
    from webforms.models.user import Role

    return frozenset(role.value for role in Role)
