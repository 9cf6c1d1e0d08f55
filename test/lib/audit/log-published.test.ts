import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { AuditLog } from '../../../lib/audit/log.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { LoggedEvents } from '../../../lib/store/logged-events.ts';
import { testGateway } from '../../support/gateway.ts';
import { cosign, issueLicenses, witnessedThenNewer } from './log-fixtures.ts';

/** The client with every request it sends to the log table counted by command and key. */
function counted(doc: DynamoDBDocumentClient, logTable: string) {
  const sent: string[] = [];
  const send = doc.send.bind(doc) as (command: unknown, options?: unknown) => Promise<unknown>;
  const wrapped = Object.create(doc) as DynamoDBDocumentClient;
  wrapped.send = (async (command: unknown, options?: unknown) => {
    if (command instanceof GetCommand && command.input.TableName === logTable)
      sent.push(`GetItem ${String(command.input.Key?.pk)}`);
    if (command instanceof BatchGetCommand) {
      const keys = command.input.RequestItems?.[logTable]?.Keys ?? [];
      if (keys.length > 0) sent.push(`BatchGetItem ${keys.map((k) => String(k.pk)).join(',')}`);
    }
    return send(command, options);
  }) as DynamoDBDocumentClient['send'];
  return { doc: wrapped, sent };
}

describe('the published log as proofs read it', () => {
  it('reads the head and the witnessed size in one request, and each witnessed checkpoint once', async () => {
    const t = await testGateway('310000');
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    const first = await witnessedThenNewer(t, store);
    const { doc, sent } = counted(t.storage.doc, t.storage.tables.log);
    const log = new AuditLog(
      new LogStore(doc, t.storage.tables.log),
      new LoggedEvents(doc, t.storage.tables.audit),
    );

    const a = await log.inclusionProof(first[0] as string);
    const reads = sent.splice(0);
    const b = await log.inclusionProof(first[1] as string);

    expect([a?.treeSize, a?.witnessed, b?.treeSize, b?.witnessed]).toEqual([3, true, 3, true]);
    expect(reads.filter((r) => r.startsWith('BatchGetItem HEAD'))).toEqual(['BatchGetItem HEAD,WITNESSED']);
    expect(reads.filter((r) => r === 'GetItem CHECKPOINT')).toHaveLength(1);
    expect(reads.filter((r) => r === 'GetItem HEAD' || r === 'GetItem WITNESSED')).toEqual([]);
    // The second proof: the pair again, the kept checkpoint, and the tiles the first one read.
    expect(sent).toEqual(['BatchGetItem HEAD,WITNESSED']);

    // A newer witnessed size is read once, then kept in its turn.
    const head = await store.head();
    await cosign(store, head?.treeSize ?? 0);
    sent.splice(0);
    const c = await log.inclusionProof(first[0] as string);
    // The head itself is witnessed: the pair is all it takes.
    expect([c?.treeSize, c?.witnessed]).toEqual([head?.treeSize, true]);
    expect(sent.filter((r) => r === 'GetItem CHECKPOINT')).toEqual([]);
    await issueLicenses(t, 1);
    await integrate(t.gateway);
    sent.splice(0);
    const d = await log.inclusionProof(first[0] as string);
    const e = await log.inclusionProof(first[1] as string);
    expect([d?.treeSize, d?.witnessed, e?.treeSize, e?.witnessed]).toEqual([
      head?.treeSize,
      true,
      head?.treeSize,
      true,
    ]);
    expect(sent.filter((r) => r === 'GetItem CHECKPOINT')).toHaveLength(1);
  });
});
