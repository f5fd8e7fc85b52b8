import type { ResourceDef } from '../model/resource.js';
import type { Doc } from '../domain/index.js';

/**
 * The response form of a row: visible attributes only, less those the caller's policy hides,
 * narrowed to `fields` when asked. `created` is a create's answer (some attributes show only there).
 */
export function view(def: ResourceDef, doc: Doc, fields?: readonly string[], hidden: readonly string[] = [], created = false): Record<string, unknown> {
  const shown = (key: string) => {
    const attr = def.attributes[key];
    return attr?.visible !== false && !hidden.includes(key) && (attr?.shownOn === undefined || attr.shownOn(doc, created));
  };
  const out: Record<string, unknown> = {};
  for (const key of fields ?? Object.keys(doc)) {
    if (Object.hasOwn(doc, key) && shown(key)) out[key] = doc[key];
  }
  return out;
}
