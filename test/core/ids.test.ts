import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid, newId, seenId } from '../../src/core/ids.js';

describe('ids', () => {
  it('differ in their first 11 characters (Nova\'s tap name) even when made in one millisecond, and keep creation order', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    assert.ok(ids.every(isUuid));
    assert.equal(new Set(ids.map((id) => id.slice(0, 11))).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('go on past an id already stored that ran ahead of the clock (a restart after a burst)', () => {
    const ahead = newId();
    // Pretend a burst had run the counter 10 s ahead before a restart: the next id must be past it.
    const p = parseInt(ahead.slice(0, 8) + ahead.slice(9, 11), 16) + 10_000;
    const h = p.toString(16).padStart(10, '0');
    const stored = `${h.slice(0, 8)}-${h.slice(8, 10)}00-8000-8000-000000000000`;
    seenId(stored);
    assert.ok(newId() > stored);
    // A random id far beyond the clock is not this counter's: ignored.
    seenId('ffffffff-ff00-4000-8000-000000000000');
    assert.ok(newId() < 'ffffffff');
  });
});
