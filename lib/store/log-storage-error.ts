/** The log's storage answered something that cannot be: a node a proof needs is missing. */
export class LogStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogStorageError';
  }
}
