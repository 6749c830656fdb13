"""The memory tools of `chatx mcp` through the official MCP client: the reference memory
server's contract (names, arguments, answers, errors), and the Shield gate on what they
return, with the agent's pseudonyms understood in what it sends back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.unit.test_mcp_server import connect, problem, structured

REFERENCE = [
    "add_observations",
    "create_entities",
    "create_relations",
    "delete_entities",
    "delete_observations",
    "delete_relations",
    "open_nodes",
    "read_graph",
    "search_nodes",
]
ALICE = {"name": "Alice", "entityType": "person", "observations": ["Works at Acme"]}
BOB = {"name": "Bob", "entityType": "person", "observations": []}


def relation(source: str, target: str, kind: str) -> dict[str, str]:
    return {"from": source, "to": target, "relationType": kind}


async def test_the_reference_tools_and_their_arguments(tmp_path: Path) -> None:
    async with connect(tmp_path, CHATX_AGENT_SHIELD="false") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(REFERENCE) <= set(tools)
        entity = tools["create_entities"].input_schema
        items = entity["$defs"]["NewEntity"]["properties"]
        assert {"name", "entityType", "observations"} == set(items)
        assert tools["delete_entities"].input_schema["required"] == ["entityNames"]
        assert tools["search_nodes"].input_schema["properties"]["query"]["maxLength"] == 2048
        assert tools["read_graph"].annotations.read_only_hint is True
        assert tools["delete_entities"].annotations.destructive_hint is True


async def test_the_reference_contract(tmp_path: Path) -> None:
    async with connect(tmp_path, CHATX_AGENT_SHIELD="false") as client:

        async def call(name: str, **arguments: Any) -> dict[str, Any]:
            return structured(await client.call_tool(name, arguments))

        created = await call("create_entities", entities=[ALICE, BOB, dict(ALICE, name="Alice")])
        assert created["entities"] == [ALICE, BOB]
        assert created["skipped"] == ["Alice"]
        again = await call("create_entities", entities=[dict(ALICE, observations=["new"])])
        assert again == {"entities": [], "skipped": ["Alice"]}

        missing = problem(
            await client.call_tool(
                "create_relations",
                {"relations": [relation("Alice", "Bob", "knows"), relation("Alice", "Zed", "x")]},
            )
        )
        assert missing["detail"] == "Entity with name Zed not found"
        linked = await call("create_relations", relations=[relation("Alice", "Bob", "knows")] * 2)
        assert linked == {"relations": [relation("Alice", "Bob", "knows")]}

        added = await call(
            "add_observations",
            observations=[
                {"entityName": "Alice", "contents": ["Works at Acme", "Likes tea"]},
                {"entityName": "Bob", "contents": []},
            ],
        )
        assert added == {
            "results": [
                {"entityName": "Alice", "addedObservations": ["Likes tea"]},
                {"entityName": "Bob", "addedObservations": []},
            ]
        }
        unknown = problem(
            await client.call_tool(
                "add_observations", {"observations": [{"entityName": "Zed", "contents": ["x"]}]}
            )
        )
        assert unknown["detail"] == "Entity with name Zed not found"

        tea = await call("search_nodes", query="TEA")
        assert [e["name"] for e in tea["entities"]] == ["Alice"]
        assert tea["relations"] == [relation("Alice", "Bob", "knows")]  # either end matches
        opened = await call("open_nodes", names=["Bob", "Nobody"])
        assert [e["name"] for e in opened["entities"]] == ["Bob"]
        assert opened["relations"] == [relation("Alice", "Bob", "knows")]

        gone = await call(
            "delete_observations",
            deletions=[
                {"entityName": "Alice", "observations": ["Likes tea", "never said"]},
                {"entityName": "Zed", "observations": ["x"]},
            ],
        )
        assert gone == {
            "success": True,
            "message": "Deleted 1 of 3 observations. Entities not found: Zed",
        }
        assert (await call("delete_relations", relations=[relation("Alice", "Bob", "knows")])) == {
            "success": True,
            "message": "Relations deleted successfully",
        }
        assert (await call("delete_entities", entityNames=["Bob", "Zed"]))["message"] == (
            "Deleted 1 of 2 entities. Not found: Zed"
        )
        graph = await call("read_graph")
        assert graph == {"entities": [ALICE], "relations": []}


async def test_results_are_pseudonymised_and_pseudonyms_come_back(tmp_path: Path) -> None:
    async with connect(tmp_path) as client:  # the gate is on by default
        person = {"name": "Priya Raman", "entityType": "person", "observations": []}
        fact = "Priya Raman gets invoices at priya@orders.example"
        created = structured(
            await client.call_tool(
                "create_entities", {"entities": [dict(person, observations=[fact])]}
            )
        )
        (entity,) = created["entities"]
        assert entity["name"].startswith("CN_") and "Priya" not in json.dumps(created)
        assert "priya@orders.example" not in json.dumps(created)
        assert entity["entityType"] == "person"
        pseudonym = entity["name"]
        opened = structured(await client.call_tool("open_nodes", {"names": [pseudonym]}))
        assert [e["name"] for e in opened["entities"]] == [pseudonym]  # the agent's name works
        added = structured(
            await client.call_tool(
                "add_observations",
                {"observations": [{"entityName": pseudonym, "contents": ["leads the audit"]}]},
            )
        )
        assert added["results"][0]["addedObservations"] == ["leads the audit"]


async def test_recall_ranks_facts_by_meaning_with_provenance(tmp_path: Path) -> None:
    async with connect(tmp_path, CHATX_AGENT_SHIELD="false") as client:
        people = [
            {
                "name": "Priya",
                "entityType": "person",
                "observations": ["prefers green tea over coffee", "is on call on Fridays"],
            },
            {
                "name": "Marco",
                "entityType": "person",
                "observations": ["owns the orders service", "allergic to peanuts"],
            },
        ]
        structured(await client.call_tool("create_entities", {"entities": people}))
        found = structured(
            await client.call_tool("recall", {"query": "what does Priya like to drink?", "k": 2})
        )
        first = found["results"][0]
        assert (first["entity"], first["text"]) == ("Priya", "prefers green tea over coffee")
        assert first["source"] == "agent" and first["entityType"] == "person"
        duty = structured(await client.call_tool("recall", {"query": "weekend duty", "k": 1}))
        assert duty["results"][0]["text"] == "is on call on Fridays"
