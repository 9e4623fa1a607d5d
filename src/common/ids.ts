import { v7 } from 'uuid';

/**
 * UUIDv7: time-ordered, so primary-key inserts append to the index instead of splitting pages; monotonic
 * within a process, so ids made in sequence (audit entries of one transaction) sort in that sequence.
 */
export const newId = (): string => v7();
