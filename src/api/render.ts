import type { ResourceDef } from '../model/resource.js';
import type { Doc } from '../domain/index.js';

/** The response form of a row: visible attributes only, narrowed to `fields` when asked. */
export function view(def: ResourceDef, doc: Doc, fields?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields) {
    for (const f of fields) if (Object.hasOwn(doc, f) && def.attributes[f]?.visible !== false) out[f] = doc[f];
    return out;
  }
  for (const key of Object.keys(doc)) {
    if (def.attributes[key]?.visible !== false) out[key] = doc[key];
  }
  return out;
}
