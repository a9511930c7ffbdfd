/**
 * SigV4 signing against the worked example of the Amazon S3 documentation ("Signature Calculations
 * for the Authorization Header", GET Object): the same request, keys and instant give the same
 * signature.
 */
import { describe, expect, it } from 'vitest';
import { signRequest, uriEncode } from '../../../artifacts/sigv4.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const AT = new Date('2013-05-24T00:00:00Z');

describe('SigV4', () => {
  it("signs the S3 documentation's GET Object example to its published signature", () => {
    const headers = signRequest(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        headers: { range: 'bytes=0-9' },
        body: '',
      },
      CREDENTIALS,
      'us-east-1',
      AT,
    );
    expect(headers).toMatchObject({
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    });
  });

  it("signs the documentation's GET Bucket (list objects) example, with its query", () => {
    const headers = signRequest(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'),
        headers: {},
        body: '',
      },
      CREDENTIALS,
      'us-east-1',
      AT,
    );
    expect(headers.authorization).toContain(
      'Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    );
  });

  it('encodes as RFC 3986 asks, keeping slashes in paths only', () => {
    expect(uriEncode("a b/c*d(e)!'", true)).toBe('a%20b/c%2Ad%28e%29%21%27');
    expect(uriEncode('a/b', false)).toBe('a%2Fb');
  });
});
