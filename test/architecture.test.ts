/**
 * The layer table of DESIGN.md, enforced: every relative import in src/ must point at a layer the
 * importing layer may use. cli is the composition root and may import everything.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  model: ['core'],
  protocol: ['core'],
  store: ['model', 'core'],
  domain: ['store', 'model', 'core'],
  identity: ['model', 'core'],
  api: ['domain', 'identity', 'model', 'core'],
  goalstate: ['store', 'model', 'protocol', 'core'],
  southbound: ['goalstate', 'protocol', 'core'],
  agent: ['protocol', 'core'],
  notify: ['identity', 'store', 'model', 'core'],
  bench: ['core'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const layerOf = (file: string): string => relative(src, file).split('/')[0];

describe('architecture', () => {
  it('every layer imports only the layers below it', () => {
    const violations: string[] = [];
    for (const file of tsFiles(src)) {
      const layer = layerOf(file);
      if (layer === 'cli') continue;
      const allowed = MAY_IMPORT[layer];
      assert.ok(allowed, `src/${layer} is not a layer of DESIGN.md`);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
        const target = layerOf(resolve(dirname(file), m[1]));
        if (target !== layer && !allowed.includes(target)) {
          violations.push(`${relative(root, file)} imports ${target} (${m[1]})`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });
});
