import type { HolderWitnesses } from '../../contracts/holder.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';

/**
 * Who witnesses `province`'s log and every published witness key of each of them (earlier
 * generations included), as the trust registry says now: what the holder page checks each
 * checkpoint's cosignatures against (docs/protocol.md §19.5).
 */
export function witnessesOf(
  registry: Pick<TrustRegistry, 'witnessPolicy' | 'province'>,
  province: string,
): HolderWitnesses {
  const policy = registry.witnessPolicy(province);
  const keys = (policy?.witnesses ?? []).flatMap((id) => {
    const witness = registry.province(id);
    if (witness?.status !== 'active' || witness.witnessName === undefined) return [];
    const name = witness.witnessName;
    return witness.jwks.keys.flatMap((jwk) => (jwk.kty === 'OKP' ? [{ province: id, name, jwk }] : []));
  });
  return { ...(policy ? { policy } : {}), keys };
}
