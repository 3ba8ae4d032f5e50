export { type BusinessRule, BusinessRuleViolation, checkRules } from './business-rule';
export { ResourceNotFound, StateConflict } from './application-errors';
