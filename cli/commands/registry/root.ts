import { resolve } from 'node:path';
import { loadOrCreateRootKey } from '../../../lib/registry/sign-registry.ts';
import { ExitCode, UsageError } from '../../errors.ts';
import { readRootKey } from './keys.ts';
import { type RegistrySubcommand, required } from './values.ts';

/** `elg registry root`: the root public JWK every gateway is deployed with. */
export const root: RegistrySubcommand = {
  takes: ['root-key', 'create'],
  async run(values, rest, io) {
    if (rest.length > 0) throw new UsageError('registry root takes no arguments');
    const file = required(values['root-key'], 'registry root needs --root-key FILE');
    const key = values.create
      ? await loadOrCreateRootKey(resolve(io.cwd, file))
      : await readRootKey(file, io);
    io.out(`${JSON.stringify(key.publicJwk)}\n`);
    return ExitCode.ok;
  },
};
