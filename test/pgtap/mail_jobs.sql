-- pgTAP: jobs that speak to people (issue 13) - send => 'body' of HTTP jobs
-- and jobs.schedule_email - as an unprivileged role granted only USAGE ON
-- SCHEMA jobs: signatures and privileges, what is stored, and every
-- definition-time error (22023 naming the placeholder, the address or the
-- option; 42501 for a mail server the host policy refuses). Everything rolls
-- back; no run is committed.
-- Run from the repository root: pg_prove test/pgtap/mail_jobs.sql
\ir lib/begin.sql

SELECT plan(47);

CREATE ROLE pgtap_mail_alice;
CREATE ROLE pgtap_mail_bob;
GRANT USAGE ON SCHEMA jobs TO pgtap_mail_alice, pgtap_mail_bob;

-- Signatures and privileges ----------------------------------------------------------
SELECT is(pg_get_function_arguments('jobs.schedule_email(text, text, text, text, text[], text, text, text, text, '
                                    'interval, text, boolean, integer, interval, interval, text, text[], text, integer, '
                                    'text, text)'::regprocedure),
          'job_name text, schedule text, smtp_url text, mail_from text, mail_to text[], subject text, body text, '
          'username text DEFAULT NULL::text, password text DEFAULT NULL::text, '
          'timeout interval DEFAULT ''00:00:30''::interval, timezone text DEFAULT NULL::text, '
          'enabled boolean DEFAULT true, max_retries integer DEFAULT 0, '
          'retry_backoff interval DEFAULT ''00:00:01''::interval, retry_backoff_max interval DEFAULT ''00:00:30''::interval, '
          'description text DEFAULT NULL::text, tags text[] DEFAULT NULL::text[], run_if text DEFAULT NULL::text, '
          'priority integer DEFAULT 0, '
          'blackout text DEFAULT NULL::text, blackout_policy text DEFAULT ''skip''::text',
          'schedule_email arguments');
SELECT function_privs_are('jobs_internal', '_schedule_email',
                          ARRAY['name', 'text', 'text', 'text', 'text', 'text[]', 'text', 'text', 'text', 'text',
                                'interval', 'text', 'boolean', 'integer', 'interval', 'interval', 'text', 'text[]',
                                'text', 'integer', 'text', 'text'],
                          'public', ARRAY[]::text[], 'PUBLIC may not call _schedule_email (the caller cannot be forged)');
SELECT function_privs_are('jobs_internal', '_email_check', ARRAY['text', 'text', 'text[]', 'text', 'text', 'text', 'text'],
                          'public', ARRAY[]::text[], 'PUBLIC may not call _email_check');
SELECT function_privs_are('jobs_internal', '_template_check', ARRAY['text', 'text'], 'public', ARRAY[]::text[],
                          'PUBLIC may not call _template_check');
SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'jobs.schedule_email(text, text, text, text, text[], text, text, '
           'text, text, interval, text, boolean, integer, interval, interval, text, text[], text, integer, text, text)'::regprocedure), false,
          'schedule_email runs as its caller (its privileged part is the definer)');

-- send => 'body' ------------------------------------------------------------------------
SET LOCAL ROLE pgtap_mail_alice;
SELECT jobs.schedule_http('slack', NULL, 'https://hooks.slack.example.com/services/T0/B0/x',
                          body => '{"text": "{{payload.summary}} (run {{execution_id}} of {{job_name}})"}',
                          send => 'body') AS slack \gset
SELECT is((SELECT row(kind, http_send, http_body->>'text')::text FROM jobs.scheduled_job WHERE job_id = :slack),
          '(http,body,"{{payload.summary}} (run {{execution_id}} of {{job_name}})")',
          'send => ''body'' is stored with the body as written');
SELECT jobs.schedule_http('plain', NULL, 'https://api.example.com/x') AS plain \gset
SELECT is((SELECT http_send FROM jobs.scheduled_job WHERE job_id = :plain), 'context', 'send defaults to context');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', body => '{}', send => 'raw')$$,
                 '22023', 'send must be ''context'' or ''body'', not ''raw''', 'an unknown send is refused, naming both');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => NULL)$$,
                 '22023', 'send must be ''context'' or ''body'', not NULL', 'send NULL is refused');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => 'body')$$,
                 '22023', 'send => ''body'' needs a body', 'send => ''body'' without a body is refused');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => 'body',
                                             body => '{"text": "{{paylod.summary}}"}')$$,
                 '22023', 'body: unknown placeholder {{paylod}} at character 11',
                 'a path outside the context''s keys is refused, with the key and where');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => 'body',
                                             body => '{"text": "{{job_name.first}}"}')$$,
                 '22023', 'body: placeholder at character 11 goes below {{job_name}}, which holds a plain value',
                 'a path below a plain value is refused');
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => 'body',
                                             body => '{"text": "{{ payload.a b }}"}')$$,
                 '22023', NULL, 'a malformed placeholder is refused');
SELECT lives_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', send => 'body',
                                            body => '{"text": "{{payload.any.depth.0}}", "auth": "{{secret:tok}}"}')$$,
                'paths below payload are only known at run time; secret references are not placeholders');
SELECT lives_ok($$SELECT jobs.schedule_http('x', NULL, 'https://api.example.com/x', body => '{"t": "{{nope}}"}')$$,
                'send => ''context'' sends the body as config: its braces are not placeholders');
-- alter_http
SELECT lives_ok($$SELECT jobs.alter_http('plain', body => '{"text": "{{job_name}} failed"}', send => 'body')$$,
                'alter_http switches a job to send => ''body''');
SELECT is((SELECT http_send FROM jobs.scheduled_job WHERE job_name = 'plain'), 'body', 'and it is stored');
SELECT throws_ok($$SELECT jobs.alter_http('plain', body => '{"text": "{{when}}"}')$$, '22023',
                 'body: unknown placeholder {{when}} at character 11',
                 'alter_http checks a new body against the job''s send');
SELECT throws_ok($$SELECT jobs.alter_http('plain', send => 'bogus')$$, '22023', NULL,
                 'alter_http refuses an unknown send');
SELECT lives_ok($$SELECT jobs.alter_http('plain', send => 'context')$$, 'and switches back to context');
RESET ROLE;
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_mail_bob',
                        format('SELECT jobs.alter_http(%s::bigint, send => %L)', :slack, 'context')),
                 NULL, NULL, 'another role cannot change the job''s send');

-- jobs.schedule_email ----------------------------------------------------------------------
SET LOCAL ROLE pgtap_mail_alice;
SELECT jobs.schedule_email('alert-mail', NULL, 'smtp://mail.example.com:587', 'pg_jobs@example.com',
                           ARRAY['ops@example.com', 'dba@example.com'], 'Job {{payload.job.job_name}} failed',
                           E'{{payload.summary}}\n\nrun {{execution_id}}', username => 'reports',
                           password => '{{secret:smtp_password}}', max_retries => 3, tags => ARRAY['alerts'])
       AS mail \gset
SELECT is((SELECT row(kind, owner::text, command, smtp_url, mail_from, mail_to, smtp_username, smtp_password,
                      max_retries, tags, http_url IS NULL)::text
           FROM jobs.scheduled_job WHERE job_id = :mail),
          '(email,pgtap_mail_alice,"mail to ops@example.com, dba@example.com via smtp://mail.example.com:587",'
          'smtp://mail.example.com:587,pg_jobs@example.com,"{ops@example.com,dba@example.com}",reports,'
          '{{secret:smtp_password}},3,{alerts},t)',
          'an e-mail job is owned by its caller and stores server, addresses, login reference and options');
SELECT is((SELECT row(mail_subject, mail_body)::text FROM jobs.scheduled_job WHERE job_id = :mail),
          E'("Job {{payload.job.job_name}} failed","{{payload.summary}}\n\nrun {{execution_id}}")',
          'subject and body are stored as written');
SELECT is(jobs.schedule_email('alert-mail', '@daily', 'smtps://mail.example.com', 'a@example.com', ARRAY['b@example.com'],
                              's', 'b'), :mail::bigint, 'schedule_email again with the same name redefines the job');
SELECT is((SELECT row(schedule, smtp_url, smtp_username IS NULL, smtp_password IS NULL, timeout)::text
           FROM jobs.scheduled_job WHERE job_id = :mail), '(@daily,smtps://mail.example.com,t,t,00:00:30)',
          'redefined: new schedule and server, no login, the default timeout');
SELECT lives_ok($$SELECT jobs.schedule_http('alert-mail', NULL, 'https://api.example.com/x')$$,
                'an e-mail job can be redefined as an HTTP job');
SELECT is((SELECT row(kind, smtp_url IS NULL, mail_to IS NULL, mail_body IS NULL)::text FROM jobs.scheduled_job
           WHERE job_id = :mail), '(http,t,t,t)', 'which clears its e-mail columns');
SELECT lives_ok($$SELECT jobs.schedule_email('alert-mail', NULL, 'smtp://mail.example.com', 'a@example.com',
                                             ARRAY['b@example.com'], 's', 'b')$$, 'and back');
SELECT lives_ok($$SELECT jobs.schedule('alert-mail', NULL, 'SELECT 1')$$, 'and redefined as an SQL job');
SELECT is((SELECT row(kind, smtp_url IS NULL, mail_from IS NULL)::text FROM jobs.scheduled_job WHERE job_id = :mail),
          '(sql,t,t)', 'which clears them too');
SELECT jobs.schedule_email('note', NULL, 'smtp://mail.example.com', 'a@example.com', ARRAY['b@example.com'], 's', 'b')
       AS note \gset
SELECT throws_ok($$SELECT jobs.alter('note', command => 'SELECT 1')$$, '42809',
                 'job "note" is an e-mail job: it has no command or database', 'jobs.alter refuses a command');
SELECT lives_ok($$SELECT jobs.alter('note', schedule => '@hourly', enabled => false, max_retries => 2)$$,
                'jobs.alter changes an e-mail job''s schedule and run options');

-- Definition-time errors ------------------------------------------------------------------------
SELECT throws_ok(format($$SELECT jobs.schedule_email('x', NULL, %L, %L, %L, %L, %L, username => %L, password => %L)$$,
                        url, sender, recipients, subject, body, username, password),
                 '22023', message, why)
FROM (VALUES
    ('https://mail.example.com', 'a@example.com', '{b@example.com}', 's', 'b', NULL, NULL,
     'smtp_url: URL scheme "https" is not supported for e-mail', 'an http URL'),
    ('smtp://mail.example.com/x', 'a@example.com', '{b@example.com}', 's', 'b', NULL, NULL,
     'smtp_url: the mail server URL must not have a path or query', 'a path'),
    ('smtp://user:pw@mail.example.com', 'a@example.com', '{b@example.com}', 's', 'b', NULL, NULL,
     'smtp_url: the mail server URL must not hold a login', 'a login in the URL'),
    ('smtp://mail.example.com', 'no-at-sign', '{b@example.com}', 's', 'b', NULL, NULL,
     'mail_from: invalid e-mail address "no-at-sign": it must contain exactly one @', 'a bad sender'),
    ('smtp://mail.example.com', 'a@example.com', '{b@example.com,"c@example.com> x"}', 's', 'b', NULL, NULL,
     'mail_to: invalid e-mail address "c@example.com> x": character 14 is not allowed', 'a bad recipient, named'),
    ('smtp://mail.example.com', 'a@example.com', '{}', 's', 'b', NULL, NULL,
     'mail_to: an e-mail job needs at least one recipient', 'no recipient'),
    ('smtp://mail.example.com', 'a@example.com', '{b@example.com}', 'Job {{jobname}}', 'b', NULL, NULL,
     'subject: unknown placeholder {{jobname}} at character 5', 'an unknown placeholder in the subject'),
    ('smtp://mail.example.com', 'a@example.com', '{b@example.com}', 's', 'x {{attempt.n}}', NULL, NULL,
     'body: placeholder at character 3 goes below {{attempt}}, which holds a plain value', 'a bad path in the body'),
    ('smtp://mail.example.com', 'a@example.com', '{b@example.com}', 's', 'b', 'reports', 'hunter2',
     'password must be a secret reference such as {{secret:smtp_password}}', 'a literal password'),
    ('smtp://mail.example.com', 'a@example.com', '{b@example.com}', 's', 'b', NULL, '{{secret:pw}}',
     'a login needs both username and password', 'a password without a user name')
) AS refused(url, sender, recipients, subject, body, username, password, message, why);
SELECT throws_ok($$SELECT jobs.schedule_email('x', NULL, 'smtp://mail.example.com', 'a@example.com',
                                              ARRAY['b@example.com'], NULL, 'b')$$,
                 '22004', 'subject must not be NULL', 'a NULL subject is refused');
SELECT throws_ok($$SELECT jobs.schedule_email('x', NULL, 'smtp://169.254.169.254', 'a@example.com',
                                              ARRAY['b@example.com'], 's', 'b')$$,
                 '42501', NULL, 'the host policy applies to mail servers (a metadata address is refused)');
RESET ROLE;
SET LOCAL jobs.http_allowed_hosts = 'api.example.com';
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_mail_alice', 'SELECT jobs.schedule_email(''x'', NULL,
                   ''smtp://mail.example.com'', ''a@example.com'', ARRAY[''b@example.com''], ''s'', ''b'')')$$,
                 '42501', NULL, 'a mail server outside jobs.http_allowed_hosts is refused');
RESET jobs.http_allowed_hosts;

-- Row level security: bob does not see alice's e-mail job ----------------------------------------
SELECT is(pg_temp.as_role('pgtap_mail_bob', 'SELECT count(*) FROM jobs.scheduled_job WHERE kind = ''email'''), '0',
          'another role does not see the e-mail job');
SELECT is(pg_temp.as_role('pgtap_mail_alice', 'SELECT count(*) FROM jobs.scheduled_job WHERE kind = ''email'''), '1',
          'its owner does');

SELECT * FROM finish();
ROLLBACK;
