import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStackSettings, localStackSettings, reachableApiUrl, stackOutputs } from './localstack.ts';

/** A DescribeStacks answer in the shape of the CloudFormation query API reference. */
const DESCRIBE_STACKS = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>elg-310000</StackName>
        <StackStatus>UPDATE_COMPLETE</StackStatus>
        <Outputs>
          <member>
            <Description>The gateway&apos;s base URL: its baseUrl in the national trust registry</Description>
            <OutputKey>ApiUrl</OutputKey>
            <OutputValue>https://a1b2c3.execute-api.us-east-1.amazonaws.com/</OutputValue>
          </member>
          <member>
            <OutputKey>JwksUrl</OutputKey>
            <OutputValue>https://a1b2c3.execute-api.us-east-1.amazonaws.com/.well-known/jwks.json?a=1&amp;b=2</OutputValue>
          </member>
        </Outputs>
      </member>
    </Stacks>
  </DescribeStacksResult>
</DescribeStacksResponse>`;

describe('LocalStack suite helpers (no LocalStack needed)', () => {
  let settings: LocalStackSettings;
  let seen: { authorization?: string | undefined; body: string }[];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, body });
      if (body.includes('StackName=elg-330000')) {
        res
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(
            '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id elg-330000 does not exist</Message></Error></ErrorResponse>',
          );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' }).end(DESCRIBE_STACKS);
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    seen = [];
    settings = localStackSettings({
      LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}/`,
      AWS_REGION: 'eu-west-1',
    }) as LocalStackSettings;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is off without LOCALSTACK_ENDPOINT, and defaults to the README settings with it', () => {
    expect(localStackSettings({})).toBeUndefined();
    expect(settings.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(settings).toMatchObject({
      region: 'eu-west-1',
      provinces: ['310000', '330000'],
      bucket: 'elg-localstack',
    });
    expect(settings.rootKeyFile).toMatch(/\/\.elg\/localstack\/root\.jwk$/);
  });

  it("reads a stack's outputs with the CloudFormation client's signed DescribeStacks and names a stack that is not there", async () => {
    // Act
    const outputs = await stackOutputs(settings, 'elg-310000');
    const missing = stackOutputs(settings, 'elg-330000');

    // Assess
    expect(outputs).toEqual({
      ApiUrl: 'https://a1b2c3.execute-api.us-east-1.amazonaws.com/',
      JwksUrl: 'https://a1b2c3.execute-api.us-east-1.amazonaws.com/.well-known/jwks.json?a=1&b=2',
    });
    await expect(missing).rejects.toThrow('Stack with id elg-330000 does not exist; deploy it with cdklocal');
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({
      Action: 'DescribeStacks',
      Version: '2010-05-15',
      StackName: 'elg-310000',
    });
    expect(seen[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
  });

  it('maps an AWS-style execute-api URL to the address LocalStack serves it on', () => {
    expect(
      reachableApiUrl('https://a1b2c3.execute-api.us-east-1.amazonaws.com/', 'http://localhost:4566'),
    ).toBe('https://a1b2c3.execute-api.localhost.localstack.cloud:4566');
    expect(
      reachableApiUrl('https://a1b2c3.execute-api.localhost.localstack.cloud:4566/', 'http://localhost:4566'),
    ).toBe('https://a1b2c3.execute-api.localhost.localstack.cloud:4566');
  });
});
