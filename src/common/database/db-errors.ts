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

/** Deadlocks and lock-wait timeouts: the transaction did nothing and may simply run again. */
export function isRetryable(e: unknown): boolean {
  const d = driverError(e);
  return (
    d.code === 'ER_LOCK_DEADLOCK' || d.errno === 1213 || d.code === 'ER_LOCK_WAIT_TIMEOUT' || d.errno === 1205 || d.code === 'SQLITE_BUSY'
  );
}
