-- pgTAP: the HTTP jobs' SQL surface - jobs.schedule_http and jobs.alter_http:
-- signatures, what is stored (method upper case, command, masked headers, the
-- real headers kept apart), and every definition-time error. Everything
-- rolls back; no run is committed.
-- Run from the repository root: pg_prove test/pgtap/http_api.sql
\ir lib/begin.sql

SELECT plan(41);

-- Signatures -----------------------------------------------------------------
SELECT is(pg_get_function_arguments(
              'jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval, '
              'text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text, text[], text, text, integer, text, text)'::regprocedure),
          'job_name text, schedule text, url text, method text DEFAULT ''POST''::text, headers jsonb DEFAULT ''{}''::jsonb, '
          'body jsonb DEFAULT NULL::jsonb, timeout interval DEFAULT ''00:00:30''::interval, timezone text DEFAULT NULL::text, '
          'enabled boolean DEFAULT true, max_retries integer DEFAULT 0, retry_backoff interval DEFAULT ''00:00:01''::interval, '
          'retry_backoff_max interval DEFAULT ''00:00:30''::interval, overlap text DEFAULT ''skip''::text, '
          'max_concurrent integer DEFAULT 1, misfire text DEFAULT ''skip''::text, '
          'starting_deadline interval DEFAULT NULL::interval, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'end_at timestamp with time zone DEFAULT NULL::timestamp with time zone, max_runs integer DEFAULT NULL::integer, '
          'run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'min_trigger_interval interval DEFAULT NULL::interval, description text DEFAULT NULL::text, '
          'tags text[] DEFAULT NULL::text[], send text DEFAULT ''context''::text, run_if text DEFAULT NULL::text, '
          'priority integer DEFAULT 0, '
          'blackout text DEFAULT NULL::text, blackout_policy text DEFAULT ''skip''::text',
          'schedule_http arguments');
SELECT function_returns('jobs', 'schedule_http',
                        ARRAY['text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'interval', 'text', 'boolean', 'integer',
                              'interval', 'interval', 'text', 'integer', 'text', 'interval', 'timestamp with time zone',
                              'timestamp with time zone', 'integer', 'timestamp with time zone', 'interval', 'text',
                              'text[]', 'text', 'text', 'integer', 'text', 'text'], 'bigint');
SELECT is(pg_get_function_arguments('jobs.alter_http(text, text, text, jsonb, jsonb, interval, text, text[], text)'::regprocedure),
          'job_name text, url text DEFAULT NULL::text, method text DEFAULT NULL::text, headers jsonb DEFAULT NULL::jsonb, '
          'body jsonb DEFAULT NULL::jsonb, timeout interval DEFAULT NULL::interval, description text DEFAULT NULL::text, '
          'tags text[] DEFAULT NULL::text[], send text DEFAULT NULL::text', 'alter_http by name arguments');
SELECT has_function('jobs', 'alter_http', ARRAY['bigint', 'text', 'text', 'jsonb', 'jsonb', 'interval', 'text', 'text[]', 'text']);
SELECT function_privs_are('jobs_internal', '_schedule_http',
                          ARRAY['name', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'interval', 'text', 'boolean',
                                'integer', 'interval', 'interval', 'text', 'integer', 'text', 'interval', 'timestamptz',
                                'timestamptz', 'integer', 'timestamptz', 'interval', 'text', 'text[]', 'text', 'text', 'integer', 'text', 'text'],
                          'public', ARRAY[]::text[], 'PUBLIC may not call _schedule_http');
SELECT table_privs_are('jobs_internal', '_http_secret', 'public', ARRAY[]::text[], 'PUBLIC may not read the real headers');

-- What is stored ---------------------------------------------------------------
SELECT jobs.schedule_http('hook', '*/5 * * * *', 'https://api.example.com/hooks/purge', method => 'put',
                          headers => '{"Authorization": "Bearer abc", "X-Api-Key": "k", "X-Team": "data"}',
                          body => '{"paths": ["/a"]}', timeout => '10 seconds') AS hook \gset
SELECT is((SELECT row(kind, http_method, http_url, command, http_body::text, timeout, database = current_database())::text
           FROM jobs.scheduled_job WHERE job_id = :hook),
          '(http,PUT,https://api.example.com/hooks/purge,"PUT https://api.example.com/hooks/purge","{""paths"": [""/a""]}",00:00:10,t)',
          'an HTTP job stores kind, the method in upper case, URL, body, timeout; command reads "METHOD url"');
SELECT is((SELECT http_headers FROM jobs.scheduled_job WHERE job_id = :hook),
          '{"X-Team": "data", "X-Api-Key": "***", "Authorization": "***"}'::jsonb,
          'secret-looking header values are shown as ***');
SELECT is((SELECT headers FROM jobs_internal._http_secret WHERE job_id = :hook),
          '{"X-Team": "data", "X-Api-Key": "k", "Authorization": "Bearer abc"}'::jsonb,
          'the real headers are kept apart');
SELECT is(jobs.schedule_http('hook', NULL, 'http://127.0.0.1:8080/x'), :hook::bigint,
          'schedule_http again with the same name redefines the job');
SELECT is((SELECT row(http_method, schedule IS NULL, http_headers::text, timeout)::text FROM jobs.scheduled_job
           WHERE job_id = :hook), '(POST,t,{},00:00:30)', 'defaults: POST, no headers, 30 seconds');
SELECT lives_ok($$SELECT jobs.alter_http('hook', method => 'get', headers => '{"Cookie": "c=1"}')$$,
                'alter_http changes the method and headers');
SELECT is((SELECT row(http_method, command, http_headers::text)::text FROM jobs.scheduled_job WHERE job_id = :hook),
          '(GET,"GET http://127.0.0.1:8080/x","{""Cookie"": ""***""}")', 'alter_http keeps command and masking in step');
SELECT lives_ok($$SELECT jobs.alter('hook', schedule => '@hourly', enabled => false)$$,
                'jobs.alter changes an HTTP job''s schedule and enabled');
SELECT throws_ok($$SELECT jobs.alter('hook', command => 'SELECT 1')$$, '42809',
                 'job "hook" is an HTTP job: it has no command or database', 'jobs.alter refuses a command');
SELECT is(jobs.schedule('hook', NULL, 'SELECT 1'), :hook::bigint, 'jobs.schedule redefines it as an SQL job');
SELECT is((SELECT row(kind, http_url IS NULL, http_headers IS NULL)::text FROM jobs.scheduled_job WHERE job_id = :hook),
          '(sql,t,t)', 'the HTTP fields are cleared');
SELECT is((SELECT count(*) FROM jobs_internal._http_secret WHERE job_id = :hook), 0::bigint, 'and its stored headers');
SELECT throws_ok($$SELECT jobs.alter_http('hook', url => 'http://example.com/')$$, '42809',
                 'job "hook" is not an HTTP job', 'alter_http refuses an SQL job');
SELECT jobs.schedule_http('other', NULL, 'http://example.com/') AS other \gset
SELECT lives_ok('SELECT jobs.unschedule(' || :other || ')', 'unschedule removes an HTTP job');
SELECT is((SELECT count(*) FROM jobs_internal._http_secret WHERE job_id = :other), 0::bigint, 'and its stored headers');

-- Definition-time errors -----------------------------------------------------------
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'ftp://example.com/')$$, '22023',
                 'invalid URL: URL scheme "ftp" is not supported', 'a scheme other than http/https');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'example.com/hook')$$, '22023', NULL, 'a URL without scheme');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://')$$, '22023', NULL, 'a URL without host');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://exa mple.com/')$$, '22023', NULL, 'a space');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://user:pw@example.com/')$$, '22023', NULL,
                 'credentials in the URL');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, NULL)$$, '22004', 'url must not be NULL', 'a NULL URL');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', method => 'FETCH')$$, '22023',
                 'unknown HTTP method "FETCH"', 'an unknown method');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', headers => '[1]')$$, '22023',
                 'headers must be a JSON object', 'headers that are not an object');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', headers => '"a"')$$, '22023',
                 'headers must be a JSON object', 'headers that are a scalar');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', headers => '{"a": 1}')$$, '22023',
                 'header "a" must have a string value', 'a header value that is not a string');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', headers => '{"X-A": "x\ny"}')$$,
                 '22023', NULL, 'a header value with a line break');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', headers => '{"Bad Name": "x"}')$$,
                 '22023', NULL, 'a header name that is not a token');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', timeout => '0')$$, '22023', NULL,
                 'a zero timeout');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://example.com/', timeout => '2 days')$$, '22023',
                 NULL, 'a timeout over a day');
SELECT throws_ok($$SELECT jobs.schedule_http('x', 'not cron', 'https://example.com/')$$, '22023', NULL,
                 'a bad schedule');
SELECT throws_ok($$SELECT jobs.schedule_http('', NULL, 'https://example.com/')$$, '22023',
                 'job name must not be empty', 'an empty name');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'http://169.254.169.254/latest/meta-data')$$, '42501', NULL,
                 'a link-local (metadata) address, refused by the default allowlist');
SET LOCAL jobs.http_allowed_hosts = '*.example.com';
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://other.org/')$$, '42501', NULL,
                 'a host jobs.http_allowed_hosts does not list');
SELECT lives_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/')$$, 'a host it lists');
RESET jobs.http_allowed_hosts;
SELECT throws_ok($$SET jobs.http_allowed_hosts = '10.0.0.1/8'$$, '22023', NULL,
                 'an allowlist that does not parse is refused');

SELECT * FROM finish();
ROLLBACK;
