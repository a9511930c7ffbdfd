/** Artifact paths: what a client may ask for stays inside the run's folder. */
import { describe, expect, it } from 'vitest';
import {
  ArtifactPathError,
  artifactContentType,
  checkArtifactPath,
  compiledPath,
  ownerPrefix,
} from '../../../core/artifacts/paths.ts';

describe('artifact paths', () => {
  it('accepts the paths runs write', () => {
    for (const path of [
      'run_results.json',
      'plan.txt',
      'compiled/marts.revenue/20261125T0000Z_20261126T0000Z.sql',
    ]) {
      expect(checkArtifactPath(path)).toBe(path);
    }
  });

  it.each([
    ['', 'is empty'],
    ['../other-run/run_results.json', 'has a ".." segment'],
    ['compiled/../../etc/passwd', 'has a ".." segment'],
    ['./run_results.json', 'has a "." segment'],
    ['/etc/passwd', 'is absolute'],
    ['compiled//x.sql', 'has an empty segment'],
    ['compiled\\..\\x.sql', 'may hold only'],
    ['run_results.json\u0000', 'may hold only'],
    ['%2e%2e/x', 'may hold only'],
    ['x'.repeat(1025), 'longer than 1024'],
  ])('refuses %j: it %s', (path, reason) => {
    expect(() => checkArtifactPath(path)).toThrow(ArtifactPathError);
    expect(() => checkArtifactPath(path)).toThrow(reason);
  });

  it('names folders and compiled files safely', () => {
    expect(ownerPrefix({ kind: 'run', id: 'sluice-run-prod-20261125T1000Z' })).toBe(
      'runs/sluice-run-prod-20261125T1000Z/',
    );
    expect(ownerPrefix({ kind: 'plan', id: '../x' })).toBe('plans/.._x/');
    expect(ownerPrefix({ kind: 'plan', id: '..' })).toBe('plans/_../');
    expect(compiledPath('"db"."t"', null)).toBe('compiled/_db_._t_/full.sql');
    expect(compiledPath('m', [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 30, 15)])).toBe(
      'compiled/m/20260101T0000Z_20260101T003015Z.sql',
    );
  });

  it('serves JSON, SQL and text with their content types', () => {
    expect(artifactContentType('run_results.json')).toBe('application/json');
    expect(artifactContentType('compiled/m/full.sql')).toBe('application/sql; charset=utf-8');
    expect(artifactContentType('plan.txt')).toBe('text/plain; charset=utf-8');
  });
});
