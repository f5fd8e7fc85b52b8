/** The one fault map: every error leaves as {"NeutronError": {type, message, detail}}. */
import { NeutronError } from '../core/errors.js';

export interface RenderedError {
  readonly status: number;
  readonly body: { NeutronError: { type: string; message: string; detail: string } };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'HTTPBadRequest',
  401: 'HTTPUnauthorized',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  406: 'HTTPNotAcceptable',
  409: 'HTTPConflict',
  411: 'HTTPLengthRequired',
  412: 'HTTPPreconditionFailed',
  413: 'HTTPRequestEntityTooLarge',
  414: 'HTTPRequestURITooLong',
  415: 'HTTPUnsupportedMediaType',
  431: 'HTTPRequestHeaderFieldsTooLarge',
  503: 'HTTPServiceUnavailable',
};

/** Fastify's own client errors (body too large, bad content length...) keep their 4xx code. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is larger than the maximum allowed size.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Malformed request body: the body is empty.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported media type.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body size did not match Content-Length.',
};

export function renderError(err: unknown): RenderedError {
  if (err instanceof NeutronError) {
    return { status: err.status, body: { NeutronError: { type: err.type, message: err.message, detail: err.detail } } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  const message = status === 500
    ? 'Request Failed: internal server error while processing your request.'
    : (e.code && FASTIFY_MESSAGES[e.code]) || e.message || 'Bad request';
  return { status, body: { NeutronError: { type: TYPE_BY_STATUS[status] ?? 'HTTPInternalServerError', message, detail: '' } } };
}
