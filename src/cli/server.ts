/** Composition root for `alcor start`: store, domain, identity and API, and their orderly end. */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../api/app.js';
import type { Domain } from '../domain/index.js';
import { createDomain } from '../domain/index.js';
import type { IdentityStrategy } from '../identity/identity.js';
import { KeystoneAuth } from '../identity/keystone.js';
import { NoAuth } from '../identity/noauth.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { Config } from './config.js';
import type { ControlPlane } from './control-plane.js';
import { startControlPlane } from './control-plane.js';
import type { NovaNotify } from './nova-notify.js';
import { novaNotify } from './nova-notify.js';
import type { SouthboundOptions } from '../southbound/southbound.js';
import { goalStateRoutes } from './goalstate-routes.js';
import { WriterThread } from './writer-thread.js';

/** Capped by the kernel at net.core.somaxconn. */
const LISTEN_BACKLOG = 4096;

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The request thread's domain: reads here, `domain.writes.*` go to the writer thread. */
  readonly domain: Domain;
  readonly url: string;
  /** Every group commit that wrote change-log rows: its highest revision and when (epoch ms). */
  onCommitted(listener: (revision: number, at: number) => void): void;
  /** Goal-state compiler and southbound; `controlPlane.url` is what agents' --controller takes. */
  readonly controlPlane: ControlPlane;
  /** Nova's notifier, when [nova] credentials are configured (its counters). */
  readonly nova?: NovaNotify;
  /** The writer thread (tests end it as a crash would). */
  readonly writer: WriterThread;
  close(): Promise<void>;
}

/** Knobs tests turn that an operator has no reason to (a short delta history, say). */
export interface ServerExtras {
  readonly southbound?: Partial<SouthboundOptions>;
  /**
   * What a dead writer thread does (default: the process exits 70, so that its supervisor starts
   * it again; the store has every acknowledged write, and nothing else could be served).
   */
  readonly onFatal?: (err: Error) => void;
}

export async function startServer(config: Config, extras: ServerExtras = {}): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, base: { service: 'alcor' } });
  // The writer thread creates and migrates the database; this thread then only reads it.
  const writer = await WriterThread.start({
    dataDir: config.dataDir,
    synchronous: config.synchronous,
    domain: {
      baseMac: config.baseMac, vniRange: config.vniRange, physicalMtu: config.physicalMtu, agentDownTime: config.agentDownTime,
      networkVlanRanges: config.networkVlanRanges, flatNetworks: config.flatNetworks, defaultQuotas: config.defaultQuotas,
    },
  });
  const store = new SqliteStore({ dataDir: config.dataDir, synchronous: config.synchronous, readOnly: true });
  const domain = createDomain(store, config, writer.writes);
  const identity = identityFor(config);
  const storeHealth = { writable: true, faults: 0 };
  writer.onStoreFault((reason) => {
    // Once per change, not per refused write: an operator's alert, then its all-clear.
    if (reason !== null) {
      storeHealth.writable = false;
      storeHealth.faults++;
      logger.error({ dataDir: config.dataDir, reason }, `the store cannot write: ${reason}; writes are answered 503 until it can, reads are served`);
    } else {
      storeHealth.writable = true;
      logger.warn({ dataDir: config.dataDir }, 'the store writes again');
    }
  });
  writer.onDeath((err) => {
    logger.fatal({ err }, 'the writer thread died: stopping, so that a supervisor restarts the controller (every acknowledged write is in the store)');
    if (extras.onFatal) extras.onFatal(err);
    else logger.flush(() => process.exit(70));
  });
  const app = buildApp({ domain, identity, logger, limits: config.limits, storeHealth });
  const nova = novaNotify(config, logger);
  const controlPlane = await startControlPlane({
    dataDir: config.dataDir, listen: config.southboundListen, writes: writer.writes, logger,
    agentDownTime: config.agentDownTime, southbound: extras.southbound, observers: nova ? [nova.observer] : [],
  });
  writer.onCommitted((revision, at) => controlPlane.committed(revision, at));
  goalStateRoutes(app, controlPlane);
  // A load test opens hundreds of connections at once; Node's default backlog (511) drops SYNs past
  // it and each dropped client waits out TCP's 1 s + 2 s retransmit timers.
  await app.listen({ host: config.listen.host, port: config.listen.port, backlog: LISTEN_BACKLOG });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, dataDir: config.dataDir, auth: config.authStrategy }, 'alcor controller listening');
  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    domain,
    url,
    onCommitted: (listener) => writer.onCommitted(listener),
    controlPlane,
    nova,
    writer,
    close() {
      // In-flight requests finish (Fastify stops accepting and waits), agents are let go and their
      // last status writes land, then queued writes commit.
      closing ??= app.close()
        .then(() => controlPlane.southbound.drained())
        .then(() => controlPlane.close())
        .then(() => nova?.close())
        .then(() => identity.close?.())
        .then(() => writer.close())
        .then(() => store.close())
        .then(() => logger.info('alcor controller stopped'));
      return closing;
    },
  };
}

function identityFor(config: Config): IdentityStrategy {
  return config.authStrategy === 'keystone' ? new KeystoneAuth(config.keystone) : new NoAuth(config.noauthProject);
}
