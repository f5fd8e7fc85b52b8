/**
 * Run inside a lab's underlay namespace: accepts TCP on the underlay address and carries each
 * connection to the controller's southbound unix socket (the controller runs in the root namespace,
 * whose loopback the namespaces cannot reach; a unix socket is a file, reachable from any of them).
 * Usage: relay.js HOST:PORT /path/to/socket
 */
import { connect, createServer } from 'node:net';

const [listen, path] = process.argv.slice(2);
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
const server = createServer((c) => {
  const u = connect(path);
  c.pipe(u);
  u.pipe(c);
  const end = (): void => { c.destroy(); u.destroy(); };
  c.on('error', end).on('close', end);
  u.on('error', end).on('close', end);
});
server.listen(port, host, () => process.stdout.write('ready\n'));
