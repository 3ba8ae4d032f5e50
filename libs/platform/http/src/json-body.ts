import type { FastifyInstance } from 'fastify';
import secureJsonParse from 'secure-json-parse';

/** A request body that could not be read as JSON; `reason` tells clients which way it is wrong. */
export class MalformedBody extends Error {
  readonly statusCode = 400;

  constructor(
    readonly reason: 'malformed-json' | 'forbidden-property',
    detail: string,
  ) {
    super(detail);
    this.name = 'MalformedBody';
  }
}

const FORBIDDEN_PROPERTY = /forbidden (prototype|constructor) property/i;

/**
 * JSON is the only body the API reads: any other content type is 415. Bodies that would pollute
 * prototypes (`__proto__`, `constructor.prototype`) are refused, not silently stripped, so the
 * client learns its payload was not taken as sent.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new MalformedBody('malformed-json', 'The body is empty; send a JSON object.'), undefined);
      return;
    }
    try {
      done(null, secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const message = (error as Error).message;
      done(
        FORBIDDEN_PROPERTY.test(message)
          ? new MalformedBody(
              'forbidden-property',
              'The body contains __proto__ or constructor.prototype, which are not accepted.',
            )
          : new MalformedBody('malformed-json', `The body is not valid JSON: ${message}`),
        undefined,
      );
    }
  });
}
