"""The action table (`chatx.actions`) and what derives from it: the CLI subcommands, the
completion items, the router's heavy rule, the `heavyActions` default, the whole-file rule,
the prompt templates and the default tone."""

from __future__ import annotations

import argparse

import pytest
from lsprotocol import types

from chatx.actions import BY_NAME, DEFAULT_TONE, HEAVY_ACTIONS, MODEL_ACTIONS, SPECS
from chatx.assistant import ACTIONS, ActionInput
from chatx.assistant.templates import templates
from chatx.cli.commands import build_parser
from chatx.config import Settings
from chatx.editor.edits import Document, action_input, find_target
from chatx.editor.positions import UTF16
from chatx.llm.router import Policy, Router, Situation
from chatx.lsp.completion import slash_items

NAMES = ["related", "cite", "redact", "remember", "ask", "summarize", "reply"]
NAMES += ["plan-slice", "tdd-loop", "security-review"]
MODEL = ["ask", "summarize", "reply", "plan-slice", "tdd-loop", "security-review"]
HEAVY = ["plan-slice", "tdd-loop", "security-review"]


def subcommands() -> dict[str, str | None]:
    """`chatx`'s subcommands and their help."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {choice.dest: choice.help for choice in sub._choices_actions}


def test_the_table_lists_every_action_once_in_order() -> None:
    assert [spec.name for spec in SPECS] == NAMES
    assert list(BY_NAME) == NAMES
    assert list(MODEL_ACTIONS) == MODEL == list(ACTIONS)
    assert list(HEAVY_ACTIONS) == HEAVY


def test_every_model_action_is_a_cli_subcommand_with_its_help() -> None:
    found = subcommands()
    assert {name: found[name] for name in MODEL} == {
        "ask": "answer a question from the index, with citations",
        "summarize": "summarise a thread or document section",
        "reply": "draft a reply to a chat message",
        "plan-slice": "a short plan with risks and a test checklist",
        "tdd-loop": "failing tests first for some code (prints the test file)",
        "security-review": (
            "check text or code for secrets, personal data, unsafe shell/network use"
        ),
    }
    assert all(found[spec.name] == spec.help for spec in SPECS if spec.model)
    assert "related" not in found and "cite" not in found


def test_reply_options_become_cli_flags_with_the_default_tone() -> None:
    assert DEFAULT_TONE == "friendly and concise"
    assert dict(BY_NAME["reply"].options) == {"tone": DEFAULT_TONE}
    assert build_parser().parse_args(["reply", "hi"]).tone == "friendly and concise"
    assert build_parser().parse_args(["reply", "hi", "--tone", "curt"]).tone == "curt"
    assert not hasattr(build_parser().parse_args(["ask", "hi"]), "tone")
    assert ActionInput("reply", "hi").tone == "friendly and concise"


def test_every_action_is_a_completion_item_with_its_title_and_doc() -> None:
    where = types.Range(types.Position(0, 0), types.Position(0, 1))
    items = slash_items(where)
    assert [item.label for item in items] == [f"/{name}" for name in NAMES]
    for item, spec in zip(items, SPECS, strict=True):
        assert item.detail == spec.title
        assert isinstance(item.documentation, types.MarkupContent)
        assert item.documentation.value == spec.doc
    assert items[4].detail == "Answer from the index"
    assert "default friendly and concise)" in BY_NAME["reply"].doc


@pytest.mark.parametrize("name", MODEL)
def test_heavy_actions_route_as_before(name: str) -> None:
    situation = Situation(name, 900, 2, 4096, 800, None)
    plan = Router(Policy.of(Settings())).plan(situation)
    heavy = name in HEAVY
    assert (plan.heavy, plan.target) == (heavy, "cloud" if heavy else "local")
    assert BY_NAME[name].heavy is heavy


def test_heavy_actions_default_setting_comes_from_the_table() -> None:
    assert Settings().models.heavy_actions == ["plan-slice", "tdd-loop", "security-review"]
    assert Policy.of(Settings()).heavy == frozenset(HEAVY)


@pytest.mark.parametrize("name", MODEL)
def test_whole_file_on_a_bare_command_line_as_before(name: str) -> None:
    doc = Document("file:///w/a.py", ["x = 1\n", f"/{name}\n", "y = 2\n"], None, UTF16, 1)
    target = find_target(doc, types.Range(types.Position(1, 0), types.Position(1, 0)))
    assert target is not None
    read = action_input(doc, target, name, "a.py")
    whole = name in ("plan-slice", "tdd-loop", "security-review")
    assert BY_NAME[name].whole_file is whole
    assert (read.text == "x = 1\ny = 2\n") is whole  # the file without the command line


def test_sources_per_action_as_before() -> None:
    assert {spec.name: spec.sources for spec in SPECS} == {
        "related": 5,
        "cite": 5,
        "redact": 0,
        "remember": 0,
        "ask": 6,
        "summarize": 4,
        "reply": 4,
        "plan-slice": 4,
        "tdd-loop": 4,
        "security-review": 4,
    }


def test_every_model_action_has_its_prompt_file() -> None:
    for spec in SPECS:
        if spec.model:
            assert spec.prompt is not None
            assert templates()[spec.prompt].action == spec.prompt
        else:
            assert spec.prompt is None
