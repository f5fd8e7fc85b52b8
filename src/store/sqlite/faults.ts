/**
 * What of a failed write is the machine's fault rather than the request's: the data directory full,
 * read-only or failing. Such a write is answered 503 (the store cannot write now) and the operator
 * told; SQLite rolls the transaction back, so nothing is half-written, and writes resume by
 * themselves once the fault clears.
 */
const BY_CODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)$/, 'the data directory\'s disk is full'],
  [/^(SQLITE_READONLY.*|EROFS|EACCES|EPERM)$/, 'the data directory is read-only'],
  [/^(SQLITE_IOERR.*|EIO)$/, 'the data directory\'s disk failed a read or write'],
  [/^SQLITE_CANTOPEN$/, 'the database file cannot be opened'],
];

/** The reason a write failed because of the machine, or undefined when it is not such a fault. */
export function writeFault(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  // SQLITE_IOERR_WRITE is what a full disk gives when SQLite learns it while writing its WAL.
  if (code === 'SQLITE_IOERR_WRITE' && /disk|space/i.test(String((err as Error).message))) return BY_CODE[0][1];
  for (const [re, reason] of BY_CODE) if (re.test(code)) return reason;
  return undefined;
}
