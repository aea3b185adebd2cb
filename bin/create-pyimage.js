#!/usr/bin/env node
// Thin shim: the CLI is compiled to dist/ (Node 20 cannot import .ts directly).
import { main } from '../dist/generators/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exitCode = 1;
  },
);
