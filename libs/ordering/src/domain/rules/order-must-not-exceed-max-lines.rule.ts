import type { BusinessRule } from '@platform/ddd';
import { OrderLimits } from '../order-limits';

export class OrderMustNotExceedMaxLines implements BusinessRule {
  readonly name = 'OrderMustNotExceedMaxLines';
  readonly message = `An order can have at most ${OrderLimits.maxLines} lines.`;

  constructor(private readonly lineCount: number) {}

  isBroken(): boolean {
    return this.lineCount > OrderLimits.maxLines;
  }
}
