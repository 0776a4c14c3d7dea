-- pgTAP: what the HTTP host policy refuses when a job is defined, as an
-- ordinary role: every IPv6 form that carries an IPv4 address is judged by
-- that address (IPv4-mapped and -compatible, IPv4-translated, NAT64, 6to4,
-- Teredo), and the cloud metadata addresses are refused unless
-- jobs.http_allowed_hosts lists them explicitly. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/http_ssrf.sql
\ir lib/begin.sql

SELECT plan(21);

CREATE ROLE ssrf_tester LOGIN;
GRANT USAGE ON SCHEMA jobs TO ssrf_tester;
SET LOCAL ROLE ssrf_tester;

-- The default allowlist ("*") --------------------------------------------------
SELECT throws_ok(format($$SELECT jobs.schedule_http('x', NULL, %L)$$, url), '42501', NULL, why)
FROM (VALUES
    ('http://169.254.169.254/latest/meta-data/', 'the link-local metadata address'),
    ('http://[::ffff:169.254.169.254]/', 'IPv4-mapped'),
    ('http://[::169.254.169.254]/', 'IPv4-compatible'),
    ('http://[::a9fe:a9fe]/', 'IPv4-compatible, in hex'),
    ('http://[::ffff:0:169.254.169.254]/', 'IPv4-translated (SIIT)'),
    ('http://[64:ff9b::a9fe:a9fe]/', 'NAT64 (64:ff9b::/96)'),
    ('http://[64:ff9b::169.254.169.254]/', 'NAT64, dotted'),
    ('http://[2002:a9fe:a9fe::1]/', '6to4 (2002::/16)'),
    ('http://[2001:0:4136:e378:8000:63bf:5601:5601]/', 'Teredo (the client address, inverted)'),
    ('http://[64:ff9b:1:a9fe:a9:fe00::]/', 'local-use NAT64 (64:ff9b:1::/48)'),
    ('http://100.100.100.200/latest/meta-data/', 'Alibaba Cloud metadata'),
    ('http://[64:ff9b::6464:64c8]/', 'Alibaba Cloud metadata through NAT64'),
    ('http://192.0.0.192/', 'Oracle Cloud (Classic) metadata'),
    ('http://168.63.129.16/', 'Azure WireServer'),
    ('http://[fd00:ec2::254]/', 'AWS metadata over IPv6'),
    ('http://[fd20:ce::254]/', 'Google Cloud metadata over IPv6')
) AS refused(url, why);

SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'http://[64:ff9b::a9fe:a9fe]/')$$, '42501',
                 'address 64:ff9b::a9fe:a9fe (NAT64 for 169.254.169.254) is a link-local address (where cloud '
                 'metadata services answer)',
                 'the message names the form and the IPv4 address it carries');
SELECT lives_ok($$SELECT jobs.schedule_http('public_nat64', NULL, 'http://[64:ff9b::808:808]/')$$,
                'an ordinary address through NAT64 passes "*"');

-- A superuser's list -------------------------------------------------------------
RESET ROLE;
SET LOCAL jobs.http_allowed_hosts = '10.0.0.0/8';
SET LOCAL ROLE ssrf_tester;
SELECT throws_ok($$SELECT jobs.schedule_http('x', NULL, 'http://[64:ff9b::7f00:1]/')$$, '42501', NULL,
                 'NAT64 for 127.0.0.1 is outside 10.0.0.0/8');
SELECT lives_ok($$SELECT jobs.schedule_http('inside', NULL, 'http://[2002:a01:203::]/')$$,
                '6to4 for 10.1.2.3 is inside 10.0.0.0/8');
RESET ROLE;
SET LOCAL jobs.http_allowed_hosts = '*, 100.100.100.200';
SET LOCAL ROLE ssrf_tester;
SELECT lives_ok($$SELECT jobs.schedule_http('alibaba', NULL, 'http://100.100.100.200/latest/meta-data/')$$,
                'a metadata address listed explicitly is allowed');

SELECT * FROM finish();
ROLLBACK;
