-- Records decisions of the cascade: one row per offer (offer ids, variant ids, product ids,
-- statuses, methods and reasons as parallel arrays); a pair a person rejected is skipped.
insert into integration.offer_matches (offer_id, variant_id, product_id, status, method, reason)
select offer_id, variant_id, product_id, status, method, reason
  from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[])
       as d(offer_id, variant_id, product_id, status, method, reason)
 where not exists (select 1 from integration.offer_matches r
                    where r.offer_id = d.offer_id and r.status = 'rejected'
                      and r.variant_id = d.variant_id)
on conflict do nothing
