import { createPublicKey } from 'node:crypto';
import type { HolderWitnesses } from '../../contracts/holder.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { rawEd25519Of } from '../signing/public-jwk.ts';
import { witnessKeyId } from '../witness/cosignature.ts';
import type { WitnessKey } from '../witness/quorum.ts';

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

/** The witness keys the page carries, as the quorum check takes them; a key that is not Ed25519 is left out. */
export function holderWitnessKeys(witnesses: HolderWitnesses): (province: string) => WitnessKey[] {
  const keys = witnesses.keys.flatMap((k) => {
    try {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.jwk.x }, format: 'jwk' });
      const keyId = witnessKeyId(k.name, rawEd25519Of(k.jwk));
      return [{ province: k.province, name: k.name, keyId, key }];
    } catch {
      return [];
    }
  });
  return (province) =>
    keys
      .filter((k) => k.province === province && k.name === `elg/${province}/witness`)
      .map(({ province: _, ...k }) => k);
}
