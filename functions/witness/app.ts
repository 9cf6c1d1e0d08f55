import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import {
  EvidenceIdSchema,
  EvidenceQuerySchema,
  WITNESS_ADD_CHECKPOINT,
  WITNESS_EVIDENCE_PATH,
  WITNESS_LOGS_PATH,
  WITNESS_TEXT_CONTENT_TYPE,
} from '../../contracts/witness.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { parseWith } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
import { queryOf } from '../../lib/http/query.ts';
import { type SignedCallDeps, signedCall } from '../../lib/http/signed-call.ts';
import type { Witness } from '../../lib/witness/witness.ts';
import type { WitnessViews } from './views.ts';

/**
 * The largest add-checkpoint body: the `old` line, at most 63 proof lines of 45 bytes, the blank
 * line and a checkpoint with room for its signature and many cosignatures (§19.2).
 */
export const WITNESS_MAX_BODY_BYTES = 16 * 1024;

export interface WitnessAppDeps {
  witness: Witness;
  signed: SignedCallDeps;
}

/**
 * `POST /v1/witness/add-checkpoint` (signed call, docs/protocol.md §19.2): C2SP tlog-witness. Any
 * province of the registry may submit; the answer is the cosignature/v1 line, or the refusal the
 * spec gives (the 409 body the size last cosigned, `text/x.tlog.size`). One event per call:
 * `witness.cosign` or `witness.refuse` with its reason.
 */
export function witnessRoutes(deps: WitnessAppDeps) {
  const app = new Hono<GatewayEnv>();
  const route = WITNESS_ADD_CHECKPOINT;
  app.on(route.method, route.path, limitBody(WITNESS_MAX_BODY_BYTES), signedCall(deps.signed), async (c) => {
    const outcome = await deps.witness.addCheckpoint({
      body: c.get('rawBody') ?? '',
      caller: c.get('caller')?.gateway ?? '',
      traceId: c.get('traceId'),
      method: c.req.method,
      path: c.req.path,
    });
    const sizes = {
      ...(outcome.origin === undefined ? {} : { origin: outcome.origin.slice(0, 80) }),
      ...(outcome.oldSize === undefined ? {} : { oldSize: outcome.oldSize }),
      ...(outcome.treeSize === undefined ? {} : { size: outcome.treeSize }),
    };
    if (!outcome.ok) {
      c.set('audit', {
        action: AuditAction.witnessRefuse,
        details: {
          reason: outcome.reason,
          ...sizes,
          ...(outcome.evidenceId === undefined ? {} : { evidenceId: outcome.evidenceId }),
        },
      });
      throw outcome.error;
    }
    c.set('audit', { action: AuditAction.witnessCosign, details: sizes });
    return c.body(outcome.line, 200, { 'content-type': WITNESS_TEXT_CONTENT_TYPE });
  });
  return app;
}

export interface WitnessAuditorDeps {
  views: WitnessViews;
  auth: Authenticator;
}

/**
 * The auditors' view of this witness (§19.3): the evidence it kept, newest first, one record, and
 * per log it witnesses what it last cosigned (auditor or operator). Each read is an `audit.query`.
 */
export function witnessAuditorRoutes(deps: WitnessAuditorDeps) {
  const app = new Hono<GatewayEnv>();
  const audit = audited(AuditAction.auditQuery);
  const { views } = deps;

  app.get(WITNESS_LOGS_PATH, audit, requireRole(deps.auth, 'auditor', 'operator'), async (c) => {
    parseWith(EvidenceQuerySchema.pick({}), queryOf(c), 'the query');
    return c.json(await views.logs(callContext(c)));
  });

  app.get(WITNESS_EVIDENCE_PATH, audit, requireRole(deps.auth, 'auditor'), async (c) => {
    const query = parseWith(EvidenceQuerySchema, queryOf(c), 'the query');
    return c.json(await views.evidenceList(query, callContext(c)));
  });

  app.get(`${WITNESS_EVIDENCE_PATH}/:evidenceId`, audit, requireRole(deps.auth, 'auditor'), async (c) => {
    parseWith(EvidenceQuerySchema.pick({}), queryOf(c), 'the query');
    const id = c.req.param('evidenceId');
    if (!EvidenceIdSchema.safeParse(id).success)
      throw new NotFoundError(`no evidence ${id.slice(0, 64)} here`);
    const record = await views.evidence(id, callContext(c));
    if (!record) throw new NotFoundError(`no evidence ${id} here`);
    return c.json(record);
  });

  return app;
}
