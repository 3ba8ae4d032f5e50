import { CaptureMustReferenceAnOrder } from './capture-must-reference-an-order.rule';

describe('CaptureMustReferenceAnOrder', () => {
  it.each(['01a20101-1ff1-7459-8023-368506bbe576', '01A20101-1FF1-7459-8023-368506BBE576'])('holds for %j', (id) => {
    expect(new CaptureMustReferenceAnOrder(id).isBroken()).toBe(false);
  });
  it.each(['', 'order-1', '01a20101-1ff1-7459-8023-368506bbe57', '01a20101-1ff1-7459-8023-368506bbe576 '])(
    'is broken by %j',
    (id) => {
      expect(new CaptureMustReferenceAnOrder(id).isBroken()).toBe(true);
    },
  );
});
