/** The documents clients read first: the versions list, the v2.0 resource links, the extensions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../core/errors.js';
import { RESOURCES } from '../../model/definitions.js';
import { baseUrl } from '../context.js';
import { EXTENSIONS, extensionView } from '../extensions.js';

export function discoveryRoutes(app: FastifyInstance): void {
  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));

  const resources = async (req: FastifyRequest) => ({
    resources: RESOURCES.map((r) => ({
      name: r.member,
      collection: r.collection,
      links: [{ href: `${baseUrl(req)}/v2.0/${r.path}`, rel: 'self' }],
    })),
  });
  app.get('/v2.0', resources);

  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(extensionView) }));
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const ext = EXTENSIONS.find((e) => e.alias === req.params.alias);
    if (!ext) throw new NotFound(`Extension with alias ${req.params.alias} does not exist`);
    return { extension: extensionView(ext) };
  });
}
