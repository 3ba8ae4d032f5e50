import type { BusinessRule } from '@platform/ddd';

export class ReservationMustHaveAtLeastOneLine implements BusinessRule {
  readonly name = 'ReservationMustHaveAtLeastOneLine';
  readonly message = 'A reservation needs at least one line.';

  constructor(private readonly lineCount: number) {}

  isBroken(): boolean {
    return this.lineCount < 1;
  }
}
