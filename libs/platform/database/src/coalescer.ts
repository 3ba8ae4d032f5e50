/**
 * Runs one call of `run` for all the inputs submitted while its previous call was under way (up
 * to `maxInputs`), and gives each submitter its own output: N single-row statements sent at once
 * become one statement over N rows, N transactions one, with one round trip and one commit. A lone
 * input goes at once, so a quiet system waits for nothing. When a call fails, every input of it
 * gets the error (a caller that wants each input to fail alone settles them in `run` itself).
 */
export class Coalescer<Input, Output> {
  private readonly waiting: { input: Input; resolve(output: Output): void; reject(error: unknown): void }[] = [];
  private running = false;

  constructor(
    private readonly run: (inputs: Input[]) => Promise<Output[]>,
    private readonly maxInputs: number,
  ) {}

  submit(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.running) {
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxInputs);
        try {
          const outputs = await this.run(batch.map((entry) => entry.input));
          batch.forEach((entry, index) => entry.resolve(outputs[index]!));
        } catch (error) {
          batch.forEach((entry) => entry.reject(error));
        }
      }
    } finally {
      this.running = false;
    }
  }
}
