import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TablesOutdatedError } from '../lib/store/dynamo.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { type Federation, startFederation } from './federation.ts';
import { guide } from './guide.ts';

/**
 * `npm start`: DynamoDB Local and the five provinces of DESIGN section 10. Data and keys persist
 * under `.elg/`; Ctrl-C stops everything.
 */
async function main() {
  const dir = resolve(process.env.ELG_HOME ?? '.elg');
  await mkdir(resolve(dir, 'dynamodb'), { recursive: true });
  const ddbPort = Number(process.env.ELG_DYNAMODB_PORT ?? 8030);
  process.stdout.write(`Starting DynamoDB Local on 127.0.0.1:${ddbPort} (data in ${dir}/dynamodb) ...\n`);
  const ddb = await startDynamoDbLocal({ port: ddbPort, dbPath: resolve(dir, 'dynamodb') });
  let federation: Federation | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the federation and DynamoDB Local ...\n');
    await federation?.stop();
    await ddb.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    federation = await startFederation({ dir, dynamodbEndpoint: ddb.endpoint, ports: 'fixed' });
  } catch (err) {
    process.stderr.write(
      `The federation could not start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    if (err instanceof TablesOutdatedError) {
      process.stderr.write(
        `The local data in ${dir} comes from an earlier version. Move it aside (mv ${dir} ${dir}.old) ` +
          'or remove it, then run npm start again.\n',
      );
    }
    await stop(1);
    return;
  }
  process.stdout.write(guide(federation));
}

void main();
