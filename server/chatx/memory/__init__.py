"""The workspace memory: a knowledge graph of people, preferences, goals and relationships with
provenance and time, shared by the editor, the agent and the CLI (ADR 0014)."""
