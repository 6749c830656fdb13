-- Headless Neovim (0.7: vim.lsp.start_client) end-to-end run against `chatx serve`.
-- Env: CHATX_WS (workspace), CHATX_SERVER (server command, space separated).
-- Exits 0 when every check passes; otherwise prints the failures and exits 1.

local ws = vim.env.CHATX_WS
local failures = {}
local indexed = 0

local function check(ok, what)
  if not ok then table.insert(failures, what) end
  io.stderr:write((ok and "ok   " or "FAIL ") .. what .. "\n")
end

local function finish()
  if #failures > 0 then
    io.stderr:write(#failures .. " check(s) failed\n")
    vim.cmd("cquit 1")
  end
  vim.cmd("qall!")
end

local cmd = vim.split(vim.env.CHATX_SERVER, " ", { trimempty = true })
local client_id = vim.lsp.start_client({
  name = "chatx",
  cmd = cmd,
  root_dir = ws,
  workspace_folders = { { uri = vim.uri_from_fname(ws), name = "ws" } },
  handlers = {
    ["$/progress"] = function(_, result)
      if result.value and result.value.kind == "end" then indexed = indexed + 1 end
    end,
  },
})
check(client_id ~= nil, "start_client")
local client = vim.lsp.get_client_by_id(client_id)

vim.cmd("edit " .. ws .. "/src/deploy.py")
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
check(vim.wait(90000, function() return indexed > 0 end, 100), "first index run ends")

local function request(method, params)
  local response = client.request_sync(method, params, 20000, buf)
  if response == nil or response.err then
    check(false, method .. " answered: " .. vim.inspect(response and response.err))
    return nil
  end
  return response.result
end

local function hover(bufnr, line, col)
  local result = client.request_sync("textDocument/hover", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = col },
  }, 20000, bufnr)
  return result and result.result and result.result.contents.value or ""
end

-- hover on `rollback` in code cites the runbook
local text = hover(buf, 0, 6)
check(text:find("[docs/runbook.md:11-15]", 1, true) ~= nil, "hover cites docs/runbook.md:11-15")
check(text:find("helm rollback orders", 1, true) ~= nil, "hover shows the runbook snippet")

-- completion: `/` at the start of a comment offers the slash commands
vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "# /" })
local last = vim.api.nvim_buf_line_count(buf) - 1
local completion = request("textDocument/completion", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = last, character = 3 },
})
local labels = {}
for _, item in ipairs((completion or {}).items or completion or {}) do table.insert(labels, item.label) end
local slash = { "/related", "/cite", "/redact", "/remember", "/ask", "/summarize", "/reply", "/plan-slice", "/tdd-loop", "/security-review" }
check(vim.deep_equal(labels, slash), "completion offers every slash command: " .. table.concat(labels, ","))
vim.api.nvim_buf_set_lines(buf, last, last + 1, false, {})

-- code action /related on the question line, edit applied to the buffer
local actions = request("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 4, character = 2 }, ["end"] = { line = 4, character = 39 } },
  context = { diagnostics = {} },
}) or {}
local related
for _, action in ipairs(actions) do
  if action.title:find("^/related") then related = action end
end
check(related ~= nil, "code action /related offered")
if related and not related.edit then related = request("codeAction/resolve", related) end
if related and related.edit then
  vim.lsp.util.apply_workspace_edit(related.edit, client.offset_encoding)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  check(lines[6] == '# Related (ChatX) — "how do we roll back a failed deploy?"', "inserted header: " .. tostring(lines[6]))
  check((lines[7] or ""):find("^# %- docs/runbook.md:11%-15") ~= nil, "inserted citation: " .. tostring(lines[7]))
else
  check(false, "code action carries an edit")
end

-- /related on a last line that starts with an emoji (2 UTF-16 units): the block goes after
-- the whole line, not before its last character
local emoji = "😀 how do we roll back a failed deploy?"
vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "", emoji })
local at = vim.api.nvim_buf_line_count(buf) - 1
actions = request("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = at, character = 2 }, ["end"] = { line = at, character = 2 } },
  context = { diagnostics = {} },
}) or {}
related = nil
for _, action in ipairs(actions) do
  if action.title:find("^/related") then related = action end
end
if related and not related.edit then related = request("codeAction/resolve", related) end
if related and related.edit then
  vim.lsp.util.apply_workspace_edit(related.edit, client.offset_encoding)
  local lines = vim.api.nvim_buf_get_lines(buf, at, at + 2, false)
  check(lines[1] == emoji, "emoji line kept whole: " .. tostring(lines[1]))
  check((lines[2] or ""):find("^# Related %(ChatX%)") ~= nil,
    "block after the emoji line: " .. tostring(lines[2]))
else
  check(false, "code action on the emoji line carries an edit")
end

-- save a new file: its text shows in hover; delete it: its citation disappears
local probe = ws .. "/probe.md"
local f = io.open(probe, "w"); f:write("flamingo\n"); f:close()
vim.cmd("edit " .. probe)
local pbuf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(pbuf, client_id)
local birds = ws .. "/docs/birds.md"
f = io.open(birds, "w"); f:write("# Birds\n\nThe flamingo migration starts in March.\n"); f:close()
check(vim.wait(10000, function() return hover(pbuf, 0, 3):find("docs/birds.md", 1, true) ~= nil end, 200),
  "saved file shows in hover")
os.remove(birds)
check(vim.wait(10000, function() return hover(pbuf, 0, 3):find("docs/birds.md", 1, true) == nil end, 200),
  "deleted file's citation disappears")

client.stop()
vim.wait(5000, function() return client.is_stopped() end, 100)
finish()
