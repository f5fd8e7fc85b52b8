/**
 * Builds the Neutron API server without listening: the CLI listens, tests call it over a real
 * socket. Bodies are JSON whatever the content type says (as Neutron's WSGI layer treats them), and
 * every failure, Fastify's own included, leaves through the one fault map.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BadRequest, NotFound, RequestHeaderFieldsTooLarge, RequestUriTooLong } from '../core/errors.js';
import type { Domain } from '../domain/index.js';
import type { IdentityStrategy } from '../identity/identity.js';
import { contextFor } from '../identity/identity.js';
import { renderError } from './errors.js';
import { isOpenPath, metricsRoutes } from './metrics.js';
import type { StoreHealth } from './metrics.js';
import { serviceProviderRoutes } from './resources/service-providers.js';
import { portBindingRoutes } from './resources/port-bindings.js';
import { availabilityRoutes } from './resources/availability.js';
import { collectionRoutes } from './resources/collection-routes.js';
import { discoveryRoutes } from './resources/discovery.js';
import { quotaRoutes } from './resources/quotas.js';
import { autoAllocatedTopologyRoutes } from './resources/auto-allocated-topology.js';
import { floatingIpPoolRoutes } from './resources/floatingip-pools.js';
import { routerActionRoutes } from './resources/router-actions.js';
import { subnetpoolActionRoutes } from './resources/subnetpool-actions.js';
import './context.js';
import { withoutFormatSuffix } from './url.js';
import { DEFAULT_LIMITS, nestsDeeper } from './limits.js';
import type { RequestLimits } from './limits.js';

export interface AppDeps {
  readonly domain: Domain;
  readonly identity: IdentityStrategy;
  readonly logger?: Logger;
  /** What one request may be (./limits.ts); Neutron-sized defaults. */
  readonly limits?: Partial<RequestLimits>;
  /** Whether the store can write now, and how many times it could not: the /metrics gauges. */
  readonly storeHealth?: StoreHealth;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: limits.bodyBytes,
    http: { maxHeaderSize: limits.headerBytes },
    // Past Node's parser (a request line or headers too large, a malformed request): Neutron's
    // error body on the raw socket, as no route ever sees the request.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) { socket.destroy(); return; }
      const code = (err as { code?: string }).code;
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(renderError(status === 431
        ? new RequestHeaderFieldsTooLarge(`The request line and headers are larger than ${limits.headerBytes} bytes.`)
        : new BadRequest('Malformed HTTP request.')).body);
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\n`
        + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    logController: new LogController({ disableRequestLogging: true }),
    // Ids are checked by what owns them (an unknown one is a 404): the router never cuts a path
    // short, and the whole URL is held to limits.urlBytes below.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: limits.headerBytes },
    // What the router refuses before any hook runs (a malformed %-escape in the path): Neutron's body.
    frameworkErrors: (err, _req, reply) => {
      const e = err as { code?: string };
      const fault = e.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new RequestUriTooLong(`The URL is longer than ${limits.urlBytes} bytes.`)
        : new BadRequest(e.code === 'FST_ERR_BAD_URL' ? 'Malformed URL: it is not valid percent-encoded UTF-8.' : 'Malformed request.');
      const rendered = renderError(fault);
      const r = reply as unknown as { code(n: number): { send(b: unknown): void } };
      r.code(rendered.status).send(rendered.body);
    },
    return503OnClosing: false,
    rewriteUrl: (req) => withoutFormatSuffix(req.url ?? '/'),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (nestsDeeper(text, limits.bodyDepth)) {
      return done(new BadRequest(`Malformed request body: nested deeper than ${limits.bodyDepth} levels.`), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      // Neutron's answer to a body that is not JSON.
      done(new BadRequest('Body contains invalid data'), undefined);
    }
  });

  app.decorateRequest('ctx', undefined as never);
  app.addHook('onRequest', async (req) => {
    if (req.url.length > limits.urlBytes) throw new RequestUriTooLong(`The URL is longer than ${limits.urlBytes} bytes.`);
    // The versions document is how clients discover the API; Neutron serves it without a token.
    if (isOpenPath(req.method, req.url)) {
      req.ctx = contextFor('', [], undefined);
      return;
    }
    req.ctx = await deps.identity.authenticate(req.headers);
  });

  app.setErrorHandler((err, req, reply) => {
    const rendered = renderError(err);
    // A store that cannot write is logged once, when it happens (src/cli/server.ts), not per request.
    if (rendered.status >= 500 && rendered.body.NeutronError.type !== 'StoreUnavailable') req.log.error({ err, url: req.url, method: req.method }, 'request failed');
    if (rendered.status === 401 && deps.identity.challenge) void reply.header('www-authenticate', deps.identity.challenge);
    void reply.code(rendered.status).send(rendered.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const rendered = renderError(new NotFound('The resource could not be found.'));
    void reply.code(404).send(rendered.body);
  });

  metricsRoutes(app, deps.storeHealth);
  discoveryRoutes(app);
  for (const collection of deps.domain.collections.values()) collectionRoutes(app, collection, deps.domain.writes, limits.bulkItems);
  routerActionRoutes(app, deps.domain.writes, deps.domain.collections.get('routers')!);
  subnetpoolActionRoutes(app, deps.domain.writes);
  autoAllocatedTopologyRoutes(app, deps.domain.writes);
  quotaRoutes(app, deps.domain.quotas, deps.domain.writes);
  floatingIpPoolRoutes(app, deps.domain.collections.get('networks')!, deps.domain.collections.get('subnets')!);
  availabilityRoutes(app, deps.domain.availability);
  serviceProviderRoutes(app);
  portBindingRoutes(app, deps.domain);
  return app;
}
