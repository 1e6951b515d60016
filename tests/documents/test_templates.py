"""Each template, its context builder and doc_templates/README.md agree on the variables."""

from __future__ import annotations

import re

import pytest

from tests.documents.conftest import NOW
from webforms.domain.documents import KINDS, TEMPLATES_DIR, build_context, template_path, template_variables


def readme_variables() -> dict[str, set[str]]:
    text = (TEMPLATES_DIR / "README.md").read_text(encoding="utf-8")
    found = {}
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        kind = section.split("\n", 1)[0].strip()
        line = next(line for line in section.splitlines() if line.startswith("Variables:"))
        found[kind] = set(re.findall(r"`([a-z_]+)`", line))
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_template_variables_equal_the_builder_keys_and_the_readme(kind, full_conference, rules, subjects):
    context = build_context(
        kind, full_conference.conference, rules, NOW, base_url="http://localhost", **subjects.get(kind, {})
    )
    used = template_variables(template_path(kind))
    assert used == set(context)
    assert readme_variables()[kind] == used


def test_the_readme_lists_every_kind_and_no_other():
    assert set(readme_variables()) == set(KINDS)
