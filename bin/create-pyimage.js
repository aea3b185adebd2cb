#!/usr/bin/env node
// Thin shim: the CLI is compiled to dist/ (Node 20 cannot import .ts directly) and bundled into
// dist/bundle/ (npm run bundle): one file per command loads faster than a few hundred modules.
import { main } from '../dist/bundle/main.js';

// `create-pyimage --help | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exitCode = 1;
  },
);
