"""ChatGPT and Claude.ai `conversations.json` exports from ../shared/corpus."""

from __future__ import annotations

from pathlib import Path

from chatx.ingest import extract


def test_chatgpt_tree_follows_current_node(corpus: Path) -> None:
    result = extract(corpus / "chatgpt" / "librechat_chatgpt_tree_branches.json", "c.json")
    assert result.format == "chatgpt"
    texts = [m.text.split("\n")[0] for m in result.messages]
    assert texts == [
        "hi there",
        "Hello! How can I assist you today?",
        "hi again",
        "Hey! Welcome back. What's on your mind?",
        "tell me a joke",
        "Sure, here's one for you:",
    ]
    assert "tell me a story" not in " ".join(m.text for m in result.messages)  # other branch
    assert result.messages[-1].source_ref.guid == "f63b8e17-aa5c-4ca6-a1bf-d4d285e269b8"
    assert [m.source_ref.line for m in result.messages][:2] == [39, 67]
    assert result.messages[0].reply_to_msg_id is None
    assert result.messages[1].reply_to_msg_id == result.messages[0].msg_id


def test_chatgpt_multimodal_thoughts_code_and_broken_records(corpus: Path) -> None:
    result = extract(corpus / "chatgpt" / "chatlore_chatgpt_multimodal_thoughts.json", "c.json")
    first = [m for m in result.messages if m.source_meta.get("title") != "Lisbon trip"]
    assert [m.sender for m in result.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    assert "First answer that was regenerated." not in [m.text for m in first]
    multimodal = result.messages[2]
    assert multimodal.text == "Here is the plan output. Can you write the statement?"
    assert [(a.kind, a.name) for a in multimodal.attachments] == [
        ("image", "file-service://file-2")
    ]
    assert result.messages[3].text.startswith("CREATE INDEX idx_orders_customer")
    assert result.messages[4].text == "CREATE INDEX"
    assert not any(m.source_meta.get("content_type") == "thoughts" for m in result.messages)
    assert [p.detail for p in result.problems] == ["conversation 2 has no message tree ('mapping')"]


def test_chatgpt_modern_export_skips_context_and_empty_root(corpus: Path) -> None:
    result = extract(corpus / "chatgpt" / "librechat_chatgpt_modern_export.json", "c.json")
    assert [m.text for m in result.messages] == [
        "How do I roll back the deploy?",
        "Run `helm rollback staging`.",
        "And if that fails?",
        "Restore from the last known-good chart.",
        "Something with anchovies?",
        "Puttanesca.",
    ]
    assert len({m.conv_id for m in result.messages}) == 2
    assert result.messages[0].timestamp.isoformat() == "2025-08-24T01:46:41+00:00"
    assert len(result.problems) == 1


def test_claude_ai_branches_thinking_and_missing_messages(corpus: Path) -> None:
    result = extract(corpus / "claude" / "chatlore_claude_ai_conversations.json", "c.json")
    assert result.format == "claude"
    texts = [m.text for m in result.messages]
    assert texts[0] == "Why does this not compile?"
    assert texts[1].startswith(
        'Retried answer: move x out of the inner scope.\n[tool_use repl] {"code": "cargo check"}'
    )
    assert "[tool_result] Finished dev profile" in texts[1]
    assert texts[2] == "That worked, thanks."
    assert "x does not live long enough." not in texts  # the older branch
    assert not any("internal reasoning" in t for t in texts)
    assert texts[3:] == ["Give me a name for a cat.", "Biscuit."]  # whitespace-only dropped
    assert [m.sender for m in result.messages] == ["user", "assistant", "user", "user", "assistant"]
    assert result.messages[2].reply_to_msg_id == result.messages[1].msg_id
    assert result.messages[0].reply_to_msg_id is None  # the all-zero root is not a message
    assert [p.detail for p in result.problems] == ["conversation 2 has no 'chat_messages'"]
