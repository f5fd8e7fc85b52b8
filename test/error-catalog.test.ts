/** Every entry of the one error catalog is a Neutron fault: a 4xx/5xx code, a type, the body shape. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderError } from '../src/api/errors.js';
import * as errors from '../src/core/errors.js';

describe('error catalog', () => {
  it('every fault renders as {"NeutronError": {type, message, detail}} with its status', () => {
    const faults = Object.entries(errors).filter(([name]) => name !== 'NeutronError');
    assert.ok(faults.length > 40);
    for (const [name, Fault] of faults) {
      const fault = Fault as errors.Fault;
      assert.ok(fault.status >= 400 && fault.status < 600, name);
      assert.match(fault.type, /^[A-Z][A-Za-z0-9]+$/, name);
      const err = new fault(`message of ${name}`);
      assert.ok(err instanceof errors.NeutronError, name);
      const rendered = renderError(err);
      assert.equal(rendered.status, fault.status, name);
      assert.deepEqual(rendered.body, { NeutronError: { type: fault.type, message: `message of ${name}`, detail: '' } }, name);
    }
  });

  it('anything else is a 500 that does not leak its message, or a client error kept at its code', () => {
    assert.deepEqual(renderError(new Error('secret path /etc/x')).body.NeutronError.message.includes('secret'), false);
    assert.equal(renderError(new Error('x')).status, 500);
    assert.equal(renderError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }).status, 413);
    assert.equal(renderError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }).body.NeutronError.type, 'HTTPRequestEntityTooLarge');
  });
});
