/**
 * `<collection>_links` as Neutron builds them: a next link while a page came back full, a previous
 * link once the caller has paged (a marker was given), both keeping the caller's other parameters.
 */

export interface Link {
  readonly rel: 'next' | 'previous';
  readonly href: string;
}

export function paginationLinks(
  baseUrl: string, rawQuery: string, docs: ReadonlyArray<{ readonly id: string }>, limit: number | undefined,
  markerGiven: boolean, pageReverse: boolean,
): Link[] {
  if (limit === undefined) return [];
  const full = docs.length >= limit;
  const links: Link[] = [];
  const href = (marker: string, reverse: boolean): string => {
    const params = new URLSearchParams(rawQuery);
    params.delete('marker');
    params.delete('page_reverse');
    params.set('limit', String(limit));
    params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return `${baseUrl}?${params.toString()}`;
  };
  const nextExists = pageReverse ? markerGiven : full;
  const previousExists = pageReverse ? full : markerGiven;
  if (nextExists && docs.length > 0) links.push({ rel: 'next', href: href(docs[docs.length - 1].id, false) });
  if (previousExists && docs.length > 0) links.push({ rel: 'previous', href: href(docs[0].id, true) });
  return links;
}
