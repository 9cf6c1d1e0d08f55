import type { AuditedEvent, InclusionProof } from '../../contracts/audit-api.ts';
import { buildIdentifier, identifierKey, parseIdentifier } from '../../contracts/codes/index.ts';
import type {
  HolderLicense,
  HolderLicensesPage,
  HolderRef,
  HolderUse,
  HolderUsesPage,
  HolderWitnesses,
} from '../../contracts/holder.ts';
import type { PublicJwk } from '../../contracts/keys.ts';
import { holderHash, sameHolderHash } from '../audit/holder-hash.ts';
import type { Clock } from '../clock.ts';
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import type { LicenseRecord } from '../license/records.ts';
import { startOfDayCst, todayCst } from '../license/validity.ts';
import { idCeiling, idFloor } from '../store/audit-query.ts';

/** The stores a holder's questions are answered from, at the license's issuing province. */
export interface HolderDeps {
  province: string;
  clock: Clock;
  /** The province's key for holder hashes. */
  holderHashKey: Uint8Array;
  licenses: {
    get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
    /** Absent where the function answers only for uses (the issuer's side of the signed call). */
    byHolder?(
      holderHash: string,
      page: { limit: number; after?: string | undefined },
    ): Promise<{ records: { licenseKey: string; record: LicenseRecord }[]; next?: string }>;
  };
  uses: {
    uses(
      identifiers: readonly string[],
      range: { lo?: string; hi?: string },
      page: { limit: number; before?: string | undefined },
    ): Promise<{ items: AuditedEvent[]; next?: string }>;
  };
  log: {
    inclusionProofsAt(
      leaves: readonly { eventId: string; leafIndex?: number | undefined }[],
    ): Promise<Map<string, InclusionProof>>;
  };
  /** This province's `audit` public key, as the registry publishes it. */
  auditKey: PublicJwk;
  /** Who witnesses this province's log and their witness keys, from the registry (§19.5). */
  witnesses?: () => HolderWitnesses;
}

export interface UsesQuery {
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

const DEFAULT_LIMIT = 50;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Compared against when no license is found, so a miss costs what a mismatch does. */

/**
 * A holder's view at the issuing province (知情权, docs/protocol.md §16): their licenses, and every
 * use of one of them (a verification here, or another province's verification call answered here),
 * newest first, each with its audit path against the latest checkpoint. A use sealed by an
 * investigation is shown as sealed until its date. The holder is checked against the license's
 * own record in constant time; a license of another holder answers exactly as a license that does
 * not exist.
 */
export class HolderService {
  constructor(private readonly deps: HolderDeps) {}

  async licenses(holder: HolderRef, page: { cursor?: string | undefined; limit?: number | undefined }) {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    if (!this.deps.licenses.byHolder) throw new Error('this function does not list holders’ licenses');
    const found = await this.deps.licenses.byHolder(this.hashOf(holder), {
      limit: page.limit ?? DEFAULT_LIMIT,
      after,
    });
    const result: HolderLicensesPage = {
      items: found.records.map(({ record }) => this.summary(record)),
      ...(found.next ? { cursor: encodeCursor(found.next) } : {}),
    };
    return result;
  }

  async uses(identifier: string, holder: HolderRef, query: UsesQuery): Promise<HolderUsesPage> {
    const parsed = parseIdentifier(identifier);
    if (!parsed.ok) throw new NotFoundError('no such license of this holder');
    const record = await this.deps.licenses.get(identifierKey(parsed.value), parsed.value.version);
    // Computed and compared whether or not a license was found: the answer takes as long either way.
    const same = sameHolderHash(this.hashOf(holder), record?.head.holderHash);
    if (!record || !same) throw new NotFoundError('no such license of this holder');

    const versions = Array.from({ length: Number(record.head.currentVersion) }, (_, i) =>
      String(i + 1).padStart(3, '0'),
    );
    const identifiers = versions.map((version) => buildIdentifier({ ...parsed.value, version }));
    if (query.cursor !== undefined && !ULID.test(query.cursor)) {
      throw new InvalidRequestError('cursor is not a cursor of this list', [
        { path: ['cursor'], code: 'custom', message: 'not a cursor of this list' },
      ]);
    }
    const range = {
      ...(query.from ? { lo: idFloor(new Date(startOfDayCst(query.from) * 1000)) } : {}),
      ...(query.to ? { hi: idCeiling(new Date((startOfDayCst(query.to) + 86_400) * 1000 - 1)) } : {}),
    };
    const page = await this.deps.uses.uses(identifiers, range, {
      limit: query.limit ?? DEFAULT_LIMIT,
      before: query.cursor,
    });
    const today = todayCst(this.deps.clock.now());
    const open = page.items.filter((e) => !sealedUntil(e, today));
    const proofs = await this.deps.log.inclusionProofsAt(open);
    return {
      license: this.summary(record),
      items: page.items.map((e) => this.use(e, today, proofs.get(e.eventId))),
      ...(page.next ? { cursor: page.next } : {}),
      auditKey: this.deps.auditKey,
      ...(this.deps.witnesses ? { witnesses: this.deps.witnesses() } : {}),
    };
  }

  private use(e: AuditedEvent, today: string, proof: InclusionProof | undefined): HolderUse {
    const province = e.action === 'interop.verify' ? (e.peer ?? this.deps.province) : this.deps.province;
    const until = sealedUntil(e, today);
    if (until) return { time: e.time, province, sealed: true, until };
    const d = e.details;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const platform = text(d.requester) || text(d.platform) || `${province} platform`;
    return {
      time: e.time,
      province,
      platform,
      matterCode: text(d.matterCode),
      useCause: text(d.useCause),
      ...(typeof d.dataLevel === 'number' ? { dataLevel: d.dataLevel } : {}),
      outcome: e.outcome,
      identifier: e.identifier ?? '',
      eventId: e.eventId,
      ...(proof ? { proof: { ...proof } } : { pending: true as const }),
    };
  }

  private summary(record: LicenseRecord): HolderLicense {
    const l = record.version.license;
    return {
      identifier: record.head.currentIdentifier,
      province: l.province,
      typeCode: l.typeCode,
      typeName: l.typeName,
      number: l.number,
      issuer: { name: l.issuer.name },
      holderName: l.holder.name,
      version: record.head.currentVersion,
      status: record.head.status,
      validFrom: l.validFrom,
      ...(l.validUntil ? { validUntil: l.validUntil } : {}),
    };
  }

  private hashOf(holder: HolderRef): string {
    return holderHash(this.deps.holderHashKey, holder.typeCode, holder.code);
  }
}

/** The date a use is sealed until, while it still is (today CST at most that date). */
function sealedUntil(e: AuditedEvent, today: string): string | undefined {
  const until = e.details.sealUntil;
  return typeof until === 'string' && today <= until ? until : undefined;
}

function encodeCursor(licenseKey: string): string {
  return Buffer.from(licenseKey, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9A-Za-z.]{1,200}$/.test(key) || encodeCursor(key) !== cursor) {
    throw new InvalidRequestError('cursor is not a cursor of this list', [
      { path: ['cursor'], code: 'custom', message: 'not a cursor of this list' },
    ]);
  }
  return key;
}
