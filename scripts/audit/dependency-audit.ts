// `npm run audit:prod`: `npm audit --omit=dev` as a gate: fails on any high or critical advisory in
// what ships (production dependencies). When the registry offers no audit endpoint (a mirror,
// or a registry answering 405, as the development machines' does), it says so loudly and, unless
// AUDIT_REQUIRED=true, does not fail: an audit that cannot run proves nothing either way, and
// CI runs where it can (the steering machines) set AUDIT_REQUIRED=true.
import { spawnSync } from 'node:child_process';

const BLOCKING = ['high', 'critical'] as const;

export type AuditVerdict =
  | { kind: 'clean'; counts: Record<string, number> }
  | { kind: 'vulnerable'; findings: string[] }
  | { kind: 'unavailable'; reason: string };

interface AuditReport {
  vulnerabilities?: Record<string, { name: string; severity: string; range?: string; via?: unknown[] }>;
  metadata?: { vulnerabilities?: Record<string, number> };
  message?: string;
  statusCode?: number;
  error?: { summary?: string };
}

/** Reads the output of `npm audit --json`. */
export function judgeAudit(json: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(json) as AuditReport;
  } catch {
    return { kind: 'unavailable', reason: 'npm audit printed no JSON report' };
  }
  const counts = report.metadata?.vulnerabilities;
  if (counts === undefined) {
    return { kind: 'unavailable', reason: report.message ?? report.error?.summary ?? 'no report from the registry' };
  }
  const findings = Object.values(report.vulnerabilities ?? {})
    .filter((vulnerability) => (BLOCKING as readonly string[]).includes(vulnerability.severity))
    .map((vulnerability) => `${vulnerability.severity}: ${vulnerability.name} ${vulnerability.range ?? ''}`.trim());
  return findings.length > 0 ? { kind: 'vulnerable', findings } : { kind: 'clean', counts };
}

function main(): void {
  const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const verdict = judgeAudit(audit.stdout);
  if (verdict.kind === 'clean') {
    const { total = 0, ...bySeverity } = verdict.counts;
    console.log(`npm audit --omit=dev: no high or critical advisory (${total} in all: ${JSON.stringify(bySeverity)})`);
    return;
  }
  if (verdict.kind === 'vulnerable') {
    console.error(`npm audit --omit=dev: ${verdict.findings.length} high or critical advisories:`);
    verdict.findings.forEach((finding) => console.error(`  ${finding}`));
    process.exit(1);
  }
  const required = process.env.AUDIT_REQUIRED === 'true';
  console.error(
    `npm audit --omit=dev: NOT RUN: the registry gave no audit report (${verdict.reason}). ` +
      (required ? 'AUDIT_REQUIRED=true: failing.' : 'Set AUDIT_REQUIRED=true where the audit endpoint is reachable.'),
  );
  process.exit(required ? 1 : 0);
}

if (require.main === module) {
  main();
}
