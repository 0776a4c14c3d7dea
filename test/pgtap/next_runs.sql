-- pgTAP: jobs.next_runs against independent oracles (brute force over
-- generate_series, PostgreSQL's own local-time conversion) and the DST rules.
-- Run from the repository root: pg_prove test/pgtap/next_runs.sql
\ir lib/begin.sql

SELECT plan(48);

-- Signature and properties ----------------------------------------------------
SELECT has_function('jobs', 'next_runs', ARRAY['text', 'integer', 'timestamp with time zone', 'text']);
SELECT function_returns('jobs', 'next_runs', ARRAY['text', 'integer', 'timestamp with time zone', 'text'],
                        'setof timestamp with time zone');
SELECT volatility_is('jobs', 'next_runs', ARRAY['text', 'integer', 'timestamp with time zone', 'text'], 'stable');
SELECT is_strict('jobs', 'next_runs', ARRAY['text', 'integer', 'timestamp with time zone', 'text']);
SELECT is(pg_get_function_arguments('jobs.next_runs(text, integer, timestamptz, text)'::regprocedure),
          'schedule text, count integer DEFAULT 5, after timestamp with time zone DEFAULT now(), '
          'timezone text DEFAULT current_setting(''jobs.timezone''::text)',
          'next_runs has named arguments with the documented defaults');

-- Brute-force oracle: every minute (or second) of a period, filtered by the
-- schedule's meaning written as a plain SQL predicate on local time "l".
CREATE FUNCTION pg_temp.brute(step interval, first timestamptz, last timestamptz, zone text, predicate text,
                              n integer)
RETURNS SETOF timestamptz LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT t FROM generate_series($1, $2, $3) AS t, LATERAL (SELECT t AT TIME ZONE %L AS l) AS local
         WHERE %s ORDER BY t LIMIT $4', zone, predicate)
        USING first, last, step, n;
END
$$;

SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('*/15 9-17 * * 1-5', 500, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 minute', '2026-01-01 00:01+00', '2026-03-01', 'UTC',
         'extract(minute FROM l)::int % 15 = 0 AND extract(hour FROM l) BETWEEN 9 AND 17
          AND extract(isodow FROM l) BETWEEN 1 AND 5', 500) $$,
    'ranges, steps and weekdays match a brute-force search');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 0 L * *', 48, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-02 00:00+00', '2030-01-01', 'UTC',
         'extract(month FROM l + interval ''1 day'') <> extract(month FROM l)', 48) $$,
    'L is the last day of every month, leap years included');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 0 L-3 * *', 48, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-02 00:00+00', '2030-01-01', 'UTC',
         'extract(month FROM l + interval ''4 days'') <> extract(month FROM l)
          AND extract(month FROM l + interval ''3 days'') = extract(month FROM l)', 48) $$,
    'L-3 is three days before the last day');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 6 * * 5L', 48, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-01 06:30+00', '2030-01-01', 'UTC',
         'extract(isodow FROM l) = 5 AND extract(month FROM l + interval ''7 days'') <> extract(month FROM l)',
         48) $$,
    '5L is the last Friday of the month');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 12 * * 1#2,0#5', 60, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-01 12:00+00', '2030-01-01', 'UTC',
         '(extract(isodow FROM l) = 1 AND extract(day FROM l) BETWEEN 8 AND 14)
          OR (extract(isodow FROM l) = 7 AND extract(day FROM l) >= 29)', 60) $$,
    '1#2 is the second Monday, 0#5 the fifth Sunday');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 0 13 * 5', 100, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-02 00:00+00', '2030-01-01', 'UTC',
         'extract(day FROM l) = 13 OR extract(isodow FROM l) = 5', 100) $$,
    'both day fields restricted: either may match (Vixie cron)');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 0 */10 * 1', 30, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-02 00:00+00', '2035-01-01', 'UTC',
         'extract(day FROM l)::int % 10 = 1 AND extract(isodow FROM l) = 1', 30) $$,
    'a day-of-month beginning with * makes both day fields required');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 0 1-7 * mon', 100, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 day', '2026-01-02 00:00+00', '2030-01-01', 'UTC',
         'extract(day FROM l) <= 7 OR extract(isodow FROM l) = 1', 100) $$,
    '1-7 with mon means days 1-7 or any Monday (not the first Monday)');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('*/20 * 3 * * *', 400, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 second', '2026-01-01 00:00:01+00', '2026-01-05', 'UTC',
         'extract(second FROM l)::int % 20 = 0 AND extract(hour FROM l) = 3', 400) $$,
    'a leading seconds field');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('@every 7 minutes', 300, '2026-01-01 00:00+00', 'UTC') $$,
    $$ SELECT * FROM pg_temp.brute('1 minute', '2026-01-01 00:01+00', '2026-01-03', 'UTC',
         'extract(epoch FROM l)::bigint % 420 = 0', 300) $$,
    '@every counts from the Unix epoch');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('15 9 * * mon-fri', 200, '2026-01-01 00:00+00', 'Asia/Kolkata') $$,
    $$ SELECT * FROM pg_temp.brute('15 minutes', '2026-01-01 00:00+00', '2027-01-01', 'Asia/Kolkata',
         'extract(hour FROM l) = 9 AND extract(minute FROM l) = 15 AND extract(isodow FROM l) <= 5', 200) $$,
    'a zone with a constant half-hour offset');

-- Across a whole year of DST: an hour field of '*' follows real time, so a
-- brute-force search over UTC instants is the oracle.
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('*/30 * * * *', 17520, '2026-01-01 00:00+00', 'America/New_York') $$,
    $$ SELECT * FROM pg_temp.brute('30 minutes', '2026-01-01 00:30+00', '2027-01-01', 'America/New_York',
         'true', 17520) $$,
    'America/New_York: */30 * * * * fires every half hour of real time all year');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('*/30 * * * *', 17520, '2026-01-01 00:00+00', 'Australia/Lord_Howe') $$,
    $$ SELECT * FROM pg_temp.brute('30 minutes', '2026-01-01 00:30+00', '2027-01-01', 'Australia/Lord_Howe',
         'true', 17520) $$,
    'Australia/Lord_Howe (30-minute DST): */30 fires every half hour of real time all year');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('7 * * * *', 8760, '2026-01-01 00:00+00', 'Europe/Berlin') $$,
    $$ SELECT * FROM pg_temp.brute('1 hour', '2026-01-01 00:07+00', '2027-01-01', 'Europe/Berlin',
         'true', 8760) $$,
    'Europe/Berlin: 7 * * * * fires every hour of real time all year, both passes of the repeated hour');

-- A specific time of day: PostgreSQL's own conversion of each local date and
-- time is the oracle, except in the repeated hour (PostgreSQL picks the
-- second pass there; schedules fire in the first).
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 2 * * *', 365, '2026-01-01 00:00+00', 'America/New_York') $$,
    $$ SELECT (d + time '02:30') AT TIME ZONE 'America/New_York'
       FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') AS g, CAST(g AS date) AS d $$,
    'America/New_York: 02:30 daily is PostgreSQL''s 02:30 every day, the spring-forward day included');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 9 * * *', 365, '2026-01-01 00:00+00', 'Australia/Sydney') $$,
    $$ SELECT (d + time '09:00') AT TIME ZONE 'Australia/Sydney'
       FROM generate_series(date '2026-01-02', date '2027-01-01', interval '1 day') AS g, CAST(g AS date) AS d $$,
    'Australia/Sydney: 09:00 daily through both transitions');

-- The DST rules, case by case.
SELECT is(jobs.next_runs('30 2 * * *', 1, '2026-03-07 12:00+00', 'America/New_York'),
          timestamp '2026-03-08 02:30' AT TIME ZONE 'America/New_York',
          'spring forward: 02:30 fires at the instant PostgreSQL gives 02:30 (03:30 EDT)');
SELECT is(jobs.next_runs('30 2 * * *', 1, '2026-03-07 12:00+00', 'America/New_York'),
          '2026-03-08 03:30:00-04'::timestamptz, 'spring forward: that instant is 03:30 EDT');
SELECT is((SELECT count(*) FROM jobs.next_runs('30 2 * * *', 3, '2026-03-07 12:00+00', 'America/New_York') AS t
           WHERE t::date = date '2026-03-08'), 1::bigint, 'spring forward: it fires once that day');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 1 * * *', 2, '2026-10-31 12:00+00', 'America/New_York') $$,
    $$ VALUES ('2026-11-01 01:30:00-04'::timestamptz), ('2026-11-02 01:30:00-05') $$,
    'fall back: a specific hour fires once, in the first pass');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 * * * *', 3, '2026-11-01 05:00+00', 'America/New_York') $$,
    $$ VALUES ('2026-11-01 01:30:00-04'::timestamptz), ('2026-11-01 01:30:00-05'), ('2026-11-01 02:30:00-05') $$,
    'fall back: an hour field of * fires in both passes');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 2 * * *', 2, '2026-10-24 12:00+00', 'Europe/Berlin') $$,
    $$ VALUES ('2026-10-25 02:30:00+02'::timestamptz), ('2026-10-26 02:30:00+01') $$,
    'Europe/Berlin fall back: 02:30 fires once, in summer time');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('*/15 * * * *', 4, '2026-03-29 00:30+00', 'Europe/Berlin') $$,
    $$ VALUES ('2026-03-29 01:45:00+01'::timestamptz), ('2026-03-29 03:00:00+02'), ('2026-03-29 03:15:00+02'),
              ('2026-03-29 03:30:00+02') $$,
    'Europe/Berlin spring forward: */15 never fires twice at one instant');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('15 2 * * *', 2, '2026-10-03 00:00+00', 'Australia/Lord_Howe') $$,
    $$ VALUES ('2026-10-04 02:45:00+11'::timestamptz), ('2026-10-05 02:15:00+11') $$,
    'Australia/Lord_Howe: 02:15 in the 30-minute gap fires at 02:45 +11');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('45 1 * * *', 2, '2026-04-04 00:00+00', 'Australia/Lord_Howe') $$,
    $$ VALUES ('2026-04-05 01:45:00+11'::timestamptz), ('2026-04-06 01:45:00+10:30') $$,
    'Australia/Lord_Howe: 01:45 in the repeated half hour fires once');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('@every 1 hour', 3, '2026-11-01 04:30+00', 'America/New_York') $$,
    $$ VALUES ('2026-11-01 05:00:00+00'::timestamptz), ('2026-11-01 06:00:00+00'), ('2026-11-01 07:00:00+00') $$,
    '@every is real time, whatever the zone');

-- Arguments --------------------------------------------------------------------
SELECT is((SELECT count(*) FROM jobs.next_runs('* * * * *')), 5::bigint, 'count defaults to 5');
SELECT is((SELECT count(*) FROM jobs.next_runs('* * * * *', 0)), 0::bigint, 'count 0 gives no rows');
SELECT is((SELECT count(*) FROM jobs.next_runs('* * * * *', 1000000)), 1000000::bigint, 'count 1,000,000 is allowed');
SELECT throws_ok($$ SELECT * FROM jobs.next_runs('* * * * *', -1) $$, '22023', NULL, 'negative count is refused');
SELECT throws_ok($$ SELECT * FROM jobs.next_runs('* * * * *', 1000001) $$, '22023', NULL,
                 'count above 1,000,000 is refused');
SELECT is(jobs.next_runs('0 * * * *', 1, '2026-05-01 10:00+00', 'UTC'), '2026-05-01 11:00+00'::timestamptz,
          'after is exclusive');
SELECT is(jobs.next_runs('0 * * * *', 1, '2026-05-01 09:59:59.999999+00', 'UTC'), '2026-05-01 10:00+00'::timestamptz,
          'one microsecond before a fire time gives that fire time');
SELECT ok((SELECT min(t) > now() AND min(t) <= now() + interval '1 minute' FROM jobs.next_runs('* * * * *') AS t),
          'after defaults to now()');
SELECT is((SELECT count(*) FROM jobs.next_runs('@reboot', 10)), 0::bigint, '@reboot gives no rows');
SELECT is((SELECT count(*) FROM jobs.next_runs(NULL)), 0::bigint, 'NULL schedule gives no rows');
SELECT is((SELECT count(*) FROM jobs.next_runs('0 0 1 1 *', 5, '294275-01-01 00:00+00', 'UTC')), 1::bigint,
          'results stop at the end of PostgreSQL''s timestamp range');
SELECT is((SELECT count(*) FROM jobs.next_runs('* * * * *', 5, 'infinity', 'UTC')), 0::bigint,
          'nothing fires after infinity');

-- The jobs.timezone setting is the default zone.
SET LOCAL jobs.timezone = 'Asia/Tokyo';
SELECT is(jobs.next_runs('0 9 * * *', 1, '2026-05-01 00:00+00'), '2026-05-02 00:00+00'::timestamptz,
          'timezone defaults to jobs.timezone');
SELECT throws_ok($$ SET LOCAL jobs.timezone = 'Mars/Base' $$, '22023', NULL, 'jobs.timezone refuses unknown zones');
SELECT is(current_setting('jobs.timezone'), 'Asia/Tokyo', 'a refused value leaves jobs.timezone unchanged');
SELECT throws_ok($$ SELECT * FROM jobs.next_runs('@daily', 1, now(), 'Mars/Base') $$, '22023',
                 'invalid time zone "Mars/Base"', 'unknown time zone argument');

-- right/UTC counts leap seconds: refused as such where the tz database has it,
-- as unknown where it does not; 22023 either way.
CREATE FUNCTION pg_temp.leap_second_zone_error() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
BEGIN
    PERFORM jobs.next_runs('@daily', 1, now(), 'right/UTC');
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN state || ' ' || message || CASE WHEN detail = '' THEN '' ELSE ' / ' || detail END;
END
$$;
SELECT matches(pg_temp.leap_second_zone_error(),
               '^22023 invalid time zone "right/UTC"( / Time zones that count leap seconds are not supported\.)?$',
               'zones that count leap seconds are refused');

SELECT * FROM finish();
ROLLBACK;
