/** `leadgate check` lives in src/runtime so the console can run it on demand too. */
export { runCheck } from '../runtime/check';
