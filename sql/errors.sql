-- Every error jobs.next_runs and jobs.describe raise: message, position
-- (DETAIL with a caret under the offending text), hint, and SQLSTATE.
SET timezone = 'UTC';

-- The SQLSTATE of each kind of error (22023, invalid parameter value).
\set VERBOSITY sqlstate
SELECT * FROM jobs.next_runs('61 * * * *');
SELECT jobs.describe('* * * * * * *');
SELECT * FROM jobs.next_runs('@daily', 5, now(), 'Mars/Base');
SELECT * FROM jobs.next_runs('@daily', -1);
SELECT * FROM jobs.next_runs('0 0 30 2 *');
SELECT * FROM jobs.next_runs('@every 2 fortnights');
SET jobs.timezone = 'Mars/Base';
\set VERBOSITY default

-- Wrong number of fields.
SELECT * FROM jobs.next_runs('');
SELECT * FROM jobs.next_runs('   ');
SELECT * FROM jobs.next_runs('* * * *');
SELECT * FROM jobs.next_runs('* * * * * * *');
SELECT * FROM jobs.next_runs('*');

-- Values out of range, per field.
SELECT * FROM jobs.next_runs('60 * * * * *');
SELECT * FROM jobs.next_runs('* 60 * * * *');
SELECT * FROM jobs.next_runs('0 24 * * *');
SELECT * FROM jobs.next_runs('0 0 0 * *');
SELECT * FROM jobs.next_runs('0 0 32 * *');
SELECT * FROM jobs.next_runs('0 0 * 0 *');
SELECT * FROM jobs.next_runs('0 0 * 13 *');
SELECT * FROM jobs.next_runs('0 0 * * 8');
SELECT * FROM jobs.next_runs('-1 * * * *');

-- Malformed ranges, steps, lists and names.
SELECT * FROM jobs.next_runs('30-10 * * * *');
SELECT * FROM jobs.next_runs('*/0 * * * *');
SELECT * FROM jobs.next_runs('*/ * * * *');
SELECT * FROM jobs.next_runs('1-/2 * * * *');
SELECT * FROM jobs.next_runs('1,,2 * * * *');
SELECT * FROM jobs.next_runs('1, * * * *');
SELECT * FROM jobs.next_runs('abc * * * *');
SELECT * FROM jobs.next_runs('0 0 * jam *');
SELECT * FROM jobs.next_runs('0 0 * * mon-fro');
SELECT * FROM jobs.next_runs('0 0 * * monday');
SELECT * FROM jobs.next_runs('0 0 * jan *x');
SELECT * FROM jobs.next_runs('? * * * *');
SELECT * FROM jobs.next_runs('0 ? * * *');
SELECT * FROM jobs.next_runs('0 0 * ? *');

-- A step larger than its field's range would only ever reach the first value:
-- refused, with @every offered for a fixed period (pg_cron's own invalid
-- schedule '*/5000000000 10 * * *' included).
SELECT * FROM jobs.next_runs('*/90 * * * *');
SELECT * FROM jobs.next_runs('*/5000000000 10 * * *');
SELECT * FROM jobs.next_runs('*/60 * * * * *');
SELECT * FROM jobs.next_runs('0 9-17/24 * * *');
SELECT * FROM jobs.next_runs('0 0 */31 * *');
SELECT * FROM jobs.next_runs('0 0 1 jan/12 *');
SELECT * FROM jobs.next_runs('0 0 * * */8');
SELECT jobs.describe('*/90 * * * *');

-- L, L-n, nL and n#k in the wrong place or out of range.
SELECT * FROM jobs.next_runs('0 0 L-31 * *');
SELECT * FROM jobs.next_runs('0 0 L-x * *');
SELECT * FROM jobs.next_runs('L * * * *');
SELECT * FROM jobs.next_runs('0 L * * *');
SELECT * FROM jobs.next_runs('0 0 * L *');
SELECT * FROM jobs.next_runs('0 0 * * 8L');
SELECT * FROM jobs.next_runs('0 0 5L * *');
SELECT * FROM jobs.next_runs('0 0 * * 1#6');
SELECT * FROM jobs.next_runs('0 0 * * 1#0');
SELECT * FROM jobs.next_runs('0 0 * * 8#1');
SELECT * FROM jobs.next_runs('0 0 1#1 * *');

-- Schedules that can never fire.
SELECT * FROM jobs.next_runs('0 0 30 2 *');
SELECT * FROM jobs.next_runs('0 0 31 4,6,9,11 *');
SELECT * FROM jobs.next_runs('0 0 30-31 2 *');

-- Macros and @every.
SELECT * FROM jobs.next_runs('@fortnightly');
SELECT * FROM jobs.next_runs('@daily 5');
SELECT * FROM jobs.next_runs('@every');
SELECT * FROM jobs.next_runs('@every 0 seconds');
SELECT * FROM jobs.next_runs('@every -5 minutes');
SELECT * FROM jobs.next_runs('@every 1.5 seconds');
SELECT * FROM jobs.next_runs('@every 1 month');
SELECT * FROM jobs.next_runs('@every 1 year');
SELECT * FROM jobs.next_runs('@every 2 fortnights');
SELECT * FROM jobs.next_runs('@every 999999999999 hours');
SELECT * FROM jobs.next_runs('0 seconds');
SELECT * FROM jobs.next_runs('60 seconds');

-- The caret counts characters, not bytes.
SELECT * FROM jobs.next_runs('0 0 * * ☃');
SELECT * FROM jobs.next_runs('0 0 * é *');

-- Tabs and newlines separate fields; echoed as spaces so the caret stays aligned.
SELECT * FROM jobs.next_runs(E'0\t0 * *\n* x');

-- A schedule longer than 256 characters is shown as an excerpt around the error.
SELECT * FROM jobs.next_runs(repeat('1,', 200) || '99 * * * *');
SELECT * FROM jobs.next_runs(repeat('1,', 20) || '99 * * * *' || repeat(' ', 300));
SELECT * FROM jobs.next_runs(repeat('* ', 6000));

-- jobs.describe reports the same errors.
SELECT jobs.describe('0 0 * * mon-fro');
SELECT jobs.describe('0 0 31 2 *');
SELECT jobs.describe('@daily', 'Mars/Base');

-- Time zones: unknown names (zones counting leap seconds: see test/pgtap/next_runs.sql).
SELECT * FROM jobs.next_runs('@daily', 5, now(), 'Mars/Base');
SELECT * FROM jobs.next_runs('@daily', 5, now(), '');

-- count out of bounds.
SELECT * FROM jobs.next_runs('@daily', -1);
SELECT * FROM jobs.next_runs('@daily', 1000001);
SELECT * FROM jobs.next_runs('@daily', 2147483647);

-- The session is fine after all these errors.
SELECT count(*) FROM jobs.next_runs('@daily');
