-- An e-commerce pipeline in plain SQL: one CSV file of a harness run into PostgreSQL.
--
-- ecommerce-pipeline.sh runs it once per file, in name order, as one transaction, with the file
-- on standard input:
--
--   psql "$PG_URL" -X -q -1 -v ON_ERROR_STOP=1 -v schema=harness \
--        -v source=ecommerce-000001.csv -v produced_at=2026-01-01T00:00:01.234Z \
--        -f ecommerce-pipeline.sql < ecommerce-000001.csv
--
-- Rows, dead letters and the file's checkpoint commit together: a file is taken whole or not at
-- all, and a file taken again adds nothing (the keys and the dead letters' (source, position) are
-- unique). The tables are `harness sink init`'s (docs/external-pipeline.md).

\if :{?future_tolerance}
\else
  \set future_tolerance '1 hour'
\endif
SET LOCAL search_path TO :"schema";
SET LOCAL TimeZone TO 'UTC';

-- 1. Load: each physical line as one text value, numbered from 1 (the header is line 1).
--    FORMAT csv with a delimiter and a quote byte that never occur (0x01, 0x02) keeps every line
--    whole and every other byte as it is (the text format would read backslashes as escapes).
--    ENCODING 'LATIN1' is the trick for invalid UTF-8: every byte is a LATIN1 character, so COPY
--    never refuses a line (declared UTF-8, one bad byte aborts the whole file), and
--    convert_to(line, 'LATIN1') gives back exactly the bytes of the file.
CREATE TEMP TABLE lines (n bigint GENERATED ALWAYS AS IDENTITY, line text) ON COMMIT DROP;
\copy lines (line) FROM pstdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02', ENCODING 'LATIN1')

-- The bytes as UTF-8 text, or NULL when they are not valid UTF-8.
CREATE FUNCTION pg_temp.utf8(bytes bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN convert_from(bytes, 'UTF8');
EXCEPTION WHEN character_not_in_repertoire THEN -- SQLSTATE 22021: invalid byte sequence
  RETURN NULL;
END $$;

-- The fields of one CSV line (RFC 4180: "a ""quoted"", field"), or NULL when its quoting is broken.
CREATE FUNCTION pg_temp.csv_fields(line text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE WHEN line ~ '^("([^"]|"")*"|[^",]*)(,("([^"]|"")*"|[^",]*))*$' THEN (
    SELECT array_agg(CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"') ELSE m[1] END ORDER BY i)
    FROM regexp_matches(',' || line, ',("(?:[^"]|"")*"|[^",]*)', 'g') WITH ORDINALITY AS t(m, i))
  END
$$;

-- An ISO 8601 time with its zone, or NULL (a bare cast would also take 'now' or 'epoch').
CREATE FUNCTION pg_temp.iso_time(value text) RETURNS timestamptz LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  IF value !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$' THEN RETURN NULL; END IF;
  RETURN value::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN -- e.g. month 13
  RETURN NULL;
END $$;

-- 2. Decode and split each record line, fields trimmed.
CREATE TEMP TABLE events ON COMMIT DROP AS
SELECT n, raw, utf8_line IS NULL AS not_utf8, f IS NULL AS broken_quoting, cardinality(f) AS columns,
       btrim(f[1]) AS event_id, btrim(f[2]) AS user_id, btrim(f[3]) AS product_id,
       btrim(f[4]) AS product_name, btrim(f[5]) AS product_category, btrim(f[6]) AS event_type,
       btrim(f[7]) AS price, btrim(f[8]) AS event_timestamp, pg_temp.iso_time(btrim(f[8])) AS event_time
FROM (SELECT n, raw, utf8_line, pg_temp.csv_fields(utf8_line) AS f
      FROM (SELECT n, convert_to(coalesce(line, ''), 'LATIN1') AS raw FROM lines WHERE n > 1) AS l,
           LATERAL pg_temp.utf8(raw) AS utf8_line) AS split;

-- 3. Validate, in seed 001's order: the first rule a record breaks is its reason. NULL: valid.
CREATE TEMP TABLE verdicts ON COMMIT DROP AS
SELECT *, CASE
  WHEN not_utf8 THEN
    ARRAY['invalid_utf8', 'the line is not valid UTF-8']
  WHEN broken_quoting THEN
    ARRAY['csv_parse', 'a quote opens and never closes, or a field mixes quoted and unquoted text']
  WHEN columns <> 8 THEN
    ARRAY['column_count', format('expected 8 columns, found %s', columns)]
  WHEN array_position(ARRAY[event_id, user_id, product_id, event_type, event_timestamp], '') IS NOT NULL THEN
    ARRAY['missing_field', format('%s is empty', (ARRAY['event_id', 'user_id', 'product_id', 'event_type', 'event_timestamp'])
      [array_position(ARRAY[event_id, user_id, product_id, event_type, event_timestamp], '')])]
  WHEN lower(event_type) NOT IN ('view', 'purchase') THEN
    ARRAY['invalid_event_type', format('event_type "%s" is neither view nor purchase', event_type)]
  WHEN price <> '' AND price !~ '^-?\d+(\.\d+)?$' THEN
    ARRAY['wrong_type', format('price "%s" is not a number', price)]
  WHEN price <> '' AND price::numeric < 0 THEN
    ARRAY['negative_price', format('price %s is negative', price)]
  WHEN event_time IS NULL THEN
    ARRAY['wrong_type', format('event_timestamp "%s" is not a timestamp', event_timestamp)]
  WHEN event_time > now() + :'future_tolerance'::interval THEN
    ARRAY['future_timestamp', format('event_timestamp %s is in the future', event_timestamp)]
  WHEN price <> '' AND lower(event_type) = 'view' THEN
    -- Dead-lettered, as `expect` says by default. With `expect: { malformed: { view_with_price: repair } }`
    -- drop this branch and land views with price NULL instead (seed 001 rule 6).
    ARRAY['view_with_price', format('a view carries price %s', price)]
END AS verdict
FROM events;

-- 4. Valid records land once: a duplicate's event_id is already there (or earlier in this file).
INSERT INTO user_events (event_id, user_id, product_id, product_name, product_category, event_type, price, event_timestamp, produced_at, ingested_at)
SELECT event_id, user_id, product_id, product_name, product_category, lower(event_type), nullif(price, '')::numeric(10,2), event_time,
       :'produced_at'::timestamptz, now()
FROM verdicts WHERE verdict IS NULL ORDER BY n
ON CONFLICT (event_id) DO NOTHING;

-- 5. Bad records go to the dead letters with the bytes as sent, the file and the physical line.
INSERT INTO dead_letters (dataset, source, position, record_index, reason, detail, raw, dead_lettered_at)
SELECT 'ecommerce', :'source', n, NULL, verdict[1], verdict[2], raw, now()
FROM verdicts WHERE verdict IS NOT NULL ORDER BY n
ON CONFLICT (dataset, source, position) DO NOTHING;

-- 6. The file is done: the wrapper skips it from now on.
INSERT INTO harness_checkpoints (dataset, source, position, done, updated_at)
SELECT 'ecommerce', :'source', coalesce(max(n), 0), true, now() FROM lines
ON CONFLICT (dataset, source) DO UPDATE SET position = EXCLUDED.position, done = true, updated_at = EXCLUDED.updated_at;
