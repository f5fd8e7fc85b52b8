/** Address sets as Neutron's netaddr IPSet uses them on pool prefixes: merge, subset, overlap, difference. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCidr, parseCidr } from '../../src/core/ip.js';
import { difference, ipSet, isSubset, mergeCidrs, overlaps, setCidrs } from '../../src/core/ip-set.js';

const set = (...cidrs: string[]) => ipSet(cidrs.map((c) => parseCidr(c)!));
const texts = (cidrs: ReturnType<typeof mergeCidrs>) => cidrs.map(formatCidr);

describe('ip sets', () => {
  it('merge overlapping and adjacent prefixes into the fewest CIDRs, as cidr_merge', () => {
    assert.deepEqual(texts(mergeCidrs(['10.140.0.0/16', '10.140.0.0/24', '10.141.0.0/24', '10.141.1.0/24'].map((c) => parseCidr(c)!))),
      ['10.140.0.0/16', '10.141.0.0/23']);
    assert.deepEqual(texts(mergeCidrs(['10.0.1.0/24', '10.0.2.0/24'].map((c) => parseCidr(c)!))), ['10.0.1.0/24', '10.0.2.0/24']);
    assert.deepEqual(texts(mergeCidrs(['2001:db8::/49', '2001:db8:0:8000::/49'].map((c) => parseCidr(c)!))), ['2001:db8::/48']);
  });

  it('subset, overlap and difference', () => {
    assert.ok(isSubset(set('10.0.0.0/23'), set('10.0.0.0/24', '10.0.1.0/24')));
    assert.ok(!isSubset(set('10.0.0.0/22'), set('10.0.0.0/24', '10.0.1.0/24')));
    assert.ok(overlaps(set('10.0.0.0/16'), set('10.0.200.0/30')));
    assert.ok(!overlaps(set('10.0.0.0/16'), set('10.1.0.0/16')));
    assert.deepEqual(texts(setCidrs(difference(set('10.0.0.0/22'), set('10.0.1.0/24')))), ['10.0.0.0/24', '10.0.2.0/23']);
    assert.deepEqual(setCidrs(difference(set('10.0.0.0/24'), set('10.0.0.0/16'))), []);
  });
});
