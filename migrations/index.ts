import { CreateApiKeysAndOutbox1764158400000 } from './1764158400000-CreateApiKeysAndOutbox';

/** Every migration, in order. Tests load these classes; the app loads the compiled files. */
export const MIGRATIONS = [CreateApiKeysAndOutbox1764158400000];
