interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
}

const driverError = (e: unknown): DriverError => {
  const err = e as { driverError?: DriverError } & DriverError;
  return err?.driverError ?? err ?? {};
};

export function isUniqueViolation(e: unknown): boolean {
  const d = driverError(e);
  return (
    d.code === 'ER_DUP_ENTRY' || d.errno === 1062 || d.code === 'SQLITE_CONSTRAINT_UNIQUE' || d.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Errors after which the whole transaction did nothing and may simply run again: deadlocks (1213, which is also how
 * Galera reports a certification conflict, on any statement), lock-wait timeouts (1205), a busy SQLite file, and
 * TiDB's retryable conflicts: 8002 (SELECT FOR UPDATE write conflict), 8022 (commit failed, retry), 8028 (schema
 * changed during the transaction), 8005 and 9007 (write conflicts).
 */
const RETRYABLE_ERRNOS = new Set([1213, 1205, 8002, 8005, 8022, 8028, 9007]);

export function isRetryable(e: unknown): boolean {
  const d = driverError(e);
  return (
    RETRYABLE_ERRNOS.has(d.errno ?? 0) || d.code === 'ER_LOCK_DEADLOCK' || d.code === 'ER_LOCK_WAIT_TIMEOUT' || d.code === 'SQLITE_BUSY'
  );
}

/**
 * The database cannot be reached, refuses connections or does not answer in time, or it ended the request's statement or
 * connection itself: an operator's KILL QUERY (1317) or KILL (1927), max_statement_time (1969), an idle transaction ended
 * (4031), or a Galera node outside the primary component (cut off from the others, or still joining): it refuses every
 * statement with 1047 "WSREP has not yet prepared node for application use", and a COMMIT it could not replicate with
 * 1180 "Error while appending streaming replication fragment(provider status: Not connected to Primary Component)"
 * (ER_ERROR_DURING_COMMIT: nothing of it committed on that node). The transaction is gone with it; nothing
 * the request can change, so 503 and a retry (with the same Idempotency-Key), never a 500. A COMMIT that timed out may
 * still commit once the server wakes: the retry with the same key then answers what it did.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'POOL_CLOSED',
  // a statement the server did not answer within DB_STATEMENT_TIMEOUT_SEC, no pool connection within DB_ACQUIRE_TIMEOUT_SEC
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_ACQUIRE_TIMEOUT',
]);

const UNAVAILABLE_ERRNOS = new Set([1047, 1053, 1180, 2002, 2003, 2006, 2013, 1317, 1927, 1969, 4031]);

export function isDatabaseUnavailable(e: unknown): boolean {
  const d = driverError(e);
  return UNAVAILABLE_CODES.has(d.code ?? '') || UNAVAILABLE_ERRNOS.has(d.errno ?? 0);
}
