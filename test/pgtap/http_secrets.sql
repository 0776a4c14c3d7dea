-- pgTAP: secrets of HTTP jobs (issue 10, point 11). jobs.set_secret and
-- jobs.drop_secret as unprivileged roles granted USAGE ON SCHEMA jobs: each
-- role has its own secrets, nobody reads a value through SQL, bad names and
-- values are refused, {{secret:NAME}} references are checked when a job is
-- defined and stored as written. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/http_secrets.sql
\ir lib/begin.sql

SELECT plan(41);

CREATE ROLE pgtap_secret_alice;
CREATE ROLE pgtap_secret_bob;
GRANT USAGE ON SCHEMA jobs TO pgtap_secret_alice, pgtap_secret_bob;

-- Signatures and privileges -------------------------------------------------------
SELECT is(pg_get_function_arguments('jobs.set_secret(text, text)'::regprocedure), 'name text, value text',
          'set_secret arguments');
SELECT is(pg_get_function_arguments('jobs.drop_secret(text)'::regprocedure), 'name text', 'drop_secret arguments');
SELECT table_privs_are('jobs_internal', '_secret', 'public', ARRAY[]::text[], 'PUBLIC has no privilege on jobs_internal._secret');
SELECT table_privs_are('jobs_internal', '_secret', 'pgtap_secret_alice', ARRAY[]::text[],
                       'a role granted USAGE has no privilege on jobs_internal._secret');
SELECT function_privs_are('jobs_internal', '_set_secret', ARRAY['name', 'text', 'text'], 'public', ARRAY[]::text[],
                          'PUBLIC may not call _set_secret (the caller cannot be forged)');
SELECT function_privs_are('jobs_internal', '_drop_secret', ARRAY['name', 'text'], 'public', ARRAY[]::text[],
                          'PUBLIC may not call _drop_secret');
SELECT columns_are('jobs', 'secrets', ARRAY['name', 'created_at', 'updated_at'],
                   'jobs.secrets shows names and times, never values');
SELECT is((SELECT c.reloptions FROM pg_class AS c WHERE c.oid = 'jobs.secrets'::regclass),
          ARRAY['security_barrier=true'], 'jobs.secrets is a security barrier view');
SELECT is((SELECT count(*) FROM pg_extension AS e, unnest(e.extconfig) AS t(oid)
           WHERE e.extname = 'pg_jobs' AND t.oid = 'jobs_internal._secret'::regclass), 0::bigint,
          'pg_dump does not dump secrets (they are keyed by role OID)');

-- Set, replace, list, drop ---------------------------------------------------------
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_alice', 'SELECT jobs.set_secret(''api_token'', ''alice-v1'')')$$,
                'alice sets a secret');
SELECT is((SELECT value FROM jobs_internal._secret WHERE owner_id = 'pgtap_secret_alice'::regrole AND name = 'api_token'),
          'alice-v1', 'it is stored under alice''s role OID');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_bob', 'SELECT jobs.set_secret(''api_token'', ''bob-v1'')')$$,
                'bob sets a secret of the same name');
SELECT is((SELECT string_agg(value, ',' ORDER BY value) FROM jobs_internal._secret WHERE name = 'api_token'
           AND owner_id IN ('pgtap_secret_alice'::regrole, 'pgtap_secret_bob'::regrole)), 'alice-v1,bob-v1',
          'each role has its own namespace');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_alice', 'SELECT jobs.set_secret(''api_token'', ''alice-v2'')')$$,
                'set_secret again replaces the value');
SELECT is((SELECT row(value, updated_at >= created_at)::text FROM jobs_internal._secret
           WHERE owner_id = 'pgtap_secret_alice'::regrole AND name = 'api_token'), '(alice-v2,t)',
          'the new value is stored, updated_at moves');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_alice', 'SELECT jobs.set_secret(''db.pass-2'', ''p'')')$$,
                'names may have dots, hyphens, digits');
SELECT is(pg_temp.as_role('pgtap_secret_alice', 'SELECT string_agg(name, '','' ORDER BY name) FROM jobs.secrets'),
          'api_token,db.pass-2', 'jobs.secrets lists the caller''s own secrets');
SELECT is(pg_temp.as_role('pgtap_secret_bob', 'SELECT string_agg(name, '','' ORDER BY name) FROM jobs.secrets'),
          'api_token', 'and only those: bob does not see alice''s names');

-- Nobody reads a value through SQL ---------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_secret_alice', 'SELECT value FROM jobs_internal._secret LIMIT 1')$$,
                 '42501', NULL, 'alice cannot read jobs_internal._secret, not even her own secrets');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_secret_bob', 'SELECT count(*)::text FROM jobs_internal._secret')$$,
                 '42501', NULL, 'bob cannot read jobs_internal._secret');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_secret_bob',
                   'UPDATE jobs_internal._secret SET value = ''x'' RETURNING value')$$,
                 '42501', NULL, 'nor write it');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_secret_bob',
                   'SELECT jobs_internal._set_secret(''pgtap_secret_alice'', ''api_token'', ''stolen'')::text')$$,
                 '42501', NULL, 'bob cannot call the privileged part to write alice''s secret');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_bob', 'SELECT jobs.set_secret(''only_bob'', ''b'')')$$,
                'bob sets a secret alice does not have');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_secret_alice', 'SELECT jobs.drop_secret(''only_bob'')::text')$$,
                 '42704', 'secret "only_bob" does not exist', 'alice cannot drop bob''s secret: to her it does not exist');
SELECT is((SELECT count(*) FROM jobs_internal._secret WHERE owner_id = 'pgtap_secret_bob'::regrole AND name = 'only_bob'),
          1::bigint, 'bob''s secret is still there');

-- Bad names and values -----------------------------------------------------------------
SELECT throws_ok($$SELECT jobs.set_secret('', 'v')$$, '22023', 'secret name is empty', 'an empty name is refused');
SELECT throws_ok($$SELECT jobs.set_secret(repeat('n', 64), 'v')$$, '22023',
                 'secret name is longer than 63 characters', 'a name longer than 63 characters is refused');
SELECT throws_ok($$SELECT jobs.set_secret('api token', 'v')$$, '22023',
                 'secret name has a character other than letters, digits, _, . and - (at character 4)',
                 'a name with a space is refused, with the position');
SELECT throws_ok($$SELECT jobs.set_secret('a{b}', 'v')$$, '22023', NULL, 'braces are refused in a name');
SELECT throws_ok($$SELECT jobs.set_secret(NULL, 'v')$$, '22004', 'secret name must not be NULL', 'a NULL name');
SELECT throws_ok($$SELECT jobs.set_secret('x', NULL)$$, '22004', 'secret value must not be NULL', 'a NULL value');
SELECT throws_ok($$SELECT jobs.set_secret('x', '')$$, '22023', 'secret value is empty', 'an empty value');
SELECT throws_ok($$SELECT jobs.set_secret('x', E'line\r\nX-Injected: 1')$$, '22023',
                 'secret value has a control character (such as a line break)',
                 'a value with a line break (header injection) is refused');
SELECT throws_ok($$SELECT jobs.drop_secret('no_such')$$, '42704', 'secret "no_such" does not exist',
                 'dropping an unknown secret is 42704');
SELECT throws_ok($$SELECT jobs.drop_secret('bad name')$$, '22023', NULL, 'drop_secret checks the name');

-- References in HTTP job headers ---------------------------------------------------------
SELECT throws_ok($$SELECT jobs.schedule_http('ref', NULL, 'http://127.0.0.1:9/',
                   headers => '{"Authorization": "Bearer {{secret:api_token"}')$$, '22023',
                 'header "Authorization": malformed secret reference at character 26: the reference is not closed by }}',
                 'an unclosed reference is refused at definition');
SELECT throws_ok($$SELECT jobs.schedule_http('ref', NULL, 'http://127.0.0.1:9/',
                   headers => '{"X-Key": "{{ secret:api_token }}"}')$$, '22023', NULL,
                 'a reference with spaces is refused, not sent as text');
SELECT is(pg_temp.as_role('pgtap_secret_alice',
          $$SELECT jobs.schedule_http('ref', NULL, 'http://127.0.0.1:9/',
                   headers => '{"Authorization": "Bearer {{secret:api_token}}", "X-Later": "{{secret:not_yet}}"}')::text$$)
          IS NOT NULL, true, 'a reference to a secret that does not exist yet is accepted (runs fail until it does)');
SELECT is((SELECT headers FROM jobs_internal._http_secret AS s JOIN jobs.scheduled_job AS j USING (job_id)
           WHERE j.job_name = 'ref' AND j.owner = 'pgtap_secret_alice'::regrole),
          '{"Authorization": "Bearer {{secret:api_token}}", "X-Later": "{{secret:not_yet}}"}'::jsonb,
          'the reference is stored as written, never the value');
SELECT lives_ok($$SELECT pg_temp.as_role('pgtap_secret_alice',
                  'SELECT jobs.alter_http(''ref'', headers => ''{"X-Team": "{{secret:db.pass-2}}"}'')')$$,
                'alter_http accepts references');
SELECT is((SELECT count(*) FROM jobs_internal._http_secret AS s JOIN jobs.scheduled_job AS j USING (job_id)
           WHERE j.job_name = 'ref' AND s.headers::text LIKE '%alice-v2%'), 0::bigint,
          'no secret value ever lands in the stored headers');

SELECT * FROM finish();
ROLLBACK;
