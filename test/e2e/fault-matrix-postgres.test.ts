import { faultMatrix } from '../helpers/fault-matrix.ts';
import { describeIfPostgres, PG_URL } from '../helpers/postgres.ts';

describeIfPostgres('PostgreSQL server', () => faultMatrix('the PostgreSQL server', { PG_URL }));
