import { describe, expect, it } from 'vitest';
import { signV4 } from './sigv4.ts';

describe('SigV4 for the LocalStack suite', () => {
  it("signs AWS's documented example request (IAM ListUsers) to the documented signature", () => {
    // Act
    const headers = signV4({
      method: 'GET',
      url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      service: 'iam',
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      now: new Date('2015-08-30T12:36:00Z'),
    });

    // Assess
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('adds the payload hash S3 requires and signs it', () => {
    // Act
    const headers = signV4({
      method: 'PUT',
      url: 'http://localhost:4566/elg-localstack/registry.jwt',
      body: '',
      service: 's3',
      region: 'us-east-1',
      accessKeyId: 'test',
      secretAccessKey: 'test',
      now: new Date('2026-01-01T00:00:00Z'),
    });

    // Assess
    expect(headers['x-amz-content-sha256']).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date,');
  });
});
