import { BusinessRuleViolation, checkRules, type BusinessRule } from './business-rule';

const rule = (name: string, broken: boolean): BusinessRule => ({
  name,
  message: `${name} is broken`,
  isBroken: () => broken,
});

describe('checkRules', () => {
  it('passes when no rule is broken', () => {
    expect(() => checkRules(rule('A', false), rule('B', false))).not.toThrow();
  });

  it('throws a violation naming the first broken rule', () => {
    const check = () => checkRules(rule('A', false), rule('B', true), rule('C', true));
    expect(check).toThrow(BusinessRuleViolation);
    expect(check).toThrow('B is broken');
    try {
      check();
    } catch (error) {
      expect((error as BusinessRuleViolation).rule).toBe('B');
    }
  });
});
