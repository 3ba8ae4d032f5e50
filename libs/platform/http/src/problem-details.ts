/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  /** Field errors of a validation failure: where (`in`), which field, and what is wrong. */
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface FieldError {
  in: 'body' | 'query' | 'path' | 'header';
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Problem type URIs are stable identifiers, relative to the API's own origin. */
export const problemType = (slug: string): string => `/problems/${slug}`;

export const kebabCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();

export const sentenceCase = (name: string): string => {
  const words = kebabCase(name).split('-');
  return [words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1), ...words.slice(1)].join(' ');
};
