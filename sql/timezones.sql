-- Schedules in local wall-clock time across DST transitions, with
-- PostgreSQL's tz database. Each block sets the session time zone to the
-- zone under test so results show local time and offset; "utc" repeats them
-- in UTC.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.runs(schedule text, zone text, after timestamptz, n integer DEFAULT 4)
RETURNS TABLE (local timestamptz, utc timestamp) LANGUAGE sql AS $$
    SELECT t, t AT TIME ZONE 'UTC' FROM jobs.next_runs(schedule, n, after, zone) AS t
$$;

-------------------------------------------------------------------------------
-- America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
SET timezone = 'America/New_York';

-- Spring forward: 02:30 does not exist on March 8. It fires once, at the
-- instant PostgreSQL gives 02:30 (converted with the offset before the jump).
SELECT * FROM pg_temp.runs('30 2 * * *', 'America/New_York', '2026-03-07 12:00+00', 3);
SELECT jobs.next_runs('30 2 * * *', 1, '2026-03-07 12:00+00', 'America/New_York')
       = (timestamp '2026-03-08 02:30' AT TIME ZONE 'America/New_York') AS same_as_postgresql;
SELECT * FROM pg_temp.runs('0 2 * * *', 'America/New_York', '2026-03-07 12:00+00', 2);
-- */15 across the gap: local 02:00-02:45 coincide with 03:00-03:45 EDT; each instant fires once.
SELECT * FROM pg_temp.runs('*/15 * * * *', 'America/New_York', '2026-03-08 06:30+00', 6);
-- Hour field '*' in the gap.
SELECT * FROM pg_temp.runs('30 * * * *', 'America/New_York', '2026-03-08 05:00+00', 4);

-- Fall back: 01:00-01:59 happens twice on November 1.
-- A specific hour fires once, in the first pass (EDT).
SELECT * FROM pg_temp.runs('30 1 * * *', 'America/New_York', '2026-10-31 12:00+00', 3);
SELECT * FROM pg_temp.runs('*/20 1 * * *', 'America/New_York', '2026-11-01 04:00+00', 4);
SELECT * FROM pg_temp.runs('0 1-2 * * *', 'America/New_York', '2026-11-01 04:00+00', 3);
-- An hour field beginning with '*' follows real time: both passes.
SELECT * FROM pg_temp.runs('30 * * * *', 'America/New_York', '2026-11-01 04:00+00', 4);
SELECT * FROM pg_temp.runs('0 */1 * * *', 'America/New_York', '2026-11-01 04:00+00', 4);
SELECT * FROM pg_temp.runs('*/15 * * * *', 'America/New_York', '2026-11-01 05:30+00', 6);
-- @every counts real time, unaffected by DST.
SELECT * FROM pg_temp.runs('@every 1 hour', 'America/New_York', '2026-11-01 04:00+00', 4);
SELECT * FROM pg_temp.runs('@every 90 minutes', 'America/New_York', '2026-03-08 05:00+00', 3);

-------------------------------------------------------------------------------
-- Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
SET timezone = 'Europe/Berlin';
SELECT * FROM pg_temp.runs('30 2 * * *', 'Europe/Berlin', '2026-03-28 12:00+00', 3);
SELECT jobs.next_runs('30 2 * * *', 1, '2026-03-28 12:00+00', 'Europe/Berlin')
       = (timestamp '2026-03-29 02:30' AT TIME ZONE 'Europe/Berlin') AS same_as_postgresql;
SELECT * FROM pg_temp.runs('0 2 * * 0', 'Europe/Berlin', '2026-03-28 12:00+00', 2);
SELECT * FROM pg_temp.runs('*/15 * * * *', 'Europe/Berlin', '2026-03-29 00:30+00', 5);
SELECT * FROM pg_temp.runs('30 2 * * *', 'Europe/Berlin', '2026-10-24 12:00+00', 3);
SELECT * FROM pg_temp.runs('30 * * * *', 'Europe/Berlin', '2026-10-24 23:00+00', 4);
SELECT * FROM pg_temp.runs('*/15 * * * *', 'Europe/Berlin', '2026-10-25 00:30+00', 6);
SELECT * FROM pg_temp.runs('@every 1 hour', 'Europe/Berlin', '2026-10-24 23:00+00', 4);

-------------------------------------------------------------------------------
-- Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
SET timezone = 'Australia/Sydney';
SELECT * FROM pg_temp.runs('30 2 * * *', 'Australia/Sydney', '2026-04-04 00:00+00', 3);
SELECT * FROM pg_temp.runs('30 * * * *', 'Australia/Sydney', '2026-04-04 14:00+00', 4);
SELECT * FROM pg_temp.runs('30 2 * * *', 'Australia/Sydney', '2026-10-03 00:00+00', 3);
SELECT jobs.next_runs('30 2 * * *', 1, '2026-10-03 00:00+00', 'Australia/Sydney')
       = (timestamp '2026-10-04 02:30' AT TIME ZONE 'Australia/Sydney') AS same_as_postgresql;
SELECT * FROM pg_temp.runs('0 9 * * 1-5', 'Australia/Sydney', '2026-10-01 00:00+00', 4);

-------------------------------------------------------------------------------
-- Australia/Lord_Howe, a 30-minute DST shift:
-- 2026-04-05 02:00 (+11) -> 01:30 (+10:30); 2026-10-04 02:00 (+10:30) -> 02:30 (+11).
SET timezone = 'Australia/Lord_Howe';
SELECT * FROM pg_temp.runs('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04 00:00+00', 3);
SELECT * FROM pg_temp.runs('45 * * * *', 'Australia/Lord_Howe', '2026-04-04 14:00+00', 3);
SELECT * FROM pg_temp.runs('0,30 * * * *', 'Australia/Lord_Howe', '2026-04-04 14:00+00', 4);
SELECT * FROM pg_temp.runs('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03 00:00+00', 3);
SELECT jobs.next_runs('15 2 * * *', 1, '2026-10-03 00:00+00', 'Australia/Lord_Howe')
       = (timestamp '2026-10-04 02:15' AT TIME ZONE 'Australia/Lord_Howe') AS same_as_postgresql;
SELECT * FROM pg_temp.runs('*/15 * * * *', 'Australia/Lord_Howe', '2026-10-03 15:00+00', 4);

-------------------------------------------------------------------------------
-- Zones without DST: nothing moves.
SET timezone = 'Asia/Kolkata';
SELECT * FROM pg_temp.runs('30 2 * * *', 'Asia/Kolkata', '2026-03-07 12:00+00', 3);
SELECT * FROM pg_temp.runs('0 9 * * mon', 'Asia/Kolkata', '2026-10-30 00:00+00', 2);
SET timezone = 'Asia/Tokyo';
SELECT * FROM pg_temp.runs('0 0 L * *', 'Asia/Tokyo', '2026-01-01 00:00+00', 3);

-------------------------------------------------------------------------------
-- Pacific/Apia skipped 2011-12-30 entirely (-10 -> +14). Noon on the missing
-- day is taken with the old offset, which is the same instant as noon on the
-- 31st: it fires once.
SET timezone = 'Pacific/Apia';
SELECT * FROM pg_temp.runs('0 12 * * *', 'Pacific/Apia', '2011-12-28 12:00+00', 4);
SELECT jobs.next_runs('0 12 * * *', 1, '2011-12-29 23:00+00', 'Pacific/Apia')
       = (timestamp '2011-12-30 12:00' AT TIME ZONE 'Pacific/Apia') AS same_as_postgresql;

-------------------------------------------------------------------------------
-- Names are looked up like SET timezone: any case, links, POSIX strings.
SET timezone = 'UTC';
SELECT * FROM pg_temp.runs('0 12 * * *', 'europe/berlin', '2026-07-01 00:00+00', 1);
SELECT * FROM pg_temp.runs('0 12 * * *', 'US/Eastern', '2026-07-01 00:00+00', 1);
SELECT * FROM pg_temp.runs('0 12 * * *', 'UTC+3', '2026-07-01 00:00+00', 1);  -- POSIX: 3 hours west
SELECT * FROM pg_temp.runs('0 12 * * *', 'EST5EDT', '2026-07-01 00:00+00', 1);
SELECT * FROM pg_temp.runs('0 12 * * *', 'Etc/GMT-14', '2026-07-01 00:00+00', 1);
