-- Upgrade from 0.1.0 (as released) to 0.2.0.

-- create: jobs created in bulk (issue 11, point 4). The audit trail's definition of a created or removed job is
-- built in C (jobs._audit_definition, jobs._audit_fields); the created rows keep the order the jobs were inserted.
-- (Batching of jobs.schedule itself is in the C library: no schema change.)
CREATE FUNCTION jobs._audit_definition(job record)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_definition';
COMMENT ON FUNCTION jobs._audit_definition(record) IS
'Internal: a jobs.scheduled_job row as the audit trail records it at creation and removal: every column but '
'created_at and updated_at, NULLs left out, header values replaced by ***.';
REVOKE EXECUTE ON FUNCTION jobs._audit_definition(record) FROM PUBLIC;

CREATE FUNCTION jobs._audit_fields(definition jsonb)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_fields';
COMMENT ON FUNCTION jobs._audit_fields(jsonb) IS
'Internal: the top-level keys of a definition, sorted (ARRAY(SELECT k FROM jsonb_object_keys(definition) AS k '
'ORDER BY k)).';
REVOKE EXECUTE ON FUNCTION jobs._audit_fields(jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs._audit_jobs_created()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- A COPY into the table is a restore (pg_restore, psql < dump; only
    -- superusers may write the table directly): the dump brings the trail's
    -- own rows, which a 'created' row per restored job would collide with.
    IF NOT EXISTS (SELECT FROM new_jobs) OR pg_catalog.current_query() ~* '^\s*COPY\s' THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH created AS MATERIALIZED (  -- each value computed once a row
        SELECT n.job_id, n.job_name, n.owner, jobs._audit_definition(n) AS definition
        FROM new_jobs AS n)
    SELECT a.role_name, a.role_oid, c.job_id, c.job_name, c.owner, c.owner::text, 'created',
           jobs._audit_fields(c.definition), NULL, c.definition
    FROM jobs._audit_author() AS a, created AS c;  -- in the order the rows were inserted
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION jobs._audit_jobs_removed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_jobs) THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH removed AS MATERIALIZED (  -- each value computed once a row
        SELECT o.job_id, o.job_name, o.owner, jobs._audit_definition(o) AS definition
        FROM old_jobs AS o)
    SELECT a.role_name, a.role_oid, r.job_id, r.job_name, r.owner, r.owner::text, 'unscheduled',
           jobs._audit_fields(r.definition), r.definition, NULL
    FROM jobs._audit_author() AS a, removed AS r
    ORDER BY r.job_id;
    RETURN NULL;
END
$$;
