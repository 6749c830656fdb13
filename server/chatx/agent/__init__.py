"""The agent face of ChatX: what coding agents reach over MCP (`chatx mcp`). `tools` does the
work with no MCP imports; `mcp_server` registers it with the official MCP SDK."""
