import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { AuditAction } from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import {
  type HolderRef,
  HolderRefSchema,
  type HolderUsesPage,
  HolderUsesPageSchema,
  HolderUsesQuerySchema,
} from '../../contracts/holder.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { AuditSink } from '../../lib/audit/sink.ts';
import type { Clock } from '../../lib/clock.ts';
import { ForbiddenError, NotFoundError, PeerUnavailableError, RateLimitedError } from '../../lib/errors.ts';
import type { HolderService } from '../../lib/holder/service.ts';
import { witnessesOf } from '../../lib/holder/witnesses.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { parseWith } from '../../lib/http/json.ts';
import { type Authenticator, audited, requireRole } from '../../lib/http/middleware.ts';
import { queryOf } from '../../lib/http/query.ts';
import { callRoute, type PeerClient } from '../../lib/interop/peer-client.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';

export interface HolderAppDeps {
  province: string;
  auth: Authenticator;
  /** Answers for the licenses this province issued. */
  holders: HolderService;
  /** Signed calls to the issuing province of a license issued elsewhere. */
  peers: Pick<PeerClient, 'call'>;
  /** Where the issuer's `audit` key comes from, which its proofs are checked with. */
  registry: Pick<TrustRegistry, 'currentKey' | 'witnessPolicy' | 'province'>;
  auditStore: AuditSink;
  holderHashKey: Uint8Array;
  clock: Clock;
}

const LicensesQuerySchema = z.strictObject({
  cursor: z
    .string()
    .regex(/^[0-9A-Za-z_-]{1,300}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

type Ctx = Context<GatewayEnv>;

/**
 * The holder's routes at their home province (role `holder`, docs/protocol.md §16): their
 * licenses issued here, and the uses of any of their licenses, answered here for a license this
 * province issued and by the issuer through `POST /v1/interop/holder-uses` for one issued
 * elsewhere. The holder is who the token says, never a parameter; every answer is audited here.
 */
export function holderRoutes(deps: HolderAppDeps) {
  const app = new Hono<GatewayEnv>();
  const holderOnly = requireRole(deps.auth, 'holder');

  app.get('/v1/holder/licenses', audited(AuditAction.holderLicenses), holderOnly, async (c) => {
    const query = parseWith(LicensesQuerySchema, queryOf(c), 'the query');
    const holder = holderOf(c.get('principal'));
    const page = await deps.holders.licenses(holder, query);
    await record(c, AuditAction.holderLicenses, holder, { details: { licenses: page.items.length } });
    return c.json(page);
  });

  app.get('/v1/holder/uses', audited(AuditAction.holderUses), holderOnly, async (c) => {
    const query = parseWith(HolderUsesQuerySchema, queryOf(c), 'the query');
    const holder = holderOf(c.get('principal'));
    const parsed = parseIdentifier(query.identifier);
    const issuer = parsed.ok ? issuerProvinceOf(parsed.value) : undefined;
    c.set('audit', { action: AuditAction.holderUses, identifier: query.identifier });
    if (!issuer) throw new NotFoundError('no such license of this holder');
    const page =
      issuer === deps.province
        ? await deps.holders.uses(query.identifier, holder, query)
        : await askIssuer(c, issuer, holder, query);
    await record(c, AuditAction.holderUses, holder, {
      identifier: query.identifier,
      ...(issuer === deps.province ? {} : { peer: issuer }),
      details: { uses: page.items.length },
    });
    return c.json(page);
  });

  /** The issuer's answer for a license of another province, its key taken from the registry. */
  async function askIssuer(
    c: Ctx,
    issuer: string,
    holder: HolderRef,
    query: z.infer<typeof HolderUsesQuerySchema>,
  ): Promise<HolderUsesPage> {
    const answer = await callRoute(
      deps.peers,
      issuer,
      InteropRoute.holderUses,
      {},
      {
        identifier: query.identifier,
        holder,
        ...(query.from ? { from: query.from } : {}),
        ...(query.to ? { to: query.to } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      },
      { traceId: c.get('traceId') },
    );
    if (answer.status === 404) throw new NotFoundError('no such license of this holder');
    if (answer.status === 429)
      throw new RateLimitedError(`${issuer} is answering too many holder questions; try again later`);
    if (answer.status !== 200) throw new PeerUnavailableError(issuer, `${issuer} answered ${answer.status}`);
    const parsed = HolderUsesPageSchema.safeParse(answer.body);
    if (!parsed.success)
      throw new PeerUnavailableError(issuer, `${issuer} answered a page that is not a holder-uses page`);
    if (parsed.data.license.province !== issuer)
      throw new PeerUnavailableError(
        issuer,
        `${issuer} answered for a license of ${parsed.data.license.province}`,
      );
    // The key a holder's client checks the issuer's checkpoints with is the registry's, not the
    // issuer's word for it.
    const auditKey = deps.registry.currentKey(issuer, 'audit');
    if (!auditKey)
      throw new PeerUnavailableError(issuer, `the trust registry lists no audit key of ${issuer}`);
    // So are the witnesses and their keys the page checks the checkpoints' cosignatures with.
    return { ...parsed.data, auditKey, witnesses: witnessesOf(deps.registry, issuer) };
  }

  /** The answer's own event: written before the answer goes out, or the holder gets 503. */
  async function record(
    c: Ctx,
    action: AuditAction,
    holder: HolderRef,
    event: { identifier?: string; peer?: string; details: Record<string, number> },
  ) {
    // No actor: a holder's login name may well be their ID number; the holder hash says who it was.
    await deps.auditStore.write(
      auditEvent(
        {
          province: deps.province,
          traceId: c.get('traceId'),
          action,
          outcome: 'success',
          method: c.req.method,
          path: c.req.path,
          holderHash: holderHash(deps.holderHashKey, holder.typeCode, holder.code),
          ...(event.identifier ? { identifier: event.identifier } : {}),
          ...(event.peer ? { peer: event.peer } : {}),
          details: event.details,
        },
        deps.clock.now(),
      ),
    );
  }

  return app;
}

/** The holder a token names (claims `holderType`, `holderCode`), checked as a holder code is. */
function holderOf(principal: Principal | undefined): HolderRef {
  const parsed = HolderRefSchema.safeParse(principal?.holder);
  if (!parsed.success) throw new ForbiddenError('this token names no holder (claims holderType, holderCode)');
  return parsed.data;
}
