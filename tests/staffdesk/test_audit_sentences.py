"""Issue 16 item 16: every action the code base writes to the audit log has a sentence,
in English and in Chinese, so a new action cannot be added that the log shows as a code.

The actions are found by reading the source: every ``audit.record(…, action=…)`` call,
whose action is a literal, a ``x if c else y`` of literals, or a lookup in a module-level
dict of literals (``AUDIT_ACTIONS[action]``). Any other expression fails the test: write
the codes out so they can be found."""

from __future__ import annotations

import ast
from pathlib import Path

import consult
from consult.i18n import translator
from consult.staffdesk.audit_log import KINDS, SENTENCES

ROOT = Path(consult.__file__).parent
#: target types the log names in no words (a phone number is not shown in the log)
WORDLESS = {"phone", "round"}  # a round is named with its consultation, by its own query


def _codes(node: ast.expr, module: ast.Module, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, module, where) | _codes(node.orelse, module, where)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        for stmt in module.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == node.value.id for t in targets) \
                    and isinstance(stmt.value, ast.Dict):
                return set().union(*(_codes(v, module, where) for v in stmt.value.values))
    raise AssertionError(f"{where}: write the audit action as a literal, not {ast.unparse(node)}")


def recorded() -> dict[str, set[str]]:
    """Every audit action code written anywhere in ``consult``, with where (file:line), and
    every target type (under the key ``"target types"``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                continue
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords}
            assert "action" in keywords, f"{where}: audit.record without action="
            for code in _codes(keywords["action"], module, where):
                found.setdefault(code, set()).add(where)
            target = keywords.get("target_type")
            assert isinstance(target, ast.Constant), f"{where}: write target_type as a literal"
            found.setdefault("target types", set()).add(target.value)
    return found


def test_the_source_scan_finds_the_actions_of_every_domain():
    codes = recorded()
    # one known action of each domain that writes the log, so a broken scan cannot pass
    for code in ("close_round_early", "create_owner_matter", "points_attendance_approved", "create_survey",
                 "create_owner_election", "create_resident_election", "grant_role", "password_reset",
                 "publish_campaign", "create_project", "idea_merge", "acting_start_family",
                 "refused_owner_link", "family_reset_refused"):
        assert code in codes, code
    assert len(codes) > 80


def test_every_audit_action_has_a_sentence_in_both_languages():
    codes = recorded()
    types = codes.pop("target types")
    missing = sorted(f"{code} ({', '.join(sorted(where))})" for code, where in codes.items()
                     if code not in SENTENCES)
    assert not missing, "audit actions without a sentence in consult.staffdesk.audit_log.SENTENCES: " \
        + "; ".join(missing)
    zh = translator("zh_Hans")
    untranslated = sorted(code for code, template in SENTENCES.items()
                          if zh(template, who="W", object="O", action=code) == template % {
                              "who": "W", "object": "O", "action": code})
    assert not untranslated, f"sentences with no Chinese: {untranslated}"
    unnamed = sorted(types - set(KINDS) - WORDLESS)
    assert not unnamed, f"audit target types the log cannot name (add a Kind): {unnamed}"


def test_every_sentence_is_still_written_somewhere():
    """A sentence for an action nobody writes any more is a stale catalogue entry."""
    codes = recorded()
    assert not sorted(set(SENTENCES) - set(codes))


def test_every_kind_names_real_fields_and_real_pages(client):
    """Each kind of object the log names reads a field its table has, and links to a page the
    app has, with the parameter that page takes."""
    from starlette.routing import NoMatchFound

    app = client.app
    for name, kind in KINDS.items():
        columns = kind.model.model_fields
        if kind.label:
            assert kind.label in columns, (name, kind.label)
        if kind.via:
            other, field = kind.via
            assert other in KINDS and field in columns, (name, kind.via)
        if kind.route:
            try:
                app.url_path_for(kind.route, **{kind.param: 1})
            except NoMatchFound:
                raise AssertionError(f"{name}: no page {kind.route}({kind.param}=…)") from None
