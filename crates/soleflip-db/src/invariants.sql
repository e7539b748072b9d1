-- The old document's promises, checked over the whole catalog (from the migration that made them
-- true onwards): every foreign key has an index leading with its columns; no index is redundant;
-- every updated_at column is kept current by a trigger. (The documented platforms are data, and
-- are checked by a query of their own.)
-- One row per broken promise: (kind, object, detail). Index and FK rules are those of
-- ../shared/tools/catalog.py (fk_without_index, redundant_indexes).
with ns as (
    select oid, nspname from pg_namespace
    where nspname !~ '^pg_' and nspname <> 'information_schema'
), idx as (
    select i.indrelid, i.indexrelid, ic.relname as name, am.amname as method, i.indisunique as is_unique,
           i.indpred is not null as partial, pg_get_expr(i.indpred, i.indrelid) as predicate,
           exists (select 1 from pg_constraint c where c.conindid = i.indexrelid
                   and c.contype in ('p', 'u', 'x')) as backs_constraint,
           array(select pg_get_indexdef(i.indexrelid, k, true)
                 from generate_series(1, i.indnkeyatts) k order by k) as cols
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_am am on am.oid = ic.relam
    join pg_class t on t.oid = i.indrelid
    join ns on ns.oid = t.relnamespace
), fk as (
    select c.conrelid, n.nspname || '.' || t.relname as tbl,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
                 order by k.ord) as cols
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join ns n on n.oid = t.relnamespace
    where c.contype = 'f'
)
-- (The quoted aliases tell sqlx's query macros the columns are never null.)
select 'fk-index' as "kind!",
       fk.tbl || '(' || array_to_string(fk.cols, ', ') || ')' as "object!",
       'no index leads with the foreign key''s columns' as "detail!"
from fk
where not exists (
    select 1 from idx
    where idx.indrelid = fk.conrelid and idx.method = 'btree' and not idx.partial
      and array(select unnest(idx.cols[1:cardinality(fk.cols)]) order by 1)
          = array(select unnest(fk.cols) order by 1)
)
union all
select distinct on (n.nspname, a.name)
       'redundant-index', n.nspname || '.' || a.name,
       case when a.cols = b.cols and a.predicate is not distinct from b.predicate
            then 'duplicate of ' || b.name else 'left prefix of ' || b.name end
from idx a
join idx b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid and b.method = a.method
join pg_class t on t.oid = a.indrelid
join ns n on n.oid = t.relnamespace
where (a.cols = b.cols and a.predicate is not distinct from b.predicate
       -- of two identical indexes the explicit one is redundant (a constraint's index cannot be
       -- dropped alone); of two explicit ones, the alphabetically later one
       and (not a.backs_constraint, a.name) > (not b.backs_constraint, b.name))
   or (a.method = 'btree' and not a.is_unique and not a.partial and not b.partial
       and cardinality(a.cols) < cardinality(b.cols)
       and b.cols[1:cardinality(a.cols)] = a.cols)
union all
select 'updated_at-trigger', n.nspname || '.' || t.relname,
       'updated_at is not kept current by a trigger calling update_updated_at_column()'
from pg_attribute a
join pg_class t on t.oid = a.attrelid and t.relkind in ('r', 'p')
join ns n on n.oid = t.relnamespace
where a.attname = 'updated_at' and not a.attisdropped
  and not exists (
      select 1 from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
      where tg.tgrelid = t.oid and not tg.tgisinternal and p.proname = 'update_updated_at_column'
        and (tg.tgtype & 2) <> 0   -- BEFORE
        and (tg.tgtype & 16) <> 0  -- UPDATE
  )
order by 1, 2
