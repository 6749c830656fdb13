-- ChatX with nvim-lspconfig: registers a `chatx` server config, then enables it.
local configs = require("lspconfig.configs")
local util = require("lspconfig.util")

if not configs.chatx then
  configs.chatx = {
    default_config = {
      cmd = { "chatx", "serve" },
      filetypes = { "markdown", "text", "rst", "python", "lua", "javascript", "typescript", "go", "rust" },
      root_dir = util.root_pattern("chatx.toml", ".git", "pyproject.toml"),
      init_options = { hoverResults = 3 },
      settings = { chatx = { hoverResults = 3 } },
    },
    docs = { description = "ChatX: context from chats and docs (https://github.com/chatx)" },
  }
end

require("lspconfig").chatx.setup({})
