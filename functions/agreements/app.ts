import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { AgreementProposalSchema } from '../../contracts/agreement.ts';
import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { SignatureInvalidError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { readJson } from '../../lib/http/json.ts';
import { type Authenticator, callContext, limitBody, requireRole } from '../../lib/http/middleware.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';
import type { AgreementInbox, InboundContext } from './inbound.ts';
import type { AgreementService } from './service.ts';

export interface AgreementAppDeps {
  service: AgreementService;
  auth: Authenticator;
  maxBodyBytes: number;
}

type Ctx = Context<GatewayEnv>;

/** Operator routes: propose, list, read, sign, withdraw (role operator). */
export function agreementRoutes(deps: AgreementAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { service, auth } = deps;
  const body = limitBody(deps.maxBodyBytes);
  const operator = requireRole(auth, 'operator');

  app.post('/v1/agreements', audited(AuditAction.agreementPropose), body, operator, async (c) => {
    const proposal = await readJson(c, AgreementProposalSchema);
    const view = await service.propose(proposal, callContext(c));
    c.header('Location', `/v1/agreements/${view.id}`);
    return c.json(view, 201);
  });

  app.get('/v1/agreements', operator, async (c) => c.json({ items: await service.list() }));

  app.get('/v1/agreements/:id', operator, async (c) => c.json(await service.get(c.req.param('id'))));

  app.post('/v1/agreements/:id/signatures', audited(AuditAction.agreementSign), body, operator, async (c) => {
    const { view, changed } = await service.sign(c.req.param('id'), callContext(c));
    return c.json(view, changed ? 201 : 200);
  });

  app.post(
    '/v1/agreements/:id/withdrawal',
    audited(AuditAction.agreementWithdraw),
    body,
    operator,
    async (c) => {
      const { view, changed } = await service.withdraw(c.req.param('id'), callContext(c));
      return c.json(view, changed ? 201 : 200);
    },
  );

  return app;
}

export interface InteropAgreementAppDeps {
  inbox: AgreementInbox;
  signed: SignedCallDeps;
  maxBodyBytes: number;
}

/**
 * Deliveries from other gateways (signed calls): proposals, signatures, withdrawals. The signed
 * call layer proves the caller, audits every call (refusals included) and signs the receipt; a
 * stored delivery also leaves its own `agreement.receive` event. 201 when something new was
 * stored, 200 when it was all held already.
 */
export function interopAgreementRoutes(deps: InteropAgreementAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { inbox } = deps;
  const signed = [limitBody(deps.maxBodyBytes), signedCall(deps.signed)] as const;

  const { agreementProposal, agreementSignature, agreementWithdrawal } = InteropRoute;

  app.on(agreementProposal.method, agreementProposal.path, ...signed, async (c) => {
    const delivery = signedBody(c.get('rawBody'), agreementProposal.request);
    const receipt = await inbox.receiveProposal(delivery, inboundContext(c));
    return c.json(receipt, receipt.changed ? 201 : 200);
  });

  app.on(agreementSignature.method, agreementSignature.path, ...signed, async (c) => {
    const signature = signedBody(c.get('rawBody'), agreementSignature.request);
    const receipt = await inbox.receiveSignature(c.req.param('id'), signature, inboundContext(c));
    return c.json(receipt, receipt.changed ? 201 : 200);
  });

  app.on(agreementWithdrawal.method, agreementWithdrawal.path, ...signed, async (c) => {
    const withdrawal = signedBody(c.get('rawBody'), agreementWithdrawal.request);
    const receipt = await inbox.receiveWithdrawal(c.req.param('id'), withdrawal, inboundContext(c));
    return c.json(receipt, receipt.changed ? 201 : 200);
  });

  return app;
}

/** Marks an operator route so its refusals are audited, with the agreement they concern. */
function audited(action: AuditAction): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const id = c.req.param('id');
    c.set('audit', { action, ...(id ? { details: { agreementId: id } } : {}) });
    await next();
  };
}

function inboundContext(c: Ctx): InboundContext {
  const caller = c.get('caller');
  if (!caller) throw new SignatureInvalidError('the call is not signed by a gateway');
  return { caller: caller.gateway, traceId: c.get('traceId'), method: c.req.method, path: c.req.path };
}
