/**
 * Neutron's routes take a `.json` format suffix on every path (`/v2.0/networks.json`,
 * `/v2.0/ports/{id}.json`, `/v2.0/quotas/{project}.json`), which python-neutronclient and gophercloud
 * send: the suffix is dropped before routing, so every route serves both spellings.
 */
export function withoutFormatSuffix(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith('/v2.0/') || !path.endsWith('.json')) return url;
  return path.slice(0, -'.json'.length) + (q < 0 ? '' : url.slice(q));
}
