/**
 * The names a new bounded context goes by, all derived from the one its author types: the folder
 * under libs/, the alias, the PostgreSQL schema and role, the class names and the event prefix.
 */

/** A module or aggregate name as typed: lowercase words joined by single hyphens. */
export const KEBAB_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * PostgreSQL identifiers are at most 63 bytes, and the longest one built from the schema is the
 * module's role, `nest_modulith_<schema>`: 40 leaves room for it and keeps names readable.
 */
export const MAX_NAME_LENGTH = 40;

/**
 * Names a bounded context cannot take although they are well formed: the platform's folder, the
 * apps (the same word for a deployable and a module reads badly everywhere), words that name a
 * layer or a tool, and PostgreSQL schemas that exist in every database.
 */
export const RESERVED_NAMES = new Set([
  'platform',
  'api',
  'worker',
  'payment-gateway',
  'apps',
  'libs',
  'app',
  'lib',
  'src',
  'test',
  'tests',
  'docs',
  'deploy',
  'scripts',
  'prisma',
  'generated',
  'shared',
  'common',
  'core',
  'domain',
  'application',
  'infrastructure',
  'contracts',
  'modulith',
  'public',
  'information-schema',
]);

/** A noun in every spelling the templates need. */
export interface Noun {
  /** `gift-card`: file names, event names. */
  kebab: string;
  /** `GiftCard`: classes, the Prisma model. */
  pascal: string;
  /** `giftCard`: variables, the Prisma client's delegate. */
  camel: string;
  /** `gift card`: prose. */
  words: string;
  plural: { kebab: string; snake: string; pascal: string; camel: string; words: string };
}

export interface ModuleNames {
  /** `gift-cards`: the folder under libs/, the alias, the event prefix, the route prefix. */
  module: string;
  /** `gift_cards`: the PostgreSQL schema, and the folder under prisma/. */
  schema: string;
  /** `GiftCards`: prefix of the module's classes (`GiftCardsModule`, `GiftCardsFacade`). */
  pascal: string;
  /** `GIFT_CARDS`: prefix of the module's constants (`GIFT_CARDS_EVENT_SOURCE`). */
  constant: string;
  /** `gift cards`: prose. */
  words: string;
  /** `@modulith/gift-cards`. */
  alias: string;
  /** `nest_modulith_gift_cards`: the role the module's Prisma client runs as. */
  role: string;
  /** The sample aggregate. */
  aggregate: Noun;
}

const words = (kebab: string): string[] => kebab.split('-');
const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
const pascal = (kebab: string): string => words(kebab).map(capitalize).join('');

/** English plural of the last word, by the common rules; say `--aggregate` with another noun if it is wrong. */
function pluralOf(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

export function nounOf(kebab: string): Noun {
  const parts = words(kebab);
  const plural = [...parts.slice(0, -1), pluralOf(parts[parts.length - 1]!)].join('-');
  const name = pascal(kebab);
  const plurals = pascal(plural);
  return {
    kebab,
    pascal: name,
    camel: name.charAt(0).toLowerCase() + name.slice(1),
    words: parts.join(' '),
    plural: {
      kebab: plural,
      snake: plural.replaceAll('-', '_'),
      pascal: plurals,
      camel: plurals.charAt(0).toLowerCase() + plurals.slice(1),
      words: plural.replaceAll('-', ' '),
    },
  };
}

export function moduleNames(module: string, aggregate: string): ModuleNames {
  const schema = module.replaceAll('-', '_');
  return {
    module,
    schema,
    pascal: pascal(module),
    constant: schema.toUpperCase(),
    words: words(module).join(' '),
    alias: `@modulith/${module}`,
    role: `nest_modulith_${schema}`,
    aggregate: nounOf(aggregate),
  };
}

/** Why `name` cannot be a module's name judged on its own, or undefined when it can. */
export function problemWithModuleName(name: string | undefined): string | undefined {
  if (name === undefined || name === '') {
    return 'give the name of the module: npm run generate:module -- <name> (for example shipping, or gift-cards)';
  }
  if (!KEBAB_NAME.test(name)) {
    return `'${name}' is not a module name: use lowercase letters and digits, starting with a letter, words joined by single hyphens (${KEBAB_NAME.source}), for example shipping or gift-cards`;
  }
  if (name.length > MAX_NAME_LENGTH) {
    return `'${name}' is longer than ${MAX_NAME_LENGTH} characters (its database role, nest_modulith_<schema>, must fit PostgreSQL's 63)`;
  }
  if (RESERVED_NAMES.has(name)) {
    return `'${name}' is reserved (${[...RESERVED_NAMES].join(', ')}): pick the name of the business capability the module owns`;
  }
  if (name.startsWith('pg-')) {
    return `'${name}' would own the schema '${name.replaceAll('-', '_')}', and PostgreSQL reserves schema names starting with pg_`;
  }
  return undefined;
}

/** Why `name` cannot be the sample aggregate's name, or undefined when it can. */
export function problemWithAggregateName(name: string): string | undefined {
  if (!KEBAB_NAME.test(name)) {
    return `'${name}' is not an aggregate name: lowercase words joined by single hyphens, singular (for example shipment)`;
  }
  if (name.length > MAX_NAME_LENGTH) return `the aggregate name '${name}' is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}
