-- Bulk load, part 2 of 2 (part 1: legacy_bulk_drop.sql): rebuilds what part 1 dropped, keys
-- first, then indexes, then foreign keys (each validated by one query over the table), with
-- their comments, and fails (so the transaction rolls back) unless the tables' definitions
-- read back exactly as saved. A duplicate key or a dangling reference written meanwhile fails
-- the rebuild the same way.
do $$
declare
    r record;
    differing integer;
begin
    for r in select create_sql, comment_sql from bulk_saved order by step, tname, name loop
        execute r.create_sql;
        execute r.comment_sql;
    end loop;
    select count(*) into differing
    from ((select step, tname, name, create_sql, comment_sql from bulk_saved
           except
           select step, tname, name, create_sql, comment_sql from bulk_definitions
           where tname in (select tname from bulk_saved))
          union all
          (select step, tname, name, create_sql, comment_sql from bulk_definitions
           where tname in (select tname from bulk_saved)
           except
           select step, tname, name, create_sql, comment_sql from bulk_saved)) d;
    if differing > 0 then
        raise exception 'bulk load: % index or constraint definitions differ after the rebuild',
            differing;
    end if;
end
$$;
