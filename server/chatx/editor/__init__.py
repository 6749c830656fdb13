"""What the editor's features compute, with no server underneath: text around the cursor
(`text`), positions in the negotiated encoding (`positions`), edits as pure functions of a
document snapshot (`edits`), and how search hits read in hover and inserted blocks (`render`).
The `lsp` package calls these; they never call it."""
