/**
 * Builds the Neutron API server without listening: the CLI listens, tests call it over a real
 * socket. Bodies are JSON whatever the content type says (as Neutron's WSGI layer treats them), and
 * every failure, Fastify's own included, leaves through the one fault map.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BadRequest, NotFound } from '../core/errors.js';
import type { Domain } from '../domain/index.js';
import type { IdentityStrategy } from '../identity/identity.js';
import { contextFor } from '../identity/identity.js';
import { renderError } from './errors.js';
import { isOpenPath, metricsRoutes } from './metrics.js';
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

export interface AppDeps {
  readonly domain: Domain;
  readonly identity: IdentityStrategy;
  readonly logger?: Logger;
  /** Largest accepted request body, bytes (413 above it). */
  readonly bodyLimit?: number;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: false,
    rewriteUrl: (req) => withoutFormatSuffix(req.url ?? '/'),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      // Neutron's answer to a body that is not JSON.
      done(new BadRequest('Body contains invalid data'), undefined);
    }
  });

  app.decorateRequest('ctx', undefined as never);
  app.addHook('onRequest', async (req) => {
    // The versions document is how clients discover the API; Neutron serves it without a token.
    if (isOpenPath(req.method, req.url)) {
      req.ctx = contextFor('', [], undefined);
      return;
    }
    req.ctx = await deps.identity.authenticate(req.headers);
  });

  app.setErrorHandler((err, req, reply) => {
    const rendered = renderError(err);
    if (rendered.status >= 500) req.log.error({ err, url: req.url, method: req.method }, 'request failed');
    if (rendered.status === 401 && deps.identity.challenge) void reply.header('www-authenticate', deps.identity.challenge);
    void reply.code(rendered.status).send(rendered.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const rendered = renderError(new NotFound('The resource could not be found.'));
    void reply.code(404).send(rendered.body);
  });

  metricsRoutes(app);
  discoveryRoutes(app);
  for (const collection of deps.domain.collections.values()) collectionRoutes(app, collection, deps.domain.writes);
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
