import { App } from 'aws-cdk-lib';

/**
 * Context the province apps always synthesize with, whatever cdk.json or `-c` say: CDK's
 * CloudFormation validation of every template turns from warnings into errors, so a template
 * CloudFormation would refuse fails the synth here, offline, instead of the deploy.
 */
export const APP_CONTEXT = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
} as const;

/** A CDK App for province stacks: no version reporting, the settings above on top of any context. */
export function provinceApp(options: { outdir?: string } = {}): App {
  return new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    analyticsReporting: false,
    postCliContext: APP_CONTEXT,
  });
}
