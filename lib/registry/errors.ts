import { selfNamed, type ValueOf } from '../../contracts/code-list.ts';

/** Why a registry document was refused. Stable: operators alert on these. */
export const RegistryErrorCode = selfNamed(
  'REGISTRY_SIGNATURE_INVALID',
  'REGISTRY_MALFORMED',
  'REGISTRY_UNAVAILABLE',
  'REGISTRY_STALE',
);
export type RegistryErrorCode = ValueOf<typeof RegistryErrorCode>;

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

/** Why a signature's key could not be found in the registry; the names match verification reason codes. */
export const KeyResolutionCode = selfNamed('UNKNOWN_ISSUER', 'UNKNOWN_KEY', 'WRONG_KEY_PURPOSE');
export type KeyResolutionCode = ValueOf<typeof KeyResolutionCode>;

export class KeyResolutionError extends Error {
  constructor(
    readonly code: KeyResolutionCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyResolutionError';
  }
}

/** `err` as a RegistryError: itself if it is one, else REGISTRY_UNAVAILABLE with `message` and its cause. */
export function asRegistryError(err: unknown, message: string): RegistryError {
  return err instanceof RegistryError
    ? err
    : new RegistryError('REGISTRY_UNAVAILABLE', `${message} (${messageOf(err)})`, { cause: err });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
