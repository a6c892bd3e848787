// Starts `hyp lsp` (the HypnoScript language server) for .hyp files and connects VS Code to it
// over stdio. Highlighting comes from the TextMate grammar in syntaxes/ until the server's
// semantic tokens arrive.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("hypnoscript.server");
  const server = {
    command: config.get("command", "hyp"),
    args: config.get("args", ["lsp"]),
  };
  client = new LanguageClient(
    "hypnoscript",
    "HypnoScript",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "hypnoscript" }],
      synchronize: {
        // mindLink'ed modules that change on disk change the diagnostics of their importers
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.hyp"),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
