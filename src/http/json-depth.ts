import { MAX_JSON_DEPTH } from '../shared/json-depth';
import { HttpError } from './http-error';

export function bodyTooDeep(): HttpError {
  return new HttpError(400, 'body_too_deep', `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
}
