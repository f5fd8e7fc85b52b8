/**
 * The metadata proxy, as Neutron's: a server asks http://169.254.169.254 for its metadata, and Nova's
 * metadata API answers for the instance the proxy names, trusting the name because it is signed with
 * the secret both share (Nova's [neutron] metadata_proxy_shared_secret).
 *
 * In each network's DHCP namespace on the host, haproxy (Neutron's choice: small, and made for
 * this) listens on 169.254.169.254:80, stamps the request with the network it came from and the
 * server's address, and passes it over a unix socket (a file: reachable from any namespace) to the
 * agent. The agent knows which of its ports has that address on that network, so which instance and
 * project it is, and forwards the request to Nova with X-Instance-ID, X-Tenant-ID and the instance
 * id's HMAC-SHA256 signature, as Neutron's metadata agent does. A server can only ever be answered as
 * itself: the network header is haproxy's, and the address is the one its packets came from (the
 * bridge's anti-spoofing holds it to its own).
 */
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { request } from 'undici';
import type { AgentLog } from '../../host-agent.js';

export const METADATA_IP = '169.254.169.254';
/** The header haproxy sets to the network a request came in on (it removes any the server sent). */
export const NETWORK_HEADER = 'x-alcor-network-id';

export interface MetadataConfig {
  /** Nova's metadata API, e.g. http://127.0.0.1:8775 */
  readonly url: string;
  /** Shared with Nova ([neutron] metadata_proxy_shared_secret). */
  readonly secret: string;
}

export interface Instance {
  readonly instance: string;
  readonly project: string;
}

/** The server on a network with an address, if one of this host's ports is it. */
export type InstanceLookup = (network: string, ip: string) => Instance | undefined;

/** Nova's check of X-Instance-ID: HMAC-SHA256 of the id with the shared secret, in hex. */
export const instanceSignature = (secret: string, instanceId: string): string =>
  createHmac('sha256', secret).update(instanceId).digest('hex');

/** haproxy's configuration for one network's namespace. */
export function haproxyConfig(network: string, socket: string, pidFile: string): string {
  return `global
  maxconn 256
  pidfile ${pidFile}
  daemon
defaults
  mode http
  option http-server-close
  option forwardfor
  retries 3
  timeout http-request 30s
  timeout connect 30s
  timeout client 32s
  timeout server 32s
  timeout http-keep-alive 30s
listen metadata
  bind ${METADATA_IP}:80
  http-request del-header X-Forwarded-For
  http-request del-header ${NETWORK_HEADER}
  http-request set-header ${NETWORK_HEADER} ${network}
  server agent ${socket}
`;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export class MetadataServer {
  private server?: Server;

  constructor(
    readonly socket: string,
    private readonly config: MetadataConfig,
    private readonly lookup: InstanceLookup,
    private readonly log: AgentLog,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    // A socket file left by an agent that stopped: haproxy reconnects to the new one per request.
    rmSync(this.socket, { force: true });
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, 500, `metadata proxy: ${String(err)}`));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socket, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const network = single(req.headers[NETWORK_HEADER]);
    // haproxy's own X-Forwarded-For is the last one (it removed any the server sent, but be sure).
    const ip = single(req.headers['x-forwarded-for'])?.split(',').pop()?.trim();
    if (!network || !ip) return this.fail(res, 400, 'the request did not come through a network\'s metadata proxy');
    const found = this.lookup(network, ip);
    if (!found) return this.fail(res, 404, `no server on network ${network} has the address ${ip}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || k === 'host' || k === NETWORK_HEADER || k === 'content-length') continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    Object.assign(headers, {
      'x-forwarded-for': ip, 'x-instance-id': found.instance, 'x-tenant-id': found.project,
      'x-instance-id-signature': instanceSignature(this.config.secret, found.instance),
    });
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(new URL(req.url ?? '/', this.config.url), {
        method: (req.method ?? 'GET') as 'GET', headers, body: hasBody ? req : undefined, headersTimeout: 30_000, bodyTimeout: 30_000,
      });
    } catch (err) {
      this.log.warn({ network, ip, instance: found.instance, error: String(err) }, 'Nova\'s metadata API did not answer');
      return this.fail(res, 502, 'Nova\'s metadata API did not answer');
    }
    if (answer.statusCode === 403) {
      // Nova refused the signature: the secrets differ. Said once per request, as Neutron's agent does.
      this.log.warn({ network, ip, instance: found.instance }, 'Nova refused the metadata request\'s signature: check the shared secret');
    }
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    res.writeHead(answer.statusCode, out);
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  }

  private fail(res: ServerResponse, status: number, text: string): void {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`${text}\n`);
  }
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}
