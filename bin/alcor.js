#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`alcor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
