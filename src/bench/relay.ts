/**
 * Carries each connection from where it listens to where it connects, either of them a TCP
 * HOST:PORT or a unix socket path (anything with a '/'). Labs run it inside their underlay namespace
 * towards the controller's southbound unix socket: the controller runs in the root namespace, whose
 * loopback the namespaces cannot reach, and a unix socket is a file, reachable from any of them. In
 * the root namespace it carries a unix socket to a loopback service (Nova's metadata API).
 * Usage: relay.js LISTEN TARGET
 */
import { connect, createServer } from 'node:net';
import type { NetConnectOpts } from 'node:net';

type Endpoint = { path: string } | { host: string; port: number };

function endpoint(spec: string): Endpoint {
  if (spec.includes('/')) return { path: spec };
  const at = spec.lastIndexOf(':');
  return { host: spec.slice(0, at), port: Number(spec.slice(at + 1)) };
}

const [listen, target] = process.argv.slice(2).map(endpoint);
const server = createServer((c) => {
  const u = connect(target as NetConnectOpts);
  c.pipe(u);
  u.pipe(c);
  const end = (): void => { c.destroy(); u.destroy(); };
  c.on('error', end).on('close', end);
  u.on('error', end).on('close', end);
});
const ready = (): void => { process.stdout.write('ready\n'); };
if ('path' in listen) server.listen(listen.path, ready);
else server.listen(listen.port, listen.host, ready);
