import type { BusinessRule } from '@platform/ddd';

export class OrderMustHaveAtLeastOneLine implements BusinessRule {
  readonly name = 'OrderMustHaveAtLeastOneLine';
  readonly message = 'An order must have at least one line.';

  constructor(private readonly lineCount: number) {}

  isBroken(): boolean {
    return this.lineCount < 1;
  }
}
