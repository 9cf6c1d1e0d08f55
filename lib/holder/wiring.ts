import type { ProvinceAdapters } from '../wiring/adapters.ts';
import { HolderService } from './service.ts';
import { witnessesOf } from './witnesses.ts';

/**
 * The holder's view of this province's licenses (docs/protocol.md §16) over the stores a
 * function's scope hands out: the licenses by holder (where it lists them), their uses, the log's proofs, and the
 * province's own `audit` key as the registry publishes it.
 */
export function holderService(a: ProvinceAdapters, use: { listsLicenses: boolean }): HolderService {
  const own = a.registry.currentKey(a.province, 'audit');
  if (!own) throw new Error(`the trust registry lists no audit key of ${a.province}`);
  return new HolderService({
    province: a.province,
    clock: a.clock,
    holderHashKey: a.holderHashKey,
    licenses: use.listsLicenses ? a.licenseHolders : a.licenseLookup,
    uses: a.licenseUses,
    log: a.log,
    auditKey: own,
    // Read from the registry on each page: a refreshed registry may name other witnesses or keys.
    witnesses: () => witnessesOf(a.registry, a.province),
  });
}
