-- Retires the two legacy tables into the schema `archive` (never dropping them), as
-- archive.<schema>_<table>. Index names are unique per schema and both tables have a
-- market_prices_pkey, so every index of theirs is renamed <schema>_<index> first. db verify
-- expects a table retired this way to be absent from its original schema (catalog.rs).
do $$
declare
    t record;
    i record;
begin
    for t in select n.nspname, c.relname
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where (n.nspname, c.relname) in (('integration', 'market_prices'),
                                             ('pricing', 'market_prices'))
    loop
        for i in select ic.relname
                 from pg_index x
                 join pg_class ic on ic.oid = x.indexrelid
                 where x.indrelid = format('%I.%I', t.nspname, t.relname)::regclass
        loop
            execute format('alter index %I.%I rename to %I',
                           t.nspname, i.relname, left(t.nspname || '_' || i.relname, 63));
        end loop;
        execute format('alter table %I.%I rename to %I',
                       t.nspname, t.relname, t.nspname || '_' || t.relname);
        execute format('alter table %I.%I set schema archive',
                       t.nspname, t.nspname || '_' || t.relname);
    end loop;
end;
$$
