-- The matched pairs are locked, and must still be in the state they were matched in.
do $$
begin
    perform 1 from products.inventory i
      join pg_temp.import_sales s on s.pair_id = i.id and s.pair_state is not null
     for update of i;
    if exists (select 1 from products.inventory i
                 join pg_temp.import_sales s on s.pair_id = i.id and s.pair_state is not null
                where i.detailed_status is distinct from s.pair_state) then
        raise exception using
            errcode = 'serialization_failure',
            message = 'a pair matched to a sale changed state during the import; '
                      'nothing was imported: run it again';
    end if;
end;
$$;
update pg_temp.import_sales s set listing_id = l.id
  from pg_temp.import_run r, platforms.listings l
 where s.pair_state is not null and l.inventory_id = s.pair_id
   and l.platform_id = r.platform_id and l.status = 'active'
