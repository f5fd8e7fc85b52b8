/**
 * `<collection>_links` as Neutron builds them: next and previous links keeping the caller's other
 * parameters, except towards an end a short page has reached.
 */

export interface Link {
  readonly rel: 'next' | 'previous';
  readonly href: string;
}

export function paginationLinks(
  baseUrl: string, rawQuery: string, docs: ReadonlyArray<{ readonly id: string }>, limit: number | undefined,
  pageReverse: boolean,
): Link[] {
  if (limit === undefined) return [];
  const short = docs.length < limit;
  const links: Link[] = [];
  // An empty page links back without a marker: from past the end, reversing starts at the end.
  const href = (marker: string | undefined, reverse: boolean): string => {
    const params = new URLSearchParams(rawQuery);
    params.delete('marker');
    params.delete('page_reverse');
    params.set('limit', String(limit));
    if (marker !== undefined) params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return `${baseUrl}?${params.toString()}`;
  };
  // Neutron's get_pagination_links: only a short page in the direction of travel ends the links.
  if (!(short && !pageReverse)) links.push({ rel: 'next', href: href(docs.at(-1)?.id, false) });
  if (!(short && pageReverse)) links.push({ rel: 'previous', href: href(docs[0]?.id, true) });
  return links;
}
