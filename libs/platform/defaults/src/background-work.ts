/**
 * Whether this process runs the background work: outbox relays, inbox consumers and the modules'
 * timers (see runsMessaging). Injected by modules whose timers must run once per deployment role,
 * not in every process.
 */
export class BackgroundWork {
  constructor(readonly enabled: boolean) {}
}
