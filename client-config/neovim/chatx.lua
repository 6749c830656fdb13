-- ChatX for Neovim: `require("chatx").setup({ ... })` from your init.lua
-- (put this file on your runtimepath as lua/chatx.lua).
-- Works on 0.7 (vim.lsp.start_client + buf_attach_client) and 0.8+ (vim.lsp.start).
local M = {}

M.defaults = {
  cmd = { "chatx", "serve" },
  -- Files that count as a workspace root; the first parent holding one is indexed.
  root_markers = { ".git", "chatx.toml", "pyproject.toml" },
  filetypes = nil, -- nil: every file type
  -- Passed as initializationOptions; keys as in docs/configuration.md.
  settings = { hoverResults = 3, hoverMinSimilarity = 0.3 },
}

local function root_of(bufnr, markers)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" then return nil end
  local dir = vim.fn.fnamemodify(path, ":p:h")
  for _, marker in ipairs(markers) do
    local found = vim.fn.finddir(marker, dir .. ";")
    if found ~= "" then return vim.fn.fnamemodify(found, ":p:h:h") end
    found = vim.fn.findfile(marker, dir .. ";")
    if found ~= "" then return vim.fn.fnamemodify(found, ":p:h") end
  end
  return dir
end

local clients = {} -- root -> client id (0.7 path)

local function attach(opts, bufnr)
  local root = root_of(bufnr, opts.root_markers)
  if root == nil then return end
  local config = {
    name = "chatx",
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    init_options = opts.settings,
    settings = { chatx = opts.settings },
  }
  if vim.lsp.start then -- 0.8+
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client(config)
    clients[root] = id
  end
  if id then vim.lsp.buf_attach_client(bufnr, id) end
end

function M.setup(user)
  local opts = vim.tbl_deep_extend("force", M.defaults, user or {})
  local group = vim.api.nvim_create_augroup("chatx", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = opts.filetypes or "*",
    callback = function(args)
      if vim.bo[args.buf].buftype == "" then attach(opts, args.buf) end
    end,
  })
end

return M
