import { FinalCaptureCannotChange } from './final-capture-cannot-change.rule';

describe('FinalCaptureCannotChange', () => {
  it.each(['PENDING', 'FAILED'])('holds for a %s capture', (status) => {
    expect(new FinalCaptureCannotChange('o', status).isBroken()).toBe(false);
  });
  it.each(['CAPTURED', 'DECLINED', 'REFUNDED'])('is broken by a %s capture', (status) => {
    expect(new FinalCaptureCannotChange('o', status).isBroken()).toBe(true);
  });
});
