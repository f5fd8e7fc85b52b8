import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTask, TaskError } from '../../src/bench/task.js';
import { ROOT } from '../helpers/process.js';

const SHARED_TASKS = join(ROOT, '..', 'shared', 'rally-tasks');

describe('task files', () => {
  it("reads the reference report's task files as they are", { skip: !safeExists(SHARED_TASKS) && 'shared/rally-tasks is not beside the project' }, () => {
    const task = parseTask(readFileSync(join(SHARED_TASKS, 'create_and_list_ports.json'), 'utf8'));
    assert.equal(task.scenario, 'NeutronNetworks.create_and_list_ports');
    assert.deepEqual(task.runner, { type: 'constant', times: 1000, concurrency: 500, timeout: undefined });
    assert.deepEqual(task.contexts.users, { tenants: 500, usersPerTenant: 2 });
    assert.deepEqual(task.contexts.network, { startCidr: '10.2.0.0/16', networksPerTenant: 1 });
    assert.equal(task.args.ports_per_network, 10);
    assert.equal(task.sla.failureRateMax, 0);
    const subnets = parseTask(readFileSync(join(SHARED_TASKS, 'create_and_list_subnets.json'), 'utf8'));
    assert.deepEqual(subnets.contexts.network, { startCidr: '10.2.0.0/24', networksPerTenant: 1 });
    assert.equal(subnets.args.subnet_cidr_start, '1.1.0.0/16');
    // The end-to-end tasks are read as they are too; their counts are checked before any load.
    const big = parseTask(readFileSync(join(SHARED_TASKS, 'network_scalability_big_vpc.json'), 'utf8'));
    assert.equal(big.scenario, 'NeutronPerformancePlugin.neutron_network_scalability');
    assert.deepEqual([big.args.number_of_networks, big.args.instances_per_network, big.runner], [10, 10, { type: 'constant', times: 15, concurrency: 15, timeout: 50000 }]);
    const ports = parseTask(readFileSync(join(SHARED_TASKS, 'alcor_port_scalability.json'), 'utf8'));
    assert.equal(ports.args.ports_per_instance, 10);
    assert.deepEqual(ports.contexts.quotas, { nova: { instances: -1, cores: -1, ram: -1 } });
    const bad = JSON.parse(readFileSync(join(SHARED_TASKS, 'alcor_port_scalability.json'), 'utf8'));
    bad.scenario['AlcorPortPerformancePlugin.alcor_port_scalability'].instances_per_network = 0;
    assert.throws(() => parseTask(JSON.stringify(bad), 'bad'), /instances_per_network: must be an integer >= 1, got 0/);
  });

  it("reads Rally's own form", () => {
    const task = parseTask(JSON.stringify({
      'NeutronNetworks.create_and_update_ports': [{
        args: { port_update_args: { admin_state_up: false }, ports_per_network: 2 },
        runner: { type: 'constant_for_duration', duration: 5, concurrency: 3, timeout: 60 },
        context: { users: { tenants: 2, users_per_tenant: 1 }, quotas: { neutron: { port: -1 } } },
        sla: { failure_rate: { max: 10 } },
      }],
    }));
    assert.equal(task.scenario, 'NeutronNetworks.create_and_update_ports');
    assert.deepEqual(task.runner, { type: 'constant_for_duration', duration: 5, concurrency: 3, timeout: 60 });
    assert.deepEqual(task.contexts.users, { tenants: 2, usersPerTenant: 1 });
    assert.deepEqual(task.contexts.quotas, { neutron: { port: -1 } });
    assert.equal(task.sla.failureRateMax, 10);
  });

  it('names the problem in a bad file', () => {
    const bad: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[]', /must be a JSON object/],
      [JSON.stringify({ scenario: { 'Nova.boot': {} }, runner: { constant: {} } }), /unknown scenario "Nova\.boot"/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} } }), /runner: is required/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { serial: {} } }), /unknown runner "serial"/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: { times: 0 } } }), /runner\.constant\.times: must be an integer >= 1/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: { concurrency: 'lots' } } }), /concurrency: must be an integer/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: {} }, contexts: { images: {} } }), /contexts\.images: unknown context/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: {} }, contexts: { network: { start_cidr: 'ten' } } }), /start_cidr: must be an IPv4 cidr/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: {} }, sla: { max_seconds_per_iteration: 1 } }), /unknown SLA/],
      [JSON.stringify({ scenario: { 'NeutronNetworks.create_and_list_ports': {} }, runner: { constant: {} }, sla: { failure_rate: { max: 101 } } }), /percentage/],
      [JSON.stringify({ 'NeutronNetworks.create_and_list_ports': {} }), /must be a list with one workload/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseTask(text, 'f.json'), (err: Error) => err instanceof TaskError && message.test(err.message), text);
  });
});

function safeExists(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}
