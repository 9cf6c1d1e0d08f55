import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type Federation, type FederationOptions, startFederation } from '../../federation/federation.ts';

/** A federation running for the tests of one file, in its own temporary directory. */
export interface TestFederation {
  dir: string;
  federation: Federation;
  /** Stops the gateways and removes the directory. */
  stop(): Promise<void>;
}

/**
 * `provinces` on ephemeral ports against the test DynamoDB, with tables under `tablePrefix`, in a
 * fresh directory named from `dirPrefix`. A federation that fails to start leaves no directory.
 */
export async function startTestFederation(options: {
  dirPrefix: string;
  tablePrefix: string;
  provinces: NonNullable<FederationOptions['provinces']>;
}): Promise<TestFederation> {
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const federation = await startFederation({
      dir,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      ports: 'ephemeral',
      tablePrefix: options.tablePrefix,
      provinces: options.provinces,
    });
    return {
      dir,
      federation,
      async stop() {
        await federation.stop();
        await removeDir();
      },
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}
