/** SLUICE_ARTIFACTS and SLUICE_ARTIFACT_RETENTION: what they accept, and one-line refusals naming them. */
import { describe, expect, it } from 'vitest';
import { readOne as read, refusalOf as rejection } from './refusal.ts';

describe('artifact settings', () => {
  it('takes a folder or an S3 bucket with a prefix', () => {
    expect(read('SLUICE_ARTIFACTS', undefined)).toBeUndefined();
    expect(read('SLUICE_ARTIFACTS', '/var/lib/sluice/artifacts')).toEqual({
      kind: 'folder',
      path: '/var/lib/sluice/artifacts',
    });
    expect(read('SLUICE_ARTIFACTS', 'artifacts')).toEqual({ kind: 'folder', path: 'artifacts' });
    expect(read('SLUICE_ARTIFACTS', 's3://data-team/sluice/prod/')).toEqual({
      kind: 's3',
      bucket: 'data-team',
      prefix: 'sluice/prod/',
    });
    expect(read('SLUICE_ARTIFACTS', 's3://data-team')).toEqual({
      kind: 's3',
      bucket: 'data-team',
      prefix: '',
    });
  });

  it.each([
    's3://',
    's3://Data-Team/x',
    's3://a/x',
    's3://bucket/../x',
    'gs://bucket/x',
    'https://example.com/x',
  ])('refuses %j naming the variable', (value) => {
    expect(rejection('SLUICE_ARTIFACTS', value)).toBe(
      `SLUICE_ARTIFACTS: expected a folder, or s3://bucket/prefix with a bucket name of 3 to 63 lowercase letters, digits, dots and dashes, got "${value}"`,
    );
  });

  it('keeps artifacts 90 days by default, for a duration in days or hours, or forever', () => {
    expect(read('SLUICE_ARTIFACT_RETENTION', undefined)).toBe(90 * 86_400_000);
    expect(read('SLUICE_ARTIFACT_RETENTION', '30d')).toBe(30 * 86_400_000);
    expect(read('SLUICE_ARTIFACT_RETENTION', '12h')).toBe(12 * 3_600_000);
    expect(read('SLUICE_ARTIFACT_RETENTION', 'forever')).toBeNull();
    expect(read('SLUICE_ARTIFACT_RETENTION', 'Forever')).toBeNull();
  });

  it.each(['0d', 'never', '-1d', '30 days', '1w'])(
    'refuses the retention %j naming the variable',
    (value) => {
      expect(rejection('SLUICE_ARTIFACT_RETENTION', value)).toBe(
        `SLUICE_ARTIFACT_RETENTION: expected a duration above zero such as 30d or 12h, or "forever", got "${value}"`,
      );
    },
  );
});
