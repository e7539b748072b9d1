-- Bulk load, part 1 of 2 (part 2: legacy_bulk_rebuild.sql), for the tables named in the setting
-- soleflip.bulk_tables (comma-separated, schema-qualified):
-- their foreign keys, their indexes that back no constraint, and, when no foreign key points at
-- the table, its primary key and unique constraints are saved in the temporary table
-- bulk_saved (dropped at commit) and dropped. prices migrate-legacy does this when it is about
-- to write at least as many rows into a table as the table holds: building an index from the
-- finished table sorts once, where a million inserts each search and split their way into
-- every index (PostgreSQL's own advice for populating a database). Measured on 837,100 new
-- price sources: 3.7 s to write them, then 15 s to rebuild the indexes and keys of all three
-- price tables, against 52 s to write them through price_sources' 14 indexes. Dropping takes
-- an ACCESS EXCLUSIVE lock on the table until commit: readers wait. A partitioned table
-- (integration.price_history) is named by its parent: its keys and indexes are dropped and
-- rebuilt on the parent, which does so on every partition.
-- comment_sql restores the comment; for an object without one it reads `... is NULL`.
create or replace temporary view bulk_definitions as
with t as (
    select c.oid, c.oid::regclass::text as tname
    from pg_class c
    where c.relkind in ('r', 'p')
), fk as (
    select 3 as step, t.tname, co.conname::text as name,
           format('alter table %s add constraint %I %s', t.tname, co.conname,
                  pg_get_constraintdef(co.oid)) as create_sql,
           format('alter table %s drop constraint %I', t.tname, co.conname) as drop_sql,
           format('comment on constraint %I on %s is %L', co.conname, t.tname,
                  obj_description(co.oid, 'pg_constraint')) as comment_sql
    from t join pg_constraint co on co.conrelid = t.oid and co.contype = 'f'
), keys as (
    select 1 as step, t.tname, co.conname::text,
           format('alter table %s add constraint %I %s', t.tname, co.conname,
                  pg_get_constraintdef(co.oid)),
           format('alter table %s drop constraint %I', t.tname, co.conname),
           format('comment on constraint %I on %s is %L', co.conname, t.tname,
                  obj_description(co.oid, 'pg_constraint'))
    from t join pg_constraint co on co.conrelid = t.oid and co.contype in ('p', 'u')
    where not exists (select 1 from pg_constraint f
                      where f.confrelid = t.oid and f.contype = 'f')
), plain as (
    -- An index of a partitioned table reads back as CREATE INDEX ... ON ONLY <table>, which
    -- would rebuild it on the parent alone, invalid and without its partitions' indexes: it
    -- is recreated without ONLY (which builds and attaches every partition's index).
    select 2 as step, t.tname, i.relname::text,
           case when i.relkind = 'I'
                then replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ', ' ON ')
                else pg_get_indexdef(x.indexrelid) end,
           format('drop index %s', x.indexrelid::regclass),
           format('comment on index %s is %L', x.indexrelid::regclass,
                  obj_description(x.indexrelid, 'pg_class'))
    from t
    join pg_index x on x.indrelid = t.oid
    join pg_class i on i.oid = x.indexrelid
    where not exists (select 1 from pg_constraint co
                      where co.conrelid = t.oid and co.conindid = x.indexrelid)
)
select * from fk union all select * from keys union all select * from plain;

create temporary table bulk_saved on commit drop as
select * from bulk_definitions where tname = any(string_to_array(current_setting('soleflip.bulk_tables'), ','));

do $$
declare
    r record;
begin
    for r in select drop_sql from bulk_saved order by step desc, tname, name loop
        execute r.drop_sql;
    end loop;
end
$$;
