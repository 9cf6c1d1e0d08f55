import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, GatewayConfigSchema, readConfig } from '../../../lib/config.ts';
import { captureLogs } from '../../../lib/log/capture.ts';
import { withLambdaLogContext } from '../../../lib/log/lambda.ts';
import { type LogLevelName, logLevelFromEnv } from '../../../lib/log/levels.ts';
import { GatewayLogger, type LogFormat, log, outputFromEnv } from '../../../lib/log/logger.ts';
import { terminalLine } from '../../../lib/log/terminal.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A logger of its own, writing into `lines`. */
function logger(format: LogFormat, level: LogLevelName = 'info') {
  const lines: string[] = [];
  return {
    lines,
    logger: new GatewayLogger({ level, output: { format, sink: (line) => lines.push(line) } }),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the log level', () => {
  it('is silent under vitest, whatever ELG_LOG_LEVEL says', () => {
    expect(logLevelFromEnv({ VITEST: 'true' })).toBe('silent');
    expect(logLevelFromEnv({ VITEST: 'true', ELG_LOG_LEVEL: 'debug' })).toBe('silent');
  });

  it('is ELG_LOG_LEVEL in any case, else info', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ ELG_LOG_LEVEL: ' DEBUG ' })).toBe('debug');
    expect(logLevelFromEnv({ ELG_LOG_LEVEL: 'silent' })).toBe('silent');
    expect(logLevelFromEnv({ ELG_LOG_LEVEL: 'verbose' })).toBe('info');
  });

  it('is a setting a deployed function refuses when it is no level', () => {
    const schema = GatewayConfigSchema.shape.ELG_LOG_LEVEL;
    expect(schema.parse(undefined)).toBe('info');
    expect(schema.parse('WARN')).toBe('warn');
    expect(schema.safeParse('verbose').success).toBe(false);
    let error: unknown;
    try {
      readConfig({ ELG_LOG_LEVEL: 'verbose' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^ {2}ELG_LOG_LEVEL: .*"debug"/m);
  });

  it('drops lines below it, and every line at silent', () => {
    const info = logger('json');
    info.logger.debug('not shown');
    info.logger.info('shown');
    expect(info.lines.map((l) => JSON.parse(l).message)).toEqual(['shown']);

    const silent = logger('json', 'silent');
    silent.logger.error('not shown either');
    expect(silent.lines).toEqual([]);
  });

  it("keeps this test run quiet: the process's logger writes nothing", () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');

    log.error('an error no one reads', { traceId: TRACE });
    log.info('request', { traceId: TRACE });

    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  });
});

describe('the output', () => {
  it('is JSON on Lambda and through pipes, the terminal form only on a terminal', () => {
    expect(outputFromEnv({}, { isTTY: true }).format).toBe('terminal');
    expect(outputFromEnv({}, { isTTY: false }).format).toBe('json');
    expect(outputFromEnv({}, {}).format).toBe('json');
    expect(
      outputFromEnv({ AWS_LAMBDA_FUNCTION_NAME: 'elg-310000-verification' }, { isTTY: true }).format,
    ).toBe('json');
  });

  it('writes one compact JSON object a line, with Powertools keys and the given ones', () => {
    const { lines, logger: l } = logger('json');

    l.info('request', {
      method: 'POST',
      route: '/v1/verify',
      status: 200,
      traceId: TRACE,
      errorCode: undefined,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'INFO',
      message: 'request',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      service: 'elicense-gateway',
      sampling_rate: 0,
      method: 'POST',
      route: '/v1/verify',
      status: 200,
      traceId: TRACE,
    });
  });

  it('reads a request as one line on a terminal', () => {
    const { lines, logger: l } = logger('terminal');

    l.info('request', {
      method: 'POST',
      route: '/v1/verify',
      status: 200,
      latencyMs: 42,
      traceId: TRACE,
      province: '310000',
    });
    l.info('request', {
      method: 'POST',
      route: '/v1/interop/verify',
      status: 403,
      latencyMs: 7,
      traceId: TRACE,
      province: '310000',
      callerProvince: '330000',
      errorCode: 'AGREEMENT_REQUIRED',
    });
    l.error('unhandled error', { traceId: TRACE, error: new TypeError('a bug') });

    expect(lines[0]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d 310000 POST /v1/verify 200 42ms trace=${TRACE}$`),
    );
    expect(lines[1]).toMatch(
      / 310000 POST \/v1\/interop\/verify 403 7ms trace=\w+ caller=330000 error=AGREEMENT_REQUIRED$/,
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d ERROR unhandled error trace=${TRACE} error="TypeError: a bug \\(.+:\\d+\\)"$`,
      ),
    );
  });

  it('shows a request without a route or status as dashes rather than guessing', () => {
    expect(
      terminalLine({ timestamp: '2026-06-01T08:00:00Z', level: 'ERROR', message: 'request', method: 'GET' }),
    ).toMatch(/^\d\d:\d\d:\d\d ERROR - GET - - -ms trace=-$/);
  });
});

describe('on Lambda', () => {
  it('adds the invocation to every line the handler logs', async () => {
    const logs = captureLogs();
    try {
      const handler = withLambdaLogContext(async (_event: unknown, _context?: unknown) => {
        log.info('inside');
        return 'done';
      });
      const answer = await handler(
        {},
        {
          awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
          functionName: 'elg-310000-verification',
          functionVersion: '$LATEST',
          invokedFunctionArn: 'arn:aws-cn:lambda:cn-north-1:111122223333:function:elg-310000-verification',
          memoryLimitInMB: '1024',
        },
      );

      expect(answer).toBe('done');
      expect(logs.records()).toEqual([
        expect.objectContaining({
          message: 'inside',
          function_name: 'elg-310000-verification',
          function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
          cold_start: expect.any(Boolean),
        }),
      ]);
    } finally {
      logs.restore();
    }
  });

  it('leaves a handler called without a context alone', async () => {
    const handler = withLambdaLogContext(async () => 'done');
    expect(await handler()).toBe('done');
  });
});
