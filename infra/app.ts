import { provinceApp } from './app-settings.ts';
import { bundleFunctions, DEFAULT_OUT_DIR } from './bundle.ts';
import { ContextError, readProvinceContext } from './context.ts';
import { ProvinceStack, stackName } from './province-stack.ts';

/**
 * The CDK app of one province (cdk.json): `npx cdk synth -c province=330000 -c registryUrl=...`.
 * The context is checked before anything is built; the functions are bundled once, then the
 * stack `elg-<province>` is synthesized. Synth needs no AWS credentials and makes no lookups.
 */
const app = provinceApp();
let context: ReturnType<typeof readProvinceContext>;
try {
  context = readProvinceContext((key) => app.node.tryGetContext(key));
} catch (err) {
  if (!(err instanceof ContextError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
await bundleFunctions({ outDir: DEFAULT_OUT_DIR });
new ProvinceStack(app, stackName(context.province), { context, assetDir: DEFAULT_OUT_DIR });
app.synth();
