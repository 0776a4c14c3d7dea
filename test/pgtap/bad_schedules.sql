-- pgTAP: every schedule in test/corpus/bad_schedules.tsv is refused by both
-- jobs.next_runs and jobs.describe with SQLSTATE 22023, a message containing
-- the expected fragment, and a DETAIL whose caret sits under the offending
-- character. Run from the repository root (the corpus path is relative):
--   pg_prove test/pgtap/bad_schedules.sql
\ir lib/begin.sql

SET LOCAL client_encoding = 'UTF8';

-- The corpus is read line by line, verbatim: no backslash escapes (messages
-- quote bytes as "\xE2") and no quoting (schedules contain '"' and '#').
CREATE TEMP TABLE corpus_lines (line_number serial, line text) ON COMMIT DROP;
\copy corpus_lines (line) FROM 'test/corpus/bad_schedules.tsv' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')

CREATE TEMP TABLE bad_schedules ON COMMIT DROP AS
SELECT line_number,
       split_part(line, E'\t', 1) AS schedule,
       split_part(line, E'\t', 2) AS fragment,
       split_part(line, E'\t', 3)::int AS position
FROM corpus_lines
WHERE line IS NOT NULL AND line NOT LIKE '#%';

-- Runs one function on one schedule and returns TAP lines: SQLSTATE, message
-- fragment, and the exact DETAIL (position counted in characters, as
-- PostgreSQL does; the corpus gives bytes).
CREATE FUNCTION pg_temp.check_refused(function_name text, schedule text, fragment text, byte_position int)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    label text := format('%s(%s)', function_name, quote_literal(schedule));
    state text := 'none';
    message text := '';
    detail text := '';
    column_number int;
    expected_detail text := '';
BEGIN
    BEGIN
        IF function_name = 'next_runs' THEN
            PERFORM count(*) FROM jobs.next_runs(schedule, 1, '2026-01-01 00:00+00', 'UTC');
        ELSE
            PERFORM jobs.describe(schedule, 'UTC');
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    END;

    RETURN NEXT is(state, '22023', label || ' is refused with SQLSTATE 22023');

    RETURN NEXT ok(message LIKE 'invalid cron schedule: %' AND strpos(message, fragment) > 0,
                   label || ' says ' || quote_literal(fragment));
    IF NOT (message LIKE 'invalid cron schedule: %' AND strpos(message, fragment) > 0) THEN
        RETURN NEXT diag('message was: ' || message);
    END IF;

    IF byte_position >= 0 THEN
        column_number := length(convert_from(substring(convert_to(schedule, 'UTF8') FROM 1 FOR byte_position), 'UTF8'));
        expected_detail := format(E'at character %s of "%s":\n  %s\n  %s^',
                                  column_number + 1, schedule, schedule, repeat(' ', column_number));
    END IF;
    RETURN NEXT is(detail, expected_detail,
                   label || CASE WHEN byte_position >= 0 THEN ' points at byte ' || byte_position ELSE ' has no position' END);
END
$$;

SELECT plan(2 + 6 * (SELECT count(*)::int FROM bad_schedules));

SELECT has_function('jobs', 'next_runs', ARRAY['text', 'integer', 'timestamp with time zone', 'text']);
SELECT has_function('jobs', 'describe', ARRAY['text', 'text']);

SELECT pg_temp.check_refused(f, schedule, fragment, position)
FROM bad_schedules CROSS JOIN (VALUES (1, 'next_runs'), (2, 'describe')) AS functions(n, f)
ORDER BY line_number, n;

SELECT * FROM finish();
ROLLBACK;
