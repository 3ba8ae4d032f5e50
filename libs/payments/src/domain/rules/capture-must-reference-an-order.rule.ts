import type { BusinessRule } from '@platform/ddd';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CaptureMustReferenceAnOrder implements BusinessRule {
  readonly name = 'CaptureMustReferenceAnOrder';
  readonly message = 'A capture is for one order, named by its id (a UUID).';

  constructor(private readonly orderId: string) {}

  isBroken(): boolean {
    return !UUID.test(this.orderId);
  }
}
