import { faultMatrix } from '../helpers/fault-matrix.ts';

faultMatrix('PGlite', {});
