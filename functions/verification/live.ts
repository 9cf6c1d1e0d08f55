import { identifierKey, maskCode, type ParsedIdentifier } from '../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { SharedLicense } from '../../contracts/interop.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import type { License } from '../../contracts/license.ts';
import { ReviewPendingSchema } from '../../contracts/reviews.ts';
import { ReasonCode, type VerifyRequest } from '../../contracts/verify.ts';
import type { CallContext } from '../../lib/audit/events.ts';
import { AppError, DependencyUnavailableError } from '../../lib/errors.ts';
import {
  callRoute,
  type OutboundRecord,
  outboundOf,
  type PeerCallResult,
} from '../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../lib/interop/receipt.ts';
import { type CheckOutcome, failed, type LiveState, unavailable } from '../../lib/verify/checks.ts';
import type { IssuerCalls, LicenseLookup } from './ports.ts';

/*
 * The live half of a verification: what the issuing province holds of the presented license, read
 * from this province's own table or asked of the issuer by a signed call.
 */

/** The call, and the reference by which the issuer may quote the officer back to this province. */
export type AskedBy = CallContext & { officerRef: string };

/** What the live status is read with: this province's licenses, and its calls to the others. */
interface LiveDeps {
  province: string;
  licenses: LicenseLookup;
  peers: IssuerCalls;
}

/** What the issuing province holds of the presented version, or the status outcome when it cannot tell. */
export type Live = (
  | {
      found: true;
      state: LiveState;
      dates: { validFrom: string; validUntil?: string | undefined };
      license: License | SharedLicense;
      /** The holder hash the issuer stored, when this province is the issuer. */
      holderHash?: string;
    }
  | { found: false; outcome: CheckOutcome }
) & {
  receipt?: string;
  /** The call to the issuer, for the `verify` event to record (it writes no event of its own). */
  outbound?: OutboundRecord;
  /** The error code the issuer refused with, if it did. */
  calleeErrorCode?: string;
  /** The issuer holds the request for a person to decide (docs/protocol.md §18.2). */
  review?: { reviewId: string; expiresAt: string };
};

/** The issuer's answer to `POST /v1/interop/verify`, read against the interop contract. */
function issuerAnswer(issuer: string, identifier: ParsedIdentifier, answer: PeerCallResult): Live {
  if (answer.status === 202) {
    const pending = ReviewPendingSchema.safeParse(answer.body);
    if (!pending.success || !pending.data.reviewId.startsWith(`${issuer}-`)) {
      return {
        found: false,
        outcome: unavailable(
          ReasonCode.PEER_UNAVAILABLE,
          `${issuer} answered 202 outside the interop contract`,
        ),
      };
    }
    const { reviewId, expiresAt } = pending.data;
    return {
      found: false,
      outcome: unavailable(
        ReasonCode.REVIEW_PENDING,
        `${issuer} holds the request for a person to decide (review ${reviewId}, until ${expiresAt})`,
      ),
      review: { reviewId, expiresAt },
    };
  }
  if (answer.status !== 200) {
    const error = ErrorBodySchema.safeParse(answer.body);
    const code = error.success ? error.data.error.code : undefined;
    const message = error.success ? error.data.error.message : `answered ${answer.status}`;
    const refused = code ? { calleeErrorCode: code } : {};
    if (code === 'NOT_FOUND')
      return { found: false, outcome: failed(ReasonCode.NOT_FOUND, `${issuer}: ${message}`), ...refused };
    const reason =
      code === 'AGREEMENT_REQUIRED' || code === 'SCOPE_DENIED' || code === 'CIRCUIT_OPEN'
        ? ReasonCode[code]
        : ReasonCode.PEER_UNAVAILABLE;
    return { found: false, outcome: unavailable(reason, `${issuer} refused: ${message}`), ...refused };
  }
  const parsed = InteropRoute.verify.response.safeParse(answer.body);
  if (!parsed.success || parsed.data.identifier !== identifier.identifier) {
    return {
      found: false,
      outcome: unavailable(ReasonCode.PEER_UNAVAILABLE, `${issuer} answered outside the interop contract`),
    };
  }
  const live = parsed.data;
  return {
    found: true,
    state: {
      version: identifier.version,
      replacedBy: live.version !== identifier.version ? live.currentIdentifier : undefined,
      status: live.status,
    },
    dates: live,
    license: live.license,
  };
}

/** The live status of a presented license, from the province that issued it. */
export class LiveStatus {
  constructor(private readonly deps: LiveDeps) {}

  /** What the issuing province holds of the presented version: read here, or asked of it. */
  of(issuer: string, identifier: ParsedIdentifier, request: VerifyRequest, ctx: AskedBy): Promise<Live> {
    return issuer === this.deps.province
      ? this.ownLicense(identifier)
      : this.askIssuer(issuer, identifier, request, ctx);
  }

  /** The province's own license: status and current version read live from its table. */
  private async ownLicense(identifier: ParsedIdentifier): Promise<Live> {
    const found = await this.deps.licenses.get(identifierKey(identifier), identifier.version);
    if (!found)
      return {
        found: false,
        outcome: failed(ReasonCode.NOT_FOUND, 'the issuing province has no such license'),
      };
    const { version, head } = found;
    const lic = version.license;
    return {
      found: true,
      state: { version: lic.version, replacedBy: version.supersededBy || undefined, status: head.status },
      dates: lic,
      license: {
        ...lic,
        holder: { ...lic.holder, code: maskCode(lic.holder.code) },
        status: head.status,
        ...(head.statusChangedAt ? { statusChangedAt: head.statusChangedAt } : {}),
        ...(version.supersededBy ? { supersededBy: version.supersededBy } : {}),
      },
      holderHash: head.holderHash,
    };
  }

  /**
   * Another province's license: its live status comes from the issuing province by a signed call,
   * and its signed receipt travels with the verdict. When the issuer cannot or will not answer,
   * the verdict is `unverified`, never `valid`.
   */
  private async askIssuer(
    issuer: string,
    identifier: ParsedIdentifier,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Live> {
    let answer: PeerCallResult;
    try {
      answer = await callRoute(
        this.deps.peers,
        issuer,
        InteropRoute.verify,
        {},
        {
          identifier: identifier.identifier,
          matterCode: request.matterCode,
          useCause: request.useCause,
          ...(request.seal ? { seal: request.seal } : {}),
          ...(request.dataLevel === undefined ? {} : { dataLevel: request.dataLevel }),
          requester: {
            platform: (ctx.principal.name ?? `${this.deps.province} platform`).slice(0, 100),
            officerRef: ctx.officerRef,
          },
        },
        // The verification's `verify` event records the call: one event on this side, not two.
        { traceId: ctx.traceId, recordedBy: 'caller' },
      );
    } catch (err) {
      // This province's own failure (its signing key, say) is not the issuer's: the platform
      // gets 503 and may retry, instead of a verdict that blames the other province. The call's
      // record stays on the error, for the service to write before it answers 503.
      if (err instanceof DependencyUnavailableError || !(err instanceof AppError)) throw err;
      const code =
        err instanceof ReceiptInvalidError ? ReasonCode.RECEIPT_INVALID : ReasonCode.PEER_UNAVAILABLE;
      const outbound = outboundOf(err);
      return { found: false, outcome: unavailable(code, err.message), ...(outbound ? { outbound } : {}) };
    }
    return {
      ...issuerAnswer(issuer, identifier, answer),
      receipt: answer.receipt,
      ...(answer.outbound ? { outbound: answer.outbound } : {}),
    };
  }
}
