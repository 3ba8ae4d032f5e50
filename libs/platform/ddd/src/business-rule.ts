/**
 * A business rule with a name. The name is the rule's identity: it is the error a caller sees when
 * the rule is broken (mapped to a stable problem type at the HTTP edge) and the name of its test.
 */
export interface BusinessRule {
  readonly name: string;
  readonly message: string;
  isBroken(): boolean;
}

/** Thrown when a business rule is broken. Carries the rule so callers can react to which one. */
export class BusinessRuleViolation extends Error {
  readonly rule: string;

  constructor(rule: BusinessRule) {
    super(rule.message);
    this.name = 'BusinessRuleViolation';
    this.rule = rule.name;
  }
}

/** Throws a BusinessRuleViolation naming the first broken rule. */
export function checkRules(...rules: BusinessRule[]): void {
  for (const rule of rules) {
    if (rule.isBroken()) {
      throw new BusinessRuleViolation(rule);
    }
  }
}
