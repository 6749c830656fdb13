"""The Language Server Protocol face of ChatX (`chatx serve`)."""
