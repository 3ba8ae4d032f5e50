import { judgeAudit } from '../../scripts/audit/dependency-audit';

/** The CI gate's reading of `npm audit --json` (scripts/audit): what fails the build, what only warns. */
describe('dependency audit gate', () => {
  const report = (vulnerabilities: Record<string, { severity: string; range?: string }>) =>
    JSON.stringify({
      auditReportVersion: 2,
      vulnerabilities: Object.fromEntries(
        Object.entries(vulnerabilities).map(([name, found]) => [name, { name, via: [], ...found }]),
      ),
      metadata: { vulnerabilities: { info: 0, low: 1, moderate: 1, high: 0, critical: 0, total: 2 } },
    });

  it('passes a report with low and moderate advisories only', () => {
    expect(judgeAudit(report({ a: { severity: 'low' }, b: { severity: 'moderate' } })).kind).toBe('clean');
  });

  it('fails on each high or critical advisory, naming it', () => {
    expect(judgeAudit(report({ a: { severity: 'high', range: '<1.2.3' }, b: { severity: 'critical' } }))).toEqual({
      kind: 'vulnerable',
      findings: ['high: a <1.2.3', 'critical: b'],
    });
  });

  it('calls an error answer from the registry unavailable, not clean', () => {
    const answer = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '' },
    });
    expect(judgeAudit(answer)).toEqual({ kind: 'unavailable', reason: expect.stringContaining('405') });
    expect(judgeAudit('').kind).toBe('unavailable');
  });
});
